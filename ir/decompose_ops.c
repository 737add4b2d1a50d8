/* decompose_ops.c: elementwise, activation, reduction and shape ops of
 * ai.onnx as rewrites over primitives, and the table of every front-end op.
 * The dense ops (Gemm, MatMul, Conv, pooling, normalization) are in
 * decompose_nn.c. Each rewrite follows the ONNX operator's documented
 * semantics; where they changed across opsets, attribute-style and
 * input-style arguments are both accepted. */
#include "decompose.h"

#include <math.h>
#include <string.h>

static Value *sc(B *b, Value *like, double v) { return b_scalar(b, like->dt, v); }
static bool isf(const Value *v) { return dtype_info[v->dt].is_float; }

/* ------------------------------------------------------------ elementwise */
#define UN(fname, OPN)                                       \
  static int fname(B *b, Value **in, int nin, Value **out) { \
    (void)nin;                                               \
    out[0] = b_unary(b, OP_##OPN, in[0]);                    \
    return out[0] ? 0 : -1;                                  \
  }
UN(d_neg, NEG) UN(d_abs, ABS) UN(d_sqrt, SQRT) UN(d_exp, EXP) UN(d_log, LOG) UN(d_erf, ERF) UN(d_tanh, TANH)
UN(d_sin, SIN) UN(d_cos, COS) UN(d_tan, TAN) UN(d_asin, ASIN) UN(d_acos, ACOS) UN(d_atan, ATAN) UN(d_sinh, SINH)
UN(d_cosh, COSH) UN(d_asinh, ASINH) UN(d_acosh, ACOSH) UN(d_atanh, ATANH) UN(d_recip, RECIP) UN(d_floor, FLOOR)
UN(d_ceil, CEIL) UN(d_round, ROUND) UN(d_sign, SIGN) UN(d_not, NOT) UN(d_isnan, ISNAN) UN(d_bitnot, BITNOT)

#define BIN(fname, OPN)                                      \
  static int fname(B *b, Value **in, int nin, Value **out) { \
    (void)nin;                                               \
    out[0] = b_binary(b, OP_##OPN, in[0], in[1]);            \
    return out[0] ? 0 : -1;                                  \
  }
BIN(d_add, ADD) BIN(d_sub, SUB) BIN(d_mul, MUL) BIN(d_div, DIV) BIN(d_and, AND) BIN(d_or, OR) BIN(d_xor, XOR)
BIN(d_equal, CMPEQ) BIN(d_less, CMPLT) BIN(d_lesseq, CMPLE) BIN(d_bitand, BITAND) BIN(d_bitor, BITOR)
BIN(d_bitxor, BITXOR)

static int d_greater(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = b_binary(b, OP_CMPLT, in[1], in[0]);
  return out[0] ? 0 : -1;
}
static int d_greatereq(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = b_binary(b, OP_CMPLE, in[1], in[0]);
  return out[0] ? 0 : -1;
}

static int d_pow(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *y = in[1];
  if (y->dt != in[0]->dt) y = b_cast(b, y, in[0]->dt);
  out[0] = b_binary(b, OP_POW, in[0], y);
  return out[0] ? 0 : -1;
}

static int d_mod(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  bool f = d_int(b, "fmod", 0) != 0;
  if (!f && isf(in[0])) {
    diag_error(b->d, b->loc, "Mod: fmod must be 1 for floating-point inputs");
    return -1;
  }
  out[0] = b_binary(b, f ? OP_FMOD : OP_MOD, in[0], in[1]);
  return out[0] ? 0 : -1;
}

static int d_bitshift(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  const char *dir = d_str(b, "direction", "");
  if (strcmp(dir, "LEFT") && strcmp(dir, "RIGHT")) {
    diag_error(b->d, d_attr_loc(b, "direction"), "BitShift: direction must be LEFT or RIGHT");
    return -1;
  }
  out[0] = b_binary(b, dir[0] == 'L' ? OP_SHL : OP_SHR, in[0], in[1]);
  return out[0] ? 0 : -1;
}

static int d_isinf(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int64_t neg = d_int(b, "detect_negative", 1), pos = d_int(b, "detect_positive", 1);
  Value *x = in[0], *r = b_unary(b, OP_ISINF, x);
  if (!neg && !pos) r = b_binary(b, OP_AND, r, b_scalar(b, DT_BOOL, 0));
  else if (!neg) r = b_binary(b, OP_AND, r, b_binary(b, OP_CMPLT, sc(b, x, 0), x));
  else if (!pos) r = b_binary(b, OP_AND, r, b_binary(b, OP_CMPLT, x, sc(b, x, 0)));
  out[0] = r;
  return r ? 0 : -1;
}

/* Sum, Mean, Max, Min: variadic with broadcasting */
static int fold_variadic(B *b, Op op, Value **in, int nin, Value **out) {
  Value *r = in[0];
  for (int i = 1; i < nin && r; i++) r = b_binary(b, op, r, in[i]);
  out[0] = r;
  return r ? 0 : -1;
}
static int d_sum(B *b, Value **in, int nin, Value **out) { return fold_variadic(b, OP_ADD, in, nin, out); }
static int d_max(B *b, Value **in, int nin, Value **out) { return fold_variadic(b, OP_MAX, in, nin, out); }
static int d_min(B *b, Value **in, int nin, Value **out) { return fold_variadic(b, OP_MIN, in, nin, out); }
static int d_mean(B *b, Value **in, int nin, Value **out) {
  if (fold_variadic(b, OP_ADD, in, nin, out)) return -1;
  out[0] = b_binary(b, OP_DIV, out[0], sc(b, out[0], nin));
  return out[0] ? 0 : -1;
}

static int d_identity(B *b, Value **in, int nin, Value **out) {
  (void)b;
  (void)nin;
  out[0] = in[0];
  return 0;
}

static int d_dropout(B *b, Value **in, int nin, Value **out) {
  /* inference is the identity; training mode drops at random unless the
   * ratio is 0 */
  if (nin > 2 && in[2]) {
    bool train = !b_is_const(in[2]) || b_const_scalar(in[2]) != 0;
    double ratio = nin > 1 && in[1] ? (b_is_const(in[1]) ? b_const_scalar(in[1]) : 1) : 0.5;
    if (train && ratio != 0) return m_dropout_train(b, in, nin, out); /* decompose_random.c */
  }
  out[0] = in[0];
  if (b->nout > 1) {
    int64_t one = 1;
    (void)one;
    out[1] = b_expand(b, b_scalar(b, DT_BOOL, 1), in[0]->rank, in[0]->shape);
  }
  return 0;
}

static int d_cast(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int64_t to = d_int(b, "to", -1);
  DType dt = dtype_from_onnx((int)to);
  if (dt == DT_UNDEF) {
    diag_error(b->d, d_attr_loc(b, "to"), "unsupported: Cast to ONNX data type %lld", (long long)to);
    return -1;
  }
  out[0] = lb_cast(b, in[0], dt, d_int(b, "saturate", 1) != 0, d_str(b, "round_mode", "up"));
  return out[0] ? 0 : -1;
}

static int d_castlike(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = lb_cast(b, in[0], in[1]->sem ? in[1]->sem : in[1]->dt, d_int(b, "saturate", 1) != 0,
                   d_str(b, "round_mode", "up"));
  return out[0] ? 0 : -1;
}

static int d_where(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = b_where(b, in[0], in[1], in[2]);
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------------ activations */
static int d_relu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = b_binary(b, OP_MAX, in[0], sc(b, in[0], 0));
  return out[0] ? 0 : -1;
}

static int d_leakyrelu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  double alpha = d_float(b, "alpha", 0.01);
  out[0] = b_where(b, b_binary(b, OP_CMPLT, x, sc(b, x, 0)), b_binary(b, OP_MUL, x, sc(b, x, alpha)), x);
  return out[0] ? 0 : -1;
}

static int d_prelu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  out[0] = b_where(b, b_binary(b, OP_CMPLT, x, sc(b, x, 0)), b_binary(b, OP_MUL, x, in[1]), x);
  return out[0] ? 0 : -1;
}

static Value *sigmoid(B *b, Value *x) {
  Value *one = sc(b, x, 1);
  return b_binary(b, OP_DIV, one, b_binary(b, OP_ADD, one, b_unary(b, OP_EXP, b_unary(b, OP_NEG, x))));
}

static int d_sigmoid(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = sigmoid(b, in[0]);
  return out[0] ? 0 : -1;
}

static int d_hardsigmoid(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  double alpha = d_float(b, "alpha", 0.2), beta = d_float(b, "beta", 0.5);
  Value *y = b_binary(b, OP_ADD, b_binary(b, OP_MUL, x, sc(b, x, alpha)), sc(b, x, beta));
  out[0] = b_binary(b, OP_MAX, b_binary(b, OP_MIN, y, sc(b, x, 1)), sc(b, x, 0));
  return out[0] ? 0 : -1;
}

static int d_hardswish(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  Value *y = b_binary(b, OP_ADD, b_binary(b, OP_MUL, x, sc(b, x, 1.0 / 6)), sc(b, x, 0.5));
  y = b_binary(b, OP_MAX, b_binary(b, OP_MIN, y, sc(b, x, 1)), sc(b, x, 0));
  out[0] = b_binary(b, OP_MUL, x, y);
  return out[0] ? 0 : -1;
}

static Value *softplus(B *b, Value *x) {
  return b_unary(b, OP_LOG, b_binary(b, OP_ADD, b_unary(b, OP_EXP, x), sc(b, x, 1)));
}

static int d_softplus(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = softplus(b, in[0]);
  return out[0] ? 0 : -1;
}

static int d_softsign(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  out[0] = b_binary(b, OP_DIV, x, b_binary(b, OP_ADD, sc(b, x, 1), b_unary(b, OP_ABS, x)));
  return out[0] ? 0 : -1;
}

