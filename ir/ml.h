/* ml.h: shared by the ai.onnx.ml rewrites (decompose_ml.c: linear models,
 * featurizers; ml_trees.c: tree ensembles as tensor programs). */
#ifndef MLG_ML_H
#define MLG_ML_H

#include "decompose.h"

/* post_transform codes, numbered as TreeEnsemble (ml opset 5) numbers them */
enum { PT_NONE, PT_SOFTMAX, PT_LOGISTIC, PT_SOFTMAX_ZERO, PT_PROBIT, PT_EXP /* mlgen domain only */ };

/* "NONE" "SOFTMAX" ... -> PT_*, -1 after a diagnostic */
int ml_post_code(B *b, const char *s);
/* Applies a post transform to scores [N, C] (softmax runs over the last axis). */
Value *ml_post(B *b, Value *scores, int post);
/* X as a rank-2 float tensor [N, F]: rank 1 becomes [1, F]; integers are cast
 * to dt. NULL after a diagnostic. */
Value *ml_rows(B *b, Value *x, DType dt, const char *what);
/* label = labels[argmax over the last axis of scores]: int64 [N], or the
 * string label when strs is set (labels NULL: the index itself) */
Value *ml_argmax_label(B *b, Value *scores, const int64_t *labels, const char *const *strs, int nlabels);
/* the label of a binary decision: labels[1] (strs[1]) where win, else labels[0] */
Value *ml_pick_label(B *b, Value *win, const int64_t *labels, const char *const *strs);
/* constant helpers */
Value *ml_const_f(B *b, DType dt, int rank, const int64_t *shape, const double *v, const char *name);
Value *ml_const_i(B *b, DType dt, int rank, const int64_t *shape, const int64_t *v, const char *name);
/* class labels of a classifier: classlabels_int64s (*strs = NULL), or
 * classlabels_strings (*strs = the labels, labels[i] = i); count or -1 */
int ml_class_labels(B *b, int64_t **labels, const char *const **strs);

/* ml_forest.c: a tree ensemble's nodes, read from the node's attributes */
enum { TM_LEQ, TM_LT, TM_GTE, TM_GT, TM_EQ, TM_NEQ, TM_MEMBER, TM_LEAF };
enum { AGG_AVERAGE, AGG_SUM, AGG_MIN, AGG_MAX };
typedef struct {
  int n;              /* nodes of all trees, leaves included */
  int *feat, *tc, *fc; /* feature, true / false child (-1 at a leaf) */
  double *thr;
  uint8_t *mode, *mtt, *zm; /* TM_*, missing tracks true, |x|<=1e-35 is missing */
  int *set;           /* MEMBER: its set number */
  int nsets, *set_off, *set_len, nsetv;
  double *setv;
  int nw, *w_node, *w_tgt;
  double *w_val;
  int ntrees, *roots;
  int ntargets;
  bool trunc;         /* MEMBER compares trunc(x) (LightGBM categories) */
  /* derived */
  int *depth;         /* per tree */
  int maxdepth;
  uint8_t *cmp, *nan_true; /* normalized: 0 <, 1 <=, 2 ==, 3 member */
} Forest;

int ml_forest_legacy(B *b, Forest *f, bool cls); /* TreeEnsembleClassifier/Regressor */
int ml_forest_v5(B *b, Forest *f);               /* TreeEnsemble, ai.onnx.ml and mlgen */
/* floats of a list attribute, a tensor attribute or "<name>_as_tensor": count,
 * -1 when absent, -2 after a diagnostic */
int ml_att_floats(B *b, const char *name, const double **v);

/* ml_trees.c */
int ml_tree_classifier(B *b, Value **in, int nin, Value **out);
int ml_tree_regressor(B *b, Value **in, int nin, Value **out);
int ml_tree_ensemble(B *b, Value **in, int nin, Value **out);

#endif
