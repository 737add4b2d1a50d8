/* decompose_ml.c: ai.onnx.ml operators (linear models, SVMs, featurizers)
 * as tensor programs, and the table d_ml_ops that registers them with the
 * tree ensembles of ml_trees.c.
 *
 * Semantics follow the ONNX-ML spec; where the spec is silent (binary
 * classifiers with one score column, post transforms) they follow
 * onnxruntime, the de-facto reference the converters are tested against.
 * Strings (DT_STRING) are compared for equality and gathered from constant
 * tables, never computed on: string class labels are a GATHER of the label
 * table at the argmax, LabelEncoder and OneHotEncoder over strings compare
 * the input with every key.
 */
#include "ml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */
Value *ml_const_f(B *b, DType dt, int rank, const int64_t *shape, const double *v, const char *name) {
  int64_t n = shape_numel(rank, shape);
  void *raw = malloc((size_t)(n ? n : 1) * (size_t)dtype_info[dt].size);
  if (!raw) return NULL;
  for (int64_t i = 0; i < n; i++) raw_set_f(dt, raw, i, v[i]);
  b->vname = name;
  Value *r = b_const(b, dt, rank, shape, raw);
  free(raw);
  return r;
}

Value *ml_const_i(B *b, DType dt, int rank, const int64_t *shape, const int64_t *v, const char *name) {
  int64_t n = shape_numel(rank, shape);
  void *raw = malloc((size_t)(n ? n : 1) * (size_t)dtype_info[dt].size);
  if (!raw) return NULL;
  for (int64_t i = 0; i < n; i++) raw_set_i(dt, raw, i, v[i]);
  b->vname = name;
  Value *r = b_const(b, dt, rank, shape, raw);
  free(raw);
  return r;
}

Value *ml_rows(B *b, Value *x, DType dt, const char *what) {
  if (!x) return NULL;
  if (x->dt == DT_BOOL || x->dt == DT_UNDEF) {
    diag_error(b->d, b->loc, "%s: %s must be numeric, not %s", b->n->op, what, dtype_info[x->dt].name);
    return NULL;
  }
  if (x->rank == 1) x = b_reshape(b, x, 2, (int64_t[]){1, x->shape[0]});
  if (!x || x->rank != 2) {
    if (x) diag_error(b->d, b->loc, "%s: %s must be [N, F], got %s", b->n->op, what, shape_str(b->p->a, x->rank, x->shape));
    return NULL;
  }
  return b_cast(b, x, dt);
}

int ml_post_code(B *b, const char *s) {
  static const char *const n[] = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"};
  for (int i = 0; i < 5; i++)
    if (!strcmp(s, n[i])) return i;
  diag_error(b->d, d_attr_loc(b, "post_transform"), "%s: unknown post_transform '%s'", b->n->op, s);
  return -1;
}

static Value *sc(B *b, Value *like, double v) { return b_scalar(b, like->dt, v); }

Value *ml_post(B *b, Value *s, int post) {
  if (!s) return NULL;
  unsigned last = 1u << (s->rank - 1);
  switch (post) {
  case PT_NONE: return s;
  case PT_LOGISTIC:
    return b_unary(b, OP_RECIP, b_binary(b, OP_ADD, sc(b, s, 1), b_unary(b, OP_EXP, b_unary(b, OP_NEG, s))));
  case PT_SOFTMAX: {
    Value *e = b_unary(b, OP_EXP, b_binary(b, OP_SUB, s, b_reduce(b, OP_RMAX, s, last, true)));
    return b_binary(b, OP_DIV, e, b_reduce(b, OP_RSUM, e, last, true));
  }
  case PT_SOFTMAX_ZERO: { /* ORT: (near-)zero scores stay zero and do not count */
    Value *m = b_reduce(b, OP_RMAX, s, last, true);
    Value *nz = b_binary(b, OP_CMPLT, sc(b, s, 1e-7), b_unary(b, OP_ABS, s));
    Value *e = b_unary(b, OP_EXP, b_binary(b, OP_SUB, s, m));
    Value *z = b_binary(b, OP_MUL, s, b_unary(b, OP_EXP, b_unary(b, OP_NEG, m)));
    Value *sum = b_reduce(b, OP_RSUM, b_where(b, nz, e, sc(b, s, 0)), last, true);
    return b_binary(b, OP_DIV, b_where(b, nz, e, z), sum);
  }
  case PT_PROBIT: { /* sqrt(2) * erfinv(2p - 1), ORT's closed-form erfinv */
    Value *x = b_binary(b, OP_SUB, b_binary(b, OP_MUL, s, sc(b, s, 2)), sc(b, s, 1));
    Value *sgn = b_where(b, b_binary(b, OP_CMPLT, x, sc(b, s, 0)), sc(b, s, -1), sc(b, s, 1));
    Value *l = b_unary(b, OP_LOG, b_binary(b, OP_MUL, b_binary(b, OP_SUB, sc(b, s, 1), x),
                                           b_binary(b, OP_ADD, sc(b, s, 1), x)));
    Value *v = b_binary(b, OP_ADD, sc(b, s, 2 / (3.14159f * 0.147f)), b_binary(b, OP_MUL, sc(b, s, 0.5), l));
    Value *v2 = b_binary(b, OP_MUL, sc(b, s, 1 / 0.147f), l);
    Value *v3 = b_binary(b, OP_SUB, b_unary(b, OP_SQRT, b_binary(b, OP_SUB, b_binary(b, OP_MUL, v, v), v2)), v);
    return b_binary(b, OP_MUL, b_binary(b, OP_MUL, sgn, b_unary(b, OP_SQRT, v3)), sc(b, s, 1.41421356f));
  }
  case PT_EXP: return b_unary(b, OP_EXP, s);
  default: return NULL;
  }
}

