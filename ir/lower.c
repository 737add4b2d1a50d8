/* lower.c: primitives -> kernels.
 *
 * Requires: a decomposed Program (shapes known, constants folded).
 * Provides: dead primitives removed; one Kernel per live primitive, in
 * program order, each a loop program over its output shape whose body
 * loads its inputs through index expressions; a copy kernel for any graph
 * output that is not computed by a kernel of its own (an input, a
 * constant, or a tensor listed twice).
 *
 * Every primitive is "out[i] = f(loads at index maps of i, r)": movement
 * primitives are nothing but index maps, which is what lets ir_fuse inline
 * them into their consumers for free.
 */
#include "ir.h"

#include <math.h>
#include <string.h>

typedef struct {
  Arena *a;
  Program *p;
  Diags *d;
  Kernel *k;
  Expr *v[2 * MAX_RANK + 4]; /* loop variables: outputs then reductions */
} L;

/* index of `x` broadcast (numpy, right-aligned) against the output vars;
 * single-element constants become literals (not strings: an address is no
 * literal, they stay loads from their table) */
static Expr *load_bcast(L *l, Value *x) {
  if (x->kind == VK_CONST && shape_numel(x->rank, x->shape) == 1 && x->dt != DT_STRING) {
    if (dtype_info[x->dt].is_float) return ex_const(l->a, x->dt, raw_get_f(x->dt, x->cdata, 0), 0);
    return ex_const(l->a, x->dt, 0, raw_get_i(x->dt, x->cdata, 0));
  }
  Expr *idx[MAX_RANK];
  int off = l->k->nout - x->rank;
  for (int d = 0; d < x->rank; d++) idx[d] = x->shape[d] == 1 ? ex_const_i(l->a, 0) : l->v[d + off];
  return ex_load(l->a, x, idx);
}

static Kernel *new_kernel(L *l, Value *out, const char *origin) {
  Kernel *k = arena_alloc(l->a, sizeof *k);
  if (!k) return NULL;
  k->id = l->p->kernels.n;
  k->out = out;
  k->origin = origin ? origin : "";
  k->where = "";
  k->nout = out->rank;
  memcpy(k->oshape, out->shape, sizeof k->oshape);
  k->rop = OP_NONE;
  k->sched.unroll = 1;
  k->sched.wg = 64;
  l->k = k;
  for (int d = 0; d < out->rank; d++) l->v[d] = ex_var(l->a, d, out->shape[d]);
  return k;
}

static void set_red(L *l, int nred, const int64_t *rshape) {
  Kernel *k = l->k;
  k->nred = nred;
  for (int i = 0; i < nred; i++) {
    k->rshape[i] = rshape[i];
    l->v[k->nout + i] = ex_var(l->a, k->nout + i, rshape[i]);
  }
}

static DType acc_type(DType dt) {
  switch (dt) {
  case DT_F64: return DT_F64;
  case DT_F32: case DT_F16: case DT_BF16: return DT_F32;
  case DT_U8: case DT_U16: case DT_U32: case DT_U64: return DT_U64;
  default: return DT_I64;
  }
}

static Expr *ci(L *l, int64_t v) { return ex_const_i(l->a, v); }

/* 0 <= e < n as a bool expression (constant when ranges decide) */
static Expr *in_range(L *l, Expr *e, int64_t n) {
  return ex_and(l->a, ex_lt(l->a, ex_const_i(l->a, -1), e), ex_lt(l->a, e, ci(l, n)));
}

static int lower_reduce(L *l, PNode *n) {
  Value *x = n->in[0];
  Kernel *k = l->k;
  int64_t rs[MAX_RANK];
  int nr = 0;
  for (int d = 0; d < x->rank; d++)
    if (n->pr.axes & (1u << d)) rs[nr++] = x->shape[d];
  set_red(l, nr, rs);
  Expr *idx[MAX_RANK];
  for (int d = 0, o = 0, r = 0; d < x->rank; d++) {
    if (n->pr.axes & (1u << d)) {
      idx[d] = l->v[k->nout + r++];
      if (n->pr.keepdims) o++;
    } else {
      idx[d] = l->v[o++];
    }
  }
  k->body = ex_load(l->a, x, idx);
  k->rop = n->op;
  k->select_last = n->pr.select_last;
  k->accdt = (n->op == OP_ARGMAX || n->op == OP_ARGMIN) ? x->dt : (n->op == OP_RSUM || n->op == OP_RPROD) ? acc_type(x->dt) : x->dt;
  if (k->accdt != n->out->dt && n->op != OP_ARGMAX && n->op != OP_ARGMIN) {
    k->post = ex_alu(l->a, OP_CAST, n->out->dt, ex_acc(l->a, k->accdt), NULL, NULL);
    if (!k->post) return -1;
  }
  return 0;
}

