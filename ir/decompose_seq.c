/* decompose_seq.c: sequence-model and loss operators of ai.onnx: Attention
 * (opset 23/24), RotaryEmbedding, NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss, and the recurrent layers RNN / GRU / LSTM
 * unrolled over their (static) sequence length. Registered in d_more_ops
 * (decompose_more.c). Each follows the ONNX reference semantics, including
 * the order in which Attention applies softcap, bias and its optional
 * qk_matmul_output modes. */
#include "decompose_more.h"

#include <math.h>
#include <string.h>
#include <strings.h>

static Value *sc(B *b, Value *like, double v) { return m_sc(b, like, v); }

/* softmax over the last axis */
static Value *softmax_last(B *b, Value *x) {
  unsigned m = 1u << (x->rank - 1);
  Value *e = b_unary(b, OP_EXP, b_binary(b, OP_SUB, x, b_reduce(b, OP_RMAX, x, m, true)));
  return b_binary(b, OP_DIV, e, b_reduce(b, OP_RSUM, e, m, true));
}

/* ------------------------------------------------------------------ losses */
/* loss[n, d..] = -x[n, t[n, d..], d..] * w[t], ignored targets weigh 0 */
static int nll(B *b, Value *x, Value *t, Value *w, Value **out) {
  if (x->rank < 2 || t->rank != x->rank - 1) {
    diag_error(b->d, b->loc, "%s: input %s and target %s do not fit", b->n->op, shape_str(b->p->a, x->rank, x->shape),
               shape_str(b->p->a, t->rank, t->shape));
    return -1;
  }
  const char *red = d_str(b, "reduction", "mean");
  bool has_ign = attr_find(b->n, "ignore_index") != NULL;
  Value *ti = b_cast(b, t, DT_I64), *ign = NULL;
  if (has_ign) {
    ign = b_binary(b, OP_CMPEQ, ti, b_scalar(b, DT_I64, (double)d_int(b, "ignore_index", 0)));
    ti = b_where(b, ign, b_scalar(b, DT_I64, 0), ti);
  }
  Value *g = b_reshape(b, b_gatherelem(b, x, m_unsq(b, ti, 1), 1), t->rank, t->shape);
  Value *loss = b_unary(b, OP_NEG, g), *wt = NULL;
  if (w) wt = b_gather(b, w, ti, 0);
  if (ign) wt = b_where(b, ign, sc(b, x, 0), wt ? wt : sc(b, x, 1));
  if (wt) loss = b_binary(b, OP_MUL, loss, wt);
  if (!loss) return -1;
  unsigned all = (1u << loss->rank) - 1;
  if (!strcmp(red, "none")) {
    out[0] = loss;
  } else if (!strcmp(red, "sum")) {
    out[0] = b_reduce(b, OP_RSUM, loss, all, false);
  } else if (!strcmp(red, "mean")) {
    Value *s = b_reduce(b, OP_RSUM, loss, all, false);
    out[0] = b_binary(b, OP_DIV, s, wt ? b_reduce(b, OP_RSUM, wt, all, false) : sc(b, x, (double)b_numel(loss)));
  } else {
    diag_error(b->d, d_attr_loc(b, "reduction"), "%s: unknown reduction '%s'", b->n->op, red);
    return -1;
  }
  return out[0] ? 0 : -1;
}

int d_nllloss(B *b, Value **in, int nin, Value **out) {
  return nll(b, in[0], in[1], nin > 2 ? in[2] : NULL, out);
}

int d_sceloss(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0];
  if (x->rank < 2) {
    diag_error(b->d, b->loc, "SoftmaxCrossEntropyLoss needs rank >= 2 scores");
    return -1;
  }
  unsigned m = 2;
  Value *sh = b_binary(b, OP_SUB, x, b_reduce(b, OP_RMAX, x, m, true));
  Value *lp = b_binary(b, OP_SUB, sh, b_unary(b, OP_LOG, b_reduce(b, OP_RSUM, b_unary(b, OP_EXP, sh), m, true)));
  if (!lp || nll(b, lp, in[1], nin > 2 ? in[2] : NULL, out)) return -1;
  if (b->nout > 1) out[1] = lp;
  return 0;
}

/* --------------------------------------------------------------- attention */
/* [B, S, H*D] -> [B, H, S, D] */
static Value *heads_4d(B *b, Value *x, int64_t h) {
  if (!x) return NULL;
  if (h < 1 || x->shape[2] % h) {
    diag_error(b->d, b->loc, "Attention: hidden size %lld is not a multiple of %lld heads", (long long)x->shape[2],
               (long long)h);
    return NULL;
  }
  int64_t s[4] = {x->shape[0], x->shape[1], h, x->shape[2] / h};
  static const int p[4] = {0, 2, 1, 3};
  return b_permute(b, b_reshape(b, x, 4, s), p);
}

