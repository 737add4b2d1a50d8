/* ml_trees.c: tree ensembles as tensor programs (the Hummingbird idea,
 * compiled ahead of time).
 *
 * Requires: the node of a TreeEnsembleClassifier / TreeEnsembleRegressor
 * (ml opset 1-3), a TreeEnsemble (ml opset 5), or mlgen's own TreeEnsemble
 * (domain "mlgen": what the XGBoost and LightGBM readers emit). Provides:
 * the same outputs built from GATHER, GATHERELEM, compares, WHERE, MATMUL and
 * reductions, so every backend runs trees with no tree code of its own.
 *
 * Every flavour is first read into one Forest (nodes of all trees in one
 * array, leaves are nodes with weights). Each split is then normalized to
 * "go to the true child when x CMP t" with CMP one of <, <=, ==, member:
 * GT/GTE/NEQ swap their children and become LEQ/LT/EQ; a NaN input takes
 * the true child iff nan_true (missing_value_tracks_true, or the
 * library's default direction), since every normalized compare is false
 * on NaN. Thresholds are rounded to the compute dtype so that the compare
 * in f32 decides exactly as the compare against the double threshold would.
 *
 * Three lowerings of the traversal (pick with --tree-strategy or the YAML
 * build: {tree_strategy}; by default Hummingbird's heuristic on the
 * deepest tree: GEMM for depth <= 3, perfect for <= 10, else tree; the walk
 * also for NaN-routing forests over 8+ rows):
 *   gemm     per tree, every internal node's compare at once ([N,T,I]),
 *            times the path matrix [T,I,L] (+1 true subtree, -1 false
 *            subtree) equals the leaf's count of true edges on exactly the
 *            reached leaf; that one-hot times the leaf values. The feature
 *            selection is a GATHER rather than X times a one-hot matrix:
 *            a NaN or inf anywhere in the row would poison every column.
 *   tree     node index [N,T], `depth` times: node = where(x[feat[node]]
 *            CMP thr[node], true[node], false[node]); leaves loop to
 *            themselves.
 *   perfect  trees padded to complete binary trees of the max depth, one
 *            table per level, position = 2*position + !cond.
 * The per-tree leaf values are summed (or averaged, min, max) over trees,
 * in double for f32 models; then base values, the post transform and the
 * class label follow the ONNX-ML rules (ORT's behaviour where ONNX is
 * silent, see docs/trees.md).
 */
#include "ml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ST_GEMM, ST_TREE, ST_PERFECT };
static const char *const st_name[] = {"GEMM", "TreeTraversal", "PerfectTreeTraversal"};

typedef struct {
  B *b;
  Forest *f;
  DType dt;
  Value *X;           /* [N, F] in dt */
  Value *XT;          /* [F, N] (an index map, no copy) */
  int64_t N, F;
  bool any_eq, any_mem, any_nan, any_zm, mixed; /* mixed < and <=: all become < */
  bool all_le;
} Ctx;

static void *al(B *b, size_t n) { return arena_alloc(b->p->a, n ? n : 1); }

/* --------------------------------------------------- checks and normal form */
/* Each tree must be a tree: every node reached once, depth measured. */
static int check_forest(B *b, Forest *f, int64_t F) {
  uint8_t *seen = calloc((size_t)f->n + 1, 1);
  int *stack = malloc(sizeof(int) * 2 * ((size_t)f->n + 1));
  f->depth = al(b, sizeof(int) * (size_t)(f->ntrees + 1));
  if (!seen || !stack || !f->depth) {
    free(seen);
    free(stack);
    return -1;
  }
  int rc = 0;
  f->maxdepth = 0;
  for (int t = 0; t < f->ntrees && !rc; t++) {
    int sp = 0;
    stack[sp++] = f->roots[t];
    stack[sp++] = 0;
    while (sp && !rc) {
      int d = stack[--sp], u = stack[--sp];
      if (seen[u]) {
        diag_error(b->d, b->loc, "%s: node %d is reached twice (tree %d is not a tree)", b->n->op, u, t);
        rc = -1;
        break;
      }
      seen[u] = 1;
      if (d > f->depth[t]) f->depth[t] = d;
      if (f->mode[u] == TM_LEAF) continue;
      if (f->feat[u] < 0 || f->feat[u] >= F) {
        diag_error(b->d, b->loc, "%s: node %d tests feature %d; the input has %lld", b->n->op, u, f->feat[u],
                   (long long)F);
        rc = -1;
        break;
      }
      stack[sp++] = f->tc[u];
      stack[sp++] = d + 1;
      stack[sp++] = f->fc[u];
      stack[sp++] = d + 1;
    }
    if (f->depth[t] > f->maxdepth) f->maxdepth = f->depth[t];
    if (!rc && f->depth[t] > mlg_limits.tree_depth) {
      diag_limit(b->d, b->loc, "tree_depth", "%s: tree %d is %d levels deep", b->n->op, t, f->depth[t]);
      rc = -1;
    }
  }
  for (int i = 0; i < f->nw && !rc; i++)
    if (f->w_tgt[i] < 0 || f->w_tgt[i] >= f->ntargets) {
      diag_error(b->d, b->loc, "%s: a leaf weight targets %d; there are %d targets/classes", b->n->op, f->w_tgt[i],
                 f->ntargets);
      rc = -1;
    }
  free(seen);
  free(stack);
  return rc;
}

