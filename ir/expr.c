/* expr.c: building kernel-IR expressions, simplifying as they are built.
 *
 * Integer (index) expressions carry a value range [lo, hi]. The constructors
 * use it to fold what the ranges decide: x % c is x when 0 <= x < c, a
 * comparison whose ranges do not overlap is a constant, and a sum of terms
 * divided by c keeps only the terms whose coefficient c does not divide.
 * That is what turns reshape/flatten index maps (flatten then unflatten)
 * back into plain strides, and proves most padding checks away.
 *
 * Expressions are immutable; ex_subst rebuilds (memoized, so DAG sharing
 * survives) and re-simplifies through these constructors.
 */
#include "ir.h"

#include <string.h>

static Expr *mk(Arena *a, ExprKind k, DType dt) {
  Expr *e = arena_alloc(a, sizeof *e);
  if (!e) return NULL;
  e->kind = k;
  e->dt = dt;
  e->op = OP_NONE;
  return e;
}

static bool is_ci(const Expr *e) { return e && e->kind == E_CONST && e->dt == DT_I64; }

Expr *ex_const_i(Arena *a, int64_t v) {
  Expr *e = mk(a, E_CONST, DT_I64);
  if (!e) return NULL;
  e->i = v;
  e->f = (double)v;
  e->lo = e->hi = v;
  return e;
}

Expr *ex_const(Arena *a, DType dt, double f, int64_t i) {
  Expr *e = mk(a, E_CONST, dt);
  if (!e) return NULL;
  if (dtype_info[dt].is_float) {
    e->f = f;
    e->i = (int64_t)0;
  } else {
    e->i = i;
    e->f = (double)i;
    e->lo = e->hi = i;
  }
  return e;
}

Expr *ex_var(Arena *a, int v, int64_t extent) {
  if (extent <= 1) return ex_const_i(a, 0);
  Expr *e = mk(a, E_VAR, DT_I64);
  if (!e) return NULL;
  e->i = v;
  e->lo = 0;
  e->hi = extent - 1;
  return e;
}

/* A constant integer table's values bound what a load from it yields: the
 * node numbers of a tree table are then provably in range, and the gathers
 * that use them need no wrap or clamp. Computed once per constant. */
static void const_range(Value *v) {
  if (v->ranged || v->kind != VK_CONST || !v->cdata || v->dt == DT_U64 || v->dt == DT_STRING ||
      dtype_info[v->dt].is_float)
    return;
  int64_t n = shape_numel(v->rank, v->shape);
  if (n <= 0) return;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t i = 0; i < n; i++) {
    int64_t x = raw_get_i(v->dt, v->cdata, i);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  v->rlo = lo, v->rhi = hi;
  v->ranged = true;
}

Expr *ex_load(Arena *a, Value *buf, Expr **idx) {
  Expr *e = mk(a, E_LOAD, buf->dt);
  if (!e) return NULL;
  e->buf = buf;
  e->nidx = buf->rank;
  e->idx = arena_alloc(a, sizeof(Expr *) * (size_t)(buf->rank ? buf->rank : 1));
  if (!e->idx) return NULL;
  for (int i = 0; i < buf->rank; i++) e->idx[i] = idx[i];
  if (dtype_info[buf->dt].is_float) return e;
  e->lo = buf->dt == DT_BOOL ? 0 : INT64_MIN;
  e->hi = buf->dt == DT_BOOL ? 1 : INT64_MAX;
  if (buf->dt == DT_U8 || buf->dt == DT_U16 || buf->dt == DT_U32) { /* never negative: a gather by u8 codes needs no wrap */
    e->lo = 0;
    e->hi = (int64_t)(((uint64_t)1 << (8 * dtype_info[buf->dt].size)) - 1);
  }
  const_range(buf);
  if (buf->ranged) e->lo = buf->rlo, e->hi = buf->rhi;
  return e;
}

Expr *ex_acc(Arena *a, DType dt) { return mk(a, E_ACC, dt); }

/* ------------------------------------------------ linear forms for indices */
#define MAXTERMS 24
typedef struct {
  int n;
  int64_t c[MAXTERMS];
  Expr *t[MAXTERMS];
  int64_t k; /* constant */
  bool ok;
} Lin;

