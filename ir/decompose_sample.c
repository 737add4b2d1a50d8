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
  bool rt = !b_is_const(in[1]); /* size given at run time: it only decides the shape */
  int ns = rt ? (int)b_numel(in[1]) : b_const_ints(b, in[1], sz, MAX_RANK, "AffineGrid size");
  if (ns < 0) return -1;
  int k = ns - 2;
  bool align = d_int(b, "align_corners", 0) != 0;
  if ((k != 2 && k != 3) || th->rank != 3 || th->shape[1] != k || th->shape[2] != k + 1 || !m_isf(th)) {
    diag_error(b->d, b->loc, "AffineGrid: theta %s and size do not fit", shape_str(b->p->a, th->rank, th->shape));
    return -1;
  }
  if (rt) { /* built for the declared [N, spatial.., k]; size checked to be [N, any C, spatial..] */
    int64_t D[MAX_RANK];
    if (!b_declared_for(b, 0, k + 2, D, "AffineGrid size")) return -1;
    if (D[0] != th->shape[0] || D[k + 1] != k) {
      diag_error(b->d, b->loc, "AffineGrid: the declared output shape %s does not fit theta %s",
                 shape_str(b->p->a, k + 2, D), shape_str(b->p->a, th->rank, th->shape));
      return -1;
    }
    sz[0] = D[0], sz[1] = 0;
    for (int i = 0; i < k; i++) sz[2 + i] = D[1 + i];
    unsigned char care[MAX_RANK];
    int64_t nsz = ns;
    for (int i = 0; i < ns; i++) care[i] = i != 1;
    Value *eq = b_binary(b, OP_OR, b_eq_ints(b, in[1], ns, sz), b_unary(b, OP_NOT, b_const(b, DT_BOOL, 1, &nsz, care)));
    if (b_check(b, eq, arena_printf(b->p->a, "size gives the declared output shape %s", shape_str(b->p->a, k + 2, D))))
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

/* ---------------------------------------------------------------- RoiAlign */
/* The sample grid of each box is fixed at build time: per (box, bin,
 * sample) four flat positions and weights, padded to the largest sample
 * count with invalid samples. */
/* RoiAlign with rois or batch_indices given at run time and a fixed
 * sampling_ratio (the sample grid then does not depend on the boxes): the
 * box geometry, sample positions and bilinear taps of the build-time path
 * computed with primitives ([R, OH, OW, gh, gw] samples, 4 taps each), the
 * batch indices checked in range. */
static int roialign_runtime(B *b, Value *x, Value *rois, Value *bi, int64_t OH, int64_t OW, int64_t sr, double scale,
                            bool half, bool mx, Value **out) {
  const DType F = DT_F64;
  int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], R = rois->shape[0], S = sr * sr;
  int64_t K = OH * OW * S * 4;
  if (R * K > ((int64_t)1 << 22)) {
    diag_error(b->d, b->loc, "unsupported: RoiAlign with %lld samples", (long long)(R * K));
    return -1;
  }
#define C_(v) b_scalar(b, F, (v))
  Value *rf = b_cast(b, rois, F), *co[4];
  for (int c = 0; c < 4; c++) { /* [R, 1, 1, 1, 1] */
    int64_t st[2] = {0, c}, sp[2] = {1, 1}, sh[2] = {R, 1};
    co[c] = b_binary(b, OP_SUB, b_binary(b, OP_MUL, b_reshape(b, b_slice(b, rf, st, sp, sh), 5, (int64_t[]){R, 1, 1, 1, 1}),
                                         C_(scale)), C_(half ? 0.5 : 0));
  }
  Value *rw = b_binary(b, OP_SUB, co[2], co[0]), *rh = b_binary(b, OP_SUB, co[3], co[1]);
  if (!half) rw = b_binary(b, OP_MAX, rw, C_(1)), rh = b_binary(b, OP_MAX, rh, C_(1));
  Value *bh = b_binary(b, OP_DIV, rh, C_((double)OH)), *bw = b_binary(b, OP_DIV, rw, C_((double)OW));
  /* y = sh + ph*bh + (iy+0.5)*bh/gh on [R, OH, 1, gh, 1]; x likewise on [R, 1, OW, 1, gw] */
  Value *ph = b_iota(b, F, 5, (int64_t[]){1, OH, 1, 1, 1}, 1, 0, 1), *iy = b_iota(b, F, 5, (int64_t[]){1, 1, 1, sr, 1}, 3, 0.5, 1);
  Value *pw = b_iota(b, F, 5, (int64_t[]){1, 1, OW, 1, 1}, 2, 0, 1), *ix = b_iota(b, F, 5, (int64_t[]){1, 1, 1, 1, sr}, 4, 0.5, 1);
  Value *y = b_binary(b, OP_ADD, b_binary(b, OP_ADD, co[1], b_binary(b, OP_MUL, ph, bh)),
                      b_binary(b, OP_DIV, b_binary(b, OP_MUL, iy, bh), C_((double)sr)));
  Value *xx = b_binary(b, OP_ADD, b_binary(b, OP_ADD, co[0], b_binary(b, OP_MUL, pw, bw)),
                       b_binary(b, OP_DIV, b_binary(b, OP_MUL, ix, bw), C_((double)sr)));
  Value *oob = b_binary(b, OP_OR, b_binary(b, OP_OR, b_binary(b, OP_CMPLT, y, C_(-1)), b_binary(b, OP_CMPLT, C_((double)H), y)),
                        b_binary(b, OP_OR, b_binary(b, OP_CMPLT, xx, C_(-1)), b_binary(b, OP_CMPLT, C_((double)W), xx)));
  /* one axis' low/high tap and fractions: v clamped at 0, low = floor, at the edge both the last */
  Value *lo[2], *hi[2], *fl[2], *fh[2], *v[2] = {y, xx};
  int64_t dim[2] = {H, W};
  for (int a = 0; a < 2; a++) {
    Value *t = b_binary(b, OP_MAX, v[a], C_(0)), *l = b_unary(b, OP_FLOOR, t);
    Value *edge = b_binary(b, OP_CMPLE, C_((double)(dim[a] - 1)), l);
    lo[a] = b_where(b, edge, C_((double)(dim[a] - 1)), l);
    hi[a] = b_where(b, edge, C_((double)(dim[a] - 1)), b_binary(b, OP_ADD, l, C_(1)));
    t = b_where(b, edge, lo[a], t);
    fl[a] = b_binary(b, OP_SUB, t, lo[a]);            /* ly, lx */
    fh[a] = b_binary(b, OP_SUB, C_(1), fl[a]);        /* hy, hx */
  }
  Value *pos[4], *wt[4];
  int64_t s6[6] = {R, OH, OW, sr, sr, 1};
  for (int t = 0; t < 4; t++) {
    Value *yy = t < 2 ? lo[0] : hi[0], *xv = t % 2 ? hi[1] : lo[1];
    Value *wy = t < 2 ? fh[0] : fl[0], *wx = t % 2 ? fl[1] : fh[1];
    Value *p = b_binary(b, OP_ADD, b_binary(b, OP_MUL, yy, C_((double)W)), xv);
    Value *w = b_where(b, oob, C_(0), b_binary(b, OP_MUL, wy, wx));
    pos[t] = b_reshape(b, b_expand(b, p, 5, s6), 6, s6);
    wt[t] = b_reshape(b, b_cast(b, b_expand(b, w, 5, s6), DT_F32), 6, s6);
  }
#undef C_
  Value *P = b_reshape(b, b_concat(b, 4, pos, 5), 3, (int64_t[]){R, 1, K});
  Value *Wt = b_reshape(b, b_concat(b, 4, wt, 5), 3, (int64_t[]){R, 1, K});
  Value *bv = b_cast(b, bi, DT_I64);
  if (b_check(b, b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 0), bv),
                          b_binary(b, OP_CMPLT, bv, b_scalar(b, DT_I64, (double)N))),
              "the batch indices are in range"))
    return -1;
  Value *xb = b_gather(b, b_reshape(b, x, 3, (int64_t[]){N, C, H * W}), b_index(b, bv, N), 0); /* [R, C, HW] */
  Value *ixs = b_expand(b, b_index(b, P, H * W), 3, (int64_t[]){R, C, K});
  Value *val = b_binary(b, OP_MUL, b_cast(b, b_gatherelem(b, xb, ixs, 2), DT_F32), Wt);
  val = b_reshape(b, val, 5, (int64_t[]){R, C, OH * OW, S, 4});
  Value *r;
  if (mx) r = b_reduce(b, OP_RMAX, b_reduce(b, OP_RMAX, val, 1u << 4, false), 1u << 3, false);
  else r = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, val, (1u << 3) | (1u << 4), false), b_scalar(b, DT_F32, (double)(S > 1 ? S : 1)));
  out[0] = b_reshape(b, b_cast(b, r, x->dt), 4, (int64_t[]){R, C, OH, OW});
  return out[0] ? 0 : -1;
}

