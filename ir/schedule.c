/* schedule.c: per-kernel loop schedule.
 *
 * Requires: fused kernels. Provides: Kernel.sched for every kernel.
 *
 * The C renderer normally emits "for each output: acc = reduce(...)", with
 * the reduction innermost. When the reduction's loads walk memory with a
 * large stride while the innermost output dimension walks a buffer
 * contiguously (x @ W with W [K,N]), accumulating straight into the output
 * with the output loop innermost turns every load into a unit-stride
 * stream the compiler vectorizes. That needs a sum into an output of the
 * accumulator's own dtype; a post expression (bias, activation) then runs
 * as a second loop over the output, in place.
 * A reduction over a fused table walk (a tree ensemble's sum over trees:
 * the body is temporaries and gathers) instead keeps a block of outputs'
 * accumulators in a local array, with the reduction outside the block: each
 * reduction step (one tree) then serves the whole block from cache, and the
 * walks of the block's rows are independent work for the CPU to overlap.
 * First of all, sums of products with an operand that varies along one
 * output dimension and the reduction (matrix products, convolutions) take
 * register tiles: 6 x 16 accumulators per tile, that operand packed at
 * build time into 16-wide panels when it is a constant (reg_tile below,
 * nest_register_tile in ir/nest.c); the schedules above are what the rest
 * falls back to.
 * GPU renderers use `wg` (threads per workgroup).
 */
#include "ir.h"

#include <string.h>

/* coefficient of variable v in a linear index expression (0 if absent,
 * -1 if not linear in it) */
static int64_t coef(const Expr *e, int v) {
  if (!e) return 0;
  if (e->kind == E_VAR) return e->i == v;
  if (e->kind == E_CONST) return 0;
  if (e->kind == E_ALU && e->dt == DT_I64 && e->op == OP_ADD) {
    int64_t a = coef(e->a[0], v), b = coef(e->a[1], v);
    return a < 0 || b < 0 ? -1 : a + b;
  }
  if (e->kind == E_ALU && e->dt == DT_I64 && e->op == OP_MUL && e->a[1]->kind == E_CONST) {
    int64_t a = coef(e->a[0], v);
    return a < 0 ? -1 : a * e->a[1]->i;
  }
  return -1;
}

/* stride of the flat load index along variable v */
static int64_t stride_of(const Expr *ld, int v) {
  int64_t s = 0, mul = 1;
  for (int d = ld->nidx - 1; d >= 0; d--) {
    int64_t c = coef(ld->idx[d], v);
    if (c < 0) return -1;
    s += c * mul;
    mul *= ld->buf->shape[d];
  }
  return s;
}

typedef struct {
  int strided_out, strided_red; /* loads whose stride is neither 0 nor 1 */
  bool nonlinear;
} Walk;

static void walk(const Expr *e, const Kernel *k, Walk *w) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    int64_t so = stride_of(e, k->nout - 1), sr = stride_of(e, k->nout + k->nred - 1);
    if (so < 0 || sr < 0) w->nonlinear = true;
    w->strided_out += so > 1;
    w->strided_red += sr > 1;
  }
  for (int i = 0; i < 3; i++) walk(e->a[i], k, w);
}

/* the innermost output loop of the plain nest (NULL when every output
 * extent is 1) */
static Stmt *innermost_out(Nest *n) {
  Stmt *at = n->root, *l = NULL;
  while (at->n && at->s[0]->kind == ST_LOOP && at->s[0]->var < n->k->nout) at = l = at->s[0];
  return l;
}

/* the blocked schedule as rewrites: split the innermost output loop by B,
 * peel the tail, then expand the accumulator over each block */
static int block(Nest *n, int B) {
  Stmt *l = innermost_out(n);
  if (!l || l->var != n->k->nout - 1) return 1;
  if (l->hi - l->lo <= B) return nest_expand_acc(n, l, false); /* one block */
  int r = nest_split(n, l, B);
  if (r) return r;
  Stmt *loops[64], *par[64];
  int pos[64];
  /* the tail: split's outer loop l, its guard decided in the interior */
  int m = nest_loops(n, loops, par, pos, 64);
  for (int i = 0; i < m; i++)
    if (loops[i] == l) {
      if (nest_hoist_guards(n, par[i], pos[i]) < 0) return -1;
      break;
    }
  m = nest_loops(n, loops, par, pos, 64);
  int done = 0;
  for (int i = 0; i < m; i++) {
    int e = nest_expand_acc(n, loops[i], false);
    if (e < 0) return -1;
    done += e == 0;
  }
  return done ? 0 : 1;
}

/* Matrix products with several rows (x @ W, W [K,N] constant or not): the
 * accumulators of MM_ROWS output rows in a local array, the reduction
 * outside them, so each row of W read at step k serves MM_ROWS rows of the
 * output from L1 instead of streaming W once per row. */
#define MM_ROWS 4
#define MM_ROWS_S "4"
#define MM_TILE_MAX 4096 /* accumulators, on the stack */

static int mm_rows(Nest *n, Stmt *l) {
  const Kernel *k = n->k;
  if (k->nout < 2) return 1;
  int64_t m = k->oshape[k->nout - 2], cols = l->hi - l->lo;
  if (m % MM_ROWS || cols * MM_ROWS > MM_TILE_MAX) return 1;
  Stmt *pm = n->root; /* the rows' loop: l is its whole body */
  while (pm && !(pm->n == 1 && pm->s[0] == l)) pm = pm->n && pm->s[0]->kind == ST_LOOP ? pm->s[0] : NULL;
  if (!pm || pm->kind != ST_LOOP || pm->var != k->nout - 2) return 1;
  /* what nest_expand_acc_tile takes (checked before the split changes the nest) */
  if (l->n != 3 || l->s[0]->kind != ST_LOCAL || l->s[0]->slot != n->acc || l->s[1]->kind != ST_LOOP ||
      l->s[2]->kind != ST_STORE || k->rop != OP_RSUM)
    return 1;
  if (m > MM_ROWS) {
    int r = nest_split(n, pm, MM_ROWS);
    if (r) return r;
    pm = pm->s[0];
  }
  return nest_expand_acc_tile(n, pm, 2);
}