/* the mask as an additive float bias: bool true = attend */
static Value *mask_bias(B *b, Value *mask, Value *like) {
  if (!mask) return NULL;
  if (mask->dt == DT_BOOL) return b_where(b, mask, sc(b, like, 0), sc(b, like, -INFINITY));
  return b_cast(b, mask, like->dt);
}

int d_attention(B *b, Value **in, int nin, Value **out) {
  Value *Q = in[0], *K = in[1], *V = in[2];
  Value *mask = nin > 3 ? in[3] : NULL, *pk = nin > 4 ? in[4] : NULL, *pv = nin > 5 ? in[5] : NULL;
  Value *nonpad = nin > 6 ? in[6] : NULL;
  bool three = Q->rank == 3;
  if (Q->rank != K->rank || Q->rank != V->rank || (Q->rank != 3 && Q->rank != 4)) {
    diag_error(b->d, b->loc, "Attention: Q, K and V must all be 3-D or all 4-D");
    return -1;
  }
  if (three) {
    Q = heads_4d(b, Q, d_int(b, "q_num_heads", 0));
    K = heads_4d(b, K, d_int(b, "kv_num_heads", 0));
    V = heads_4d(b, V, d_int(b, "kv_num_heads", 0));
    if (!Q || !K || !V) return -1;
  }
  int64_t Bn = Q->shape[0], Hq = Q->shape[1], S = Q->shape[2], D = Q->shape[3];
  double scale = attr_find(b->n, "scale") ? d_float(b, "scale", 1) : 1.0 / sqrt((double)D);
  int64_t past = pk ? pk->shape[2] : 0;
  if (pk) K = b_concat(b, 2, (Value *[]){pk, K}, 2);
  if (pv) V = b_concat(b, 2, (Value *[]){pv, V}, 2);
  if (!K || !V) return -1;
  if (b->nout > 1) out[1] = K;
  if (b->nout > 2) out[2] = V;
  int64_t T = K->shape[2], Hk = K->shape[1];
  /* bias [.., S, T] */
  Value *bias = NULL;
  if (mask) {
    int64_t pw = T - mask->shape[mask->rank - 1];
    if (pw > 0) {
      int64_t lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0};
      hi[mask->rank - 1] = pw;
      mask = b_pad(b, mask, lo, hi, PAD_CONSTANT, mask->dt == DT_BOOL ? 0 : -INFINITY);
    }
    bias = mask_bias(b, mask, Q);
  }
  if (d_int(b, "is_causal", 0)) {
    int64_t g[3] = {1, S, T}, gb[3] = {Bn, S, T};
    Value *i = b_iota(b, DT_I64, 3, g, 1, 0, 1), *j = b_iota(b, DT_I64, 3, g, 2, 0, 1), *allowed;
    if (!pk && nonpad) { /* per batch: j <= i + nonpad[b] - S */
      Value *off = b_reshape(b, b_binary(b, OP_SUB, b_cast(b, nonpad, DT_I64), b_scalar(b, DT_I64, (double)S)), 3,
                             (int64_t[]){Bn, 1, 1});
      allowed = b_binary(b, OP_CMPLE, j, b_binary(b, OP_ADD, i, off));
      allowed = b_reshape(b, b_expand(b, allowed, 3, gb), 4, (int64_t[]){Bn, 1, S, T});
    } else {
      allowed = b_binary(b, OP_CMPLE, j, b_binary(b, OP_ADD, i, b_scalar(b, DT_I64, (double)past)));
      allowed = b_reshape(b, allowed, 2, (int64_t[]){S, T});
    }
    Value *causal = b_where(b, allowed, sc(b, Q, 0), sc(b, Q, -INFINITY));
    bias = bias ? b_binary(b, OP_ADD, bias, causal) : causal;
  }
  if (nonpad) {
    Value *j = b_iota(b, DT_I64, 2, (int64_t[]){1, T}, 1, 0, 1);
    Value *keep = b_binary(b, OP_CMPLT, j, b_reshape(b, b_cast(b, nonpad, DT_I64), 2, (int64_t[]){Bn, 1}));
    Value *pad = b_reshape(b, b_where(b, keep, sc(b, Q, 0), sc(b, Q, -INFINITY)), 4, (int64_t[]){Bn, 1, 1, T});
    bias = bias ? b_binary(b, OP_ADD, bias, pad) : pad;
  }
  /* grouped-query attention: repeat each KV head */
  if (Hq != Hk) {
    if (Hk < 1 || Hq % Hk) {
      diag_error(b->d, b->loc, "Attention: %lld query heads are not a multiple of %lld key/value heads", (long long)Hq,
                 (long long)Hk);
      return -1;
    }
    int64_t r = Hq / Hk;
    Value *kv[2] = {K, V};
    for (int k = 0; k < 2; k++) {
      Value *x = kv[k];
      int64_t s5[5] = {Bn, Hk, 1, T, x->shape[3]}, e5[5] = {Bn, Hk, r, T, x->shape[3]};
      kv[k] = b_reshape(b, b_expand(b, b_reshape(b, x, 5, s5), 5, e5), 4, (int64_t[]){Bn, Hq, T, x->shape[3]});
    }
    K = kv[0];
    V = kv[1];
  }
  Value *ss = sc(b, Q, sqrt(scale));
  static const int tp[4] = {0, 1, 3, 2};
  Value *qk = b_matmul(b, b_binary(b, OP_MUL, Q, ss), b_binary(b, OP_MUL, b_permute(b, K, tp), ss));
  if (!qk) return -1;
  int mode = (int)d_int(b, "qk_matmul_output_mode", 0);
  Value *qk_out = qk;
  double cap = d_float(b, "softcap", 0);
  if (cap > 0) {
    qk = b_binary(b, OP_MUL, b_unary(b, OP_TANH, b_binary(b, OP_DIV, qk, sc(b, qk, cap))), sc(b, qk, cap));
    qk_out = qk;
  }
  Value *qb = bias ? b_binary(b, OP_ADD, qk, bias) : qk;
  if (mode == 2) qk_out = qb;
  DType sp = Q->dt;
  if (attr_find(b->n, "softmax_precision")) {
    sp = dtype_from_onnx((int)d_int(b, "softmax_precision", 1));
    if (sp == DT_UNDEF || !dtype_info[sp].is_float) {
      diag_error(b->d, d_attr_loc(b, "softmax_precision"), "unsupported: Attention softmax_precision");
      return -1;
    }
  }
  Value *p = b_cast(b, softmax_last(b, b_cast(b, qb, sp)), Q->dt);
  if (mode == 3) qk_out = p;
  Value *y = b_matmul(b, p, V);
  if (y && three) {
    static const int bp[4] = {0, 2, 1, 3};
    y = b_reshape(b, b_permute(b, y, bp), 3, (int64_t[]){Bn, S, Hq * y->shape[3]});
  }
  out[0] = y;
  if (b->nout > 3) out[3] = qk_out;
  return y ? 0 : -1;
}