int d_roialign(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *rois = in[1], *bi = in[2];
  int64_t OH = d_int(b, "output_height", 1), OW = d_int(b, "output_width", 1), sr = d_int(b, "sampling_ratio", 0);
  double scale = d_float(b, "spatial_scale", 1.0);
  const char *mode = d_str(b, "mode", "avg");
  bool half = !strcmp(d_str(b, "coordinate_transformation_mode", m_opset(b) >= 16 ? "half_pixel" : "output_half_pixel"),
                      "half_pixel");
  bool mx = !strcmp(mode, "max");
  if (x->rank != 4 || rois->rank != 2 || rois->shape[1] != 4 || bi->rank != 1 || bi->shape[0] != rois->shape[0] ||
      OH < 1 || OW < 1 || (!mx && strcmp(mode, "avg")) || !m_isf(x) || !m_isf(rois)) {
    diag_error(b->d, b->loc, "RoiAlign: input %s, rois %s, batch_indices or attributes do not fit",
               shape_str(b->p->a, x->rank, x->shape), shape_str(b->p->a, rois->rank, rois->shape));
    return -1;
  }
  if (!b_is_const(rois) || !b_is_const(bi)) {
    if (sr < 1) {
      diag_error(b->d, b->loc, "unsupported: RoiAlign boxes computed at run time with sampling_ratio 0 (their sizes set "
                               "the sample grid; use --freeze)");
      return -1;
    }
    return roialign_runtime(b, x, rois, bi, OH, OW, sr, scale, half, mx, out);
  }
  int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], R = rois->shape[0], S = 1;
  /* each box once: start, size, bin size and sample grid */
  double *box = arena_alloc(b->p->a, sizeof(double) * 4 * (size_t)(R ? R : 1)); /* sh sw bh bw per box */
  int64_t *gh = arena_alloc(b->p->a, sizeof(int64_t) * 2 * (size_t)(R ? R : 1)), *gw = gh + R;
  if (!box || !gh) return -1;
  for (int64_t r = 0; r < R; r++) {
    double off = half ? 0.5 : 0, *bx = box + 4 * r;
    double sw = raw_get_f(rois->dt, rois->cdata, r * 4 + 0) * scale - off, sh = raw_get_f(rois->dt, rois->cdata, r * 4 + 1) * scale - off;
    double ew = raw_get_f(rois->dt, rois->cdata, r * 4 + 2) * scale - off, eh = raw_get_f(rois->dt, rois->cdata, r * 4 + 3) * scale - off;
    double rw = ew - sw, rh = eh - sh;
    if (!half) rh = rh > 1 ? rh : 1, rw = rw > 1 ? rw : 1;
    bx[0] = sh, bx[1] = sw, bx[2] = rh / (double)OH, bx[3] = rw / (double)OW;
    gh[r] = sr > 0 ? sr : (int64_t)ceil(rh / (double)OH);
    gw[r] = sr > 0 ? sr : (int64_t)ceil(rw / (double)OW);
    if (gh[r] < 0) gh[r] = 0;
    if (gw[r] < 0) gw[r] = 0;
    if (gh[r] * gw[r] > S) S = gh[r] * gw[r];
  }
  int64_t K = OH * OW * S * 4, tot = R * K;
  if (tot > ((int64_t)1 << 22)) {
    diag_error(b->d, b->loc, "unsupported: RoiAlign with %lld samples", (long long)tot);
    return -1;
  }
  int64_t *pos = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)tot);
  float *wt = arena_alloc(b->p->a, sizeof(float) * (size_t)tot), *cnt = arena_alloc(b->p->a, sizeof(float) * (size_t)R);
  uint8_t *valid = arena_alloc(b->p->a, (size_t)(R * OH * OW * S));
  int64_t *bix = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)R);
  if (!pos || !wt || !cnt || !valid || !bix) return -1;
  for (int64_t r = 0; r < R; r++) {
    double sh = box[4 * r], sw = box[4 * r + 1], bh = box[4 * r + 2], bw = box[4 * r + 3];
    bix[r] = raw_get_i(bi->dt, bi->cdata, r);
    if (bix[r] < 0 || bix[r] >= N) {
      diag_error(b->d, b->loc, "RoiAlign: batch index %lld out of range", (long long)bix[r]);
      return -1;
    }
    cnt[r] = (float)(gh[r] * gw[r] > 1 ? gh[r] * gw[r] : 1);
    for (int64_t ph = 0; ph < OH; ph++)
      for (int64_t pw = 0; pw < OW; pw++)
        for (int64_t s = 0; s < S; s++) {
          int64_t cell = ((r * OH + ph) * OW + pw) * S + s, iy = gw[r] ? s / gw[r] : 0, ix = gw[r] ? s % gw[r] : 0;
          int64_t *p4 = pos + cell * 4;
          float *w4 = wt + cell * 4;
          for (int k = 0; k < 4; k++) p4[k] = 0, w4[k] = 0;
          valid[cell] = s < gh[r] * gw[r];
          if (!valid[cell]) continue;
          double y = sh + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh[r];
          double xx = sw + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw[r];
          if (y < -1.0 || y > (double)H || xx < -1.0 || xx > (double)W) continue;
          y = y > 0 ? y : 0;
          xx = xx > 0 ? xx : 0;
          int64_t yl = (int64_t)y, xl = (int64_t)xx, yh, xh;
          if (yl >= H - 1) yh = yl = H - 1, y = (double)yl;
          else yh = yl + 1;
          if (xl >= W - 1) xh = xl = W - 1, xx = (double)xl;
          else xh = xl + 1;
          double ly = y - (double)yl, lx = xx - (double)xl, hy = 1 - ly, hx = 1 - lx;
          p4[0] = yl * W + xl, p4[1] = yl * W + xh, p4[2] = yh * W + xl, p4[3] = yh * W + xh;
          w4[0] = (float)(hy * hx), w4[1] = (float)(hy * lx), w4[2] = (float)(ly * hx), w4[3] = (float)(ly * lx);
        }
  }
  Value *xb = b_gather(b, b_reshape(b, x, 3, (int64_t[]){N, C, H * W}), b_const(b, DT_I64, 1, &R, bix), 0); /* [R, C, HW] */
  Value *ix = b_expand(b, b_const(b, DT_I64, 3, (int64_t[]){R, 1, K}, pos), 3, (int64_t[]){R, C, K});
  Value *v = b_binary(b, OP_MUL, b_cast(b, b_gatherelem(b, xb, ix, 2), DT_F32), b_const(b, DT_F32, 3, (int64_t[]){R, 1, K}, wt));
  v = b_reshape(b, v, 5, (int64_t[]){R, C, OH * OW, S, 4});
  Value *y;
  if (mx) {
    Value *m = b_reduce(b, OP_RMAX, v, 1u << 4, false); /* [R, C, OHW, S] */
    Value *ok = b_const(b, DT_BOOL, 4, (int64_t[]){R, 1, OH * OW, S}, valid);
    y = b_reduce(b, OP_RMAX, b_where(b, ok, m, b_scalar(b, DT_F32, -INFINITY)), 1u << 3, false);
    y = b_where(b, b_binary(b, OP_CMPEQ, y, b_scalar(b, DT_F32, -INFINITY)), b_scalar(b, DT_F32, 0), y);
  } else {
    y = b_reduce(b, OP_RSUM, v, (1u << 3) | (1u << 4), false);
    y = b_binary(b, OP_DIV, y, b_const(b, DT_F32, 3, (int64_t[]){R, 1, 1}, cnt));
  }
  out[0] = b_reshape(b, b_cast(b, y, x->dt), 4, (int64_t[]){R, C, OH, OW});
  return out[0] ? 0 : -1;
}