/* rounds threshold t to the compute dtype so that "x CMP t" keeps its result */
static double round_thr(DType dt, double t, int cmp) {
  if (dt == DT_F64 || isnan(t)) return t;
  float r = (float)t;
  if (isinf(t)) return t;
  if (cmp == 1 && (double)r > t) r = nextafterf(r, -INFINITY); /* x <= t */
  if (cmp == 0 && (double)r < t) r = nextafterf(r, INFINITY);  /* x < t */
  if (cmp >= 2 && (double)r != t) return NAN;                  /* x == t never holds */
  return r;
}

static void normalize(Ctx *c) {
  Forest *f = c->f;
  bool any_lt = false, any_le = false;
  for (int i = 0; i < f->n; i++) {
    int m = f->mode[i];
    if (m == TM_LEAF) continue;
    bool swap = m == TM_GTE || m == TM_GT || m == TM_NEQ;
    /* every ONNX compare is false on NaN except NEQ (true) */
    bool nt = f->mtt[i] || m == TM_NEQ;
    f->cmp[i] = m == TM_LT || m == TM_GTE ? 0 : m == TM_LEQ || m == TM_GT ? 1 : m == TM_MEMBER ? 3 : 2;
    if (swap) {
      int t = f->tc[i];
      f->tc[i] = f->fc[i];
      f->fc[i] = t;
      nt = !nt;
    }
    f->nan_true[i] = nt;
    any_lt |= f->cmp[i] == 0;
    any_le |= f->cmp[i] == 1;
    c->any_eq |= f->cmp[i] == 2;
    c->any_mem |= f->cmp[i] == 3;
    c->any_nan |= nt;
    c->any_zm |= f->zm[i];
  }
  c->mixed = any_lt && any_le;
  c->all_le = any_le && !any_lt;
  for (int i = 0; i < f->n; i++) {
    if (f->mode[i] == TM_LEAF) continue;
    double t = round_thr(c->dt, f->thr[i], f->cmp[i]);
    if (c->mixed && f->cmp[i] == 1) { /* x <= t  <=>  x < next(t) */
      t = c->dt == DT_F64 ? nextafter(t, INFINITY) : (double)nextafterf((float)t, INFINITY);
      f->cmp[i] = 0;
    }
    f->thr[i] = t;
  }
  for (int i = 0; i < f->nsetv; i++) f->setv[i] = round_thr(c->dt, f->setv[i], 3);
}

/* -------------------------------------------------------- the split test */
/* Per-node tables gathered for the nodes being tested: each a Value with
 * the shape of x, or NULL when the forest does not need it. */
typedef struct {
  Value *x, *thr, *is_eq, *is_mem, *mem_row, *nan_true, *zm;
  Value *sets; /* [nsets+1, S] table, row 0 never matches */
} Test;

static Value *test(Ctx *c, Test *t) {
  B *b = c->b;
  Value *r = b_binary(b, c->all_le ? OP_CMPLE : OP_CMPLT, t->x, t->thr);
  if (c->any_eq) r = b_where(b, t->is_eq, b_binary(b, OP_CMPEQ, t->x, t->thr), r);
  if (c->any_mem) {
    Value *xv = t->x;
    if (c->f->trunc) { /* C's (int) cast: toward zero */
      Value *z = b_scalar(b, c->dt, 0);
      xv = b_where(b, b_binary(b, OP_CMPLT, xv, z), b_unary(b, OP_CEIL, xv), b_unary(b, OP_FLOOR, xv));
    }
    Value *vals = b_gather(b, t->sets, t->mem_row, 0); /* [..., S] */
    if (!vals || !xv) return NULL;
    int64_t s[MAX_RANK];
    memcpy(s, xv->shape, sizeof s);
    s[xv->rank] = 1;
    Value *hit = b_binary(b, OP_CMPEQ, vals, b_reshape(b, xv, xv->rank + 1, s));
    hit = b_reduce(b, OP_RMAX, b_cast(b, hit, DT_I32), 1u << xv->rank, false);
    r = b_where(b, t->is_mem, b_cast(b, hit, DT_BOOL), r);
  }
  if (c->any_nan || c->any_zm) {
    Value *miss = b_unary(b, OP_ISNAN, t->x);
    if (c->any_zm) {
      Value *ax = b_unary(b, OP_ABS, t->x);
      Value *z = b_binary(b, OP_CMPLE, ax, b_scalar(b, c->dt, 1e-35));
      miss = b_binary(b, OP_OR, miss, b_binary(b, OP_AND, z, t->zm));
    }
    r = b_where(b, miss, t->nan_true, r);
  }
  return r;
}

/* Constant per-node tables indexed by `idx` (node numbers), shape [n]. */
typedef struct {
  Value *feat, *thr, *is_eq, *is_mem, *mem_row, *nan_true, *zm, *sets;
} Tables;

static Value *cf(Ctx *c, int n, const double *v, DType dt, const char *name) {
  return ml_const_f(c->b, dt, 1, (int64_t[]){n}, v, name);
}

