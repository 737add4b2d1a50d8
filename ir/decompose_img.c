/* decompose_img.c: spatial and signal operators of ai.onnx: Resize /
 * Upsample, ConvTranspose, DFT. Registered in d_more_ops
 * (decompose_more.c).
 *
 * Resize is separable: per resized axis, a build-time matrix W[out][in]
 * holds the interpolation weights the ONNX reference would use (nearest,
 * linear, cubic, antialiased, exclude_outside, every coordinate transform),
 * and the axis is contracted with MATMUL (or gathered, when every row picks
 * one input). With scales or roi given at run time, the same coordinates,
 * taps and weights are computed by primitives from the run-time values
 * (apply_axis_rt), for the output shape the model declares. A DFT axis or
 * length given at run time builds one DFT per value that fits. DFT is a MATMUL by cos/sin matrices. ConvTranspose is a CONV
 * over the zero-stuffed input with the flipped, transposed kernel. */
#include "decompose_more.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

/* ------------------------------------------------------------------ Resize */
typedef enum { RM_NEAREST, RM_LINEAR, RM_CUBIC } RMode;

typedef struct {
  RMode mode;
  const char *ctm, *nearest;
  double a;        /* cubic coefficient */
  bool exclude, antialias;
} RSpec;

/* interpolation coefficients for the fractional offset `ratio` in (0, 1] */
static int coeffs(const RSpec *s, double ratio, double scale, double *c) {
  int n = 0;
  if (s->mode == RM_NEAREST) {
    bool up;
    if (ratio == floor(ratio)) up = true;
    else if (!strcmp(s->nearest, "round_prefer_ceil")) up = ratio >= 0.5;
    else if (!strcmp(s->nearest, "floor")) up = false;
    else if (!strcmp(s->nearest, "ceil")) up = true;
    else up = ratio > 0.5; /* round_prefer_floor */
    c[0] = !up;
    c[1] = up;
    return 2;
  }
  if (s->mode == RM_LINEAR && !s->antialias) {
    c[0] = 1 - ratio;
    c[1] = ratio;
    return 2;
  }
  if (s->mode == RM_LINEAR) {
    double sc = scale < 1 ? scale : 1, sum = 0;
    int start = (int)floor(-1 / sc) + 1, fp = 2 - 2 * start;
    for (int i = 0; i < fp && n < 64; i++) {
      double v = 1 - fabs(((double)(start + i) - ratio) * sc);
      c[n++] = v < 0 ? 0 : v > 1 ? 1 : v;
      sum += c[n - 1];
    }
    for (int i = 0; i < n; i++) c[i] /= sum;
    return n;
  }
  double A = s->a;
  if (!s->antialias) {
    double r1 = ratio + 1, q = 1 - ratio, q1 = q + 1;
    c[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
    c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
    c[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
    c[3] = ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A;
    return 4;
  }
  double sc = scale < 1 ? scale : 1, sum = 0;
  int is = (int)floor(-2 / sc) + 1, ie = 2 - is;
  for (int i = is; i < ie && n < 64; i++) {
    double x = fabs(sc * ((double)i - ratio)), x2 = x * x, x3 = x2 * x, v;
    if (x <= 1) v = (A + 2) * x3 - (A + 3) * x2 + 1;
    else if (x < 2) v = A * x3 - 5 * A * x2 + 8 * A * x - 4 * A;
    else v = 0;
    c[n++] = v;
    sum += v;
  }
  for (int i = 0; i < n; i++) c[i] /= sum;
  return n;
}

/* W[out][in] of one axis and the rows that extrapolate (tf_crop_and_resize) */
static int axis_weights(B *b, const RSpec *s, int64_t in, int64_t out, double scale, double r0, double r1,
                        double *W, bool *ext) {
  double ow = scale * (double)in;
  for (int64_t y = 0; y < out; y++) {
    double x, yd = (double)y;
    const char *m = s->ctm;
    ext[y] = false;
    if (!strcmp(m, "align_corners")) x = ow == 1 ? 0 : yd * (double)(in - 1) / (ow - 1);
    else if (!strcmp(m, "asymmetric")) x = yd / scale;
    else if (!strcmp(m, "tf_crop_and_resize")) {
      x = ow == 1 ? (r1 - r0) * (double)(in - 1) / 2 : yd * (r1 - r0) * (double)(in - 1) / (ow - 1);
      x += r0 * (double)(in - 1);
      ext[y] = x < 0 || x > (double)(in - 1);
    } else if (!strcmp(m, "pytorch_half_pixel")) x = ow == 1 ? -0.5 : (yd + 0.5) / scale - 0.5;
    else if (!strcmp(m, "half_pixel")) x = (yd + 0.5) / scale - 0.5;
    else if (!strcmp(m, "half_pixel_symmetric")) {
      double adj = (double)out / ow, center = (double)in / 2;
      x = center * (1 - adj) + (yd + 0.5) / scale - 0.5;
    } else {
      diag_error(b->d, d_attr_loc(b, "coordinate_transformation_mode"), "Resize: unknown coordinate_transformation_mode '%s'", m);
      return -1;
    }
    double *row = W + y * in;
    for (int64_t i = 0; i < in; i++) row[i] = 0;
    if (ext[y]) continue;
    double xf = floor(x), ratio = x == xf ? 1 : x - xf, c[64];
    int n = coeffs(s, ratio, scale, c);
    /* the n positions nearest to x in the edge-padded axis, ties to the
     * smaller one, as the reference picks them */
    int64_t pw = (n + 1) / 2, len = in + 2 * pw, idx[64];
    double xp = x + (double)pw;
    int64_t lo = (int64_t)floor(xp) - n, k = 0;
    int64_t cand[160];
    int nc = 0;
    for (int64_t j = lo; j <= lo + 2 * n + 1 && nc < 160; j++)
      if (j >= 0 && j < len) cand[nc++] = j;
    for (int t = 0; t < n && t < nc; t++) { /* selection by (distance, index) */
      int best = -1;
      for (int q = 0; q < nc; q++) {
        if (cand[q] < 0) continue;
        if (best < 0 || fabs(xp - (double)cand[q]) < fabs(xp - (double)cand[best])) best = q;
      }
      idx[k++] = cand[best];
      cand[best] = -1;
    }
    for (int t = 1; t < k; t++) /* ascending */
      for (int q = t; q > 0 && idx[q - 1] > idx[q]; q--) {
        int64_t tmp = idx[q];
        idx[q] = idx[q - 1];
        idx[q - 1] = tmp;
      }
    if (s->exclude) {
      double sum = 0;
      for (int t = 0; t < k; t++) {
        int64_t o = idx[t] - pw;
        if (o < 0 || o >= in) c[t] = 0;
        sum += c[t];
      }
      for (int t = 0; t < k && sum != 0; t++) c[t] /= sum;
    }
    for (int t = 0; t < k; t++) {
      int64_t o = idx[t] - pw;
      o = o < 0 ? 0 : o >= in ? in - 1 : o;
      row[o] += c[t];
    }
  }
  return 0;
}

/* y = contraction of x's `axis` with W (out x in); extrapolated rows -> fill */
static Value *apply_axis(B *b, Value *x, int axis, int64_t out, const double *W, const bool *ext, double fill) {
  int64_t in = x->shape[axis];
  Arena *A = b->p->a;
  bool onehot = true, anyext = false;
  int64_t *pick = arena_alloc(A, sizeof(int64_t) * (size_t)(out + 1));
  if (!pick) return NULL;
  for (int64_t y = 0; y < out; y++) {
    int nz = 0;
    anyext |= ext[y];
    for (int64_t i = 0; i < in; i++)
      if (W[y * in + i] != 0) {
        nz++;
        pick[y] = i;
        onehot &= W[y * in + i] == 1;
      }
    onehot &= nz == 1;
  }
  if (onehot && !anyext) return b_gather(b, x, b_const(b, DT_I64, 1, &out, pick), axis);
  if (!m_isf(x)) {
    diag_error(b->d, b->loc, "unsupported: Resize interpolating %s data", dtype_info[x->dt].name);
    return NULL;
  }
  void *wd = arena_alloc(A, (size_t)(in * out + 1) * (size_t)dtype_info[x->dt].size);
  void *ed = arena_alloc(A, (size_t)(out + 1) * (size_t)dtype_info[x->dt].size);
  if (!wd || !ed) return NULL;
  for (int64_t i = 0; i < in; i++)
    for (int64_t y = 0; y < out; y++) raw_set_f(x->dt, wd, i * out + y, W[y * in + i]);
  for (int64_t y = 0; y < out; y++) raw_set_f(x->dt, ed, y, ext[y] ? fill : 0);
  Value *wt = b_const(b, x->dt, 2, (int64_t[]){in, out}, wd);
  Value *xl = m_axis_last(b, x, axis, false);
  Value *y = b_matmul(b, xl, wt);
  if (anyext) y = b_binary(b, OP_ADD, y, b_const(b, x->dt, 1, &out, ed));
  return m_axis_last(b, y, axis, true);
}

/* taps of the antialiased filters for the scale sc (coeffs' loop bounds) */
static int aa_taps(const RSpec *s, double sc) {
  sc = sc < 1 ? sc : 1;
  int start = s->mode == RM_LINEAR ? (int)floor(-1 / sc) + 1 : (int)floor(-2 / sc) + 1;
  return 2 - 2 * start;
}

/* One axis resized with its scale or roi given at run time (scale, r0, r1:
 * f64 scalars, constant or not): axis_weights' coordinates, taps and weights
 * computed with primitives. As the reference picks them, the n taps of a
 * row are the n integers nearest to xp = x + n/2 (ties to the smaller) in
 * the axis edge-padded by n/2, i.e. bt+1-n/2 .. bt+n/2 with bt = ceil(xp)-1-n/2
 * in the axis itself (xp rounded as the reference rounds it: bt is not always
 * ceil(x)-1), as long as xp lies in (n/2-1, in+n/2]: a run-time check. The
 * weights come from x's fraction. sclo: the smallest scale the checks allow
 * (bounds the antialiased taps; the taps beyond the scale's own n get weight
 * 0, and n/2 is the scale's own, computed at run time). */
static Value *apply_axis_rt(B *b, const RSpec *s, Value *x, int axis, int64_t out, Value *scale, double sclo,
                            Value *r0, Value *r1, double fill) {
  const DType F = DT_F64;
  int64_t in = x->shape[axis];
  const char *m = s->ctm;
#define C(v) b_scalar(b, F, (v))
  Value *y = b_iota(b, F, 1, &out, 0, 0, 1), *ow = b_binary(b, OP_MUL, scale, C((double)in)), *xo, *ext = NULL;
  Value *ow1 = b_binary(b, OP_CMPEQ, ow, C(1));
  Value *hp = b_binary(b, OP_SUB, b_binary(b, OP_DIV, b_binary(b, OP_ADD, y, C(0.5)), scale), C(0.5));
  if (!strcmp(m, "align_corners")) {
    Value *den = b_where(b, ow1, C(1), b_binary(b, OP_SUB, ow, C(1)));
    xo = b_where(b, ow1, C(0), b_binary(b, OP_DIV, b_binary(b, OP_MUL, y, C((double)(in - 1))), den));
  } else if (!strcmp(m, "asymmetric")) xo = b_binary(b, OP_DIV, y, scale);
  else if (!strcmp(m, "tf_crop_and_resize")) {
    Value *d = b_binary(b, OP_SUB, r1, r0), *lo = b_binary(b, OP_MUL, r0, C((double)(in - 1)));
    Value *den = b_where(b, ow1, C(1), b_binary(b, OP_SUB, ow, C(1)));
    Value *one = b_binary(b, OP_DIV, b_binary(b, OP_MUL, d, C((double)(in - 1))), C(2));
    Value *many = b_binary(b, OP_DIV, b_binary(b, OP_MUL, b_binary(b, OP_MUL, y, d), C((double)(in - 1))), den);
    xo = b_binary(b, OP_ADD, b_where(b, ow1, one, many), lo);
    ext = b_binary(b, OP_OR, b_binary(b, OP_CMPLT, xo, C(0)), b_binary(b, OP_CMPLT, C((double)(in - 1)), xo));
  } else if (!strcmp(m, "pytorch_half_pixel")) xo = b_where(b, ow1, C(-0.5), hp);
  else if (!strcmp(m, "half_pixel")) xo = hp;
  else if (!strcmp(m, "half_pixel_symmetric")) {
    Value *adj = b_binary(b, OP_DIV, C((double)out), ow), *yh = b_binary(b, OP_ADD, y, C(0.5));
    Value *off = b_binary(b, OP_MUL, C((double)in / 2), b_binary(b, OP_SUB, C(1), adj));
    xo = b_binary(b, OP_SUB, b_binary(b, OP_ADD, off, b_binary(b, OP_DIV, yh, scale)), C(0.5));
  } else {
    diag_error(b->d, d_attr_loc(b, "coordinate_transformation_mode"), "Resize: unknown coordinate_transformation_mode '%s'", m);
    return NULL;
  }
  int n = s->mode == RM_CUBIC ? 4 : 2;
  Value *sc = s->antialias ? b_binary(b, OP_MIN, scale, C(1)) : NULL, *pw = C(n / 2);
  if (s->antialias) { /* n = 2 - 2*(floor(-k/sc) + 1): n/2 = -floor(-k/sc) */
    n = aa_taps(s, sclo);
    pw = b_unary(b, OP_NEG, b_unary(b, OP_FLOOR, b_binary(b, OP_DIV, C(s->mode == RM_LINEAR ? -1 : -2), sc)));
  }
  if (n > 64) {
    diag_error(b->d, b->loc, "unsupported: Resize antialiasing over more than 64 taps with the scale given at run time");
    return NULL;
  }
  Value *xp = b_binary(b, OP_ADD, xo, pw);
  Value *inr = b_binary(b, OP_AND, b_binary(b, OP_CMPLT, b_binary(b, OP_SUB, pw, C(1)), xp),
                        b_binary(b, OP_CMPLE, xp, b_binary(b, OP_ADD, pw, C((double)in))));
  if (ext) inr = b_binary(b, OP_OR, inr, ext);
  if (b_check(b, inr, "the coordinates of the resized axis lie in the input")) return NULL;
  Value *base = b_binary(b, OP_SUB, b_unary(b, OP_CEIL, xo), C(1)), *ratio = b_binary(b, OP_SUB, xo, base);
  base = b_binary(b, OP_SUB, b_binary(b, OP_SUB, b_unary(b, OP_CEIL, xp), C(1)), pw); /* the taps' */
  int64_t ms[MAX_RANK]; /* [out] mask shape on x's axes */
  for (int i = 0; i < x->rank; i++) ms[i] = i == axis ? out : 1;
  if (s->mode == RM_NEAREST) {
    const char *nm = s->nearest;
    Value *up = !strcmp(nm, "round_prefer_ceil") ? b_binary(b, OP_CMPLE, C(0.5), ratio)
                : !strcmp(nm, "floor")           ? b_binary(b, OP_CMPEQ, ratio, C(2))
                : !strcmp(nm, "ceil")            ? b_binary(b, OP_CMPEQ, ratio, ratio)
                                                 : b_binary(b, OP_CMPLT, C(0.5), ratio);
    up = b_binary(b, OP_OR, up, b_binary(b, OP_CMPEQ, ratio, C(1)));
    Value *pos = b_binary(b, OP_ADD, base, b_cast(b, up, F));
    Value *g = b_gather(b, x, b_index(b, pos, in), axis);
    if (s->exclude) {
      Value *outside = b_binary(b, OP_OR, b_binary(b, OP_CMPLT, pos, C(0)), b_binary(b, OP_CMPLT, C((double)(in - 1)), pos));
      g = b_where(b, b_reshape(b, outside, x->rank, ms), m_sc(b, x, 0), g);
    }
    if (ext) g = b_where(b, b_reshape(b, ext, x->rank, ms), m_sc(b, x, fill), g);
    return g;
  }
  if (!m_isf(x)) {
    diag_error(b->d, b->loc, "unsupported: Resize interpolating %s data", dtype_info[x->dt].name);
    return NULL;
  }
  int start = 1 - n / 2;
  Value *c[64], *sum = NULL;
  double A = s->a;
  for (int t = 0; t < n; t++) {
    if (s->mode == RM_LINEAR && !s->antialias) c[t] = t ? ratio : b_binary(b, OP_SUB, C(1), ratio);
    else if (s->mode == RM_LINEAR) {
      Value *d = b_binary(b, OP_MUL, b_binary(b, OP_SUB, C(start + t), ratio), sc);
      c[t] = b_clamp(b, b_binary(b, OP_SUB, C(1), b_unary(b, OP_ABS, d)), 0, 1);
    } else if (!s->antialias) {
      /* t = 0, 3: the outer lobe at distance r1 = ratio+1 or q1 = 2-ratio; t = 1, 2: the inner at ratio or 1-ratio */
      Value *u = t == 0 ? b_binary(b, OP_ADD, ratio, C(1)) : t == 1 ? ratio
                 : t == 2 ? b_binary(b, OP_SUB, C(1), ratio) : b_binary(b, OP_ADD, b_binary(b, OP_SUB, C(1), ratio), C(1));
      if (t == 0 || t == 3) {
        Value *v = b_binary(b, OP_SUB, b_binary(b, OP_MUL, C(A), u), C(5 * A));
        v = b_binary(b, OP_ADD, b_binary(b, OP_MUL, v, u), C(8 * A));
        c[t] = b_binary(b, OP_SUB, b_binary(b, OP_MUL, v, u), C(4 * A));
      } else {
        Value *v = b_binary(b, OP_SUB, b_binary(b, OP_MUL, C(A + 2), u), C(A + 3));
        c[t] = b_binary(b, OP_ADD, b_binary(b, OP_MUL, b_binary(b, OP_MUL, v, u), u), C(1));
      }
    } else {
      Value *xx = b_unary(b, OP_ABS, b_binary(b, OP_MUL, sc, b_binary(b, OP_SUB, C(start + t), ratio)));
      Value *x2 = b_binary(b, OP_MUL, xx, xx), *x3 = b_binary(b, OP_MUL, x2, xx);
      Value *p1 = b_binary(b, OP_ADD, b_binary(b, OP_SUB, b_binary(b, OP_MUL, C(A + 2), x3), b_binary(b, OP_MUL, C(A + 3), x2)), C(1));
      Value *p2 = b_binary(b, OP_SUB, b_binary(b, OP_MUL, C(A), x3), b_binary(b, OP_MUL, C(5 * A), x2));
      p2 = b_binary(b, OP_SUB, b_binary(b, OP_ADD, p2, b_binary(b, OP_MUL, C(8 * A), xx)), C(4 * A));
      c[t] = b_where(b, b_binary(b, OP_CMPLE, xx, C(1)), p1, b_where(b, b_binary(b, OP_CMPLT, xx, C(2)), p2, C(0)));
    }
    if (s->antialias) sum = sum ? b_binary(b, OP_ADD, sum, c[t]) : c[t];
  }
  if (s->antialias)
    for (int t = 0; t < n; t++) c[t] = b_binary(b, OP_DIV, c[t], sum);
  Value *o[64];
  for (int t = 0; t < n; t++) o[t] = b_binary(b, OP_ADD, base, C(start + t));
  if (s->exclude) {
    sum = NULL;
    for (int t = 0; t < n; t++) {
      Value *inside = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, C(0), o[t]), b_binary(b, OP_CMPLE, o[t], C((double)(in - 1))));
      c[t] = b_where(b, inside, c[t], C(0));
      sum = sum ? b_binary(b, OP_ADD, sum, c[t]) : c[t];
    }
    Value *den = b_where(b, b_binary(b, OP_CMPEQ, sum, C(0)), C(1), sum);
    for (int t = 0; t < n; t++) c[t] = b_binary(b, OP_DIV, c[t], den);
  }
  /* W[in][out] = sum over the taps of c_t where the clamped tap is the input position */
  Value *W = NULL, *iv = b_iota(b, F, 2, (int64_t[]){in, 1}, 0, 0, 1);
  for (int t = 0; t < n; t++) {
    Value *ct = ext ? b_where(b, ext, C(0), c[t]) : c[t];
    Value *oc = b_reshape(b, b_clamp(b, o[t], 0, (double)(in - 1)), 2, (int64_t[]){1, out});
    Value *term = b_where(b, b_binary(b, OP_CMPEQ, iv, oc), b_reshape(b, ct, 2, (int64_t[]){1, out}), C(0));
    W = W ? b_binary(b, OP_ADD, W, term) : term;
  }
  Value *r = b_matmul(b, m_axis_last(b, x, axis, false), b_cast(b, W, x->dt));
  if (ext && fill != 0) r = b_binary(b, OP_ADD, r, b_cast(b, b_where(b, ext, C(fill), C(0)), x->dt));
#undef C
  return m_axis_last(b, r, axis, true);
}