/* -------------------------------------------------------------- DeformConv */
/* bilinear samples of X at the offset kernel taps (zeros outside), times the
 * mask, gathered into columns [N, C*K, OH*OW], then a grouped MATMUL */
int d_deformconv(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *w = in[1], *off = in[2], *bias = nin > 3 ? in[3] : NULL, *mask = nin > 4 ? in[4] : NULL;
  int64_t G = d_int(b, "group", 1), OG = d_int(b, "offset_group", 1), st[2] = {1, 1}, dl[2] = {1, 1}, pd[4] = {0}, v[4];
  if (x->rank != 4 || w->rank != 4 || off->rank != 4 || G < 1 || OG < 1 || x->shape[1] != w->shape[1] * G ||
      w->shape[0] % G || x->shape[1] % OG || !m_isf(x)) {
    diag_error(b->d, b->loc, "unsupported: DeformConv other than 2-D, or shapes that do not fit");
    return -1;
  }
  if (d_ints(b, "strides", v, 2) == 2) st[0] = v[0], st[1] = v[1];
  if (d_ints(b, "dilations", v, 2) == 2) dl[0] = v[0], dl[1] = v[1];
  if (d_ints(b, "pads", v, 4) == 4) pd[0] = v[0], pd[1] = v[1], pd[2] = v[2], pd[3] = v[3];
  int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], M = w->shape[0];
  int64_t kh = w->shape[2], kw = w->shape[3], K = kh * kw, OH = off->shape[2], OW = off->shape[3], P = OH * OW;
  if (off->shape[1] != OG * K * 2 || off->shape[0] != N || (mask && (mask->shape[1] != OG * K || mask->rank != 4))) {
    diag_error(b->d, b->loc, "DeformConv: offset %s does not fit offset_group %lld and a %lldx%lld kernel",
               shape_str(b->p->a, off->rank, off->shape), (long long)OG, (long long)kh, (long long)kw);
    return -1;
  }
  /* tap coordinates [N, OG, K, P] */
  float *by = arena_alloc(b->p->a, sizeof(float) * (size_t)(K * P)), *bx = arena_alloc(b->p->a, sizeof(float) * (size_t)(K * P));
  if (!by || !bx) return -1;
  for (int64_t k = 0; k < K; k++)
    for (int64_t p = 0; p < P; p++) {
      by[k * P + p] = (float)(-pd[0] + st[0] * (p / OW) + (k / kw) * dl[0]);
      bx[k * P + p] = (float)(-pd[1] + st[1] * (p % OW) + (k % kw) * dl[1]);
    }
  Value *o5 = b_cast(b, b_reshape(b, off, 5, (int64_t[]){N, OG, K, 2, P}), DT_F32);
  int64_t s0[5] = {0}, s1[5] = {1, 1, 1, 1, 1}, sh[5] = {N, OG, K, 1, P};
  Value *oy = b_reshape(b, b_slice(b, o5, s0, s1, sh), 4, (int64_t[]){N, OG, K, P});
  s0[3] = 1;
  Value *ox = b_reshape(b, b_slice(b, o5, s0, s1, sh), 4, (int64_t[]){N, OG, K, P});
  Value *y = b_binary(b, OP_ADD, oy, b_const(b, DT_F32, 2, (int64_t[]){K, P}, by));
  Value *xx = b_binary(b, OP_ADD, ox, b_const(b, DT_F32, 2, (int64_t[]){K, P}, bx));
  Value *y0 = b_unary(b, OP_FLOOR, y), *x0 = b_unary(b, OP_FLOOR, xx);
  Value *ly = b_binary(b, OP_SUB, y, y0), *lx = b_binary(b, OP_SUB, xx, x0), *one = b_scalar(b, DT_F32, 1);
  Value *pos[4], *wt[4];
  for (int c = 0; c < 4; c++) {
    int dy = c / 2, dx = c % 2;
    Value *yy = b_cast(b, dy ? b_binary(b, OP_ADD, y0, one) : y0, DT_I64);
    Value *xi = b_cast(b, dx ? b_binary(b, OP_ADD, x0, one) : x0, DT_I64);
    Value *wy = dy ? ly : b_binary(b, OP_SUB, one, ly), *wx = dx ? lx : b_binary(b, OP_SUB, one, lx);
    Value *ok = b_binary(b, OP_AND,
                         b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 0), yy), b_binary(b, OP_CMPLT, yy, b_scalar(b, DT_I64, (double)H))),
                         b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 0), xi), b_binary(b, OP_CMPLT, xi, b_scalar(b, DT_I64, (double)W))));
    Value *cy = b_binary(b, OP_MIN, b_binary(b, OP_MAX, yy, b_scalar(b, DT_I64, 0)), b_scalar(b, DT_I64, (double)(H - 1)));
    Value *cx = b_binary(b, OP_MIN, b_binary(b, OP_MAX, xi, b_scalar(b, DT_I64, 0)), b_scalar(b, DT_I64, (double)(W - 1)));
    pos[c] = m_unsq(b, b_binary(b, OP_ADD, b_binary(b, OP_MUL, cy, b_scalar(b, DT_I64, (double)W)), cx), 3);
    wt[c] = m_unsq(b, b_where(b, ok, b_binary(b, OP_MUL, wy, wx), b_scalar(b, DT_F32, 0)), 3);
  }
  Value *pos4 = b_concat(b, 4, pos, 3), *w4 = b_concat(b, 4, wt, 3); /* [N, OG, K, 4, P] */
  if (mask) w4 = b_binary(b, OP_MUL, w4, m_unsq(b, b_cast(b, b_reshape(b, mask, 4, (int64_t[]){N, OG, K, P}), DT_F32), 3));
  if (!pos4 || !w4) return -1;
  int64_t Cg = C / OG;
  Value *xf = b_cast(b, b_reshape(b, x, 3, (int64_t[]){N, C, H * W}), DT_F32), *cols[64];
  if (OG > 64) return -1;
  for (int64_t g = 0; g < OG; g++) {
    int64_t a0[5] = {0, g, 0, 0, 0}, a1[5] = {1, 1, 1, 1, 1}, a2[5] = {N, 1, K, 4, P};
    Value *pg = b_reshape(b, b_slice(b, pos4, a0, a1, a2), 3, (int64_t[]){N, 1, K * 4 * P});
    Value *wg = b_reshape(b, b_slice(b, w4, a0, a1, a2), 5, (int64_t[]){N, 1, K, 4, P});
    Value *xg = b_slice(b, xf, (int64_t[]){0, g * Cg, 0}, (int64_t[]){1, 1, 1}, (int64_t[]){N, Cg, H * W});
    Value *sm = b_gatherelem(b, xg, b_expand(b, pg, 3, (int64_t[]){N, Cg, K * 4 * P}), 2);
    sm = b_binary(b, OP_MUL, b_reshape(b, sm, 5, (int64_t[]){N, Cg, K, 4, P}), wg);
    cols[g] = b_reduce(b, OP_RSUM, sm, 1u << 3, false); /* [N, Cg, K, P] */
    if (!cols[g]) return -1;
  }
  Value *col = b_concat(b, (int)OG, cols, 1); /* [N, C, K, P] */
  int64_t icg = C / G, ocg = M / G;
  col = b_reshape(b, col, 4, (int64_t[]){N, G, icg * K, P});
  Value *wm = b_cast(b, b_reshape(b, w, 3, (int64_t[]){G, ocg, icg * K}), DT_F32);
  Value *r = b_reshape(b, b_matmul(b, wm, col), 4, (int64_t[]){N, M, OH, OW}); /* [N, G, ocg, P] */
  if (bias) r = b_binary(b, OP_ADD, r, b_reshape(b, b_cast(b, bias, DT_F32), 3, (int64_t[]){M, 1, 1}));
  out[0] = b_cast(b, r, x->dt);
  return out[0] ? 0 : -1;
}
