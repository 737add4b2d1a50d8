/* nest.c: the loop-nest kernel IR: construction, verification, printing
 * and the schedule rewrites.
 *
 * Requires: fused kernels (ir/fuse.c). Provides: ir_nest (the plain nest of
 * a kernel) and the rewrites ir/schedule.c composes. Every rewrite keeps
 * the nest's meaning for every input; most work by substituting variables
 * (ex_subst), which re-simplifies the expressions with the new variables'
 * ranges: that is what makes a split's interior lose its bounds tests.
 */
#include "ir.h"

#include <string.h>

const char *const loop_kind_name[LK_COUNT] = {"serial", "unrolled", "vector", "gpu-global", "gpu-local"};

/* ------------------------------------------------------------ building */
Stmt *st_new(Arena *a, StmtKind kind) {
  Stmt *s = arena_alloc(a, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  s->slot = -1;
  s->best = -1;
  s->rop = OP_NONE;
  return s;
}

int st_push(Arena *a, Stmt *p, Stmt *c) {
  if (!c) return -1;
  if (p->n == p->cap) {
    int cap = p->cap ? p->cap * 2 : 4;
    Stmt **s = arena_alloc(a, sizeof(Stmt *) * (size_t)cap);
    if (!s) return -1;
    if (p->n) memcpy(s, p->s, sizeof(Stmt *) * (size_t)p->n);
    p->s = s;
    p->cap = cap;
  }
  p->s[p->n++] = c;
  return 0;
}

int nest_var(Nest *n, int64_t lo, int64_t hi) {
  if (n->nvars == n->capv) {
    int cap = n->capv ? n->capv * 2 : 16;
    NVar *v = arena_alloc(n->a, sizeof(NVar) * (size_t)cap);
    if (!v) return -1;
    if (n->nvars) memcpy(v, n->vars, sizeof(NVar) * (size_t)n->nvars);
    n->vars = v;
    n->capv = cap;
  }
  n->vars[n->nvars] = (NVar){lo, hi};
  return n->nvars++;
}

Expr *nest_var_expr(Nest *n, int v) {
  if (n->vars[v].lo == n->vars[v].hi) return ex_const_i(n->a, n->vars[v].lo);
  Expr *e = ex_var(n->a, v, 2);
  if (!e) return NULL;
  e->lo = n->vars[v].lo;
  e->hi = n->vars[v].hi;
  return e;
}

int nest_local(Nest *n, LocalKind kind, DType dt, int64_t len) {
  if (n->nlocals == n->capl) {
    int cap = n->capl ? n->capl * 2 : 16;
    Local *l = arena_alloc(n->a, sizeof(Local) * (size_t)cap);
    if (!l) return -1;
    if (n->nlocals) memcpy(l, n->locals, sizeof(Local) * (size_t)n->nlocals);
    n->locals = l;
    n->capl = cap;
  }
  n->locals[n->nlocals] = (Local){kind, dt, len};
  return n->nlocals++;
}

static void note(Nest *n, const char *what) {
  n->log = n->log ? arena_printf(n->a, "%s\n%s", n->log, what) : arena_strdup(n->a, what);
}

static Stmt *loop(Nest *n, int var) {
  Stmt *s = st_new(n->a, ST_LOOP);
  if (!s) return NULL;
  s->var = var;
  s->lo = n->vars[var].lo;
  s->hi = n->vars[var].hi + 1;
  return s;
}

/* the initial value of a sum/product/max/min accumulator */
static Expr *acc_init(Arena *a, DType dt, Op rop) {
  bool f = dtype_info[dt].is_float;
  int bits = dtype_info[dt].size * 8;
  bool sg = dtype_info[dt].is_signed;
  switch (rop) {
  case OP_RSUM: return ex_const(a, dt, 0, 0);
  case OP_RPROD: return ex_const(a, dt, 1, 1);
  case OP_RMAX:
    if (f) return ex_const(a, dt, -__builtin_inf(), 0);
    return ex_const(a, dt, 0, sg ? (bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1))) : 0);
  case OP_RMIN:
    if (f) return ex_const(a, dt, __builtin_inf(), 0);
    if (dt == DT_BOOL) return ex_const(a, dt, 1, 1);
    if (sg) return ex_const(a, dt, 0, bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1);
    return ex_const(a, dt, 0, bits == 64 ? -1 : (int64_t)(((uint64_t)1 << bits) - 1));
  default: return ex_const(a, dt, 0, 0);
  }
}

/* the flat offset of the output element at the output variables: over
 * the kernel's output shape, which may split the buffer's dimensions
 * (ir/schedule.c split_outputs) but never reorders them */
static Expr *out_flat(Arena *a, const Kernel *k) {
  Expr *oidx[MAX_RANK];
  for (int d = 0; d < k->nout; d++) oidx[d] = ex_var(a, d, k->oshape[d]);
  return ex_flat_shape(a, k->nout, k->oshape, oidx);
}

/* a load of the output element the variables name */
static Expr *out_load(Arena *a, const Kernel *k) {
  const Value *o = k->out;
  Expr *idx[MAX_RANK], *f = out_flat(a, k);
  int64_t stride = 1;
  for (int d = o->rank - 1; d >= 0; d--) {
    Expr *x = ex_div(a, f, stride);
    idx[d] = x && x->hi >= o->shape[d] ? ex_mod(a, x, o->shape[d]) : x;
    stride *= o->shape[d];
  }
  return ex_load(a, k->out, idx);
}

Nest *ir_nest(Arena *a, const Kernel *k) {
  Nest *n = arena_alloc(a, sizeof *n);
  if (!n) return NULL;
  n->k = k;
  n->a = a;
  n->acc = -1;
  for (int d = 0; d < k->nout + k->nred; d++) {
    int64_t ext = d < k->nout ? k->oshape[d] : k->rshape[d - k->nout];
    if (nest_var(n, 0, ext > 0 ? ext - 1 : -1) < 0) return NULL;
  }
  for (int j = 0; j < k->nlets; j++)
    if (nest_local(n, LV_LET, k->lets[j]->dt, 0) < 0) return NULL;
  n->root = st_new(a, ST_SEQ);
  if (!n->root) return NULL;
  /* output loops (an extent of 1 needs none; an empty one keeps its loop, so
   * the body never runs) */
  Stmt *at = n->root;
  for (int d = 0; d < k->nout; d++) {
    if (k->oshape[d] == 1) continue;
    Stmt *l = loop(n, d);
    if (st_push(a, at, l)) return NULL;
    at = l;
  }
  Stmt *st = st_new(a, ST_STORE);
  if (!st) return NULL;
  st->buf = k->out;
  st->idx = out_flat(a, k);
  bool arg = k->rop == OP_ARGMAX || k->rop == OP_ARGMIN;
  Stmt *in = at;
  if (k->nred) {
    Stmt *acc = st_new(a, ST_LOCAL), *best = NULL;
    if (!acc) return NULL;
    n->acc = acc->slot = nest_local(n, LV_ACC, arg ? DT_I64 : k->accdt, 0);
    acc->e = arg ? ex_const_i(a, 0) : acc_init(a, k->accdt, k->rop);
    if (arg) {
      best = st_new(a, ST_LOCAL);
      if (!best) return NULL;
      best->slot = nest_local(n, LV_BEST, k->accdt, 0);
      best->e = ex_const(a, k->accdt, 0, 0);
      if (st_push(a, at, best)) return NULL;
    }
    if (st_push(a, at, acc)) return NULL;
    for (int d = 0; d < k->nred; d++) {
      if (k->rshape[d] == 1) continue;
      Stmt *l = loop(n, k->nout + d);
      if (st_push(a, in, l)) return NULL;
      in = l;
    }
    st->e = k->post && !arg ? k->post : ex_acc(a, arg ? DT_I64 : k->accdt);
  } else {
    st->e = k->body;
  }
  for (int j = 0; j < k->nlets; j++) {
    Stmt *df = st_new(a, ST_DEF);
    if (!df) return NULL;
    df->slot = j;
    df->e = k->lets[j]->def;
    if (st_push(a, in, df)) return NULL;
  }
  if (k->nred) {
    Stmt *u = st_new(a, ST_UPDATE);
    if (!u) return NULL;
    u->slot = n->acc;
    u->rop = k->rop;
    u->e = k->body;
    u->select_last = k->select_last;
    if (arg) {
      u->best = n->nlocals - 1;
      u->arg = ex_var(a, k->nout, k->rshape[0]);
    }
    if (st_push(a, in, u)) return NULL;
  }
  if (st_push(a, at, st)) return NULL;
  return n;
}