static Value *label_table(B *b, const char *const *strs, int n) {
  b->vname = "class_labels";
  return b_const_strs(b, 1, (int64_t[]){n}, strs);
}

Value *ml_argmax_label(B *b, Value *s, const int64_t *labels, const char *const *strs, int n) {
  Value *k = b_argred(b, OP_ARGMAX, s, s->rank - 1, false, false);
  if (strs) return b_gather(b, label_table(b, strs, n), k, 0);
  if (!labels || !k) return k;
  bool ident = true;
  for (int i = 0; i < n; i++) ident &= labels[i] == i;
  if (ident) return k;
  return b_gather(b, ml_const_i(b, DT_I64, 1, (int64_t[]){n}, labels, "class_labels"), k, 0);
}

Value *ml_pick_label(B *b, Value *win, const int64_t *labels, const char *const *strs) {
  if (!strs) return b_where(b, win, b_scalar(b, DT_I64, (double)labels[1]), b_scalar(b, DT_I64, (double)labels[0]));
  b->vname = "class_label_1";
  Value *one = b_const_strs(b, 0, NULL, &strs[1]);
  b->vname = "class_label_0";
  return b_where(b, win, one, b_const_strs(b, 0, NULL, &strs[0]));
}

int ml_class_labels(B *b, int64_t **labels, const char *const **strs) {
  const Attr *a = attr_find(b->n, "classlabels_int64s");
  if (!a) a = attr_find(b->n, "classlabels_ints");
  const Attr *s = attr_find(b->n, "classlabels_strings");
  int n = a && a->type == AT_INTS ? a->n : s && s->type == AT_STRINGS ? s->n : -1;
  if (n < 0) {
    diag_error(b->d, b->loc, "%s: needs classlabels_int64s or classlabels_strings", b->n->op);
    return -1;
  }
  *labels = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(n + 1));
  if (!*labels) return -1;
  for (int i = 0; i < n; i++) (*labels)[i] = a && a->type == AT_INTS ? a->ints[i] : i;
  *strs = a && a->type == AT_INTS ? NULL : (const char *const *)s->strs;
  return n;
}

static const double *floats(B *b, const char *name, int *n) {
  const Attr *a = attr_find(b->n, name);
  *n = 0;
  if (!a) return NULL;
  if (a->type == AT_FLOATS) {
    *n = a->n;
    return a->floats;
  }
  if (a->type == AT_FLOAT) {
    *n = 1;
    return &a->f;
  }
  diag_error(b->d, d_attr_loc(b, name), "%s: attribute '%s' must be a list of floats", b->n->op, name);
  return NULL;
}

static const int64_t *ints(B *b, const char *name, int *n) {
  const Attr *a = attr_find(b->n, name);
  *n = 0;
  if (!a) return NULL;
  if (a->type == AT_INTS) {
    *n = a->n;
    return a->ints;
  }
  if (a->type == AT_INT) {
    *n = 1;
    return &a->i;
  }
  diag_error(b->d, d_attr_loc(b, name), "%s: attribute '%s' must be a list of ints", b->n->op, name);
  return NULL;
}

