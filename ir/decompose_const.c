/* decompose_const.c: operators whose output shape depends on their input
 * values: NonZero, Unique, NonMaxSuppression (and Compress, in
 * decompose_more.c). When every input is a constant (an initializer, or a
 * graph input made constant with --freeze) they are evaluated here, at
 * build time. Otherwise the model must declare the output shape: the
 * program is built for it, computes the result with primitives (compaction
 * by prefix counts, b_compact; sorting by counting ranks; NMS as a greedy
 * pass over the boxes unrolled in score order) and checks at run time that
 * the data give exactly the declared size (else <name>_run returns status
 * 2). The work is quadratic in the input: above B_COMPACT_MAX elements (and
 * NMS_MAX_BOXES boxes) they are refused as unsupported. Registered in
 * d_more_ops (decompose_more.c). */
#include "decompose_more.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool no_strings(B *b, Value **in, int nin) {
  for (int i = 0; i < nin; i++)
    if (in[i] && in[i]->dt == DT_STRING) { /* the values below are read as numbers */
      diag_error(b->d, b->loc, "%s: unsupported on string tensors", b->n->op);
      return false;
    }
  return true;
}

static bool all_const(Value **in, int nin) {
  for (int i = 0; i < nin; i++)
    if (in[i] && !b_is_const(in[i])) return false;
  return true;
}

/* the declared shape of output k, of rank `rank`, else an "unsupported" refusal */
static bool declared(B *b, int k, int rank, int64_t *dims) {
  return b_declared_for(b, k, rank, dims, "an output size that depends on the data");
}

/* x != 0 (NaN counts as nonzero), bool */
static Value *nonzero_mask(B *b, Value *x) {
  if (x->dt == DT_BOOL) return x;
  return b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, x, b_scalar(b, x->dt, 0)));
}

static double at(const Value *v, int64_t i) { return raw_get_f(v->dt, v->cdata, i); }

/* ----------------------------------------------------------------- NonZero */
/* run time: the flat positions of the nonzero elements (b_compact), split
 * into coordinates by division by the strides */
static int nonzero_runtime(B *b, Value *x, Value **out) {
  int r = x->rank ? x->rank : 1;
  int64_t D[2];
  if (!declared(b, 0, 2, D)) return -1;
  if (D[0] != r) {
    diag_error(b->d, b->loc, "NonZero: the declared output shape [%lld, %lld] does not have %d rows", (long long)D[0],
               (long long)D[1], r);
    return -1;
  }
  Value *p = b_compact(b, nonzero_mask(b, x), D[1], "the number of nonzero elements");
  if (!p) return -1;
  Value *rows[MAX_RANK];
  int64_t stride = 1;
  for (int a = x->rank - 1; a >= 0; a--) {
    Value *q = b_binary(b, OP_DIV, p, b_scalar(b, DT_I64, (double)stride));
    rows[a] = b_reshape(b, b_binary(b, OP_MOD, q, b_scalar(b, DT_I64, (double)(x->shape[a] ? x->shape[a] : 1))), 2,
                        (int64_t[]){1, D[1]});
    stride *= x->shape[a];
  }
  if (!x->rank) rows[0] = b_reshape(b, b_binary(b, OP_MUL, p, b_scalar(b, DT_I64, 0)), 2, (int64_t[]){1, D[1]});
  out[0] = r == 1 ? rows[0] : b_concat(b, r, rows, 0);
  return out[0] ? 0 : -1;
}