/* --------------------------------------------------- walking and copying */
/* Every expression slot of a statement, for visitors and substitution. */
static int exprs_of(Stmt *s, Expr **slots[3]) {
  int m = 0;
  if (s->e) slots[m++] = &s->e;
  if (s->idx) slots[m++] = &s->idx;
  if (s->arg) slots[m++] = &s->arg;
  return m;
}

/* a deep copy of s with every expression substituted (sub indexed by
 * variable; NULL entries keep the variable) */
static Stmt *clone(Nest *n, const Stmt *s, Expr **sub) {
  Stmt *c = st_new(n->a, s->kind);
  if (!c) return NULL;
  *c = *s;
  c->s = NULL;
  c->n = c->cap = 0;
  if (sub) {
    if (s->e && !(c->e = ex_subst(n->a, s->e, sub, NULL))) return NULL;
    if (s->idx && !(c->idx = ex_subst(n->a, s->idx, sub, NULL))) return NULL;
    if (s->arg && !(c->arg = ex_subst(n->a, s->arg, sub, NULL))) return NULL;
  }
  for (int i = 0; i < s->n; i++)
    if (st_push(n->a, c, clone(n, s->s[i], sub))) return NULL;
  return c;
}

static Expr **new_sub(Nest *n) { return arena_alloc(n->a, sizeof(Expr *) * (size_t)(n->nvars + 1)); }

static int find_loops(Stmt *s, Stmt **loops, Stmt **par, int *pos, int max, int *m) {
  for (int i = 0; i < s->n; i++) {
    Stmt *c = s->s[i];
    if (c->kind == ST_LOOP && *m < max) {
      loops[*m] = c;
      if (par) par[*m] = s;
      if (pos) pos[*m] = i;
      (*m)++;
    }
    find_loops(c, loops, par, pos, max, m);
  }
  return *m;
}

int nest_loops(Nest *n, Stmt **loops, Stmt **parent, int *pos, int max) {
  int m = 0;
  return find_loops(n->root, loops, parent, pos, max, &m);
}

/* replace parent->s[pos] by the statements of seq (in place) */
static int splice(Nest *n, Stmt *parent, int pos, Stmt *seq) {
  Stmt **s = arena_alloc(n->a, sizeof(Stmt *) * (size_t)(parent->n + seq->n));
  if (!s) return -1;
  int m = 0;
  for (int i = 0; i < pos; i++) s[m++] = parent->s[i];
  for (int i = 0; i < seq->n; i++) s[m++] = seq->s[i];
  for (int i = pos + 1; i < parent->n; i++) s[m++] = parent->s[i];
  parent->s = s;
  parent->n = parent->cap = m;
  return 0;
}

/* ------------------------------------------------------------ verifying */
typedef struct {
  const Nest *n;
  Diags *d;
  const char *after;
  bool *bound;   /* by variable */
  bool *defined; /* by local */
  int guarded;   /* inside an IF: indices need not be provably in bounds */
  bool bad;
} V;

static void fail(V *v, const char *what) {
  if (v->bad) return;
  diag_error(v->d, (Loc){0}, "internal (after rewrite %s): kernel %s (%s): %s", v->after, v->n->k->name ? v->n->k->name : "?",
             v->n->k->origin ? v->n->k->origin : "?", what);
  v->bad = true;
}

static void vexpr(V *v, const Expr *e, int depth) {
  if (!e || v->bad || depth > 200) return;
  switch (e->kind) {
  case E_VAR:
    if (e->i < 0 || e->i >= v->n->nvars || !v->bound[e->i]) fail(v, arena_printf(v->n->a, "variable %lld used outside its loop", (long long)e->i));
    else if (e->lo < v->n->vars[e->i].lo || e->hi > v->n->vars[e->i].hi)
      fail(v, arena_printf(v->n->a, "variable %lld claims [%lld,%lld] outside its loop's range", (long long)e->i,
                           (long long)e->lo, (long long)e->hi));
    break;
  case E_TMP:
    if (e->i < 0 || e->i >= v->n->nlocals || !v->defined[e->i]) fail(v, arena_printf(v->n->a, "local %lld read before it is defined", (long long)e->i));
    else if (!e->a[0] != (v->n->locals[e->i].kind != LV_ARRAY)) fail(v, "array local read without an index (or a scalar with one)");
    else if (e->a[0] && !v->guarded && (e->a[0]->lo < 0 || e->a[0]->hi >= v->n->locals[e->i].n)) fail(v, "array local read out of bounds");
    vexpr(v, e->a[0], depth + 1);
    break;
  case E_ACC:
    if (v->n->acc < 0 || !v->defined[v->n->acc]) fail(v, "accumulator read before it is declared");
    break;
  case E_LOAD:
    for (int i = 0; i < e->nidx; i++) vexpr(v, e->idx[i], depth + 1);
    break;
  default:
    for (int i = 0; i < 3; i++) vexpr(v, e->a[i], depth + 1);
  }
}

static void vstmt(V *v, const Stmt *s) {
  if (v->bad) return;
  const Nest *n = v->n;
  switch (s->kind) {
  case ST_LOOP:
    if (s->var < 0 || s->var >= n->nvars || v->bound[s->var]) { fail(v, "loop variable rebound"); return; }
    if (s->lo != n->vars[s->var].lo || s->hi != n->vars[s->var].hi + 1) fail(v, "loop bounds differ from its variable's range");
    break;
  case ST_BIND:
    if (s->var < 0 || s->var >= n->nvars || v->bound[s->var]) { fail(v, "bound variable rebound"); return; }
    vexpr(v, s->e, 0);
    if (!v->guarded && (s->e->lo < n->vars[s->var].lo || s->e->hi > n->vars[s->var].hi))
      fail(v, "binding outside its variable's range");
    v->bound[s->var] = true;
    return;
  case ST_IF: vexpr(v, s->e, 0); break;
  case ST_DEF: case ST_LOCAL:
    vexpr(v, s->e, 0);
    if (s->slot < 0 || s->slot >= n->nlocals) fail(v, "definition of an unknown local");
    else v->defined[s->slot] = true;
    return;
  case ST_UPDATE: case ST_STORE:
    vexpr(v, s->e, 0);
    vexpr(v, s->idx, 0);
    vexpr(v, s->arg, 0);
    if (!s->buf && (s->slot < 0 || s->slot >= n->nlocals || !v->defined[s->slot])) fail(v, "update of an undeclared local");
    if (!s->buf && !v->guarded && s->slot >= 0 && s->slot < n->nlocals && n->locals[s->slot].kind == LV_ARRAY &&
        (!s->idx || s->idx->lo < 0 || s->idx->hi >= n->locals[s->slot].n))
      fail(v, "array local written out of bounds");
    if (s->buf && s->buf != n->k->out) fail(v, "store into a buffer other than the kernel's output");
    if (s->buf && s->idx && !v->guarded && (s->idx->lo < 0 || s->idx->hi >= shape_numel(s->buf->rank, s->buf->shape)) &&
        shape_numel(s->buf->rank, s->buf->shape) > 0)
      fail(v, "store whose index is not provably in bounds");
    return;
  case ST_SEQ: break;
  }
  /* a body: its own scope for locals and loop variables */
  bool *sb = v->bound, *sd = v->defined;
  bool nb[1024], nd[1024];
  if (n->nvars > 1024 || n->nlocals > 1024) { fail(v, "too many variables or locals"); return; }
  memcpy(nb, sb, (size_t)n->nvars);
  memcpy(nd, sd, (size_t)n->nlocals);
  v->bound = nb;
  v->defined = nd;
  if (s->kind == ST_LOOP) nb[s->var] = true;
  v->guarded += s->kind == ST_IF;
  for (int i = 0; i < s->n; i++) vstmt(v, s->s[i]);
  v->guarded -= s->kind == ST_IF;
  v->bound = sb;
  v->defined = sd;
  if (s->kind == ST_SEQ && !s->scope) /* an unscoped sequence defines into its parent */
    for (int i = 0; i < n->nlocals; i++) sd[i] |= nd[i];
}

int nest_verify(const Nest *n, const char *after, Diags *d) {
  bool b[1024] = {0}, df[1024] = {0};
  V v = {.n = n, .d = d, .after = after, .bound = b, .defined = df};
  if (n->nvars > 1024 || n->nlocals > 1024) {
    fail(&v, "too many variables or locals");
    return -1;
  }
  vstmt(&v, n->root);
  return v.bad ? -1 : 0;
}