/* Convolution-like sums (two or more reduction loops over a float): the
 * padding tests leave the inner loops by index-set splitting of the two
 * innermost output loops (rows, columns), then each interior row keeps one
 * accumulator per output column in a local array with the reduction
 * outside it, so the innermost loop walks the output row: unit stride in
 * the input at stride 1, a loop the compiler vectorizes. Each output's sum
 * is still taken in the same order: results are bit for bit the same. */
#define CONV_ROW_MAX 1024 /* accumulators of one row, on the stack */

static int conv_rows(Nest *n) {
  const Kernel *k = n->k;
  Stmt *loops[256], *par[256];
  int pos[256], done = 0;
  for (int d = k->nout - 2; d < k->nout; d++) {
    if (d < 0) continue;
    int m = nest_loops(n, loops, par, pos, 256);
    for (int i = m - 1; i >= 0; i--) /* innermost first: earlier finds stay valid */
      if (loops[i]->var == d && nest_hoist_guards(n, par[i], pos[i]) < 0) return -1;
  }
  int m = nest_loops(n, loops, par, pos, 256);
  for (int i = m - 1; i >= 0; i--) {
    int64_t ext = loops[i]->hi - loops[i]->lo;
    if (ext < 4 || ext > CONV_ROW_MAX) continue;
    int e = nest_expand_acc(n, loops[i], false);
    if (e < 0) return -1;
    done += e == 0;
  }
  return done ? 0 : 1;
}

/* ---------------------------------------------------- register tiles */
/* A sum whose body multiplies a constant float tensor that varies along one
 * output dimension c (and the reduction) by operands that do not (x @ W with
 * W [K,N] or [N,K]; a convolution's weights along its output channels):
 * the constant is packed at build time into panels of TILE_NR consecutive
 * c, [ceil(C/NR)][reduction dims it varies with][NR], zero-padded, so each
 * reduction step reads one contiguous vector of NR; the nest becomes
 * register tiles of TILE_MR x TILE_NR accumulators (nest_register_tile) over
 * c and the innermost other output dimension r (a matrix's rows, a conv's
 * output columns). 6 x 16 floats is 12 AVX2 registers of accumulators:
 * measured on an AVX2 EPYC, sgemm 1024 from generated-shape C ran at 85
 * GFLOP/s in 6x16, 55 in 4x16, 69 in 3x32, 5 in 8x8 (gcc 12 -O3). */
#define TILE_MR 6
#define TILE_NR 16
#define LANES_MAX_K 256 /* the longest reduction that takes lane tiles (conv_lanes) */

/* a tuning file's entry for this very kernel ("*" is not): the packed tile it was measured with, so neither
 * the lane tiles nor the fused rows and columns that lead to them */
static bool own_entry(const TuneChoice *tc) { return tc->kernel && strcmp(tc->kernel, "*"); }

/* e = c0 + sum coef[v] * v over the nest's variables, or false */
static bool affine(const Expr *e, int64_t mul, int64_t *coefs, int nv, int64_t *c0) {
  if (!e) return false;
  if (e->kind == E_CONST && e->dt == DT_I64) return *c0 += e->i * mul, true;
  if (e->kind == E_VAR && e->i >= 0 && e->i < nv) return coefs[e->i] += mul, true;
  if (e->kind != E_ALU || e->dt != DT_I64) return false;
  if (e->op == OP_ADD) return affine(e->a[0], mul, coefs, nv, c0) && affine(e->a[1], mul, coefs, nv, c0);
  if (e->op == OP_MUL && e->a[1]->kind == E_CONST) return affine(e->a[0], mul * e->a[1]->i, coefs, nv, c0);
  if (e->op == OP_MUL && e->a[0]->kind == E_CONST) return affine(e->a[1], mul * e->a[0]->i, coefs, nv, c0);
  return false;
}

static bool depends(const Expr *e, int v, int depth) {
  if (!e || depth > 64) return false;
  if (e->kind == E_VAR) return e->i == v;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++)
      if (depends(e->idx[i], v, depth + 1)) return true;
  for (int i = 0; i < 3; i++)
    if (depends(e->a[i], v, depth + 1)) return true;
  return false;
}

/* the tile's B operand: a float load that varies with output variables and
 * the reduction; c (*vc) is the innermost output variable it varies with.
 * A constant is packed; any other load must be unit-stride along c. Every
 * other load of the body must not vary with c. */
typedef struct {
  const Expr *ld;
  int vc;
  int nfound;
} Wt;

static int innermost_dep(const Expr *e, const Kernel *k) {
  int vc = -1;
  for (int v = 0; v < k->nout; v++)
    if (k->oshape[v] > 1 && depends(e, v, 0)) vc = v;
  return vc;
}

static void find_weight(const Expr *e, const Kernel *k, Wt *w, int depth) {
  if (!e || depth > 64) return;
  if (e->kind == E_LOAD && e->buf->kind == VK_CONST && e->buf->dt == DT_F32) {
    int vc = innermost_dep(e, k);
    if (vc >= 0) {
      w->nfound++;
      w->ld = e, w->vc = vc;
    }
    return;
  }
  for (int i = 0; i < 3; i++) find_weight(e->a[i], k, w, depth + 1);
}

