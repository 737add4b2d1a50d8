/* decompose_nn.c: the dense ONNX ops: Gemm, MatMul, Conv, pooling and the
 * normalizations, rewritten onto MATMUL/CONV/POOL and elementwise
 * primitives. Inference semantics only (BatchNormalization's training
 * outputs are refused). */
#include "decompose.h"

#include <math.h>
#include <string.h>

static Value *sc(B *b, Value *like, double v) { return b_scalar(b, like->dt, v); }
Value *m_pool_indices(B *b, Value *x, const Params *pr, const int64_t *oshape);
int m_batchnorm_train(B *b, Value **in, Value **out);

static Value *transpose2(B *b, Value *x) {
  int perm[MAX_RANK];
  for (int i = 0; i < x->rank; i++) perm[i] = i;
  perm[x->rank - 1] = x->rank - 2;
  perm[x->rank - 2] = x->rank - 1;
  return b_permute(b, x, perm);
}

int d_gemm(B *b, Value **in, int nin, Value **out) {
  Value *A = in[0], *Bm = in[1], *C = nin > 2 ? in[2] : NULL;
  if (A->rank != 2 || Bm->rank != 2) {
    diag_error(b->d, b->loc, "Gemm needs 2-D A and B, got %s and %s", shape_str(b->p->a, A->rank, A->shape),
               shape_str(b->p->a, Bm->rank, Bm->shape));
    return -1;
  }
  double alpha = d_float(b, "alpha", 1.0), beta = d_float(b, "beta", 1.0);
  if (d_int(b, "transA", 0)) A = transpose2(b, A);
  if (d_int(b, "transB", 0)) {
    /* constant weights are stored transposed once, [K,N]: the matmul then
     * streams them along the output dimension (see ir/schedule.c) */
    b->force_fold = b_is_const(Bm);
    Bm = transpose2(b, Bm);
    b->force_fold = false;
  }
  Value *y = b_matmul(b, A, Bm);
  if (y && alpha != 1.0) y = b_binary(b, OP_MUL, y, sc(b, y, alpha));
  if (y && C && beta != 0.0) {
    if (beta != 1.0) C = b_binary(b, OP_MUL, C, sc(b, C, beta));
    int r;
    int64_t s[MAX_RANK];
    if (C && !b_broadcast(b, C->rank, C->shape, y->rank, y->shape, &r, s)) return -1;
    if (C && (r != 2 || s[0] != y->shape[0] || s[1] != y->shape[1])) {
      diag_error(b->d, b->loc, "Gemm: C %s does not broadcast to %s", shape_str(b->p->a, C->rank, C->shape),
                 shape_str(b->p->a, y->rank, y->shape));
      return -1;
    }
    y = b_binary(b, OP_ADD, y, C);
  }
  out[0] = y;
  return y ? 0 : -1;
}

int d_matmul(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *y = in[1];
  if (x->rank == 0 || y->rank == 0) {
    diag_error(b->d, b->loc, "MatMul of a scalar");
    return -1;
  }
  bool vx = x->rank == 1, vy = y->rank == 1;
  if (vx) x = b_reshape(b, x, 2, (int64_t[]){1, x->shape[0]});
  if (vy) y = b_reshape(b, y, 2, (int64_t[]){y->shape[0], 1});
  Value *r = b_matmul(b, x, y);
  if (r && (vx || vy)) {
    int64_t s[MAX_RANK];
    int k = 0;
    for (int i = 0; i < r->rank - 2; i++) s[k++] = r->shape[i];
    if (!vx) s[k++] = r->shape[r->rank - 2];
    if (!vy) s[k++] = r->shape[r->rank - 1];
    r = b_reshape(b, r, k, s);
  }
  out[0] = r;
  return r ? 0 : -1;
}

/* Window geometry shared by Conv and the pools: fills pr (kernel, stride,
 * dil, plo, phi) and the output spatial sizes. */
