/* treemodels.c: the forest builder shared by the XGBoost and LightGBM
 * readers, and the Graph it becomes (see treemodels.h). */
#include "treemodels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "frontend.h"

/* grows the arrays of one group to hold one more element */
static int grow(Arena *a, int n, int *cap, size_t *sizes, void ***arrs, int k) {
  if (n < *cap) return 0;
  int nc = *cap ? *cap * 2 : 256;
  for (int i = 0; i < k; i++) {
    void *p = arena_alloc(a, sizes[i] * (size_t)nc);
    if (!p) return -1;
    if (n) memcpy(p, *arrs[i], sizes[i] * (size_t)n);
    *arrs[i] = p;
  }
  *cap = nc;
  return 0;
}

int tm_node(TreeModel *m, int64_t feat, int64_t mode, double split, bool mtt, bool zm) {
  size_t s[10] = {8, 8, 8, 8, 8, 8, 8, 8, 8};
  void **arr[9] = {(void **)&m->feat, (void **)&m->mode, (void **)&m->tn, (void **)&m->tl, (void **)&m->fn,
                   (void **)&m->fl, (void **)&m->mtt, (void **)&m->zm, (void **)&m->split};
  if (grow(m->a, m->n, &m->cap, s, arr, 9)) return -1;
  int i = m->n++;
  m->feat[i] = feat, m->mode[i] = mode, m->split[i] = split, m->mtt[i] = mtt, m->zm[i] = zm;
  m->tn[i] = m->fn[i] = m->tl[i] = m->fl[i] = 0;
  if (feat + 1 > m->nfeat) m->nfeat = feat + 1;
  return i;
}

int tm_leaf(TreeModel *m, int target, double w) {
  size_t s[2] = {8, 8};
  void **arr[2] = {(void **)&m->ltgt, (void **)&m->lw};
  if (grow(m->a, m->nl, &m->lcap, s, arr, 2)) return -1;
  m->ltgt[m->nl] = target;
  m->lw[m->nl] = w;
  return m->nl++;
}

int tm_tree(TreeModel *m, int root) {
  size_t s[1] = {8};
  void **arr[1] = {(void **)&m->roots};
  if (grow(m->a, m->nt, &m->tcap, s, arr, 1)) return -1;
  m->roots[m->nt++] = root;
  return 0;
}

int tm_member(TreeModel *m, double v) {
  size_t s[1] = {8};
  void **arr[1] = {(void **)&m->mem};
  if (grow(m->a, m->nm, &m->mcap, s, arr, 1)) return -1;
  m->mem[m->nm++] = v;
  return 0;
}

/* a tree that is one leaf (a stump XGBoost or LightGBM kept): a split on
 * feature 0 whose two children are leaves of the same value. Two leaves,
 * not one reached both ways: every node of a tree has one parent. */
int tm_leaf_tree(TreeModel *m, int target, double w) {
  int u = tm_node(m, 0, 0, 0, false, false), l = tm_leaf(m, target, w), r = tm_leaf(m, target, w);
  if (u < 0 || l < 0 || r < 0) return -1;
  m->tn[u] = l;
  m->fn[u] = r;
  m->tl[u] = m->fl[u] = 1;
  return tm_tree(m, u);
}

