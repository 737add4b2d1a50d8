/* gpu.c: passes shared by every GPU target (ir.h: gpu_pack, gpu_nest,
 * gpu_narrow).
 *
 * Requires: scheduled kernels. Provides: the nest a GPU renderer walks, in
 * which 64-bit integers remain only where their values need them, so a
 * device without 64-bit integers (shaderInt64, WGSL) runs index arithmetic
 * and most integer models.
 */
#include "ir.h"

#include <string.h>

int gpu_pack(const Kernel *k) {
  int size = dtype_info[k->out->dt].size;
  return size >= 4 ? 1 : 4 / size;
}

Nest *gpu_nest(Arena *a, const Kernel *k, const char *rewrites, Diags *d) {
  Nest *n = ir_nest(a, k);
  if (!n || nest_gpu_map(n, gpu_pack(k)) || nest_verify(n, "gpu map", d)) return NULL;
  if (rewrites && sched_force(n, rewrites, d)) return NULL;
  if (gpu_narrow(n) || nest_verify(n, "gpu narrow", d)) return NULL;
  return n;
}

/* ------------------------------------------------------------ narrowing */
typedef struct {
  Nest *n;
  /* memo of rebuilt nodes: open addressing by pointer */
  const Expr **from;
  Expr **to;
  int cap, used;
  bool oom;
} N;

static unsigned hash_ptr(const void *p) { return (unsigned)(((uintptr_t)p >> 4) * 2654435761u); }

static Expr *memo_get(N *s, const Expr *e) {
  if (!s->cap) return NULL;
  for (unsigned i = hash_ptr(e) & (unsigned)(s->cap - 1);; i = (i + 1) & (unsigned)(s->cap - 1)) {
    if (!s->from[i]) return NULL;
    if (s->from[i] == e) return s->to[i];
  }
}

static void memo_put(N *s, const Expr *e, Expr *r) {
  if (2 * (s->used + 1) > s->cap) {
    int cap = s->cap ? 2 * s->cap : 256;
    const Expr **f = arena_alloc(s->n->a, sizeof(Expr *) * (size_t)cap);
    Expr **t = arena_alloc(s->n->a, sizeof(Expr *) * (size_t)cap);
    if (!f || !t) {
      s->oom = true;
      return;
    }
    const Expr **of = s->from;
    Expr **ot = s->to;
    int oc = s->cap;
    s->from = f, s->to = t, s->cap = cap, s->used = 0;
    for (int i = 0; i < oc; i++)
      if (of[i]) memo_put(s, of[i], ot[i]);
  }
  unsigned i = hash_ptr(e) & (unsigned)(s->cap - 1);
  while (s->from[i]) i = (i + 1) & (unsigned)(s->cap - 1);
  s->from[i] = e;
  s->to[i] = r;
  s->used++;
}

static int64_t sadd(int64_t x, int64_t y) {
  if (y > 0 && x > INT64_MAX - y) return INT64_MAX;
  if (y < 0 && x < INT64_MIN - y) return INT64_MIN;
  return x + y;
}

static int64_t smul(int64_t x, int64_t y) {
  if (!x || !y) return 0;
  double p = (double)x * (double)y;
  if (p >= 9.2e18) return INT64_MAX;
  if (p <= -9.2e18) return INT64_MIN;
  return x * y;
}

static void dt_range(DType dt, int64_t *lo, int64_t *hi) {
  int bits = dtype_info[dt].size * 8;
  if (dt == DT_BOOL) *lo = 0, *hi = 1;
  else if (dt == DT_I64 || dt == DT_U64 || dtype_info[dt].is_float || dt == DT_STRING) *lo = INT64_MIN, *hi = INT64_MAX;
  else if (dtype_info[dt].is_signed) *lo = -((int64_t)1 << (bits - 1)), *hi = ((int64_t)1 << (bits - 1)) - 1;
  else *lo = 0, *hi = ((int64_t)1 << bits) - 1;
}