static int d_mish(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = b_binary(b, OP_MUL, in[0], b_unary(b, OP_TANH, softplus(b, in[0])));
  return out[0] ? 0 : -1;
}

/* alpha * (exp(x / scale) - 1) * scale-ish family: Elu, Celu, Selu */
static Value *elu(B *b, Value *x, double alpha, double div) {
  Value *e = b_binary(b, OP_SUB, b_unary(b, OP_EXP, div == 1 ? x : b_binary(b, OP_DIV, x, sc(b, x, div))),
                      sc(b, x, 1));
  return b_where(b, b_binary(b, OP_CMPLT, sc(b, x, 0), x), x, b_binary(b, OP_MUL, e, sc(b, x, alpha)));
}

static int d_elu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  out[0] = elu(b, in[0], d_float(b, "alpha", 1.0), 1);
  return out[0] ? 0 : -1;
}

static int d_celu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  double alpha = d_float(b, "alpha", 1.0);
  out[0] = elu(b, in[0], alpha, alpha);
  return out[0] ? 0 : -1;
}

static int d_selu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  double alpha = d_float(b, "alpha", 1.67326319217681884765625), gamma = d_float(b, "gamma", 1.05070102214813232421875);
  out[0] = b_binary(b, OP_MUL, elu(b, in[0], alpha, 1), sc(b, in[0], gamma));
  return out[0] ? 0 : -1;
}

static int d_thresholdedrelu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  out[0] = b_where(b, b_binary(b, OP_CMPLT, sc(b, x, d_float(b, "alpha", 1.0)), x), x, sc(b, x, 0));
  return out[0] ? 0 : -1;
}

static int d_gelu(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  const char *approx = d_str(b, "approximate", "none");
  Value *half = b_binary(b, OP_MUL, x, sc(b, x, 0.5)), *inner;
  if (!strcmp(approx, "tanh")) {
    Value *x3 = b_binary(b, OP_MUL, b_binary(b, OP_MUL, x, x), x);
    inner = b_binary(b, OP_ADD, x, b_binary(b, OP_MUL, x3, sc(b, x, 0.044715)));
    inner = b_unary(b, OP_TANH, b_binary(b, OP_MUL, inner, sc(b, x, sqrt(2.0 / 3.14159265358979323846))));
  } else if (!strcmp(approx, "none")) {
    inner = b_unary(b, OP_ERF, b_binary(b, OP_MUL, x, sc(b, x, 1.0 / sqrt(2.0))));
  } else {
    diag_error(b->d, d_attr_loc(b, "approximate"), "Gelu: approximate must be 'none' or 'tanh'");
    return -1;
  }
  out[0] = b_binary(b, OP_MUL, half, b_binary(b, OP_ADD, inner, sc(b, x, 1)));
  return out[0] ? 0 : -1;
}

static int d_clip(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *lo = nin > 1 ? in[1] : NULL, *hi = nin > 2 ? in[2] : NULL;
  if (attr_find(b->n, "min")) lo = sc(b, x, d_float(b, "min", 0));
  if (attr_find(b->n, "max")) hi = sc(b, x, d_float(b, "max", 0));
  Value *r = x;
  if (lo) r = b_binary(b, OP_MAX, r, lo);
  if (hi) r = b_binary(b, OP_MIN, r, hi);
  out[0] = r;
  return r ? 0 : -1;
}

/* -------------------------------------------------------------- reductions */
/* Axis mask from the 'axes' attribute or input; empty means all axes unless
 * noop_with_empty_axes, when *noop is set. */
static int red_axes(B *b, Value *x, Value *axes_in, unsigned *mask, bool *noop) {
  int64_t ax[MAX_RANK];
  int n = d_ints(b, "axes", ax, MAX_RANK);
  if (n == -2) return -1;
  if (n < 0 && axes_in && !b_is_const(axes_in) && b_numel(axes_in) == 0) n = 0; /* no axes, whatever the source */
  if (n < 0 && axes_in) {
    n = b_const_ints(b, axes_in, ax, MAX_RANK, "reduction axes");
    if (n < 0) return -1;
  }
  *noop = false;
  *mask = 0;
  if (n <= 0) {
    if (d_int(b, "noop_with_empty_axes", 0)) {
      *noop = true;
      return 0;
    }
    *mask = x->rank ? (1u << x->rank) - 1 : 0;
    return 0;
  }
  for (int i = 0; i < n; i++) {
    int a = b_axis(b, ax[i], x->rank, "reduction axis");
    if (a < 0) return -1;
    *mask |= 1u << a;
  }
  return 0;
}

static int64_t red_count(const Value *x, unsigned mask) {
  int64_t c = 1;
  for (int i = 0; i < x->rank; i++)
    if (mask & (1u << i)) c *= x->shape[i];
  return c;
}

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQ } RKind;

static Value *reduce_mask(B *b, RKind k, Value *x, unsigned mask, bool keep);

/* Axes given at run time: the declared output shape says which axes are
 * reduced, up to axes of size 1 (reducing one changes no value) and, without
 * keepdims, up to which of several equal dims went. One result per way that
 * fits (a select between them when there are several), and a run-time check
 * that the axes given are one of them. */
static int reduce_runtime(B *b, RKind k, Value *x, Value *axes, bool keep, Value **out) {
  int r = x->rank;
  int64_t m = b_numel(axes), D[MAX_RANK];
  if (m > r) {
    diag_error(b->d, b->loc, "%s: %lld reduction axes for a rank-%d input", b->n->op, (long long)m, r);
    return -1;
  }
  int dr = keep ? r : r - (int)m;
  if (!b_declared_for(b, 0, dr, D, "reduction axes")) return -1;
  unsigned nonone = 0, keys[8];
  int nk = 0;
  for (int j = 0; j < r; j++)
    if (x->shape[j] != 1) nonone |= 1u << j;
  for (unsigned M = 0; M < (1u << r); M++) {
    if (__builtin_popcount(M) != m) continue;
    int64_t s[MAX_RANK];
    int n = 0;
    for (int j = 0; j < r; j++)
      if (!(M & (1u << j))) s[n++] = x->shape[j];
      else if (keep) s[n++] = 1;
    bool fits = n == dr;
    for (int j = 0; fits && j < n; j++) fits = s[j] == D[j];
    unsigned key = M & nonone;
    bool seen = false;
    for (int g = 0; g < nk; g++) seen |= keys[g] == key;
    if (!fits || seen) continue;
    if (nk == 8) {
      diag_error(b->d, b->loc, "unsupported: reduction axes computed at run time, and more than 8 sets of axes give "
                               "the declared output shape (pin the graph input they come from with --freeze)");
      return -1;
    }
    keys[nk++] = key;
  }
  if (!nk) {
    diag_error(b->d, b->loc, "%s: no %lld axes of %s reduce to the declared output shape %s", b->n->op, (long long)m,
               shape_str(b->p->a, r, x->shape), shape_str(b->p->a, dr, D));
    return -1;
  }
  Value *valid, *present = b_axes_present(b, axes, r, &valid), *any = NULL, *sel[8], *res[8];
  if (!present) return -1;
  for (int g = 0; g < nk; g++) {
    sel[g] = b_mask_is(b, present, r, keys[g], nonone);
    any = any ? b_binary(b, OP_OR, any, sel[g]) : sel[g];
    res[g] = b_reshape(b, reduce_mask(b, k, x, keys[g], true), dr, D);
    if (!res[g]) return -1;
  }
  if (b_check(b, b_binary(b, OP_AND, valid, any),
              arena_printf(b->p->a, "the reduction axes give the declared output shape %s",
                           shape_str(b->p->a, dr, D))))
    return -1;
  out[0] = b_select(b, nk, sel, res);
  return out[0] ? 0 : -1;
}

static int reduce(B *b, RKind k, Value **in, int nin, Value **out) {
  Value *x = in[0];
  unsigned mask;
  bool noop, keep = d_int(b, "keepdims", 1) != 0;
  Value *axes = nin > 1 ? in[1] : NULL;
  if (axes && !b_is_const(axes) && b_numel(axes) > 0 && !attr_find(b->n, "axes"))
    return reduce_runtime(b, k, x, axes, keep, out);
  if (red_axes(b, x, axes, &mask, &noop)) return -1;
  if (noop) {
    out[0] = x;
    return 0;
  }
  out[0] = reduce_mask(b, k, x, mask, keep);
  return out[0] ? 0 : -1;
}

static Value *reduce_mask(B *b, RKind k, Value *x, unsigned mask, bool keep) {
  Value *r = NULL;
  switch (k) {
  case R_SUM: r = b_reduce(b, OP_RSUM, x, mask, keep); break;
  case R_MEAN:
    r = b_reduce(b, OP_RSUM, x, mask, keep);
    r = b_binary(b, OP_DIV, r, sc(b, x, (double)red_count(x, mask)));
    break;
  case R_MAX: r = b_reduce(b, OP_RMAX, x, mask, keep); break;
  case R_MIN: r = b_reduce(b, OP_RMIN, x, mask, keep); break;
  case R_PROD: r = b_reduce(b, OP_RPROD, x, mask, keep); break;
  case R_L1: r = b_reduce(b, OP_RSUM, b_unary(b, OP_ABS, x), mask, keep); break;
  case R_L2: {
    Value *s = b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, x, x), mask, keep);
    if (s && !isf(s)) s = b_cast(b, b_unary(b, OP_SQRT, b_cast(b, s, DT_F64)), x->dt);
    else s = b_unary(b, OP_SQRT, s);
    r = s;
    break;
  }
  case R_LOGSUM: r = b_unary(b, OP_LOG, b_reduce(b, OP_RSUM, x, mask, keep)); break;
  case R_LOGSUMEXP: {
    Value *m = b_reduce(b, OP_RMAX, x, mask, true);
    if (!m) return NULL;
    Value *s = b_reduce(b, OP_RSUM, b_unary(b, OP_EXP, b_binary(b, OP_SUB, x, m)), mask, keep);
    Value *mm = keep ? m : b_reshape(b, m, s ? s->rank : 0, s ? s->shape : NULL);
    r = b_binary(b, OP_ADD, b_unary(b, OP_LOG, s), mm);
    break;
  }
  case R_SUMSQ: r = b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, x, x), mask, keep); break;
  }
  return r;
}