/* non-constant B: a float load unit-stride along the innermost output
 * variable it varies with, which no other load varies with */
static void find_b(Arena *a, const Expr *e, const Kernel *k, Wt *w, int depth) {
  if (!e || depth > 64) return;
  if (e->kind == E_LOAD && e->buf->dt == DT_F32) {
    int vc = innermost_dep(e, k);
    int64_t coefs[2 * MAX_RANK] = {0}, c0 = 0;
    int nv = k->nout + k->nred;
    if (vc >= 0 && nv <= 2 * MAX_RANK && affine(ex_flat(a, e->buf, e->idx), 1, coefs, nv, &c0) && coefs[vc] == 1) {
      w->nfound++;
      w->ld = e, w->vc = vc;
    }
    return;
  }
  for (int i = 0; i < 3; i++) find_b(a, e->a[i], k, w, depth + 1);
}

/* loads other than ld that vary with v */
static bool others_vary(const Expr *e, const Expr *ld, int v, int depth) {
  if (!e || e == ld || depth > 64) return false;
  if (e->kind == E_LOAD && depends(e, v, 0)) return true;
  for (int i = 0; i < 3; i++)
    if (others_vary(e->a[i], ld, v, depth + 1)) return true;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++)
      if (others_vary(e->idx[i], ld, v, depth + 1)) return true;
  return false;
}

/* the constant of ld repacked as [other output dims it varies with...]
 * [ceil(C/nr)][reduction dims it varies with...][nr] (zero-padded), and the
 * load that reads it at the same element: NULL when it does not fit */
static Expr *pack_weight(Program *p, Nest *n, const Expr *ld, int vc, int nr) {
  const Kernel *k = n->k;
  const Value *w = ld->buf;
  int nv = k->nout + k->nred;
  int64_t coefs[2 * MAX_RANK] = {0}, c0 = 0;
  if (nv > 2 * MAX_RANK || !affine(ex_flat(p->a, w, ld->idx), 1, coefs, nv, &c0)) return NULL;
  /* dims[] before the lane: variables (the panel: -1) and extents */
  int dv[MAX_RANK], nd = 0;
  int64_t ext[MAX_RANK], C = k->oshape[vc], panels = (C + nr - 1) / nr, outer = 1;
  for (int v = 0; v < nv && nd < MAX_RANK; v++) {
    int64_t e = v < k->nout ? k->oshape[v] : k->rshape[v - k->nout];
    if (v == vc) dv[nd] = -1, ext[nd++] = panels;
    else if (coefs[v] && e > 1) dv[nd] = v, ext[nd++] = e;
  }
  if (nd + 1 > MAX_RANK) return NULL;
  for (int i = 0; i < nd; i++) outer *= ext[i];
  int64_t numel = shape_numel(w->rank, w->shape);
  float *data = arena_alloc(p->a, sizeof(float) * (size_t)(outer * nr));
  if (!data) return NULL;
  const float *src = w->cdata;
  for (int64_t i = 0; i < outer; i++) {
    int64_t q = i, off = c0, cb = 0;
    for (int j = nd - 1; j >= 0; j--) {
      int64_t x = q % ext[j];
      q /= ext[j];
      if (dv[j] < 0) cb = x * nr;
      else off += x * coefs[dv[j]];
    }
    for (int64_t ci = 0; ci < nr; ci++) {
      int64_t c = cb + ci, at = off + c * coefs[vc];
      if (c >= C) data[i * nr + ci] = 0.0f;
      else if (at < 0 || at >= numel) return NULL;
      else data[i * nr + ci] = src[at];
    }
  }
  Value *v = arena_alloc(p->a, sizeof *v);
  if (!v) return NULL;
  *v = *w;
  v->id = p->values.n;
  v->rank = nd + 1;
  for (int i = 0; i < nd; i++) v->shape[i] = ext[i];
  v->shape[nd] = nr;
  v->cdata = data;
  v->name = arena_printf(p->a, "%s_packed", w->name ? w->name : "w");
  v->nuses = 0;
  if (!v->name || vec_push(p->a, &p->values, v)) return NULL;
  Expr *idx[MAX_RANK], *c = nest_var_expr(n, vc);
  for (int i = 0; i < nd; i++) idx[i] = dv[i] < 0 ? ex_div(p->a, c, nr) : nest_var_expr(n, dv[i]);
  idx[nd] = ex_mod(p->a, c, nr);
  return ex_load(p->a, v, idx);
}

/* Cache blocking over the columns. Under the other output loops (a conv's
 * output rows) every row streams the whole packed operand: from L2 when it
 * fits, from L3 or memory once per row when it does not (ResNet-50's 3x3
 * convs at 7x7 hold 9.4 MB of weights: 66 MB of traffic per run of the
 * kernel). Groups of panels that fit in L2 outside the other loops read the
 * operand once and re-read the other operand (the conv's input) once per
 * group instead; panel_group picks the group when that moves fewer bytes
 * from beyond L2 (a model of traffic, not a measurement: `mlgen tune` is
 * where measurements would choose). */
#define L2_BUDGET (256 * 1024)

static void max_other_load(const Expr *e, const Value *skip, int64_t *best, int depth) {
  if (!e || depth > 64) return;
  if (e->kind == E_LOAD && e->buf != skip) {
    int64_t b = shape_numel(e->buf->rank, e->buf->shape) * dtype_info[e->buf->dt].size;
    if (b > *best) *best = b;
  }
  for (int i = 0; i < 3; i++) max_other_load(e->a[i], skip, best, depth + 1);
}