/* Builds the tables for a list of n node numbers (-1: padding). */
static int tables(Ctx *c, const int *nodes, int n, Tables *tb) {
  B *b = c->b;
  Forest *f = c->f;
  double *thr = malloc(sizeof(double) * (size_t)(n + 1)), *fl = malloc(sizeof(double) * 5 * (size_t)(n + 1));
  int64_t *feat = malloc(sizeof(int64_t) * 2 * (size_t)(n + 1));
  int rc = -1;
  if (!thr || !fl || !feat) goto done;
  double *eq = fl, *mem = fl + n + 1, *nt = fl + 2 * (n + 1), *zm = fl + 3 * (n + 1);
  int64_t *row = feat + n + 1;
  for (int i = 0; i < n; i++) {
    int u = nodes[i];
    bool in = u >= 0 && f->mode[u] != TM_LEAF;
    feat[i] = in ? f->feat[u] : 0;
    thr[i] = in ? f->thr[u] : 0;
    eq[i] = in && f->cmp[u] == 2;
    mem[i] = in && f->cmp[u] == 3;
    row[i] = in && f->cmp[u] == 3 ? f->set[u] + 1 : 0;
    nt[i] = in && f->nan_true[u];
    zm[i] = in && f->zm[u];
  }
  memset(tb, 0, sizeof *tb);
  tb->feat = ml_const_i(b, DT_I32, 1, (int64_t[]){n}, feat, "tree_feature");
  tb->thr = cf(c, n, thr, c->dt, "tree_threshold");
  if (c->any_eq) tb->is_eq = b_cast(b, cf(c, n, eq, DT_U8, "tree_is_eq"), DT_BOOL);
  if (c->any_mem) {
    tb->is_mem = b_cast(b, cf(c, n, mem, DT_U8, "tree_is_member"), DT_BOOL);
    tb->mem_row = ml_const_i(b, DT_I32, 1, (int64_t[]){n}, row, "tree_set_row");
    int S = 1;
    for (int s = 0; s < f->nsets; s++) S = f->set_len[s] > S ? f->set_len[s] : S;
    double *sv = malloc(sizeof(double) * (size_t)(f->nsets + 1) * (size_t)S);
    if (!sv) goto done;
    for (int s = 0; s <= f->nsets; s++)
      for (int j = 0; j < S; j++)
        sv[s * S + j] = s && j < f->set_len[s - 1] ? f->setv[f->set_off[s - 1] + j] : NAN;
    tb->sets = ml_const_f(b, c->dt, 2, (int64_t[]){f->nsets + 1, S}, sv, "tree_sets");
    free(sv);
  }
  if (c->any_nan || c->any_zm) tb->nan_true = b_cast(b, cf(c, n, nt, DT_U8, "tree_nan_true"), DT_BOOL);
  if (c->any_zm) tb->zm = b_cast(b, cf(c, n, zm, DT_U8, "tree_zero_missing"), DT_BOOL);
  rc = tb->feat && tb->thr ? 0 : -1;
done:
  free(thr);
  free(fl);
  free(feat);
  return rc;
}

/* the split test of the nodes numbered idx (any shape [N, ...]) */
static Value *test_at(Ctx *c, Tables *tb, Value *idx, Value *x) {
  B *b = c->b;
  Test t = {.x = x, .sets = tb->sets};
  t.thr = b_gather(b, tb->thr, idx, 0);
  if (tb->is_eq) t.is_eq = b_gather(b, tb->is_eq, idx, 0);
  if (tb->is_mem) {
    t.is_mem = b_gather(b, tb->is_mem, idx, 0);
    t.mem_row = b_gather(b, tb->mem_row, idx, 0);
  }
  if (tb->nan_true) t.nan_true = b_gather(b, tb->nan_true, idx, 0);
  if (tb->zm) t.zm = b_gather(b, tb->zm, idx, 0);
  return test(c, &t);
}

/* x[n, feat[idx[t, n]]] for idx [T, N]: trees outermost, so that a
 * kernel walks the rows of one tree with that tree's tables in cache */
static Value *feature_at(Ctx *c, Tables *tb, Value *idx) {
  return b_gatherelem(c->b, c->XT, b_gather(c->b, tb->feat, idx, 0), 0);
}

/* ------------------------------------------------------ the strategies */
/* Leaf values: vals[k * C + j] for leaf slot k; C = targets. */
static double *leaf_values(Ctx *c, const int *nodes, int n) {
  Forest *f = c->f;
  int C = f->ntargets;
  double *v = calloc((size_t)(n ? n : 1) * (size_t)C, sizeof(double));
  int *slot = malloc(sizeof(int) * ((size_t)f->n + 1));
  if (!v || !slot) {
    free(v);
    free(slot);
    return NULL;
  }
  for (int i = 0; i < f->n; i++) slot[i] = -1;
  for (int k = 0; k < n; k++)
    if (nodes[k] >= 0 && slot[nodes[k]] < 0) slot[nodes[k]] = k;
  for (int i = 0; i < f->nw; i++) {
    int u = f->w_node[i];
    for (int k = slot[u]; k >= 0 && k < n; k++) { /* a leaf may fill several slots (perfect padding) */
      if (nodes[k] != u) continue;
      v[(size_t)k * C + f->w_tgt[i]] += f->w_val[i];
    }
  }
  free(slot);
  return v;
}

/* per-tree contributions [T, N, C] from leaf slot numbers [T, N] into a
 * table of `nslots` slots */