static bool acc32(const N *s) {
  const Nest *n = s->n;
  return n->acc >= 0 && (n->locals[n->acc].dt == DT_I32 || n->locals[n->acc].dt == DT_U32);
}

/* a sound value range of an integer expression: the IR's own (which manual
 * narrowing in lowering may have tightened) met with one computed from the
 * operands (which survives rebuilding by substitution) */
static void range(N *s, const Expr *e, int64_t *lo, int64_t *hi, int depth) {
  int64_t l = INT64_MIN, h = INT64_MAX, a0, a1, b0, b1;
  if (depth > 48) {
    *lo = l, *hi = h;
    return;
  }
  if (e->kind == E_ACC) {
    if (acc32(s)) l = INT32_MIN, h = INT32_MAX;
    *lo = l, *hi = h;
    return;
  }
  if (e->kind == E_LOAD) dt_range(e->buf->dt, &l, &h);
  if (e->kind == E_ALU) {
    const Expr *x = e->a[0], *y = e->a[1];
    switch (e->op) {
    case OP_CAST:
      if (x->dt == DT_I64) range(s, x, &l, &h, depth + 1);
      else dt_range(x->dt, &l, &h);
      break;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_MAX: case OP_MIN:
      range(s, x, &a0, &a1, depth + 1);
      range(s, y, &b0, &b1, depth + 1);
      if (e->op == OP_ADD) l = sadd(a0, b0), h = sadd(a1, b1);
      if (e->op == OP_SUB)
        l = sadd(a0, b1 == INT64_MIN ? INT64_MAX : -b1), h = sadd(a1, b0 == INT64_MIN ? INT64_MAX : -b0);
      if (e->op == OP_MAX) l = a0 > b0 ? a0 : b0, h = a1 > b1 ? a1 : b1;
      if (e->op == OP_MIN) l = a0 < b0 ? a0 : b0, h = a1 < b1 ? a1 : b1;
      if (e->op == OP_MUL) {
        int64_t c[4] = {smul(a0, b0), smul(a0, b1), smul(a1, b0), smul(a1, b1)};
        l = h = c[0];
        for (int i = 1; i < 4; i++) l = c[i] < l ? c[i] : l, h = c[i] > h ? c[i] : h;
      }
      break;
    case OP_WHERE:
      range(s, e->a[1], &a0, &a1, depth + 1);
      range(s, e->a[2], &b0, &b1, depth + 1);
      l = a0 < b0 ? a0 : b0, h = a1 > b1 ? a1 : b1;
      break;
    default: break;
    }
  }
  if (e->kind != E_LOAD || e->dt == DT_I64) { /* the IR range (loads: full) */
    l = e->lo > l ? e->lo : l;
    h = e->hi < h ? e->hi : h;
  }
  *lo = l, *hi = h;
}

/* an i64 expression computed exactly as i32: its value and every i64
 * operand's fit 32 bits */
static bool fits(N *s, const Expr *e, int depth) {
  int64_t lo, hi;
  range(s, e, &lo, &hi, 0);
  if (lo < INT32_MIN || hi > INT32_MAX || depth > 48) return false;
  switch (e->kind) {
  case E_CONST: case E_VAR: return true;
  case E_ACC: return acc32(s);
  case E_TMP: return !e->a[0] && s->n->locals[e->i].kind == LV_LET && s->n->locals[e->i].dt == DT_I32;
  case E_LOAD: return false;
  case E_ALU: break;
  }
  if (e->op == OP_CAST)
    return !dtype_info[e->a[0]->dt].is_float && (e->a[0]->dt != DT_I64 || fits(s, e->a[0], depth + 1));
  for (int i = 0; i < 3; i++)
    if (e->a[i] && e->a[i]->dt == DT_I64 && !fits(s, e->a[i], depth + 1)) return false;
  return true;
}

