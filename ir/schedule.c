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

int ir_schedule(Program *p, Diags *d) {
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    k->sched.wg = 64;
    k->sched.unroll = 1;
    k->sched.vec = 0;
    k->sched.why = k->nred ? "reduction innermost" : "elementwise";
    k->sched.block = 0;
    Nest *n = ir_nest(p->a, k);
    if (!n) return -1;
    k->nest = n;
    if (nest_verify(n, "nest", d)) return -1;
    if (k->nred && k->nlets && k->nout >= 1 && k->oshape[k->nout - 1] >= 8 &&
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