static Value *contrib(Ctx *c, Value *slot, const int *nodes, int nslots) {
  B *b = c->b;
  int C = c->f->ntargets;
  double *v = leaf_values(c, nodes, nslots);
  if (!v) return NULL;
  Value *lv = ml_const_f(b, c->dt, 2, (int64_t[]){nslots, C}, v, "tree_leaf_values");
  free(v);
  return b_gather(b, lv, slot, 0);
}

static Value *s_tree(Ctx *c) {
  B *b = c->b;
  Forest *f = c->f;
  int T = f->ntrees;
  int *nodes = malloc(sizeof(int) * ((size_t)f->n + 1));
  int64_t *tc = malloc(sizeof(int64_t) * 3 * ((size_t)f->n + 1));
  Value *r = NULL;
  if (!nodes || !tc) goto done;
  int64_t *fc = tc + f->n + 1, *roots = fc + f->n + 1;
  for (int i = 0; i < f->n; i++) {
    nodes[i] = i;
    bool leaf = f->mode[i] == TM_LEAF;
    tc[i] = leaf ? i : f->tc[i]; /* leaves loop to themselves */
    fc[i] = leaf ? i : f->fc[i];
  }
  for (int t = 0; t < T; t++) roots[t] = f->roots[t];
  Tables tb;
  if (tables(c, nodes, f->n, &tb)) goto done;
  Value *left = ml_const_i(b, DT_I32, 1, (int64_t[]){f->n}, tc, "tree_true_child");
  Value *right = ml_const_i(b, DT_I32, 1, (int64_t[]){f->n}, fc, "tree_false_child");
  Value *idx = b_expand(b, ml_const_i(b, DT_I32, 2, (int64_t[]){T, 1}, roots, "tree_root"), 2, (int64_t[]){T, c->N});
  for (int l = 0; l < f->maxdepth && idx; l++) {
    Value *cond = test_at(c, &tb, idx, feature_at(c, &tb, idx));
    Value *lt = b_gather(b, left, idx, 0), *rt = b_gather(b, right, idx, 0);
    b->vname = arena_printf(b->p->a, "node_level%d", l + 1);
    idx = b_where(b, cond, lt, rt);
  }
  r = idx ? contrib(c, idx, nodes, f->n) : NULL;
done:
  free(nodes);
  free(tc);
  return r;
}

/* fills the complete-tree slot tables of tree t from node u at (level, pos) */
static void fill(const Forest *f, int **lvl, int T, int t, int D, int u, int l, int64_t p) {
  lvl[l][(int64_t)t * ((int64_t)1 << l) + p] = u;
  if (l == D) return;
  bool leaf = f->mode[u] == TM_LEAF;
  fill(f, lvl, T, t, D, leaf ? u : f->tc[u], l + 1, 2 * p);
  fill(f, lvl, T, t, D, leaf ? u : f->fc[u], l + 1, 2 * p + 1);
}

static Value *s_perfect(Ctx *c) {
  B *b = c->b;
  Forest *f = c->f;
  int T = f->ntrees, D = f->maxdepth;
  int *lvl[32] = {0};
  Value *r = NULL;
  bool ok = true;
  for (int l = 0; l <= D; l++) ok &= (lvl[l] = malloc(sizeof(int) * (size_t)T << l)) != NULL;
  if (!ok) goto done;
  for (int t = 0; t < T; t++) fill(f, lvl, T, t, D, f->roots[t], 0, 0);
  /* flat = tree * 2^l + position at level l; the next level's is 2 flat + !cond */
  /* the tree number broadcast over rows: an iota of [T, N] would fold into a
   * constant, and the level-1 lookups with it, growing the weights by the batch */
  Value *flat = b_expand(b, b_iota(b, DT_I32, 2, (int64_t[]){T, 1}, 0, 0, 1), 2, (int64_t[]){T, c->N});
  for (int l = 0; l < D && flat; l++) {
    int n = T << l;
    for (int i = 0; i < n; i++)
      if (f->mode[lvl[l][i]] == TM_LEAF) lvl[l][i] = -1; /* a padded test: any answer leads to the same leaf */
    Tables tb;
    if (tables(c, lvl[l], n, &tb)) goto done;
    Value *cond = test_at(c, &tb, flat, feature_at(c, &tb, flat));
    Value *two = b_binary(b, OP_MUL, flat, b_scalar(b, DT_I32, 2));
    Value *odd = b_binary(b, OP_ADD, two, b_scalar(b, DT_I32, 1));
    b->vname = arena_printf(b->p->a, "position_level%d", l + 1);
    flat = b_where(b, cond, two, odd);
  }
  if (!flat) goto done;
  Value *slot = flat;
  r = contrib(c, slot, lvl[D], T << D);
done:
  for (int l = 0; l <= D; l++) free(lvl[l]);
  return r;
}

/* collects internal nodes and leaves of the subtree at u; counts the true
 * edges from the root to every leaf and marks the path matrix */
static void walk(const Forest *f, int u, int *in, int *nin, int *lv, int *nlv) {
  if (f->mode[u] == TM_LEAF) {
    lv[(*nlv)++] = u;
    return;
  }
  in[(*nin)++] = u;
  walk(f, f->tc[u], in, nin, lv, nlv);
  walk(f, f->fc[u], in, nin, lv, nlv);
}