static Expr *rebuild(N *s, const Expr *e) {
  if (!e || s->oom) return (Expr *)e;
  Expr *m = memo_get(s, e);
  if (m) return m;
  Expr *ops[3] = {e->a[0], e->a[1], e->a[2]}, **idx = e->idx;
  bool changed = false;
  if (e->kind == E_ALU || e->kind == E_TMP)
    for (int i = 0; i < 3; i++) {
      ops[i] = rebuild(s, e->a[i]);
      changed |= ops[i] != e->a[i];
    }
  if (e->kind == E_LOAD) {
    idx = arena_alloc(s->n->a, sizeof(Expr *) * (size_t)(e->nidx + 1));
    if (!idx) {
      s->oom = true;
      return (Expr *)e;
    }
    for (int i = 0; i < e->nidx; i++) {
      idx[i] = rebuild(s, e->idx[i]);
      changed |= idx[i] != e->idx[i];
    }
  }
  bool to32 = e->dt == DT_I64 && e->kind != E_VAR && e->kind != E_LOAD && fits(s, e, 0);
  Expr *r = (Expr *)e;
  if (to32 || changed) {
    r = arena_alloc(s->n->a, sizeof *r);
    if (!r) {
      s->oom = true;
      return (Expr *)e;
    }
    *r = *e;
    for (int i = 0; i < 3; i++) r->a[i] = ops[i];
    r->idx = idx;
    if (to32) {
      int64_t lo, hi;
      range(s, e, &lo, &hi, 0);
      r->dt = DT_I32;
      r->lo = lo, r->hi = hi;
      r->narrowed = true;
    }
  }
  memo_put(s, e, r);
  return r;
}

/* the accumulator only ever reaches the output truncated to <= 32 bits */
static bool acc_truncated(const Expr *e, const Expr *parent) {
  if (!e) return true;
  if (e->kind == E_ACC) {
    DType t = parent && parent->op == OP_CAST ? parent->dt : DT_UNDEF;
    return t != DT_UNDEF && !dtype_info[t].is_float && t != DT_I64 && t != DT_U64;
  }
  if (e->kind != E_ALU) return true;
  for (int i = 0; i < 3; i++)
    if (!acc_truncated(e->a[i], e)) return false;
  return true;
}

static void narrow_stmt(N *s, Stmt *st) {
  st->e = rebuild(s, st->e);
  st->idx = rebuild(s, st->idx);
  st->arg = rebuild(s, st->arg);
  if (st->kind == ST_DEF && st->e && st->e->dt == DT_I32 && st->e->narrowed && s->n->locals[st->slot].kind == LV_LET)
    s->n->locals[st->slot].dt = DT_I32; /* its E_TMP readers narrow with it */
  for (int i = 0; i < st->n; i++) narrow_stmt(s, st->s[i]);
}

int gpu_narrow(Nest *n) {
  const Kernel *k = n->k;
  N s = {.n = n};
  if (n->acc >= 0) {
    Local *acc = &n->locals[n->acc];
    bool arg = k->rop == OP_ARGMAX || k->rop == OP_ARGMIN;
    if (arg) acc->dt = DT_I32; /* a position in a tensor of < 2^31 elements */
    else if ((k->accdt == DT_I64 || k->accdt == DT_U64) && (k->rop == OP_RSUM || k->rop == OP_RPROD) &&
             (k->post ? acc_truncated(k->post, NULL) : (dtype_info[k->out->dt].size <= 4 && !dtype_info[k->out->dt].is_float)))
      acc->dt = k->accdt == DT_I64 ? DT_I32 : DT_U32;
  }
  narrow_stmt(&s, n->root);
  return s.oom ? -1 : 0;
}

Expr *gpu_index(Nest *n, const Value *buf, Expr **idx) {
  N s = {.n = n};
  Expr *r = rebuild(&s, ex_flat(n->a, buf, idx));
  return s.oom ? NULL : r;
}
