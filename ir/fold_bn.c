/* fold_bn.c: BatchNormalization folded into the Conv, ConvTranspose or Gemm before it.
 *
 * Requires: a Graph checked by ir_check_graph (topological, names defined).
 * Provides: a shallow copy of the graph (nodes and initializers are new
 * vectors, the original graph is not changed) in which each pair
 *   c = Conv(x, W[, B]);  y = BatchNormalization(c, scale, beta, mean, var)
 * whose c is read by that BatchNormalization only (no other node, no
 * subgraph, not a graph output), with W, B and the four statistics f32
 * initializers of one value per output channel and the BatchNormalization in
 * inference form (one output, training_mode 0), is one node
 *   y = Conv(x, W', B')
 * with s = scale / sqrt(var + eps), W'[oc,...] = W[oc,...] * s[oc] and
 * B' = (B - mean) * s + beta (B = 0 when absent), each computed in double and
 * rounded once to f32. ConvTranspose is the same with its output channel
 * oc = g * M/group + m of W[c, m, ...] (c in group g). A Gemm
 *   c = Gemm(a, B[, C]) (alpha, beta, transA, transB), C absent, [N] or [1,N]
 * scales B per output column n (B[k,n], or B[n,k] with transB) and takes
 * C' = (beta * C - mean) * s + beta_bn with its beta attribute 1. Other dtypes and
 * anything that does not fit are left as they are: the decomposition then
 * reports exactly what it reported before.
 *
 * ir_decompose runs it unless BuildOpts.no_graph_folds (the interpreter's
 * run: the oracle computes the model as written).
 */
#include "decompose.h"

#include <math.h>
#include <string.h>

static GTensor *find_init(const Graph *g, const char *name) {
  if (!name || !*name) return NULL;
  for (int i = 0; i < g->inputs.n; i++) /* a graph input of that name may override it */
    if (!strcmp(((GTensor *)g->inputs.v[i])->name, name)) return NULL;
  for (int i = 0; i < g->inits.n; i++) {
    GTensor *t = g->inits.v[i];
    if (!strcmp(t->name, name)) return t->init && t->init->dt == DT_F32 ? t : NULL;
  }
  return NULL;
}