/* the most internal nodes and leaves of any tree */
static void gemm_size(const Forest *f, int *I, int *L) {
  *I = *L = 1;
  for (int t = 0; t < f->ntrees; t++) {
    int ni = 0, nl = 0, stack[128], sp = 0;
    stack[sp++] = f->roots[t];
    while (sp) {
      int u = stack[--sp];
      if (f->mode[u] == TM_LEAF) {
        nl++;
        continue;
      }
      ni++;
      if (sp < 126) stack[sp++] = f->tc[u], stack[sp++] = f->fc[u];
    }
    *I = ni > *I ? ni : *I;
    *L = nl > *L ? nl : *L;
  }
}

static Value *s_gemm(Ctx *c) {
  B *b = c->b;
  Forest *f = c->f;
  int T = f->ntrees, I, L;
  gemm_size(f, &I, &L);
  int *in = malloc(sizeof(int) * (size_t)T * (size_t)I), *lv = malloc(sizeof(int) * (size_t)T * (size_t)L);
  double *pm = calloc((size_t)T * (size_t)I * (size_t)L, sizeof(double)), *cnt = malloc(sizeof(double) * (size_t)T * L);
  int *pos = malloc(sizeof(int) * ((size_t)f->n + 1));
  Value *r = NULL;
  if (!in || !lv || !pm || !cnt || !pos) goto done;
  for (int k = 0; k < T * I; k++) in[k] = -1;
  for (int k = 0; k < T * L; k++) lv[k] = -1, cnt[k] = -1; /* padding leaves: never reached */
  for (int t = 0; t < T; t++) {
    int ni = 0, nl = 0;
    walk(f, f->roots[t], in + t * I, &ni, lv + t * L, &nl);
    for (int k = 0; k < ni; k++) pos[in[t * I + k]] = k;
    for (int k = 0; k < nl; k++) pos[lv[t * L + k]] = k;
    /* path matrix: for each internal node, +1 for leaves under its true
     * child, -1 under its false child */
    for (int k = 0; k < nl; k++) cnt[t * L + k] = 0;
    for (int k = 0; k < ni; k++) {
      int u = in[t * I + k];
      int sub[2] = {f->tc[u], f->fc[u]};
      for (int s = 0; s < 2; s++) {
        int stack[64], sp = 0;
        stack[sp++] = sub[s];
        while (sp) {
          int w = stack[--sp];
          if (f->mode[w] == TM_LEAF) {
            pm[((size_t)t * I + (size_t)k) * L + (size_t)pos[w]] = s ? -1 : 1;
            if (!s) cnt[t * L + pos[w]] += 1;
          } else if (sp < 62) {
            stack[sp++] = f->tc[w];
            stack[sp++] = f->fc[w];
          }
        }
      }
    }
  }
  Tables tb;
  if (tables(c, in, T * I, &tb)) goto done;
  /* x at every internal node: [N, T*I] -> [N, T, I] */
  Value *xs = b_reshape(b, b_gather(b, c->X, tb.feat, 1), 3, (int64_t[]){c->N, T, I});
  Test t = {.x = xs, .sets = tb.sets};
  int64_t s2[2] = {T, I};
  t.thr = b_reshape(b, tb.thr, 2, s2);
  if (tb.is_eq) t.is_eq = b_reshape(b, tb.is_eq, 2, s2);
  if (tb.is_mem) t.is_mem = b_reshape(b, tb.is_mem, 2, s2), t.mem_row = b_reshape(b, tb.mem_row, 2, s2);
  if (tb.nan_true) t.nan_true = b_reshape(b, tb.nan_true, 2, s2);
  if (tb.zm) t.zm = b_reshape(b, tb.zm, 2, s2);
  Value *cond = b_cast(b, test(c, &t), c->dt); /* [N, T, I] */
  Value *ct = b_permute(b, cond, (int[]){1, 0, 2});  /* [T, N, I] */
  Value *P = ml_const_f(b, c->dt, 3, (int64_t[]){T, I, L}, pm, "tree_path_matrix");
  Value *E = ml_const_f(b, c->dt, 3, (int64_t[]){T, 1, L}, cnt, "tree_path_true_edges");
  Value *hit = b_cast(b, b_binary(b, OP_CMPEQ, b_matmul(b, ct, P), E), c->dt); /* one-hot [T, N, L] */
  double *v = leaf_values(c, lv, T * L);
  if (!v) goto done;
  Value *V = ml_const_f(b, c->dt, 3, (int64_t[]){T, L, f->ntargets}, v, "tree_leaf_values");
  free(v);
  r = b_matmul(b, hit, V); /* [T, N, C] */
done:
  free(in);
  free(lv);
  free(pm);
  free(cnt);
  free(pos);
  return r;
}

/* ------------------------------------------------------------- the driver */
typedef struct {
  int agg, post;
  int nbase;
  const double *base;
  bool cls;            /* TreeEnsembleClassifier */
  int64_t *labels;
  const char *const *strs; /* classlabels_strings, or NULL */
  int nlabels;
  bool ext_classify, squeeze; /* mlgen TreeEnsemble from XGBoost/LightGBM */
} Head;