int d_nonzero(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  if (!no_strings(b, in, nin)) return -1;
  if (!all_const(in, nin)) return nonzero_runtime(b, x, out);
  int r = x->rank ? x->rank : 1;
  int64_t n = b_numel(x), k = 0;
  for (int64_t i = 0; i < n; i++) k += at(x, i) != 0;
  int64_t *d = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(r * k + 1));
  if (!d) return -1;
  for (int64_t i = 0, j = 0; i < n; i++) {
    if (at(x, i) == 0) continue;
    int64_t rem = i;
    for (int a = x->rank - 1; a >= 0; a--) d[a * k + j] = rem % x->shape[a], rem /= x->shape[a];
    if (!x->rank) d[j] = 0;
    j++;
  }
  out[0] = b_const(b, DT_I64, 2, (int64_t[]){r, k}, d);
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------------------ Unique */
typedef struct {
  const Value *x;
  int64_t inner, n, len; /* slice i = elements [outer][i][inner] */
} Slices;

static double slice_at(const Slices *s, int64_t i, int64_t e) {
  int64_t o = e / s->inner, in = e % s->inner;
  return at(s->x, (o * s->n + i) * s->inner + in);
}

/* lexicographic order of slices, NaN after everything and equal to NaN */
static int slice_cmp(const Slices *s, int64_t a, int64_t c) {
  for (int64_t e = 0; e < s->len; e++) {
    double u = slice_at(s, a, e), v = slice_at(s, c, e);
    if (isnan(u) || isnan(v)) {
      if (isnan(u) != isnan(v)) return isnan(u) ? 1 : -1;
      continue;
    }
    if (u != v) return u < v ? -1 : 1;
  }
  return 0;
}

/* run time, for the declared number k of unique slices: the n slices as
 * rows [n, L]; equal[i][j] and less[i][j] (lexicographic: decided at the
 * first element that differs, found by ARGMAX; NaN after everything and
 * equal to NaN); a slice is first when no earlier one equals it; its output
 * slot counts the first slices less than it (sorted) or before it (not
 * sorted); a check that there are k first slices. */