static int window(B *b, Value *x, const int64_t *kshape, bool ceil_mode, Params *pr, int64_t *osp) {
  int nsp = x->rank - 2;
  if (nsp < 1 || nsp > 3) {
    diag_error(b->d, b->loc, "%s: unsupported input rank %d (1 to 3 spatial dims)", b->n->op, x->rank);
    return -1;
  }
  pr->nsp = nsp;
  int64_t v[6];
  int n;
  for (int i = 0; i < nsp; i++) {
    pr->kernel[i] = kshape[i];
    pr->stride[i] = pr->dil[i] = 1;
    pr->plo[i] = pr->phi[i] = 0;
    if (kshape[i] < 1) {
      diag_error(b->d, b->loc, "%s: kernel size must be positive", b->n->op);
      return -1;
    }
  }
  if ((n = d_ints(b, "strides", v, 3)) >= 0) {
    if (n != nsp) goto badlen;
    for (int i = 0; i < nsp; i++) pr->stride[i] = v[i];
  }
  if ((n = d_ints(b, "dilations", v, 3)) >= 0) {
    if (n != nsp) goto badlen;
    for (int i = 0; i < nsp; i++) pr->dil[i] = v[i];
  }
  const char *ap = d_str(b, "auto_pad", "NOTSET");
  if ((n = d_ints(b, "pads", v, 6)) >= 0) {
    if (n != 2 * nsp) goto badlen;
    for (int i = 0; i < nsp; i++) {
      pr->plo[i] = v[i];
      pr->phi[i] = v[i + nsp];
    }
  }
  if (n == -2 || b->d->nerr) return -1;
  for (int i = 0; i < nsp; i++) {
    int64_t in = x->shape[i + 2], s = pr->stride[i], d = pr->dil[i], k = pr->kernel[i];
    if (s < 1 || d < 1 || pr->plo[i] < 0 || pr->phi[i] < 0) {
      diag_error(b->d, b->loc, "%s: strides and dilations must be >= 1 and pads >= 0", b->n->op);
      return -1;
    }
    /* below 2^31 each, the window and padded sizes below cannot overflow */
    if (s > INT32_MAX || d > INT32_MAX || k > INT32_MAX || pr->plo[i] > INT32_MAX || pr->phi[i] > INT32_MAX) {
      diag_error(b->d, b->loc, "%s: strides, dilations, pads and kernel sizes must be below 2^31", b->n->op);
      return -1;
    }
    int64_t ek = d * (k - 1) + 1;
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
      int64_t o = (in + s - 1) / s;
      int64_t tot = (o - 1) * s + ek - in;
      if (tot < 0) tot = 0;
      pr->plo[i] = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
      pr->phi[i] = tot - pr->plo[i];
      osp[i] = o;
      continue;
    }
    if (!strcmp(ap, "VALID")) pr->plo[i] = pr->phi[i] = 0;
    else if (strcmp(ap, "NOTSET")) {
      diag_error(b->d, d_attr_loc(b, "auto_pad"), "%s: unknown auto_pad '%s'", b->n->op, ap);
      return -1;
    }
    int64_t span = in + pr->plo[i] + pr->phi[i] - ek;
    if (span < 0) {
      diag_error(b->d, b->loc, "%s: window %lld larger than padded input %lld", b->n->op, (long long)ek,
                 (long long)(in + pr->plo[i] + pr->phi[i]));
      return -1;
    }
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + pr->plo[i]) o--;
    osp[i] = o;
  }
  return 0;
badlen:
  diag_error(b->d, b->loc, "%s: strides/dilations/pads length does not match %d spatial dims", b->n->op, nsp);
  return -1;
}