static void lin_add(Lin *l, const Expr *e, int64_t mul) {
  if (!l->ok) return;
  if (is_ci(e)) {
    l->k += e->i * mul;
    return;
  }
  if (e->kind == E_ALU && e->op == OP_ADD && e->dt == DT_I64) {
    lin_add(l, e->a[0], mul);
    lin_add(l, e->a[1], mul);
    return;
  }
  if (e->kind == E_ALU && e->op == OP_MUL && e->dt == DT_I64 && is_ci(e->a[1])) {
    lin_add(l, e->a[0], mul * e->a[1]->i);
    return;
  }
  for (int i = 0; i < l->n; i++)
    if (l->t[i] == e) {
      l->c[i] += mul;
      return;
    }
  if (l->n == MAXTERMS) {
    l->ok = false;
    return;
  }
  l->c[l->n] = mul;
  l->t[l->n++] = (Expr *)e;
}

static Expr *mk_bin(Arena *a, Op op, Expr *x, Expr *y, int64_t lo, int64_t hi) {
  Expr *e = mk(a, E_ALU, DT_I64);
  if (!e) return NULL;
  e->op = op;
  e->a[0] = x;
  e->a[1] = y;
  e->lo = lo;
  e->hi = hi;
  return e;
}

static int64_t sat_add(int64_t x, int64_t y) {
  if (y > 0 && x > INT64_MAX - y) return INT64_MAX;
  if (y < 0 && x < INT64_MIN - y) return INT64_MIN;
  return x + y;
}

static int64_t sat_mul(int64_t x, int64_t y) {
  if (x == 0 || y == 0) return 0;
  if (x > 0 ? (y > 0 ? x > INT64_MAX / y : y < INT64_MIN / x) : (y > 0 ? x < INT64_MIN / y : x < INT64_MAX / y))
    return ((x > 0) == (y > 0)) ? INT64_MAX : INT64_MIN;
  return x * y;
}

static Expr *scale(Arena *a, Expr *t, int64_t c) {
  if (!t) return NULL;
  if (c == 0) return ex_const_i(a, 0);
  if (c == 1) return t;
  if (is_ci(t)) return ex_const_i(a, t->i * c);
  int64_t l = sat_mul(t->lo, c), h = sat_mul(t->hi, c);
  return mk_bin(a, OP_MUL, t, ex_const_i(a, c), l < h ? l : h, l < h ? h : l);
}

static Expr *lin_build(Arena *a, const Lin *l) {
  Expr *r = NULL;
  for (int i = 0; i < l->n; i++) {
    if (!l->c[i]) continue;
    Expr *t = scale(a, l->t[i], l->c[i]);
    r = r ? mk_bin(a, OP_ADD, r, t, sat_add(r->lo, t->lo), sat_add(r->hi, t->hi)) : t;
  }
  if (!r) return ex_const_i(a, l->k);
  if (l->k) r = mk_bin(a, OP_ADD, r, ex_const_i(a, l->k), sat_add(r->lo, l->k), sat_add(r->hi, l->k));
  return r;
}

static void lin_range(const Lin *l, int64_t *lo, int64_t *hi) {
  int64_t L = l->k, H = l->k;
  for (int i = 0; i < l->n; i++) {
    int64_t x = sat_mul(l->t[i]->lo, l->c[i]), y = sat_mul(l->t[i]->hi, l->c[i]);
    L = sat_add(L, x < y ? x : y);
    H = sat_add(H, x < y ? y : x);
  }
  *lo = L;
  *hi = H;
}

/* (x / c) * c*m + (x % c) * m is x * m for x >= 0 (floor division): the
 * flat index of a load whose row and column come from one fused variable
 * (ir/schedule.c merge_outputs) folds back to that variable */
static bool same_index(const Expr *x, const Expr *y, int depth) {
  if (x == y) return true;
  if (!x || !y || depth > 16 || x->kind != y->kind || x->dt != y->dt) return false;
  if (x->kind == E_CONST) return x->i == y->i && x->f == y->f;
  if (x->kind == E_VAR) return x->i == y->i;
  if (x->kind != E_ALU || x->op != y->op) return false;
  for (int i = 0; i < 3; i++)
    if (!same_index(x->a[i], y->a[i], depth + 1)) return false;
  return true;
}