static int pick_strategy(Ctx *c, const char **why) {
  B *b = c->b;
  int D = c->f->maxdepth;
  const char *s = b->opts ? b->opts->tree_strategy : NULL;
  if (s && *s && strcmp(s, "auto")) {
    int k = !strcmp(s, "gemm") ? ST_GEMM : !strcmp(s, "tree") ? ST_TREE : !strcmp(s, "perfect") ? ST_PERFECT : -1;
    if (k < 0) {
      diag_error(b->d, b->loc, "unknown tree strategy '%s' (gemm, tree, perfect or auto)", s);
      return -1;
    }
    int I, L;
    gemm_size(c->f, &I, &L);
    if (k == ST_GEMM && (D > 60 || (int64_t)c->f->ntrees * I * L > ((int64_t)1 << 24))) {
      diag_error(b->d, b->loc, "tree strategy gemm: path matrices of %d trees x %d nodes x %d leaves exceed 2^24 entries",
                 c->f->ntrees, I, L);
      return -1;
    }
    if (k == ST_PERFECT && (D > 24 || ((int64_t)c->f->ntrees << D) > ((int64_t)1 << 22))) {
      diag_error(b->d, b->loc, "tree strategy perfect: %d trees of depth %d pad to more than 2^22 leaves",
                 c->f->ntrees, D);
      return -1;
    }
    *why = arena_printf(b->p->a, "depth %d, chosen by the build options", D);
    return k;
  }
  /* Hummingbird's rule (GEMM to depth 3, perfect to 10, the walk beyond),
   * with one exception measured here (bench/trees.py, docs/trees.md): a
   * forest that routes missing values per node (LightGBM, XGBoost
   * default_left) over 8+ rows, where perfect's per-level NaN tables cost
   * more than the walk's child lookups (lgbr, batch 1000: 5.1-5.4 ms against 3.3-4.7) */
  if (D <= 3) {
    *why = arena_printf(b->p->a, "depth %d <= 3", D);
    return ST_GEMM;
  }
  if (D <= 10 && !((c->any_nan || c->any_zm) && c->N >= 8)) {
    *why = arena_printf(b->p->a, "depth %d <= 10", D);
    return ST_PERFECT;
  }
  if (D <= 10)
    *why = arena_printf(b->p->a, "depth %d, missing values routed per node, %lld rows: fused walk", D,
                        (long long)c->N);
  else
    *why = arena_printf(b->p->a, "depth %d > 10: fused walk", D);
  return ST_TREE;
}

/* scores [N, C] in dt from the forest */
static Value *scores(Ctx *c, Head *h) {
  B *b = c->b;
  Forest *f = c->f;
  const char *why;
  int st = pick_strategy(c, &why);
  if (st < 0) return NULL;
  if (f->maxdepth == 0) st = ST_TREE, why = "every tree is a single leaf";
  const char *origin = b->origin;
  b->origin = arena_printf(b->p->a, "%s (%s: %s)", origin, st_name[st], why);
  Value *v = st == ST_GEMM ? s_gemm(c) : st == ST_PERFECT ? s_perfect(c) : s_tree(c);
  if (!v) return NULL;
  /* aggregate over trees (axis 0 of v: [T, N, C]), in double for f32; where
   * a target lacks f64, in f32 over blocks of about sqrt(T) trees and then
   * over the blocks: an error of about 2 sqrt(T) ulps instead of T */
  Op rop = h->agg == AGG_MIN ? OP_RMIN : h->agg == AGG_MAX ? OP_RMAX : OP_RSUM;
  bool f32 = b->opts && b->opts->no_f64, two = f32 && rop == OP_RSUM && c->dt == DT_F32 && v->shape[0] > 4;
  DType acc = rop == OP_RSUM && c->dt == DT_F32 && !f32 ? DT_F64 : c->dt;
  b->vname = "tree_sum";
  Value *s;
  if (two) {
    int64_t T = v->shape[0], T1 = (int64_t)ceil(sqrt((double)T)), T2 = (T + T1 - 1) / T1;
    int64_t lo[3] = {0, 0, 0}, hi[3] = {T1 * T2 - T, 0, 0}, sh[4] = {T1, T2, v->shape[1], v->shape[2]};
    Value *blocks = b_reshape(b, T1 * T2 > T ? b_pad(b, v, lo, hi, PAD_CONSTANT, 0) : v, 4, sh);
    s = b_reduce(b, OP_RSUM, b_reduce(b, OP_RSUM, blocks, 2u, false), 1u, false);
  } else {
    s = b_reduce(b, rop, b_cast(b, v, acc), 1u, false);
  }
  if (h->agg == AGG_AVERAGE) s = b_binary(b, OP_DIV, s, b_scalar(b, acc, f->ntrees));
  return b_cast(b, s, c->dt);
}

static Value *col(B *b, Value *s, int j) {
  int64_t st[2] = {0, j}, sp[2] = {1, 1}, sh[2] = {s->shape[0], 1};
  return b_slice(b, s, st, sp, sh);
}

static Value *add_base(B *b, Value *s, const double *base, int n) {
  return b_binary(b, OP_ADD, s, ml_const_f(b, s->dt, 1, (int64_t[]){n}, base, "base_values"));
}