static int64_t panel_group(const Kernel *k, const Value *wbuf, int64_t wbytes, int vc, int vr, int nr) {
  int64_t panels = (k->oshape[vc] + nr - 1) / nr, outer = 1, ib = 0;
  for (int v = 0; v < k->nout; v++)
    if (v != vc && v != vr) outer *= k->oshape[v];
  if (panels < 2 || outer < 2 || wbytes <= L2_BUDGET) return 0;
  max_other_load(k->body, wbuf, &ib, 0);
  for (int j = 0; j < k->nlets; j++) max_other_load(k->lets[j]->def, wbuf, &ib, 0);
  int64_t per = wbytes / panels, g = 1;
  for (int64_t d = 2; d < panels; d++) /* the largest divisor that fits */
    if (panels % d == 0 && d * per <= L2_BUDGET) g = d;
  int64_t rows = wbytes * outer, grouped = wbytes + (ib > L2_BUDGET ? ib * (panels / g) : 0);
  return grouped < rows ? g : 0;
}

/* a loop over tiles (its body holds a tile's block), not a loop inside one */
static bool over_tiles(const Stmt *s, int depth) {
  if (depth > 16) return false;
  for (int i = 0; i < s->n; i++)
    if ((s->s[i]->kind == ST_SEQ && s->s[i]->scope) || over_tiles(s->s[i], depth + 1)) return true;
  return false;
}

/* the bounds tests out of the tiles of rows vr x columns vc, wherever range
 * analysis decides them: the other output loops and the loops over tiles
 * (innermost first: earlier finds stay valid) */
static int hoist_around_tiles(Nest *n, int vr, int vc) {
  const Kernel *k = n->k;
  Stmt *loops[256], *par[256];
  int pos[256];
  int m = nest_loops(n, loops, par, pos, 256);
  for (int i = m - 1; i >= 0; i--) {
    int v = loops[i]->var;
    bool outer = v < k->nout && v != vr && v != vc, tiles = v >= k->nout + k->nred && over_tiles(loops[i], 0);
    if ((outer || tiles) && nest_hoist_guards(n, par[i], pos[i]) < 0) return -1;
  }
  return 0;
}

/* a select anywhere in e (a padded conv's bounds tests) */
static bool has_select(const Expr *e, int depth) {
  if (!e || depth > 64) return false;
  if (e->kind == E_ALU && e->op == OP_WHERE) return true;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++)
      if (has_select(e->idx[i], depth + 1)) return true;
  for (int i = 0; i < 3; i++)
    if (has_select(e->a[i], depth + 1)) return true;
  return false;
}

/* every load of e but skip's satisfies ok (not walking into indices), and e
 * has no temporaries: the operand tests of the tiles below */
typedef struct {
  Arena *a;
  const Kernel *k;
  const Value *skip;
  int v;       /* the variable the loads are judged along */
  int64_t w;   /* rowmajor: the row length */
} LoadTest;

static bool every_load(const Expr *e, bool (*ok)(const Expr *, const LoadTest *), const LoadTest *t, int depth) {
  if (!e || depth > 64) return true;
  if (e->kind == E_TMP) return false;
  if (e->kind == E_LOAD && e->buf != t->skip && !ok(e, t)) return false;
  for (int i = 0; i < 3; i++)
    if (!every_load(e->a[i], ok, t, depth + 1)) return false;
  return true;
}

/* stride 0 or 1 along v in the flat offset (where a fused row and column fold back) */
static bool unit_along(const Expr *ld, const LoadTest *t) {
  int64_t coefs[2 * MAX_RANK] = {0}, c0 = 0;
  int nv = t->k->nout + t->k->nred;
  return nv <= 2 * MAX_RANK && affine(ex_flat(t->a, ld->buf, ld->idx), 1, coefs, nv, &c0) &&
         (coefs[t->v] == 0 || coefs[t->v] == 1);
}

/* stride 0, 1 or 2 along v (a window's input at stride 1 or 2) */
static bool window_along(const Expr *ld, const LoadTest *t) {
  int64_t s = stride_of(ld, t->v);
  return s >= 0 && s <= 2;
}

/* rows v and columns v + 1 row-major and unit-stride (row length w), or neither */
static bool rowmajor(const Expr *ld, const LoadTest *t) {
  int64_t a = stride_of(ld, t->v), b = stride_of(ld, t->v + 1);
  return a >= 0 && b >= 0 && (a || b) == (a && b) && (!b || (b == 1 && a == t->w));
}

/* The tile turned around for convolutions whose output rows are long
 * (NCHW, width >= 16) and whose reduction is short (a 1x1 conv over 64 or
 * 128 channels): lanes along the output width, where the input, the output
 * and a residual operand are contiguous, rows along the output channels,
 * whose weights are broadcast. The packed orientation (lanes along the
 * channels) stores its tile through 16 output planes, one scalar at a time,
 * and with a short reduction that epilogue costs as much as the products
 * (ResNet-50's 1x1 expansions at 56x56 ran at 25 GFLOP/s); here it is
 * MR vector stores. Border columns (a 3x3 conv's padding) get tiles of
 * their own. */
