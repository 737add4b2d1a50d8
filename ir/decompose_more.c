/* decompose_more.c: further ai.onnx operators (grown for the conformance
 * suite) and d_more_ops, the table of every rewrite of this file and its
 * siblings:
 *   decompose_more.c    elementwise, normalization, shape, indexing, scatter
 *   decompose_seq.c     Attention, LinearAttention, RotaryEmbedding, losses,
 *                       RNN / GRU / LSTM
 *   decompose_img.c     Resize / Upsample, ConvTranspose, DFT
 *   decompose_sample.c  GridSample, AffineGrid, RoiAlign, DeformConv
 *   decompose_ctl.c     If, Loop, Scan; quantization
 *   decompose_misc.c    Einsum, Col2Im, MaxUnpool, Det, STFT, MelWeightMatrix,
 *                       TfIdfVectorizer, MaxPool indices, BatchNorm training
 *   decompose_const.c   NonZero, Unique, NonMaxSuppression (at build time, or
 *                       at run time for a declared output size)
 *
 * Data-dependent choices (TopK, the scatters, cumulative sums) are written
 * as comparisons against index grids followed by reductions: O(n^2) work on
 * the axis involved, but static shapes and no new primitive. */
#include "decompose_more.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */
Value *m_sc(B *b, Value *like, double v) { return b_scalar(b, like->dt, v); }
bool m_isf(const Value *v) { return dtype_info[v->dt].is_float; }
int m_opset(B *b) { return b->n->opset ? b->n->opset : b->g->opset; }

/* x with dim `axis` moved last (or back, with inverse) */
Value *m_axis_last(B *b, Value *x, int axis, bool inverse) {
  int perm[MAX_RANK], k = 0;
  if (!x) return NULL;
  if (!inverse) {
    for (int i = 0; i < x->rank; i++)
      if (i != axis) perm[k++] = i;
    perm[k] = axis;
  } else {
    for (int i = 0; i < x->rank; i++) perm[i] = i < axis ? i : i == axis ? x->rank - 1 : i - 1;
  }
  return b_permute(b, x, perm);
}

/* x with a size-1 dim inserted at `at` */
Value *m_unsq(B *b, Value *x, int at) {
  if (!x) return NULL;
  int64_t s[MAX_RANK];
  if (x->rank + 1 > MAX_RANK) {
    diag_error(b->d, b->loc, "unsupported: %s needs rank above %d", b->n->op, MAX_RANK);
    return NULL;
  }
  for (int i = 0, k = 0; i <= x->rank; i++) s[i] = i == at ? 1 : x->shape[k++];
  return b_reshape(b, x, x->rank + 1, s);
}

/* the single integer of a build-time constant (frozen input or initializer) */
int m_const_int(B *b, Value *v, int64_t *out, const char *what) {
  int64_t t[1];
  if (!v) return -1;
  if (b_is_const(v) && m_isf(v) && b_numel(v) == 1) {
    *out = (int64_t)b_const_scalar(v);
    return 0;
  }
  if (b_is_const(v) && b_numel(v) != 1) {
    diag_error(b->d, b->loc, "%s: %s must have one element", b->n->op, what);
    return -1;
  }
  if (b_const_ints(b, v, t, 1, what) != 1) return -1;
  *out = t[0];
  return 0;
}

/* reduction mask of the dims from axis on */
static unsigned tail_mask(int rank, int axis) {
  unsigned m = 0;
  for (int i = axis; i < rank; i++) m |= 1u << i;
  return m;
}

/* ---------------------------------------------------------- activations */
static int d_shrink(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  double bias = d_float(b, "bias", 0), lambd = d_float(b, "lambd", 0.5);
  Value *lo = b_binary(b, OP_CMPLT, x, m_sc(b, x, -lambd)), *hi = b_binary(b, OP_CMPLT, m_sc(b, x, lambd), x);
  Value *zero = m_sc(b, x, 0);
  Value *r = b_where(b, hi, b_binary(b, OP_SUB, x, m_sc(b, x, bias)), zero);
  out[0] = b_where(b, lo, b_binary(b, OP_ADD, x, m_sc(b, x, bias)), r);
  return out[0] ? 0 : -1;
}

static int d_swish(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *one = m_sc(b, x, 1);
  Value *ax = b_binary(b, OP_MUL, x, m_sc(b, x, d_float(b, "alpha", 1.0)));
  Value *sig = b_binary(b, OP_DIV, one, b_binary(b, OP_ADD, one, b_unary(b, OP_EXP, b_unary(b, OP_NEG, ax))));
  out[0] = b_binary(b, OP_MUL, x, sig);
  return out[0] ? 0 : -1;
}

/* -------------------------------------------------------- normalizations */
/* computes in f32 (or f64) like the ONNX functions' stash_type */
static Value *up(B *b, Value *x) { return x->dt == DT_F32 || x->dt == DT_F64 ? x : b_cast(b, x, DT_F32); }

static int d_rmsnorm(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *scale = in[1];
  (void)nin;
  int axis = b_axis(b, d_int(b, "axis", -1), x->rank, "RMSNormalization axis");
  if (axis < 0) return -1;
  unsigned m = tail_mask(x->rank, axis);
  int64_t cnt = 1;
  for (int i = axis; i < x->rank; i++) cnt *= x->shape[i];
  Value *xs = up(b, x);
  Value *ms = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, xs, xs), m, true), m_sc(b, xs, (double)cnt));
  Value *inv = b_unary(b, OP_RECIP, b_unary(b, OP_SQRT, b_binary(b, OP_ADD, ms, m_sc(b, xs, d_float(b, "epsilon", 1e-5)))));
  Value *y = b_cast(b, b_binary(b, OP_MUL, xs, inv), x->dt);
  out[0] = b_binary(b, OP_MUL, y, scale);
  return out[0] ? 0 : -1;
}

static int d_lpnorm(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int axis = b_axis(b, d_int(b, "axis", -1), x->rank, "LpNormalization axis");
  int64_t p = d_int(b, "p", 2);
  if (axis < 0) return -1;
  if (p != 1 && p != 2) {
    diag_error(b->d, d_attr_loc(b, "p"), "LpNormalization: p must be 1 or 2");
    return -1;
  }
  Value *n = p == 1 ? b_reduce(b, OP_RSUM, b_unary(b, OP_ABS, x), 1u << axis, true)
                    : b_unary(b, OP_SQRT, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, x, x), 1u << axis, true));
  /* a zero norm gives 0, not NaN */
  Value *z = b_binary(b, OP_CMPEQ, n, m_sc(b, x, 0));
  out[0] = b_where(b, z, m_sc(b, x, 0), b_binary(b, OP_DIV, x, b_where(b, z, m_sc(b, x, 1), n)));
  return out[0] ? 0 : -1;
}