/* ------------------------------------------------------------- printing */
static void pexpr(Buf *b, const Nest *n, const Expr *e, int depth) {
  if (!e) return;
  if (depth > 6) {
    buf_puts(b, "...");
    return;
  }
  switch (e->kind) {
  case E_CONST:
    if (dtype_info[e->dt].is_float) buf_printf(b, "%g", e->f);
    else buf_printf(b, "%lld", (long long)e->i);
    return;
  case E_VAR: buf_printf(b, "j%lld", (long long)e->i); return;
  case E_ACC: buf_puts(b, "acc"); return;
  case E_TMP:
    buf_printf(b, "t%lld", (long long)e->i);
    if (e->a[0]) {
      buf_puts(b, "[");
      pexpr(b, n, e->a[0], depth + 1);
      buf_puts(b, "]");
    }
    return;
  case E_LOAD:
    buf_printf(b, "%s[", e->buf->name ? e->buf->name : "?");
    for (int i = 0; i < e->nidx; i++) {
      if (i) buf_puts(b, ",");
      pexpr(b, n, e->idx[i], depth + 1);
    }
    buf_puts(b, "]");
    return;
  case E_ALU: break;
  }
  buf_printf(b, "%s(", op_name[e->op]);
  for (int i = 0; i < 3 && e->a[i]; i++) {
    if (i) buf_puts(b, ", ");
    pexpr(b, n, e->a[i], depth + 1);
  }
  buf_puts(b, ")");
}

static void pstmt(Buf *b, const Nest *n, const Stmt *s, int ind) {
  for (int i = 0; i < ind; i++) buf_puts(b, "  ");
  switch (s->kind) {
  case ST_SEQ: buf_puts(b, s->scope ? "{\n" : "seq\n"); break;
  case ST_LOOP:
    buf_printf(b, "for j%d in [%lld, %lld) %s\n", s->var, (long long)s->lo, (long long)s->hi, loop_kind_name[s->lk]);
    break;
  case ST_IF: buf_puts(b, "if "); pexpr(b, n, s->e, 0); buf_puts(b, "\n"); break;
  case ST_BIND: buf_printf(b, "j%d = ", s->var); pexpr(b, n, s->e, 0); buf_puts(b, "\n"); break;
  case ST_DEF: buf_printf(b, "t%d = ", s->slot); pexpr(b, n, s->e, 0); buf_puts(b, "\n"); break;
  case ST_LOCAL:
    buf_printf(b, "local t%d %s", s->slot, dtype_info[n->locals[s->slot].dt].name);
    if (n->locals[s->slot].n) buf_printf(b, "[%lld]", (long long)n->locals[s->slot].n);
    if (s->e) { buf_puts(b, " = "); pexpr(b, n, s->e, 0); }
    buf_puts(b, "\n");
    break;
  case ST_UPDATE: case ST_STORE:
    if (s->buf) buf_printf(b, "%s[", s->buf->name ? s->buf->name : "?");
    else buf_printf(b, "t%d%s", s->slot, s->idx ? "[" : "");
    if (s->idx) { pexpr(b, n, s->idx, 0); buf_puts(b, "]"); }
    if (s->kind == ST_STORE) buf_puts(b, " = ");
    else buf_printf(b, " %s= ", op_name[s->rop]);
    pexpr(b, n, s->e, 0);
    buf_puts(b, "\n");
    break;
  }
  for (int i = 0; i < s->n; i++) pstmt(b, n, s->s[i], ind + 1);
  if (s->kind == ST_SEQ && s->scope) {
    for (int i = 0; i < ind; i++) buf_puts(b, "  ");
    buf_puts(b, "}\n");
  }
}

void nest_print(Buf *b, const Nest *n, int ind) {
  for (int i = 0; i < n->root->n; i++) pstmt(b, n, n->root->s[i], ind);
}

/* ------------------------------------------------------------ simplify */
static bool is_const(const Expr *e, int64_t *v) {
  if (!e || e->kind != E_CONST || dtype_info[e->dt].is_float) return false;
  *v = e->i;
  return true;
}

/* IFs decided by ranges vanish (true: their body joins the parent; false:
 * gone); an empty loop over a non-empty range goes too. */
static int simp(Nest *n, Stmt *s) {
  for (int i = 0; i < s->n; i++) {
    Stmt *c = s->s[i];
    if (simp(n, c)) return -1;
    int64_t v;
    if (c->kind == ST_IF && is_const(c->e, &v)) {
      Stmt body = {.kind = ST_SEQ, .n = v ? c->n : 0, .s = c->s};
      if (splice(n, s, i, &body)) return -1;
      i += body.n - 1;
    } else if (c->kind == ST_LOOP && c->n == 0) {
      Stmt none = {.kind = ST_SEQ};
      if (splice(n, s, i, &none)) return -1;
      i--;
    }
  }
  return 0;
}

/* for v { if v + c < b { B } } -> for v in [lo, b - c) { B }: the bounds
 * test of a split's tail becomes the tail loop's extent */
static int tighten(Nest *n, Stmt *s) {
  for (int i = 0; i < s->n; i++)
    if (tighten(n, s->s[i])) return -1;
  if (s->kind != ST_LOOP || s->n != 1 || s->s[0]->kind != ST_IF) return 0;
  const Expr *c = s->s[0]->e, *x = c->a[0];
  int64_t b, k = 0;
  if (c->kind != E_ALU || c->op != OP_CMPLT || !is_const(c->a[1], &b)) return 0;
  if (x->kind == E_ALU && x->op == OP_ADD && is_const(x->a[1], &k)) x = x->a[0];
  if (x->kind != E_VAR || x->i != s->var || b - k <= s->lo || b - k >= s->hi) return 0;
  int v = nest_var(n, s->lo, b - k - 1);
  Expr **sub = arena_alloc(n->a, sizeof(Expr *) * (size_t)(n->nvars + 1));
  if (v < 0 || !sub) return -1;
  sub[s->var] = nest_var_expr(n, v);
  Stmt *g = s->s[0];
  s->var = v;
  s->hi = b - k;
  s->s = NULL;
  s->n = s->cap = 0;
  for (int i = 0; i < g->n; i++)
    if (st_push(n->a, s, clone(n, g->s[i], sub))) return -1;
  return 0;
}

void nest_simplify(Nest *n) {
  simp(n, n->root);
  tighten(n, n->root);
  simp(n, n->root);
}

/* ------------------------------------------------------------- rewrites */
/* v -> vo*f + vi. When f does not divide the extent, the body is guarded by
 * vo*f + vi < hi (nest_hoist_guards can then peel the tail). */
/* the split itself, for nest_split and nest_gpu_tile: the inner loop gets
 * kind `inner`; *vo_out / *vi_out the new variables */
static int split_core(Nest *n, Stmt *l, int64_t f, LoopKind inner_kind, int *vo_out, int *vi_out) {
  int64_t lo = l->lo, ext = l->hi - l->lo, no = (ext + f - 1) / f;
  int vo = nest_var(n, 0, no > 0 ? no - 1 : -1), vi = nest_var(n, 0, f - 1);
  Expr **sub = new_sub(n);
  if (vo < 0 || vi < 0 || !sub) return -1;
  Expr *x = ex_add(n->a, ex_add(n->a, ex_mul(n->a, nest_var_expr(n, vo), ex_const_i(n->a, f)), nest_var_expr(n, vi)),
                   ex_const_i(n->a, lo));
  sub[l->var] = x;
  Stmt *inner = loop(n, vi), *body = inner;
  if (!inner) return -1;
  inner->lk = inner_kind;
  if (ext % f) {
    Stmt *g = st_new(n->a, ST_IF);
    if (!g || st_push(n->a, inner, g)) return -1;
    g->e = ex_lt(n->a, x, ex_const_i(n->a, l->hi));
    body = g;
  }
  for (int i = 0; i < l->n; i++)
    if (st_push(n->a, body, clone(n, l->s[i], sub))) return -1;
  *vo_out = vo, *vi_out = vi;
  l->var = vo;
  l->lo = 0;
  l->hi = no;
  l->s = NULL;
  l->n = l->cap = 0;
  return st_push(n->a, l, inner);
}

int nest_split(Nest *n, Stmt *l, int64_t f) {
  int64_t ext = l->hi - l->lo;
  int vo, vi, v = l->var;
  if (l->kind != ST_LOOP || l->lk >= LK_GPU_GLOBAL || f < 2 || ext <= f) return 1;
  if (split_core(n, l, f, LK_SERIAL, &vo, &vi)) return -1;
  note(n, arena_printf(n->a, "split j%d by %lld -> j%d j%d%s", v, (long long)f, vo, vi, ext % f ? " (guarded)" : ""));
  return 0;
}