#define RED(fname, K) \
  static int fname(B *b, Value **in, int nin, Value **out) { return reduce(b, K, in, nin, out); }
RED(d_rsum, R_SUM) RED(d_rmean, R_MEAN) RED(d_rmax, R_MAX) RED(d_rmin, R_MIN) RED(d_rprod, R_PROD)
RED(d_rl1, R_L1) RED(d_rl2, R_L2) RED(d_rlogsum, R_LOGSUM) RED(d_rlogsumexp, R_LOGSUMEXP) RED(d_rsumsq, R_SUMSQ)

static int argred(B *b, Op op, Value **in, Value **out) {
  Value *x = in[0];
  int axis = b_axis(b, d_int(b, "axis", 0), x->rank, "ArgMax/ArgMin axis");
  if (axis < 0) return -1;
  out[0] = b_argred(b, op, x, axis, d_int(b, "keepdims", 1) != 0, d_int(b, "select_last_index", 0) != 0);
  return out[0] ? 0 : -1;
}
static int d_argmax(B *b, Value **in, int nin, Value **out) { (void)nin; return argred(b, OP_ARGMAX, in, out); }
static int d_argmin(B *b, Value **in, int nin, Value **out) { (void)nin; return argred(b, OP_ARGMIN, in, out); }

/* Softmax family: opset >= 13 works on one axis; older opsets coerce the
 * input to 2-D at `axis` and work on the second dimension. */
static int softmax_like(B *b, int kind, Value **in, Value **out) {
  Value *x = in[0];
  int opset = b->n->opset ? b->n->opset : b->g->opset;
  int axis = b_axis(b, d_int(b, "axis", opset >= 13 ? -1 : 1), x->rank, "Softmax axis");
  if (axis < 0) return -1;
  Value *v = x;
  int ax = axis;
  if (opset < 13 && x->rank > 0) {
    int64_t s[2] = {1, 1};
    for (int i = 0; i < x->rank; i++) s[i >= axis] *= x->shape[i];
    v = b_reshape(b, x, 2, s);
    ax = 1;
  }
  if (!v) return -1;
  unsigned m = v->rank ? 1u << ax : 0;
  Value *mx = b_reduce(b, OP_RMAX, v, m, true);
  Value *sh = b_binary(b, OP_SUB, v, mx), *r;
  if (kind == 0) {
    Value *e = b_unary(b, OP_EXP, sh);
    r = b_binary(b, OP_DIV, e, b_reduce(b, OP_RSUM, e, m, true));
  } else if (kind == 1) {
    r = b_binary(b, OP_SUB, sh, b_unary(b, OP_LOG, b_reduce(b, OP_RSUM, b_unary(b, OP_EXP, sh), m, true)));
  } else { /* hardmax: one-hot of the first maximum */
    Value *am = b_argred(b, OP_ARGMAX, v, ax, true, false);
    Value *io = am ? b_iota(b, DT_I64, v->rank, v->shape, ax, 0, 1) : NULL;
    r = b_cast(b, b_binary(b, OP_CMPEQ, io, am), v->dt);
  }
  if (r && r->rank != x->rank) r = b_reshape(b, r, x->rank, x->shape);
  out[0] = r;
  return r ? 0 : -1;
}
static int d_softmax(B *b, Value **in, int nin, Value **out) { (void)nin; return softmax_like(b, 0, in, out); }
static int d_logsoftmax(B *b, Value **in, int nin, Value **out) { (void)nin; return softmax_like(b, 1, in, out); }
static int d_hardmax(B *b, Value **in, int nin, Value **out) { (void)nin; return softmax_like(b, 2, in, out); }

/* ------------------------------------------------------------------ shape */
/* Reshape to a shape given at run time: built for the declared output shape
 * D, with a check that the shape given means D: element i is D[i], or 0
 * copying an input dim equal to D[i] (without allowzero), or the one -1
 * (which then stands for D[i], the element count agreeing). */
static int reshape_runtime(B *b, Value *x, Value *shape, bool allowzero, Value **out) {
  int64_t m = b_numel(shape), D[MAX_RANK];
  if (shape->rank != 1 || m > MAX_RANK) {
    diag_error(b->d, b->loc, "Reshape: the shape must be a 1-D tensor of at most %d elements, not %s", MAX_RANK,
               shape_str(b->p->a, shape->rank, shape->shape));
    return -1;
  }
  if (!b_declared_for(b, 0, (int)m, D, "Reshape shape")) return -1;
  if (shape_numel((int)m, D) != b_numel(x)) {
    diag_error(b->d, b->loc, "Reshape: the declared output shape %s does not hold the %lld elements of %s",
               shape_str(b->p->a, (int)m, D), (long long)b_numel(x), shape_str(b->p->a, x->rank, x->shape));
    return -1;
  }
  unsigned char zero_ok[MAX_RANK] = {0}, neg_ok[MAX_RANK] = {0};
  for (int i = 0; i < m; i++) {
    zero_ok[i] = !allowzero && i < x->rank && x->shape[i] == D[i];
    int64_t rest = 1;
    for (int j = 0; j < m; j++) rest *= j == i ? 1 : D[j];
    neg_ok[i] = rest != 0; /* -1 is inferred from a nonzero product of the others */
  }
  Value *s = b_cast(b, shape, DT_I64);
  Value *z = b_scalar(b, DT_I64, 0), *neg = b_scalar(b, DT_I64, -1);
  Value *isneg = b_binary(b, OP_CMPEQ, s, neg);
  Value *ok = b_eq_ints(b, s, (int)m, D);
  ok = b_binary(b, OP_OR, ok, b_binary(b, OP_AND, b_binary(b, OP_CMPEQ, s, z), b_const(b, DT_BOOL, 1, &m, zero_ok)));
  ok = b_binary(b, OP_OR, ok, b_binary(b, OP_AND, isneg, b_const(b, DT_BOOL, 1, &m, neg_ok)));
  Value *nneg = b_reduce(b, OP_RSUM, b_cast(b, isneg, DT_I64), 1u, false);
  ok = b_binary(b, OP_AND, b_all(b, ok), b_binary(b, OP_CMPLE, nneg, b_scalar(b, DT_I64, 1)));
  if (b_check(b, ok, arena_printf(b->p->a, "the shape given means the declared %s", shape_str(b->p->a, (int)m, D))))
    return -1;
  out[0] = b_reshape(b, x, (int)m, D);
  return out[0] ? 0 : -1;
}

/* Squeeze/Unsqueeze with axes given at run time: the declared output shape
 * fixes the result (a reshape); check that the axes are m distinct positions
 * (of the input for Squeeze, of the output for Unsqueeze) that turn one shape
 * into the other. */
static int squeeze_runtime(B *b, Value *x, Value *axes, bool unsq, Value **out) {
  int64_t m = b_numel(axes), D[MAX_RANK];
  const char *what = unsq ? "Unsqueeze axes" : "Squeeze axes";
  int dr = unsq ? x->rank + (int)m : x->rank - (int)m;
  if (dr < 0 || dr > MAX_RANK) {
    diag_error(b->d, b->loc, "%s: %lld axes for a rank-%d input", b->n->op, (long long)m, x->rank);
    return -1;
  }
  if (!b_declared_for(b, 0, dr, D, what)) return -1;
  int big = unsq ? dr : x->rank; /* the axes name positions of the larger shape */
  const int64_t *bs = unsq ? D : x->shape, *ss = unsq ? x->shape : D;
  unsigned fit[64];
  int nf = 0;
  for (unsigned M = 0; M < (1u << big); M++) {
    if (__builtin_popcount(M) != m) continue;
    bool ok = true;
    for (int j = 0, k = 0; ok && j < big; j++)
      ok = (M & (1u << j)) ? bs[j] == 1 : bs[j] == ss[k++];
    if (!ok) continue;
    if (nf == 64) {
      diag_error(b->d, b->loc, "unsupported: %s computed at run time fit the declared shape more than 64 ways "
                               "(pin the graph input they come from with --freeze)", what);
      return -1;
    }
    fit[nf++] = M;
  }
  if (!nf) {
    diag_error(b->d, b->loc, "%s: no %lld axes turn %s into the declared output shape %s", b->n->op, (long long)m,
               shape_str(b->p->a, x->rank, x->shape), shape_str(b->p->a, dr, D));
    return -1;
  }
  Value *valid, *present = b_axes_present(b, axes, big, &valid), *any = NULL;
  if (!present) return -1;
  for (int f = 0; f < nf; f++) {
    Value *is = b_mask_is(b, present, big, fit[f], (1u << big) - 1);
    any = any ? b_binary(b, OP_OR, any, is) : is;
  }
  if (b_check(b, b_binary(b, OP_AND, valid, any),
              arena_printf(b->p->a, "the %s give the declared output shape %s", what, shape_str(b->p->a, dr, D))))
    return -1;
  out[0] = b_reshape(b, x, dr, D);
  return out[0] ? 0 : -1;
}