static int d_mvn(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t ax[MAX_RANK] = {0, 2, 3};
  int n = d_ints(b, "axes", ax, MAX_RANK);
  if (n == -2) return -1;
  if (n < 0) n = 3;
  unsigned m = 0;
  int64_t cnt = 1;
  for (int i = 0; i < n; i++) {
    int a = b_axis(b, ax[i], x->rank, "MeanVarianceNormalization axis");
    if (a < 0) return -1;
    m |= 1u << a;
    cnt *= x->shape[a];
  }
  Value *c = m_sc(b, x, (double)cnt);
  Value *mean = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, x, m, true), c);
  Value *ex2 = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, x, x), m, true), c);
  Value *var = b_binary(b, OP_SUB, ex2, b_binary(b, OP_MUL, mean, mean));
  Value *sd = b_binary(b, OP_ADD, b_unary(b, OP_SQRT, var), m_sc(b, x, 1e-9));
  out[0] = b_binary(b, OP_DIV, b_binary(b, OP_SUB, x, mean), sd);
  return out[0] ? 0 : -1;
}

static int d_groupnorm(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *scale = in[1], *bias = in[2];
  int64_t G = d_int(b, "num_groups", -1);
  if (x->rank < 3 || G < 1 || x->shape[1] % G) {
    diag_error(b->d, b->loc, "GroupNormalization: num_groups %lld does not divide the channels of %s", (long long)G,
               shape_str(b->p->a, x->rank, x->shape));
    return -1;
  }
  int64_t N = x->shape[0], C = x->shape[1], rest = b_numel(x) / (N ? N * G : 1);
  int64_t s3[3] = {N, G, rest}, cs[MAX_RANK];
  Value *xs = up(b, b_reshape(b, x, 3, s3));
  if (!xs) return -1;
  Value *c = m_sc(b, xs, (double)rest);
  Value *mean = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, xs, 4, true), c);
  Value *dx = b_binary(b, OP_SUB, xs, mean);
  Value *var = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, dx, dx), 4, true), c);
  Value *inv = b_unary(b, OP_RECIP, b_unary(b, OP_SQRT, b_binary(b, OP_ADD, var, m_sc(b, xs, d_float(b, "epsilon", 1e-5)))));
  Value *y = b_reshape(b, b_cast(b, b_binary(b, OP_MUL, dx, inv), x->dt), x->rank, x->shape);
  if (!y) return -1;
  /* scale/bias per channel (opset 21) or per group (opset 18) */
  for (int i = 0; i < x->rank - 1; i++) cs[i] = i == 0 ? C : 1;
  Value *sv[2] = {scale, bias};
  for (int k = 0; k < 2; k++) {
    Value *v = sv[k];
    if (b_numel(v) == G && G != C) {
      int64_t s2[2] = {G, 1}, e2[2] = {G, C / G};
      v = b_expand(b, b_reshape(b, v, 2, s2), 2, e2);
    }
    if (v && b_numel(v) != C) {
      diag_error(b->d, b->loc, "GroupNormalization: scale and bias must have %lld or %lld elements", (long long)C,
                 (long long)G);
      return -1;
    }
    sv[k] = b_reshape(b, v, x->rank - 1, cs);
  }
  out[0] = b_binary(b, OP_ADD, b_binary(b, OP_MUL, y, sv[0]), sv[1]);
  return out[0] ? 0 : -1;
}

static int d_lrn(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t size = d_int(b, "size", 0);
  if (x->rank < 3 || size < 1) {
    diag_error(b->d, b->loc, "LRN needs rank >= 3 and size >= 1");
    return -1;
  }
  double alpha = d_float(b, "alpha", 1e-4), beta = d_float(b, "beta", 0.75), bias = d_float(b, "bias", 1.0);
  int64_t lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0}, st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
  lo[1] = (size - 1) / 2;
  hi[1] = size - 1 - lo[1];
  Value *sq = b_pad(b, b_binary(b, OP_MUL, x, x), lo, hi, PAD_CONSTANT, 0), *sum = NULL;
  for (int i = 0; i < x->rank; i++) sp[i] = 1, sh[i] = x->shape[i];
  for (int64_t k = 0; k < size; k++) {
    st[1] = k;
    Value *s = b_slice(b, sq, st, sp, sh);
    sum = sum ? b_binary(b, OP_ADD, sum, s) : s;
  }
  Value *den = b_binary(b, OP_ADD, m_sc(b, x, bias), b_binary(b, OP_MUL, sum, m_sc(b, x, alpha / (double)size)));
  out[0] = b_binary(b, OP_DIV, x, b_binary(b, OP_POW, den, m_sc(b, x, beta)));
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------------ generators */
static int d_trilu(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *k = nin > 1 ? in[1] : NULL;
  if (x->rank < 2) {
    diag_error(b->d, b->loc, "Trilu needs rank >= 2");
    return -1;
  }
  int64_t R = x->shape[x->rank - 2], C = x->shape[x->rank - 1], s[2] = {R, C};
  /* diff[i][j] = j - i, compared with k (which may be computed at run time) */
  Value *diff = b_binary(b, OP_SUB, b_iota(b, DT_I64, 2, s, 1, 0, 1), b_iota(b, DT_I64, 2, s, 0, 0, 1));
  Value *kv = k ? b_reshape(b, b_cast(b, k, DT_I64), 0, NULL) : b_scalar(b, DT_I64, 0);
  Value *keep = d_int(b, "upper", 1) ? b_binary(b, OP_CMPLE, kv, diff) : b_binary(b, OP_CMPLE, diff, kv);
  out[0] = b_where(b, keep, x, m_sc(b, x, 0));
  return out[0] ? 0 : -1;
}