/* X [N, F] times coefficients [K, F]^T plus intercepts [K] */
static Value *affine(B *b, Value *x, const double *w, int nw, const double *c, int nc, int K) {
  int64_t F = x->shape[1];
  if (K < 1 || nw != K * F || (nc && nc != K)) {
    diag_error(b->d, b->loc, "%s: %d coefficients / %d intercepts do not fit %d outputs of %lld features", b->n->op,
               nw, nc, K, (long long)F);
    return NULL;
  }
  double *wt = malloc(sizeof(double) * (size_t)(nw ? nw : 1));
  if (!wt) return NULL;
  for (int k = 0; k < K; k++)
    for (int64_t f = 0; f < F; f++) wt[f * K + k] = w[k * F + f];
  Value *W = ml_const_f(b, x->dt, 2, (int64_t[]){F, K}, wt, "coefficients");
  free(wt);
  Value *y = b_matmul(b, x, W);
  if (nc) y = b_binary(b, OP_ADD, y, ml_const_f(b, x->dt, 1, (int64_t[]){K}, c, "intercepts"));
  return y;
}

/* ------------------------------------------------------------ linear models */
static int d_linear_regressor(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = ml_rows(b, in[0], DT_F32, "X");
  int nw, nc;
  const double *w = floats(b, "coefficients", &nw), *c = floats(b, "intercepts", &nc);
  int K = (int)d_int(b, "targets", 1), post = ml_post_code(b, d_str(b, "post_transform", "NONE"));
  if (!x || post < 0) return -1;
  Value *y = affine(b, x, w, nw, c, nc, K);
  out[0] = ml_post(b, y, post);
  return out[0] ? 0 : -1;
}

/* binary classifiers with one score column: ORT's two-column layout */
static Value *second_class(B *b, Value *s, int post) {
  if (post == PT_LOGISTIC) {
    Value *p = ml_post(b, s, PT_LOGISTIC);
    return b_concat(b, 2, (Value *[]){b_binary(b, OP_SUB, sc(b, s, 1), p), p}, 1);
  }
  if (post == PT_NONE) return b_concat(b, 2, (Value *[]){b_binary(b, OP_SUB, sc(b, s, 1), s), s}, 1);
  Value *p = ml_post(b, s, post);
  return b_concat(b, 2, (Value *[]){b_binary(b, OP_SUB, sc(b, s, 1), p), p}, 1);
}

static int d_linear_classifier(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = ml_rows(b, in[0], DT_F32, "X");
  int nw, nc;
  const double *w = floats(b, "coefficients", &nw), *c = floats(b, "intercepts", &nc);
  int64_t *labels;
  const char *const *strs;
  int nl = ml_class_labels(b, &labels, &strs), post = ml_post_code(b, d_str(b, "post_transform", "NONE"));
  if (!x || nl < 0 || post < 0) return -1;
  int K = nc ? nc : (int)(nw / (x->shape[1] ? x->shape[1] : 1));
  Value *s = affine(b, x, w, nw, c, nc, K);
  if (!s) return -1;
  if (K == 1) {
    int64_t lab[2] = {nl == 2 ? labels[0] : 0, nl == 2 ? labels[1] : 1};
    if (strs && nl != 2) {
      diag_error(b->d, b->loc, "%s: one score column needs 2 class labels, not %d", b->n->op, nl);
      return -1;
    }
    Value *win = b_binary(b, OP_CMPLT, sc(b, s, 0), s);
    out[0] = b_reshape(b, ml_pick_label(b, win, lab, strs), 1, (int64_t[]){s->shape[0]});
    out[1] = nl == 2 ? second_class(b, s, post) : ml_post(b, s, post);
  } else {
    if (K != nl) {
      diag_error(b->d, b->loc, "%s: %d score columns for %d class labels", b->n->op, K, nl);
      return -1;
    }
    out[0] = ml_argmax_label(b, s, labels, strs, nl);
    out[1] = ml_post(b, s, post);
  }
  return out[0] && out[1] ? 0 : -1;
}

/* ------------------------------------------------------------------- SVMs */
/* kernel(X, SV) [N, S] */
static Value *svm_kernel(B *b, Value *x, const double *sv, int S, const char *kt, const double *kp, int nkp) {
  int64_t F = x->shape[1];
  double gamma = nkp > 0 ? kp[0] : 0, coef0 = nkp > 1 ? kp[1] : 0, degree = nkp > 2 ? kp[2] : 0;
  double *t = malloc(sizeof(double) * (size_t)((S * F) > 0 ? S * F : 1));
  if (!t) return NULL;
  for (int s = 0; s < S; s++)
    for (int64_t f = 0; f < F; f++) t[f * S + s] = sv[s * F + f];
  Value *V = ml_const_f(b, x->dt, 2, (int64_t[]){F, S}, t, "support_vectors");
  free(t);
  if (!strcmp(kt, "RBF")) { /* exp(-gamma |x - sv|^2) */
    Value *d = b_binary(b, OP_SUB, b_reshape(b, x, 3, (int64_t[]){x->shape[0], F, 1}), V);
    Value *n2 = b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, d, d), 2u, false);
    return b_unary(b, OP_EXP, b_binary(b, OP_MUL, n2, sc(b, x, -gamma)));
  }
  Value *dot = b_matmul(b, x, V);
  if (!strcmp(kt, "LINEAR")) return dot;
  Value *z = b_binary(b, OP_ADD, b_binary(b, OP_MUL, dot, sc(b, x, gamma)), sc(b, x, coef0));
  if (!strcmp(kt, "POLY")) return b_binary(b, OP_POW, z, sc(b, x, degree));
  if (!strcmp(kt, "SIGMOID")) return b_unary(b, OP_TANH, z);
  diag_error(b->d, d_attr_loc(b, "kernel_type"), "%s: unknown kernel_type '%s'", b->n->op, kt);
  return NULL;
}

