/* xgboost.c: XGBoost JSON models (Booster.save_model("m.json"), format of
 * XGBoost 1.x-3.x) as a Graph; see treemodels.h.
 *
 * XGBoost's semantics, as the reader maps them:
 *   split      x < split_conditions[i] goes to left_children[i] (mode LT,
 *              true = left); NaN goes left iff default_left[i].
 *   leaves     left_children[i] == -1; the value is split_conditions[i].
 *   classes    tree_info[t] is the output group of tree t (multi-class
 *              boosters grow one tree per class per round).
 *   base       learner_model_param.base_score ("0.5" or "[v,...]") is in
 *              the objective's output space: the margin is logit(b) for the
 *              logistic objectives, log(b) for the exp ones, b otherwise
 *              (softmax objectives store margins).
 *   output     binary:logistic/reg:logistic: sigmoid(margin);
 *              multi:softprob/softmax: softmax over classes; count:poisson,
 *              reg:gamma, reg:tweedie, survival:*: exp(margin); else margin.
 * Categorical splits, vector leaves and the dart booster are refused, and so
 * is num_class above XGB_MAX_CLASSES.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "treemodels.h"

/* the most output groups (num_class) a model may have */
#define XGB_MAX_CLASSES 65536
#define XGB_MAX_CLASSES_STR "65536"

/* XGBoost stores f32: a double past its range becomes an infinity (a plain
 * cast would be undefined) */
static float f32(double x) { return x > FLT_MAX ? INFINITY : x < -FLT_MAX ? -INFINITY : (float)x; }

static Loc at(const char *file, const JVal *v) { return (Loc){.file = file, .line = v ? v->line : 0, .col = v ? v->col : 0, .node = ""}; }

static const JVal *arr(const char *file, const JVal *tree, const char *key, int n, Diags *d) {
  const JVal *v = json_get(tree, key);
  if (!v || v->t != J_ARR || (n >= 0 && v->n != n)) {
    diag_error(d, at(file, v ? v : tree), "XGBoost tree: '%s' must be an array of %d values", key, n);
    return NULL;
  }
  for (int i = 0; i < v->n; i++)
    if (v->items[i]->t != J_NUM && v->items[i]->t != J_BOOL) {
      diag_error(d, at(file, v->items[i]), "XGBoost tree: '%s' must hold numbers", key);
      return NULL;
    }
  return v;
}

/* v is an integer in [lo, hi] (a number, never cast before this check:
 * 2^32 or 1e30 would truncate to a valid index) */
static bool int_in(const JVal *v, double lo, double hi, int64_t *out) {
  if (!v || v->t != J_NUM || !(v->num >= lo && v->num <= hi) || v->num != floor(v->num)) return false;
  *out = (int64_t)v->num;
  return true;
}

/* "5E-1", "[5E-1,2E-1]" or a number */
static int base_scores(const char *file, const JVal *v, double *out, int max, Diags *d) {
  if (!v) return 0;
  if (v->t == J_NUM) return out[0] = v->num, 1;
  if (v->t != J_STR) goto bad;
  const char *s = v->str;
  int n = 0;
  while (*s == ' ' || *s == '[') s++;
  while (*s && *s != ']') {
    char *e;
    double x = strtod(s, &e);
    if (e == s || n == max) goto bad;
    out[n++] = x;
    s = e;
    while (*s == ',' || *s == ' ') s++;
  }
  return n;
bad:
  diag_error(d, at(file, v), "XGBoost: cannot read base_score");
  return -1;
}