static int unique_runtime(B *b, Value *x, int axis, bool sorted, Value **out) {
  int64_t n = axis < 0 ? b_numel(x) : x->shape[axis], L = n ? (axis < 0 ? 1 : b_numel(x) / n) : 1, k = -1, D[MAX_RANK];
  int r = -1;
  if (b_declared(b, 0, &r, D) && r == (axis < 0 ? 1 : x->rank)) k = D[axis < 0 ? 0 : axis];
  for (int o = 1; o < 4 && k < 0; o += 2)
    if (o < b->nout && b_declared(b, o, &r, D) && r == 1) k = D[0];
  if (k < 0 && !declared(b, 0, axis < 0 ? 1 : x->rank, D)) return -1;
  if (n > B_COMPACT_MAX || n * n * L > (1 << 22)) {
    diag_error(b->d, b->loc, "unsupported: Unique of %lld slices of %lld elements computed at run time (at most %d "
                             "slices and 2^22 comparisons; pin the input with --freeze)", (long long)n, (long long)L,
               B_COMPACT_MAX);
    return -1;
  }
  if (k > n || k < (n > 0)) {
    diag_error(b->d, b->loc, "Unique: the declared %lld unique values do not fit %lld values", (long long)k, (long long)n);
    return -1;
  }
  int perm[MAX_RANK], q = 0;
  Value *src = axis < 0 ? b_reshape(b, x, 1, &n) : x;
  if (axis >= 0) {
    perm[q++] = axis;
    for (int i = 0; i < x->rank; i++)
      if (i != axis) perm[q++] = i;
  }
  Value *rows = axis < 0 ? src : b_permute(b, x, perm);
  Value *A = b_reshape(b, rows, 3, (int64_t[]){n, 1, L}), *C = b_reshape(b, rows, 3, (int64_t[]){1, n, L});
  if (!A || !C) return -1;
  Value *eq = b_binary(b, OP_CMPEQ, A, C), *lt = b_binary(b, OP_CMPLT, A, C);
  if (dtype_info[x->dt].is_float) {
    Value *na = b_unary(b, OP_ISNAN, A), *nc = b_unary(b, OP_ISNAN, C);
    eq = b_binary(b, OP_OR, eq, b_binary(b, OP_AND, na, nc));
    lt = b_binary(b, OP_OR, lt, b_binary(b, OP_AND, b_unary(b, OP_NOT, na), nc));
  }
  Value *equal = b_reduce(b, OP_RMIN, eq, 4u, false); /* [n, n] */
  Value *first_diff = b_argred(b, OP_ARGMAX, b_cast(b, b_unary(b, OP_NOT, eq), DT_I32), 2, true, false);
  Value *less = b_reshape(b, b_gatherelem(b, b_cast(b, lt, DT_I32), first_diff, 2), 2, (int64_t[]){n, n});
  less = b_binary(b, OP_CMPEQ, less, b_scalar(b, DT_I32, 1)); /* less[i][j]: row i < row j */
  int64_t ns[2] = {n, n};
  Value *jlt = b_binary(b, OP_CMPLT, b_iota(b, DT_I64, 2, ns, 1, 0, 1), b_iota(b, DT_I64, 2, ns, 0, 0, 1));
  Value *dup = b_reduce(b, OP_RMAX, b_binary(b, OP_AND, equal, jlt), 2u, false);
  Value *isfirst = b_unary(b, OP_NOT, dup); /* [n] */
  Value *fi = b_cast(b, isfirst, DT_I64), *zero = b_scalar(b, DT_I64, 0), *slot;
  if (!fi) return -1;
  if (sorted) /* slot[i] = first slices j less than slice i */
    slot = b_reduce(b, OP_RSUM, b_where(b, less, b_reshape(b, fi, 2, (int64_t[]){n, 1}), zero), 1u, false);
  else
    slot = b_binary(b, OP_SUB, b_prefix_count(b, isfirst), b_scalar(b, DT_I64, 1));
  if (b_check(b, b_binary(b, OP_CMPEQ, b_reduce(b, OP_RSUM, fi, 1u, false), b_scalar(b, DT_I64, (double)k)),
              arena_printf(b->p->a, "the data have the declared %lld unique values", (long long)k)))
    return -1;
  int64_t ks[2] = {k, n};
  Value *hit = b_binary(b, OP_AND, b_reshape(b, isfirst, 2, (int64_t[]){1, n}),
                        b_binary(b, OP_CMPEQ, b_reshape(b, slot, 2, (int64_t[]){1, n}), b_iota(b, DT_I64, 2, ks, 0, 0, 1)));
  Value *idx = b_reduce(b, OP_RSUM, b_where(b, hit, b_iota(b, DT_I64, 2, ks, 1, 0, 1), zero), 2u, false); /* [k] */
  if (n) idx = b_binary(b, OP_MIN, idx, b_scalar(b, DT_I64, (double)(n - 1))); /* in bounds whatever the data */
  Value *same_first = b_binary(b, OP_AND, equal, b_reshape(b, isfirst, 2, (int64_t[]){1, n})); /* [i][j] */
  Value *inv = b_reduce(b, OP_RSUM, b_where(b, same_first, b_reshape(b, slot, 2, (int64_t[]){1, n}), zero), 2u, false);
  out[0] = b_gather(b, src, idx, axis < 0 ? 0 : axis);
  if (b->nout > 1) out[1] = idx;
  if (b->nout > 2) out[2] = inv;
  if (b->nout > 3) {
    Value *m = b_binary(b, OP_CMPEQ, b_reshape(b, inv, 2, (int64_t[]){1, n}), b_iota(b, DT_I64, 2, ks, 0, 0, 1));
    out[3] = b_reduce(b, OP_RSUM, b_cast(b, m, DT_I64), 2u, false);
  }
  for (int o = 0; o < b->nout && o < 4; o++)
    if (!out[o]) return -1;
  return 0;
}

