/* decompose_preview.c: the operators of the preview domains.
 *
 *   ai.onnx.preview.training  Adagrad, Adam, Momentum: one optimizer step,
 *                             elementwise over each (X, G, state) group
 *   ai.onnx.preview           FlexAttention: scaled dot-product attention
 *                             with score_mod / prob_mod subgraphs run inline
 *
 * Each follows the ONNX operator documentation (the formulas are restated
 * above each rewrite). The optimizers take R (learning rate, scalar) and T
 * (update count, i64 scalar), then n tensors X, n gradients G and n (Adam:
 * 2n) state tensors; their outputs are the n new X, then the new states.
 * Registered in d_preview_ops, searched by d_find (decompose_ops.c). */
#include "decompose_more.h"

#include <math.h>
#include <string.h>

static Value *sc(B *b, Value *like, double v) { return m_sc(b, like, v); }

/* the n groups of an optimizer: nin = 2 + groups * n */
static int opt_groups(B *b, int nin, int groups) {
  int per = nin - 2;
  if (per < groups || per % groups || b->nout != per / groups * (groups - 1)) {
    diag_error(b->d, b->loc, "%s: %d inputs and %d outputs do not form groups of %d tensors after R and T",
               b->n->op, nin, b->nout, groups);
    return -1;
  }
  return per / groups;
}

/* R and T as scalars of x's dtype, and T > 0 as a bool scalar */
static int opt_rt(B *b, Value **in, Value *x, Value **r, Value **t, Value **tpos) {
  if (b_numel(in[0]) != 1 || b_numel(in[1]) != 1) {
    diag_error(b->d, b->loc, "%s: R and T must be scalars", b->n->op);
    return -1;
  }
  *r = b_reshape(b, b_cast(b, in[0], x->dt), 0, NULL);
  *t = b_reshape(b, b_cast(b, in[1], x->dt), 0, NULL);
  *tpos = b_binary(b, OP_CMPLT, sc(b, *t, 0), *t);
  return *r && *t && *tpos ? 0 : -1;
}

static bool float_operands(B *b, Value **in, int from, int nin) {
  for (int i = from; i < nin; i++)
    if (!m_isf(in[i])) {
      diag_error(b->d, b->loc, "%s: input %d is %s, a float tensor is expected", b->n->op, i + 1,
                 dtype_info[in[i]->dt].name);
      return false;
    }
  return true;
}

/* Adagrad: r = R / (1 + T * decay_factor); g = norm_coefficient * X + G;
 * H' = H + g * g; X' = X - r * g / (sqrt(H') + epsilon) */
static int d_adagrad(B *b, Value **in, int nin, Value **out) {
  int n = opt_groups(b, nin, 3);
  if (n < 0 || !float_operands(b, in, 2, nin)) return -1;
  double decay = d_float(b, "decay_factor", 0), eps = d_float(b, "epsilon", 1e-6), nc = d_float(b, "norm_coefficient", 0);
  for (int i = 0; i < n; i++) {
    Value *X = in[2 + i], *G = in[2 + n + i], *H = in[2 + 2 * n + i], *R, *T, *tp;
    if (opt_rt(b, in, X, &R, &T, &tp)) return -1;
    Value *r = b_binary(b, OP_DIV, R, b_binary(b, OP_ADD, sc(b, T, 1), b_binary(b, OP_MUL, T, sc(b, T, decay))));
    Value *g = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sc(b, X, nc), X), G);
    Value *h = b_binary(b, OP_ADD, H, b_binary(b, OP_MUL, g, g));
    Value *ha = b_binary(b, OP_ADD, b_unary(b, OP_SQRT, h), sc(b, X, eps));
    out[i] = b_binary(b, OP_SUB, X, b_binary(b, OP_DIV, b_binary(b, OP_MUL, r, g), ha));
    out[n + i] = h;
    if (!out[i] || !h) return -1;
  }
  return 0;
}

/* Adam: g = norm_coefficient * X + G; V' = alpha V + (1 - alpha) g;
 * H' = beta H + (1 - beta) g^2; r = T > 0 ? R sqrt(1 - beta^T) / (1 - alpha^T)
 * : R; X' = (1 - norm_coefficient_post) (X - r V' / (sqrt(H') + epsilon)) */