static int d_svm_regressor(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = ml_rows(b, in[0], DT_F32, "X");
  int nsv, nc, nkp, nr;
  const double *sv = floats(b, "support_vectors", &nsv), *co = floats(b, "coefficients", &nc),
               *kp = floats(b, "kernel_params", &nkp), *rho = floats(b, "rho", &nr);
  int S = (int)d_int(b, "n_supports", 0), post = ml_post_code(b, d_str(b, "post_transform", "NONE"));
  const char *kt = d_str(b, "kernel_type", "LINEAR");
  if (!x || post < 0) return -1;
  if (d_int(b, "one_class", 0)) {
    diag_error(b->d, b->loc, "unsupported: SVMRegressor one_class=1");
    return -1;
  }
  Value *y;
  if (S == 0) { /* linear SVM: coefficients are the weights */
    y = affine(b, x, co, nc, rho, nr ? 1 : 0, 1);
  } else {
    if (nsv != S * x->shape[1] || nc != S) {
      diag_error(b->d, b->loc, "%s: %d support vector values / %d coefficients for %d supports of %lld features",
                 b->n->op, nsv, nc, S, (long long)x->shape[1]);
      return -1;
    }
    Value *k = svm_kernel(b, x, sv, S, kt, kp, nkp);
    y = affine(b, k, co, nc, rho, nr ? 1 : 0, 1);
  }
  out[0] = ml_post(b, y, post);
  return out[0] ? 0 : -1;
}

/* SVMClassifier: one-vs-one votes over the support vectors of each class
 * pair (libsvm's layout), or a linear SVM (no supports). Probabilities
 * (prob_a/prob_b, libsvm's pairwise coupling) are refused. */