static int64_t numel(const TensorData *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

/* how many node inputs of g and its subgraphs name `name` */
static int reads(const Graph *g, const char *name) {
  int n = 0;
  for (int i = 0; i < g->nodes.n; i++) {
    const GNode *nd = g->nodes.v[i];
    for (int k = 0; k < nd->nin; k++) n += !strcmp(nd->in[k], name);
    for (int k = 0; k < nd->nattr; k++)
      if (nd->attrs[k].type == AT_GRAPH && nd->attrs[k].g) n += reads(nd->attrs[k].g, name);
  }
  return n;
}

static const Attr *attr_of(const GNode *n, const char *name, AttrType t1, AttrType t2, bool *bad) {
  const Attr *a = attr_find(n, name);
  if (a && a->type != t1 && a->type != t2) *bad = true;
  return a;
}

static double f32_at(const TensorData *t, int64_t i) {
  float f;
  memcpy(&f, (const char *)t->data + 4 * i, 4);
  return f;
}

/* checks bn (after producer `x`, M channels) and reads its statistics:
 * s[c] and st[4] (scale, beta, mean, var); false when it does not fit */
static bool bn_stats(Arena *a, const Graph *g, const GNode *x, const GNode *bn, int64_t M, double **s,
                     const TensorData **st) {
  bool bad = false;
  if (x->nout != 1 || bn->nout != 1 || bn->nin != 5 || M < 1) return false;
  if (strcmp(bn->in[0], x->out[0]) || reads(g, x->out[0]) != 1) return false;
  for (int i = 0; i < g->outputs.n; i++)
    if (!strcmp(((GTensor *)g->outputs.v[i])->name, x->out[0])) return false;
  const Attr *tm = attr_of(bn, "training_mode", AT_INT, AT_INT, &bad);
  const Attr *ep = attr_of(bn, "epsilon", AT_FLOAT, AT_INT, &bad);
  if (bad || (tm && tm->i)) return false;
  double eps = !ep ? 1e-5 : ep->type == AT_INT ? (double)ep->i : ep->f;
  for (int k = 0; k < 4; k++) {
    GTensor *t = find_init(g, bn->in[k + 1]);
    if (!t || numel(t->init) != M) return false;
    st[k] = t->init;
  }
  if (!(*s = arena_alloc(a, sizeof(double) * (size_t)M))) return false;
  for (int64_t c = 0; c < M; c++) (*s)[c] = f32_at(st[0], c) / sqrt(f32_at(st[3], c) + eps);
  return true;
}

/* a new f32 initializer named after `base` */
static GTensor *new_init(Arena *a, Map *taken, PtrVec *inits, const char *base, const GTensor *like, int rank,
                         const int64_t *dims, float **data) {
  TensorData *t = arena_alloc(a, sizeof *t);
  GTensor *g = arena_alloc(a, sizeof *g);
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  *data = arena_alloc(a, 4 * (size_t)(n + 1));
  if (!t || !g || !*data) return NULL;
  *t = (TensorData){.dt = DT_F32, .rank = rank, .data = *data};
  memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
  *g = *like;
  g->name = map_unique(a, taken, base);
  g->dt = DT_F32, g->rank = rank, g->init = t;
  memcpy(g->dims, dims, sizeof(int64_t) * (size_t)rank);
  for (int i = 0; i < MAX_RANK; i++) g->sym[i] = NULL;
  return vec_push(a, inits, g) ? NULL : g;
}

/* the node writing bn's output: conv (or gemm) with the weights and bias of
 * the fold as new initializers in `inits`, or NULL when the pair does not fit */
static GNode *fold_pair(Arena *a, const Graph *g, Map *taken, const GNode *conv, const GNode *bn, PtrVec *inits) {
  bool tr = !strcmp(conv->op, "ConvTranspose"), gemm = !strcmp(conv->op, "Gemm"), bad = false;
  if (conv->nin < 2 || conv->nin > 3) return NULL;
  GTensor *w = find_init(g, conv->in[1]), *cb = conv->nin > 2 && *conv->in[2] ? find_init(g, conv->in[2]) : NULL;
  if (!w || (conv->nin > 2 && *conv->in[2] && !cb)) return NULL;
  const TensorData *W = w->init;
  const Attr *gr = attr_of(conv, gemm ? "transB" : "group", AT_INT, AT_INT, &bad);
  const Attr *be = gemm ? attr_of(conv, "beta", AT_FLOAT, AT_INT, &bad) : NULL;
  int64_t G = gr ? gr->i : gemm ? 0 : 1, M;
  if (bad || W->rank < (gemm ? 2 : 3) || (gemm && W->rank != 2)) return NULL;
  if (gemm) M = G ? W->dims[0] : W->dims[1]; /* B is [K,N], or [N,K] with transB */
  else M = tr ? W->dims[1] * G : W->dims[0];
  if (!gemm && (G < 1 || (tr && W->dims[0] % G))) return NULL;
  /* a Gemm's C must be one value per column ([N] or [1,N]); a conv's bias is [M] */
  if (cb && (numel(cb->init) != M || cb->init->dims[cb->init->rank - 1] != M || cb->init->rank > 2 ||
             (!gemm && cb->init->rank != 1)))
    return NULL;
  double *s, beta = !be ? 1.0 : be->type == AT_INT ? (double)be->i : be->f;
  const TensorData *st[4];
  if (!bn_stats(a, g, conv, bn, M, &s, st)) return NULL;
  float *wd, *bd;
  int64_t bdim[1] = {M};
  GTensor *wg = new_init(a, taken, inits, arena_printf(a, "%s_bn", w->name), w, W->rank, W->dims, &wd);
  GTensor *bg = wg ? new_init(a, taken, inits, arena_printf(a, "%s_bias_bn", conv->out[0]), w, 1, bdim, &bd) : NULL;
  GNode *n = arena_alloc(a, sizeof *n);
  const char **in = arena_alloc(a, 3 * sizeof *in), **out = arena_alloc(a, sizeof *out);
  Attr *attrs = arena_alloc(a, sizeof(Attr) * (size_t)(conv->nattr + 1));
  if (!wg || !bg || !n || !in || !out || !attrs) return NULL;
  bg->loc = bn->loc;
  for (int64_t c = 0; c < M; c++) {
    double b0 = cb ? f32_at(cb->init, c) * (gemm ? beta : 1.0) : 0.0;
    bd[c] = (float)((b0 - f32_at(st[2], c)) * s[c] + f32_at(st[1], c));
  }
  /* W is [M, C/group, k...] (Conv), [C, M/group, k...] (ConvTranspose),
   * [K, N] or [N, K] (Gemm, transB) */
  int64_t inner = 1, d1 = W->dims[1], per_g = tr ? W->dims[0] / G : 1;
  for (int i = 2; i < W->rank; i++) inner *= W->dims[i];
  for (int64_t i = 0; i < numel(W); i++) {
    int64_t r = i / inner, oc = gemm ? (G ? i / d1 : i % d1) : tr ? (r / d1) / per_g * d1 + r % d1 : r / d1;
    wd[i] = (float)(f32_at(W, i) * s[oc]);
  }
  *n = *conv;
  in[0] = conv->in[0], in[1] = wg->name, in[2] = bg->name;
  out[0] = bn->out[0];
  n->in = in, n->out = out, n->nin = 3;
  if (conv->in_loc) { /* x keeps its location; W' and B' are the conv's */
    Loc *l = arena_alloc(a, 3 * sizeof *l);
    if (!l) return NULL;
    l[0] = conv->in_loc[0], l[1] = l[2] = conv->loc;
    n->in_loc = l;
  }
  if (gemm) { /* C' already holds beta * C: beta = 1 */
    int k = 0;
    for (int i = 0; i < conv->nattr; i++)
      if (strcmp(conv->attrs[i].name, "beta")) attrs[k++] = conv->attrs[i];
    attrs[k++] = (Attr){.name = "beta", .type = AT_FLOAT, .f = 1.0, .loc = conv->loc};
    n->attrs = attrs, n->nattr = k;
  }
  return n;
}

static bool onnx(const GNode *n) { return !n->domain || !*n->domain || !strcmp(n->domain, "ai.onnx"); }

int ir_fold_bn(Arena *a, const Graph *g, Graph *out) {
  *out = *g;
  out->nodes = (PtrVec){0};
  out->inits = (PtrVec){0};
  Map taken = {0}, producer = {0};
  bool *skip = arena_alloc(a, (size_t)g->nodes.n + 1);
  if (!skip) return -1;
  for (int i = 0; i < g->inits.n; i++) {
    GTensor *t = g->inits.v[i];
    if (vec_push(a, &out->inits, t) || map_put(a, &taken, t->name, (void *)1)) return -1;
  }
  for (int i = 0; i < g->inputs.n; i++)
    if (map_put(a, &taken, ((GTensor *)g->inputs.v[i])->name, (void *)1)) return -1;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.v[i];
    for (int k = 0; k < n->nout; k++)
      if (map_put(a, &taken, n->out[k], (void *)1) || map_put(a, &producer, n->out[k], n)) return -1;
  }
  /* the BatchNormalization after each foldable conv */
  GNode **fold = arena_alloc(a, sizeof(GNode *) * ((size_t)g->nodes.n + 1));
  if (!fold) return -1;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *bn = g->nodes.v[i];
    if (strcmp(bn->op, "BatchNormalization") || !onnx(bn) || bn->nin < 1) continue;
    GNode *c = map_get(&producer, bn->in[0]);
    if (!c || (strcmp(c->op, "Conv") && strcmp(c->op, "ConvTranspose") && strcmp(c->op, "Gemm")) || !onnx(c)) continue;
    for (int j = 0; j < i; j++)
      if (g->nodes.v[j] == c) {
        GNode *f = fold_pair(a, g, &taken, c, bn, &out->inits);
        if (f) fold[j] = f, skip[i] = true;
      }
  }
  for (int i = 0; i < g->nodes.n; i++)
    if (!skip[i] && vec_push(a, &out->nodes, fold[i] ? fold[i] : g->nodes.v[i])) return -1;
  return 0;
}