char *tm_read_file(Arena *a, const char *path, size_t *len, Diags *d) {
  const char *why;
  FILE *f = fe_fopen_regular(path, &why);
  if (!f) {
    diag_error(d, (Loc){.file = path}, "cannot open: %s", why);
    return NULL;
  }
  char *buf = NULL;
  size_t n = 0, cap = 0;
  while (1) {
    if (n + 65536 + 1 > cap) {
      cap = cap ? cap * 2 : 1 << 20;
      char *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
  }
  bool bad = ferror(f) || !buf;
  fclose(f);
  char *out = bad ? NULL : arena_alloc(a, n + 1);
  if (out) {
    memcpy(out, buf, n);
    out[n] = 0;
  } else {
    diag_error(d, (Loc){.file = path}, "cannot read the file");
  }
  free(buf);
  *len = n;
  return out;
}

static Attr *attr(Graph *g, Attr *at, int *k, const char *name, AttrType t) {
  (void)g;
  Attr *x = &at[(*k)++];
  x->name = name;
  x->type = t;
  return x;
}

static void ints(Graph *g, Attr *at, int *k, const char *name, int n, int64_t *v) {
  Attr *x = attr(g, at, k, name, AT_INTS);
  x->n = n, x->ints = v;
}

static void flts(Graph *g, Attr *at, int *k, const char *name, int n, double *v) {
  Attr *x = attr(g, at, k, name, AT_FLOATS);
  x->n = n, x->floats = v;
}

static void one(Graph *g, Attr *at, int *k, const char *name, int64_t v) {
  Attr *x = attr(g, at, k, name, AT_INT);
  x->i = v;
}

int tm_graph(TreeModel *m, const char *name, Graph **out, Diags *d) {
  Arena *a = m->a;
  Graph *g = arena_alloc(a, sizeof *g);
  GTensor *x = arena_alloc(a, sizeof *x);
  GNode *n = arena_alloc(a, sizeof *n);
  Attr *at = arena_alloc(a, sizeof(Attr) * 24);
  if (!g || !x || !n || !at) return -1;
  if (!m->nt) {
    diag_error(d, (Loc){.file = m->file}, "the model has no trees");
    return -1;
  }
  g->name = name;
  g->file = m->file;
  g->opset = 17;
  g->opset_ml = 5;
  x->name = "input";
  x->dt = DT_F32;
  x->rank = 2;
  x->dims[0] = -1;
  x->sym[0] = "N";
  x->dims[1] = m->nfeat;
  x->loc = (Loc){.file = m->file, .node = ""};
  vec_push(a, &g->inputs, x);
  int64_t *targets = arena_alloc(a, sizeof(int64_t) * (size_t)(m->nl + 1));
  if (!targets) return -1;
  int k = 0;
  ints(g, at, &k, "tree_roots", m->nt, m->roots);
  ints(g, at, &k, "nodes_featureids", m->n, m->feat);
  ints(g, at, &k, "nodes_modes", m->n, m->mode);
  flts(g, at, &k, "nodes_splits", m->n, m->split);
  ints(g, at, &k, "nodes_truenodeids", m->n, m->tn);
  ints(g, at, &k, "nodes_trueleafs", m->n, m->tl);
  ints(g, at, &k, "nodes_falsenodeids", m->n, m->fn);
  ints(g, at, &k, "nodes_falseleafs", m->n, m->fl);
  ints(g, at, &k, "nodes_missing_value_tracks_true", m->n, m->mtt);
  ints(g, at, &k, "nodes_zero_missing", m->n, m->zm);
  ints(g, at, &k, "leaf_targetids", m->nl, m->ltgt);
  flts(g, at, &k, "leaf_weights", m->nl, m->lw);
  if (m->nm) flts(g, at, &k, "membership_values", m->nm, m->mem);
  one(g, at, &k, "n_targets", m->ntargets);
  one(g, at, &k, "aggregate_function", m->agg);
  one(g, at, &k, "post_transform", m->post);
  one(g, at, &k, "classify", m->classify);
  one(g, at, &k, "squeeze", m->squeeze);
  one(g, at, &k, "member_truncate", m->trunc);
  if (m->nbase) flts(g, at, &k, "base_values", m->nbase, m->base);
  for (int i = 0; i < k; i++) at[i].loc = (Loc){.file = m->file, .node = ""};
  n->op = "TreeEnsemble";
  n->domain = "mlgen";
  n->name = "forest";
  n->opset = 1;
  n->nin = 1;
  n->in = arena_alloc(a, sizeof(char *));
  n->nout = m->classify ? 2 : 1;
  n->out = arena_alloc(a, sizeof(char *) * 2);
  if (!n->in || !n->out) return -1;
  n->in[0] = "input";
  n->out[0] = m->classify ? "label" : "predictions";
  if (m->classify) n->out[1] = "probabilities";
  n->nattr = k;
  n->attrs = at;
  n->loc = (Loc){.file = m->file, .node = "forest"};
  vec_push(a, &g->nodes, n);
  for (int i = 0; i < n->nout; i++) {
    GTensor *o = arena_alloc(a, sizeof *o);
    if (!o) return -1;
    o->name = n->out[i];
    o->rank = -1;
    o->loc = (Loc){.file = m->file, .node = ""};
    vec_push(a, &g->outputs, o);
  }
  *out = g;
  return 0;
}

static bool ends(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && !strcmp(s + n - k, suf);
}

int trees_load_any(Arena *a, const char *path, Graph **out, Diags *d) {
  if (ends(path, ".json")) return xgb_load(a, path, out, d);
  if (ends(path, ".txt")) return lgbm_load(a, path, out, d);
  return onnx_load(a, path, out, d);
}