/* for a { for b { B } } -> for b { for a { B } }: legal because loops of a
 * nest never carry a dependence other than a reduction's accumulator, and
 * a reduction in any order is a reduction (floats: reassociated). */
int nest_reorder(Nest *n, Stmt *l) {
  if (l->kind != ST_LOOP || l->n != 1 || l->s[0]->kind != ST_LOOP) return 1;
  Stmt *m = l->s[0];
  if (l->lk >= LK_GPU_GLOBAL || m->lk >= LK_GPU_GLOBAL) return 1;
  Stmt t = *l;
  l->var = m->var, l->lo = m->lo, l->hi = m->hi, l->lk = m->lk;
  m->var = t.var, m->lo = t.lo, m->hi = t.hi, m->lk = t.lk;
  note(n, arena_printf(n->a, "reorder j%d inside j%d", m->var, l->var));
  return 0;
}

/* for a { for b { B } } -> for f in [0, |a|*|b|) { a = lo_a + f / |b|;
 * b = lo_b + f % |b|; B }: one loop where there were two (fewer loop
 * overheads for short inner extents; the GPU mapping collapses the output
 * loops the same way) */
int nest_fuse(Nest *n, Stmt *l) {
  if (l->kind != ST_LOOP || l->n != 1 || l->s[0]->kind != ST_LOOP) return 1;
  Stmt *m = l->s[0];
  int64_t ea = l->hi - l->lo, eb = m->hi - m->lo;
  if (l->lk >= LK_GPU_GLOBAL || m->lk >= LK_GPU_GLOBAL || ea < 1 || eb < 1 || ea > INT32_MAX / eb) return 1;
  int f = nest_var(n, 0, ea * eb - 1);
  Stmt *ba = st_new(n->a, ST_BIND), *bb = st_new(n->a, ST_BIND);
  if (f < 0 || !ba || !bb) return -1;
  Expr *fx = nest_var_expr(n, f);
  ba->var = l->var;
  ba->e = ex_add(n->a, ex_div(n->a, fx, eb), ex_const_i(n->a, l->lo));
  bb->var = m->var;
  bb->e = ex_add(n->a, ex_mod(n->a, fx, eb), ex_const_i(n->a, m->lo));
  Stmt **body = m->s;
  int nb = m->n;
  note(n, arena_printf(n->a, "fuse j%d and j%d into j%d", l->var, m->var, f));
  l->var = f, l->lo = 0, l->hi = ea * eb, l->lk = LK_SERIAL;
  l->s = NULL, l->n = l->cap = 0;
  if (st_push(n->a, l, ba) || st_push(n->a, l, bb)) return -1;
  for (int i = 0; i < nb; i++)
    if (st_push(n->a, l, body[i])) return -1;
  return 0;
}

/* one scoped copy of the body per iteration, the variable a constant */
int nest_unroll(Nest *n, Stmt *par, int pos) {
  Stmt *l = par->s[pos];
  int64_t ext = l->hi - l->lo;
  if (l->kind != ST_LOOP || l->lk >= LK_GPU_GLOBAL || ext < 1 || ext > 16) return 1;
  Stmt *seq = st_new(n->a, ST_SEQ);
  Expr **sub = new_sub(n);
  if (!seq || !sub) return -1;
  for (int64_t it = l->lo; it < l->hi; it++) {
    Stmt *c = st_new(n->a, ST_SEQ);
    if (!c) return -1;
    c->scope = true;
    sub[l->var] = ex_const_i(n->a, it);
    for (int i = 0; i < l->n; i++)
      if (st_push(n->a, c, clone(n, l->s[i], sub))) return -1;
    if (st_push(n->a, seq, c)) return -1;
  }
  note(n, arena_printf(n->a, "unroll j%d (%lld copies)", l->var, (long long)ext));
  if (splice(n, par, pos, seq)) return -1;
  nest_simplify(n);
  return 0;
}

/* the loop over [lo, hi) of par->s[pos] as consecutive pieces [cuts[i],
 * cuts[i+1]), each with a variable of its own range: ranges then decide
 * what they can in each piece */
static int pieces(Nest *n, Stmt *par, int pos, const int64_t *cuts, int ncut, Stmt **out) {
  Stmt *l = par->s[pos];
  Stmt *seq = st_new(n->a, ST_SEQ);
  if (!seq) return -1;
  for (int p = 0; p + 1 < ncut; p++) {
    if (cuts[p + 1] <= cuts[p]) continue;
    int v = nest_var(n, cuts[p], cuts[p + 1] - 1);
    Expr **sub = new_sub(n);
    if (v < 0 || !sub) return -1;
    sub[l->var] = nest_var_expr(n, v);
    /* one iteration: no loop, the variable is a constant already (its
     * range is one value), a scoped block holds the body */
    bool one = cuts[p + 1] - cuts[p] == 1;
    Stmt *piece = one ? st_new(n->a, ST_SEQ) : loop(n, v);
    if (!piece) return -1;
    piece->scope = one;
    piece->lk = l->lk;
    for (int i = 0; i < l->n; i++)
      if (st_push(n->a, piece, clone(n, l->s[i], sub))) return -1;
    if (st_push(n->a, seq, piece)) return -1;
  }
  if (out) *out = seq;
  return splice(n, par, pos, seq);
}

/* comparisons in s that still test variable v */
static bool has_var(const Expr *e, int v, int depth) {
  if (!e || depth > 64) return false;
  if (e->kind == E_VAR) return e->i == v;
  if (e->kind == E_LOAD) {
    for (int i = 0; i < e->nidx; i++)
      if (has_var(e->idx[i], v, depth + 1)) return true;
    return false;
  }
  for (int i = 0; i < 3; i++)
    if (has_var(e->a[i], v, depth + 1)) return true;
  return false;
}

static int count_tests(const Expr *e, int v, int depth) {
  if (!e || depth > 64) return 0;
  int c = 0;
  if (e->kind == E_ALU && op_info[e->op].result == R_BOOL && op_arity[e->op] == 2 && e->a[0]->dt == DT_I64 &&
      (has_var(e->a[0], v, 0) || has_var(e->a[1], v, 0)))
    c++;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++) c += count_tests(e->idx[i], v, depth + 1);
  for (int i = 0; i < 3; i++) c += count_tests(e->a[i], v, depth + 1);
  return c;
}

static int tests_in(Nest *n, const Stmt *s, Expr **sub, int nv) {
  int c = 0;
  Expr **slots[3];
  int m = exprs_of((Stmt *)s, slots);
  for (int i = 0; i < m; i++) {
    Expr *e = sub ? ex_subst(n->a, *slots[i], sub, NULL) : *slots[i];
    if (e) c += count_tests(e, nv, 0);
  }
  for (int i = 0; i < s->n; i++) c += tests_in(n, s->s[i], sub, nv);
  return c;
}

/* Index-set splitting: find the interior [lo+a, hi-b) (a, b <= 8) in which
 * range analysis decides the most bounds tests on the loop's variable, and
 * split the loop into border, interior and border pieces. */
/* the border widths *ba, *bb (<= 8 each) that leave l's interior with the
 * fewest bounds tests on its variable: 0, or 1 when no split decides any
 * (*all: the tests, *best: those left in the interior) */
static int guard_interior(Nest *n, Stmt *l, int *ba, int *bb, int *all, int *best) {
  int64_t ext = l->hi - l->lo;
  if (l->kind != ST_LOOP || l->lk >= LK_GPU_GLOBAL || ext < 2) return 1;
  *all = tests_in(n, l, NULL, l->var);
  if (!*all) return 1;
  *best = *all, *ba = 0, *bb = 0;
  int64_t lim = ext / 2 < 8 ? ext / 2 : 8;
  int probe = nest_var(n, 0, 0);
  Expr **sub = new_sub(n);
  if (probe < 0 || !sub) return -1;
  for (int64_t a = 0; a <= lim; a++)
    for (int64_t b = 0; b <= lim; b++) {
      if (a + b >= ext || (!a && !b)) continue;
      n->vars[probe] = (NVar){l->lo + a, l->hi - b - 1};
      sub[l->var] = nest_var_expr(n, probe);
      int c = tests_in(n, l, sub, probe);
      if (c < *best || (c == *best && c < *all && a + b < *ba + *bb)) *best = c, *ba = (int)a, *bb = (int)b;
    }
  n->vars[probe] = (NVar){0, 0};
  return *best == *all;
}