static int conv_lanes(Nest *n, const Wt *w) {
  const Kernel *k = n->k;
  int vi = k->nout - 1;
  int64_t K = shape_numel(k->nred, k->rshape);
  if (k->nlets || vi == w->vc || K > LANES_MAX_K || k->nred < 1) return 1;
  /* lanes mostly whole vectors: over the interior where bounds tests (a padded conv's) leave border
   * columns, about one at either end (ResNet-8's 3x3 convs at 32 wide: 30 = 16 + 8 + 4 + 2, slower) */
  int64_t lanes = k->oshape[vi] - (has_select(k->body, 0) ? 2 : 0);
  if (lanes < 16 || (lanes % 16 && lanes < 64)) return 1;
  LoadTest lt = {n->a, k, w->ld->buf, vi, 0};
  if (!every_load(k->body, unit_along, &lt, 0) || !every_load(k->post, unit_along, &(LoadTest){n->a, k, NULL, vi, 0}, 0))
    return 1;
  if (depends(w->ld, vi, 0)) return 1;
  int r = nest_register_tile_interior(n, w->vc, vi, TILE_MR, TILE_NR);
  return r ? r : hoist_around_tiles(n, w->vc, vi);
}

static int reg_tile(Program *p, Nest *n, TuneChoice *tc, bool *packed_out, int *tile_out) {
  const Kernel *k = n->k;
  if (k->rop != OP_RSUM || k->accdt != DT_F32 || k->nout < 2) return 1;
  Wt w = {0};
  find_weight(k->body, k, &w, 0);
  for (int j = 0; j < k->nlets; j++) find_weight(k->lets[j]->def, k, &w, 0);
  bool packed = w.nfound == 1 && kernel_count_loads(k, w.ld->buf) == 1;
  if (!packed) { /* no constant: a unit-stride operand, unpacked */
    w = (Wt){0};
    if (k->nlets) return 1;
    find_b(p->a, k->body, k, &w, 0);
    if (w.nfound < 1) return 1;
  }
  if (packed && !own_entry(tc)) { /* a kernel's own entry chooses a packed tile */
    int r = conv_lanes(n, &w);
    if (r <= 0) {
      *tile_out = SCHED_TILE_LANES;
      return r;
    }
  }
  int vc = w.vc, vr = -1;
  for (int v = 0; v < k->nout; v++) /* r: the innermost other output the operand does not vary with */
    if (v != vc && k->oshape[v] > 1 && !depends(w.ld, v, 0)) vr = v;
  if (vr < 0 || k->oshape[vc] < 2) return 1;
  if (others_vary(k->body, w.ld, vc, 0)) return 1;
  for (int j = 0; j < k->nlets; j++)
    if (others_vary(k->lets[j]->def, w.ld, vc, 0)) return 1;
  /* fewer than NR columns: one panel of exactly C (nothing padded) */
  int nr = k->oshape[vc] < tc->nr ? (int)k->oshape[vc] : tc->nr;
  int64_t group = 0;
  if (packed) {
    Expr *pk = pack_weight(p, n, w.ld, vc, nr);
    if (!pk) return 1;
    if (nest_replace_load(n, w.ld, pk)) return -1;
    int64_t pbytes = shape_numel(pk->buf->rank, pk->buf->shape) * (int64_t)sizeof(float);
    group = tc->group >= 0 ? tc->group : panel_group(k, w.ld->buf, pbytes, vc, vr, nr);
  }
  /* rows of 7, 14, 28, 56 or 112 (ImageNet convs' output widths) in tiles of 7: 6 + 1 left a 1-row tile
   * (measured on ResNet-50, AVX-512: its 7x7 convs 5% faster overall); 6 elsewhere (a 64-row product in
   * 7s leaves a 1-row tile: the encoder 25% slower) */
  int mr = tc->mr;
  if (!tc->kernel && k->oshape[vr] % 7 == 0 && k->oshape[vr] % 6) mr = 7;
  int r = nest_register_tile(n, vr, vc, mr, nr, packed, group);
  if (r) return r;
  tc->mr = mr; /* what the schedule note says */
  *packed_out = packed;
  *tile_out = SCHED_TILE_PANELS;
  /* padding tests (a conv's) out of the tiles: the rows above the tiles and
   * the loops over tiles of r */
  Stmt *loops[256], *par[256];
  int pos[256];
  int m = nest_loops(n, loops, par, pos, 256);
  for (int i = m - 1; i >= 0; i--) {
    int v = loops[i]->var;
    bool outer = v < k->nout && v != vr && v != vc, rtiles = v >= k->nout + k->nred && loops[i]->n && loops[i]->s[0]->scope;
    if ((outer || rtiles) && nest_hoist_guards(n, par[i], pos[i]) < 0) return -1;
  }
  return 0;
}

/* Window sums with no operand to pack and share (depthwise convolutions,
 * average pooling; max and min pools the same way: every output reads its own window of the input, the
 * weights vary with the channel only): register tiles of DW_MR output rows
 * x DW_NR columns (nest_register_tile_interior), so the lanes run along the output's
 * contiguous dimension and every tap is one vector load of the input (at
 * stride 1 or 2) times one broadcast weight into DW_MR accumulators that
 * stay in registers over the window; then the padding tests out of the
 * tiles wherever range analysis decides them (the rows, the row tiles and
 * the column tiles). The row schedule (conv_rows) kept the accumulators of
 * a whole output row in memory and reloaded them at every tap. */
#define DW_MR 4
#define DW_NR 16

static int dw_tile(Nest *n) {
  const Kernel *k = n->k;
  if ((k->rop != OP_RSUM && k->rop != OP_RMAX && k->rop != OP_RMIN) || !dtype_info[k->accdt].is_float || k->nred < 2 ||
      k->nout < 2 || k->nlets)
    return 1;
  int vc = k->nout - 1, vr = vc - 1;
  while (vr >= 0 && k->oshape[vr] <= 1) vr--;
  if (vr < 0 || k->oshape[vc] < 8 || !every_load(k->body, window_along, &(LoadTest){n->a, k, NULL, vc, 0}, 0)) return 1;
  int nr = k->oshape[vc] < DW_NR ? (int)k->oshape[vc] : DW_NR;
  int r = nest_register_tile_interior(n, vr, vc, DW_MR, nr);
  return r ? r : hoist_around_tiles(n, vr, vc);
}