int d_conv(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *w = in[1], *bias = nin > 2 ? in[2] : NULL;
  if (x->rank < 3 || w->rank != x->rank) {
    diag_error(b->d, b->loc, "Conv: input %s and weight %s ranks do not fit", shape_str(b->p->a, x->rank, x->shape),
               shape_str(b->p->a, w->rank, w->shape));
    return -1;
  }
  int64_t group = d_int(b, "group", 1), ks[3];
  int n = d_ints(b, "kernel_shape", ks, 3);
  if (n == -2) return -1;
  for (int i = 0; i < x->rank - 2; i++) {
    if (n >= 0 && i < n && ks[i] != w->shape[i + 2]) {
      diag_error(b->d, b->loc, "Conv: kernel_shape disagrees with the weight shape");
      return -1;
    }
    ks[i] = w->shape[i + 2];
  }
  int64_t C = x->shape[1], M = w->shape[0];
  if (group < 1 || C % group || M % group || w->shape[1] * group != C) {
    diag_error(b->d, b->loc, "Conv: %lld input channels, weight %s and group %lld do not fit", (long long)C,
               shape_str(b->p->a, w->rank, w->shape), (long long)group);
    return -1;
  }
  Params pr = {.group = (int)group};
  int64_t os[MAX_RANK];
  if (window(b, x, ks, false, &pr, os + 2)) return -1;
  os[0] = x->shape[0];
  os[1] = M;
  Value *y = b_conv(b, x, w, &pr, x->rank, os);
  if (y && bias) {
    if (bias->rank != 1 || bias->shape[0] != M) {
      diag_error(b->d, b->loc, "Conv: bias %s must be [%lld]", shape_str(b->p->a, bias->rank, bias->shape),
                 (long long)M);
      return -1;
    }
    int64_t bs[MAX_RANK];
    for (int i = 0; i < x->rank - 1; i++) bs[i] = i == 0 ? M : 1;
    y = b_binary(b, OP_ADD, y, b_reshape(b, bias, x->rank - 1, bs));
  }
  out[0] = y;
  return y ? 0 : -1;
}

static int pool(B *b, PoolKind kind, Value **in, Value **out) {
  Value *x = in[0];
  int64_t ks[3];
  int n = d_ints(b, "kernel_shape", ks, 3);
  if (n < 0 || n != x->rank - 2) {
    if (n != -2) diag_error(b->d, b->loc, "%s: kernel_shape must have %d values", b->n->op, x->rank - 2);
    return -1;
  }
  if (b->nout > 1 && kind != POOL_MAX) {
    diag_error(b->d, b->loc, "unsupported: %s Indices output", b->n->op);
    return -1;
  }
  Params pr = {.pool = kind, .count_pad = d_int(b, "count_include_pad", 0) != 0, .p = (double)d_int(b, "p", 2)};
  int64_t os[MAX_RANK];
  if (window(b, x, ks, d_int(b, "ceil_mode", 0) != 0, &pr, os + 2)) return -1;
  os[0] = x->shape[0];
  os[1] = x->shape[1];
  out[0] = b_pool(b, x, &pr, x->rank, os);
  if (out[0] && b->nout > 1 && !(out[1] = m_pool_indices(b, x, &pr, os))) return -1; /* decompose_misc.c */
  return out[0] ? 0 : -1;
}

int d_maxpool(B *b, Value **in, int nin, Value **out) { (void)nin; return pool(b, POOL_MAX, in, out); }
int d_avgpool(B *b, Value **in, int nin, Value **out) { (void)nin; return pool(b, POOL_AVG, in, out); }
int d_lppool(B *b, Value **in, int nin, Value **out) { (void)nin; return pool(b, POOL_LP, in, out); }

static unsigned spatial(const Value *x) {
  unsigned m = 0;
  for (int i = 2; i < x->rank; i++) m |= 1u << i;
  return m;
}

int d_globalavgpool(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (x->rank < 3) {
    diag_error(b->d, b->loc, "GlobalAveragePool needs rank >= 3");
    return -1;
  }
  int64_t cnt = 1;
  for (int i = 2; i < x->rank; i++) cnt *= x->shape[i];
  out[0] = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, x, spatial(x), true), sc(b, x, (double)cnt));
  return out[0] ? 0 : -1;
}

int d_globalmaxpool(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (x->rank < 3) {
    diag_error(b->d, b->loc, "GlobalMaxPool needs rank >= 3");
    return -1;
  }
  out[0] = b_reduce(b, OP_RMAX, x, spatial(x), true);
  return out[0] ? 0 : -1;
}