int nest_hoist_guards(Nest *n, Stmt *par, int pos) {
  Stmt *l = par->s[pos];
  int ba, bb, all, best, r = guard_interior(n, l, &ba, &bb, &all, &best);
  if (r) return r;
  int64_t cuts[4] = {l->lo, l->lo + ba, l->hi - bb, l->hi};
  note(n, arena_printf(n->a, "hoist guards of j%d: interior [%lld, %lld), %d of %d tests decided", l->var,
                       (long long)cuts[1], (long long)cuts[2], all - best, all));
  if (pieces(n, par, pos, cuts, 4, NULL)) return -1;
  nest_simplify(n);
  return 0;
}

/* split by lanes with the tail peeled: every vector loop has exactly
 * `lanes` iterations and no guard */
int nest_vectorize(Nest *n, Stmt *par, int pos, int lanes) {
  Stmt *l = par->s[pos];
  int64_t ext = l->hi - l->lo;
  if (l->kind != ST_LOOP || l->lk >= LK_GPU_GLOBAL || ext < lanes) return 1;
  int64_t full = ext / lanes * lanes;
  int64_t cuts[3] = {l->lo, l->lo + full, l->hi};
  Stmt *seq;
  if (pieces(n, par, pos, cuts, 3, &seq)) return -1;
  Stmt *body = seq->s[0];
  note(n, arena_printf(n->a, "vectorize j%d by %d%s", l->var, lanes, full < ext ? " (tail peeled)" : ""));
  int r = nest_split(n, body, lanes);
  if (r < 0) return -1;
  if (r == 0) body->s[0]->lk = LK_VECTOR;
  else if (body->kind == ST_LOOP) body->lk = LK_VECTOR; /* exactly `lanes` iterations */
  return 0;
}

/* A load in l's body whose index depends on l's variable and on nothing
 * defined inside l, and is in bounds over l's whole range: copy that tile
 * into a local array before the loop and read it from there. */
static const Expr *stage_candidate(const Expr *e, const Stmt *l, const bool *inner, int depth);

static bool index_ok(const Expr *e, const bool *inner, int depth) {
  if (!e || depth > 64) return true;
  if (e->kind == E_VAR) return !inner[e->i];
  if (e->kind == E_TMP || e->kind == E_ACC) return false;
  if (e->kind == E_LOAD) {
    for (int i = 0; i < e->nidx; i++)
      if (!index_ok(e->idx[i], inner, depth + 1)) return false;
    return true;
  }
  for (int i = 0; i < 3; i++)
    if (!index_ok(e->a[i], inner, depth + 1)) return false;
  return true;
}

static const Expr *stage_candidate(const Expr *e, const Stmt *l, const bool *inner, int depth) {
  if (!e || depth > 64) return NULL;
  if (e->kind == E_LOAD) {
    bool ok = e->buf->dt != DT_STRING, dep = false;
    for (int d = 0; d < e->nidx && ok; d++) {
      ok = index_ok(e->idx[d], inner, 0) && e->idx[d]->lo >= 0 && e->idx[d]->hi < e->buf->shape[d];
      dep |= has_var(e->idx[d], l->var, 0);
    }
    if (ok && dep) return e;
    for (int d = 0; d < e->nidx; d++) {
      const Expr *c = stage_candidate(e->idx[d], l, inner, depth + 1);
      if (c) return c;
    }
    return NULL;
  }
  for (int i = 0; i < 3; i++) {
    const Expr *c = stage_candidate(e->a[i], l, inner, depth + 1);
    if (c) return c;
  }
  return NULL;
}

static void mark_inner(const Stmt *s, bool *inner) {
  if (s->kind == ST_LOOP || s->kind == ST_BIND) inner[s->var] = true;
  for (int i = 0; i < s->n; i++) mark_inner(s->s[i], inner);
}

static const Expr *find_stage(const Stmt *s, const Stmt *l, const bool *inner) {
  Expr **slots[3];
  int m = exprs_of((Stmt *)s, slots);
  for (int i = 0; i < m; i++) {
    const Expr *c = stage_candidate(*slots[i], l, inner, 0);
    if (c) return c;
  }
  for (int i = 0; i < s->n; i++) {
    const Expr *c = find_stage(s->s[i], l, inner);
    if (c) return c;
  }
  return NULL;
}

static int replace_in(Nest *n, Stmt *s, const Expr *from, Expr *to) {
  Expr **slots[3];
  int m = exprs_of(s, slots);
  for (int i = 0; i < m; i++)
    if (!(*slots[i] = ex_replace(n->a, *slots[i], from, to))) return -1;
  for (int i = 0; i < s->n; i++)
    if (replace_in(n, s->s[i], from, to)) return -1;
  return 0;
}

int nest_stage(Nest *n, Stmt *par, int pos) {
  Stmt *l = par->s[pos];
  int64_t ext = l->hi - l->lo;
  if (l->kind != ST_LOOP || l->lk >= LK_GPU_GLOBAL || ext < 2 || ext > 4096 || n->nvars > 1000) return 1;
  bool inner[1024] = {0};
  mark_inner(l, inner);
  inner[l->var] = false;
  const Expr *ld = NULL;
  for (int i = 0; i < l->n && !ld; i++) ld = find_stage(l->s[i], l, inner);
  if (!ld || ld->buf == n->k->out) return 1;
  int slot = nest_local(n, LV_ARRAY, ld->dt, ext);
  int v = nest_var(n, l->lo, l->hi - 1);
  Expr **sub = new_sub(n);
  if (slot < 0 || v < 0 || !sub) return -1;
  /* for v in range: tile[v - lo] = load[l->var := v] */
  Stmt *decl = st_new(n->a, ST_LOCAL), *fill = loop(n, v), *st = st_new(n->a, ST_STORE);
  if (!decl || !fill || !st) return -1;
  decl->slot = slot;
  sub[l->var] = nest_var_expr(n, v);
  st->slot = slot;
  st->idx = ex_add(n->a, nest_var_expr(n, v), ex_const_i(n->a, -l->lo));
  st->e = ex_subst(n->a, (Expr *)ld, sub, NULL);
  Expr *rd = ex_local(n->a, slot, ld->dt, ex_add(n->a, nest_var_expr(n, l->var), ex_const_i(n->a, -l->lo)));
  if (!st->idx || !st->e || !rd || st_push(n->a, fill, st)) return -1;
  if (replace_in(n, l, ld, rd)) return -1;
  Stmt *seq = st_new(n->a, ST_SEQ);
  if (!seq || st_push(n->a, seq, decl) || st_push(n->a, seq, fill) || st_push(n->a, seq, l)) return -1;
  note(n, arena_printf(n->a, "stage %s over j%d into local t%d[%lld]", ld->buf->name ? ld->buf->name : "?", l->var, slot,
                       (long long)ext));
  return splice(n, par, pos, seq);
}

/* copies of the loops chain[0..nc) (same variables and ranges), nested;
 * *inner gets the innermost */
static Stmt *nest_copy(Nest *n, Stmt *const *chain, int nc, Stmt **inner) {
  Stmt *outer = NULL, *at = NULL;
  for (int c = 0; c < nc; c++) {
    Stmt *x = loop(n, chain[c]->var);
    if (!x) return NULL;
    x->lo = chain[c]->lo, x->hi = chain[c]->hi;
    if (at && st_push(n->a, at, x)) return NULL;
    if (!outer) outer = x;
    at = x;
  }
  *inner = at;
  return outer;
}

/* Scalar expansion + interchange. l's body holds an accumulator (ST_LOCAL
 * of the nest's acc), the reduction loops updating it, and the store that
 * uses it. Afterwards l runs three times: initialize one accumulator per
 * iteration (a local array, or the output itself), run the reduction
 * outside a copy of l, then finish each iteration (post + store). Each
 * reduction step then serves every iteration of l from cache, and the
 * innermost loop is l's: unit stride when l walks the output. */