static int d_eyelike(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (x->rank != 2) {
    diag_error(b->d, b->loc, "EyeLike needs a 2-D input");
    return -1;
  }
  DType dt = x->dt;
  if (attr_find(b->n, "dtype")) dt = dtype_from_onnx((int)d_int(b, "dtype", 1));
  if (dt == DT_UNDEF) {
    diag_error(b->d, d_attr_loc(b, "dtype"), "unsupported: EyeLike dtype %lld", (long long)d_int(b, "dtype", 1));
    return -1;
  }
  Value *diff = b_binary(b, OP_SUB, b_iota(b, DT_I64, 2, x->shape, 1, 0, 1), b_iota(b, DT_I64, 2, x->shape, 0, 0, 1));
  out[0] = b_cast(b, b_binary(b, OP_CMPEQ, diff, b_scalar(b, DT_I64, (double)d_int(b, "k", 0))), dt);
  return out[0] ? 0 : -1;
}

static int d_onehot(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *idx = in[0], *vals = in[2];
  int64_t depth;
  int r = idx->rank + 1;
  int axis = b_axis(b, d_int(b, "axis", -1), r, "OneHot axis");
  if (axis < 0) return -1;
  if (!b_is_const(in[1])) { /* the depth the declared output shape has, checked at run time */
    int64_t D[MAX_RANK];
    if (!b_declared_for(b, 0, r, D, "OneHot depth")) return -1;
    depth = D[axis];
    Value *dv = b_scalar_of(b, in[1], m_isf(in[1]) ? DT_F64 : DT_I64, "depth");
    if (dv && m_isf(in[1])) /* a float depth is truncated: it must lie in [depth, depth + 1) */
      dv = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_F64, (double)depth), dv),
                    b_binary(b, OP_CMPLT, dv, b_scalar(b, DT_F64, (double)depth + 1)));
    else dv = b_binary(b, OP_CMPEQ, dv, b_scalar(b, DT_I64, (double)depth));
    if (b_check(b, dv, arena_printf(b->p->a, "the depth is the %lld of the declared output shape", (long long)depth)))
      return -1;
  } else if (m_const_int(b, in[1], &depth, "OneHot depth"))
    return -1;
  if (depth < 0 || b_numel(vals) != 2) {
    diag_error(b->d, b->loc, "OneHot: depth must be >= 0 and values must have 2 elements");
    return -1;
  }
  Value *i = b_cast(b, idx, DT_I64);
  if (m_isf(idx)) i = b_cast(b, b_unary(b, OP_FLOOR, idx), DT_I64);
  Value *d = b_scalar(b, DT_I64, (double)depth);
  i = b_where(b, b_binary(b, OP_CMPLT, i, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, i, d), i);
  i = m_unsq(b, i, axis);
  int64_t s[MAX_RANK];
  for (int k = 0; k < r; k++) s[k] = k == axis ? depth : 1;
  Value *hot = b_binary(b, OP_CMPEQ, i, b_iota(b, DT_I64, r, s, axis, 0, 1));
  int64_t one = 1, st0 = 0, st1 = 1, sp = 1;
  Value *v = b_reshape(b, vals, 1, (int64_t[]){2});
  Value *off = b_reshape(b, b_slice(b, v, &st0, &sp, &one), 0, NULL);
  Value *on = b_reshape(b, b_slice(b, v, &st1, &sp, &one), 0, NULL);
  out[0] = b_where(b, hot, on, off);
  return out[0] ? 0 : -1;
}

/* Hann / Hamming / Blackman: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) */
static int window_fn(B *b, Value **in, double a0, double a1, double a2, Value **out) {
  int64_t size;
  if (!b_is_const(in[0])) { /* the size of the declared output, checked at run time */
    if (!b_declared_for(b, 0, 1, &size, "window size") ||
        b_check(b, b_binary(b, OP_CMPEQ, b_scalar_of(b, in[0], DT_I64, "size"), b_scalar(b, DT_I64, (double)size)),
                arena_printf(b->p->a, "the size is the declared %lld", (long long)size)))
      return -1;
  } else if (m_const_int(b, in[0], &size, "window size"))
    return -1;
  if (size < 0 || size > (1 << 24)) {
    diag_error(b->d, b->loc, "%s: size %lld out of range", b->n->op, (long long)size);
    return -1;
  }
  DType dt = dtype_from_onnx((int)d_int(b, "output_datatype", 1));
  if (dt == DT_UNDEF) {
    diag_error(b->d, b->loc, "unsupported: %s output_datatype", b->n->op);
    return -1;
  }
  double N = (double)(d_int(b, "periodic", 1) ? size : size - 1);
  double w = N > 0 ? 2 * 3.14159265358979323846 / N : 0;
  Value *n = b_iota(b, DT_F64, 1, &size, 0, 0, 1);
  Value *r = b_binary(b, OP_SUB, b_scalar(b, DT_F64, a0),
                      b_binary(b, OP_MUL, b_scalar(b, DT_F64, a1), b_unary(b, OP_COS, b_binary(b, OP_MUL, n, b_scalar(b, DT_F64, w)))));
  if (a2 != 0)
    r = b_binary(b, OP_ADD, r,
                 b_binary(b, OP_MUL, b_scalar(b, DT_F64, a2), b_unary(b, OP_COS, b_binary(b, OP_MUL, n, b_scalar(b, DT_F64, 2 * w)))));
  out[0] = b_cast(b, r, dt);
  return out[0] ? 0 : -1;
}
static int d_hann(B *b, Value **in, int nin, Value **out) { (void)nin; return window_fn(b, in, 0.5, 0.5, 0, out); }
static int d_hamming(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  return window_fn(b, in, 25.0 / 46, 1 - 25.0 / 46, 0, out);
}
static int d_blackman(B *b, Value **in, int nin, Value **out) { (void)nin; return window_fn(b, in, 0.42, 0.5, 0.08, out); }