/* x and y (both >= 0) leave the same remainder by c: x - y is linear with
 * every coefficient and the constant multiples of c (ex_mod reduces its
 * operand's coefficients by c: (16 i + j) % 14 is (2 i + j) % 14) */
static bool same_mod(const Expr *x, const Expr *y, int64_t c) {
  if (same_index(x, y, 0)) return true;
  if (x->lo < 0 || y->lo < 0) return false;
  Lin d = {.ok = true};
  lin_add(&d, x, 1);
  lin_add(&d, y, -1);
  if (!d.ok || d.k % c) return false;
  for (int i = 0; i < d.n; i++)
    if (d.c[i] % c) return false;
  return true;
}

static void lin_fold_divmod(Lin *l) {
  for (int i = 0; l->ok && i < l->n; i++) {
    const Expr *d = l->t[i];
    if (!l->c[i] || d->kind != E_ALU || d->op != OP_DIV || d->dt != DT_I64 || !is_ci(d->a[1]) || d->a[0]->lo < 0)
      continue;
    int64_t c = d->a[1]->i;
    for (int j = 0; j < l->n; j++) {
      const Expr *m = l->t[j];
      if (j == i || !l->c[j] || m->kind != E_ALU || m->op != OP_MOD || !is_ci(m->a[1]) || m->a[1]->i != c ||
          !same_mod(m->a[0], d->a[0], c) || l->c[j] > INT64_MAX / c || l->c[i] != l->c[j] * c)
        continue;
      int64_t mul = l->c[j];
      l->c[i] = l->c[j] = 0;
      lin_add(l, d->a[0], mul);
      break;
    }
  }
}

Expr *ex_add(Arena *a, Expr *x, Expr *y) {
  if (!x || !y) return NULL;
  Lin l = {.ok = true};
  lin_add(&l, x, 1);
  lin_add(&l, y, 1);
  if (!l.ok) return mk_bin(a, OP_ADD, x, y, sat_add(x->lo, y->lo), sat_add(x->hi, y->hi));
  lin_fold_divmod(&l);
  if (!l.ok) return mk_bin(a, OP_ADD, x, y, sat_add(x->lo, y->lo), sat_add(x->hi, y->hi));
  return lin_build(a, &l);
}

Expr *ex_mul(Arena *a, Expr *x, Expr *y) {
  if (!x || !y) return NULL;
  if (is_ci(x)) {
    Expr *t = x;
    x = y;
    y = t;
  }
  if (is_ci(y)) {
    Lin l = {.ok = true};
    lin_add(&l, x, y->i);
    if (l.ok) return lin_build(a, &l);
    return scale(a, x, y->i);
  }
  int64_t c[4] = {sat_mul(x->lo, y->lo), sat_mul(x->lo, y->hi), sat_mul(x->hi, y->lo), sat_mul(x->hi, y->hi)};
  int64_t lo = c[0], hi = c[0];
  for (int i = 1; i < 4; i++) {
    lo = c[i] < lo ? c[i] : lo;
    hi = c[i] > hi ? c[i] : hi;
  }
  return mk_bin(a, OP_MUL, x, y, lo, hi);
}

/* Floor division / modulo by a positive constant. Terms are split only when
 * every piece is non-negative, where C's truncating '/' equals floor. */
Expr *ex_div(Arena *a, Expr *x, int64_t c) {
  if (!x) return NULL;
  if (c == 1) return x;
  if (is_ci(x) && x->i >= 0) return ex_const_i(a, x->i / c);
  if (x->lo >= 0 && x->hi < c) return ex_const_i(a, 0);
  Lin l = {.ok = true};
  lin_add(&l, x, 1);
  bool nonneg = l.ok && l.k >= 0;
  for (int i = 0; l.ok && i < l.n; i++)
    if (l.c[i] < 0 || l.t[i]->lo < 0) nonneg = false;
  if (nonneg) {
    Lin q = {.ok = true}, r = {.ok = true};
    for (int i = 0; i < l.n; i++) {
      if (l.c[i] % c == 0) {
        q.c[q.n] = l.c[i] / c;
        q.t[q.n++] = l.t[i];
      } else {
        r.c[r.n] = l.c[i];
        r.t[r.n++] = l.t[i];
      }
    }
    q.k = l.k / c;
    r.k = l.k % c;
    int64_t rlo, rhi;
    lin_range(&r, &rlo, &rhi);
    if (rhi < c) return lin_build(a, &q);
    if (q.n || q.k) {
      Expr *rest = lin_build(a, &r);
      Expr *rd = mk_bin(a, OP_DIV, rest, ex_const_i(a, c), rlo / c, rhi / c);
      return ex_add(a, lin_build(a, &q), rd);
    }
  }
  return mk_bin(a, OP_DIV, x, ex_const_i(a, c), x->lo >= 0 ? x->lo / c : INT64_MIN / c,
                x->hi >= 0 ? x->hi / c : 0);
}