static int resize(B *b, Value *x, Value *roi, Value *scales, Value *sizes, bool legacy, Value **out) {
  int r = x->rank, opset = m_opset(b);
  RSpec s = {.ctm = legacy ? "asymmetric" : d_str(b, "coordinate_transformation_mode", "half_pixel"),
             .nearest = legacy ? "floor" : d_str(b, "nearest_mode", "round_prefer_floor"),
             .a = d_float(b, "cubic_coeff_a", -0.75),
             .exclude = d_int(b, "exclude_outside", 0) != 0,
             .antialias = d_int(b, "antialias", 0) != 0};
  const char *mode = d_str(b, "mode", "nearest");
  s.mode = !strcmp(mode, "nearest") ? RM_NEAREST : !strcmp(mode, "linear") ? RM_LINEAR
           : !strcmp(mode, "cubic") && !legacy                             ? RM_CUBIC
                                                                            : (RMode)-1;
  if ((int)s.mode < 0) {
    diag_error(b->d, d_attr_loc(b, "mode"), "%s: unknown mode '%s'", b->n->op, mode);
    return -1;
  }
  (void)opset;
  int64_t ax[MAX_RANK];
  int na = d_ints(b, "axes", ax, MAX_RANK);
  if (na == -2) return -1;
  if (na < 0) {
    na = r;
    for (int i = 0; i < r; i++) ax[i] = i;
  }
  for (int i = 0; i < na; i++)
    if ((ax[i] = b_axis(b, ax[i], r, "Resize axis")) < 0) return -1;
  double sc[MAX_RANK], rlo[MAX_RANK], rhi[MAX_RANK];
  int64_t os[MAX_RANK];
  for (int i = 0; i < r; i++) sc[i] = 1, os[i] = x->shape[i], rlo[i] = 0, rhi[i] = 1;
  Value *rsc[MAX_RANK] = {0}, *rr0[MAX_RANK] = {0}, *rr1[MAX_RANK] = {0}; /* given at run time */
  double sclo[MAX_RANK];
  int64_t D[MAX_RANK];
  bool rts = (sizes && b_numel(sizes) > 0 && !b_is_const(sizes)) ||
             (!(sizes && b_numel(sizes) > 0) && scales && b_numel(scales) > 0 && !b_is_const(scales));
  if (rts) { /* built for the declared output shape */
    if (!b_declared_for(b, 0, r, D, sizes && b_numel(sizes) > 0 ? "Resize sizes" : "Resize scales")) return -1;
    for (int i = 0; i < r; i++) {
      bool on = false;
      for (int k = 0; k < na; k++) on |= ax[k] == i;
      if (!on && D[i] != x->shape[i]) {
        diag_error(b->d, b->loc, "Resize: the declared output shape %s changes axis %d, which is not resized",
                   shape_str(b->p->a, r, D), i);
        return -1;
      }
    }
  }
  if (sizes && b_numel(sizes) > 0 && rts) {
    if (b_numel(sizes) != na || m_isf(sizes) || sizes->dt == DT_BOOL || sizes->dt == DT_STRING) {
      diag_error(b->d, b->loc, "Resize: sizes must be %d integers", na);
      return -1;
    }
    for (int i = 0; i < na; i++) os[ax[i]] = D[ax[i]], sc[ax[i]] = (double)D[ax[i]] / (double)x->shape[ax[i]];
    const char *pol = d_str(b, "keep_aspect_ratio_policy", "stretch");
    bool larger = !strcmp(pol, "not_smaller");
    if (strcmp(pol, "stretch") && !larger && strcmp(pol, "not_larger")) {
      diag_error(b->d, d_attr_loc(b, "keep_aspect_ratio_policy"), "Resize: unknown keep_aspect_ratio_policy '%s'", pol);
      return -1;
    }
    if (!strcmp(pol, "stretch")) {
      int64_t want[MAX_RANK];
      for (int k = 0; k < na; k++) want[k] = os[ax[k]];
      if (b_check(b, b_eq_ints(b, sizes, na, want),
                  arena_printf(b->p->a, "the sizes give the declared output shape %s", shape_str(b->p->a, r, D))))
        return -1;
    } else {
      /* the scale is sizes[j]/in[j] for the axis j where it is smallest
       * (largest); the declared shape allows the one value k = D[j]/in[j]
       * that rounds every axis to D: check that sizes give that k */
      int j = -1;
      for (int c = 0; c < na; c++) {
        double k = (double)D[ax[c]] / (double)x->shape[ax[c]];
        bool fits = true;
        for (int i = 0; i < na; i++) fits &= (int64_t)(k * (double)x->shape[ax[i]] + 0.5) == D[ax[i]];
        if (!fits) continue;
        if (j >= 0 && (double)D[ax[j]] / (double)x->shape[ax[j]] != k) {
          diag_error(b->d, b->loc, "unsupported: Resize sizes computed at run time with keep_aspect_ratio_policy %s, "
                                   "and several scales give the declared output shape (use --freeze)", pol);
          return -1;
        }
        if (j < 0) j = c;
      }
      if (j < 0) {
        diag_error(b->d, b->loc, "Resize: no scale gives the declared output shape %s", shape_str(b->p->a, r, D));
        return -1;
      }
      /* in f64: sizes[i]*in[j] against D[j]*in[i], exact for the values that can compare equal */
      Value *sf = b_cast(b, sizes, DT_F64), *ok = NULL, *hit = NULL;
      for (int i = 0; i < na; i++) {
        Value *lhs = b_binary(b, OP_MUL, b_elem(b, sf, i, DT_F64), b_scalar(b, DT_F64, (double)x->shape[ax[j]]));
        Value *rhs = b_scalar(b, DT_F64, (double)D[ax[j]] * (double)x->shape[ax[i]]);
        Value *ge = larger ? b_binary(b, OP_CMPLE, lhs, rhs) : b_binary(b, OP_CMPLE, rhs, lhs);
        Value *eq = b_binary(b, OP_CMPEQ, lhs, rhs);
        ok = ok ? b_binary(b, OP_AND, ok, ge) : ge;
        hit = hit ? b_binary(b, OP_OR, hit, eq) : eq;
      }
      for (int i = 0; i < na; i++) sc[ax[i]] = (double)D[ax[j]] / (double)x->shape[ax[j]];
      if (b_check(b, b_binary(b, OP_AND, ok, hit),
                  arena_printf(b->p->a, "the sizes give the declared output shape %s", shape_str(b->p->a, r, D))))
        return -1;
    }
  } else if (sizes && b_numel(sizes) > 0) {
    int64_t sz[MAX_RANK];
    if (b_const_ints(b, sizes, sz, MAX_RANK, "Resize sizes") != na) {
      if (!b->d->nerr) diag_error(b->d, b->loc, "Resize: sizes must have one value per axis");
      return -1;
    }
    for (int i = 0; i < na; i++) {
      os[ax[i]] = sz[i];
      sc[ax[i]] = (double)sz[i] / (double)x->shape[ax[i]];
    }
    const char *pol = d_str(b, "keep_aspect_ratio_policy", "stretch");
    if (strcmp(pol, "stretch")) {
      bool larger = !strcmp(pol, "not_smaller");
      if (!larger && strcmp(pol, "not_larger")) {
        diag_error(b->d, d_attr_loc(b, "keep_aspect_ratio_policy"), "Resize: unknown keep_aspect_ratio_policy '%s'", pol);
        return -1;
      }
      double k = sc[ax[0]];
      for (int i = 1; i < na; i++) k = larger ? (sc[ax[i]] > k ? sc[ax[i]] : k) : (sc[ax[i]] < k ? sc[ax[i]] : k);
      for (int i = 0; i < na; i++) {
        sc[ax[i]] = k;
        os[ax[i]] = (int64_t)(k * (double)x->shape[ax[i]] + 0.5);
      }
    }
  } else if (scales && b_numel(scales) > 0 && rts) {
    /* the scales are used as given; the declared sizes are checked to be
     * floor(scale * in) */
    if (b_numel(scales) != na || !m_isf(scales)) {
      diag_error(b->d, b->loc, "Resize: scales must be %d floats", na);
      return -1;
    }
    Value *ok = NULL;
    for (int i = 0; i < na; i++) {
      int a = ax[i];
      os[a] = D[a];
      if (os[a] <= 0 || x->shape[a] == 0) {
        diag_error(b->d, b->loc, "unsupported: Resize scales computed at run time for an empty axis (use --freeze)");
        return -1;
      }
      rsc[a] = b_elem(b, scales, i, DT_F64);
      sclo[a] = (double)os[a] / (double)x->shape[a] * (1 - 1e-9);
      Value *e = b_binary(b, OP_CMPEQ, b_unary(b, OP_FLOOR, b_binary(b, OP_MUL, rsc[a], b_scalar(b, DT_F64, (double)x->shape[a]))),
                          b_scalar(b, DT_F64, (double)os[a]));
      e = b_binary(b, OP_AND, e, b_binary(b, OP_CMPLT, b_scalar(b, DT_F64, 0), rsc[a]));
      if (legacy && s.mode == RM_NEAREST) e = b_binary(b, OP_AND, e, b_binary(b, OP_CMPEQ, rsc[a], b_unary(b, OP_FLOOR, rsc[a])));
      ok = ok ? b_binary(b, OP_AND, ok, e) : e;
    }
    if (b_check(b, ok, arena_printf(b->p->a, "the scales give the declared output shape %s%s", shape_str(b->p->a, r, D),
                                    legacy && s.mode == RM_NEAREST ? " and are integers" : "")))
      return -1;
  } else if (scales && b_numel(scales) > 0) {
    if (b_numel(scales) != na || !m_isf(scales)) {
      diag_error(b->d, b->loc, "Resize: scales must be %d floats", na);
      return -1;
    }
    for (int i = 0; i < na; i++) {
      double v = raw_get_f(scales->dt, scales->cdata, i);
      if (!(v > 0)) {
        diag_error(b->d, b->loc, "Resize: scales must be positive");
        return -1;
      }
      double o = v * (double)x->shape[ax[i]]; /* checked before the cast: inf or 1e300 has no int64 */
      if (!(o < (double)((int64_t)1 << 40))) {
        diag_error(b->d, b->loc, "Resize: scale %g on axis %d gives an output too large", v, ax[i]);
        return -1;
      }
      sc[ax[i]] = v;
      os[ax[i]] = (int64_t)o;
    }
  } else {
    diag_error(b->d, b->loc, "%s needs scales or sizes", b->n->op);
    return -1;
  }
  if (!strcmp(s.ctm, "tf_crop_and_resize")) {
    if (!roi || !m_isf(roi) || b_numel(roi) != 2 * na) {
      diag_error(b->d, b->loc, "Resize: tf_crop_and_resize needs a roi of 2 values per axis");
      return -1;
    }
    if (!b_is_const(roi)) { /* used as given: the coordinates are computed at run time */
      for (int i = 0; i < na; i++) {
        rr0[ax[i]] = b_elem(b, roi, i, DT_F64);
        rr1[ax[i]] = b_elem(b, roi, i + na, DT_F64);
        if (!rr0[ax[i]] || !rr1[ax[i]]) return -1;
      }
    } else for (int i = 0; i < na; i++) {
      rlo[ax[i]] = raw_get_f(roi->dt, roi->cdata, i);
      rhi[ax[i]] = raw_get_f(roi->dt, roi->cdata, i + na);
    }
  }
  if (legacy && s.mode == RM_NEAREST)
    for (int i = 0; i < r; i++)
      if (sc[i] != floor(sc[i])) {
        diag_error(b->d, b->loc, "unsupported: %s nearest with a non-integer scale", b->n->op);
        return -1;
      }
  Value *y = x;
  for (int i = 0; i < r && y; i++) {
    if (rsc[i] || rr0[i]) {
      if (os[i] <= 0 || os[i] > ((int64_t)1 << 24) || x->shape[i] == 0) {
        diag_error(b->d, b->loc, "unsupported: Resize to %lld on axis %d with values given at run time", (long long)os[i], i);
        return -1;
      }
      Value *scv = rsc[i] ? rsc[i] : b_scalar(b, DT_F64, sc[i]);
      Value *r0 = rr0[i] ? rr0[i] : b_scalar(b, DT_F64, rlo[i]), *r1 = rr1[i] ? rr1[i] : b_scalar(b, DT_F64, rhi[i]);
      y = apply_axis_rt(b, &s, y, i, os[i], scv, rsc[i] ? sclo[i] : sc[i], r0, r1, d_float(b, "extrapolation_value", 0));
      continue;
    }
    bool roi_id = rlo[i] == 0 && rhi[i] == 1;
    if (os[i] == x->shape[i] && sc[i] == 1 && (roi_id || strcmp(s.ctm, "tf_crop_and_resize"))) continue;
    if (os[i] < 0 || os[i] > ((int64_t)1 << 24) || x->shape[i] == 0) {
      diag_error(b->d, b->loc, "Resize: output size %lld on axis %d out of range", (long long)os[i], i);
      return -1;
    }
    double *W = malloc(sizeof(double) * (size_t)(os[i] * x->shape[i] + 1));
    bool *ext = malloc((size_t)os[i] + 1);
    int rc = W && ext ? axis_weights(b, &s, x->shape[i], os[i], sc[i], rlo[i], rhi[i], W, ext) : -1;
    if (!rc) y = apply_axis(b, y, i, os[i], W, ext, d_float(b, "extrapolation_value", 0));
    free(W);
    free(ext);
    if (rc) return -1;
  }
  out[0] = y;
  return y ? 0 : -1;
}