static int d_reshape(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t s[MAX_RANK];
  int n = d_ints(b, "shape", s, MAX_RANK); /* opset < 5 */
  if (n == -2) return -1;
  bool allowzero = d_int(b, "allowzero", 0) != 0;
  if (n < 0 && in[1] && !b_is_const(in[1])) return reshape_runtime(b, x, in[1], allowzero, out);
  if (n < 0) n = b_const_ints(b, in[1], s, MAX_RANK, "Reshape shape");
  if (n < 0) return -1;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < n; i++) {
    if (s[i] == 0 && !allowzero) {
      if (i >= x->rank) {
        diag_error(b->d, b->loc, "Reshape: 0 at position %d copies a dimension the input lacks", i);
        return -1;
      }
      s[i] = x->shape[i];
    }
    if (s[i] == -1) {
      if (infer >= 0) {
        diag_error(b->d, b->loc, "Reshape: more than one -1 in the shape");
        return -1;
      }
      infer = i;
    } else if (s[i] < 0) {
      diag_error(b->d, b->loc, "Reshape: invalid dimension %lld", (long long)s[i]);
      return -1;
    } else if (__builtin_mul_overflow(known, s[i], &known)) {
      diag_error(b->d, b->loc, "Reshape: shape dimensions multiply past 2^63");
      return -1;
    }
  }
  if (infer >= 0) {
    if (known == 0 || b_numel(x) % known) {
      diag_error(b->d, b->loc, "cannot reshape %s into a shape with %lld elements per -1",
                 shape_str(b->p->a, x->rank, x->shape), (long long)known);
      return -1;
    }
    s[infer] = b_numel(x) / known;
  }
  out[0] = b_reshape(b, x, n, s);
  return out[0] ? 0 : -1;
}

static int d_flatten(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t axis = d_int(b, "axis", 1);
  if (axis < -x->rank || axis > x->rank) {
    diag_error(b->d, d_attr_loc(b, "axis"), "Flatten: axis %lld out of range for rank %d", (long long)axis, x->rank);
    return -1;
  }
  if (axis < 0) axis += x->rank;
  int64_t s[2] = {1, 1};
  for (int i = 0; i < x->rank; i++) s[i >= axis] *= x->shape[i];
  out[0] = b_reshape(b, x, 2, s);
  return out[0] ? 0 : -1;
}

static int d_transpose(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t p[MAX_RANK];
  int perm[MAX_RANK];
  int n = d_ints(b, "perm", p, MAX_RANK);
  if (n == -2) return -1;
  if (n >= 0 && n != x->rank) {
    diag_error(b->d, d_attr_loc(b, "perm"), "Transpose: perm has %d entries for rank %d", n, x->rank);
    return -1;
  }
  for (int i = 0; i < x->rank; i++) {
    perm[i] = n < 0 ? x->rank - 1 - i : (int)p[i];
    if (n >= 0 && (p[i] < 0 || p[i] >= x->rank)) {
      diag_error(b->d, d_attr_loc(b, "perm"), "Transpose: invalid perm entry %lld", (long long)p[i]);
      return -1;
    }
  }
  out[0] = b_permute(b, x, perm);
  return out[0] ? 0 : -1;
}

static int d_concat(B *b, Value **in, int nin, Value **out) {
  Value *xs[64];
  int n = 0;
  for (int i = 0; i < nin; i++)
    if (in[i] && b_numel(in[i]) > 0) xs[n++] = in[i];
  if (!n) xs[n++] = in[0];
  int axis = b_axis(b, d_int(b, "axis", 0), xs[0]->rank, "Concat axis");
  if (axis < 0) return -1;
  if (n < nin) { /* empty inputs still must agree in rank */
    for (int i = 0; i < nin; i++)
      if (in[i]->rank != xs[0]->rank) {
        diag_error(b->d, b->loc, "Concat: inputs have different ranks");
        return -1;
      }
  }
  out[0] = b_concat(b, n, xs, axis);
  return out[0] ? 0 : -1;
}

static int d_squeeze(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  int64_t ax[MAX_RANK];
  int n = d_ints(b, "axes", ax, MAX_RANK);
  if (n == -2) return -1;
  if (n < 0 && nin > 1 && in[1] && !b_is_const(in[1]) && b_numel(in[1]) > 0)
    return squeeze_runtime(b, x, in[1], false, out);
  if (n < 0 && nin > 1 && in[1]) n = b_const_ints(b, in[1], ax, MAX_RANK, "Squeeze axes");
  if (n < -1) return -1;
  unsigned m = 0;
  for (int i = 0; i < n; i++) {
    int a = b_axis(b, ax[i], x->rank, "Squeeze axis");
    if (a < 0) return -1;
    if (x->shape[a] != 1) {
      diag_error(b->d, b->loc, "Squeeze: dimension %d of %s is not 1", a, shape_str(b->p->a, x->rank, x->shape));
      return -1;
    }
    m |= 1u << a;
  }
  if (n <= 0)
    for (int i = 0; i < x->rank; i++)
      if (x->shape[i] == 1) m |= 1u << i;
  int64_t s[MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++)
    if (!(m & (1u << i))) s[r++] = x->shape[i];
  out[0] = b_reshape(b, x, r, s);
  return out[0] ? 0 : -1;
}

static int d_unsqueeze(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  int64_t ax[MAX_RANK];
  int n = d_ints(b, "axes", ax, MAX_RANK);
  if (n == -2) return -1;
  if (n < 0 && nin > 1 && in[1] && !b_is_const(in[1])) return squeeze_runtime(b, x, in[1], true, out);
  if (n < 0) n = nin > 1 && in[1] ? b_const_ints(b, in[1], ax, MAX_RANK, "Unsqueeze axes") : -1;
  if (n < 0) {
    if (n == -1 && !b->d->nerr) diag_error(b->d, b->loc, "Unsqueeze: axes are required");
    return -1;
  }
  int r = x->rank + n;
  if (r > MAX_RANK) {
    diag_error(b->d, b->loc, "Unsqueeze: result rank %d exceeds %d", r, MAX_RANK);
    return -1;
  }
  unsigned m = 0;
  for (int i = 0; i < n; i++) {
    int a = b_axis(b, ax[i], r, "Unsqueeze axis");
    if (a < 0) return -1;
    if (m & (1u << a)) {
      diag_error(b->d, b->loc, "Unsqueeze: axis %d repeated", a);
      return -1;
    }
    m |= 1u << a;
  }
  int64_t s[MAX_RANK];
  for (int i = 0, k = 0; i < r; i++) s[i] = (m & (1u << i)) ? 1 : x->shape[k++];
  out[0] = b_reshape(b, x, r, s);
  return out[0] ? 0 : -1;
}

/* Normalizes one axis of a Slice per the ONNX rules; returns the count. */
static int64_t slice_axis(int64_t dim, int64_t *start, int64_t end, int64_t step) {
  int64_t s = *start, e = end; /* |step| <= 2^62 (d_slice): -step and the counts cannot overflow */
  if (s < 0) s += dim;
  if (e < 0) e += dim;
  if (step > 0) {
    s = s < 0 ? 0 : s > dim ? dim : s;
    e = e < 0 ? 0 : e > dim ? dim : e;
  } else {
    s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
    e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
  }
  *start = s;
  int64_t n = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
  if (n < 0) n = 0;
  if (n == 0) *start = 0;
  return n;
}

/* Slice/Pad arguments given at run time, per axis of a rank-r input: out[j]
 * (an i64 scalar) is v[off + i] for the i whose axis is j (axes: given,
 * constant or not, or NULL for 0..n-1), def when none is; *valid: a bool
 * scalar, the axes in range and distinct. */
static int per_axis(B *b, Value *v, int off, int n, Value *axes, int r, double def, Value **out, Value **valid) {
  *valid = b_scalar(b, DT_BOOL, 1);
  if (!axes && n > r) {
    diag_error(b->d, b->loc, "%s: %d values for a rank-%d input", b->n->op, n, r);
    return -1;
  }
  Value *a = NULL;
  if (axes) {
    if (b_numel(axes) != n) {
      diag_error(b->d, b->loc, "%s: %lld axes for %d values", b->n->op, (long long)b_numel(axes), n);
      return -1;
    }
    if (!b_axes_present(b, axes, r, valid)) return -1;
    a = b_cast(b, axes, DT_I64);
    a = b_where(b, b_binary(b, OP_CMPLT, a, b_scalar(b, DT_I64, 0)), b_binary(b, OP_ADD, a, b_scalar(b, DT_I64, r)), a);
  }
  for (int j = 0; j < r; j++) {
    Value *o = b_scalar(b, DT_I64, def);
    for (int i = 0; i < n; i++) {
      Value *e = b_elem(b, v, off + i, DT_I64);
      if (!axes) o = i == j ? e : o;
      else o = b_where(b, b_binary(b, OP_CMPEQ, b_elem(b, a, i, DT_I64), b_scalar(b, DT_I64, j)), e, o);
    }
    if (!(out[j] = o)) return -1;
  }
  return 0;
}

/* x gathered on axis j at the positions idx (i64 [D]), unless idx is the
 * constant 0..dim-1 */
static Value *gather_axis(B *b, Value *x, int j, Value *idx) {
  if (!idx) return NULL;
  int64_t dim = x->shape[j], D = b_numel(idx);
  bool ident = b_is_const(idx) && D == dim;
  for (int64_t k = 0; ident && k < D; k++) ident = raw_get_i(idx->dt, idx->cdata, k) == k;
  if (ident) return x;
  if (!dim) { /* the checks fail when D > 0; nothing to read */
    int64_t s[MAX_RANK], ones[MAX_RANK];
    for (int i = 0; i < x->rank; i++) s[i] = i == j ? D : x->shape[i], ones[i] = 1;
    return b_expand(b, b_reshape(b, b_scalar(b, x->dt, 0), x->rank, ones), x->rank, s);
  }
  return b_gather(b, x, b_index(b, idx, dim), j);
}