int d_unique(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  if (!no_strings(b, in, nin)) return -1;
  if (!all_const(in, nin)) {
    const Attr *ax = attr_find(b->n, "axis");
    int a = ax ? b_axis(b, d_int(b, "axis", 0), x->rank, "Unique axis") : -1;
    if (ax && a < 0) return -1;
    return unique_runtime(b, x, a, d_int(b, "sorted", 1) != 0, out);
  }
  const Attr *aa = attr_find(b->n, "axis");
  bool sorted = d_int(b, "sorted", 1) != 0;
  Slices s = {.x = x, .inner = 1};
  int axis = -1;
  if (aa) {
    axis = b_axis(b, d_int(b, "axis", 0), x->rank, "Unique axis");
    if (axis < 0) return -1;
    s.n = x->shape[axis];
    for (int i = axis + 1; i < x->rank; i++) s.inner *= x->shape[i];
    s.len = s.n ? b_numel(x) / s.n : 0;
  } else {
    s.n = b_numel(x);
    s.len = 1;
  }
  int64_t n = s.n, *order = malloc(sizeof(int64_t) * (size_t)(n + 1)), *uid = malloc(sizeof(int64_t) * (size_t)(n + 1));
  int64_t *first = malloc(sizeof(int64_t) * (size_t)(n + 1)), *cnt = calloc((size_t)(n + 1), sizeof(int64_t));
  int64_t *rank_of = malloc(sizeof(int64_t) * (size_t)(n + 1));
  int rc = -1;
  if (!order || !uid || !first || !cnt || !rank_of) goto done;
  /* stable insertion sort by value: ties keep the first occurrence first */
  for (int64_t i = 0; i < n; i++) {
    int64_t j = i;
    while (j > 0 && slice_cmp(&s, order[j - 1], i) > 0) order[j] = order[j - 1], j--;
    order[j] = i;
  }
  int64_t k = 0;
  for (int64_t t = 0; t < n; t++) {
    if (t == 0 || slice_cmp(&s, order[t - 1], order[t])) first[k++] = order[t];
    uid[order[t]] = k - 1;
    cnt[k - 1]++;
  }
  /* unique ids in output order: ascending value, or first occurrence */
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)(k + 1));
  if (!perm) goto done;
  for (int64_t u = 0; u < k; u++) perm[u] = u;
  if (!sorted)
    for (int64_t t = 1; t < k; t++)
      for (int64_t j = t; j > 0 && first[perm[j - 1]] > first[perm[j]]; j--) {
        int64_t tmp = perm[j];
        perm[j] = perm[j - 1];
        perm[j - 1] = tmp;
      }
  for (int64_t u = 0; u < k; u++) rank_of[perm[u]] = u;
  int64_t *oi = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(k + 1));
  int64_t *oc = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(k + 1));
  int64_t *inv = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(n + 1));
  if (!oi || !oc || !inv) {
    free(perm);
    goto done;
  }
  for (int64_t u = 0; u < k; u++) oi[u] = first[perm[u]], oc[u] = cnt[perm[u]];
  for (int64_t i = 0; i < n; i++) inv[i] = rank_of[uid[i]];
  free(perm);
  Value *src = aa ? x : b_reshape(b, x, 1, &n);
  out[0] = b_gather(b, src, b_const(b, DT_I64, 1, &k, oi), aa ? axis : 0);
  if (b->nout > 1) out[1] = b_const(b, DT_I64, 1, &k, oi);
  if (b->nout > 2) out[2] = b_const(b, DT_I64, 1, &n, inv);
  if (b->nout > 3) out[3] = b_const(b, DT_I64, 1, &k, oc);
  rc = out[0] ? 0 : -1;
done:
  free(order);
  free(uid);
  free(first);
  free(cnt);
  free(rank_of);
  return rc;
}