int d_resize(B *b, Value **in, int nin, Value **out) {
  if (m_opset(b) < 11) return resize(b, in[0], NULL, nin > 1 ? in[1] : NULL, NULL, true, out);
  return resize(b, in[0], nin > 1 ? in[1] : NULL, nin > 2 ? in[2] : NULL, nin > 3 ? in[3] : NULL, false, out);
}

int d_upsample(B *b, Value **in, int nin, Value **out) {
  Value *scales = nin > 1 ? in[1] : NULL;
  double f[MAX_RANK];
  int n = d_floats(b, "scales", f, MAX_RANK);
  if (n > 0) {
    float g[MAX_RANK];
    for (int i = 0; i < n; i++) g[i] = (float)f[i];
    int64_t nn = n;
    scales = b_const(b, DT_F32, 1, &nn, g);
  }
  return resize(b, in[0], NULL, scales, NULL, true, out);
}

/* ----------------------------------------------------------- ConvTranspose */
int d_convtranspose(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *w = in[1], *bias = nin > 2 ? in[2] : NULL;
  int nsp = x->rank - 2;
  int64_t G = d_int(b, "group", 1);
  if (nsp < 1 || nsp > 3 || w->rank != x->rank || G < 1 || x->shape[1] % G || w->shape[0] != x->shape[1]) {
    diag_error(b->d, b->loc, "ConvTranspose: input %s, weight %s and group %lld do not fit",
               shape_str(b->p->a, x->rank, x->shape), shape_str(b->p->a, w->rank, w->shape), (long long)G);
    return -1;
  }
  int64_t C = x->shape[1], Cg = C / G, Mg = w->shape[1], M = Mg * G, N = x->shape[0];
  int64_t st[3] = {1, 1, 1}, dl[3] = {1, 1, 1}, op[3] = {0}, pads[6] = {0}, osh[3], v[6];
  int n;
  bool have_os = false, have_pads = false;
  if ((n = d_ints(b, "strides", v, 3)) == nsp)
    for (int i = 0; i < nsp; i++) st[i] = v[i];
  if ((n = d_ints(b, "dilations", v, 3)) == nsp)
    for (int i = 0; i < nsp; i++) dl[i] = v[i];
  if ((n = d_ints(b, "output_padding", v, 3)) == nsp)
    for (int i = 0; i < nsp; i++) op[i] = v[i];
  if ((n = d_ints(b, "pads", v, 6)) == 2 * nsp) {
    have_pads = true;
    for (int i = 0; i < 2 * nsp; i++) pads[i] = v[i];
  }
  if ((n = d_ints(b, "output_shape", v, 6)) >= nsp) {
    have_os = true;
    for (int i = 0; i < nsp; i++) osh[i] = v[n - nsp + i];
  }
  if (b->d->nerr) return -1;
  const char *ap = d_str(b, "auto_pad", "NOTSET");
  bool same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
  for (int i = 0; i < nsp; i++) {
    int64_t in_i = x->shape[2 + i], ek = (w->shape[2 + i] - 1) * dl[i] + 1;
    if (st[i] < 1 || dl[i] < 1) {
      diag_error(b->d, b->loc, "ConvTranspose: strides and dilations must be >= 1");
      return -1;
    }
    if (!have_pads && same) {
      if (!have_os) osh[i] = in_i * st[i];
      int64_t tot = st[i] * (in_i - 1) + op[i] + ek - osh[i];
      pads[i] = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
      pads[i + nsp] = tot - pads[i];
    } else if (!have_os) {
      osh[i] = st[i] * (in_i - 1) + op[i] + ek - pads[i] - pads[i + nsp];
    }
  }
  /* zero-stuff the input: [N, C, i1, 1, i2, 1, ..] padded to the strides */
  int64_t s1[MAX_RANK], lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0}, s2[MAX_RANK];
  s1[0] = N, s1[1] = C, s2[0] = N, s2[1] = C;
  for (int i = 0; i < nsp; i++) {
    s1[2 + 2 * i] = x->shape[2 + i];
    s1[3 + 2 * i] = 1;
    hi[3 + 2 * i] = st[i] - 1;
    s2[2 + i] = x->shape[2 + i] * st[i];
  }
  Value *xz = b_reshape(b, b_pad(b, b_reshape(b, x, 2 + 2 * nsp, s1), lo, hi, PAD_CONSTANT, 0), x->rank, s2);
  /* full output: pad ek-1 on both sides, then convolve with the flipped kernel */
  int64_t zl[MAX_RANK] = {0}, zh[MAX_RANK] = {0}, cst[MAX_RANK] = {0}, csp[MAX_RANK], csh[MAX_RANK];
  for (int i = 0; i < x->rank; i++) csp[i] = 1, csh[i] = x->shape[i];
  for (int i = 0; i < nsp; i++) {
    int64_t ek = (w->shape[2 + i] - 1) * dl[i] + 1;
    csh[2 + i] = (x->shape[2 + i] - 1) * st[i] + 1;
    zl[2 + i] = zh[2 + i] = ek - 1;
  }
  xz = b_pad(b, b_slice(b, xz, cst, csp, csh), zl, zh, PAD_CONSTANT, 0);
  /* W [C, Mg, k..] -> [G, Cg, Mg, k..] -> [G, Mg, Cg, k..] -> [M, Cg, k..], flipped */
  int64_t ws[MAX_RANK], wf[MAX_RANK], wst[MAX_RANK], wsp[MAX_RANK];
  int perm[MAX_RANK];
  ws[0] = G, ws[1] = Cg, ws[2] = Mg;
  for (int i = 0; i < nsp; i++) ws[3 + i] = w->shape[2 + i];
  for (int i = 0; i < 3 + nsp; i++) perm[i] = i == 1 ? 2 : i == 2 ? 1 : i;
  wf[0] = M, wf[1] = Cg;
  for (int i = 0; i < nsp; i++) wf[2 + i] = w->shape[2 + i];
  Value *wt = b_reshape(b, b_permute(b, b_reshape(b, w, 3 + nsp, ws), perm), x->rank, wf);
  for (int i = 0; i < x->rank; i++) wst[i] = i < 2 ? 0 : wf[i] - 1, wsp[i] = i < 2 ? 1 : -1;
  wt = b_slice(b, wt, wst, wsp, wf);
  Params pr = {.group = (int)G, .nsp = nsp};
  int64_t fs[MAX_RANK];
  fs[0] = N, fs[1] = M;
  for (int i = 0; i < nsp; i++) {
    pr.kernel[i] = w->shape[2 + i];
    pr.stride[i] = 1;
    pr.dil[i] = dl[i];
    fs[2 + i] = st[i] * (x->shape[2 + i] - 1) + (w->shape[2 + i] - 1) * dl[i] + 1;
  }
  Value *f = b_conv(b, xz, wt, &pr, x->rank, fs);
  if (!f) return -1;
  /* the window [pads_lo, pads_lo + out) of the full output, zeros outside */
  int64_t ys[MAX_RANK] = {0}, ysp[MAX_RANK], ysh[MAX_RANK], yl[MAX_RANK] = {0}, yh[MAX_RANK] = {0};
  for (int i = 0; i < x->rank; i++) ysp[i] = 1, ysh[i] = fs[i];
  for (int i = 0; i < nsp; i++) {
    int64_t a = pads[i], e = pads[i] + osh[i], L = fs[2 + i];
    if (osh[i] < 0) {
      diag_error(b->d, b->loc, "ConvTranspose: negative output size");
      return -1;
    }
    int64_t s0 = a < 0 ? 0 : a > L ? L : a, e0 = e < 0 ? 0 : e > L ? L : e;
    ys[2 + i] = s0;
    ysh[2 + i] = e0 > s0 ? e0 - s0 : 0;
    yl[2 + i] = a < 0 ? (e < 0 ? osh[i] : -a) : 0;
    yh[2 + i] = osh[i] - ysh[2 + i] - yl[2 + i];
  }
  Value *y = b_pad(b, b_slice(b, f, ys, ysp, ysh), yl, yh, PAD_CONSTANT, 0);
  if (y && bias) {
    int64_t bs[MAX_RANK];
    for (int i = 0; i < x->rank - 1; i++) bs[i] = i == 0 ? M : 1;
    y = b_binary(b, OP_ADD, y, b_reshape(b, bias, x->rank - 1, bs));
  }
  out[0] = y;
  return y ? 0 : -1;
}