static int lower_move(L *l, PNode *n) {
  Value *x = n->nin ? n->in[0] : NULL;
  Kernel *k = l->k;
  Arena *a = l->a;
  Expr *idx[MAX_RANK];
  const Params *pr = &n->pr;
  switch (n->op) {
  case OP_RESHAPE: {
    Expr *flat = ex_flat(a, n->out, l->v);
    int64_t stride = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
      idx[d] = ex_mod(a, ex_div(a, flat, stride), x->shape[d]);
      stride *= x->shape[d];
    }
    k->body = ex_load(a, x, idx);
    return 0;
  }
  case OP_PERMUTE:
    for (int d = 0; d < x->rank; d++) idx[pr->perm[d]] = l->v[d];
    k->body = ex_load(a, x, idx);
    return 0;
  case OP_EXPAND: k->body = load_bcast(l, x); return 0;
  case OP_SLICE:
    for (int d = 0; d < x->rank; d++) idx[d] = ex_add(a, ci(l, pr->start[d]), ex_mul(a, l->v[d], ci(l, pr->step[d])));
    k->body = ex_load(a, x, idx);
    return 0;
  case OP_PAD: {
    Expr *valid = NULL;
    for (int d = 0; d < x->rank; d++) {
      int64_t dim = x->shape[d];
      Expr *i = ex_add(a, l->v[d], ci(l, -pr->lo[d]));
      switch (pr->pad_mode) {
      case PAD_CONSTANT: valid = ex_and(a, valid, in_range(l, i, dim)); break;
      case PAD_EDGE:
        i = ex_where(a, ex_lt(a, i, ci(l, 0)), ci(l, 0), i);
        i = ex_where(a, ex_lt(a, i, ci(l, dim)), i, ci(l, dim - 1));
        break;
      case PAD_REFLECT:
        i = ex_where(a, ex_lt(a, i, ci(l, 0)), ex_mul(a, i, ci(l, -1)), i);
        i = ex_where(a, ex_lt(a, i, ci(l, dim)), i, ex_add(a, ci(l, 2 * (dim - 1)), ex_mul(a, i, ci(l, -1))));
        break;
      case PAD_WRAP: {
        int64_t shift = dim * ((pr->lo[d] + dim - 1) / dim);
        i = ex_mod(a, ex_add(a, i, ci(l, shift)), dim);
        break;
      }
      }
      /* reflect/edge selections leave a range the simplifier cannot see */
      if (i && pr->pad_mode != PAD_CONSTANT) {
        i->lo = i->lo < 0 ? 0 : i->lo;
        i->hi = i->hi > dim - 1 ? dim - 1 : i->hi;
      }
      idx[d] = i;
    }
    Expr *ld = ex_load(a, x, idx);
    k->body = valid ? ex_where(a, valid, ld, ex_const(a, x->dt, pr->fill, (int64_t)pr->fill)) : ld;
    return 0;
  }
  case OP_CONCAT: {
    int ax = pr->axis;
    int64_t off = 0;
    Expr *body = NULL;
    Expr *cond[64], *vals[64];
    int m = 0;
    for (int i = 0; i < n->nin && m < 64; i++) {
      Value *xi = n->in[i];
      for (int d = 0; d < xi->rank; d++) idx[d] = d == ax ? ex_add(a, l->v[d], ci(l, -off)) : l->v[d];
      /* the variable's range is narrowed by the branch condition below */
      Expr *ld = ex_load(a, xi, idx);
      off += xi->shape[ax];
      cond[m] = ex_lt(a, l->v[ax], ci(l, off));
      vals[m++] = ld;
    }
    body = vals[m - 1];
    for (int i = m - 2; i >= 0; i--) body = ex_where(a, cond[i], vals[i], body);
    k->body = body;
    return 0;
  }
  case OP_GATHER: case OP_GATHERELEM: {
    Value *ix = n->in[1];
    int ax = pr->axis;
    int64_t dim = x->shape[ax];
    Expr *iidx[MAX_RANK];
    if (n->op == OP_GATHER) {
      for (int d = 0; d < ix->rank; d++) iidx[d] = l->v[ax + d];
    } else {
      for (int d = 0; d < ix->rank; d++) iidx[d] = l->v[d];
    }
    Expr *j = ex_alu(a, OP_CAST, DT_I64, ex_load(a, ix, iidx), NULL, NULL);
    j = ex_where(a, ex_lt(a, j, ci(l, 0)), ex_add(a, j, ci(l, dim)), j);
    /* out-of-range indices are clamped: memory stays safe */
    j = ex_alu(a, OP_MAX, DT_I64, j, ci(l, 0), NULL);
    j = ex_alu(a, OP_MIN, DT_I64, j, ci(l, dim - 1), NULL);
    if (j && (j->lo < 0 || j->hi > dim - 1)) { /* intersect: j may be a load the ranges proved in bounds */
      j->lo = j->lo < 0 ? 0 : j->lo;
      j->hi = j->hi > dim - 1 ? dim - 1 : j->hi;
    }
    if (n->op == OP_GATHER) {
      int o = 0;
      for (int d = 0; d < ax; d++) idx[d] = l->v[o++];
      o += ix->rank;
      idx[ax] = j;
      for (int d = ax + 1; d < x->rank; d++) idx[d] = l->v[o++];
    } else {
      for (int d = 0; d < x->rank; d++) idx[d] = d == ax ? j : l->v[d];
    }
    k->body = ex_load(a, x, idx);
    return 0;
  }
  case OP_IOTA: {
    DType dt = n->out->dt;
    Expr *v = ex_alu(a, OP_CAST, dt, l->v[pr->axis], NULL, NULL);
    Expr *st = ex_const(a, dt, pr->fill, (int64_t)pr->fill), *dl = ex_const(a, dt, pr->delta, (int64_t)pr->delta);
    k->body = ex_alu(a, OP_ADD, dt, st, ex_alu(a, OP_MUL, dt, v, dl, NULL), NULL);
    return 0;
  }
  default: break;
  }
  return -1;
}