Expr *ex_mod(Arena *a, Expr *x, int64_t c) {
  if (!x) return NULL;
  if (c == 1) return ex_const_i(a, 0);
  if (x->lo >= 0 && x->hi < c) return x;
  if (is_ci(x) && x->i >= 0) return ex_const_i(a, x->i % c);
  Lin l = {.ok = true};
  lin_add(&l, x, 1);
  bool nonneg = l.ok && l.k >= 0;
  for (int i = 0; l.ok && i < l.n; i++)
    if (l.c[i] < 0 || l.t[i]->lo < 0) nonneg = false;
  if (nonneg) {
    Lin r = {.ok = true};
    for (int i = 0; i < l.n; i++)
      if (l.c[i] % c) {
        r.c[r.n] = l.c[i] % c;
        r.t[r.n++] = l.t[i];
      }
    r.k = l.k % c;
    int64_t rlo, rhi;
    lin_range(&r, &rlo, &rhi);
    Expr *rest = lin_build(a, &r);
    if (rhi < c) return rest;
    return mk_bin(a, OP_MOD, rest, ex_const_i(a, c), 0, c - 1);
  }
  return mk_bin(a, OP_MOD, x, ex_const_i(a, c), x->lo >= 0 ? 0 : -(c - 1), c - 1);
}

static Expr *bool_const(Arena *a, bool v) { return ex_const(a, DT_BOOL, 0, v); }

Expr *ex_lt(Arena *a, Expr *x, Expr *y) {
  if (!x || !y) return NULL;
  if (x->dt == DT_I64 && y->dt == DT_I64) {
    if (x->hi < y->lo) return bool_const(a, true);
    if (x->lo >= y->hi) return bool_const(a, false);
  }
  Expr *e = mk(a, E_ALU, DT_BOOL);
  if (!e) return NULL;
  e->op = OP_CMPLT;
  e->a[0] = x;
  e->a[1] = y;
  e->lo = 0;
  e->hi = 1;
  return e;
}

Expr *ex_and(Arena *a, Expr *x, Expr *y) {
  if (!x) return y;
  if (!y) return x;
  if (x->kind == E_CONST) return x->i ? y : x;
  if (y->kind == E_CONST) return y->i ? x : y;
  Expr *e = mk(a, E_ALU, DT_BOOL);
  if (!e) return NULL;
  e->op = OP_AND;
  e->a[0] = x;
  e->a[1] = y;
  e->lo = 0;
  e->hi = 1;
  return e;
}

Expr *ex_where(Arena *a, Expr *c, Expr *x, Expr *y) {
  if (!c || !x || !y) return NULL;
  if (c->kind == E_CONST) return c->i ? x : y;
  if (x == y) return x;
  Expr *e = mk(a, E_ALU, x->dt);
  if (!e) return NULL;
  e->op = OP_WHERE;
  e->a[0] = c;
  e->a[1] = x;
  e->a[2] = y;
  e->lo = x->lo < y->lo ? x->lo : y->lo;
  e->hi = x->hi > y->hi ? x->hi : y->hi;
  return e;
}

/* The range of a +, - or * on integers narrower than 64 bits, when the
 * operands' ranges show it cannot wrap (a perfect tree's position
 * 2*pos + !cond stays within its level, so the lookups need no clamp). */