/* --------------------------------------------------------------------- DFT */
/* x [.., n] times the constant matrix m [n, k] */
static Value *cmatmul(B *b, Value *x, const double *m, int64_t n, int64_t k, DType dt) {
  void *d = arena_alloc(b->p->a, (size_t)(n * k + 1) * (size_t)dtype_info[dt].size);
  if (!d) return NULL;
  for (int64_t i = 0; i < n * k; i++) raw_set_f(dt, d, i, m[i]);
  return b_matmul(b, x, b_const(b, dt, 2, (int64_t[]){n, k}, d));
}

/* DFT of x [.., n(axis), .., 1|2] along axis with length L (-1: default);
 * also used by STFT */
Value *m_dft(B *b, Value *x, int64_t axv, int64_t L, bool inv, bool one) {
  Value *out[1] = {0};
  int64_t c = x->rank ? x->shape[x->rank - 1] : 0;
  int axis = b_axis(b, axv, x->rank, "DFT axis");
  if (axis < 0) return NULL;
  if (x->rank < 2 || (c != 1 && c != 2) || axis == x->rank - 1 || !m_isf(x)) {
    diag_error(b->d, b->loc, "DFT: the input must be float [.., n, .., 1 or 2] with the axis before the last");
    return NULL;
  }
  int64_t n = x->shape[axis];
  if (L < 0) L = inv && one ? 2 * (n - 1) : n;
  if (L < 1 || L > 4096) {
    diag_error(b->d, b->loc, "unsupported: DFT length %lld", (long long)L);
    return NULL;
  }
  /* real and imaginary parts with the axis last: [.., n] */
  int64_t s0[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK], rs[MAX_RANK];
  for (int i = 0; i < x->rank; i++) sp[i] = 1, sh[i] = x->shape[i];
  sh[x->rank - 1] = 1;
  for (int i = 0; i < x->rank - 1; i++) rs[i] = x->shape[i];
  Value *xr = b_reshape(b, b_slice(b, x, s0, sp, sh), x->rank - 1, rs), *xi = NULL;
  if (c == 2) {
    s0[x->rank - 1] = 1;
    xi = b_reshape(b, b_slice(b, x, s0, sp, sh), x->rank - 1, rs);
  }
  xr = m_axis_last(b, xr, axis, false);
  if (xi) xi = m_axis_last(b, xi, axis, false);
  int64_t nin_ = inv && one ? L / 2 + 1 : L; /* input samples used */
  int64_t K = !inv && one ? L / 2 + 1 : L; /* output samples */
  /* matrices over the used input length m = min(n, nin_) (missing samples are zeros) */
  int64_t m = n < nin_ ? n : nin_;
  if (m < n) {
    int64_t a0[MAX_RANK] = {0}, a1[MAX_RANK], a2[MAX_RANK];
    for (int i = 0; i < xr->rank; i++) a1[i] = 1, a2[i] = xr->shape[i];
    a2[xr->rank - 1] = m;
    xr = b_slice(b, xr, a0, a1, a2);
    if (xi) xi = b_slice(b, xi, a0, a1, a2);
  }
  double *mc = malloc(sizeof(double) * (size_t)(m * K + 1)), *ms = malloc(sizeof(double) * (size_t)(m * K + 1));
  if (!mc || !ms) {
    free(mc);
    free(ms);
    return NULL;
  }
  for (int64_t j = 0; j < m; j++)
    for (int64_t k = 0; k < K; k++) {
      double ang = 2 * PI * (double)((j * k) % L) / (double)L, wgt = 1;
      if (inv && one) wgt = (j == 0 || (L % 2 == 0 && j == L / 2)) ? 1 : 2;
      mc[j * K + k] = cos(ang) * wgt / (inv ? (double)L : 1);
      ms[j * K + k] = sin(ang) * wgt / (inv ? (double)L : 1);
    }
  Value *yr, *yi = NULL;
  Value *rc = cmatmul(b, xr, mc, m, K, x->dt), *rsn = cmatmul(b, xr, ms, m, K, x->dt);
  Value *ic = xi ? cmatmul(b, xi, mc, m, K, x->dt) : NULL, *isn = xi ? cmatmul(b, xi, ms, m, K, x->dt) : NULL;
  free(mc);
  free(ms);
  if (!inv) { /* X = sum x e^{-i..}: re = xr c + xi s, im = xi c - xr s */
    yr = xi ? b_binary(b, OP_ADD, rc, isn) : rc;
    yi = xi ? b_binary(b, OP_SUB, ic, rsn) : b_unary(b, OP_NEG, rsn);
  } else if (!one) { /* x = 1/L sum X e^{+i..}: re = xr c - xi s, im = xr s + xi c */
    yr = xi ? b_binary(b, OP_SUB, rc, isn) : rc;
    yi = xi ? b_binary(b, OP_ADD, rsn, ic) : rsn;
  } else { /* irfft: real output */
    yr = xi ? b_binary(b, OP_SUB, rc, isn) : rc;
  }
  yr = m_unsq(b, m_axis_last(b, yr, axis, true), x->rank - 1);
  if (yi) {
    yi = m_unsq(b, m_axis_last(b, yi, axis, true), x->rank - 1);
    out[0] = b_concat(b, 2, (Value *[]){yr, yi}, x->rank - 1);
  } else {
    out[0] = yr;
  }
  return out[0];
}