static int lower_matmul(L *l, PNode *n) {
  Value *x = n->in[0], *y = n->in[1];
  Kernel *k = l->k;
  Arena *a = l->a;
  int R = k->nout;
  int64_t K = x->shape[x->rank - 1];
  set_red(l, 1, &K);
  Expr *r = l->v[R], *ix[MAX_RANK], *iy[MAX_RANK];
  for (int d = 0; d < x->rank - 2; d++) {
    int od = d + (R - 2) - (x->rank - 2);
    ix[d] = x->shape[d] == 1 ? ci(l, 0) : l->v[od];
  }
  for (int d = 0; d < y->rank - 2; d++) {
    int od = d + (R - 2) - (y->rank - 2);
    iy[d] = y->shape[d] == 1 ? ci(l, 0) : l->v[od];
  }
  ix[x->rank - 2] = l->v[R - 2];
  ix[x->rank - 1] = r;
  iy[y->rank - 2] = r;
  iy[y->rank - 1] = l->v[R - 1];
  DType dt = n->out->dt;
  k->body = ex_alu(a, OP_MUL, dt, ex_load(a, x, ix), ex_load(a, y, iy), NULL);
  k->rop = OP_RSUM;
  k->accdt = acc_type(dt);
  return 0;
}

/* x index along spatial dim i for output var o and window var kv, and the
 * bounds check it needs */
static Expr *win_pos(L *l, const Params *pr, int i, Expr *o, Expr *kv) {
  Arena *a = l->a;
  return ex_add(a, ex_add(a, ex_mul(a, o, ci(l, pr->stride[i])), ci(l, -pr->plo[i])), ex_mul(a, kv, ci(l, pr->dil[i])));
}

static int lower_conv(L *l, PNode *n) {
  Value *x = n->in[0], *w = n->in[1];
  Kernel *k = l->k;
  Arena *a = l->a;
  const Params *pr = &n->pr;
  int nsp = pr->nsp;
  int64_t Cg = w->shape[1], M = w->shape[0], Mg = M / pr->group;
  int64_t rs[4] = {Cg};
  for (int i = 0; i < nsp; i++) rs[i + 1] = pr->kernel[i];
  set_red(l, 1 + nsp, rs);
  Expr *c = l->v[k->nout], *m = l->v[1];
  Expr *chan = pr->group == 1 ? c : ex_add(a, ex_mul(a, ex_div(a, m, Mg), ci(l, Cg)), c);
  Expr *xi[MAX_RANK], *wi[MAX_RANK], *valid = NULL;
  xi[0] = l->v[0];
  xi[1] = chan;
  wi[0] = m;
  wi[1] = c;
  for (int i = 0; i < nsp; i++) {
    Expr *kv = l->v[k->nout + 1 + i];
    Expr *pos = win_pos(l, pr, i, l->v[2 + i], kv);
    valid = ex_and(a, valid, in_range(l, pos, x->shape[2 + i]));
    xi[2 + i] = pos;
    wi[2 + i] = kv;
  }
  DType dt = n->out->dt;
  Expr *xv = ex_load(a, x, xi);
  if (valid) xv = ex_where(a, valid, xv, ex_const(a, dt, 0, 0));
  k->body = ex_alu(a, OP_MUL, dt, xv, ex_load(a, w, wi), NULL);
  k->rop = OP_RSUM;
  k->accdt = acc_type(dt);
  return 0;
}