static int d_svm_classifier(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = ml_rows(b, in[0], DT_F32, "X");
  int nsv, nc, nkp, nr, nv, npa;
  const double *sv = floats(b, "support_vectors", &nsv), *co = floats(b, "coefficients", &nc),
               *kp = floats(b, "kernel_params", &nkp), *rho = floats(b, "rho", &nr);
  const int64_t *vpc = ints(b, "vectors_per_class", &nv);
  floats(b, "prob_a", &npa);
  int64_t *labels;
  const char *const *strs;
  int C = ml_class_labels(b, &labels, &strs), post = ml_post_code(b, d_str(b, "post_transform", "NONE"));
  const char *kt = d_str(b, "kernel_type", "LINEAR");
  if (!x || C < 0 || post < 0) return -1;
  if (npa) {
    diag_error(b->d, d_attr_loc(b, "prob_a"), "unsupported: SVMClassifier with probabilities (prob_a/prob_b)");
    return -1;
  }
  int64_t N = x->shape[0], F = x->shape[1];
  if (!nv) { /* linear: one score per class */
    int K = nr ? nr : (int)(nc / (F ? F : 1));
    Value *s = affine(b, x, co, nc, rho, nr, K);
    if (!s) return -1;
    if (K == 1 && C == 2) {
      out[0] = b_reshape(b, ml_pick_label(b, b_binary(b, OP_CMPLT, sc(b, s, 0), s), labels, strs), 1, (int64_t[]){N});
      out[1] = ml_post(b, b_concat(b, 2, (Value *[]){b_unary(b, OP_NEG, s), s}, 1), post);
    } else {
      out[0] = ml_argmax_label(b, s, labels, strs, C);
      out[1] = ml_post(b, s, post);
    }
    return out[0] && out[1] ? 0 : -1;
  }
  int S = 0;
  for (int i = 0; i < nv; i++) S += (int)vpc[i];
  int P = C * (C - 1) / 2;
  if (nv != C || nsv != S * F || nc != (C - 1) * S || nr != P) {
    diag_error(b->d, b->loc, "%s: support vectors, coefficients and rho do not fit %d classes", b->n->op, C);
    return -1;
  }
  Value *k = svm_kernel(b, x, sv, S, kt, kp, nkp); /* [N, S] */
  /* decision of pair (i, j): sum over supports of class i of coef[j-1][s] k
   * + sum over class j of coef[i][s] k + rho[p]: one [S, P] matrix */
  double *W = calloc((size_t)S * (size_t)P, sizeof(double)), *vote = calloc((size_t)P * (size_t)C * 2, sizeof(double));
  int *start = malloc(sizeof(int) * (size_t)(C + 1));
  if (!W || !vote || !start) {
    free(W), free(vote), free(start);
    return -1;
  }
  start[0] = 0;
  for (int i = 0; i < C; i++) start[i + 1] = start[i] + (int)vpc[i];
  for (int i = 0, p = 0; i < C; i++)
    for (int j = i + 1; j < C; j++, p++) {
      for (int s = start[i]; s < start[i + 1]; s++) W[s * P + p] = co[(j - 1) * S + s];
      for (int s = start[j]; s < start[j + 1]; s++) W[s * P + p] = co[i * S + s];
      vote[p * C + i] = 1;         /* decision > 0: a vote for i */
      vote[P * C + p * C + j] = 1; /* else for j */
    }
  Value *Wv = ml_const_f(b, x->dt, 2, (int64_t[]){S, P}, W, "svm_pair_weights");
  double *r = malloc(sizeof(double) * (size_t)(P ? P : 1));
  if (r)
    for (int p = 0; p < P; p++) r[p] = rho[p];
  Value *dec = r ? b_binary(b, OP_ADD, b_matmul(b, k, Wv), ml_const_f(b, x->dt, 1, (int64_t[]){P}, r, "rho")) : NULL;
  Value *Vi = ml_const_f(b, x->dt, 2, (int64_t[]){P, C}, vote, "svm_vote_first");
  Value *Vj = ml_const_f(b, x->dt, 2, (int64_t[]){P, C}, vote + P * C, "svm_vote_second");
  free(W), free(vote), free(start), free(r);
  if (!dec) return -1;
  Value *pos = b_cast(b, b_binary(b, OP_CMPLT, sc(b, dec, 0), dec), x->dt);
  Value *neg = b_binary(b, OP_SUB, sc(b, pos, 1), pos);
  Value *votes = b_binary(b, OP_ADD, b_matmul(b, pos, Vi), b_matmul(b, neg, Vj)); /* [N, C] */
  if (C == 2) { /* libsvm's binary decision: class 0 when the one decision > 0 */
    out[0] = ml_argmax_label(b, votes, labels, strs, C);
    out[1] = ml_post(b, b_concat(b, 2, (Value *[]){dec, b_unary(b, OP_NEG, dec)}, 1), post);
  } else {
    out[0] = ml_argmax_label(b, votes, labels, strs, C);
    out[1] = ml_post(b, dec, post);
  }
  return out[0] && out[1] ? 0 : -1;
}

/* ------------------------------------------------------------- featurizers */
static int d_scaler(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = b_cast(b, in[0], DT_F32);
  int no, ns;
  const double *o = floats(b, "offset", &no), *s = floats(b, "scale", &ns);
  if (!x) return -1;
  int64_t F = x->rank ? x->shape[x->rank - 1] : 1;
  if ((no != 1 && no != F) || (ns != 1 && ns != F)) {
    diag_error(b->d, b->loc, "Scaler: offset (%d) and scale (%d) must have 1 or %lld values", no, ns, (long long)F);
    return -1;
  }
  Value *ov = ml_const_f(b, DT_F32, 1, (int64_t[]){no}, o, "offset");
  Value *sv = ml_const_f(b, DT_F32, 1, (int64_t[]){ns}, s, "scale");
  out[0] = b_binary(b, OP_MUL, b_binary(b, OP_SUB, x, ov), sv);
  return out[0] ? 0 : -1;
}

static int d_normalizer(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = ml_rows(b, in[0], DT_F32, "X");
  const char *norm = d_str(b, "norm", "MAX");
  if (!x) return -1;
  Value *d;
  if (!strcmp(norm, "MAX")) d = b_reduce(b, OP_RMAX, x, 2u, true);
  else if (!strcmp(norm, "L1")) d = b_reduce(b, OP_RSUM, b_unary(b, OP_ABS, x), 2u, true);
  else if (!strcmp(norm, "L2")) d = b_unary(b, OP_SQRT, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, x, x), 2u, true));
  else {
    diag_error(b->d, d_attr_loc(b, "norm"), "Normalizer: unknown norm '%s' (MAX, L1, L2)", norm);
    return -1;
  }
  out[0] = b_binary(b, OP_DIV, x, d);
  return out[0] ? 0 : -1;
}