/* [C] -> [C,1,...] so it broadcasts against [N,C,...] */
static Value *per_channel(B *b, Value *v, const Value *x) {
  int64_t s[MAX_RANK];
  for (int i = 0; i < x->rank - 1; i++) s[i] = i == 0 ? x->shape[1] : 1;
  if (b_numel(v) != x->shape[1]) {
    diag_error(b->d, b->loc, "%s: per-channel parameter %s does not match %lld channels", b->n->op,
               shape_str(b->p->a, v->rank, v->shape), (long long)x->shape[1]);
    return NULL;
  }
  return b_reshape(b, v, x->rank - 1, s);
}

int d_batchnorm(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (b->nout > 1 || d_int(b, "training_mode", 0)) return m_batchnorm_train(b, in, out); /* decompose_misc.c */
  if (x->rank < 2) {
    diag_error(b->d, b->loc, "BatchNormalization needs rank >= 2");
    return -1;
  }
  double eps = d_float(b, "epsilon", 1e-5);
  Value *scale = per_channel(b, in[1], x), *bias = per_channel(b, in[2], x);
  Value *mean = per_channel(b, in[3], x), *var = per_channel(b, in[4], x);
  if (!scale || !bias || !mean || !var) return -1;
  /* y = x * a + c with a = scale / sqrt(var + eps), c = bias - mean * a:
   * folded to two constants when the statistics are initializers */
  Value *a = b_binary(b, OP_DIV, scale, b_unary(b, OP_SQRT, b_binary(b, OP_ADD, var, sc(b, var, eps))));
  Value *c = b_binary(b, OP_SUB, bias, b_binary(b, OP_MUL, mean, a));
  out[0] = b_binary(b, OP_ADD, b_binary(b, OP_MUL, x, a), c);
  return out[0] ? 0 : -1;
}

/* mean and variance over `mask`, normalized output; shared by LayerNorm and
 * InstanceNorm */
static Value *normalize(B *b, Value *x, unsigned mask, double eps, Value **mean_out, Value **inv_out) {
  int64_t cnt = 1;
  for (int i = 0; i < x->rank; i++)
    if (mask & (1u << i)) cnt *= x->shape[i];
  Value *n = sc(b, x, (double)cnt);
  Value *mean = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, x, mask, true), n);
  Value *dx = b_binary(b, OP_SUB, x, mean);
  Value *var = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, dx, dx), mask, true), n);
  Value *inv = b_unary(b, OP_RECIP, b_unary(b, OP_SQRT, b_binary(b, OP_ADD, var, sc(b, x, eps))));
  if (mean_out) *mean_out = mean;
  if (inv_out) *inv_out = inv;
  return b_binary(b, OP_MUL, dx, inv);
}

int d_layernorm(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *scale = in[1], *bias = nin > 2 ? in[2] : NULL;
  int axis = b_axis(b, d_int(b, "axis", -1), x->rank, "LayerNormalization axis");
  if (axis < 0) return -1;
  if (d_int(b, "stash_type", 1) != 1) {
    diag_error(b->d, b->loc, "unsupported: LayerNormalization stash_type other than float");
    return -1;
  }
  unsigned mask = 0;
  for (int i = axis; i < x->rank; i++) mask |= 1u << i;
  Value *xs = x->dt == DT_F32 || x->dt == DT_F64 ? x : b_cast(b, x, DT_F32);
  Value *mean, *inv;
  Value *y = normalize(b, xs, mask, d_float(b, "epsilon", 1e-5), &mean, &inv);
  y = b_cast(b, y, x->dt);
  y = b_binary(b, OP_MUL, y, scale);
  if (bias) y = b_binary(b, OP_ADD, y, bias);
  out[0] = y;
  if (b->nout > 1) out[1] = mean;
  if (b->nout > 2) out[2] = inv;
  return y ? 0 : -1;
}

int d_instancenorm(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (x->rank < 3) {
    diag_error(b->d, b->loc, "InstanceNormalization needs rank >= 3");
    return -1;
  }
  Value *y = normalize(b, x, spatial(x), d_float(b, "epsilon", 1e-5), NULL, NULL);
  y = b_binary(b, OP_MUL, y, per_channel(b, in[1], x));
  out[0] = b_binary(b, OP_ADD, y, per_channel(b, in[2], x));
  return out[0] ? 0 : -1;
}