/* the classifier's outputs: label [N] and probabilities [N, C] */
static int classify(Ctx *c, Head *h, Value *s, Value **out) {
  B *b = c->b;
  Forest *f = c->f;
  int C = h->nlabels;
  bool has[2] = {false, false}, allpos = true;
  int nclass = 0;
  bool *used = calloc((size_t)C + 1, 1);
  if (!used) return -1;
  for (int i = 0; i < f->nw; i++) {
    if (!used[f->w_tgt[i]]) nclass++;
    used[f->w_tgt[i]] = true;
    allpos &= f->w_val[i] >= 0;
  }
  if (C >= 2) has[0] = used[0], has[1] = used[1];
  if (C > 2) {
    if (h->nbase) s = add_base(b, s, h->base, h->nbase);
    Value *sel = s;
    if (!h->nbase) { /* ORT: classes no leaf votes for do not take part in the argmax */
      double *mask = malloc(sizeof(double) * (size_t)C);
      if (!mask) {
        free(used);
        return -1;
      }
      for (int j = 0; j < C; j++) mask[j] = used[j] ? 0 : -INFINITY;
      sel = b_binary(b, OP_ADD, s, ml_const_f(b, s->dt, 1, (int64_t[]){C}, mask, "class_mask"));
      free(mask);
    }
    free(used);
    out[0] = ml_argmax_label(b, sel, h->labels, h->strs, C);
    out[1] = ml_post(b, s, h->post);
    return out[0] && out[1] ? 0 : -1;
  }
  free(used);
  if (C != 2) {
    diag_error(b->d, b->loc, "%s: %d class label%s; at least 2 are needed", b->n->op, C, C == 1 ? "" : "s");
    return -1;
  }
  bool binary = nclass == 1;
  Value *s0 = col(b, s, 0), *s1 = col(b, s, 1), *pair = NULL, *one = NULL;
  int was = -1;
  if (h->nbase == 2) {
    if (has[1]) {
      s1 = b_binary(b, OP_ADD, s0, b_scalar(b, s->dt, h->base[1]));
      s0 = b_unary(b, OP_NEG, s1);
    } else {
      s1 = b_binary(b, OP_ADD, s1, b_scalar(b, s->dt, h->base[1]));
      s0 = b_binary(b, OP_ADD, s0, b_scalar(b, s->dt, h->base[0]));
    }
    pair = b_concat(b, 2, (Value *[]){s0, s1}, 1);
  } else {
    if (h->nbase == 1) s0 = b_binary(b, OP_ADD, s0, b_scalar(b, s->dt, h->base[0]));
    else was = 3;
    if (has[1]) pair = b_concat(b, 2, (Value *[]){s0, s1}, 1);
    else one = s0;
  }
  Value *pos = pair && has[1] ? s1 : s0; /* [N, 1] */
  Value *win;
  if (binary) {
    was = allpos ? 0 : 2;
    win = b_binary(b, OP_CMPLT, b_scalar(b, s->dt, allpos ? 0.5 : 0), pos);
  } else {
    win = b_binary(b, OP_CMPLT, b_scalar(b, s->dt, 0), pos);
  }
  int64_t n1[1] = {c->N};
  out[0] = b_reshape(b, ml_pick_label(b, win, h->labels, h->strs), 1, n1);
  if (pair) {
    out[1] = ml_post(b, pair, h->post);
  } else if (h->post == PT_PROBIT) {
    Value *p = ml_post(b, one, PT_PROBIT); /* ORT writes the one column only; the other is 0 */
    out[1] = b_pad(b, p, (int64_t[]){0, 0}, (int64_t[]){0, 1}, PAD_CONSTANT, 0);
  } else if (was == 0) { /* weights are probabilities: [1 - p, p] */
    out[1] = b_concat(b, 2, (Value *[]){b_binary(b, OP_SUB, b_scalar(b, s->dt, 1), one), one}, 1);
  } else if (h->post == PT_LOGISTIC) {
    out[1] = ml_post(b, b_concat(b, 2, (Value *[]){b_unary(b, OP_NEG, one), one}, 1), PT_LOGISTIC);
  } else if (was == 2 || !binary) { /* ORT: [-s, s] when class 1 wins, [s, -s] otherwise */
    Value *neg = b_unary(b, OP_NEG, one);
    Value *a = b_concat(b, 2, (Value *[]){neg, one}, 1), *z = b_concat(b, 2, (Value *[]){one, neg}, 1);
    out[1] = b_where(b, win, a, z);
  } else {
    out[1] = b_concat(b, 2, (Value *[]){b_unary(b, OP_NEG, one), one}, 1);
  }
  return out[0] && out[1] ? 0 : -1;
}