/* DFT with the axis or dft_length given at run time: one DFT per (axis,
 * length) that gives the declared output shape (at most 8), selected at run
 * time, and a check that the values given are one of them. */
static int dft_runtime(B *b, Value *x, Value *len, Value *axis, int64_t axv, int64_t L, bool inv, bool one, Value **out) {
  int r = x->rank;
  int64_t D[MAX_RANK], ca[8], cl[8];
  int nc = 0;
  if (!b_declared_for(b, 0, r, D, axis ? "DFT axis" : "DFT dft_length")) return -1;
  if (r < 2 || !m_isf(x)) {
    diag_error(b->d, b->loc, "DFT: the input must be float [.., n, .., 1 or 2] with the axis before the last");
    return -1;
  }
  for (int a = 0; a < r - 1; a++) {
    if (!axis && a != (axv < 0 ? axv + r : axv)) continue;
    int64_t n = x->shape[a], K = D[a], cand[2] = {-1, -1};
    if (!len) cand[0] = L >= 0 ? L : inv && one ? 2 * (n - 1) : n;
    else if (!inv && one) cand[0] = 2 * (K - 1), cand[1] = 2 * K - 1;
    else cand[0] = K;
    for (int c = 0; c < 2; c++) {
      int64_t l = cand[c];
      if (l < 1 || l > 4096) continue;
      bool fits = (!inv && one ? l / 2 + 1 : l) == K && D[r - 1] == (inv && one ? 1 : 2);
      for (int i = 0; fits && i < r - 1; i++) fits = i == a || D[i] == x->shape[i];
      if (!fits) continue;
      if (nc == 8) {
        diag_error(b->d, b->loc, "unsupported: DFT axis or length computed at run time, and more than 8 fit the "
                                 "declared output shape (use --freeze)");
        return -1;
      }
      ca[nc] = a, cl[nc++] = l;
    }
  }
  if (!nc) {
    diag_error(b->d, b->loc, "DFT: no axis and length give the declared output shape %s", shape_str(b->p->a, r, D));
    return -1;
  }
  Value *sel[8], *res[8], *any = NULL;
  Value *av = axis ? b_elem(b, axis, 0, DT_I64) : NULL, *lv = len ? b_elem(b, len, 0, DT_I64) : NULL;
  if (av) av = b_where(b, b_binary(b, OP_CMPLT, av, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, av, b_scalar(b, DT_I64, r)), av);
  for (int c = 0; c < nc; c++) {
    Value *t = b_scalar(b, DT_BOOL, 1);
    if (av) t = b_binary(b, OP_AND, t, b_binary(b, OP_CMPEQ, av, b_scalar(b, DT_I64, (double)ca[c])));
    if (lv) t = b_binary(b, OP_AND, t, b_binary(b, OP_CMPEQ, lv, b_scalar(b, DT_I64, (double)cl[c])));
    sel[c] = t;
    any = any ? b_binary(b, OP_OR, any, t) : t;
    if (!(res[c] = m_dft(b, x, ca[c], cl[c], inv, one))) return -1;
  }
  if (b_check(b, any, arena_printf(b->p->a, "the DFT axis and length give the declared output shape %s",
                                   shape_str(b->p->a, r, D))))
    return -1;
  out[0] = b_select(b, nc, sel, res);
  return out[0] ? 0 : -1;
}