static int d_binarizer(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  double t = d_float(b, "threshold", 0);
  if (!dtype_info[x->dt].is_float && x->dt != DT_I32 && x->dt != DT_I64) {
    diag_error(b->d, b->loc, "Binarizer: unsupported input dtype %s", dtype_info[x->dt].name);
    return -1;
  }
  out[0] = b_where(b, b_binary(b, OP_CMPLT, sc(b, x, t), x), sc(b, x, 1), sc(b, x, 0));
  return out[0] ? 0 : -1;
}

static int d_onehot(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int nc;
  const int64_t *cats = ints(b, "cats_int64s", &nc);
  const Attr *cs = attr_find(b->n, "cats_strings");
  if (cs && cs->type == AT_STRINGS) nc = cs->n;
  if (!nc) {
    diag_error(b->d, b->loc, "OneHotEncoder: needs cats_int64s or cats_strings");
    return -1;
  }
  if ((x->dt == DT_STRING) != (cs != NULL)) {
    diag_error(b->d, b->loc, "OneHotEncoder: a %s input needs %s", dtype_info[x->dt].name,
               cs ? "cats_int64s (cats_strings are for string inputs)" : "cats_strings");
    return -1;
  }
  /* zeros=0 asks for an error on an unknown category; generated code cannot
   * fail at run time, so unknown categories give all zeros either way */
  Value *xi = x, *C;
  if (cs) {
    b->vname = "categories";
    C = b_const_strs(b, 1, (int64_t[]){nc}, (const char *const *)cs->strs);
  } else {
    if (!dtype_info[x->dt].is_float) xi = b_cast(b, x, DT_I64);
    double *cv = malloc(sizeof(double) * (size_t)nc);
    if (!cv || !xi) {
      free(cv);
      return -1;
    }
    for (int i = 0; i < nc; i++) cv[i] = (double)cats[i];
    C = ml_const_f(b, xi->dt, 1, (int64_t[]){nc}, cv, "categories");
    free(cv);
  }
  int64_t s[MAX_RANK];
  memcpy(s, xi->shape, sizeof s);
  s[xi->rank] = 1;
  Value *eq = b_binary(b, OP_CMPEQ, b_reshape(b, xi, xi->rank + 1, s), C);
  out[0] = b_cast(b, eq, DT_F32);
  return out[0] ? 0 : -1;
}

static int d_imputer(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  bool fl = dtype_info[x->dt].is_float;
  int nf, ni;
  const double *fv = floats(b, "imputed_value_floats", &nf);
  const int64_t *iv = ints(b, "imputed_value_int64s", &ni);
  int n = fl ? nf : ni;
  int64_t F = x->rank ? x->shape[x->rank - 1] : 1;
  if (n != 1 && n != F) {
    diag_error(b->d, b->loc, "Imputer: %d imputed values for %lld features", n, (long long)F);
    return -1;
  }
  Value *v = fl ? ml_const_f(b, x->dt, 1, (int64_t[]){n}, fv, "imputed") : ml_const_i(b, x->dt, 1, (int64_t[]){n}, iv, "imputed");
  Value *miss;
  if (fl) {
    double r = d_float(b, "replaced_value_float", NAN);
    miss = isnan(r) ? b_unary(b, OP_ISNAN, x) : b_binary(b, OP_CMPEQ, x, sc(b, x, r));
  } else {
    miss = b_binary(b, OP_CMPEQ, x, sc(b, x, (double)d_int(b, "replaced_value_int64", 0)));
  }
  out[0] = b_where(b, miss, v, x);
  return out[0] ? 0 : -1;
}

/* One side of a LabelEncoder map: its keys or its values, numbers (held as
 * double) or strings. */
typedef struct {
  int n;
  DType dt;
  double *num;
  const char **str;
} LeSide;