/* ----------------------------------------------------------------- shape */
static int d_centercroppad(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  int64_t s[MAX_RANK], ax[MAX_RANK];
  bool rt = !b_is_const(in[1]); /* the shape given at run time only decides the shape */
  int n = rt ? (int)b_numel(in[1]) : b_const_ints(b, in[1], s, MAX_RANK, "CenterCropPad shape");
  if (n < 0) return -1;
  int na = d_ints(b, "axes", ax, MAX_RANK);
  if (na == -2) return -1;
  if (na < 0) {
    na = x->rank;
    for (int i = 0; i < na; i++) ax[i] = i;
  }
  if (na != n) {
    diag_error(b->d, b->loc, "CenterCropPad: %d sizes for %d axes", n, na);
    return -1;
  }
  if (rt) { /* built for the declared output shape; the sizes checked to be its dims */
    int64_t D[MAX_RANK];
    unsigned named = 0;
    if (!b_declared_for(b, 0, x->rank, D, "CenterCropPad shape")) return -1;
    for (int i = 0; i < n; i++) {
      int a = b_axis(b, ax[i], x->rank, "CenterCropPad axis");
      if (a < 0) return -1;
      s[i] = D[a];
      named |= 1u << a;
    }
    for (int i = 0; i < x->rank; i++)
      if (!(named & (1u << i)) && D[i] != x->shape[i]) {
        diag_error(b->d, b->loc, "CenterCropPad: the declared output shape %s changes axis %d, which is not named",
                   shape_str(b->p->a, x->rank, D), i);
        return -1;
      }
    if (b_check(b, b_eq_ints(b, in[1], n, s),
                arena_printf(b->p->a, "the shape given is the declared %s", shape_str(b->p->a, x->rank, D))))
      return -1;
  }
  (void)nin;
  int64_t st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK], lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0};
  for (int i = 0; i < x->rank; i++) sp[i] = 1, sh[i] = x->shape[i];
  for (int i = 0; i < n; i++) {
    int a = b_axis(b, ax[i], x->rank, "CenterCropPad axis");
    if (a < 0) return -1;
    int64_t dim = x->shape[a], t = s[i];
    if (t < 0) {
      diag_error(b->d, b->loc, "CenterCropPad: negative size");
      return -1;
    }
    if (dim > t) {
      st[a] = (dim - t) / 2;
      sh[a] = t;
    } else {
      lo[a] = (t - dim) / 2;
      hi[a] = t - dim - lo[a];
    }
  }
  out[0] = b_pad(b, b_slice(b, x, st, sp, sh), lo, hi, PAD_CONSTANT, 0);
  return out[0] ? 0 : -1;
}

static int depth_space(B *b, Value **in, bool to_space, Value **out) {
  Value *x = in[0];
  int64_t bs = d_int(b, "blocksize", 0);
  if (x->rank != 4 || bs < 1) {
    diag_error(b->d, b->loc, "%s needs a 4-D input and blocksize >= 1", b->n->op);
    return -1;
  }
  int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  if (to_space) {
    if (C % (bs * bs)) {
      diag_error(b->d, b->loc, "DepthToSpace: channels %lld not divisible by blocksize^2", (long long)C);
      return -1;
    }
    int64_t c = C / (bs * bs);
    bool crd = !strcmp(d_str(b, "mode", "DCR"), "CRD");
    int64_t s6[6] = {N, bs, bs, c, H, W}, s6c[6] = {N, c, bs, bs, H, W};
    static const int pd[6] = {0, 3, 4, 1, 5, 2}, pc[6] = {0, 1, 4, 2, 5, 3};
    Value *r = b_permute(b, b_reshape(b, x, 6, crd ? s6c : s6), crd ? pc : pd);
    out[0] = b_reshape(b, r, 4, (int64_t[]){N, c, H * bs, W * bs});
  } else {
    if (H % bs || W % bs) {
      diag_error(b->d, b->loc, "SpaceToDepth: spatial dims not divisible by blocksize");
      return -1;
    }
    static const int p[6] = {0, 3, 5, 1, 2, 4};
    Value *r = b_permute(b, b_reshape(b, x, 6, (int64_t[]){N, C, H / bs, bs, W / bs, bs}), p);
    out[0] = b_reshape(b, r, 4, (int64_t[]){N, C * bs * bs, H / bs, W / bs});
  }
  return out[0] ? 0 : -1;
}
static int d_depthtospace(B *b, Value **in, int nin, Value **out) { (void)nin; return depth_space(b, in, true, out); }
static int d_spacetodepth(B *b, Value **in, int nin, Value **out) { (void)nin; return depth_space(b, in, false, out); }

static int d_compress(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *c = in[1];
  const Attr *aa = attr_find(b->n, "axis");
  if (!aa) {
    x = b_reshape(b, x, 1, (int64_t[]){b_numel(x)});
    if (!x) return -1;
  }
  int axis = b_axis(b, aa ? d_int(b, "axis", 0) : 0, x->rank, "Compress axis");
  if (axis < 0) return -1;
  if (!b_is_const(c)) { /* the condition at run time: built for the declared output, compacted (b_compact) */
    int64_t D[MAX_RANK], m = b_numel(c), dim = x->shape[axis];
    if (!b_declared_for(b, 0, x->rank, D, "Compress condition")) return -1;
    if (c->rank != 1) {
      diag_error(b->d, b->loc, "Compress: the condition must be 1-D");
      return -1;
    }
    if (m > dim) c = b_slice(b, c, (int64_t[]){0}, (int64_t[]){1}, &dim); /* the rest selects nothing */
    Value *idx = b_compact(b, c, D[axis], "the condition");
    out[0] = idx ? b_gather(b, x, idx, axis) : NULL;
    return out[0] ? 0 : -1;
  }
  int64_t n = b_numel(c), k = 0;
  int64_t *sel = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(n + 1));
  if (!sel) return -1;
  for (int64_t i = 0; i < n && i < x->shape[axis]; i++)
    if (raw_get_i(c->dt, c->cdata, i)) sel[k++] = i;
  out[0] = b_gather(b, x, b_const(b, DT_I64, 1, &k, sel), axis);
  return out[0] ? 0 : -1;
}