static int expand(Nest *n, Stmt *l, bool into_output, int depth) {
  if (l->kind != ST_LOOP || l->lk >= LK_GPU_GLOBAL || n->acc < 0 || depth < 1 || depth > 4) return 1;
  const Kernel *k = n->k;
  if (k->rop == OP_ARGMAX || k->rop == OP_ARGMIN) return 1;
  /* l and the loops that are each one's whole body, depth in all */
  Stmt *chain[4];
  int nc = 0;
  for (Stmt *at = l;; at = at->s[0]) {
    if (at->kind != ST_LOOP || at->lk >= LK_GPU_GLOBAL) return 1;
    chain[nc++] = at;
    if (nc == depth) break;
    if (at->n != 1) return 1;
  }
  Stmt *in = chain[nc - 1];
  /* body: [local acc] [reduction loops...] [store], nothing else */
  if (in->n != 3 || in->s[0]->kind != ST_LOCAL || in->s[0]->slot != n->acc || in->s[2]->kind != ST_STORE ||
      in->s[1]->kind != ST_LOOP)
    return 1;
  if (into_output && (depth > 1 || k->accdt != k->out->dt || k->rop != OP_RSUM || l->var >= k->nout)) return 1;
  /* the accumulator of an iteration: j = sum (v_c - lo_c) * stride_c */
  int64_t ext = 1;
  for (int c = nc - 1; c >= 0; c--) ext *= chain[c]->hi - chain[c]->lo;
  Expr *j = ex_const_i(n->a, 0);
  for (int c = 0; c < nc; c++) {
    int64_t e = chain[c]->hi - chain[c]->lo;
    j = ex_add(n->a, ex_mul(n->a, j, ex_const_i(n->a, e)),
               ex_add(n->a, nest_var_expr(n, chain[c]->var), ex_const_i(n->a, -chain[c]->lo)));
    if (!j) return -1;
  }
  Stmt *init = in->s[0], *red = in->s[1], *store = in->s[2];
  int arr = -1;
  Stmt *decl = NULL;
  if (!into_output) {
    arr = nest_local(n, LV_ARRAY, k->accdt, ext);
    decl = st_new(n->a, ST_LOCAL);
    if (arr < 0 || !decl) return -1;
    decl->slot = arr;
  }
  /* the update inside the reduction: acc -> arr[j] or out[idx] */
  Stmt *u = red;
  while (u && u->kind == ST_LOOP) u = u->n ? u->s[u->n - 1] : NULL;
  if (!u || u->kind != ST_UPDATE || u->slot != n->acc) return 1;
  /* the innermost reduction loop's body becomes a loop nest over copies of
   * the chain; the three nests over the chain's ranges run one after
   * another: they share its variables */
  Stmt *deep = red;
  while (deep->n && deep->s[deep->n - 1]->kind == ST_LOOP) deep = deep->s[deep->n - 1];
  /* in the update the tile's first loop goes innermost (a short loop over
   * rows a compiler unrolls, vectorizing the next one: one load of a W row
   * serves every row of the tile) */
  Stmt *rev[4];
  for (int c = 0; c < nc; c++) rev[c] = nc > 1 ? chain[(c + 1) % nc] : chain[c];
  Stmt *mid_in, *mid = nest_copy(n, rev, nc, &mid_in);
  if (!mid) return -1;
  if (into_output) {
    u->buf = k->out;
    u->idx = store->idx;
  } else {
    u->idx = j;
  }
  u->slot = arr;
  for (int i = 0; i < deep->n; i++)
    if (st_push(n->a, mid_in, clone(n, deep->s[i], NULL))) return -1;
  deep->s = NULL;
  deep->n = deep->cap = 0;
  if (st_push(n->a, deep, mid)) return -1;
  /* initialization over the chain */
  Stmt *ist = st_new(n->a, ST_STORE);
  if (!ist) return -1;
  ist->e = init->e;
  if (into_output) ist->buf = k->out, ist->idx = store->idx;
  else ist->slot = arr, ist->idx = j;
  Stmt *first_in, *first = nest_copy(n, chain, nc, &first_in);
  if (!first || st_push(n->a, first_in, ist)) return -1;
  /* epilogue over the chain: acc = arr[j] (or the stored sum); store post */
  Stmt *last_in, *last = nest_copy(n, chain, nc, &last_in), *a = st_new(n->a, ST_DEF);
  if (!last || !a) return -1;
  a->slot = n->acc;
  if (into_output) {
    a->e = out_load(n->a, k);
  } else {
    a->e = ex_local(n->a, arr, k->accdt, j);
  }
  bool plain = store->e->kind == E_ACC;
  if (!(into_output && plain)) { /* a sum in place with no post is already stored */
    if (!a->e || st_push(n->a, last_in, a) || st_push(n->a, last_in, store)) return -1;
  }
  Stmt *seq = st_new(n->a, ST_SEQ);
  if (!seq || (decl && st_push(n->a, seq, decl)) || st_push(n->a, seq, first)) return -1;
  if (st_push(n->a, seq, red)) return -1;
  if (last_in->n && st_push(n->a, seq, last)) return -1;
  Buf vs = {0};
  for (int c = 0; c < nc; c++) buf_printf(&vs, "%sj%d", c ? "," : "", chain[c]->var);
  note(n, arena_printf(n->a, "expand the accumulator over %s into %s, reduction outside", vs.s ? vs.s : "",
                       into_output ? "the output" : arena_printf(n->a, "local t%d[%lld]", arr, (long long)ext)));
  buf_free(&vs);
  /* l becomes the sequence (a scoped block for its locals) */
  l->kind = ST_SEQ;
  l->scope = decl != NULL;
  l->s = seq->s, l->n = seq->n, l->cap = seq->cap;
  return 0;
}

int nest_expand_acc(Nest *n, Stmt *l, bool into_output) { return expand(n, l, into_output, 1); }

/* the same over l and the depth-1 loops nested in it, each the whole body of
 * the one before: one accumulator per point of the tile, in a local array */
int nest_expand_acc_tile(Nest *n, Stmt *l, int depth) { return expand(n, l, false, depth); }

/* Register tile: the shape of a GEMM micro-kernel, over any sum whose
 * plain nest is output loops around [acc, reduction loops, store]. Two of
 * the output loops, r and c, become tiles of mr x nr points; each tile keeps
 * its accumulators in a local array of mr*nr (small enough for registers),
 * runs the whole reduction outside them with the update `for ri: for ci:
 * t[ri*nr + ci] += body` (ci innermost: one vector row per ri, the operand
 * that does not depend on ci broadcast), then stores post(t) over the tile.
 * The other output loops stay outside in their order, then the tiles of c,
 * then those of r (a panel of what depends on c is reused by every r tile).
 * r's tail (extent % mr) is a tile of its own; c's tail is one too, unless
 * pad_c: then the last c tile runs full width and only its stores are
 * guarded, which the caller allows when nothing the reduction loads
 * depends on c but what is in bounds over the padded range (weights packed
 * with zero columns). Each output's sum is taken in the reduction loops'
 * order, as in the plain nest. */
static Stmt *tloop(Nest *n, Stmt *par, int v) {
  if (n->vars[v].lo == n->vars[v].hi) return par; /* one iteration: the variable is a constant */
  Stmt *l = loop(n, v);
  if (!l || st_push(n->a, par, l)) return NULL;
  return l;
}

/* coefficient of variable v in a linear index expression (-1: not linear) */
static int64_t coef_of(const Expr *e, int v) {
  if (!e || e->kind == E_CONST) return 0;
  if (e->kind == E_VAR) return e->i == v;
  if (e->kind == E_ALU && e->dt == DT_I64 && e->op == OP_ADD) {
    int64_t a = coef_of(e->a[0], v), b = coef_of(e->a[1], v);
    return a < 0 || b < 0 ? -1 : a + b;
  }
  if (e->kind == E_ALU && e->dt == DT_I64 && e->op == OP_MUL && e->a[1]->kind == E_CONST) {
    int64_t a = coef_of(e->a[0], v);
    return a < 0 ? -1 : a * e->a[1]->i;
  }
  return -1;
}

typedef struct {
  int vr, vc;
  int64_t rlo, rhi, chi;
  Stmt *init, *red, *store;
} Tile;