static void narrow_arith(Expr *e) {
  DType dt = e->dt;
  if (dt == DT_U64 || dtype_info[dt].size > 4 || (e->op != OP_ADD && e->op != OP_SUB && e->op != OP_MUL)) return;
  const Expr *x = e->a[0], *y = e->a[1];
  if (!x || !y || dtype_info[x->dt].is_float || dtype_info[y->dt].is_float) return;
  if (x->lo < INT32_MIN || x->hi > INT32_MAX || y->lo < INT32_MIN || y->hi > INT32_MAX) return;
  int64_t c[4], lo, hi;
  if (e->op == OP_MUL) {
    c[0] = x->lo * y->lo, c[1] = x->lo * y->hi, c[2] = x->hi * y->lo, c[3] = x->hi * y->hi;
    lo = hi = c[0];
    for (int i = 1; i < 4; i++) lo = c[i] < lo ? c[i] : lo, hi = c[i] > hi ? c[i] : hi;
  } else if (e->op == OP_ADD) {
    lo = x->lo + y->lo, hi = x->hi + y->hi;
  } else {
    lo = x->lo - y->hi, hi = x->hi - y->lo;
  }
  int bits = dtype_info[dt].size * 8;
  int64_t dmin = dtype_info[dt].is_signed ? -((int64_t)1 << (bits - 1)) : 0;
  int64_t dmax = dtype_info[dt].is_signed ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << bits) - 1;
  if (lo >= dmin && hi <= dmax) e->lo = lo, e->hi = hi;
}

/* General ALU constructor: integer index arithmetic is routed to the
 * simplifying constructors above; value arithmetic is kept as written. */
Expr *ex_alu(Arena *a, Op op, DType dt, Expr *x, Expr *y, Expr *z) {
  if (!x || (op_arity[op] >= 2 && !y) || (op_arity[op] == 3 && !z)) return NULL;
  if (dt == DT_I64 && x->dt == DT_I64 && (!y || y->dt == DT_I64)) {
    if (op == OP_ADD) return ex_add(a, x, y);
    if (op == OP_MUL) return ex_mul(a, x, y);
    if (op == OP_SUB) return ex_add(a, x, ex_mul(a, y, ex_const_i(a, -1)));
    if (op == OP_DIV && is_ci(y) && y->i > 0 && x->lo >= 0) return ex_div(a, x, y->i);
    if (op == OP_MOD && is_ci(y) && y->i > 0 && x->lo >= 0) return ex_mod(a, x, y->i);
  }
  if (op == OP_WHERE) return ex_where(a, x, y, z);
  if ((op == OP_MAX || op == OP_MIN) && dt == DT_I64 && x->dt == DT_I64 && y->dt == DT_I64) {
    /* a clamp the ranges already guarantee */
    if (op == OP_MAX && x->lo >= y->hi) return x;
    if (op == OP_MAX && y->lo >= x->hi) return y;
    if (op == OP_MIN && x->hi <= y->lo) return x;
    if (op == OP_MIN && y->hi <= x->lo) return y;
  }
  if (op == OP_CMPLT && x->dt == DT_I64 && y->dt == DT_I64) return ex_lt(a, x, y);
  if (op == OP_AND && dt == DT_BOOL) return ex_and(a, x, y);
  if (op == OP_CAST && x->dt == dt) return x;
  Expr *e = mk(a, E_ALU, dt);
  if (!e) return NULL;
  e->op = op;
  e->a[0] = x;
  e->a[1] = y;
  e->a[2] = z;
  if (dt == DT_BOOL) {
    e->lo = 0;
    e->hi = 1;
  } else if (!dtype_info[dt].is_float) {
    e->lo = INT64_MIN;
    e->hi = INT64_MAX;
    if (op == OP_CAST && x->dt != DT_I64 && !dtype_info[x->dt].is_float && x->dt != DT_U64) {
      e->lo = x->lo;
      e->hi = x->hi;
    }
    narrow_arith(e);
  }
  return e;
}

/* ------------------------------------------------------------ substitution */
typedef struct {
  Arena *a;
  Expr **sub;
  Expr *acc;
  Map memo; /* keyed by pointer text; small and only per call */
  const Expr **from;
  Expr **to;
  int n, cap;
} Subst;

static Expr *memo_get(Subst *s, const Expr *e) {
  for (int i = s->n - 1; i >= 0; i--)
    if (s->from[i] == e) return s->to[i];
  return NULL;
}

