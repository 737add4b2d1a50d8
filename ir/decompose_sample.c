/* decompose_sample.c: operators that sample their input at computed
 * coordinates: GridSample, AffineGrid, RoiAlign, DeformConv. Registered in
 * d_more_ops (decompose_more.c).
 *
 * Coordinates are elementwise arithmetic; every interpolation tap becomes
 * an integer flat index (clamped into range, so memory stays safe) and a
 * weight (zero for a tap outside the input under zeros padding), the taps
 * are read with GATHERELEM and summed. RoiAlign needs its boxes at build
 * time (their sizes decide how many samples a bin takes). */
#include "decompose_more.h"

#include <math.h>
#include <string.h>

/* -------------------------------------------------------------- GridSample */
/* v reflected into [lo, hi] by whole bounces, as the reference does */
static Value *reflect(B *b, Value *v, double lo, double hi) {
  Value *L = m_sc(b, v, lo), *H = m_sc(b, v, hi), *zero = m_sc(b, v, 0);
  Value *below = b_binary(b, OP_CMPLT, v, L), *above = b_binary(b, OP_CMPLT, H, v);
  Value *dx = b_where(b, below, b_binary(b, OP_SUB, L, v), b_where(b, above, b_binary(b, OP_SUB, v, H), zero));
  Value *rng = m_sc(b, v, hi - lo);
  Value *n = b_unary(b, OP_FLOOR, b_binary(b, OP_DIV, dx, rng));
  Value *r = b_binary(b, OP_SUB, dx, b_binary(b, OP_MUL, n, rng));
  Value *even = b_binary(b, OP_CMPEQ, b_binary(b, OP_MOD, n, m_sc(b, v, 2)), zero);
  Value *res = b_where(b, b_binary(b, OP_CMPEQ, below, even), b_binary(b, OP_ADD, L, r), b_binary(b, OP_SUB, H, r));
  return b_where(b, b_binary(b, OP_OR, below, above), res, v);
}

typedef struct {
  Value *idx[4];   /* i64 index per tap, in range */
  Value *w[4];     /* weight per tap (valid-masked for zeros padding) */
  int ntap;
} Taps;