int d_dft(B *b, Value **in, int nin, Value **out) {
  int opset = m_opset(b);
  int64_t axv = opset >= 20 ? -2 : d_int(b, "axis", 1), L = -1;
  bool inv = d_int(b, "inverse", 0) != 0, one = d_int(b, "onesided", 0) != 0;
  Value *ra = opset >= 20 && nin > 2 && in[2] && !b_is_const(in[2]) ? in[2] : NULL;
  Value *rl = nin > 1 && in[1] && b_numel(in[1]) > 0 && !b_is_const(in[1]) ? in[1] : NULL;
  if ((ra && b_numel(ra) != 1) || (rl && b_numel(rl) != 1)) {
    diag_error(b->d, b->loc, "DFT: axis and dft_length must have one element");
    return -1;
  }
  if (opset >= 20 && nin > 2 && in[2] && !ra && m_const_int(b, in[2], &axv, "DFT axis")) return -1;
  if (nin > 1 && in[1] && b_numel(in[1]) > 0 && !rl && m_const_int(b, in[1], &L, "DFT dft_length")) return -1;
  if (ra || rl) return dft_runtime(b, in[0], rl, ra, axv, L, inv, one, out);
  out[0] = m_dft(b, in[0], axv, L, inv, one);
  return out[0] ? 0 : -1;
}