static int d_adam(B *b, Value **in, int nin, Value **out) {
  int n = opt_groups(b, nin, 4);
  if (n < 0 || !float_operands(b, in, 2, nin)) return -1;
  double alpha = d_float(b, "alpha", 0.9), beta = d_float(b, "beta", 0.999), eps = d_float(b, "epsilon", 1e-6);
  double nc = d_float(b, "norm_coefficient", 0), post = d_float(b, "norm_coefficient_post", 0);
  for (int i = 0; i < n; i++) {
    Value *X = in[2 + i], *G = in[2 + n + i], *V = in[2 + 2 * n + i], *H = in[2 + 3 * n + i], *R, *T, *tp;
    if (opt_rt(b, in, X, &R, &T, &tp)) return -1;
    Value *g = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sc(b, X, nc), X), G);
    Value *v = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sc(b, V, alpha), V), b_binary(b, OP_MUL, sc(b, g, 1 - alpha), g));
    Value *h = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sc(b, H, beta), H),
                        b_binary(b, OP_MUL, sc(b, g, 1 - beta), b_binary(b, OP_MUL, g, g)));
    Value *bt = b_binary(b, OP_POW, sc(b, T, beta), T), *at = b_binary(b, OP_POW, sc(b, T, alpha), T);
    Value *radj = b_binary(b, OP_DIV, b_binary(b, OP_MUL, R, b_unary(b, OP_SQRT, b_binary(b, OP_SUB, sc(b, T, 1), bt))),
                           b_binary(b, OP_SUB, sc(b, T, 1), at));
    Value *r = b_where(b, tp, radj, R);
    Value *hs = b_binary(b, OP_ADD, b_unary(b, OP_SQRT, h), sc(b, X, eps));
    Value *x = b_binary(b, OP_SUB, X, b_binary(b, OP_MUL, r, b_binary(b, OP_DIV, v, hs)));
    out[i] = post != 0 ? b_binary(b, OP_MUL, sc(b, X, 1 - post), x) : x;
    out[n + i] = v;
    out[2 * n + i] = h;
    if (!out[i] || !v || !h) return -1;
  }
  return 0;
}

/* Momentum: g = norm_coefficient * X + G; V' = alpha V + (T > 0 ? beta : 1) g;
 * standard: X' = X - R V'; nesterov: X' = X - R (g + alpha V') */
static int d_momentum(B *b, Value **in, int nin, Value **out) {
  int n = opt_groups(b, nin, 3);
  if (n < 0 || !float_operands(b, in, 2, nin)) return -1;
  static const char *const need[] = {"alpha", "beta", "mode", "norm_coefficient"};
  for (int k = 0; k < 4; k++)
    if (!attr_find(b->n, need[k])) {
      diag_error(b->d, b->loc, "Momentum: missing attribute '%s'", need[k]);
      return -1;
    }
  double alpha = d_float(b, "alpha", 0), beta = d_float(b, "beta", 0), nc = d_float(b, "norm_coefficient", 0);
  const char *mode = d_str(b, "mode", "standard");
  bool nesterov = !strcmp(mode, "nesterov");
  if (!nesterov && strcmp(mode, "standard")) {
    diag_error(b->d, d_attr_loc(b, "mode"), "Momentum: unknown mode '%s' (standard or nesterov)", mode);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    Value *X = in[2 + i], *G = in[2 + n + i], *V = in[2 + 2 * n + i], *R, *T, *tp;
    if (opt_rt(b, in, X, &R, &T, &tp)) return -1;
    Value *g = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sc(b, X, nc), X), G);
    Value *ba = b_where(b, tp, sc(b, X, beta), sc(b, X, 1));
    Value *v = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sc(b, V, alpha), V), b_binary(b, OP_MUL, ba, g));
    Value *step = nesterov ? b_binary(b, OP_ADD, g, b_binary(b, OP_MUL, sc(b, v, alpha), v)) : v;
    out[i] = b_binary(b, OP_SUB, X, b_binary(b, OP_MUL, R, step));
    out[n + i] = v;
    if (!out[i] || !v) return -1;
  }
  return 0;
}

/* ----------------------------------------------------------- FlexAttention */
/* the one-input, one-output modifier subgraph `name` applied to x (or x) */
static Value *flex_mod(B *b, const char *name, Value *x) {
  const Attr *a = attr_find(b->n, name);
  if (!a || !x) return x;
  if (a->type != AT_GRAPH || !a->g) {
    diag_error(b->d, d_attr_loc(b, name), "FlexAttention: attribute '%s' must be a graph", name);
    return NULL;
  }
  if (a->g->inputs.n != 1 || a->g->outputs.n != 1) {
    diag_error(b->d, d_attr_loc(b, name),
               "unsupported: FlexAttention %s with %d inputs and %d outputs (this opset's form takes the whole "
               "score tensor: one input, one output)",
               name, a->g->inputs.n, a->g->outputs.n);
    return NULL;
  }
  Value *y = NULL;
  const char *op = b->n->op;
  if (m_subgraph(b, a->g, &x, 1, &y, 1)) return NULL;
  if (y->rank != x->rank || memcmp(y->shape, x->shape, sizeof(int64_t) * (size_t)x->rank)) {
    diag_error(b->d, b->loc, "%s: %s gives %s, expected the shape of its input %s", op, name,
               shape_str(b->p->a, y->rank, y->shape), shape_str(b->p->a, x->rank, x->shape));
    return NULL;
  }
  return b_cast(b, y, x->dt);
}