/* Slice with starts/ends/axes/steps given at run time: built for the
 * declared output shape; per axis, the ONNX normalization computed with
 * primitives, the count checked against the declared dim, and the axis
 * gathered at start + step*k (clamped into range). */
static int slice_runtime(B *b, Value *x, Value **in, int nin, Value **out) {
  int r = x->rank, n = (int)b_numel(in[1]);
  int64_t D[MAX_RANK];
  if (!b_declared_for(b, 0, r, D, "Slice starts/ends")) return -1;
  Value *axes = nin > 3 && in[3] && b_numel(in[3]) ? in[3] : NULL, *steps = nin > 4 && in[4] ? in[4] : NULL;
  if (b_numel(in[2]) != n || (steps && b_numel(steps) != n)) {
    diag_error(b->d, b->loc, "Slice: starts, ends, axes and steps must have equal lengths");
    return -1;
  }
  Value *S[MAX_RANK], *E[MAX_RANK], *P[MAX_RANK], *v1, *v2, *v3, *ok;
  if (per_axis(b, in[1], 0, n, axes, r, 0, S, &v1) || per_axis(b, in[2], 0, n, axes, r, (double)((int64_t)1 << 62), E, &v2))
    return -1;
  if (steps ? per_axis(b, steps, 0, n, axes, r, 1, P, &v3) : 0) return -1;
  ok = b_binary(b, OP_AND, v1, v2);
  if (steps) ok = b_binary(b, OP_AND, ok, v3);
  Value *y = x;
  for (int j = 0; j < r; j++) {
    int64_t dim = x->shape[j];
    double big = (double)(dim > 1 ? dim : 1);
    Value *z = b_scalar(b, DT_I64, 0), *dm = b_scalar(b, DT_I64, (double)dim);
    Value *st = steps ? P[j] : b_scalar(b, DT_I64, 1);
    ok = b_binary(b, OP_AND, ok, b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, st, z)));
    /* |step| >= dim takes the same elements as dim: no overflow below */
    st = b_clamp(b, b_where(b, b_binary(b, OP_CMPEQ, st, z), b_scalar(b, DT_I64, 1), st), -big, big);
    Value *pos = b_binary(b, OP_CMPLT, z, st);
    Value *sv = b_where(b, b_binary(b, OP_CMPLT, S[j], z), b_binary(b, OP_ADD, S[j], dm), S[j]);
    Value *ev = b_where(b, b_binary(b, OP_CMPLT, E[j], z), b_binary(b, OP_ADD, E[j], dm), E[j]);
    sv = b_where(b, pos, b_clamp(b, sv, 0, (double)dim), b_clamp(b, sv, -1, (double)dim - 1));
    ev = b_where(b, pos, b_clamp(b, ev, 0, (double)dim), b_clamp(b, ev, -1, (double)dim - 1));
    Value *span = b_where(b, pos, b_binary(b, OP_SUB, ev, sv), b_binary(b, OP_SUB, sv, ev));
    Value *ast = b_unary(b, OP_ABS, st);
    span = b_binary(b, OP_MAX, span, z);
    Value *cnt = b_binary(b, OP_DIV, b_binary(b, OP_SUB, b_binary(b, OP_ADD, span, ast), b_scalar(b, DT_I64, 1)), ast);
    ok = b_binary(b, OP_AND, ok, b_binary(b, OP_CMPEQ, cnt, b_scalar(b, DT_I64, (double)D[j])));
    Value *idx = b_binary(b, OP_ADD, sv, b_binary(b, OP_MUL, st, b_iota(b, DT_I64, 1, &D[j], 0, 0, 1)));
    y = gather_axis(b, y, j, idx);
    if (!y) return -1;
  }
  if (b_check(b, ok, arena_printf(b->p->a, "the slice gives the declared output shape %s", shape_str(b->p->a, r, D))))
    return -1;
  out[0] = y;
  return 0;
}

static int d_slice(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  int64_t st[MAX_RANK], en[MAX_RANK], ax[MAX_RANK], sp[MAX_RANK];
  int n, ne, na = -1, ns = -1;
  if (attr_find(b->n, "starts")) { /* opset < 10 */
    n = d_ints(b, "starts", st, MAX_RANK);
    ne = d_ints(b, "ends", en, MAX_RANK);
    na = d_ints(b, "axes", ax, MAX_RANK);
  } else {
    if (nin < 3) {
      diag_error(b->d, b->loc, "Slice expects starts and ends inputs");
      return -1;
    }
    for (int i = 1; i < nin && i < 5; i++)
      if (in[i] && !b_is_const(in[i])) return slice_runtime(b, x, in, nin, out);
    n = b_const_ints(b, in[1], st, MAX_RANK, "Slice starts");
    ne = b_const_ints(b, in[2], en, MAX_RANK, "Slice ends");
    if (nin > 3 && in[3]) na = b_const_ints(b, in[3], ax, MAX_RANK, "Slice axes");
    if (nin > 4 && in[4]) ns = b_const_ints(b, in[4], sp, MAX_RANK, "Slice steps");
  }
  if (n < 0 || ne != n || (na >= 0 && na != n) || (ns >= 0 && ns != n)) {
    if (!b->d->nerr) diag_error(b->d, b->loc, "Slice: starts, ends, axes and steps must have equal lengths");
    return -1;
  }
  int64_t start[MAX_RANK], step[MAX_RANK], shape[MAX_RANK];
  for (int i = 0; i < x->rank; i++) {
    start[i] = 0;
    step[i] = 1;
    shape[i] = x->shape[i];
  }
  unsigned seen = 0;
  for (int i = 0; i < n; i++) {
    int a = b_axis(b, na >= 0 ? ax[i] : i, x->rank, "Slice axis");
    if (a < 0) return -1;
    if (seen & (1u << a)) {
      diag_error(b->d, b->loc, "Slice: axis %d repeated", a);
      return -1;
    }
    seen |= 1u << a;
    int64_t s = ns >= 0 ? sp[i] : 1;
    if (s == 0) {
      diag_error(b->d, b->loc, "Slice: step must not be 0");
      return -1;
    }
    /* dims are below 2^40: a step past +-2^62 takes the same elements */
    const int64_t big = (int64_t)1 << 62;
    s = s > big ? big : s < -big ? -big : s;
    start[a] = st[i];
    step[a] = s;
    shape[a] = slice_axis(x->shape[a], &start[a], en[i], s);
  }
  out[0] = b_slice(b, x, start, step, shape);
  return out[0] ? 0 : -1;
}

static int d_gather(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int axis = b_axis(b, d_int(b, "axis", 0), in[0]->rank, "Gather axis");
  if (axis < 0) return -1;
  out[0] = b_gather(b, in[0], in[1], axis);
  return out[0] ? 0 : -1;
}

static int d_gatherelements(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int axis = b_axis(b, d_int(b, "axis", 0), in[0]->rank, "GatherElements axis");
  if (axis < 0) return -1;
  out[0] = b_gatherelem(b, in[0], in[1], axis);
  return out[0] ? 0 : -1;
}

static int d_shape(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t s = d_int(b, "start", 0), e = d_int(b, "end", x->rank);
  if (s < 0) s += x->rank;
  if (e < 0) e += x->rank;
  s = s < 0 ? 0 : s > x->rank ? x->rank : s;
  e = e < 0 ? 0 : e > x->rank ? x->rank : e;
  int64_t n = e > s ? e - s : 0;
  out[0] = b_const(b, DT_I64, 1, &n, x->shape + s);
  return out[0] ? 0 : -1;
}

static int d_size(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int64_t n = b_numel(in[0]);
  out[0] = b_const(b, DT_I64, 0, NULL, &n);
  return out[0] ? 0 : -1;
}

static int d_constant(B *b, Value **in, int nin, Value **out) {
  (void)in;
  (void)nin;
  const Attr *a;
  if ((a = attr_find(b->n, "value")) && a->type == AT_TENSOR) {
    out[0] = d_tensor(b, a->t);
  } else if ((a = attr_find(b->n, "value_float"))) {
    out[0] = b_scalar(b, DT_F32, d_float(b, "value_float", 0));
  } else if ((a = attr_find(b->n, "value_int"))) {
    out[0] = b_scalar(b, DT_I64, (double)d_int(b, "value_int", 0));
  } else if ((a = attr_find(b->n, "value_floats")) && a->type == AT_FLOATS) {
    float *f = arena_alloc(b->p->a, sizeof(float) * (size_t)(a->n ? a->n : 1));
    if (!f) return -1;
    for (int i = 0; i < a->n; i++) f[i] = (float)a->floats[i];
    int64_t n = a->n;
    out[0] = b_const(b, DT_F32, 1, &n, f);
  } else if ((a = attr_find(b->n, "value_ints")) && a->type == AT_INTS) {
    int64_t n = a->n;
    out[0] = b_const(b, DT_I64, 1, &n, a->ints);
  } else if ((a = attr_find(b->n, "value_strings")) && a->type == AT_STRINGS) {
    int64_t n = a->n;
    out[0] = b_const_strs(b, 1, &n, (const char *const *)a->strs);
  } else if ((a = attr_find(b->n, "value_string")) && a->type == AT_STRING) {
    out[0] = b_const_strs(b, 0, NULL, &a->s);
  } else {
    diag_error(b->d, b->loc, "unsupported: Constant without a tensor, float(s), int(s) or string(s) value");
    return -1;
  }
  return out[0] ? 0 : -1;
}