/* ------------------------------------------------------- NonMaxSuppression */
/* float arithmetic on purpose: the reference works on float32 values */
static bool suppress(const float *b1, const float *b2, bool center, float thr) {
  float x1a, x1b, x2a, x2b, y1a, y1b, y2a, y2b;
  if (!center) {
    x1a = fminf(b1[1], b1[3]), x1b = fmaxf(b1[1], b1[3]), x2a = fminf(b2[1], b2[3]), x2b = fmaxf(b2[1], b2[3]);
    y1a = fminf(b1[0], b1[2]), y1b = fmaxf(b1[0], b1[2]), y2a = fminf(b2[0], b2[2]), y2b = fmaxf(b2[0], b2[2]);
  } else {
    x1a = b1[0] - b1[2] / 2, x1b = b1[0] + b1[2] / 2, x2a = b2[0] - b2[2] / 2, x2b = b2[0] + b2[2] / 2;
    y1a = b1[1] - b1[3] / 2, y1b = b1[1] + b1[3] / 2, y2a = b2[1] - b2[3] / 2, y2b = b2[1] + b2[3] / 2;
  }
  float ixa = fmaxf(x1a, x2a), ixb = fminf(x1b, x2b), iya = fmaxf(y1a, y2a), iyb = fminf(y1b, y2b);
  if (ixb <= ixa || iyb <= iya) return false;
  float inter = (ixb - ixa) * (iyb - iya);
  float a1 = (x1b - x1a) * (y1b - y1a), a2 = (x2b - x2a) * (y2b - y2a), uni = a1 + a2 - inter;
  if (inter <= 0 || a1 <= 0 || a2 <= 0 || uni <= 0) return false;
  return inter / uni > thr;
}

#define NMS_MAX_BOXES 256

/* an optional scalar input as a rank-0 value of dt, or the default */
static Value *opt_scalar(B *b, Value **in, int nin, int i, DType dt, double dflt, const char *what) {
  if (nin > i && in[i] && b_numel(in[i]) > 0) return b_scalar_of(b, in[i], dt, what);
  return b_scalar(b, dt, dflt);
}

/* run time, for the declared number k of selected boxes, in f32 like the
 * build-time version: sup[b][i][j], box i and j overlap above the
 * threshold; each box's rank in its class (higher score, then lower index);
 * then the greedy pass unrolled over the ranks: the box of rank t is kept
 * when it is a candidate, fewer than max_output_boxes_per_class are kept
 * and no kept box suppresses it. The kept (batch, class, rank) triples are
 * compacted in that order (b_compact checks that there are k). */