/* Average-pool divisors: one constant per output spatial position. */
static Value *pool_counts(L *l, PNode *n) {
  const Params *pr = &n->pr;
  Value *x = n->in[0], *o = n->out;
  Value *v = arena_alloc(l->a, sizeof *v);
  if (!v) return NULL;
  v->kind = VK_CONST;
  v->dt = acc_type(o->dt) == DT_F64 ? DT_F64 : DT_F32;
  v->rank = pr->nsp;
  v->out_index = v->in_index = -1;
  for (int i = 0; i < pr->nsp; i++) v->shape[i] = o->shape[2 + i];
  v->name = arena_printf(l->a, "%s_count", o->name);
  int64_t total = shape_numel(v->rank, v->shape);
  void *data = arena_alloc(l->a, (size_t)(total ? total : 1) * (size_t)dtype_info[v->dt].size);
  if (!data) return NULL;
  for (int64_t f = 0; f < total; f++) {
    int64_t rem = f, cnt = 1;
    for (int i = pr->nsp - 1; i >= 0; i--) {
      int64_t oi = rem % v->shape[i];
      rem /= v->shape[i];
      int64_t lo = pr->count_pad ? -pr->plo[i] : 0, hi = x->shape[2 + i] + (pr->count_pad ? pr->phi[i] : 0), c = 0;
      for (int64_t kk = 0; kk < pr->kernel[i]; kk++) {
        int64_t pos = oi * pr->stride[i] - pr->plo[i] + kk * pr->dil[i];
        c += pos >= lo && pos < hi;
      }
      cnt *= c;
    }
    raw_set_f(v->dt, data, f, (double)cnt);
  }
  v->cdata = data;
  v->id = l->p->values.n;
  if (vec_push(l->a, &l->p->values, v)) return NULL;
  return v;
}

static int lower_pool(L *l, PNode *n) {
  Value *x = n->in[0];
  Kernel *k = l->k;
  Arena *a = l->a;
  const Params *pr = &n->pr;
  int nsp = pr->nsp;
  set_red(l, nsp, pr->kernel);
  Expr *xi[MAX_RANK], *valid = NULL;
  xi[0] = l->v[0];
  xi[1] = l->v[1];
  for (int i = 0; i < nsp; i++) {
    Expr *pos = win_pos(l, pr, i, l->v[2 + i], l->v[k->nout + i]);
    valid = ex_and(a, valid, in_range(l, pos, x->shape[2 + i]));
    xi[2 + i] = pos;
  }
  DType dt = n->out->dt;
  Expr *xv = ex_load(a, x, xi);
  if (pr->pool == POOL_MAX) {
    k->rop = OP_RMAX;
    k->accdt = dt;
    k->body = valid ? ex_where(a, valid, xv, ex_const(a, dt, -INFINITY, INT64_MIN)) : xv;
    return 0;
  }
  k->rop = OP_RSUM;
  k->accdt = acc_type(dt);
  Expr *acc = ex_acc(a, k->accdt);
  if (!acc) return -1;
  if (pr->pool == POOL_LP) {
    Expr *ax = ex_alu(a, OP_ABS, dt, xv, NULL, NULL);
    Expr *pw = pr->p == 2 ? ex_alu(a, OP_MUL, dt, ax, ax, NULL)
                          : ex_alu(a, OP_POW, dt, ax, ex_const(a, dt, pr->p, 0), NULL);
    k->body = valid ? ex_where(a, valid, pw, ex_const(a, dt, 0, 0)) : pw;
    Expr *r = pr->p == 2 ? ex_alu(a, OP_SQRT, k->accdt, acc, NULL, NULL)
                         : ex_alu(a, OP_POW, k->accdt, acc, ex_const(a, k->accdt, 1.0 / pr->p, 0), NULL);
    k->post = ex_alu(a, OP_CAST, dt, r, NULL, NULL);
    return 0;
  }
  k->body = valid ? ex_where(a, valid, xv, ex_const(a, dt, 0, 0)) : xv;
  Value *cnt = pool_counts(l, n);
  if (!cnt) return -1;
  Expr *ci_[MAX_RANK];
  for (int i = 0; i < nsp; i++) ci_[i] = l->v[2 + i];
  Expr *div = ex_load(a, cnt, ci_);
  if (cnt->dt != k->accdt) div = ex_alu(a, OP_CAST, k->accdt, div, NULL, NULL);
  k->post = ex_alu(a, OP_CAST, dt, ex_alu(a, OP_DIV, k->accdt, acc, div, NULL), NULL, NULL);
  return 0;
}