int d_gridsample(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *grid = in[1];
  int k = x->rank - 2;
  const char *mode = d_str(b, "mode", m_opset(b) < 20 ? "bilinear" : "linear");
  const char *pad = d_str(b, "padding_mode", "zeros");
  bool align = d_int(b, "align_corners", 0) != 0;
  int m = !strcmp(mode, "nearest") ? 0 : (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) ? 1
          : (!strcmp(mode, "cubic") || !strcmp(mode, "bicubic"))                                ? 2
                                                                                                 : -1;
  int pm = !strcmp(pad, "zeros") ? 0 : !strcmp(pad, "border") ? 1 : !strcmp(pad, "reflection") ? 2 : -1;
  if (k < 1 || k > 3 || grid->rank != x->rank || grid->shape[k + 1] != k || grid->shape[0] != x->shape[0] || m < 0 ||
      pm < 0 || !m_isf(x) || (m == 2 && k > 2)) {
    diag_error(b->d, b->loc, "GridSample: input %s, grid %s, mode '%s', padding '%s' do not fit",
               shape_str(b->p->a, x->rank, x->shape), shape_str(b->p->a, grid->rank, grid->shape), mode, pad);
    return -1;
  }
  int64_t N = x->shape[0], C = x->shape[1], Q = 1, P = 1, gs[MAX_RANK];
  for (int i = 0; i < k; i++) Q *= grid->shape[1 + i], P *= x->shape[2 + i];
  Value *g = b_cast(b, b_reshape(b, grid, 3, (int64_t[]){N, Q, k}), DT_F32);
  Taps tp[3];
  for (int i = 0; i < k; i++) {
    int64_t D = x->shape[2 + i];
    double lo = align ? 0 : -0.5, hi = align ? (double)D - 1 : (double)D - 0.5;
    Value *n = b_reshape(b, b_slice(b, g, (int64_t[]){0, 0, k - 1 - i}, (int64_t[]){1, 1, 1}, (int64_t[]){N, Q, 1}), 2,
                         (int64_t[]){N, Q});
    Value *c = align ? b_binary(b, OP_MUL, b_binary(b, OP_DIV, b_binary(b, OP_ADD, n, m_sc(b, n, 1)), m_sc(b, n, 2)),
                                m_sc(b, n, (double)(D - 1)))
                     : b_binary(b, OP_DIV, b_binary(b, OP_SUB, b_binary(b, OP_MUL, b_binary(b, OP_ADD, n, m_sc(b, n, 1)),
                                                                        m_sc(b, n, (double)D)), m_sc(b, n, 1)),
                                m_sc(b, n, 2));
    if (m == 0) c = b_unary(b, OP_ROUND, c);
    if (pm == 1) { /* outside the borders: clamp into [0, D-1] */
      Value *out_ = b_binary(b, OP_OR, b_binary(b, OP_CMPLT, c, m_sc(b, c, lo)), b_binary(b, OP_CMPLT, m_sc(b, c, hi), c));
      Value *cl = b_binary(b, OP_MIN, b_binary(b, OP_MAX, c, m_sc(b, c, 0)), m_sc(b, c, (double)(D - 1)));
      c = b_where(b, out_, cl, c);
    } else if (pm == 2) {
      c = reflect(b, c, lo, hi);
    }
    if (!c) return -1;
    Taps *t = &tp[i];
    Value *base, *fr = NULL;
    if (m == 0) {
      base = c; /* an integer already (or a reflected one): truncate */
      t->ntap = 1;
    } else {
      base = b_unary(b, OP_FLOOR, c);
      fr = b_binary(b, OP_SUB, c, base);
      t->ntap = m == 1 ? 2 : 4;
    }
    for (int j = 0; j < t->ntap; j++) {
      int off = m == 2 ? j - 1 : j;
      Value *pos = off ? b_binary(b, OP_ADD, base, m_sc(b, base, off)) : base;
      Value *w;
      if (m == 0) w = m_sc(b, c, 1);
      else if (m == 1) w = j == 0 ? b_binary(b, OP_SUB, m_sc(b, fr, 1), fr) : fr;
      else { /* cubic, A = -0.75, on |x - tap| */
        double A = -0.75;
        Value *s = b_unary(b, OP_ABS, b_binary(b, OP_SUB, fr, m_sc(b, fr, off))), *s2 = b_binary(b, OP_MUL, s, s);
        Value *s3 = b_binary(b, OP_MUL, s2, s);
        if (off == 0 || off == 1) /* |x| <= 1 */
          w = b_binary(b, OP_ADD, b_binary(b, OP_SUB, b_binary(b, OP_MUL, s3, m_sc(b, s, A + 2)), b_binary(b, OP_MUL, s2, m_sc(b, s, A + 3))), m_sc(b, s, 1));
        else
          w = b_binary(b, OP_SUB,
                       b_binary(b, OP_ADD, b_binary(b, OP_SUB, b_binary(b, OP_MUL, s3, m_sc(b, s, A)), b_binary(b, OP_MUL, s2, m_sc(b, s, 5 * A))),
                                b_binary(b, OP_MUL, s, m_sc(b, s, 8 * A))),
                       m_sc(b, s, 4 * A));
      }
      /* the integer tap position, mapped by the padding mode */
      Value *ip = b_cast(b, pos, DT_I64), *valid = NULL;
      if (pm == 0) {
        valid = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 0), ip), b_binary(b, OP_CMPLT, ip, b_scalar(b, DT_I64, (double)D)));
      } else if (pm == 2) {
        ip = b_cast(b, reflect(b, b_cast(b, ip, DT_F32), lo, hi), DT_I64);
      }
      ip = b_binary(b, OP_MIN, b_binary(b, OP_MAX, ip, b_scalar(b, DT_I64, 0)), b_scalar(b, DT_I64, (double)(D - 1)));
      if (valid) w = b_where(b, valid, w, m_sc(b, w, 0));
      t->idx[j] = ip;
      t->w[j] = w;
    }
  }
  /* every combination of taps: gather at the flat index, weight, sum */
  Value *xf = b_reshape(b, x, 3, (int64_t[]){N, C, P}), *acc = NULL;
  int combos = 1;
  for (int i = 0; i < k; i++) combos *= tp[i].ntap;
  for (int cidx = 0; cidx < combos; cidx++) {
    Value *flat = NULL, *w = NULL;
    int rem = cidx;
    int64_t stride = P;
    for (int i = 0; i < k; i++) {
      int j = rem % tp[i].ntap;
      rem /= tp[i].ntap;
      stride /= x->shape[2 + i];
      Value *term = b_binary(b, OP_MUL, tp[i].idx[j], b_scalar(b, DT_I64, (double)stride));
      flat = flat ? b_binary(b, OP_ADD, flat, term) : term;
      w = w ? b_binary(b, OP_MUL, w, tp[i].w[j]) : tp[i].w[j];
    }
    Value *ix = b_expand(b, b_reshape(b, flat, 3, (int64_t[]){N, 1, Q}), 3, (int64_t[]){N, C, Q});
    Value *v = b_binary(b, OP_MUL, b_cast(b, b_gatherelem(b, xf, ix, 2), DT_F32), b_reshape(b, w, 3, (int64_t[]){N, 1, Q}));
    acc = acc ? b_binary(b, OP_ADD, acc, v) : v;
    if (!acc) return -1;
  }
  gs[0] = N, gs[1] = C;
  for (int i = 0; i < k; i++) gs[2 + i] = grid->shape[1 + i];
  out[0] = b_reshape(b, b_cast(b, acc, x->dt), x->rank, gs);
  return out[0] ? 0 : -1;
}