static int nms_runtime(B *b, Value **in, int nin, bool center, Value **out) {
  Value *bx = b_cast(b, in[0], DT_F32), *sc = b_cast(b, in[1], DT_F32);
  int64_t Bn = in[0]->shape[0], N = in[0]->shape[1], C = in[1]->shape[1], D[2];
  if (!bx || !sc || !declared(b, 0, 2, D)) return -1;
  if (D[1] != 3) {
    diag_error(b->d, b->loc, "NonMaxSuppression: the declared output shape must be [k, 3]");
    return -1;
  }
  if (N > NMS_MAX_BOXES || Bn * C * N > B_COMPACT_MAX) {
    diag_error(b->d, b->loc, "unsupported: NonMaxSuppression of %lld boxes in %lld batches and %lld classes computed "
                             "at run time (at most %d boxes and %d in all; pin the inputs with --freeze)",
               (long long)N, (long long)Bn, (long long)C, NMS_MAX_BOXES, B_COMPACT_MAX);
    return -1;
  }
  Value *maxo = opt_scalar(b, in, nin, 2, DT_I64, 0, "max_output_boxes_per_class");
  Value *iou = opt_scalar(b, in, nin, 3, DT_F32, 0, "iou_threshold");
  bool has_s = nin > 4 && in[4] && b_numel(in[4]) > 0;
  Value *sthr = has_s ? b_scalar_of(b, in[4], DT_F32, "score_threshold") : NULL;
  if (!maxo || !iou || (has_s && !sthr)) return -1;
  /* box extents [B, N, 1] */
  Value *c[4], *half = b_scalar(b, DT_F32, 2);
  for (int q = 0; q < 4; q++)
    c[q] = b_slice(b, bx, (int64_t[]){0, 0, q}, (int64_t[]){1, 1, 1}, (int64_t[]){Bn, N, 1});
  Value *xlo, *xhi, *ylo, *yhi;
  if (!center) {
    xlo = b_binary(b, OP_MIN, c[1], c[3]), xhi = b_binary(b, OP_MAX, c[1], c[3]);
    ylo = b_binary(b, OP_MIN, c[0], c[2]), yhi = b_binary(b, OP_MAX, c[0], c[2]);
  } else {
    Value *hw = b_binary(b, OP_DIV, c[2], half), *hh = b_binary(b, OP_DIV, c[3], half);
    xlo = b_binary(b, OP_SUB, c[0], hw), xhi = b_binary(b, OP_ADD, c[0], hw);
    ylo = b_binary(b, OP_SUB, c[1], hh), yhi = b_binary(b, OP_ADD, c[1], hh);
  }
  int64_t row[3] = {Bn, 1, N};
  Value *area = b_binary(b, OP_MUL, b_binary(b, OP_SUB, xhi, xlo), b_binary(b, OP_SUB, yhi, ylo));
  Value *ixa = b_binary(b, OP_MAX, xlo, b_reshape(b, xlo, 3, row)), *ixb = b_binary(b, OP_MIN, xhi, b_reshape(b, xhi, 3, row));
  Value *iya = b_binary(b, OP_MAX, ylo, b_reshape(b, ylo, 3, row)), *iyb = b_binary(b, OP_MIN, yhi, b_reshape(b, yhi, 3, row));
  Value *inter = b_binary(b, OP_MUL, b_binary(b, OP_SUB, ixb, ixa), b_binary(b, OP_SUB, iyb, iya));
  Value *aj = b_reshape(b, area, 3, row), *z = b_scalar(b, DT_F32, 0);
  Value *uni = b_binary(b, OP_SUB, b_binary(b, OP_ADD, area, aj), inter);
  Value *ok = b_binary(b, OP_AND, b_binary(b, OP_CMPLT, ixa, ixb), b_binary(b, OP_CMPLT, iya, iyb));
  ok = b_binary(b, OP_AND, ok, b_binary(b, OP_AND, b_binary(b, OP_CMPLT, z, inter), b_binary(b, OP_CMPLT, z, uni)));
  ok = b_binary(b, OP_AND, ok, b_binary(b, OP_AND, b_binary(b, OP_CMPLT, z, area), b_binary(b, OP_CMPLT, z, aj)));
  Value *ratio = b_binary(b, OP_DIV, inter, b_where(b, ok, uni, b_scalar(b, DT_F32, 1)));
  Value *sup = b_binary(b, OP_AND, ok, b_binary(b, OP_CMPLT, iou, ratio)); /* [B, N(i), N(j)] */
  int64_t e4[4] = {Bn, C, N, N};
  Value *supE = b_expand(b, b_reshape(b, sup, 4, (int64_t[]){Bn, 1, N, N}), 4, e4);
  /* ranks [B, C, N] */
  Value *si = b_reshape(b, sc, 4, (int64_t[]){Bn, C, N, 1}), *sj = b_reshape(b, sc, 4, (int64_t[]){Bn, C, 1, N});
  int64_t nn[2] = {N, N};
  Value *jlt = b_binary(b, OP_CMPLT, b_iota(b, DT_I64, 2, nn, 1, 0, 1), b_iota(b, DT_I64, 2, nn, 0, 0, 1));
  Value *before = b_binary(b, OP_OR, b_binary(b, OP_CMPLT, si, sj), b_binary(b, OP_AND, b_binary(b, OP_CMPEQ, si, sj), jlt));
  /* NaN scores last, so that the ranks are a permutation (and checked absent: their order is not defined) */
  Value *ni = b_unary(b, OP_ISNAN, si), *nj = b_unary(b, OP_ISNAN, sj);
  before = b_binary(b, OP_OR, before, b_binary(b, OP_AND, ni, b_binary(b, OP_OR, b_unary(b, OP_NOT, nj), jlt)));
  Value *rank = b_reduce(b, OP_RSUM, b_cast(b, before, DT_I64), 8u, false);
  if (b_check(b, b_unary(b, OP_NOT, b_unary(b, OP_ISNAN, sc)), "no score is NaN")) return -1;
  Value *cand = has_s ? b_binary(b, OP_CMPLT, sthr, sc) : b_expand(b, b_scalar(b, DT_BOOL, 1), 3, (int64_t[]){Bn, C, N});
  Value *io = b_iota(b, DT_I64, 3, (int64_t[]){1, 1, N}, 2, 0, 1), *zero = b_scalar(b, DT_I64, 0);
  Value *kept = b_expand(b, b_scalar(b, DT_BOOL, 0), 3, (int64_t[]){Bn, C, N});
  Value *count = b_expand(b, zero, 3, (int64_t[]){Bn, C, 1});
  Value **kt = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(N + 1));
  if (!rank || !cand || !kept || !count || !kt || !supE) return -1;
  for (int64_t t = 0; t < N; t++) {
    Value *sel = b_binary(b, OP_CMPEQ, rank, b_scalar(b, DT_I64, (double)t)); /* [B, C, N] */
    Value *box = b_reduce(b, OP_RSUM, b_where(b, sel, io, zero), 4u, true); /* [B, C, 1] */
    box = b_binary(b, OP_MIN, box, b_scalar(b, DT_I64, (double)(N - 1))); /* in bounds whatever the data */
    Value *is_cand = b_reduce(b, OP_RMAX, b_binary(b, OP_AND, sel, cand), 4u, true);
    Value *idx = b_expand(b, b_reshape(b, box, 4, (int64_t[]){Bn, C, 1, 1}), 4, (int64_t[]){Bn, C, 1, N});
    Value *rowsup = b_reshape(b, b_gatherelem(b, supE, idx, 2), 3, (int64_t[]){Bn, C, N});
    Value *hit = b_reduce(b, OP_RMAX, b_binary(b, OP_AND, rowsup, kept), 4u, true);
    Value *keep = b_binary(b, OP_AND, b_binary(b, OP_AND, is_cand, b_unary(b, OP_NOT, hit)), b_binary(b, OP_CMPLT, count, maxo));
    kept = b_binary(b, OP_OR, kept, b_binary(b, OP_AND, sel, keep));
    count = b_binary(b, OP_ADD, count, b_cast(b, keep, DT_I64));
    kt[t] = keep;
    if (!kt[t] || !kept || !count) return -1;
  }
  Value *by_rank = N == 1 ? kt[0] : b_concat(b, (int)N, kt, 2); /* [B, C, N(t)]: kept at rank t */
  Value *p = b_compact(b, by_rank, D[0], "the number of selected boxes");
  if (!p) return -1;
  /* the box of each rank: order[b][c][t] */
  Value *rt = b_binary(b, OP_CMPEQ, b_reshape(b, rank, 4, (int64_t[]){Bn, C, 1, N}),
                       b_iota(b, DT_I64, 4, (int64_t[]){1, 1, N, 1}, 2, 0, 1));
  Value *order = b_reduce(b, OP_RSUM, b_where(b, rt, b_reshape(b, io, 4, (int64_t[]){1, 1, 1, N}), zero), 8u, false);
  int64_t all = Bn * C * N, k = D[0], col[2] = {k, 1};
  Value *cols[3];
  cols[0] = b_binary(b, OP_DIV, p, b_scalar(b, DT_I64, (double)(C * N)));
  cols[1] = b_binary(b, OP_MOD, b_binary(b, OP_DIV, p, b_scalar(b, DT_I64, (double)N)), b_scalar(b, DT_I64, (double)C));
  cols[2] = b_gather(b, b_reshape(b, order, 1, &all), p, 0);
  for (int q = 0; q < 3; q++) cols[q] = b_reshape(b, cols[q], 2, col);
  out[0] = b_concat(b, 3, cols, 1);
  return out[0] ? 0 : -1;
}

