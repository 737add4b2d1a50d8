/* decompose_const.c: operators whose output shape depends on their input
 * values: NonZero, Unique, NonMaxSuppression. A static-shape program cannot
 * compute them at run time, so they are evaluated here, at build time, when
 * every input is a constant (an initializer, or a graph input made constant
 * with --freeze); otherwise they are refused as unsupported. Registered in
 * d_more_ops (decompose_more.c). */
#include "decompose_more.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool need_const(B *b, Value **in, int nin) {
  for (int i = 0; i < nin; i++)
    if (in[i] && in[i]->dt == DT_STRING) { /* the values below are read as numbers */
      diag_error(b->d, b->loc, "%s: unsupported on string tensors", b->n->op);
      return false;
    }
  for (int i = 0; i < nin; i++)
    if (in[i] && !b_is_const(in[i])) {
      diag_error(b->d, b->loc, "unsupported: %s of a tensor computed at run time (its output shape depends on the "
                               "values; it is evaluated at build time when its inputs are constants, e.g. with --freeze)",
                 b->n->op);
      return false;
    }
  return true;
}

static double at(const Value *v, int64_t i) { return raw_get_f(v->dt, v->cdata, i); }

/* ----------------------------------------------------------------- NonZero */
int d_nonzero(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  if (!need_const(b, in, nin)) return -1;
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

int d_unique(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  if (!need_const(b, in, nin)) return -1;
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

int d_nms(B *b, Value **in, int nin, Value **out) {
  Value *bx = in[0], *scv = in[1];
  if (!need_const(b, in, nin)) return -1;
  if (bx->rank != 3 || bx->shape[2] != 4 || scv->rank != 3 || scv->shape[0] != bx->shape[0] ||
      scv->shape[2] != bx->shape[1]) {
    diag_error(b->d, b->loc, "NonMaxSuppression: boxes [B, N, 4] and scores [B, C, N] do not fit");
    return -1;
  }
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