static int d_constantofshape(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int64_t s[MAX_RANK];
  int n;
  if (in[0] && !b_is_const(in[0])) { /* built for the declared shape, checked at run time */
    n = (int)b_numel(in[0]);
    if (in[0]->rank != 1 || n > MAX_RANK) {
      diag_error(b->d, b->loc, "ConstantOfShape: the shape must be a 1-D tensor of at most %d elements", MAX_RANK);
      return -1;
    }
    if (!b_declared_for(b, 0, n, s, "ConstantOfShape shape") || b_check_ints(b, in[0], n, s, "the shape is")) return -1;
  } else n = b_const_ints(b, in[0], s, MAX_RANK, "ConstantOfShape shape");
  if (n < 0) return -1;
  for (int i = 0; i < n; i++)
    if (s[i] < 0) {
      diag_error(b->d, b->loc, "ConstantOfShape: negative dimension");
      return -1;
    }
  const Attr *a = attr_find(b->n, "value");
  Value *v = a && a->type == AT_TENSOR ? d_tensor(b, a->t) : b_scalar(b, DT_F32, 0);
  if (v && b_numel(v) != 1) {
    diag_error(b->d, b->loc, "ConstantOfShape: value must have one element");
    return -1;
  }
  if (v) v = b_reshape(b, v, 0, NULL);
  out[0] = b_expand(b, v, n, s);
  return out[0] ? 0 : -1;
}

/* Expand to a shape given at run time: built for the declared output shape
 * D (x broadcast to it), with a check that broadcasting x with the shape
 * gives D: each element is D's dim, or 1 where x has that dim. */
static int expand_runtime(B *b, Value *x, Value *shape, Value **out) {
  int64_t m = b_numel(shape), D[MAX_RANK];
  if (shape->rank != 1 || m > MAX_RANK) {
    diag_error(b->d, b->loc, "Expand: the shape must be a 1-D tensor of at most %d elements", MAX_RANK);
    return -1;
  }
  int r = x->rank > (int)m ? x->rank : (int)m;
  if (!b_declared_for(b, 0, r, D, "Expand shape")) return -1;
  int64_t one[MAX_RANK];
  for (int i = 0; i < r; i++) {
    int xi = i - (r - x->rank);
    int64_t xd = xi >= 0 ? x->shape[xi] : 1;
    if (xd != D[i] && xd != 1) {
      diag_error(b->d, b->loc, "Expand: %s does not broadcast to the declared output shape %s",
                 shape_str(b->p->a, x->rank, x->shape), shape_str(b->p->a, r, D));
      return -1;
    }
    one[i] = xd == D[i]; /* a 1 in the shape keeps x's dim */
  }
  Value *sv = b_cast(b, shape, DT_I64);
  Value *ok = b_binary(b, OP_CMPEQ, sv, b_ints(b, (int)m, D + (r - m)));
  unsigned char keep[MAX_RANK];
  for (int i = 0; i < m; i++) keep[i] = (unsigned char)one[i + (r - m)];
  ok = b_binary(b, OP_OR, ok, b_binary(b, OP_AND, b_binary(b, OP_CMPEQ, sv, b_scalar(b, DT_I64, 1)),
                                       b_const(b, DT_BOOL, 1, &m, keep)));
  if (b_check(b, ok, arena_printf(b->p->a, "the shape given broadcasts to the declared %s", shape_str(b->p->a, r, D))))
    return -1;
  out[0] = b_expand(b, x, r, D);
  return out[0] ? 0 : -1;
}

static int d_expand(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int64_t s[MAX_RANK];
  if (!b_is_const(in[1])) return expand_runtime(b, in[0], in[1], out);
  int n = b_const_ints(b, in[1], s, MAX_RANK, "Expand shape");
  if (n < 0) return -1;
  out[0] = b_expand(b, in[0], n, s);
  return out[0] ? 0 : -1;
}

static int d_tile(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t rep[MAX_RANK];
  int n;
  if (!b_is_const(in[1])) { /* repeats from the declared output shape, checked at run time */
    int64_t D[MAX_RANK];
    n = (int)b_numel(in[1]);
    if (n != x->rank) {
      diag_error(b->d, b->loc, "Tile: repeats length differs from rank");
      return -1;
    }
    if (!b_declared_for(b, 0, n, D, "Tile repeats")) return -1;
    for (int i = 0; i < n; i++) {
      if (x->shape[i] ? D[i] % x->shape[i] : D[i]) {
        diag_error(b->d, b->loc, "Tile: the declared output shape %s is no tiling of %s", shape_str(b->p->a, n, D),
                   shape_str(b->p->a, x->rank, x->shape));
        return -1;
      }
      rep[i] = x->shape[i] ? D[i] / x->shape[i] : 0;
    }
    Value *rv = b_cast(b, in[1], DT_I64);
    unsigned char any[MAX_RANK]; /* a dim of 0: any repeat that is not negative */
    int64_t m = n;
    for (int i = 0; i < n; i++) any[i] = !x->shape[i];
    Value *ok = b_binary(b, OP_CMPEQ, rv, b_ints(b, n, rep));
    ok = b_binary(b, OP_OR, ok, b_binary(b, OP_AND, b_const(b, DT_BOOL, 1, &m, any),
                                         b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 0), rv)));
    if (b_check(b, ok, arena_printf(b->p->a, "the repeats give the declared %s", shape_str(b->p->a, n, D)))) return -1;
  } else n = b_const_ints(b, in[1], rep, MAX_RANK, "Tile repeats");
  if (n < 0) return -1;
  if (n != x->rank || 2 * x->rank > MAX_RANK) {
    diag_error(b->d, b->loc, n != x->rank ? "Tile: repeats length differs from rank" : "unsupported: Tile of rank > 4");
    return -1;
  }
  int64_t s1[MAX_RANK], s2[MAX_RANK], s3[MAX_RANK];
  for (int i = 0; i < x->rank; i++) {
    if (rep[i] < 0) {
      diag_error(b->d, b->loc, "Tile: negative repeat");
      return -1;
    }
    s1[2 * i] = 1, s1[2 * i + 1] = x->shape[i];
    s2[2 * i] = rep[i], s2[2 * i + 1] = x->shape[i];
    if (__builtin_mul_overflow(rep[i], x->shape[i], &s3[i])) {
      diag_error(b->d, b->loc, "Tile: %lld repeats of %lld elements overflow", (long long)rep[i], (long long)x->shape[i]);
      return -1;
    }
  }
  Value *r = b_reshape(b, x, 2 * x->rank, s1);
  r = b_expand(b, r, 2 * x->rank, s2);
  out[0] = b_reshape(b, r, x->rank, s3);
  return out[0] ? 0 : -1;
}

/* Range with start, limit or delta given at run time: n elements, n from
 * the declared output shape, start + i * delta (in i64 for integers, else
 * in f64 and then rounded), and a check that max(ceil((limit - start) /
 * delta), 0) is n, computed in f64: for integers exactly, as they are
 * checked to lie within +-2^50. */
static int range_runtime(B *b, Value **in, Value **out) {
  int64_t n;
  if (!b_declared_for(b, 0, 1, &n, "Range start, limit and delta")) return -1;
  DType dt = in[0]->dt;
  bool isf = dtype_info[dt].is_float;
  Value *s = b_scalar_of(b, in[0], DT_F64, "start"), *l = b_scalar_of(b, in[1], DT_F64, "limit");
  Value *d = b_scalar_of(b, in[2], DT_F64, "delta");
  if (!s || !l || !d) return -1;
  Value *cnt = b_unary(b, OP_CEIL, b_binary(b, OP_DIV, b_binary(b, OP_SUB, l, s), d));
  Value *ok = b_binary(b, OP_CMPEQ, b_binary(b, OP_MAX, cnt, b_scalar(b, DT_F64, 0)), b_scalar(b, DT_F64, (double)n));
  ok = b_binary(b, OP_AND, ok, b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, d, b_scalar(b, DT_F64, 0))));
  if (!isf) {
    Value *lim = b_scalar(b, DT_F64, 1125899906842624.0); /* 2^50 */
    for (int i = 0; i < 3; i++) {
      Value *v = i == 0 ? s : i == 1 ? l : d;
      ok = b_binary(b, OP_AND, ok, b_binary(b, OP_CMPLE, b_unary(b, OP_ABS, v), lim));
    }
  }
  if (b_check(b, ok, arena_printf(b->p->a, "start, limit and delta give the declared %lld elements", (long long)n)))
    return -1;
  DType ct = isf ? DT_F64 : DT_I64;
  Value *sv = b_scalar_of(b, in[0], ct, "start"), *dv = b_scalar_of(b, in[2], ct, "delta");
  Value *r = b_binary(b, OP_ADD, sv, b_binary(b, OP_MUL, b_iota(b, ct, 1, &n, 0, 0, 1), dv));
  out[0] = r && r->dt != dt ? b_cast(b, r, dt) : r;
  return out[0] ? 0 : -1;
}

static int d_range(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  for (int i = 0; i < 3; i++)
    if (!b_is_const(in[i])) return range_runtime(b, in, out);
  double s = b_const_scalar(in[0]), l = b_const_scalar(in[1]), dl = b_const_scalar(in[2]);
  if (dl == 0) {
    diag_error(b->d, b->loc, "Range: delta is 0");
    return -1;
  }
  double c = ceil((l - s) / dl);
  if (c > (double)((int64_t)1 << 32)) { /* compared as a double: a cast past 2^63 is undefined */
    diag_error(b->d, b->loc, "Range: %.17g elements is too many", c);
    return -1;
  }
  int64_t n = c > 0 ? (int64_t)c : 0;
  out[0] = b_iota(b, in[0]->dt, 1, &n, 0, s, dl);
  return out[0] ? 0 : -1;
}