int d_nms(B *b, Value **in, int nin, Value **out) {
  Value *bx = in[0], *scv = in[1];
  if (!no_strings(b, in, nin)) return -1;
  if (bx->rank != 3 || bx->shape[2] != 4 || scv->rank != 3 || scv->shape[0] != bx->shape[0] ||
      scv->shape[2] != bx->shape[1]) {
    diag_error(b->d, b->loc, "NonMaxSuppression: boxes [B, N, 4] and scores [B, C, N] do not fit");
    return -1;
  }
  if (!all_const(in, nin)) return nms_runtime(b, in, nin, d_int(b, "center_point_box", 0) != 0, out);
  int64_t maxo = 0;
  float iou = 0, sthr = 0;
  bool has_s = nin > 4 && in[4] && b_numel(in[4]) > 0;
  if (nin > 2 && in[2] && b_numel(in[2]) > 0) maxo = (int64_t)at(in[2], 0);
  if (nin > 3 && in[3] && b_numel(in[3]) > 0) iou = (float)at(in[3], 0);
  if (has_s) sthr = (float)at(in[4], 0);
  if (maxo < 0) maxo = 0;
  bool center = d_int(b, "center_point_box", 0) != 0;
  int64_t Bn = bx->shape[0], C = scv->shape[1], N = bx->shape[1], cap = Bn * C * (maxo < N ? maxo : N);
  float *boxes = malloc(sizeof(float) * (size_t)(Bn * N * 4 + 1)), *sc = malloc(sizeof(float) * (size_t)(Bn * C * N + 1));
  int64_t *cand = malloc(sizeof(int64_t) * (size_t)(N + 1)), *sel = malloc(sizeof(int64_t) * (size_t)(N + 1));
  int64_t *res = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(3 * cap + 1));
  int64_t k = 0;
  if (!boxes || !sc || !cand || !sel || !res) goto fail;
  for (int64_t i = 0; i < Bn * N * 4; i++) boxes[i] = (float)at(bx, i);
  for (int64_t i = 0; i < Bn * C * N; i++) sc[i] = (float)at(scv, i);
  for (int64_t bi = 0; bi < Bn; bi++)
    for (int64_t c = 0; c < C; c++) {
      const float *s = sc + (bi * C + c) * N;
      int64_t nc = 0, ns = 0;
      for (int64_t i = 0; i < N; i++)
        if (!has_s || s[i] > sthr) cand[nc++] = i;
      /* best first: higher score, then lower index */
      for (int64_t t = 1; t < nc; t++)
        for (int64_t j = t; j > 0 && (s[cand[j]] > s[cand[j - 1]] || (s[cand[j]] == s[cand[j - 1]] && cand[j] < cand[j - 1])); j--) {
          int64_t tmp = cand[j];
          cand[j] = cand[j - 1];
          cand[j - 1] = tmp;
        }
      for (int64_t t = 0; t < nc && ns < maxo; t++) {
        bool keep = true;
        for (int64_t q = 0; q < ns && keep; q++)
          keep = !suppress(boxes + (bi * N + cand[t]) * 4, boxes + (bi * N + sel[q]) * 4, center, iou);
        if (keep) sel[ns++] = cand[t];
      }
      for (int64_t q = 0; q < ns; q++) res[3 * k] = bi, res[3 * k + 1] = c, res[3 * k + 2] = sel[q], k++;
    }
  free(boxes);
  free(sc);
  free(cand);
  free(sel);
  out[0] = b_const(b, DT_I64, 2, (int64_t[]){k, 3}, res);
  return out[0] ? 0 : -1;
fail:
  free(boxes);
  free(sc);
  free(cand);
  free(sel);
  return -1;
}