/* The two innermost output dimensions fused into one variable, for the
 * lane tiles below: a 1x1 convolution's output and input are contiguous
 * over oh * W + ow, so at 28x28 or 14x14 the lanes run over 784 or 196
 * outputs instead of rows of 28 or 14. Taken when the kernel is such a
 * product (a constant operand that varies with neither dimension, every
 * other load with the two dimensions row-major and unit-stride, no bounds
 * tests, no temporaries) with a short reduction; the loads' flat offsets
 * fold the division and remainder back (ex_add). */
static int merge_outputs(Arena *a, Kernel *k) {
  if (k->rop != OP_RSUM || k->accdt != DT_F32 || k->nlets || k->nout < 3 || k->nred < 1 ||
      shape_numel(k->nred, k->rshape) > LANES_MAX_K)
    return 0;
  int u = k->nout - 2;
  int64_t H = k->oshape[u], W = k->oshape[u + 1];
  if (H < 2 || W < 2 || W % 16 == 0 || H * W < 64) return 0; /* rows that fill vectors take lanes as they are */
  Wt w = {0};
  find_weight(k->body, k, &w, 0);
  if (w.nfound != 1 || kernel_count_loads(k, w.ld->buf) != 1 || w.vc >= u || depends(w.ld, u, 0) ||
      depends(w.ld, u + 1, 0))
    return 0;
  if (has_select(k->body, 0) || has_select(k->post, 0) || !every_load(k->body, rowmajor, &(LoadTest){a, k, w.ld->buf, u, W}, 0) ||
      !every_load(k->post, rowmajor, &(LoadTest){a, k, NULL, u, W}, 0))
    return 0;
  Expr *sub[2 * MAX_RANK] = {0}, *pv = ex_var(a, u, H * W);
  if (!pv) return -1;
  for (int v = 0; v < k->nout + k->nred; v++) {
    if (v < u) sub[v] = ex_var(a, v, k->oshape[v]);
    else if (v == u) sub[v] = ex_div(a, pv, W);
    else if (v == u + 1) sub[v] = ex_mod(a, pv, W);
    else sub[v] = ex_var(a, v - 1, k->rshape[v - k->nout]);
    if (!sub[v]) return -1;
  }
  Expr *nb = ex_subst(a, k->body, sub, NULL), *np = k->post ? ex_subst(a, k->post, sub, NULL) : NULL;
  if (!nb || (k->post && !np)) return -1;
  k->body = nb, k->post = np;
  k->oshape[u] = H * W;
  k->nout--;
  return 1;
}

/* Output dimensions a fused Reshape flattened, split back. Attention's
 * heads merged after P @ V (out[b, i, h*32 + d] = sum_j P[b, h, i, j] *
 * V[b, h, j, d]) reads V at [b, c / 32, j, c % 32]: no operand is affine in
 * c, so no tile applies and every load pays a division. With c split into
 * (c / 32, c % 32) as two output variables (the output's flat offsets do
 * not change: row-major over [.., 4, 32] is row-major over [.., 128]) the
 * divisions simplify away (ex_div / ex_mod over the new variables' ranges)
 * and the product is a plain batched matrix product again. A split is taken
 * when some x / C or x % C has an output variable of extent a multiple of C
 * with coefficient 1 in x and every other term a multiple of C. */
static bool split_site(const Expr *e, const Kernel *k, int depth, int *var, int64_t *C) {
  if (!e || depth > 64) return false;
  if (e->kind == E_ALU && e->dt == DT_I64 && (e->op == OP_DIV || e->op == OP_MOD) && e->a[1] &&
      e->a[1]->kind == E_CONST && e->a[1]->i > 1) {
    int64_t c = e->a[1]->i, coefs[2 * MAX_RANK] = {0}, c0 = 0;
    int nv = k->nout + k->nred;
    if (nv <= 2 * MAX_RANK && affine(e->a[0], 1, coefs, nv, &c0) && c0 >= 0 && c0 % c == 0) {
      int v = -1;
      bool ok = true;
      for (int u = 0; u < nv; u++) {
        if (!coefs[u]) continue;
        if (coefs[u] < 0) ok = false;
        else if (coefs[u] == 1 && u < k->nout && v < 0 && k->oshape[u] > c && k->oshape[u] % c == 0) v = u;
        else if (coefs[u] % c) ok = false;
      }
      if (ok && v >= 0) return *var = v, *C = c, true;
    }
  }
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++)
      if (split_site(e->idx[i], k, depth + 1, var, C)) return true;
  for (int i = 0; i < 3; i++)
    if (split_site(e->a[i], k, depth + 1, var, C)) return true;
  return false;
}