/* AffineGrid: theta [N, k, k+1] times the homogeneous base grid */
int d_affinegrid(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *th = in[0];
  int64_t sz[MAX_RANK];
  int ns = b_const_ints(b, in[1], sz, MAX_RANK, "AffineGrid size");
  if (ns < 0) return -1;
  int k = ns - 2;
  bool align = d_int(b, "align_corners", 0) != 0;
  if ((k != 2 && k != 3) || th->rank != 3 || th->shape[1] != k || th->shape[2] != k + 1 || !m_isf(th)) {
    diag_error(b->d, b->loc, "AffineGrid: theta %s and size do not fit", shape_str(b->p->a, th->rank, th->shape));
    return -1;
  }
  int64_t P = 1, N = th->shape[0];
  for (int i = 0; i < k; i++) P *= sz[2 + i];
  if (P > (1 << 22)) {
    diag_error(b->d, b->loc, "unsupported: AffineGrid of %lld points", (long long)P);
    return -1;
  }
  void *d = arena_alloc(b->p->a, (size_t)(P * (k + 1) + 1) * (size_t)dtype_info[th->dt].size);
  if (!d) return -1;
  for (int64_t p = 0; p < P; p++) {
    int64_t rem = p;
    for (int i = k - 1; i >= 0; i--) { /* spatial dim i (D, H, W order) gives coordinate k-1-i (x first) */
      int64_t L = sz[2 + i], j = rem % L;
      rem /= L;
      double v = align ? (L > 1 ? -1 + (double)j * 2.0 / (double)(L - 1) : -1) : -1 + (2.0 * (double)j + 1) / (double)L;
      raw_set_f(th->dt, d, p * (k + 1) + (k - 1 - i), v);
    }
    raw_set_f(th->dt, d, p * (k + 1) + k, 1);
  }
  Value *base = b_const(b, th->dt, 3, (int64_t[]){1, P, k + 1}, d);
  static const int tp[3] = {0, 2, 1};
  Value *g = b_matmul(b, base, b_permute(b, th, tp)); /* [N, P, k] */
  int64_t os[MAX_RANK];
  os[0] = N;
  for (int i = 0; i < k; i++) os[1 + i] = sz[2 + i];
  os[k + 1] = k;
  out[0] = b_reshape(b, g, k + 2, os);
  return out[0] ? 0 : -1;
}