/* LinearAttention: the recurrent state S [B, Hkv, dk, dv] is updated token by
 * token (decay, delta correction, outer-product write), all in f32, and
 * read by every query head of its group. The sequence is unrolled. */
int d_linearattention(B *b, Value **in, int nin, Value **out) {
  Value *q = in[0], *k = in[1], *v = in[2];
  Value *past = nin > 3 ? in[3] : NULL, *decay = nin > 4 ? in[4] : NULL, *beta = nin > 5 ? in[5] : NULL;
  const char *rule = d_str(b, "update_rule", "gated_delta");
  bool gating = !strcmp(rule, "gated") || !strcmp(rule, "gated_delta");
  bool delta = !strcmp(rule, "delta") || !strcmp(rule, "gated_delta");
  int64_t Hq = d_int(b, "q_num_heads", 0), Hk = d_int(b, "kv_num_heads", 0);
  if ((!gating && strcmp(rule, "linear") && strcmp(rule, "delta")) || Hq < 1 || Hk < 1 || Hq % Hk ||
      q->rank != 3 || k->rank != 3 || v->rank != 3 || gating != (decay != NULL) || delta != (beta != NULL)) {
    diag_error(b->d, b->loc, "LinearAttention: update_rule '%s', heads %lld/%lld, inputs do not fit", rule,
               (long long)Hq, (long long)Hk);
    return -1;
  }
  int64_t Bn = q->shape[0], T = q->shape[1], dk = q->shape[2] / Hq, dv = v->shape[2] / Hk;
  Value *q4 = b_cast(b, heads_4d(b, q, Hq), DT_F32), *k4 = b_cast(b, heads_4d(b, k, Hk), DT_F32);
  Value *v4 = b_cast(b, heads_4d(b, v, Hk), DT_F32), *g4 = NULL, *be4 = NULL;
  static const int p4[4] = {0, 2, 1, 3}, tp[4] = {0, 1, 3, 2};
  if (decay) {
    int64_t last = decay->shape[2];
    if (decay->rank != 3 || (last != Hk && last != Hk * dk)) {
      diag_error(b->d, b->loc, "LinearAttention: decay must be [B, T, kv_heads] or [B, T, kv_heads*dk]");
      return -1;
    }
    g4 = last == Hk ? b_permute(b, b_reshape(b, decay, 4, (int64_t[]){Bn, T, Hk, 1}), p4) : heads_4d(b, decay, Hk);
    g4 = b_cast(b, g4, DT_F32);
  }
  if (beta) {
    int64_t last = beta->shape[2];
    if (beta->rank != 3 || (last != Hk && last != 1)) {
      diag_error(b->d, b->loc, "LinearAttention: beta must be [B, T, kv_heads] or [B, T, 1]");
      return -1;
    }
    be4 = b_cast(b, b_permute(b, b_reshape(b, beta, 4, (int64_t[]){Bn, T, last, 1}), p4), DT_F32);
  }
  Value *S = past ? b_cast(b, past, DT_F32)
                  : b_expand(b, b_scalar(b, DT_F32, 0), 4, (int64_t[]){Bn, Hk, dk, dv});
  if (!q4 || !k4 || !v4 || !S || (decay && !g4) || (beta && !be4)) return -1;
  double scale = d_float(b, "scale", 0);
  if (scale == 0) scale = 1.0 / sqrt((double)dk);
  Value *ys[256];
  if (T > 256) {
    diag_error(b->d, b->loc, "unsupported: LinearAttention over %lld tokens (at most 256 are unrolled)", (long long)T);
    return -1;
  }
  for (int64_t i = 0; i < T; i++) {
    int64_t st[4] = {0, 0, i, 0}, sp[4] = {1, 1, 1, 1};
    Value *qt = b_slice(b, q4, st, sp, (int64_t[]){Bn, Hq, 1, dk});
    Value *kt = b_slice(b, k4, st, sp, (int64_t[]){Bn, Hk, 1, dk});
    Value *vt = b_slice(b, v4, st, sp, (int64_t[]){Bn, Hk, 1, dv});
    if (g4) {
      Value *gt = b_slice(b, g4, st, sp, (int64_t[]){Bn, Hk, 1, g4->shape[3]});
      S = b_binary(b, OP_MUL, S, b_permute(b, b_unary(b, OP_EXP, gt), tp));
    }
    if (be4) {
      Value *bt = b_slice(b, be4, st, sp, (int64_t[]){Bn, be4->shape[1], 1, 1});
      vt = b_binary(b, OP_MUL, bt, b_binary(b, OP_SUB, vt, b_matmul(b, kt, S)));
    }
    S = b_binary(b, OP_ADD, S, b_binary(b, OP_MUL, b_permute(b, kt, tp), vt));
    Value *Sr = S;
    if (Hq != Hk && S) {
      int64_t r = Hq / Hk;
      Sr = b_reshape(b, b_expand(b, b_reshape(b, S, 5, (int64_t[]){Bn, Hk, 1, dk, dv}), 5,
                                 (int64_t[]){Bn, Hk, r, dk, dv}), 4, (int64_t[]){Bn, Hq, dk, dv});
    }
    ys[i] = b_binary(b, OP_MUL, b_matmul(b, qt, Sr), b_scalar(b, DT_F32, scale));
    if (!ys[i]) return -1;
  }
  Value *y = T ? b_concat(b, (int)T, ys, 2) : b_expand(b, b_scalar(b, DT_F32, 0), 4, (int64_t[]){Bn, Hq, 0, dv});
  y = b_reshape(b, b_permute(b, y, p4), 3, (int64_t[]){Bn, T, Hq * dv});
  out[0] = b_cast(b, y, q->dt);
  if (b->nout > 1) out[1] = b_cast(b, S, past ? past->dt : q->dt);
  return out[0] ? 0 : -1;
}