static int split_outputs(Arena *a, Kernel *k) {
  int done = 0;
  for (int round = 0; round < MAX_RANK && k->nout < MAX_RANK && k->nout + k->nred < 2 * MAX_RANK; round++) {
    int v = -1;
    int64_t C = 0;
    for (int j = 0; j < kernel_nroots(k) && v < 0; j++)
      if (!split_site(kernel_root(k, j), k, 0, &v, &C)) v = -1;
    if (v < 0) return done;
    Expr *sub[2 * MAX_RANK] = {0};
    int nv = k->nout + k->nred;
    for (int u = 0; u < nv; u++) {
      int64_t ext = u < k->nout ? k->oshape[u] : k->rshape[u - k->nout];
      if (u < v) sub[u] = ex_var(a, u, ext);
      else if (u == v) sub[u] = ex_add(a, ex_mul(a, ex_var(a, v, ext / C), ex_const_i(a, C)), ex_var(a, v + 1, C));
      else sub[u] = ex_var(a, u + 1, ext);
      if (!sub[u]) return -1;
    }
    for (int j = 0; j < k->nlets; j++)
      if (!(k->lets[j]->def = ex_subst(a, k->lets[j]->def, sub, NULL))) return -1;
    if (!(k->body = ex_subst(a, k->body, sub, NULL)) || (k->post && !(k->post = ex_subst(a, k->post, sub, NULL))))
      return -1;
    for (int u = k->nout; u > v + 1; u--) k->oshape[u] = k->oshape[u - 1];
    k->oshape[v + 1] = C;
    k->oshape[v] /= C;
    k->nout++;
    done++;
  }
  return done;
}

/* A sum whose every term divides by one value of the outputs alone
 * (attention's softmax normalization fused into P @ V: sum_j (e_ij / s_i) *
 * v_jd) divides once after the sum instead: (sum_j e_ij * v_jd) / s_i. One
 * division per output instead of one per term, and the product left is a
 * plain matrix product (its rounding differs from the per-term form by
 * about an ulp of the sum). */
static bool leafy(const Expr *e, int depth) { /* no temporaries, accumulators, or too deep */
  if (!e || depth > 64) return !e;
  if (e->kind == E_TMP || e->kind == E_ACC) return false;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++)
      if (!leafy(e->idx[i], depth + 1)) return false;
  for (int i = 0; i < 3; i++)
    if (e->a[i] && !leafy(e->a[i], depth + 1)) return false;
  return true;
}

static int factor_divisor(Arena *a, Kernel *k) {
  if (k->rop != OP_RSUM || !k->nred || !dtype_info[k->accdt].is_float || !k->body || k->body->kind != E_ALU) return 0;
  Expr *b = k->body, *dv = NULL;
  if (b->op == OP_DIV) dv = b;
  else if (b->op == OP_MUL)
    for (int i = 0; i < 2 && !dv; i++)
      if (b->a[i]->kind == E_ALU && b->a[i]->op == OP_DIV) dv = b->a[i];
  if (!dv || dv->dt != k->accdt || b->dt != k->accdt || !leafy(dv->a[1], 0)) return 0;
  for (int v = k->nout; v < k->nout + k->nred; v++)
    if (depends(dv->a[1], v, 0)) return 0;
  Expr *nb = ex_replace(a, b, dv, dv->a[0]);
  Expr *q = ex_alu(a, OP_DIV, k->accdt, ex_acc(a, k->accdt), dv->a[1], NULL);
  Expr *np = k->post ? ex_subst(a, k->post, NULL, q) : q;
  if (!nb || !np) return -1;
  k->body = nb, k->post = np;
  return 1;
}

/* the choice for kernel k (by the name ir_compile gave it; a carved kernel
 * keeps its source's): its own entry, else "*", else the heuristics' */
static TuneChoice choice(const Program *p, const Kernel *k) {
  TuneChoice c = {NULL, TILE_MR, TILE_NR, -1};
  const TuneChoice *all = NULL;
  for (int j = 0; j < p->ntune; j++) {
    const TuneChoice *t = &p->tune[j];
    if (!strcmp(t->kernel, "*")) all = t;
    else if (k->name && !strcmp(t->kernel, k->name)) return *t;
  }
  return all ? *all : c;
}