/* provenance of a node: the YAML file:line, else the ONNX node's name */
static const char *where_of(Arena *a, Loc at) {
  if (at.line > 0 && at.file) return arena_printf(a, "%s:%d", safe_base_name(a, at.file), at.line);
  return at.node ? at.node : "";
}

static int lower_node(L *l, PNode *n) {
  Kernel *k = new_kernel(l, n->out, n->origin);
  if (!k || !(k->where = where_of(l->a, n->loc))) return -1;
  Arena *a = l->a;
  int rc = 0;
  if (shape_numel(n->out->rank, n->out->shape) == 0) { /* empty: the body never runs */
    k->body = ex_const(a, n->out->dt, 0, 0);
    n->out->kernel = k;
    n->out->materialized = true;
    return vec_push(a, &l->p->kernels, k);
  }
  switch (op_kind[n->op]) {
  case K_UNARY:
    k->body = ex_alu(a, n->op, n->out->dt, load_bcast(l, n->in[0]), NULL, NULL);
    break;
  case K_BINARY:
    k->body = ex_alu(a, n->op, n->out->dt, load_bcast(l, n->in[0]), load_bcast(l, n->in[1]), NULL);
    break;
  case K_TERNARY:
    k->body = ex_alu(a, n->op, n->out->dt, load_bcast(l, n->in[0]), load_bcast(l, n->in[1]), load_bcast(l, n->in[2]));
    break;
  case K_REDUCE: rc = lower_reduce(l, n); break;
  case K_MOVE: rc = lower_move(l, n); break;
  case K_COMPUTE:
    rc = n->op == OP_MATMUL ? lower_matmul(l, n) : n->op == OP_CONV ? lower_conv(l, n) : lower_pool(l, n);
    break;
  }
  if (rc || !k->body) {
    diag_error(l->d, n->loc, "internal: cannot lower %s", op_name[n->op]);
    return -1;
  }
  n->out->kernel = k;
  n->out->materialized = true;
  return vec_push(a, &l->p->kernels, k);
}

/* A kernel that copies `src` into a fresh output value. */
static Value *copy_out(L *l, Value *src, const char *name) {
  Value *v = arena_alloc(l->a, sizeof *v);
  if (!v) return NULL;
  *v = *src;
  v->id = l->p->values.n;
  v->kind = VK_TEMP;
  v->cdata = NULL;
  v->src = NULL;
  v->name = name;
  v->in_index = -1;
  v->check = NULL;
  if (vec_push(l->a, &l->p->values, v)) return NULL;
  Kernel *k = new_kernel(l, v, "copy");
  if (!k) return NULL;
  k->body = load_bcast(l, src);
  v->kernel = k;
  v->materialized = true;
  if (vec_push(l->a, &l->p->kernels, k)) return NULL;
  return v;
}

int ir_lower(Program *p, Diags *d) {
  L l = {.a = p->a, .p = p, .d = d};
  /* dead-code elimination, backwards */
  for (int i = p->nodes.n - 1; i >= 0; i--) {
    PNode *n = p->nodes.v[i];
    if (n->out->nuses == 0 && n->out->out_index < 0 && !n->out->check) {
      n->dead = true;
      for (int k = 0; k < n->nin; k++) n->in[k]->nuses--;
    }
  }
  for (int i = 0; i < p->nodes.n; i++) {
    PNode *n = p->nodes.v[i];
    if (!n->dead && lower_node(&l, n)) return -1;
  }
  /* every graph output gets its own buffer written by exactly one kernel */
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    bool shared = false;
    for (int j = 0; j < i; j++) shared |= p->outputs.v[j] == v;
    if (v->kind != VK_TEMP || shared || v->out_index != i) {
      Value *c = copy_out(&l, v, p->out_names.v[i]);
      if (!c) return -1;
      c->out_index = i;
      p->outputs.v[i] = c;
    }
  }
  return 0;
}