/* RotaryEmbedding: rotate pairs (halves, or even/odd when interleaved) of
 * the first rotary_embedding_dim features by the cached angles */
int d_rotary(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *cs = in[1], *sn = in[2], *pos = nin > 3 ? in[3] : NULL;
  bool four = x->rank == 4, inter = d_int(b, "interleaved", 0) != 0;
  static const int p4[4] = {0, 2, 1, 3};
  Value *xi = four ? b_permute(b, x, p4) : x; /* [B, S, H, D] */
  if (!four) {
    int64_t h = d_int(b, "num_heads", 0);
    if (x->rank != 3 || h < 1 || x->shape[2] % h) {
      diag_error(b->d, b->loc, "RotaryEmbedding: a 3-D input needs num_heads dividing its hidden size");
      return -1;
    }
    xi = b_reshape(b, x, 4, (int64_t[]){x->shape[0], x->shape[1], h, x->shape[2] / h});
  }
  if (!xi) return -1;
  int64_t Bn = xi->shape[0], S = xi->shape[1], H = xi->shape[2], D = xi->shape[3];
  int64_t rd = d_int(b, "rotary_embedding_dim", 0);
  if (rd == 0) rd = D;
  if (rd < 2 || rd > D || rd % 2) {
    diag_error(b->d, b->loc, "RotaryEmbedding: rotary_embedding_dim %lld does not fit head size %lld", (long long)rd,
               (long long)D);
    return -1;
  }
  if (pos) {
    cs = b_gather(b, cs, pos, 0);
    sn = b_gather(b, sn, pos, 0);
  }
  if (!cs || !sn || cs->shape[cs->rank - 1] != rd / 2) {
    diag_error(b->d, b->loc, "RotaryEmbedding: the caches' last dim must be rotary_embedding_dim/2");
    return -1;
  }
  cs = m_unsq(b, cs, cs->rank - 1); /* [.., S, 1, rd/2] */
  sn = m_unsq(b, sn, sn->rank - 1);
  int64_t st[4] = {0, 0, 0, 0}, sp[4] = {1, 1, 1, 1}, sh[4] = {Bn, S, H, rd / 2};
  Value *x1, *x2;
  if (inter) {
    sp[3] = 2;
    x1 = b_slice(b, xi, st, sp, sh);
    st[3] = 1;
    x2 = b_slice(b, xi, st, sp, sh);
  } else {
    x1 = b_slice(b, xi, st, sp, sh);
    st[3] = rd / 2;
    x2 = b_slice(b, xi, st, sp, sh);
  }
  Value *re = b_binary(b, OP_SUB, b_binary(b, OP_MUL, cs, x1), b_binary(b, OP_MUL, sn, x2));
  Value *im = b_binary(b, OP_ADD, b_binary(b, OP_MUL, sn, x1), b_binary(b, OP_MUL, cs, x2));
  Value *rot;
  if (inter) {
    Value *pair[2] = {m_unsq(b, re, 4), m_unsq(b, im, 4)};
    rot = b_reshape(b, b_concat(b, 2, pair, 4), 4, (int64_t[]){Bn, S, H, rd});
  } else {
    Value *pair[2] = {re, im};
    rot = b_concat(b, 2, pair, 3);
  }
  if (rd < D) {
    int64_t s0[4] = {0, 0, 0, rd}, s1[4] = {1, 1, 1, 1};
    Value *parts[2] = {rot, b_slice(b, xi, s0, s1, (int64_t[]){Bn, S, H, D - rd})};
    rot = b_concat(b, 2, parts, 3);
  }
  out[0] = four ? b_permute(b, rot, p4) : b_reshape(b, rot, 3, x->shape);
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------- RNN / GRU / LSTM */
/* activation `name` (ONNX RNN spelling) with its alpha/beta */
static Value *rnn_act(B *b, const char *name, double al, double be, Value *x) {
  Value *zero = sc(b, x, 0), *one = sc(b, x, 1);
  if (!strcasecmp(name, "Tanh")) return b_unary(b, OP_TANH, x);
  if (!strcasecmp(name, "Sigmoid"))
    return b_binary(b, OP_DIV, one, b_binary(b, OP_ADD, one, b_unary(b, OP_EXP, b_unary(b, OP_NEG, x))));
  if (!strcasecmp(name, "Relu")) return b_binary(b, OP_MAX, x, zero);
  if (!strcasecmp(name, "Affine")) return b_binary(b, OP_ADD, b_binary(b, OP_MUL, x, sc(b, x, al)), sc(b, x, be));
  if (!strcasecmp(name, "LeakyRelu"))
    return b_where(b, b_binary(b, OP_CMPLT, x, zero), b_binary(b, OP_MUL, x, sc(b, x, al)), x);
  if (!strcasecmp(name, "ThresholdedRelu")) return b_where(b, b_binary(b, OP_CMPLT, sc(b, x, al), x), x, zero);
  if (!strcasecmp(name, "ScaledTanh"))
    return b_binary(b, OP_MUL, sc(b, x, al), b_unary(b, OP_TANH, b_binary(b, OP_MUL, x, sc(b, x, be))));
  if (!strcasecmp(name, "HardSigmoid"))
    return b_binary(b, OP_MAX, zero,
                    b_binary(b, OP_MIN, one, b_binary(b, OP_ADD, b_binary(b, OP_MUL, x, sc(b, x, al)), sc(b, x, be))));
  if (!strcasecmp(name, "Elu"))
    return b_where(b, b_binary(b, OP_CMPLT, zero, x), x,
                   b_binary(b, OP_MUL, sc(b, x, al), b_binary(b, OP_SUB, b_unary(b, OP_EXP, x), one)));
  if (!strcasecmp(name, "Softsign")) return b_binary(b, OP_DIV, x, b_binary(b, OP_ADD, one, b_unary(b, OP_ABS, x)));
  if (!strcasecmp(name, "Softplus")) return b_unary(b, OP_LOG, b_binary(b, OP_ADD, b_unary(b, OP_EXP, x), one));
  diag_error(b->d, d_attr_loc(b, "activations"), "unsupported: %s activation '%s'", b->n->op, name);
  return NULL;
}

typedef enum { K_RNN, K_GRU, K_LSTM } RnnKind;

/* rows [k*h, (k+1)*h) of a [.., G*h] value's last axis */
static Value *gate(B *b, Value *x, int k, int64_t h) {
  int64_t st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
  for (int i = 0; i < x->rank; i++) sp[i] = 1, sh[i] = x->shape[i];
  st[x->rank - 1] = k * h;
  sh[x->rank - 1] = h;
  return b_slice(b, x, st, sp, sh);
}

/* entry d of a [dirs, ..] value, without the dirs axis */
static Value *dir_of(B *b, Value *x, int d) {
  if (!x) return NULL;
  int64_t st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
  for (int i = 0; i < x->rank; i++) sp[i] = 1, sh[i] = i ? x->shape[i] : 1;
  st[0] = d;
  return b_reshape(b, b_slice(b, x, st, sp, sh), x->rank - 1, x->shape + 1);
}

static Value *clipv(B *b, Value *x, double c) {
  if (c <= 0) return x;
  return b_binary(b, OP_MIN, b_binary(b, OP_MAX, x, sc(b, x, -c)), sc(b, x, c));
}

static int rnn_common(B *b, RnnKind kind, Value **in, int nin, Value **out) {
  static const int G[3] = {1, 3, 4};
  Value *X = in[0], *W = in[1], *R = in[2], *Bv = nin > 3 ? in[3] : NULL, *sl = nin > 4 ? in[4] : NULL;
  Value *h0 = nin > 5 ? in[5] : NULL, *c0 = nin > 6 ? in[6] : NULL, *P = nin > 7 ? in[7] : NULL;
  const char *dirn = d_str(b, "direction", "forward");
  int nd = !strcmp(dirn, "bidirectional") ? 2 : 1;
  int64_t layout = d_int(b, "layout", 0), g = G[kind];
  if ((nd == 1 && strcmp(dirn, "forward") && strcmp(dirn, "reverse")) || X->rank != 3 || W->rank != 3 ||
      R->rank != 3 || W->shape[0] != nd || !m_isf(X)) {
    diag_error(b->d, b->loc, "%s: direction '%s' and shapes X %s, W %s do not fit", b->n->op, dirn,
               shape_str(b->p->a, X->rank, X->shape), shape_str(b->p->a, W->rank, W->shape));
    return -1;
  }
  int64_t h = R->shape[2];
  if (attr_find(b->n, "hidden_size")) h = d_int(b, "hidden_size", h);
  if (W->shape[1] != g * h || R->shape[1] != g * h || R->shape[2] != h) {
    diag_error(b->d, b->loc, "%s: W and R must have %lld rows of gates", b->n->op, (long long)(g * h));
    return -1;
  }
  static const int sw[3] = {1, 0, 2};
  if (layout) {
    X = b_permute(b, X, sw);
    if (h0) h0 = b_permute(b, h0, sw);
    if (c0) c0 = b_permute(b, c0, sw);
  }
  if (!X) return -1;
  int64_t T = X->shape[0], Bn = X->shape[1];
  if (T > 1024) {
    diag_error(b->d, b->loc, "unsupported: %s over %lld steps (it is unrolled)", b->n->op, (long long)T);
    return -1;
  }
  if (sl && !b_is_const(sl)) { /* given at run time: checked to be the whole sequence */
    if (dtype_info[sl->dt].is_float || sl->dt == DT_BOOL || sl->dt == DT_STRING || sl->rank != 1) {
      diag_error(b->d, b->loc, "%s: sequence_lens must be a 1-D integer tensor", b->n->op);
      return -1;
    }
    if (b_check(b, b_binary(b, OP_CMPEQ, b_cast(b, sl, DT_I64), b_scalar(b, DT_I64, (double)T)),
                arena_printf(b->p->a, "every sequence_lens is the %lld steps of the sequence (shorter ones are "
                                      "unsupported)", (long long)T)))
      return -1;
  } else if (sl) {
    int64_t lens[4096];
    int n = b_numel(sl) <= 4096 ? b_const_ints(b, sl, lens, 4096, "sequence_lens") : -1;
    if (n < 0) return -1;
    for (int i = 0; i < n; i++)
      if (lens[i] != T) {
        diag_error(b->d, b->loc, "unsupported: %s with sequence_lens shorter than the sequence", b->n->op);
        return -1;
      }
  }
  /* activations: f, g (GRU/LSTM), h (LSTM) per direction */
  static const char *const defs[3][3] = {{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}};
  int na = kind == K_RNN ? 1 : kind == K_GRU ? 2 : 3;
  const char *acts[6];
  double al[6] = {0}, be[6] = {0};
  const Attr *aa = attr_find(b->n, "activations");
  for (int i = 0; i < na * nd; i++) acts[i] = aa && aa->type == AT_STRINGS && i < aa->n ? aa->strs[i] : defs[kind][i % na];
  if (aa && aa->type == AT_STRINGS && aa->n != na * nd && aa->n != na) {
    diag_error(b->d, d_attr_loc(b, "activations"), "%s: %d activations given, %d expected", b->n->op, aa->n, na * nd);
    return -1;
  }
  if (aa && aa->type == AT_STRINGS && aa->n == na)
    for (int i = na; i < na * nd; i++) acts[i] = aa->strs[i % na];
  /* alpha/beta defaults per activation (LeakyRelu 0.01, HardSigmoid 0.2/0.5, ...) */
  double fa[64], fb[64];
  int nfa = d_floats(b, "activation_alpha", fa, 64), nfb = d_floats(b, "activation_beta", fb, 64);
  for (int i = 0; i < na * nd; i++) {
    const char *s = acts[i];
    al[i] = !strcasecmp(s, "LeakyRelu") ? 0.01 : !strcasecmp(s, "HardSigmoid") ? 0.2 : 1.0;
    be[i] = !strcasecmp(s, "HardSigmoid") ? 0.5 : 0.0;
    if (i < nfa) al[i] = fa[i];
    if (i < nfb) be[i] = fb[i];
  }
  double clip = d_float(b, "clip", 0);
  bool lbr = d_int(b, "linear_before_reset", 0) != 0;
  Value *ys[2] = {0}, *hs[2] = {0}, *cs[2] = {0};
  static const int tp[2] = {1, 0};
  for (int d = 0; d < nd; d++) {
    bool rev = !strcmp(dirn, "reverse") || d == 1;
    Value *Wd = dir_of(b, W, d), *Rt = b_permute(b, dir_of(b, R, d), tp);
    Value *XW = b_matmul(b, X, b_permute(b, Wd, tp)); /* [T, B, g*h] */
    Value *wb = NULL, *rb = NULL;
    if (Bv) {
      Value *bd = dir_of(b, Bv, d);
      wb = b_slice(b, bd, (int64_t[]){0}, (int64_t[]){1}, (int64_t[]){g * h});
      rb = b_slice(b, bd, (int64_t[]){g * h}, (int64_t[]){1}, (int64_t[]){g * h});
      /* GRU keeps the recurrent bias of the candidate gate apart */
      XW = b_binary(b, OP_ADD, XW, kind == K_GRU ? wb : b_binary(b, OP_ADD, wb, rb));
    }
    Value *H = h0 ? dir_of(b, h0, d) : b_expand(b, sc(b, X, 0), 2, (int64_t[]){Bn, h});
    Value *C = kind == K_LSTM ? (c0 ? dir_of(b, c0, d) : b_expand(b, sc(b, X, 0), 2, (int64_t[]){Bn, h})) : NULL;
    Value *Pd = P ? dir_of(b, P, d) : NULL;
    if (!XW || !H || !Rt) return -1;
    const char **A = acts + d * na;
    double *aal = al + d * na, *abe = be + d * na;
    Value **steps = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(T ? T : 1));
    if (!steps) return -1;
    for (int64_t s = 0; s < T; s++) {
      int64_t t = rev ? T - 1 - s : s;
      Value *xt = b_reshape(b, b_slice(b, XW, (int64_t[]){t, 0, 0}, (int64_t[]){1, 1, 1}, (int64_t[]){1, Bn, g * h}), 2,
                            (int64_t[]){Bn, g * h});
      if (kind == K_RNN) {
        H = rnn_act(b, A[0], aal[0], abe[0], clipv(b, b_binary(b, OP_ADD, xt, b_matmul(b, H, Rt)), clip));
      } else if (kind == K_GRU) {
        Value *hr = b_matmul(b, H, Rt); /* [B, 3h]: z, r, h */
        if (rb) hr = b_binary(b, OP_ADD, hr, rb);
        Value *z = rnn_act(b, A[0], aal[0], abe[0], clipv(b, b_binary(b, OP_ADD, gate(b, xt, 0, h), gate(b, hr, 0, h)), clip));
        Value *r = rnn_act(b, A[0], aal[0], abe[0], clipv(b, b_binary(b, OP_ADD, gate(b, xt, 1, h), gate(b, hr, 1, h)), clip));
        Value *cand;
        if (lbr) {
          cand = b_binary(b, OP_ADD, gate(b, xt, 2, h), b_binary(b, OP_MUL, r, gate(b, hr, 2, h)));
        } else {
          Value *rh = b_matmul(b, b_binary(b, OP_MUL, r, H), gate(b, Rt, 2, h));
          if (rb) rh = b_binary(b, OP_ADD, rh, gate(b, rb, 2, h));
          cand = b_binary(b, OP_ADD, gate(b, xt, 2, h), rh);
        }
        Value *hh = rnn_act(b, A[1], aal[1], abe[1], clipv(b, cand, clip));
        H = b_binary(b, OP_ADD, b_binary(b, OP_MUL, b_binary(b, OP_SUB, sc(b, X, 1), z), hh), b_binary(b, OP_MUL, z, H));
      } else { /* LSTM: gates i, o, f, c */
        Value *gs = b_binary(b, OP_ADD, xt, b_matmul(b, H, Rt));
        Value *gi = gate(b, gs, 0, h), *go = gate(b, gs, 1, h), *gf = gate(b, gs, 2, h), *gc = gate(b, gs, 3, h);
        if (Pd) {
          gi = b_binary(b, OP_ADD, gi, b_binary(b, OP_MUL, gate(b, Pd, 0, h), C));
          gf = b_binary(b, OP_ADD, gf, b_binary(b, OP_MUL, gate(b, Pd, 2, h), C));
        }
        Value *it = rnn_act(b, A[0], aal[0], abe[0], clipv(b, gi, clip));
        Value *ft = d_int(b, "input_forget", 0) ? b_binary(b, OP_SUB, sc(b, X, 1), it)
                                                 : rnn_act(b, A[0], aal[0], abe[0], clipv(b, gf, clip));
        Value *ct = rnn_act(b, A[1], aal[1], abe[1], clipv(b, gc, clip));
        C = b_binary(b, OP_ADD, b_binary(b, OP_MUL, ft, C), b_binary(b, OP_MUL, it, ct));
        if (Pd) go = b_binary(b, OP_ADD, go, b_binary(b, OP_MUL, gate(b, Pd, 1, h), C));
        Value *ot = rnn_act(b, A[0], aal[0], abe[0], clipv(b, go, clip));
        H = b_binary(b, OP_MUL, ot, rnn_act(b, A[2], aal[2], abe[2], C));
      }
      if (!H) return -1;
      steps[t] = m_unsq(b, H, 0);
    }
    ys[d] = T ? b_concat(b, (int)T, steps, 0) : NULL; /* [T, B, h] */
    hs[d] = H;
    cs[d] = C;
  }
  if (T == 0) {
    diag_error(b->d, b->loc, "unsupported: %s over an empty sequence", b->n->op);
    return -1;
  }
  Value *y4[2], *h3[2], *c3[2];
  for (int d = 0; d < nd; d++) {
    y4[d] = m_unsq(b, ys[d], 1);
    h3[d] = m_unsq(b, hs[d], 0);
    c3[d] = kind == K_LSTM ? m_unsq(b, cs[d], 0) : NULL;
  }
  Value *Y = b_concat(b, nd, y4, 1), *Yh = b_concat(b, nd, h3, 0), *Yc = kind == K_LSTM ? b_concat(b, nd, c3, 0) : NULL;
  if (layout) {
    static const int py[4] = {2, 0, 1, 3};
    Y = b_permute(b, Y, py);
    Yh = b_permute(b, Yh, sw);
    if (Yc) Yc = b_permute(b, Yc, sw);
  }
  out[0] = Y;
  if (b->nout > 1) out[1] = Yh;
  if (b->nout > 2) out[2] = Yc;
  return Y ? 0 : -1;
}

int d_rnn(B *b, Value **in, int nin, Value **out) { return rnn_common(b, K_RNN, in, nin, out); }
int d_gru(B *b, Value **in, int nin, Value **out) { return rnn_common(b, K_GRU, in, nin, out); }
int d_lstm(B *b, Value **in, int nin, Value **out) { return rnn_common(b, K_LSTM, in, nin, out); }