int ir_schedule(Program *p, Diags *d) {
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    TuneChoice tc = choice(p, k);
    int sp = split_outputs(p->a, k), fd = factor_divisor(p->a, k), mg = own_entry(&tc) ? 0 : merge_outputs(p->a, k);
    if (sp < 0 || fd < 0 || mg < 0) return -1;
    k->sched.wg = 64;
    k->sched.tile = SCHED_TILE_NONE;
    k->sched.unroll = 1;
    k->sched.vec = 0;
    k->sched.why = k->nred ? "reduction innermost" : "elementwise";
    k->sched.block = 0;
    Nest *n = ir_nest(p->a, k);
    if (!n) return -1;
    k->nest = n;
    /* the kernel's own rewrites, logged before its nest's */
    const char *pre[3] = {sp ? "output dimensions a reshape flattened split back" : NULL,
                          fd ? "the divisor common to every term moved after the sum" : NULL,
                          mg ? "the two innermost output dimensions fused (rows and columns)" : NULL};
    for (int j = 0; j < 3; j++)
      if (pre[j] && !(n->log = n->log ? arena_printf(p->a, "%s\n%s", n->log, pre[j]) : pre[j])) return -1;
    if (nest_verify(n, "nest", d)) return -1;
    bool packed = false;
    int rt = reg_tile(p, n, &tc, &packed, &k->sched.tile);
    if (rt < 0) return -1;
    if (!rt && k->sched.tile == SCHED_TILE_LANES) {
      k->sched.why = arena_printf(p->a, "register tiles of %d x %d output channels x columns, lanes along the output's "
                                  "rows (a short reduction: vector stores), the reduction outside", TILE_MR, TILE_NR);
      if (!k->sched.why) return -1;
    } else if (!rt) {
      k->sched.why = arena_printf(p->a, "register tiles of %d x %d accumulators, reduction outside%s%s", tc.mr, tc.nr,
                                  packed ? arena_printf(p->a, ", the constant operand packed in %d-wide panels", tc.nr) : "",
                                  tc.kernel ? " (tuning file)" : "");
      if (!k->sched.why) return -1;
    } else if (k->nred && k->nlets && k->nout >= 1 && k->oshape[k->nout - 1] >= 8 &&
        (k->rop == OP_RSUM || k->rop == OP_RPROD || k->rop == OP_RMAX || k->rop == OP_RMIN)) {
      int r = block(n, 32);
      if (r < 0) return -1;
      if (!r) {
        k->sched.block = 32;
        k->sched.why = "outputs blocked by 32 under the reduction (a fused table walk: each step's tables stay in cache)";
      }
    } else if (k->nred == 1 && k->rop == OP_RSUM && k->accdt == k->out->dt && k->nout >= 1 &&
               k->oshape[k->nout - 1] >= 4) {
      Walk w = {0};
      for (int j = 0; j < kernel_nroots(k); j++)
        if (j != 1) walk(kernel_root(k, j), k, &w);
      Stmt *l = innermost_out(n);
      if (!w.nonlinear && w.strided_out == 0 && w.strided_red > 0 && l && l->var == k->nout - 1) {
        int r = mm_rows(n, l);
        if (r < 0) return -1;
        if (!r) {
          k->sched.vec = 1;
          k->sched.why = "rows of " MM_ROWS_S " outputs' accumulators in a local array, reduction outside, output loop innermost";
          goto done;
        }
        r = nest_expand_acc(n, l, true);
        if (r < 0) return -1;
        if (!r) {
          k->sched.vec = 1;
          k->sched.why = "accumulate in place, output loop innermost (unit-stride loads)";
        }
      }
    } else if ((rt = dw_tile(n)) <= 0) {
      if (rt < 0) return -1;
      k->sched.tile = SCHED_TILE_WINDOW;
      k->sched.why = arena_printf(p->a, "register tiles of %d x %d output rows x columns, the window's taps outside "
                                  "(lanes along the output's contiguous dimension)", DW_MR, DW_NR);
      if (!k->sched.why) return -1;
    } else if (k->nred >= 2 && k->rop == OP_RSUM && dtype_info[k->accdt].is_float && k->nout >= 2 &&
             k->oshape[k->nout - 1] >= 4) {
      int r = conv_rows(n);
      if (r < 0) return -1;
      if (!r) k->sched.why = "padding tests hoisted out of the rows and columns, a row of accumulators under the reduction";
    }
  done:
    if (nest_verify(n, "schedule", d)) return -1;
    if (p->rewrites && sched_force(n, p->rewrites, d)) return -1;
  }
  return 0;
}

/* ------------------------------------------------- forced rewrites (tests) */
static int each_loop(Nest *n, const char *name, Diags *d, int (*f)(Nest *, Stmt *, Stmt *, int)) {
  Stmt *loops[256], *par[256];
  int pos[256];
  int m = nest_loops(n, loops, par, pos, 256);
  /* innermost first: a rewrite of a loop leaves the ones before it (its
   * ancestors and earlier siblings) where nest_loops found them */
  for (int i = m - 1; i >= 0; i--) {
    int r = f(n, loops[i], par[i], pos[i]);
    if (r < 0) return -1;
    if (r == 0 && nest_verify(n, name, d)) return -1;
  }
  return 0;
}

static int f_split(Nest *n, Stmt *l, Stmt *p, int i) { (void)p, (void)i; return nest_split(n, l, 3); }
static int f_reorder(Nest *n, Stmt *l, Stmt *p, int i) { (void)p, (void)i; return nest_reorder(n, l); }
static int f_fuse(Nest *n, Stmt *l, Stmt *p, int i) { (void)p, (void)i; return nest_fuse(n, l); }
static int f_unroll(Nest *n, Stmt *l, Stmt *p, int i) { (void)l; return nest_unroll(n, p, i); }
static int f_vector(Nest *n, Stmt *l, Stmt *p, int i) { (void)l; return nest_vectorize(n, p, i, 4); }
static int f_hoist(Nest *n, Stmt *l, Stmt *p, int i) { (void)l; return nest_hoist_guards(n, p, i); }
static int f_stage(Nest *n, Stmt *l, Stmt *p, int i) { (void)l; return nest_stage(n, p, i); }
static int f_expand(Nest *n, Stmt *l, Stmt *p, int i) { (void)p, (void)i; return nest_expand_acc(n, l, false); }
static int f_tile(Nest *n, Stmt *l, Stmt *p, int i) {
  (void)p, (void)i;
  return nest_gpu_tile(n, l, n->k->sched.wg > 0 ? n->k->sched.wg : 64); /* the kernel's workgroup */
}

static const struct {
  const char *name;
  int (*f)(Nest *, Stmt *, Stmt *, int);
} forced[] = {
    {"split", f_split},   {"reorder", f_reorder}, {"fuse", f_fuse},     {"unroll", f_unroll}, {"vectorize", f_vector},
    {"hoist", f_hoist},   {"stage", f_stage},     {"expand", f_expand}, {"tile", f_tile},
};

int sched_force(Nest *n, const char *list, Diags *d) {
  for (const char *s = list; *s;) {
    size_t len = strcspn(s, ",");
    int i, nf = (int)(sizeof forced / sizeof forced[0]);
    for (i = 0; i < nf; i++)
      if (strlen(forced[i].name) == len && !strncmp(forced[i].name, s, len)) break;
    if (i == nf) {
      diag_error(d, (Loc){0}, "unknown rewrite '%.*s' (split, reorder, fuse, unroll, vectorize, hoist, stage, expand, tile)",
                 (int)len, s);
      return -1;
    }
    if (each_loop(n, forced[i].name, d, forced[i].f)) return -1;
    s += len + (s[len] == ',');
  }
  return 0;
}