static int d_reversesequence(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *len = in[1];
  int ba = (int)d_int(b, "batch_axis", 1), ta = (int)d_int(b, "time_axis", 0);
  if (x->rank < 2 || ba < 0 || ta < 0 || ba > 1 || ta > 1 || ba == ta) {
    diag_error(b->d, b->loc, "ReverseSequence: batch_axis and time_axis must be 0 and 1");
    return -1;
  }
  int64_t T = x->shape[ta], Bn = x->shape[ba], s[MAX_RANK];
  for (int i = 0; i < x->rank; i++) s[i] = i < 2 ? x->shape[i] : 1;
  /* src_t = t < len[b] ? len[b] - 1 - t : t, built at the input's rank */
  int64_t ls[2];
  ls[ba] = Bn;
  ls[ta] = 1;
  Value *L = b_reshape(b, b_cast(b, len, DT_I64), 2, ls);
  int64_t g[2];
  g[ta] = T;
  g[ba] = Bn;
  Value *t = b_iota(b, DT_I64, 2, g, ta, 0, 1);
  Value *src = b_where(b, b_binary(b, OP_CMPLT, t, L),
                       b_binary(b, OP_SUB, b_binary(b, OP_SUB, L, b_scalar(b, DT_I64, 1)), t), t);
  src = b_expand(b, b_reshape(b, src, x->rank, s), x->rank, x->shape);
  (void)T;
  out[0] = b_gatherelem(b, x, src, ta);
  return out[0] ? 0 : -1;
}

/* -------------------------------------------------- cumulative and order */
/* y[.., i] = reduce_j m[i][j] x[.., j] along the last axis, m from the
 * exclusive/reverse flags; the masked-out terms are the identity */
static Value *cumulative_axis(B *b, Value *x, int axis, Op rop, double ident);

/* the axis given at run time: one result per axis, selected by the value,
 * with a check that it names one */
static int cumulative_runtime(B *b, Value *x, Value *axv, Op rop, double ident, Value **out) {
  Value *a = b_scalar_of(b, axv, DT_I64, "axis");
  if (!a) return -1;
  int r = x->rank;
  a = b_where(b, b_binary(b, OP_CMPLT, a, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, a, b_scalar(b, DT_I64, r)), a);
  Value *ok = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 0), a),
                       b_binary(b, OP_CMPLT, a, b_scalar(b, DT_I64, r)));
  if (b_check(b, ok, arena_printf(b->p->a, "the axis lies in [%d, %d)", -r, r))) return -1;
  Value *y = cumulative_axis(b, x, r - 1, rop, ident);
  for (int k = r - 2; k >= 0; k--)
    y = b_where(b, b_binary(b, OP_CMPEQ, a, b_scalar(b, DT_I64, k)), cumulative_axis(b, x, k, rop, ident), y);
  out[0] = y;
  return y ? 0 : -1;
}

static int cumulative(B *b, Value **in, Op rop, double ident, Value **out) {
  Value *x = in[0];
  int64_t ax;
  if (x->rank < 1) {
    diag_error(b->d, b->loc, "%s needs an input of rank >= 1", b->n->op);
    return -1;
  }
  if (!b_is_const(in[1])) return cumulative_runtime(b, x, in[1], rop, ident, out);
  if (m_const_int(b, in[1], &ax, "axis")) return -1;
  int axis = b_axis(b, ax, x->rank, "cumulative axis");
  if (axis < 0) return -1;
  out[0] = cumulative_axis(b, x, axis, rop, ident);
  return out[0] ? 0 : -1;
}

static Value *cumulative_axis(B *b, Value *x, int axis, Op rop, double ident) {
  bool excl = d_int(b, "exclusive", 0) != 0, rev = d_int(b, "reverse", 0) != 0;
  Value *xl = m_axis_last(b, x, axis, false);
  if (!xl) return NULL;
  int r = xl->rank;
  int64_t n = xl->shape[r - 1], ms[2] = {n, n};
  Value *i = b_iota(b, DT_I64, 2, ms, 0, 0, 1), *j = b_iota(b, DT_I64, 2, ms, 1, 0, 1);
  Value *keep = rev ? (excl ? b_binary(b, OP_CMPLT, i, j) : b_binary(b, OP_CMPLE, i, j))
                    : (excl ? b_binary(b, OP_CMPLT, j, i) : b_binary(b, OP_CMPLE, j, i));
  Value *xe = m_unsq(b, xl, r - 1); /* [.., 1, n(j)] */
  Value *terms = b_where(b, keep, xe, m_sc(b, x, ident));
  Value *y = b_reduce(b, rop, terms, 1u << r, false);
  return m_axis_last(b, y, axis, true);
}
static int d_cumsum(B *b, Value **in, int nin, Value **out) { (void)nin; return cumulative(b, in, OP_RSUM, 0, out); }
static int d_cumprod(B *b, Value **in, int nin, Value **out) { (void)nin; return cumulative(b, in, OP_RPROD, 1, out); }

/* TopK: the rank of each element (how many come before it: larger, or equal
 * with a lower index), then output slot r takes the element of rank r. */
