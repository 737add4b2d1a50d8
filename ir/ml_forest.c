/* ml_forest.c: reading tree-ensemble attributes into a Forest (ml.h):
 * TreeEnsembleClassifier / TreeEnsembleRegressor (ml opset 1-3: nodes named
 * by (tree id, node id), mode strings, weights on leaves) and TreeEnsemble
 * (ml opset 5, and mlgen's own extension of it: internal nodes and leaves
 * in separate arrays, NaN-separated membership sets). ir/ml_trees.c lowers
 * the Forest. */
#include "ml.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* an int64 attribute value as an int index, -1 when it does not fit (a plain
 * cast would turn 2^32 into 0, a valid index) */
static int narrow(int64_t v) { return v >= 0 && v <= INT_MAX ? (int)v : -1; }

/* a split's feature id: in [0, 2^31), else an error at nodes_featureids */
static int feature_id(B *b, int node, int64_t v, int *out) {
  *out = narrow(v);
  if (*out >= 0) return 0;
  diag_error(b->d, d_attr_loc(b, "nodes_featureids"), "%s: node %d tests feature %lld", b->n->op, node, (long long)v);
  return -1;
}

static void *al(B *b, size_t n) { return arena_alloc(b->p->a, n ? n : 1); }

/* ------------------------------------------------------------ attributes */
static const Attr *att(B *b, const char *name) { return attr_find(b->n, name); }

static int att_ints(B *b, const char *name, const int64_t **v) {
  const Attr *a = att(b, name);
  if (!a) return -1;
  if (a->type == AT_INTS) {
    *v = a->ints;
    return a->n;
  }
  if (a->type == AT_TENSOR && a->t && a->t->dt != DT_STRING && !dtype_info[a->t->dt].is_float) {
    int64_t n = shape_numel(a->t->rank, a->t->dims);
    int64_t *o = al(b, sizeof *o * (size_t)n);
    for (int64_t i = 0; o && i < n; i++) o[i] = raw_get_i(a->t->dt, a->t->data, i);
    *v = o;
    return o ? (int)n : -1;
  }
  diag_error(b->d, d_attr_loc(b, name), "%s: attribute '%s' must be a list of ints", b->n->op, name);
  return -2;
}

/* floats from a float list, a tensor attribute, or "<name>_as_tensor" */
int ml_att_floats(B *b, const char *name, const double **v) {
  const Attr *a = att(b, name);
  if (!a) a = att(b, arena_printf(b->p->a, "%s_as_tensor", name));
  if (!a) return -1;
  if (a->type == AT_FLOATS) {
    *v = a->floats;
    return a->n;
  }
  if (a->type == AT_TENSOR && a->t && a->t->dt != DT_STRING && a->t->dt != DT_UNDEF) {
    int64_t n = shape_numel(a->t->rank, a->t->dims);
    double *o = al(b, sizeof *o * (size_t)n);
    for (int64_t i = 0; o && i < n; i++) o[i] = raw_get_f(a->t->dt, a->t->data, i);
    *v = o;
    return o ? (int)n : -1;
  }
  diag_error(b->d, d_attr_loc(b, name), "%s: attribute '%s' must be a list of floats", b->n->op, name);
  return -2;
}

static int need(B *b, int n, const char *name, int want) {
  if (n == -2) return -1;
  if (n < 0) {
    diag_error(b->d, b->loc, "%s: missing attribute '%s'", b->n->op, name);
    return -1;
  }
  if (want >= 0 && n != want) {
    diag_error(b->d, d_attr_loc(b, name), "%s: attribute '%s' has %d values, expected %d", b->n->op, name, n, want);
    return -1;
  }
  return 0;
}