static int d_split(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  int axis = b_axis(b, d_int(b, "axis", 0), x->rank, "Split axis");
  if (axis < 0) return -1;
  int64_t sp[64];
  int n = d_ints(b, "split", sp, 64);
  if (n == -2) return -1;
  int k = b->nout;
  if (n < 0 && nin > 1 && in[1] && !b_is_const(in[1])) { /* sizes from the declared outputs, checked at run time */
    if (b_numel(in[1]) != k || k > 64) {
      diag_error(b->d, b->loc, "Split: %lld sizes for %d outputs", (long long)b_numel(in[1]), k);
      return -1;
    }
    for (int i = 0; i < k; i++) {
      int64_t D[MAX_RANK];
      if (!b_declared_for(b, i, x->rank, D, "Split sizes")) return -1;
      sp[i] = D[axis];
    }
    n = k;
    if (b_check_ints(b, in[1], n, sp, "the split sizes are")) return -1;
  }
  if (n < 0 && nin > 1 && in[1]) n = b_const_ints(b, in[1], sp, 64, "Split sizes");
  if (n < -1) return -1;
  int64_t dim = x->shape[axis];
  if (n < 0) {
    int64_t no = d_int(b, "num_outputs", k);
    if (no != k) {
      diag_error(b->d, b->loc, "Split: num_outputs %lld but %d outputs", (long long)no, k);
      return -1;
    }
    int64_t chunk = (dim + k - 1) / k;
    for (int i = 0; i < k; i++) {
      int64_t rest = dim - chunk * i;
      sp[i] = rest < 0 ? 0 : rest < chunk ? rest : chunk;
    }
    n = k;
  }
  int64_t tot = 0;
  for (int i = 0; i < n; i++) tot += sp[i];
  if (n != k || tot != dim) {
    diag_error(b->d, b->loc, "Split: sizes do not add up to dimension %lld over %d outputs", (long long)dim, k);
    return -1;
  }
  int64_t start[MAX_RANK] = {0}, step[MAX_RANK], shape[MAX_RANK];
  for (int i = 0; i < x->rank; i++) step[i] = 1, shape[i] = x->shape[i];
  int64_t off = 0;
  for (int i = 0; i < k; i++) {
    start[axis] = off;
    shape[axis] = sp[i];
    out[i] = b_slice(b, x, start, step, shape);
    if (!out[i]) return -1;
    off += sp[i];
  }
  return 0;
}

/* Pad with pads, constant value or axes given at run time: built for the
 * declared output shape D; per axis, with cl/ch the negative pads (a crop)
 * and dc = dim - cl - ch, output k reads the cropped axis at k - max(lo, 0)
 * mapped into [0, dc) by the mode (constant: outside -> the value), so the
 * crop-then-pad of the ONNX reference. Checked: lo, hi in [-dim, D] (which
 * keeps the arithmetic small) and dim + lo + hi = D. */
static int pad_runtime(B *b, Value *x, PadMode m, Value **in, int nin, Value **out) {
  int r = x->rank;
  int64_t D[MAX_RANK];
  if (!b_declared_for(b, 0, r, D, "Pad pads")) return -1;
  Value *axes = nin > 3 && in[3] ? in[3] : NULL, *pads = in[1];
  int na = axes ? (int)b_numel(axes) : r;
  if (b_numel(pads) != 2 * na) {
    diag_error(b->d, b->loc, "Pad: %lld pads for %d axes", (long long)b_numel(pads), na);
    return -1;
  }
  Value *L[MAX_RANK], *H[MAX_RANK], *v1, *v2;
  if (per_axis(b, pads, 0, na, axes, r, 0, L, &v1) || per_axis(b, pads, na, na, axes, r, 0, H, &v2)) return -1;
  Value *ok = b_binary(b, OP_AND, v1, v2), *mask = NULL, *y = x;
  Value *fill = b_scalar(b, x->dt, d_float(b, "value", 0));
  if (nin > 2 && in[2] && b_numel(in[2])) fill = b_elem(b, in[2], 0, x->dt);
  for (int j = 0; j < r; j++) {
    int64_t dim = x->shape[j];
    Value *z = b_scalar(b, DT_I64, 0), *lo = L[j], *hi = H[j];
    Value *inr = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, (double)-dim), lo),
                          b_binary(b, OP_CMPLE, lo, b_scalar(b, DT_I64, (double)D[j])));
    inr = b_binary(b, OP_AND, inr, b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, (double)-dim), hi));
    inr = b_binary(b, OP_AND, inr, b_binary(b, OP_CMPLE, hi, b_scalar(b, DT_I64, (double)D[j])));
    lo = b_clamp(b, lo, (double)-dim, (double)D[j]);
    hi = b_clamp(b, hi, (double)-dim, (double)D[j]);
    Value *sum = b_binary(b, OP_ADD, b_binary(b, OP_ADD, lo, hi), b_scalar(b, DT_I64, (double)dim));
    ok = b_binary(b, OP_AND, ok, b_binary(b, OP_AND, inr, b_binary(b, OP_CMPEQ, sum, b_scalar(b, DT_I64, (double)D[j]))));
    Value *cl = b_binary(b, OP_MAX, b_unary(b, OP_NEG, lo), z), *ch = b_binary(b, OP_MAX, b_unary(b, OP_NEG, hi), z);
    Value *dc = b_binary(b, OP_SUB, b_binary(b, OP_SUB, b_scalar(b, DT_I64, (double)dim), cl), ch);
    Value *p = b_binary(b, OP_SUB, b_iota(b, DT_I64, 1, &D[j], 0, 0, 1), b_binary(b, OP_MAX, lo, z));
    Value *q = p, *one = b_scalar(b, DT_I64, 1);
    if (m != PAD_CONSTANT && D[j] > 0) /* something to read from */
      ok = b_binary(b, OP_AND, ok, b_binary(b, OP_CMPLT, z, dc));
    Value *dc1 = b_binary(b, OP_MAX, dc, one);
    if (m == PAD_EDGE) q = b_binary(b, OP_MAX, b_binary(b, OP_MIN, p, b_binary(b, OP_SUB, dc1, one)), z);
    else if (m == PAD_WRAP) q = b_binary(b, OP_MOD, p, dc1);
    else if (m == PAD_REFLECT) {
      Value *per = b_binary(b, OP_MAX, b_binary(b, OP_MUL, b_binary(b, OP_SUB, dc1, one), b_scalar(b, DT_I64, 2)), one);
      Value *t = b_binary(b, OP_MOD, p, per);
      q = b_where(b, b_binary(b, OP_CMPLT, t, dc1), t, b_binary(b, OP_SUB, per, t));
      q = b_where(b, b_binary(b, OP_CMPEQ, dc1, one), z, q);
    } else {
      Value *inside = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, z, p), b_binary(b, OP_CMPLT, p, dc));
      int64_t ms[MAX_RANK];
      for (int i = 0; i < r; i++) ms[i] = i == j ? D[j] : 1;
      inside = b_reshape(b, inside, r, ms);
      mask = mask ? b_binary(b, OP_AND, mask, inside) : inside;
    }
    y = gather_axis(b, y, j, b_binary(b, OP_ADD, q, cl));
    if (!y) return -1;
  }
  if (b_check(b, ok, arena_printf(b->p->a, "the pads give the declared output shape %s", shape_str(b->p->a, r, D))))
    return -1;
  if (mask && !(b_is_const(mask) && b_numel(mask) && b_const_scalar(b_all(b, mask)) != 0)) y = b_where(b, mask, y, fill);
  out[0] = y;
  return y ? 0 : -1;
}

static int d_pad(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  int64_t p[2 * MAX_RANK], ax[MAX_RANK];
  const char *mode = d_str(b, "mode", "constant");
  PadMode m = !strcmp(mode, "constant") ? PAD_CONSTANT
              : !strcmp(mode, "edge")   ? PAD_EDGE
              : !strcmp(mode, "reflect") ? PAD_REFLECT
              : !strcmp(mode, "wrap")   ? PAD_WRAP
                                        : (PadMode)-1;
  if ((int)m < 0) {
    diag_error(b->d, d_attr_loc(b, "mode"), "Pad: unknown mode '%s'", mode);
    return -1;
  }
  int n = d_ints(b, "pads", p, 2 * MAX_RANK);
  if (n == -2) return -1;
  if (n < 0 && nin > 1)
    for (int i = 1; i < nin && i < 4; i++)
      if (in[i] && !b_is_const(in[i])) return pad_runtime(b, x, m, in, nin, out);
  if (n < 0) n = nin > 1 ? b_const_ints(b, in[1], p, 2 * MAX_RANK, "Pad pads") : -1;
  if (n < 0) return -1;
  double fill = d_float(b, "value", 0);
  if (nin > 2 && in[2]) {
    if (!b_is_const(in[2])) {
      diag_error(b->d, b->loc, "unsupported: Pad constant_value computed at run time; it must be known at build time (use --freeze)");
      return -1;
    }
    fill = b_numel(in[2]) ? b_const_scalar(in[2]) : 0;
  }
  int na = x->rank;
  for (int i = 0; i < x->rank; i++) ax[i] = i;
  if (nin > 3 && in[3]) {
    na = b_const_ints(b, in[3], ax, MAX_RANK, "Pad axes");
    if (na < 0) return -1;
  }
  if (n != 2 * na) {
    diag_error(b->d, b->loc, "Pad: %d pads for %d axes", n, na);
    return -1;
  }
  int64_t lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0};
  for (int i = 0; i < na; i++) {
    int a = b_axis(b, ax[i], x->rank, "Pad axis");
    if (a < 0) return -1;
    lo[a] = p[i];
    hi[a] = p[i + na];
  }
  /* negative pads crop first */
  int64_t st[MAX_RANK], stp[MAX_RANK], sh[MAX_RANK];
  bool crop = false;
  for (int i = 0; i < x->rank; i++) {
    st[i] = lo[i] < 0 ? -lo[i] : 0;
    stp[i] = 1;
    sh[i] = x->shape[i] - st[i] - (hi[i] < 0 ? -hi[i] : 0);
    if (sh[i] < 0) {
      diag_error(b->d, b->loc, "Pad: negative pads exceed the dimension");
      return -1;
    }
    crop |= lo[i] < 0 || hi[i] < 0;
    lo[i] = lo[i] < 0 ? 0 : lo[i];
    hi[i] = hi[i] < 0 ? 0 : hi[i];
  }
  if (crop) x = b_slice(b, x, st, stp, sh);
  out[0] = b_pad(b, x, lo, hi, m, fill);
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------------------ table */
int d_gemm(B *b, Value **in, int nin, Value **out);
int d_matmul(B *b, Value **in, int nin, Value **out);
int d_conv(B *b, Value **in, int nin, Value **out);
int d_maxpool(B *b, Value **in, int nin, Value **out);
int d_avgpool(B *b, Value **in, int nin, Value **out);
int d_lppool(B *b, Value **in, int nin, Value **out);
int d_globalavgpool(B *b, Value **in, int nin, Value **out);
int d_globalmaxpool(B *b, Value **in, int nin, Value **out);
int d_batchnorm(B *b, Value **in, int nin, Value **out);
int d_layernorm(B *b, Value **in, int nin, Value **out);
int d_instancenorm(B *b, Value **in, int nin, Value **out);