static int d_topk(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t k;
  int axis = b_axis(b, d_int(b, "axis", -1), x->rank, "TopK axis");
  if (axis < 0) return -1;
  if (!b_is_const(in[1])) { /* K from the declared output shape, checked at run time */
    int64_t D[MAX_RANK];
    if (!b_declared_for(b, 0, x->rank, D, "TopK K")) return -1;
    k = D[axis];
    if (b_check(b, b_binary(b, OP_CMPEQ, b_scalar_of(b, in[1], DT_I64, "K"), b_scalar(b, DT_I64, (double)k)),
                arena_printf(b->p->a, "K is the %lld of the declared output shape", (long long)k)))
      return -1;
  } else if (m_const_int(b, in[1], &k, "TopK K"))
    return -1;
  bool largest = d_int(b, "largest", 1) != 0;
  Value *xl = m_axis_last(b, x, axis, false);
  if (!xl) return -1;
  int r = xl->rank;
  int64_t n = xl->shape[r - 1];
  if (k < 0 || k > n) {
    diag_error(b->d, b->loc, "TopK: K = %lld out of range for an axis of %lld", (long long)k, (long long)n);
    return -1;
  }
  Value *xi = m_unsq(b, xl, r), *xj = m_unsq(b, xl, r - 1); /* [.., n(i), 1], [.., 1, n(j)] */
  int64_t ms[2] = {n, n};
  Value *jlt = b_binary(b, OP_CMPLT, b_iota(b, DT_I64, 2, ms, 1, 0, 1), b_iota(b, DT_I64, 2, ms, 0, 0, 1));
  Value *better = largest ? b_binary(b, OP_CMPLT, xi, xj) : b_binary(b, OP_CMPLT, xj, xi);
  Value *tie = b_binary(b, OP_AND, b_binary(b, OP_CMPEQ, xi, xj), jlt);
  Value *before = b_cast(b, b_binary(b, OP_OR, better, tie), DT_I64);
  Value *rank = b_reduce(b, OP_RSUM, before, 1u << r, false); /* [.., n(i)] */
  int64_t ks[2] = {n, k};
  Value *hit = b_binary(b, OP_CMPEQ, m_unsq(b, rank, r), b_iota(b, DT_I64, 2, ks, 1, 0, 1)); /* [.., n, k] */
  Value *idx = b_reduce(b, OP_RSUM, b_where(b, hit, b_iota(b, DT_I64, 2, ks, 0, 0, 1), b_scalar(b, DT_I64, 0)),
                        1u << (r - 1), false); /* [.., k] */
  Value *val = b_gatherelem(b, xl, idx, r - 1);
  out[0] = m_axis_last(b, val, axis, true);
  if (b->nout > 1) out[1] = m_axis_last(b, idx, axis, true);
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------------- scatters */
/* combine: where(any match) reduce(updates) into data, per reduction mode;
 * match [.., n, m] (bool), upd broadcastable to it, reduced over the last
 * axis (m), data [.., n] */
static Value *scatter_combine(B *b, Value *data, Value *match, Value *upd, const char *red) {
  int r = match->rank;
  unsigned last = 1u << (r - 1);
  Value *any = b_reduce(b, OP_RMAX, b_cast(b, match, DT_I32), last, false);
  any = b_cast(b, any, DT_BOOL);
  Value *dx = m_unsq(b, data, r - 1);
  if (!strcmp(red, "none")) { /* of several updates to one element the last one wins */
    int64_t is[MAX_RANK];
    for (int i = 0; i < r; i++) is[i] = i == r - 1 ? match->shape[r - 1] : 1;
    Value *io = b_iota(b, DT_I64, r, is, r - 1, 0, 1);
    Value *lastm = b_reduce(b, OP_RMAX, b_where(b, match, io, b_scalar(b, DT_I64, -1)), last, true);
    Value *sel = b_binary(b, OP_AND, match, b_binary(b, OP_CMPEQ, io, lastm));
    Value *s = b_reduce(b, OP_RSUM, b_where(b, sel, upd, m_sc(b, data, 0)), last, false);
    return b_where(b, any, s, data);
  }
  if (!strcmp(red, "add")) return b_binary(b, OP_ADD, data, b_reduce(b, OP_RSUM, b_where(b, match, upd, m_sc(b, data, 0)), last, false));
  if (!strcmp(red, "mul")) return b_binary(b, OP_MUL, data, b_reduce(b, OP_RPROD, b_where(b, match, upd, m_sc(b, data, 1)), last, false));
  if (!strcmp(red, "max")) return b_binary(b, OP_MAX, data, b_reduce(b, OP_RMAX, b_where(b, match, upd, dx), last, false));
  if (!strcmp(red, "min")) return b_binary(b, OP_MIN, data, b_reduce(b, OP_RMIN, b_where(b, match, upd, dx), last, false));
  diag_error(b->d, d_attr_loc(b, "reduction"), "%s: unknown reduction '%s'", b->n->op, red);
  return NULL;
}

static int d_scatterelements(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *idx = in[1], *upd = in[2];
  int axis = b_axis(b, d_int(b, "axis", 0), x->rank, "ScatterElements axis");
  if (axis < 0) return -1;
  if (idx->rank != x->rank || upd->rank != x->rank) {
    diag_error(b->d, b->loc, "%s: data, indices and updates must have the same rank", b->n->op);
    return -1;
  }
  int64_t dim = x->shape[axis], lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0};
  for (int i = 0; i < x->rank; i++) {
    if (idx->shape[i] != upd->shape[i] || (i != axis && idx->shape[i] > x->shape[i])) {
      diag_error(b->d, b->loc, "%s: indices %s and updates %s do not fit data %s", b->n->op,
                 shape_str(b->p->a, idx->rank, idx->shape), shape_str(b->p->a, upd->rank, upd->shape),
                 shape_str(b->p->a, x->rank, x->shape));
      return -1;
    }
    if (i != axis) hi[i] = x->shape[i] - idx->shape[i];
  }
  Value *j = b_cast(b, idx, DT_I64);
  j = b_where(b, b_binary(b, OP_CMPLT, j, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, j, b_scalar(b, DT_I64, (double)dim)), j);
  /* indices padded with an index that never matches */
  j = b_pad(b, j, lo, hi, PAD_CONSTANT, (double)dim);
  Value *u = b_pad(b, upd, lo, hi, PAD_CONSTANT, 0);
  Value *jl = m_axis_last(b, j, axis, false), *ul = m_axis_last(b, u, axis, false), *xl = m_axis_last(b, x, axis, false);
  if (!jl || !ul || !xl) return -1;
  int r = xl->rank;
  int64_t g[2] = {dim, 1};
  Value *match = b_binary(b, OP_CMPEQ, m_unsq(b, jl, r - 1), b_iota(b, DT_I64, 2, g, 0, 0, 1)); /* [.., n, m] */
  Value *y = scatter_combine(b, xl, match, m_unsq(b, ul, r - 1), d_str(b, "reduction", "none"));
  out[0] = m_axis_last(b, y, axis, true);
  return out[0] ? 0 : -1;
}

/* TensorScatter (KV-cache update): update's rows land at write_indices[b] + s
 * (mod the cache length when circular) along axis */