static int alloc_nodes(B *b, Forest *f, int64_t n) {
  if (n > mlg_limits.tree_nodes) {
    diag_limit(b->d, b->loc, "tree_nodes", "%s: %lld tree nodes", b->n->op, (long long)n);
    return -1;
  }
  f->n = (int)n;
  f->feat = al(b, sizeof(int) * (size_t)n);
  f->tc = al(b, sizeof(int) * (size_t)n);
  f->fc = al(b, sizeof(int) * (size_t)n);
  f->set = al(b, sizeof(int) * (size_t)n);
  f->thr = al(b, sizeof(double) * (size_t)n);
  f->mode = al(b, (size_t)n);
  f->mtt = al(b, (size_t)n);
  f->zm = al(b, (size_t)n);
  f->cmp = al(b, (size_t)n);
  f->nan_true = al(b, (size_t)n);
  return f->feat && f->tc && f->fc && f->set && f->thr && f->mode && f->mtt && f->zm && f->cmp && f->nan_true ? 0 : -1;
}

/* --------------------------------------------- ml opset 1-3 (legacy) */
typedef struct {
  int64_t tree, node;
  int i;
} Key;
static int key_cmp(const void *x, const void *y) {
  const Key *a = x, *c = y;
  if (a->tree != c->tree) return a->tree < c->tree ? -1 : 1;
  if (a->node != c->node) return a->node < c->node ? -1 : 1;
  return a->i - c->i;
}
static int key_find(const Key *k, int n, int64_t tree, int64_t node) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int m = (lo + hi) / 2;
    if (k[m].tree == tree && k[m].node == node) return k[m].i;
    if (k[m].tree < tree || (k[m].tree == tree && k[m].node < node)) lo = m + 1;
    else hi = m - 1;
  }
  return -1;
}

int ml_forest_legacy(B *b, Forest *f, bool cls) {
  const int64_t *tid, *nid, *fid, *tn, *fn, *mt = NULL, *wt, *wn, *wi;
  const double *val, *ww;
  int n = att_ints(b, "nodes_treeids", &tid);
  if (need(b, n, "nodes_treeids", -1)) return -1;
  if (need(b, att_ints(b, "nodes_nodeids", &nid), "nodes_nodeids", n) ||
      need(b, att_ints(b, "nodes_featureids", &fid), "nodes_featureids", n) ||
      need(b, att_ints(b, "nodes_truenodeids", &tn), "nodes_truenodeids", n) ||
      need(b, att_ints(b, "nodes_falsenodeids", &fn), "nodes_falsenodeids", n) ||
      need(b, ml_att_floats(b, "nodes_values", &val), "nodes_values", n))
    return -1;
  int nm = att_ints(b, "nodes_missing_value_tracks_true", &mt);
  if (nm == -2 || (nm >= 0 && need(b, nm, "nodes_missing_value_tracks_true", n))) return -1;
  const Attr *modes = att(b, "nodes_modes");
  if (!modes || modes->type != AT_STRINGS || modes->n != n) {
    diag_error(b->d, d_attr_loc(b, "nodes_modes"), "%s: 'nodes_modes' must list %d mode strings", b->n->op, n);
    return -1;
  }
  const char *p = cls ? "class" : "target";
  const char *a_t = arena_printf(b->p->a, "%s_treeids", p), *a_n = arena_printf(b->p->a, "%s_nodeids", p),
             *a_i = arena_printf(b->p->a, "%s_ids", p), *a_w = arena_printf(b->p->a, "%s_weights", p);
  int nw = att_ints(b, a_t, &wt);
  if (need(b, nw, a_t, -1) || need(b, att_ints(b, a_n, &wn), a_n, nw) || need(b, att_ints(b, a_i, &wi), a_i, nw) ||
      need(b, ml_att_floats(b, a_w, &ww), a_w, nw))
    return -1;
  if (alloc_nodes(b, f, n)) return -1;
  Key *k = malloc(sizeof(Key) * (size_t)(n ? n : 1));
  if (!k) return -1;
  for (int i = 0; i < n; i++) k[i] = (Key){tid[i], nid[i], i};
  qsort(k, (size_t)n, sizeof *k, key_cmp);
  int rc = 0;
  for (int i = 1; i < n && !rc; i++)
    if (k[i].tree == k[i - 1].tree && k[i].node == k[i - 1].node) {
      diag_error(b->d, b->loc, "%s: node (tree %lld, id %lld) is listed twice", b->n->op, (long long)k[i].tree,
                 (long long)k[i].node);
      rc = -1;
    }
  static const char *const mname[] = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ",
                                      "BRANCH_MEMBER", "LEAF"};
  f->roots = al(b, sizeof(int) * (size_t)(n + 1));
  for (int i = 0; i < n && !rc; i++) {
    int m;
    for (m = 0; m < 8; m++)
      if (!strcmp(modes->strs[i], mname[m])) break;
    if (m == 8 || m == TM_MEMBER) {
      diag_error(b->d, d_attr_loc(b, "nodes_modes"), "%s: unsupported node mode '%s'", b->n->op, modes->strs[i]);
      rc = -1;
      break;
    }
    f->mode[i] = (uint8_t)m;
    if (m != TM_LEAF && feature_id(b, i, fid[i], &f->feat[i])) {
      rc = -1;
      break;
    }
    f->thr[i] = val[i];
    f->mtt[i] = mt && mt[i];
    f->tc[i] = f->fc[i] = -1;
    if (m != TM_LEAF) {
      f->tc[i] = key_find(k, n, tid[i], tn[i]);
      f->fc[i] = key_find(k, n, tid[i], fn[i]);
      if (f->tc[i] < 0 || f->fc[i] < 0) {
        diag_error(b->d, b->loc, "%s: node (tree %lld, id %lld) points to a node id that does not exist", b->n->op,
                   (long long)tid[i], (long long)nid[i]);
        rc = -1;
      }
    }
    if (i == 0 || tid[i] != tid[i - 1]) { /* ORT: the first node listed of each tree is its root */
      for (int t = 0; t < f->ntrees; t++)
        if (tid[f->roots[t]] == tid[i]) {
          diag_error(b->d, b->loc, "%s: the nodes of tree %lld are not listed together", b->n->op, (long long)tid[i]);
          rc = -1;
        }
      f->roots[f->ntrees++] = i;
    }
  }
  f->nw = nw;
  f->w_node = al(b, sizeof(int) * (size_t)nw);
  f->w_tgt = al(b, sizeof(int) * (size_t)nw);
  f->w_val = al(b, sizeof(double) * (size_t)nw);
  for (int i = 0; i < nw && !rc; i++) {
    f->w_node[i] = key_find(k, n, wt[i], wn[i]);
    f->w_tgt[i] = narrow(wi[i]);
    f->w_val[i] = ww[i];
    if (f->w_node[i] < 0 || f->mode[f->w_node[i]] != TM_LEAF) {
      diag_error(b->d, b->loc, "%s: weight %d names (tree %lld, id %lld), which is not a leaf", b->n->op, i,
                 (long long)wt[i], (long long)wn[i]);
      rc = -1;
    }
  }
  free(k);
  return rc;
}