static int read_tree(TreeModel *m, const char *file, const JVal *t, int group, Diags *d) {
  const JVal *tp = json_get(t, "tree_param");
  const JVal *nn = json_get(tp, "num_nodes"), *lv = json_get(tp, "size_leaf_vector");
  int64_t n = -1;
  if (nn && nn->t == J_STR) {
    char *e;
    long long v = strtoll(nn->str, &e, 10);
    n = *nn->str && !*e && v > 0 && v < INT32_MAX ? v : -1;
  } else if (!int_in(nn, 1, INT32_MAX - 1, &n)) {
    n = -1;
  }
  if (n <= 0) {
    diag_error(d, at(file, nn ? nn : t), "XGBoost tree: no tree_param.num_nodes (a count in [1, 2^31))");
    return -1;
  }
  if (n > mlg_limits.tree_nodes - (m->n + m->nl)) {
    diag_limit(d, at(file, nn), "tree_nodes", "XGBoost tree: %lld more nodes make more than %lld in the model",
               (long long)n, (long long)mlg_limits.tree_nodes);
    return -1;
  }
  if (lv && ((lv->t == J_STR && atoi(lv->str) > 1) || (lv->t == J_NUM && lv->num > 1))) {
    diag_error(d, at(file, lv), "unsupported: XGBoost vector leaves (multi_strategy=multi_output_tree)");
    return -1;
  }
  const JVal *L = arr(file, t, "left_children", (int)n, d), *R = arr(file, t, "right_children", (int)n, d),
             *S = arr(file, t, "split_conditions", (int)n, d), *F = arr(file, t, "split_indices", (int)n, d),
             *D = arr(file, t, "default_left", (int)n, d);
  if (!L || !R || !S || !F || !D) return -1;
  /* children: -1 (a leaf) or a node; features: below num_feature (2^31 without it) */
  double nf = m->nfeat > 0 ? (double)m->nfeat - 1 : INT32_MAX - 1;
  for (int i = 0; i < n; i++) {
    int64_t v;
    const JVal *bad = !int_in(L->items[i], -1, (double)n - 1, &v) ? L->items[i]
                      : v >= 0 && !int_in(R->items[i], 0, (double)n - 1, &v) ? R->items[i]
                      : L->items[i]->num >= 0 && !int_in(F->items[i], 0, nf, &v) ? F->items[i] : NULL;
    if (bad == F->items[i]) {
      diag_error(d, at(file, bad), "XGBoost tree: node %d tests feature %.17g, not an integer in [0, %.0f]", i,
                 bad->num, nf);
      return -1;
    }
    if (bad) {
      diag_error(d, at(file, bad), "XGBoost tree: node %d has a child out of range (%.17g)", i, bad->num);
      return -1;
    }
  }
  const JVal *ty = json_get(t, "split_type");
  for (int i = 0; ty && ty->t == J_ARR && i < ty->n; i++)
    if (ty->items[i]->num != 0) {
      diag_error(d, at(file, ty->items[i]), "unsupported: XGBoost categorical splits (enable_categorical)");
      return -1;
    }
  if (L->items[0]->num < 0) return tm_leaf_tree(m, group, f32(S->items[0]->num));
  /* XGBoost numbers nodes in the tree; ours are per kind: map node ->
   * internal-node or leaf index */
  int *id = malloc(sizeof(int) * (size_t)n);
  if (!id) return -1;
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    int l = (int)L->items[i]->num, r = (int)R->items[i]->num;
    if (l < 0) {
      id[i] = tm_leaf(m, group, f32(S->items[i]->num)); /* XGBoost stores f32 */
    } else if (l >= n || r < 0 || r >= n) {
      diag_error(d, at(file, L->items[i]), "XGBoost tree: node %d has a child out of range", i);
      rc = -1;
    } else {
      id[i] = tm_node(m, (int64_t)F->items[i]->num, 1 /* LT */, f32(S->items[i]->num), D->items[i]->num != 0, false);
    }
    if (!rc && id[i] < 0) rc = -1;
  }
  for (int i = 0; i < n && !rc; i++) {
    int l = (int)L->items[i]->num, r = (int)R->items[i]->num;
    if (l < 0) continue;
    bool ll = L->items[l]->num < 0, rl = L->items[r]->num < 0;
    m->tn[id[i]] = id[l], m->tl[id[i]] = ll;
    m->fn[id[i]] = id[r], m->fl[id[i]] = rl;
  }
  if (!rc) rc = tm_tree(m, id[0]);
  free(id);
  return rc;
}