static void memo_put(Subst *s, const Expr *e, Expr *r) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 64;
    const Expr **f = arena_alloc(s->a, sizeof(Expr *) * (size_t)cap);
    Expr **t = arena_alloc(s->a, sizeof(Expr *) * (size_t)cap);
    if (!f || !t) return;
    if (s->n) {
      memcpy(f, s->from, sizeof(Expr *) * (size_t)s->n);
      memcpy(t, s->to, sizeof(Expr *) * (size_t)s->n);
    }
    s->from = f;
    s->to = t;
    s->cap = cap;
  }
  s->from[s->n] = e;
  s->to[s->n++] = r;
}

static Expr *subst(Subst *s, Expr *e) {
  if (!e) return NULL;
  Expr *m = memo_get(s, e);
  if (m) return m;
  Expr *r = e;
  switch (e->kind) {
  case E_CONST: break;
  case E_VAR:
    if (s->sub && s->sub[e->i]) r = s->sub[e->i];
    break;
  case E_ACC:
    if (s->acc) r = s->acc;
    break;
  case E_TMP: /* a leaf: its definition is substituted where it lives */
    if (e->a[0]) { /* an array local's element: its index is an operand */
      Expr *x = subst(s, e->a[0]);
      if (!x) return NULL;
      if (x != e->a[0]) r = ex_local(s->a, (int)e->i, e->dt, x);
    }
    break;
  case E_LOAD: {
    Expr *idx[MAX_RANK];
    bool same = true;
    for (int i = 0; i < e->nidx; i++) {
      idx[i] = subst(s, e->idx[i]);
      if (!idx[i]) return NULL;
      same &= idx[i] == e->idx[i];
    }
    if (!same) r = ex_load(s->a, e->buf, idx);
    break;
  }
  case E_ALU: {
    Expr *x = subst(s, e->a[0]), *y = subst(s, e->a[1]), *z = subst(s, e->a[2]);
    if (x != e->a[0] || y != e->a[1] || z != e->a[2]) r = ex_alu(s->a, e->op, e->dt, x, y, z);
    break;
  }
  }
  memo_put(s, e, r);
  return r;
}

Expr *ex_subst(Arena *a, Expr *e, Expr **sub, Expr *acc) {
  Subst s = {.a = a, .sub = sub, .acc = acc};
  return subst(&s, e);
}

Expr *ex_replace(Arena *a, Expr *e, const Expr *from, Expr *to) {
  Subst s = {.a = a, .sub = NULL, .acc = NULL};
  memo_put(&s, (Expr *)from, to); /* the memo answers `from` before it is walked */
  return subst(&s, e);
}

Expr *ex_local(Arena *a, int slot, DType dt, Expr *idx) {
  Expr *e = mk(a, E_TMP, dt);
  if (!e) return NULL;
  e->i = slot;
  e->a[0] = idx;
  e->lo = INT64_MIN;
  e->hi = INT64_MAX;
  return e;
}

Expr *ex_flat_shape(Arena *a, int rank, const int64_t *shape, Expr **idx) {
  Expr *r = ex_const_i(a, 0);
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; d--) {
    r = ex_add(a, r, ex_mul(a, idx[d], ex_const_i(a, stride)));
    stride *= shape[d];
  }
  return r;
}

Expr *ex_flat(Arena *a, const Value *buf, Expr **idx) { return ex_flat_shape(a, buf->rank, buf->shape, idx); }

int ex_count_loads(const Expr *e, const Value *buf) {
  if (!e) return 0;
  int n = 0;
  if (e->kind == E_LOAD) {
    if (e->buf == buf) n++;
    for (int i = 0; i < e->nidx; i++) n += ex_count_loads(e->idx[i], buf);
  }
  for (int i = 0; i < 3; i++) n += ex_count_loads(e->a[i], buf);
  return n;
}

Expr *ex_tmp(Arena *a, Expr *def) {
  Expr *e = mk(a, E_TMP, def->dt);
  if (!e) return NULL;
  e->def = def;
  e->lo = def->lo;
  e->hi = def->hi;
  return e;
}

int kernel_count_loads(const Kernel *k, const Value *buf) {
  int n = 0;
  for (int i = 0; i < kernel_nroots(k); i++) n += ex_count_loads(kernel_root(k, i), buf);
  return n;
}