static const DecOp ops[] = {
    /* domain, name            min max out  rewrite */
    {"", "Abs", 1, 1, 1, d_abs},
    {"", "Acos", 1, 1, 1, d_acos},
    {"", "Acosh", 1, 1, 1, d_acosh},
    {"", "Add", 2, 2, 1, d_add},
    {"", "And", 2, 2, 1, d_and},
    {"", "ArgMax", 1, 1, 1, d_argmax},
    {"", "ArgMin", 1, 1, 1, d_argmin},
    {"", "Asin", 1, 1, 1, d_asin},
    {"", "Asinh", 1, 1, 1, d_asinh},
    {"", "Atan", 1, 1, 1, d_atan},
    {"", "Atanh", 1, 1, 1, d_atanh},
    {"", "AveragePool", 1, 1, 1, d_avgpool},
    {"", "BatchNormalization", 5, 5, 3, d_batchnorm},
    {"", "BitShift", 2, 2, 1, d_bitshift},
    {"", "BitwiseAnd", 2, 2, 1, d_bitand},
    {"", "BitwiseNot", 1, 1, 1, d_bitnot},
    {"", "BitwiseOr", 2, 2, 1, d_bitor},
    {"", "BitwiseXor", 2, 2, 1, d_bitxor},
    {"", "Cast", 1, 1, 1, d_cast},
    {"", "BitCast", 1, 1, 1, d_bitcast},
    {"", "CastLike", 2, 2, 1, d_castlike},
    {"", "Ceil", 1, 1, 1, d_ceil},
    {"", "Celu", 1, 1, 1, d_celu},
    {"", "Clip", 1, 3, 1, d_clip},
    {"", "Concat", 1, -1, 1, d_concat},
    {"", "Constant", 0, 0, 1, d_constant},
    {"", "ConstantOfShape", 1, 1, 1, d_constantofshape},
    {"", "Conv", 2, 3, 1, d_conv},
    {"", "Cos", 1, 1, 1, d_cos},
    {"", "Cosh", 1, 1, 1, d_cosh},
    {"", "Div", 2, 2, 1, d_div},
    {"", "Dropout", 1, 3, 2, d_dropout},
    {"", "Elu", 1, 1, 1, d_elu},
    {"", "Equal", 2, 2, 1, d_equal},
    {"", "Erf", 1, 1, 1, d_erf},
    {"", "Exp", 1, 1, 1, d_exp},
    {"", "Expand", 2, 2, 1, d_expand},
    {"", "Flatten", 1, 1, 1, d_flatten},
    {"", "Floor", 1, 1, 1, d_floor},
    {"", "Gather", 2, 2, 1, d_gather},
    {"", "GatherElements", 2, 2, 1, d_gatherelements},
    {"", "Gelu", 1, 1, 1, d_gelu},
    {"", "Gemm", 2, 3, 1, d_gemm},
    {"", "GlobalAveragePool", 1, 1, 1, d_globalavgpool},
    {"", "GlobalMaxPool", 1, 1, 1, d_globalmaxpool},
    {"", "Greater", 2, 2, 1, d_greater},
    {"", "GreaterOrEqual", 2, 2, 1, d_greatereq},
    {"", "HardSigmoid", 1, 1, 1, d_hardsigmoid},
    {"", "HardSwish", 1, 1, 1, d_hardswish},
    {"", "Hardmax", 1, 1, 1, d_hardmax},
    {"", "Identity", 1, 1, 1, d_identity},
    {"", "InstanceNormalization", 3, 3, 1, d_instancenorm},
    {"", "IsInf", 1, 1, 1, d_isinf},
    {"", "IsNaN", 1, 1, 1, d_isnan},
    {"", "LayerNormalization", 2, 3, 3, d_layernorm},
    {"", "LeakyRelu", 1, 1, 1, d_leakyrelu},
    {"", "Less", 2, 2, 1, d_less},
    {"", "LessOrEqual", 2, 2, 1, d_lesseq},
    {"", "Log", 1, 1, 1, d_log},
    {"", "LogSoftmax", 1, 1, 1, d_logsoftmax},
    {"", "LpPool", 1, 1, 1, d_lppool},
    {"", "MatMul", 2, 2, 1, d_matmul},
    {"", "Max", 1, -1, 1, d_max},
    {"", "MaxPool", 1, 1, 2, d_maxpool},
    {"", "Mean", 1, -1, 1, d_mean},
    {"", "Min", 1, -1, 1, d_min},
    {"", "Mish", 1, 1, 1, d_mish},
    {"", "Mod", 2, 2, 1, d_mod},
    {"", "Mul", 2, 2, 1, d_mul},
    {"", "Neg", 1, 1, 1, d_neg},
    {"", "Not", 1, 1, 1, d_not},
    {"", "Or", 2, 2, 1, d_or},
    {"", "PRelu", 2, 2, 1, d_prelu},
    {"", "Pad", 1, 4, 1, d_pad},
    {"", "Pow", 2, 2, 1, d_pow},
    {"", "Range", 3, 3, 1, d_range},
    {"", "Reciprocal", 1, 1, 1, d_recip},
    {"", "ReduceL1", 1, 2, 1, d_rl1},
    {"", "ReduceL2", 1, 2, 1, d_rl2},
    {"", "ReduceLogSum", 1, 2, 1, d_rlogsum},
    {"", "ReduceLogSumExp", 1, 2, 1, d_rlogsumexp},
    {"", "ReduceMax", 1, 2, 1, d_rmax},
    {"", "ReduceMean", 1, 2, 1, d_rmean},
    {"", "ReduceMin", 1, 2, 1, d_rmin},
    {"", "ReduceProd", 1, 2, 1, d_rprod},
    {"", "ReduceSum", 1, 2, 1, d_rsum},
    {"", "ReduceSumSquare", 1, 2, 1, d_rsumsq},
    {"", "Relu", 1, 1, 1, d_relu},
    {"", "Reshape", 1, 2, 1, d_reshape},
    {"", "Round", 1, 1, 1, d_round},
    {"", "Selu", 1, 1, 1, d_selu},
    {"", "Shape", 1, 1, 1, d_shape},
    {"", "Sigmoid", 1, 1, 1, d_sigmoid},
    {"", "Sign", 1, 1, 1, d_sign},
    {"", "Sin", 1, 1, 1, d_sin},
    {"", "Sinh", 1, 1, 1, d_sinh},
    {"", "Size", 1, 1, 1, d_size},
    {"", "Slice", 1, 5, 1, d_slice},
    {"", "Softmax", 1, 1, 1, d_softmax},
    {"", "Softplus", 1, 1, 1, d_softplus},
    {"", "Softsign", 1, 1, 1, d_softsign},
    {"", "Split", 1, 2, 8, d_split},
    {"", "Sqrt", 1, 1, 1, d_sqrt},
    {"", "Squeeze", 1, 2, 1, d_squeeze},
    {"", "Sub", 2, 2, 1, d_sub},
    {"", "Sum", 1, -1, 1, d_sum},
    {"", "Tan", 1, 1, 1, d_tan},
    {"", "Tanh", 1, 1, 1, d_tanh},
    {"", "ThresholdedRelu", 1, 1, 1, d_thresholdedrelu},
    {"", "Tile", 2, 2, 1, d_tile},
    {"", "Transpose", 1, 1, 1, d_transpose},
    {"", "Unsqueeze", 1, 2, 1, d_unsqueeze},
    {"", "Where", 3, 3, 1, d_where},
    {"", "Xor", 2, 2, 1, d_xor},
};

/* the rewrite tables: this file's, decompose_more.c's (more ai.onnx ops)
 * and decompose_ml.c's (ai.onnx.ml) */
const DecOp *d_find(const char *domain, const char *name) {
  static const struct {
    const DecOp *ops;
    const int *n;
  } tables[] = {{ops, NULL}, {d_more_ops, &d_more_nops}, {d_ml_ops, &d_ml_nops}, {d_preview_ops, &d_preview_nops},
                 {d_random_ops, &d_random_nops}, {d_str_ops, &d_str_nops},
                 {d_seqtype_ops, &d_seqtype_nops}};
  if (!domain || !strcmp(domain, "ai.onnx")) domain = "";
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    int n = tables[t].n ? *tables[t].n : (int)(sizeof ops / sizeof ops[0]);
    for (int i = 0; i < n; i++)
      if (!strcmp(tables[t].ops[i].domain, domain) && !strcmp(tables[t].ops[i].name, name)) return &tables[t].ops[i];
  }
  return NULL;
}