static int run(B *b, Forest *f, Head *h, Value *x, DType dt, Value **out) {
  Ctx c = {.b = b, .f = f, .dt = dt};
  c.X = ml_rows(b, x, dt, "tree input");
  if (!c.X) return -1;
  c.N = c.X->shape[0];
  c.F = c.X->shape[1];
  c.XT = b_permute(b, c.X, (int[]){1, 0});
  if (check_forest(b, f, c.F)) return -1;
  normalize(&c);
  Value *s = scores(&c, h);
  if (!s) return -1;
  if (h->cls) return classify(&c, h, s, out);
  int C = f->ntargets;
  if (h->ext_classify) { /* XGBoost / LightGBM classifiers: base margins, transform, label */
    if (h->nbase) s = add_base(b, s, h->base, h->nbase);
    Value *p = ml_post(b, s, h->post);
    int64_t n1[1] = {c.N};
    if (C == 1) {
      out[0] = b_reshape(b, b_cast(b, b_binary(b, OP_CMPLT, b_scalar(b, dt, 0.5), p), DT_I64), 1, n1);
      out[1] = h->squeeze ? b_reshape(b, p, 1, n1) : p;
    } else {
      out[0] = ml_argmax_label(b, p, NULL, NULL, C);
      out[1] = p;
    }
    return out[0] && out[1] ? 0 : -1;
  }
  if (C == 1 && !h->ext_classify && strcmp(b->n->op, "TreeEnsemble")) { /* ORT's one-target path */
    if (h->nbase == 1) s = b_binary(b, OP_ADD, s, b_scalar(b, dt, h->base[0]));
    if (h->post == PT_PROBIT) s = ml_post(b, s, PT_PROBIT);
  } else {
    if (h->nbase == C) s = add_base(b, s, h->base, C);
    s = ml_post(b, s, h->post);
  }
  if (s && h->squeeze && C == 1) s = b_reshape(b, s, 1, (int64_t[]){c.N});
  out[0] = s;
  return s ? 0 : -1;
}

static int agg_code(B *b, const char *s) {
  static const char *const n[] = {"AVERAGE", "SUM", "MIN", "MAX"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(s, n[i])) return i;
  diag_error(b->d, d_attr_loc(b, "aggregate_function"), "%s: unknown aggregate_function '%s'", b->n->op, s);
  return -1;
}

static DType out_dt(Value *x) { return x->dt == DT_F64 ? DT_F64 : DT_F32; }

int ml_tree_classifier(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Forest f = {0};
  Head h = {.agg = AGG_SUM, .cls = true};
  if (ml_forest_legacy(b, &f, true)) return -1;
  if ((h.nlabels = ml_class_labels(b, &h.labels, &h.strs)) < 0) return -1;
  f.ntargets = h.nlabels;
  h.post = ml_post_code(b, d_str(b, "post_transform", "NONE"));
  h.nbase = ml_att_floats(b, "base_values", &h.base);
  if (h.post < 0 || h.nbase == -2) return -1;
  if (h.nbase < 0) h.nbase = 0;
  if (h.nbase && h.nbase != h.nlabels && !(h.nlabels == 2 && h.nbase == 1)) {
    diag_error(b->d, d_attr_loc(b, "base_values"), "%s: %d base_values for %d classes", b->n->op, h.nbase, h.nlabels);
    return -1;
  }
  return run(b, &f, &h, in[0], DT_F32, out);
}

int ml_tree_regressor(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Forest f = {0};
  Head h = {0};
  if (ml_forest_legacy(b, &f, false)) return -1;
  f.ntargets = (int)d_int(b, "n_targets", 1);
  h.agg = agg_code(b, d_str(b, "aggregate_function", "SUM"));
  h.post = ml_post_code(b, d_str(b, "post_transform", "NONE"));
  h.nbase = ml_att_floats(b, "base_values", &h.base);
  if (h.agg < 0 || h.post < 0 || h.nbase == -2 || f.ntargets < 1) {
    if (f.ntargets < 1) diag_error(b->d, b->loc, "%s: n_targets must be >= 1", b->n->op);
    return -1;
  }
  if (h.nbase < 0) h.nbase = 0;
  return run(b, &f, &h, in[0], DT_F32, out);
}

int ml_tree_ensemble(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Forest f = {0};
  Head h = {0};
  bool ext = !strcmp(b->n->domain, "mlgen");
  if (ml_forest_v5(b, &f)) return -1;
  f.ntargets = (int)d_int(b, "n_targets", 1);
  h.agg = (int)d_int(b, "aggregate_function", AGG_SUM);
  h.post = (int)d_int(b, "post_transform", PT_NONE);
  if (h.agg < 0 || h.agg > 3 || h.post < 0 || h.post > (ext ? PT_EXP : PT_PROBIT) || f.ntargets < 1) {
    diag_error(b->d, b->loc, "%s: aggregate_function %d / post_transform %d / n_targets %d out of range", b->n->op,
               h.agg, h.post, f.ntargets);
    return -1;
  }
  if (ext) {
    h.nbase = ml_att_floats(b, "base_values", &h.base);
    if (h.nbase == -2) return -1;
    if (h.nbase < 0) h.nbase = 0;
    if (h.nbase && h.nbase != f.ntargets) {
      diag_error(b->d, d_attr_loc(b, "base_values"), "%s: %d base_values for %d targets", b->n->op, h.nbase, f.ntargets);
      return -1;
    }
    h.ext_classify = d_int(b, "classify", 0) != 0;
    h.squeeze = d_int(b, "squeeze", 0) != 0;
  }
  Value *x = in[0];
  DType dt = dtype_info[x->dt].is_float ? x->dt : DT_F32;
  if (dt == DT_F16 || dt == DT_BF16) dt = DT_F32;
  int rc = run(b, &f, &h, x, dt, out);
  if (!rc && !ext && x->dt != dt && dtype_info[x->dt].is_float) out[0] = b_cast(b, out[0], x->dt);
  (void)out_dt;
  return rc;
}