/* ------------------------------------------- TreeEnsemble (ml opset 5) */
int ml_forest_v5(B *b, Forest *f) {
  const int64_t *roots, *fid, *tn, *tl, *fn, *fl, *mt = NULL, *lt, *modes_i = NULL;
  const double *spl, *lw, *mv = NULL;
  int n = att_ints(b, "nodes_featureids", &fid);
  if (need(b, n, "nodes_featureids", -1)) return -1;
  int nr = att_ints(b, "tree_roots", &roots);
  if (need(b, nr, "tree_roots", -1) || need(b, ml_att_floats(b, "nodes_splits", &spl), "nodes_splits", n) ||
      need(b, att_ints(b, "nodes_truenodeids", &tn), "nodes_truenodeids", n) ||
      need(b, att_ints(b, "nodes_trueleafs", &tl), "nodes_trueleafs", n) ||
      need(b, att_ints(b, "nodes_falsenodeids", &fn), "nodes_falsenodeids", n) ||
      need(b, att_ints(b, "nodes_falseleafs", &fl), "nodes_falseleafs", n))
    return -1;
  int nm = att_ints(b, "nodes_modes", &modes_i);
  if (nm >= 0 && need(b, nm, "nodes_modes", n)) return -1;
  if (nm == -2) return -1;
  int nt = att_ints(b, "nodes_missing_value_tracks_true", &mt);
  if (nt == -2 || (nt >= 0 && need(b, nt, "nodes_missing_value_tracks_true", n))) return -1;
  int nl = att_ints(b, "leaf_targetids", &lt);
  if (need(b, nl, "leaf_targetids", -1) || need(b, ml_att_floats(b, "leaf_weights", &lw), "leaf_weights", nl)) return -1;
  int nmv = ml_att_floats(b, "membership_values", &mv);
  if (nmv == -2) return -1;
  const int64_t *zm = NULL;
  int nz = strcmp(b->n->domain, "mlgen") ? -1 : att_ints(b, "nodes_zero_missing", &zm);
  if (nz == -2 || (nz >= 0 && need(b, nz, "nodes_zero_missing", n))) return -1;
  if (alloc_nodes(b, f, (int64_t)n + nl)) return -1;
  f->roots = al(b, sizeof(int) * (size_t)(nr + 1));
  f->set_off = al(b, sizeof(int) * (size_t)(n + 1));
  f->set_len = al(b, sizeof(int) * (size_t)(n + 1));
  f->setv = al(b, sizeof(double) * (size_t)(nmv > 0 ? nmv : 1));
  if (!f->roots || !f->set_off || !f->set_len || !f->setv) return -1;
  int pos = 0;
  for (int i = 0; i < n; i++) {
    int64_t m = modes_i ? modes_i[i] : TM_LEQ;
    if (m < 0 || m > TM_MEMBER) {
      diag_error(b->d, d_attr_loc(b, "nodes_modes"), "%s: node %d has mode %lld (0..6 allowed)", b->n->op, i,
                 (long long)m);
      return -1;
    }
    f->mode[i] = (uint8_t)m;
    if (feature_id(b, i, fid[i], &f->feat[i])) return -1;
    f->thr[i] = spl[i];
    f->mtt[i] = mt && mt[i];
    f->zm[i] = zm && zm[i];
    int64_t t = tn[i], e = fn[i], tmax = tl[i] ? nl : n, emax = fl[i] ? nl : n;
    if (t < 0 || t >= tmax || e < 0 || e >= emax) {
      diag_error(b->d, b->loc, "%s: node %d has a child out of range", b->n->op, i);
      return -1;
    }
    f->tc[i] = (int)(tl[i] ? n + t : t);
    f->fc[i] = (int)(fl[i] ? n + e : e);
    if (m == TM_MEMBER) { /* the sets follow the MEMBER nodes in order, NaN-separated */
      f->set[i] = f->nsets;
      f->set_off[f->nsets] = f->nsetv;
      int c = 0;
      while (mv && pos < nmv && !isnan(mv[pos])) f->setv[f->nsetv + c++] = mv[pos++];
      if (!mv || pos >= nmv) {
        diag_error(b->d, d_attr_loc(b, "membership_values"),
                   "%s: membership_values has no NaN-terminated set for member node %d", b->n->op, i);
        return -1;
      }
      pos++;
      f->set_len[f->nsets++] = c;
      f->nsetv += c;
    }
  }
  for (int j = 0; j < nl; j++) {
    f->mode[n + j] = TM_LEAF;
    f->tc[n + j] = f->fc[n + j] = -1;
  }
  f->nw = nl;
  f->w_node = al(b, sizeof(int) * (size_t)nl);
  f->w_tgt = al(b, sizeof(int) * (size_t)nl);
  f->w_val = al(b, sizeof(double) * (size_t)nl);
  if (!f->w_node || !f->w_tgt || !f->w_val) return -1;
  for (int j = 0; j < nl; j++) {
    f->w_node[j] = n + j;
    f->w_tgt[j] = narrow(lt[j]);
    f->w_val[j] = lw[j];
  }
  for (int t = 0; t < nr; t++) {
    if (roots[t] < 0 || roots[t] >= n) {
      diag_error(b->d, d_attr_loc(b, "tree_roots"), "%s: tree root %lld out of range", b->n->op, (long long)roots[t]);
      return -1;
    }
    f->roots[t] = (int)roots[t];
  }
  f->ntrees = nr;
  f->trunc = !strcmp(b->n->domain, "mlgen") && d_int(b, "member_truncate", 0);
  return 0;
}