/* <what>_tensor (ml opset 4), else <what>_strings, <what>_int64s, <what>_floats */
static int le_side(B *b, const char *what, LeSide *s) {
  Arena *a = b->p->a;
  const Attr *t = attr_find(b->n, arena_printf(a, "%s_tensor", what));
  const Attr *ls = attr_find(b->n, arena_printf(a, "%s_strings", what));
  memset(s, 0, sizeof *s);
  if (t && t->type == AT_TENSOR && t->t) {
    s->n = (int)shape_numel(t->t->rank, t->t->dims);
    s->dt = t->t->dt;
  } else if (ls && ls->type == AT_STRINGS) {
    s->n = ls->n, s->dt = DT_STRING, s->str = ls->strs;
    return 0;
  } else {
    const int64_t *vi = ints(b, arena_printf(a, "%s_int64s", what), &s->n);
    const double *vf = s->n ? NULL : floats(b, arena_printf(a, "%s_floats", what), &s->n);
    s->dt = vf ? DT_F32 : DT_I64;
    if (!(s->num = arena_alloc(a, sizeof(double) * (size_t)(s->n + 1)))) return -1;
    for (int i = 0; i < s->n; i++) s->num[i] = vi ? (double)vi[i] : vf[i];
    return 0;
  }
  s->num = arena_alloc(a, sizeof(double) * (size_t)(s->n + 1));
  s->str = arena_alloc(a, sizeof(char *) * (size_t)(s->n + 1));
  if (!s->num || !s->str) return -1;
  for (int i = 0; i < s->n; i++) {
    if (s->dt == DT_STRING) s->str[i] = str_at(t->t->data, i);
    else s->num[i] = raw_get_f(s->dt, t->t->data, i);
  }
  return 0;
}

static Value *le_const(B *b, const LeSide *s, DType dt, const char *name) {
  if (s->dt != DT_STRING) return ml_const_f(b, dt, 1, (int64_t[]){s->n}, s->num, name);
  b->vname = name;
  return b_const_strs(b, 1, (int64_t[]){s->n}, (const char *const *)s->str);
}

/* The value of unknown keys: default_tensor, else default_string /
 * default_int64 / default_float by the values' type. */
static Value *le_default(B *b, DType odt) {
  const Attr *dt_ = attr_find(b->n, "default_tensor");
  const TensorData *t = dt_ && dt_->type == AT_TENSOR && dt_->t && shape_numel(dt_->t->rank, dt_->t->dims) >= 1
                            ? dt_->t : NULL;
  if (t && (t->dt == DT_STRING) != (odt == DT_STRING)) {
    diag_error(b->d, d_attr_loc(b, "default_tensor"), "LabelEncoder: default_tensor is %s, the values are %s",
               dtype_info[t->dt].name, dtype_info[odt].name);
    return NULL;
  }
  if (odt == DT_STRING) {
    const char *def = t ? str_at(t->data, 0) : d_str(b, "default_string", "_Unused");
    b->vname = "default";
    return b_const_strs(b, 0, NULL, &def);
  }
  double def = odt == DT_I64 ? (double)d_int(b, "default_int64", -1) : d_float(b, "default_float", -0.0);
  if (t) def = raw_get_f(t->dt, t->data, 0);
  else if (odt != DT_I64 && odt != DT_F32 && !attr_find(b->n, "default_float")) def = 0;
  return b_scalar(b, odt, def);
}

/* ml opset 1: classes_strings maps a string to its index, or an index to
 * its string */
static int le_classes(B *b, const Attr *cls, bool to_index, LeSide *k, LeSide *v) {
  LeSide str = {cls->n, DT_STRING, NULL, cls->strs}, num = {cls->n, DT_I64, NULL, NULL};
  if (!(num.num = arena_alloc(b->p->a, sizeof(double) * (size_t)(cls->n + 1)))) return -1;
  for (int i = 0; i < cls->n; i++) num.num[i] = i;
  *k = to_index ? str : num;
  *v = to_index ? num : str;
  return 0;
}

/* LabelEncoder: keys (numbers or strings) to values (numbers or strings),
 * the default for unknown keys: y = found ? values[first matching key] : default */
static int d_label_encoder(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  LeSide k, v;
  const Attr *cls = attr_find(b->n, "classes_strings");
  if (cls && cls->type == AT_STRINGS ? le_classes(b, cls, x->dt == DT_STRING, &k, &v)
                                     : le_side(b, "keys", &k) || le_side(b, "values", &v))
    return -1;
  if (k.n != v.n || !k.n) {
    diag_error(b->d, b->loc, "LabelEncoder: %d keys and %d values", k.n, v.n);
    return -1;
  }
  if ((x->dt == DT_STRING) != (k.dt == DT_STRING)) {
    diag_error(b->d, b->loc, "LabelEncoder: the input is %s but the keys are %s", dtype_info[x->dt].name,
               k.dt == DT_STRING ? "strings" : "numbers");
    return -1;
  }
  Value *xk = x->dt == DT_F64 || x->dt == DT_F32 || x->dt == DT_STRING ? x : b_cast(b, x, DT_F64);
  if (!xk) return -1;
  Value *K = le_const(b, &k, xk->dt, "keys");
  int64_t s[MAX_RANK];
  memcpy(s, xk->shape, sizeof s);
  s[xk->rank] = 1;
  Value *eq = b_binary(b, OP_CMPEQ, b_reshape(b, xk, xk->rank + 1, s), K); /* [..., K] */
  Value *hit = b_cast(b, eq, DT_I32);
  Value *any = b_cast(b, b_reduce(b, OP_RMAX, hit, 1u << xk->rank, false), DT_BOOL);
  Value *idx = b_argred(b, OP_ARGMAX, hit, xk->rank, false, false); /* first matching key */
  Value *V = le_const(b, &v, v.dt, "values");
  out[0] = b_where(b, any, b_gather(b, V, idx, 0), le_default(b, v.dt));
  return out[0] ? 0 : -1;
}

