/* treemodels.h: native gradient-boosting model files as Graphs.
 *
 *   xgboost.c   XGBoost JSON (Booster.save_model("m.json"))
 *   lightgbm.c  LightGBM text models (Booster.save_model("m.txt"))
 *
 * Both readers produce one node: TreeEnsemble in the private domain
 * "mlgen", i.e. the ONNX-ML opset-5 TreeEnsemble attributes plus
 * base_values (margins added after the sum), nodes_zero_missing
 * (LightGBM's missing_type=Zero), member_truncate (categories compare
 * trunc(x)), classify (emit label + probabilities) and squeeze (1-D
 * output when there is one target), so ir/ml_trees.c lowers them exactly
 * like ONNX trees. The graph input is "input" [N, num_feature] f32 with N
 * dynamic; outputs follow the library's predict(): "label" and
 * "probabilities" for classifiers, "predictions" otherwise.
 */
#ifndef MLG_TREEMODELS_H
#define MLG_TREEMODELS_H

#include "../ir/ir.h"

/* One forest in opset-5 layout, filled by a reader. Node arrays are growable. */
typedef struct {
  Arena *a;
  int n, cap;                 /* internal nodes */
  int64_t *feat, *mode, *tn, *tl, *fn, *fl, *mtt, *zm;
  double *split;
  int nl, lcap;               /* leaves */
  int64_t *ltgt;
  double *lw;
  int nt, tcap;               /* trees */
  int64_t *roots;
  int nm, mcap;               /* membership values, NaN-separated */
  double *mem;
  int64_t nfeat;
  int ntargets, post, agg;    /* post: 0 none 1 softmax 2 logistic 3 softmax0 4 probit 5 exp */
  bool classify, squeeze, trunc;
  int nbase;
  double *base;               /* nbase values, the reader's arena */
  const char *file;
} TreeModel;

int tm_node(TreeModel *m, int64_t feat, int64_t mode, double split, bool mtt, bool zm); /* index or -1 */
int tm_leaf(TreeModel *m, int target, double w);                                        /* index or -1 */
int tm_tree(TreeModel *m, int root);
int tm_member(TreeModel *m, double v); /* appends one set value; NaN ends a set */
/* A tree that is one leaf (opset 5 roots are internal nodes): a split
 * whose two children are that leaf. */
int tm_leaf_tree(TreeModel *m, int target, double w);
/* The finished model as a Graph with one mlgen TreeEnsemble node. */
int tm_graph(TreeModel *m, const char *name, Graph **out, Diags *d);

int xgb_load(Arena *a, const char *path, Graph **out, Diags *d);
int lgbm_load(Arena *a, const char *path, Graph **out, Diags *d);
/* .onnx, XGBoost .json or LightGBM .txt, by extension */
int trees_load_any(Arena *a, const char *path, Graph **out, Diags *d);
/* whole file into arena memory, NUL-terminated */
char *tm_read_file(Arena *a, const char *path, size_t *len, Diags *d);

#endif