/* one tile at r = rbase + ri (ri < rext), c = cbase + ci (ci < cext) */
static int tile_at(Nest *n, const Tile *t, Stmt *par, Expr *rbase, int64_t rext, Expr *cbase, int64_t cext, bool guard) {
  const Kernel *k = n->k;
  Stmt *scope = st_new(n->a, ST_SEQ), *decl = st_new(n->a, ST_LOCAL);
  int arr = nest_local(n, LV_ARRAY, k->accdt, rext * cext);
  int ri = nest_var(n, 0, rext - 1), ci = nest_var(n, 0, cext - 1);
  Expr **sub = new_sub(n);
  if (!scope || !decl || arr < 0 || ri < 0 || ci < 0 || !sub || st_push(n->a, par, scope)) return -1;
  scope->scope = true;
  decl->slot = arr;
  if (st_push(n->a, scope, decl)) return -1;
  Expr *j = ex_add(n->a, ex_mul(n->a, nest_var_expr(n, ri), ex_const_i(n->a, cext)), nest_var_expr(n, ci));
  sub[t->vr] = ex_add(n->a, rbase, nest_var_expr(n, ri));
  sub[t->vc] = ex_add(n->a, cbase, nest_var_expr(n, ci));
  if (!j || !sub[t->vr] || !sub[t->vc]) return -1;
  /* t[j] = init */
  Stmt *in = tloop(n, scope, ri), *st = st_new(n->a, ST_STORE);
  if (!in || !(in = tloop(n, in, ci)) || !st) return -1;
  st->slot = arr, st->idx = j, st->e = t->init->e;
  if (st_push(n->a, in, st)) return -1;
  /* the reduction, the tile's loops inside its innermost loop */
  Stmt *red = clone(n, t->red, NULL);
  if (!red || st_push(n->a, scope, red)) return -1;
  Stmt *deep = red;
  while (deep->n && deep->s[deep->n - 1]->kind == ST_LOOP) deep = deep->s[deep->n - 1];
  Stmt **body = deep->s;
  int nb = deep->n;
  deep->s = NULL, deep->n = deep->cap = 0;
  if (!(in = tloop(n, deep, ri)) || !(in = tloop(n, in, ci))) return -1;
  for (int i = 0; i < nb; i++) {
    Stmt *c = clone(n, body[i], sub);
    if (!c || st_push(n->a, in, c)) return -1;
    if (c->kind == ST_UPDATE && c->slot == n->acc) c->slot = arr, c->idx = j;
  }
  /* post + store over the tile (guarded when c runs past its extent), the
   * loop along which the output is contiguous innermost (a conv's output
   * columns are r, a matrix's are c) */
  Stmt *sc = clone(n, t->store, sub);
  if (!sc) return -1;
  bool r_in = rext > 1 && coef_of(sc->idx, ri) == 1;
  if (r_in ? !(in = tloop(n, scope, ci)) || !(in = tloop(n, in, ri)) : !(in = tloop(n, scope, ri)) || !(in = tloop(n, in, ci)))
    return -1;
  if (guard) {
    Stmt *g = st_new(n->a, ST_IF);
    if (!g || st_push(n->a, in, g)) return -1;
    g->e = ex_lt(n->a, sub[t->vc], ex_const_i(n->a, t->chi));
    in = g;
  }
  Stmt *a = st_new(n->a, ST_DEF);
  if (!a) return -1;
  a->slot = n->acc;
  a->e = ex_local(n->a, arr, k->accdt, j);
  return !a->e || st_push(n->a, in, a) || st_push(n->a, in, sc) ? -1 : 0;
}

/* the r tiles under par at one c tile */
static int tile_rows(Nest *n, const Tile *t, Stmt *par, int mr, Expr *cbase, int64_t cext, bool guard) {
  int64_t R = t->rhi - t->rlo, full = R / mr;
  if (full) {
    int ro = nest_var(n, 0, full - 1);
    Stmt *l = ro < 0 ? NULL : tloop(n, par, ro);
    Expr *rb = ex_add(n->a, ex_mul(n->a, nest_var_expr(n, ro), ex_const_i(n->a, mr)), ex_const_i(n->a, t->rlo));
    if (!l || !rb || tile_at(n, t, l, rb, mr, cbase, cext, guard)) return -1;
  }
  if (R % mr && tile_at(n, t, par, ex_const_i(n->a, t->rlo + full * mr), R % mr, cbase, cext, guard)) return -1;
  return 0;
}

/* the output loops of chain other than r's and c's, nested under par: the innermost (NULL on OOM) */
static Stmt *other_loops(Nest *n, Stmt *par, Stmt **chain, int nc, const Stmt *lr, const Stmt *lc) {
  for (int c = 0; c < nc && par; c++)
    if (chain[c] != lr && chain[c] != lc) par = tloop(n, par, chain[c]->var);
  return par;
}

/* ba, bb: border columns at either end tiled apart (their own tiles of
 * ba and bb columns, where every bounds test on c is decided), so the full
 * tiles cover the interior only */
static int register_tile(Nest *n, int vr, int vc, int mr, int nr, bool pad_c, int64_t group, bool borders) {
  const Kernel *k = n->k;
  bool minmax = borders && (k->rop == OP_RMAX || k->rop == OP_RMIN); /* max pools */
  if (n->acc < 0 || (k->rop != OP_RSUM && !minmax) || vr == vc || mr < 1 || nr < 1 || mr * nr > 1024) return 1;
  Stmt *chain[MAX_RANK], *in = n->root, *lr = NULL, *lc = NULL;
  int nc = 0;
  while (in->n == 1 && in->s[0]->kind == ST_LOOP && in->s[0]->var < k->nout && nc < MAX_RANK) {
    in = chain[nc++] = in->s[0];
    if (in->var == vr) lr = in;
    if (in->var == vc) lc = in;
  }
  if (!lr || !lc || in->n != 3 || in->s[0]->kind != ST_LOCAL || in->s[0]->slot != n->acc || in->s[1]->kind != ST_LOOP ||
      in->s[2]->kind != ST_STORE)
    return 1;
  Stmt *u = in->s[1];
  while (u && u->kind == ST_LOOP) u = u->n ? u->s[u->n - 1] : NULL;
  if (!u || u->kind != ST_UPDATE || u->slot != n->acc || u->buf) return 1;
  Tile t = {vr, vc, lr->lo, lr->hi, lc->hi, in->s[0], in->s[1], in->s[2]};
  int ba = 0, bb = 0, all, best;
  if (borders) {
    int g = guard_interior(n, lc, &ba, &bb, &all, &best);
    if (g < 0) return -1;
    if (g) ba = bb = 0;
    pad_c = false, group = 0;
  }
  int64_t c0 = lc->lo + ba, C = lc->hi - bb - c0, full = pad_c ? (C + nr - 1) / nr : C / nr;
  if (group < 1 || group >= full || full % group) group = 0; /* one group: every panel under the other loops */
  Stmt *top = st_new(n->a, ST_SEQ), *o = top;
  if (!top) return -1;
  Expr *cb = NULL;
  if (group) { /* for cg { other loops { for ci { tiles at panel cg*group + ci } } } */
    int cg = nest_var(n, 0, full / group - 1), ci = nest_var(n, 0, group - 1);
    if (cg < 0 || ci < 0 || !(o = tloop(n, o, cg)) || !(o = other_loops(n, o, chain, nc, lr, lc))) return -1;
    Stmt *l = tloop(n, o, ci);
    cb = ex_add(n->a, ex_mul(n->a, ex_add(n->a, ex_mul(n->a, nest_var_expr(n, cg), ex_const_i(n->a, group)),
                                          nest_var_expr(n, ci)), ex_const_i(n->a, nr)), ex_const_i(n->a, lc->lo));
    if (!l || !cb || tile_rows(n, &t, l, mr, cb, nr, pad_c && C % nr)) return -1;
    o = top; /* the unpadded last columns under their own copy of the other loops */
    if (!pad_c && C % nr && !(o = other_loops(n, top, chain, nc, lr, lc))) return -1;
  } else {
    if (!(o = other_loops(n, top, chain, nc, lr, lc))) return -1; /* the other output loops, outermost */
    if (ba && tile_rows(n, &t, o, mr, ex_const_i(n->a, lc->lo), ba, false)) return -1;
    if (full) {
      int co = nest_var(n, 0, full - 1);
      Stmt *l = co < 0 ? NULL : tloop(n, o, co);
      cb = ex_add(n->a, ex_mul(n->a, nest_var_expr(n, co), ex_const_i(n->a, nr)), ex_const_i(n->a, c0));
      if (!l || !cb || tile_rows(n, &t, l, mr, cb, nr, pad_c && C % nr)) return -1;
    }
  }
  if (!pad_c && C % nr) { /* the last columns; with borders, in tiles of descending powers of two (10 = 8 + 2:
                           * whole vectors, where one tile of 10 lanes vectorizes badly) */
    int64_t at = c0 + full * nr, left = C % nr;
    while (left) {
      int64_t w = left;
      if (borders)
        while (w & (w - 1)) w &= w - 1;
      if (tile_rows(n, &t, o, mr, ex_const_i(n->a, at), w, false)) return -1;
      at += w, left -= w;
    }
  }
  if (bb && tile_rows(n, &t, o, mr, ex_const_i(n->a, lc->hi - bb), bb, false)) return -1;
  n->root = top;
  note(n, arena_printf(n->a, "register tile j%d x j%d by %d x %d%s, reduction outside", vr, vc, mr, nr,
                       pad_c && C % nr ? " (last column tile padded, stores guarded)" : ""));
  if (ba || bb)
    note(n, arena_printf(n->a, "border columns tiled apart: %d before and %d after the interior tiles", ba, bb));
  if (group)
    note(n, arena_printf(n->a, "column panels in groups of %lld outside the other output loops (a group's operand stays in cache)",
                         (long long)group));
  return 0;
}