/* Scores = (Q sqrt(scale)) (K sqrt(scale))^T, in the softmax dtype (f32 for
 * 16-bit inputs, else the inputs'); score_mod; softmax over the last axis;
 * prob_mod; Y = Probs V, cast to V's dtype. K/V head h/(Hq/Hkv) serves
 * query head h. */
static int d_flexattention(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *Q = in[0], *K = in[1], *V = in[2];
  if (Q->rank != 4 || K->rank != 4 || V->rank != 4) {
    diag_error(b->d, b->loc, "FlexAttention: Q, K and V must be rank 4, got %s, %s, %s",
               shape_str(b->p->a, Q->rank, Q->shape), shape_str(b->p->a, K->rank, K->shape),
               shape_str(b->p->a, V->rank, V->shape));
    return -1;
  }
  if (!m_isf(Q) || Q->dt != K->dt || !m_isf(V)) {
    diag_error(b->d, b->loc, "FlexAttention: Q and K must be one float dtype and V a float dtype");
    return -1;
  }
  int64_t Bn = Q->shape[0], Hq = Q->shape[1], E = Q->shape[3], Hk = K->shape[1], S = K->shape[2];
  if (K->shape[0] != Bn || V->shape[0] != Bn || V->shape[1] != Hk || V->shape[2] != S || K->shape[3] != E) {
    diag_error(b->d, b->loc, "FlexAttention: Q %s, K %s and V %s do not fit", shape_str(b->p->a, 4, Q->shape),
               shape_str(b->p->a, 4, K->shape), shape_str(b->p->a, 4, V->shape));
    return -1;
  }
  if (Hk < 1 || Hq % Hk) {
    diag_error(b->d, b->loc, "FlexAttention: %lld query heads are not a multiple of %lld key/value heads",
               (long long)Hq, (long long)Hk);
    return -1;
  }
  if (Hq != Hk) {
    int64_t r = Hq / Hk;
    Value *kv[2] = {K, V};
    for (int k = 0; k < 2; k++) {
      Value *x = kv[k];
      int64_t s5[5] = {Bn, Hk, 1, S, x->shape[3]}, e5[5] = {Bn, Hk, r, S, x->shape[3]};
      kv[k] = b_reshape(b, b_expand(b, b_reshape(b, x, 5, s5), 5, e5), 4, (int64_t[]){Bn, Hq, S, x->shape[3]});
    }
    K = kv[0];
    V = kv[1];
  }
  DType cd = dtype_info[Q->dt].size < 4 ? DT_F32 : Q->dt;
  if (attr_find(b->n, "softmax_precision")) {
    cd = dtype_from_onnx((int)d_int(b, "softmax_precision", 1));
    if (cd == DT_UNDEF || !dtype_info[cd].is_float) {
      diag_error(b->d, d_attr_loc(b, "softmax_precision"), "unsupported: FlexAttention softmax_precision");
      return -1;
    }
  }
  double scale = attr_find(b->n, "scale") ? d_float(b, "scale", 1) : 1.0 / sqrt((double)E);
  Value *ss = sc(b, Q, sqrt((double)(float)scale));
  static const int tp[4] = {0, 1, 3, 2};
  Value *s = b_matmul(b, b_binary(b, OP_MUL, Q, ss), b_binary(b, OP_MUL, b_permute(b, K, tp), ss));
  s = flex_mod(b, "score_mod", b_cast(b, s, cd));
  if (!s) return -1;
  unsigned last = 1u << 3;
  Value *e = b_unary(b, OP_EXP, b_binary(b, OP_SUB, s, b_reduce(b, OP_RMAX, s, last, true)));
  Value *p = flex_mod(b, "prob_mod", b_binary(b, OP_DIV, e, b_reduce(b, OP_RSUM, e, last, true)));
  out[0] = b_cast(b, b_matmul(b, p, b_cast(b, V, cd)), V->dt);
  return out[0] ? 0 : -1;
}

const DecOp d_preview_ops[] = {
    /* domain, name                              min max out  rewrite */
    {"ai.onnx.preview.training", "Adagrad", 5, -1, 8, d_adagrad},
    {"ai.onnx.preview.training", "Adam", 6, -1, 8, d_adam},
    {"ai.onnx.preview.training", "Momentum", 5, -1, 8, d_momentum},
    {"ai.onnx.preview", "FlexAttention", 3, 3, 1, d_flexattention},
};
const int d_preview_nops = (int)(sizeof d_preview_ops / sizeof d_preview_ops[0]);