static int d_tensorscatter(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *u = in[1], *w = nin > 2 ? in[2] : NULL;
  int axis = b_axis(b, d_int(b, "axis", -2), x->rank, "TensorScatter axis");
  const char *mode = d_str(b, "mode", "linear");
  bool circ = !strcmp(mode, "circular");
  if (axis < 1 || (!circ && strcmp(mode, "linear")) || u->rank != x->rank) {
    diag_error(b->d, b->loc, "TensorScatter: axis must be past the batch dim, mode linear or circular");
    return -1;
  }
  for (int i = 0; i < x->rank; i++)
    if (i == axis ? u->shape[i] > x->shape[i] : u->shape[i] != x->shape[i]) {
      diag_error(b->d, b->loc, "TensorScatter: update %s does not fit the cache %s", shape_str(b->p->a, u->rank, u->shape),
                 shape_str(b->p->a, x->rank, x->shape));
      return -1;
    }
  int64_t Bn = x->shape[0], L = x->shape[axis], Sn = u->shape[axis], ps[MAX_RANK];
  Value *wi = w ? b_reshape(b, b_cast(b, w, DT_I64), 2, (int64_t[]){Bn, 1})
                : b_expand(b, b_scalar(b, DT_I64, 0), 2, (int64_t[]){Bn, 1});
  Value *pos = b_binary(b, OP_ADD, wi, b_iota(b, DT_I64, 2, (int64_t[]){1, Sn}, 1, 0, 1)); /* [B, S] */
  if (circ) pos = b_binary(b, OP_MOD, pos, b_scalar(b, DT_I64, (double)L));
  int r = x->rank;
  for (int i = 0; i < r + 1; i++) ps[i] = 1;
  ps[0] = Bn;
  ps[r] = Sn;
  pos = b_reshape(b, pos, r + 1, ps); /* [B, 1.., 1(L), S] */
  int64_t g[2] = {L, 1};
  Value *match = b_binary(b, OP_CMPEQ, pos, b_iota(b, DT_I64, 2, g, 0, 0, 1));
  Value *xl = m_axis_last(b, x, axis, false), *ul = m_axis_last(b, u, axis, false);
  if (!xl || !ul || !match) return -1;
  Value *y = scatter_combine(b, xl, match, m_unsq(b, ul, r - 1), "none");
  out[0] = m_axis_last(b, y, axis, true);
  return out[0] ? 0 : -1;
}

static int d_scatternd(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *idx = in[1], *upd = in[2];
  if (idx->rank < 1) {
    diag_error(b->d, b->loc, "ScatterND: indices must have rank >= 1");
    return -1;
  }
  int64_t k = idx->shape[idx->rank - 1];
  if (k > x->rank || upd->rank != idx->rank - 1 + x->rank - k) {
    diag_error(b->d, b->loc, "ScatterND: shapes of data, indices and updates do not fit");
    return -1;
  }
  int64_t M = 1, R = 1, Q = 1, stride[MAX_RANK];
  for (int i = 0; i < k; i++) M *= x->shape[i];
  for (int i = (int)k; i < x->rank; i++) R *= x->shape[i];
  for (int i = 0; i < idx->rank - 1; i++) Q *= idx->shape[i];
  for (int64_t i = k - 1, s = 1; i >= 0; i--) stride[i] = s, s *= x->shape[i];
  Value *j = b_reshape(b, b_cast(b, idx, DT_I64), 2, (int64_t[]){Q, k});
  Value *dims = NULL, *strides = NULL;
  {
    int64_t dv[MAX_RANK];
    for (int i = 0; i < k; i++) dv[i] = x->shape[i];
    dims = b_const(b, DT_I64, 1, &k, dv);
    strides = b_const(b, DT_I64, 1, &k, stride);
  }
  j = b_where(b, b_binary(b, OP_CMPLT, j, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, j, dims), j);
  Value *flat = b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, j, strides), 2, false); /* [Q] */
  Value *match = b_binary(b, OP_CMPEQ, b_reshape(b, flat, 2, (int64_t[]){1, Q}),
                          b_iota(b, DT_I64, 2, (int64_t[]){M, 1}, 0, 0, 1)); /* [M, Q] */
  match = b_reshape(b, match, 3, (int64_t[]){M, 1, Q});
  Value *u = b_permute(b, b_reshape(b, upd, 3, (int64_t[]){1, Q, R}), (int[]){0, 2, 1}); /* [1, R, Q] */
  Value *xd = b_reshape(b, x, 2, (int64_t[]){M, R});
  Value *y = match && u && xd ? scatter_combine(b, xd, match, u, d_str(b, "reduction", "none")) : NULL;
  out[0] = b_reshape(b, y, x->rank, x->shape);
  return out[0] ? 0 : -1;
}

static int d_gathernd(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *idx = in[1];
  int64_t bd = d_int(b, "batch_dims", 0);
  int64_t k = idx->rank ? idx->shape[idx->rank - 1] : 0;
  if (idx->rank < 1 || bd < 0 || bd + k > x->rank || bd >= idx->rank) {
    diag_error(b->d, b->loc, "GatherND: shapes of data and indices do not fit");
    return -1;
  }
  int64_t Bn = 1, M = 1, R = 1, Q = 1, stride[MAX_RANK], os[MAX_RANK];
  int orank = 0;
  for (int i = 0; i < bd; i++) Bn *= x->shape[i], os[orank++] = x->shape[i];
  for (int i = (int)bd; i < bd + k; i++) M *= x->shape[i];
  for (int i = (int)(bd + k); i < x->rank; i++) R *= x->shape[i];
  for (int i = (int)bd; i < idx->rank - 1; i++) Q *= idx->shape[i], os[orank++] = idx->shape[i];
  for (int i = (int)(bd + k); i < x->rank; i++) os[orank++] = x->shape[i];
  for (int64_t i = k - 1, s = 1; i >= 0; i--) stride[i] = s, s *= x->shape[bd + i];
  int64_t dv[MAX_RANK];
  for (int i = 0; i < k; i++) dv[i] = x->shape[bd + i];
  Value *j = b_reshape(b, b_cast(b, idx, DT_I64), 3, (int64_t[]){Bn, Q, k});
  j = b_where(b, b_binary(b, OP_CMPLT, j, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, j, b_const(b, DT_I64, 1, &k, dv)), j);
  Value *flat = b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, j, b_const(b, DT_I64, 1, &k, stride)), 4, false); /* [B, Q] */
  flat = b_binary(b, OP_ADD, flat, b_iota(b, DT_I64, 2, (int64_t[]){Bn, 1}, 0, 0, (double)M));
  Value *g = b_gather(b, b_reshape(b, x, 2, (int64_t[]){Bn * M, R}), flat, 0); /* [B, Q, R] */
  out[0] = b_reshape(b, g, orank, os);
  return out[0] ? 0 : -1;
}

/* CausalConvWithState: depthwise 1-D conv over [past_state | input], then
 * an optional SiLU; the new state is the last k-1 columns */