int nest_register_tile(Nest *n, int vr, int vc, int mr, int nr, bool pad_c, int64_t group) {
  return register_tile(n, vr, vc, mr, nr, pad_c, group, false);
}

int nest_register_tile_interior(Nest *n, int vr, int vc, int mr, int nr) {
  return register_tile(n, vr, vc, mr, nr, false, 0, true);
}

int nest_replace_load(Nest *n, const Expr *from, Expr *to) { return replace_in(n, n->root, from, to); }

static void consts_in(const Expr *e, bool *used, int depth) {
  if (!e || depth > 200) return;
  if (e->kind == E_LOAD) {
    if (e->buf->kind == VK_CONST) used[e->buf->id] = true;
    for (int i = 0; i < e->nidx; i++) consts_in(e->idx[i], used, depth + 1);
  }
  for (int i = 0; i < 3; i++) consts_in(e->a[i], used, depth + 1);
}

static void consts_st(Stmt *s, bool *used) {
  Expr **slots[3];
  int m = exprs_of(s, slots);
  for (int i = 0; i < m; i++) consts_in(*slots[i], used, 0);
  for (int i = 0; i < s->n; i++) consts_st(s->s[i], used);
}

static void consts_list(const Expr *e, Value **seen, int *n, int max, int depth) {
  if (!e || depth > 200) return;
  if (e->kind == E_LOAD) {
    if (e->buf->kind == VK_CONST && e->buf->dt != DT_STRING) {
      int i;
      for (i = 0; i < *n; i++)
        if (seen[i] == e->buf) break;
      if (i == *n && *n < max) seen[(*n)++] = e->buf;
    }
    for (int i = 0; i < e->nidx; i++) consts_list(e->idx[i], seen, n, max, depth + 1);
  }
  for (int i = 0; i < 3; i++) consts_list(e->a[i], seen, n, max, depth + 1);
}

static void consts_list_st(const Stmt *s, Value **seen, int *n, int max) {
  Expr **slots[3];
  int m = exprs_of((Stmt *)s, slots);
  for (int i = 0; i < m; i++) consts_list(*slots[i], seen, n, max, 0);
  for (int i = 0; i < s->n; i++) consts_list_st(s->s[i], seen, n, max);
}

/* the numeric constants a nest loads, appended to seen[*n..max) in order of first use */
void nest_consts(const Nest *n, Value **seen, int *nseen, int max) { consts_list_st(n->root, seen, nseen, max); }

/* what the C target reads: a schedule may have replaced a constant by a
 * packed copy (ir/schedule.c), which only the nest loads */
void ir_mark_consts_nest(const Program *p, bool *used) {
  for (int i = 0; i < p->kernels.n; i++) {
    const Kernel *k = p->kernels.v[i];
    if (k->nest) consts_st(k->nest->root, used);
    else
      for (int j = 0; j < kernel_nroots(k); j++) consts_in(kernel_root(k, j), used, 0);
  }
}

/* packed stores: an element store becomes lane `lane` of the word local */
static void to_lane(Stmt *s, const Value *out, int word, Expr *lane, Expr *flat) {
  if (s->kind == ST_STORE && s->buf == out) {
    s->idx = flat; /* the output's flat index is the bound flat id */
    if (lane) s->slot = word, s->arg = lane;
  }
  for (int i = 0; i < s->n; i++) to_lane(s->s[i], out, word, lane, flat);
}

/* Output loops -> one GPU-global loop over items (flat outputs / pack),
 * each output variable bound from the flat index. With pack > 1 an item is
 * `pack` consecutive outputs, in a loop of its own under a bounds test. */
int nest_gpu_map(Nest *n, int pack) {
  const Kernel *k = n->k;
  /* peel the output loops off the root */
  Stmt *body = n->root;
  for (int d = 0; d < k->nout; d++) {
    if (k->oshape[d] == 1) continue;
    if (body->n != 1 || body->s[0]->kind != ST_LOOP || body->s[0]->var != d) return 1;
    body = body->s[0];
  }
  int64_t total = shape_numel(k->nout, k->oshape);
  int64_t items = (total + pack - 1) / pack;
  if (total <= 0) { /* an empty output: nothing to run (and no index to split) */
    int g = nest_var(n, 0, -1);
    Stmt *gl = g < 0 ? NULL : loop(n, g);
    n->root = st_new(n->a, ST_SEQ);
    if (!gl || !n->root || st_push(n->a, n->root, gl)) return -1;
    gl->lk = LK_GPU_GLOBAL;
    note(n, "map outputs to gpu-global: empty output, no items");
    return 0;
  }
  int g = nest_var(n, 0, items > 0 ? items - 1 : -1);
  int flat = nest_var(n, 0, total > 0 ? total - 1 : 0);
  if (g < 0 || flat < 0) return -1;
  Stmt *gl = loop(n, g);
  if (!gl) return -1;
  gl->lk = LK_GPU_GLOBAL;
  Stmt *at = gl;
  Expr *fx;
  if (pack > 1) {
    int e = nest_var(n, 0, pack - 1);
    Stmt *w = st_new(n->a, ST_LOCAL), *el = loop(n, e), *in = st_new(n->a, ST_IF), *bd = st_new(n->a, ST_BIND);
    if (e < 0 || !w || !el || !in || !bd) return -1;
    w->slot = nest_local(n, LV_WORD, DT_U32, 0);
    w->e = ex_const(n->a, DT_U32, 0, 0);
    Expr *x = ex_add(n->a, ex_mul(n->a, nest_var_expr(n, g), ex_const_i(n->a, pack)), nest_var_expr(n, e));
    in->e = ex_lt(n->a, x, ex_const_i(n->a, total));
    bd->e = x; /* under the test: below total whatever x's range claims */
    bd->var = flat;
    Stmt *st = st_new(n->a, ST_STORE);
    if (!st) return -1;
    st->buf = k->out;
    st->slot = w->slot; /* the word local, stored whole at item g */
    st->idx = nest_var_expr(n, g);
    if (st_push(n->a, gl, w) || st_push(n->a, gl, el) || st_push(n->a, el, in) || st_push(n->a, in, bd) ||
        st_push(n->a, gl, st))
      return -1;
    at = in;
    for (int i = 0; i < body->n; i++) to_lane(body->s[i], k->out, w->slot, nest_var_expr(n, e), nest_var_expr(n, flat));
  } else {
    Stmt *bd = st_new(n->a, ST_BIND);
    if (!bd) return -1;
    bd->var = flat;
    bd->e = nest_var_expr(n, g);
    if (st_push(n->a, gl, bd)) return -1;
  }
  fx = nest_var_expr(n, flat);
  if (pack == 1)
    for (int i = 0; i < body->n; i++) to_lane(body->s[i], k->out, -1, NULL, fx);
  int64_t stride = 1;
  for (int d = k->nout - 1; d >= 0; d--) {
    if (k->oshape[d] > 1) {
      Stmt *bd = st_new(n->a, ST_BIND);
      if (!bd) return -1;
      bd->var = d;
      Expr *x = ex_div(n->a, fx, stride);
      bd->e = x->hi >= k->oshape[d] ? ex_mod(n->a, x, k->oshape[d]) : x;
      if (st_push(n->a, at, bd)) return -1;
    }
    stride *= k->oshape[d];
  }
  for (int i = 0; i < body->n; i++)
    if (st_push(n->a, at, body->s[i])) return -1;
  n->root = st_new(n->a, ST_SEQ);
  if (!n->root || st_push(n->a, n->root, gl)) return -1;
  note(n, arena_printf(n->a, "map outputs to gpu-global j%d (%lld items%s)", g, (long long)items,
                       pack > 1 ? arena_printf(n->a, " of %d", pack) : ""));
  return 0;
}

/* A gpu-global loop over items -> groups x a gpu-local loop of wg threads
 * (item = group*wg + local, guarded when wg does not divide): the shape
 * workgroup tiling and shared-memory staging start from. */
int nest_gpu_tile(Nest *n, Stmt *l, int wg) {
  if (l->kind != ST_LOOP || l->lk != LK_GPU_GLOBAL || wg < 2 || (l->n && l->s[0]->kind == ST_LOOP &&
                                                                 l->s[0]->lk == LK_GPU_LOCAL))
    return 1;
  int vo, vi, v = l->var;
  if (split_core(n, l, wg, LK_GPU_LOCAL, &vo, &vi)) return -1;
  note(n, arena_printf(n->a, "tile gpu-global j%d into %lld groups x gpu-local j%d of %d", v, (long long)l->hi, vi, wg));
  return 0;
}