static int d_array_feature_extractor(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *y = in[1];
  if (x->rank == 0) {
    diag_error(b->d, b->loc, "ArrayFeatureExtractor: X must have rank >= 1");
    return -1;
  }
  Value *idx = b_reshape(b, y, 1, (int64_t[]){b_numel(y)});
  Value *r = b_gather(b, x, idx, x->rank - 1);
  if (r && x->rank == 1) r = b_reshape(b, r, 2, (int64_t[]){1, r->shape[0]});
  out[0] = r;
  return r ? 0 : -1;
}

static int d_feature_vectorizer(B *b, Value **in, int nin, Value **out) {
  int nd;
  const int64_t *dims = ints(b, "inputdimensions", &nd);
  Value *xs[64];
  if (nin > 64) return -1;
  int64_t N = -1;
  for (int i = 0; i < nin; i++) {
    Value *x = b_cast(b, in[i], DT_F32);
    if (!x) return -1;
    int64_t n = x->rank <= 1 ? 1 : x->shape[0], f = x->rank == 0 ? 1 : b_numel(x) / (n ? n : 1);
    if (N >= 0 && n != N) {
      diag_error(b->d, b->loc, "FeatureVectorizer: inputs have %lld and %lld rows", (long long)N, (long long)n);
      return -1;
    }
    N = n;
    x = b_reshape(b, x, 2, (int64_t[]){n, f});
    if (i < nd && dims[i] != f) { /* the declared width: truncate or zero-pad */
      if (dims[i] < f) x = b_slice(b, x, (int64_t[]){0, 0}, (int64_t[]){1, 1}, (int64_t[]){n, dims[i]});
      else x = b_pad(b, x, (int64_t[]){0, 0}, (int64_t[]){0, dims[i] - f}, PAD_CONSTANT, 0);
    }
    xs[i] = x;
  }
  out[0] = b_concat(b, nin, xs, 1);
  return out[0] ? 0 : -1;
}

static int d_zipmap(B *b, Value **in, int nin, Value **out) {
  (void)in, (void)nin, (void)out;
  diag_error(b->d, b->loc, "unsupported: ZipMap (use the tensor output: convert with zipmap=False)");
  return -1;
}

const DecOp d_ml_ops[] = {
    /* domain       name                      min max out rewrite */
    {"ai.onnx.ml", "TreeEnsembleClassifier", 1, 1, 2, ml_tree_classifier},
    {"ai.onnx.ml", "TreeEnsembleRegressor", 1, 1, 1, ml_tree_regressor},
    {"ai.onnx.ml", "TreeEnsemble", 1, 1, 1, ml_tree_ensemble},
    {"mlgen", "TreeEnsemble", 1, 1, 2, ml_tree_ensemble},
    {"ai.onnx.ml", "LinearClassifier", 1, 1, 2, d_linear_classifier},
    {"ai.onnx.ml", "LinearRegressor", 1, 1, 1, d_linear_regressor},
    {"ai.onnx.ml", "SVMClassifier", 1, 1, 2, d_svm_classifier},
    {"ai.onnx.ml", "SVMRegressor", 1, 1, 1, d_svm_regressor},
    {"ai.onnx.ml", "Scaler", 1, 1, 1, d_scaler},
    {"ai.onnx.ml", "Normalizer", 1, 1, 1, d_normalizer},
    {"ai.onnx.ml", "Binarizer", 1, 1, 1, d_binarizer},
    {"ai.onnx.ml", "OneHotEncoder", 1, 1, 1, d_onehot},
    {"ai.onnx.ml", "Imputer", 1, 1, 1, d_imputer},
    {"ai.onnx.ml", "LabelEncoder", 1, 1, 1, d_label_encoder},
    {"ai.onnx.ml", "ArrayFeatureExtractor", 2, 2, 1, d_array_feature_extractor},
    {"ai.onnx.ml", "FeatureVectorizer", 1, -1, 1, d_feature_vectorizer},
    {"ai.onnx.ml", "ZipMap", 1, 1, 1, d_zipmap},
};
const int d_ml_nops = (int)(sizeof d_ml_ops / sizeof d_ml_ops[0]);