static int d_causalconv(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *w = in[1], *bias = nin > 2 ? in[2] : NULL, *past = nin > 3 ? in[3] : NULL;
  const char *act = d_str(b, "activation", "none");
  if (x->rank != 3 || w->rank != 3 || w->shape[0] != x->shape[1] || w->shape[1] != 1 ||
      (strcmp(act, "none") && strcmp(act, "silu") && strcmp(act, "swish"))) {
    diag_error(b->d, b->loc, "CausalConvWithState: input [B, C, L], weight [C, 1, k], activation none/silu/swish");
    return -1;
  }
  int64_t Bn = x->shape[0], C = x->shape[1], L = x->shape[2], k = w->shape[2];
  Value *pad = past ? past : b_expand(b, m_sc(b, x, 0), 3, (int64_t[]){Bn, C, k - 1});
  Value *xp = b_concat(b, 2, (Value *[]){pad, x}, 2);
  Params pr = {.group = (int)C, .nsp = 1, .kernel = {k}, .stride = {1}, .dil = {1}};
  Value *y = b_conv(b, xp, w, &pr, 3, (int64_t[]){Bn, C, L});
  if (bias) y = b_binary(b, OP_ADD, y, b_reshape(b, bias, 2, (int64_t[]){C, 1}));
  if (y && strcmp(act, "none")) {
    Value *f = b_cast(b, y, DT_F32), *one = b_scalar(b, DT_F32, 1);
    y = b_cast(b, b_binary(b, OP_MUL, f, b_binary(b, OP_DIV, one, b_binary(b, OP_ADD, one, b_unary(b, OP_EXP, b_unary(b, OP_NEG, f))))), x->dt);
  }
  out[0] = y;
  if (b->nout > 1 && xp)
    out[1] = b_slice(b, xp, (int64_t[]){0, 0, L}, (int64_t[]){1, 1, 1}, (int64_t[]){Bn, C, k - 1});
  return y ? 0 : -1;
}

/* ------------------------------------------------------------------ table */
const DecOp d_more_ops[] = {
    /* domain, name                 min max out  rewrite */
    {"", "AffineGrid", 2, 2, 1, d_affinegrid},
    {"", "Attention", 3, 7, 4, d_attention},
    {"", "BlackmanWindow", 1, 1, 1, d_blackman},
    {"", "CausalConvWithState", 2, 4, 2, d_causalconv},
    {"", "CenterCropPad", 2, 2, 1, d_centercroppad},
    {"", "Col2Im", 3, 3, 1, d_col2im},
    {"", "Compress", 2, 2, 1, d_compress},
    {"", "ConvInteger", 2, 4, 1, d_convinteger},
    {"", "ConvTranspose", 2, 3, 1, d_convtranspose},
    {"", "CumProd", 2, 2, 1, d_cumprod},
    {"", "CumSum", 2, 2, 1, d_cumsum},
    {"", "DFT", 1, 3, 1, d_dft},
    {"", "DeformConv", 3, 5, 1, d_deformconv},
    {"", "Det", 1, 1, 1, d_det},
    {"", "DequantizeLinear", 2, 3, 1, d_dequantizelinear},
    {"", "DepthToSpace", 1, 1, 1, d_depthtospace},
    {"", "DynamicQuantizeLinear", 1, 1, 3, d_dynamicquantizelinear},
    {"", "Einsum", 1, -1, 1, d_einsum},
    {"", "EyeLike", 1, 1, 1, d_eyelike},
    {"", "GatherND", 2, 2, 1, d_gathernd},
    {"", "GRU", 3, 6, 2, d_gru},
    {"", "GridSample", 2, 2, 1, d_gridsample},
    {"", "GroupNormalization", 3, 3, 1, d_groupnorm},
    {"", "HammingWindow", 1, 1, 1, d_hamming},
    {"", "HannWindow", 1, 1, 1, d_hann},
    {"", "If", 1, 1, 8, d_if},
    {"", "LRN", 1, 1, 1, d_lrn},
    {"", "LinearAttention", 3, 6, 2, d_linearattention},
    {"", "Loop", 2, -1, 8, d_loop},
    {"", "LSTM", 3, 8, 3, d_lstm},
    {"", "LpNormalization", 1, 1, 1, d_lpnorm},
    {"", "MatMulInteger", 2, 4, 1, d_matmulinteger},
    {"", "MaxUnpool", 2, 3, 1, d_maxunpool},
    {"", "MeanVarianceNormalization", 1, 1, 1, d_mvn},
    {"", "MelWeightMatrix", 5, 5, 1, d_melweightmatrix},
    {"", "NegativeLogLikelihoodLoss", 2, 3, 1, d_nllloss},
    {"", "NonMaxSuppression", 2, 5, 1, d_nms},
    {"", "NonZero", 1, 1, 1, d_nonzero},
    {"", "OneHot", 3, 3, 1, d_onehot},
    {"", "QLinearConv", 8, 9, 1, d_qlinearconv},
    {"", "QLinearMatMul", 8, 8, 1, d_qlinearmatmul},
    {"", "QuantizeLinear", 2, 3, 1, d_quantizelinear},
    {"", "RMSNormalization", 2, 2, 1, d_rmsnorm},
    {"", "RNN", 3, 6, 2, d_rnn},
    {"", "Resize", 1, 4, 1, d_resize},
    {"", "ReverseSequence", 2, 2, 1, d_reversesequence},
    {"", "RoiAlign", 3, 3, 1, d_roialign},
    {"", "RotaryEmbedding", 3, 4, 1, d_rotary},
    {"", "Scan", 1, -1, 8, d_scan},
    {"", "Scatter", 3, 3, 1, d_scatterelements},
    {"", "ScatterElements", 3, 3, 1, d_scatterelements},
    {"", "ScatterND", 3, 3, 1, d_scatternd},
    {"", "Shrink", 1, 1, 1, d_shrink},
    {"", "SoftmaxCrossEntropyLoss", 2, 3, 2, d_sceloss},
    {"", "STFT", 2, 4, 1, d_stft},
    {"", "SpaceToDepth", 1, 1, 1, d_spacetodepth},
    {"", "Swish", 1, 1, 1, d_swish},
    {"", "TensorScatter", 2, 3, 1, d_tensorscatter},
    {"", "TfIdfVectorizer", 1, 1, 1, d_tfidf},
    {"", "TopK", 2, 2, 2, d_topk},
    {"", "Trilu", 1, 2, 1, d_trilu},
    {"", "Unique", 1, 1, 4, d_unique},
    {"", "Upsample", 1, 2, 1, d_upsample},
};
const int d_more_nops = (int)(sizeof d_more_ops / sizeof d_more_ops[0]);