int xgb_load(Arena *a, const char *path, Graph **out, Diags *d) {
  size_t len;
  char *text = tm_read_file(a, path, &len, d);
  JVal *root;
  if (!text || json_parse(a, text, len, path, &root, d)) return -1;
  const JVal *lr = json_get(root, "learner");
  const JVal *gb = json_get(lr, "gradient_booster"), *obj = json_path(lr, "objective", "name", NULL);
  const JVal *mp = json_get(lr, "learner_model_param");
  if (!lr || !gb || !obj || obj->t != J_STR || !mp) {
    diag_error(d, (Loc){.file = path}, "not an XGBoost JSON model (no learner / gradient_booster / objective)");
    return -1;
  }
  const JVal *gname = json_get(gb, "name");
  if (!gname || gname->t != J_STR || strcmp(gname->str, "gbtree")) {
    diag_error(d, at(path, gname ? gname : gb), "unsupported: XGBoost booster '%s' (gbtree only)",
               gname && gname->t == J_STR ? gname->str : "?");
    return -1;
  }
  const JVal *trees = json_path(gb, "model", "trees", NULL), *info = json_path(gb, "model", "tree_info", NULL);
  if (!trees || trees->t != J_ARR || !info || info->t != J_ARR || info->n != trees->n) {
    diag_error(d, at(path, gb), "XGBoost: model.trees and model.tree_info missing or of different lengths");
    return -1;
  }
  TreeModel m = {.a = a, .file = path, .agg = 1};
  const JVal *nc = json_get(mp, "num_class"), *nf = json_get(mp, "num_feature");
  long K = nc && nc->t == J_STR ? strtol(nc->str, NULL, 10) : nc && nc->t == J_NUM ? (long)fmax(fmin(nc->num, 1e9), -1) : 0;
  if (K < 0 || K > XGB_MAX_CLASSES) {
    diag_error(d, at(path, nc), "XGBoost: num_class %ld is %s", K,
               K < 0 ? "negative" : "above the limit of " XGB_MAX_CLASSES_STR);
    return -1;
  }
  m.nfeat = 0;
  if (nf && nf->t == J_STR) {
    char *e;
    long long v = strtoll(nf->str, &e, 10);
    if (!*nf->str || *e || v < 0 || v >= INT32_MAX) {
      diag_error(d, at(path, nf), "XGBoost: num_feature '%s' is not a count below 2^31", nf->str);
      return -1;
    }
    m.nfeat = v;
  }
  m.ntargets = K > 1 ? (int)K : 1;
  const char *o = obj->str;
  bool logistic = !strcmp(o, "binary:logistic") || !strcmp(o, "reg:logistic") || !strcmp(o, "binary:logitraw");
  bool expo = !strncmp(o, "count:poisson", 13) || !strcmp(o, "reg:gamma") || !strcmp(o, "reg:tweedie") ||
              !strncmp(o, "survival:", 9);
  bool softmax = !strncmp(o, "multi:", 6);
  if (!strcmp(o, "binary:hinge")) {
    diag_error(d, at(path, obj), "unsupported: XGBoost objective binary:hinge");
    return -1;
  }
  m.post = softmax ? 1 : logistic && strcmp(o, "binary:logitraw") ? 2 : expo ? 5 : 0;
  m.classify = softmax || !strcmp(o, "binary:logistic");
  m.squeeze = m.ntargets == 1;
  m.base = arena_alloc(a, sizeof(double) * (size_t)m.ntargets);
  if (!m.base) return -1;
  const JVal *bs = json_get(mp, "base_score");
  int nb = base_scores(path, bs, m.base, m.ntargets, d);
  if (nb < 0) return -1;
  if (nb > 1 && nb != m.ntargets) {
    diag_error(d, at(path, bs), "XGBoost: base_score has %d values for %d output groups", nb, m.ntargets);
    return -1;
  }
  if (nb == 1 && m.ntargets > 1)
    for (int k = 1; k < m.ntargets; k++) m.base[k] = m.base[0];
  m.nbase = nb ? m.ntargets : 0;
  for (int k = 0; k < m.nbase; k++) {
    double b = m.base[k];
    if (logistic) m.base[k] = -log(1.0 / b - 1.0);
    else if (expo) m.base[k] = log(b);
  }
  for (int t = 0; t < trees->n; t++) {
    int64_t g;
    if (!int_in(info->items[t], 0, m.ntargets - 1, &g)) {
      diag_error(d, at(path, info->items[t]), "XGBoost: tree %d belongs to output group %.17g of %d", t,
                 info->items[t]->t == J_NUM ? info->items[t]->num : -1.0, m.ntargets);
      return -1;
    }
    if (read_tree(&m, path, trees->items[t], (int)g, d)) return -1;
  }
  return tm_graph(&m, "xgboost", out, d);
}
