/* fuse.c: kernel fusion by substitution.
 *
 * Requires: lowered kernels. Provides: fewer kernels, fewer materialized
 * buffers; the same values.
 *
 * Two rewrites, applied until nothing changes:
 *  inline    a load of a buffer written by an elementwise kernel P (no
 *            reduction) is replaced by P's body with P's loop variables
 *            bound to the load's index. Allowed when P is pure movement or
 *            cheap arithmetic, or when the consumer is P's only reader and
 *            reads each element once (so nothing is recomputed).
 *  epilogue  an elementwise kernel C that reads a reduction R's result at
 *            exactly its own index, and is R's only reader, absorbs R: the
 *            reduction runs in C's place and C's body becomes R's post
 *            expression (bias + activation after a matmul, the divide of a
 *            mean, softmax's normalization).
 * A buffer that nobody reads any more and is not a graph output is no
 * longer materialized; its kernel is dropped.
 */
#include "ir.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The buffers a kernel loads (first-occurrence order of a walk over its
 * roots, at most MAXB) are kept per kernel and recomputed only when the
 * kernel changes, not at every step of the fixed-point loop: exactly the
 * lists a walk gives, without re-walking a kernel's body per producer. */
#define MAXB 256
typedef struct {
  Value **v;
  int n;
  bool valid;
} Bufs;

/* Expression heights (longest path to a leaf, capped at MAXH + 1), memoized
 * by node for the whole pass: expressions are immutable, so each node is
 * measured once. A producer whose body is taller than MAXH is not inlined
 * (it stays a buffer): inlining substitutes (copies) the body, so a chain of
 * n elementwise ops cost O(n^2) time and memory, and the recursive walks of
 * the later passes, the renderers and C compilers met n-deep expressions.
 * With the cap a chain becomes kernels of at most ~MAXH levels: linear. */
#define MAXH 64
typedef struct {
  const Expr **key;
  int *h;
  size_t n, cap;
} Heights;

typedef struct {
  Program *p;
  Arena *a;
  int *refs;  /* per value id: number of live kernels that load it */
  Bufs *bufs; /* per kernel id */
  Heights hs;
} F;

static size_t hslot(const Heights *m, const Expr *e) {
  size_t i = ((uintptr_t)e >> 4) * 0x9E3779B97F4A7C15u & (m->cap - 1);
  while (m->key[i] && m->key[i] != e) i = (i + 1) & (m->cap - 1);
  return i;
}

static int hput(Heights *m, const Expr *e, int h) {
  if (2 * (m->n + 1) > m->cap) {
    Heights g = {.cap = m->cap ? 2 * m->cap : 1024};
    g.key = calloc(g.cap, sizeof *g.key), g.h = malloc(g.cap * sizeof *g.h);
    if (!g.key || !g.h) return free(g.key), free(g.h), -1;
    for (size_t i = 0; i < m->cap; i++)
      if (m->key[i]) {
        size_t j = hslot(&g, m->key[i]);
        g.key[j] = m->key[i], g.h[j] = m->h[i], g.n++;
      }
    free(m->key), free(m->h);
    *m = g;
  }
  size_t i = hslot(m, e);
  if (!m->key[i]) m->key[i] = e, m->n++;
  m->h[i] = h;
  return 0;
}

/* min(height of e, MAXH + 1); -1 when out of memory. Recursion is bounded
 * too: past MAXH levels the answer is "too tall" without looking further
 * (*guess is set, and nothing computed from a guess is memoized, so the
 * memo holds exact heights). Bodies are built bottom-up, so a producer's
 * body is mostly measured already when it is asked about. */
static int height(F *f, const Expr *e, int depth, bool *guess) {
  if (!e) return 0;
  if (f->hs.cap) {
    size_t i = hslot(&f->hs, e);
    if (f->hs.key[i]) return f->hs.h[i];
  }
  if (depth > MAXH) return *guess = true, MAXH + 1;
  int h = 0;
  bool g = false;
  for (int i = 0; i < (e->kind == E_LOAD ? e->nidx : 0) + 3; i++) {
    const Expr *c = e->kind == E_LOAD && i < e->nidx ? e->idx[i] : e->a[i - (e->kind == E_LOAD ? e->nidx : 0)];
    int x = height(f, c, depth + 1, &g);
    if (x < 0) return -1;
    h = x > h ? x : h;
  }
  h = h + 1 > MAXH + 1 ? MAXH + 1 : h + 1;
  if (g) return *guess = true, h;
  return hput(&f->hs, e, h) ? -1 : h;
}

typedef struct {
  Value **seen;
  int n;
} Walk;

static void collect(Walk *w, const Expr *e) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    int i;
    for (i = 0; i < w->n; i++)
      if (w->seen[i] == e->buf) break;
    if (i == w->n && w->n < MAXB) w->seen[w->n++] = e->buf;
    for (int k = 0; k < e->nidx; k++) collect(w, e->idx[k]);
  }
  for (int k = 0; k < 3; k++) collect(w, e->a[k]);
}

static int refresh(F *f, const Kernel *k) {
  Value *seen[MAXB];
  Walk w = {.seen = seen};
  for (int i = 0; i < kernel_nroots(k); i++) collect(&w, kernel_root(k, i));
  Bufs *b = &f->bufs[k->id];
  if (w.n > 0 && !(b->v = arena_alloc(f->a, sizeof(Value *) * (size_t)w.n))) return -1;
  if (w.n) memcpy(b->v, seen, sizeof(Value *) * (size_t)w.n);
  b->n = w.n;
  b->valid = true;
  return 0;
}

static const Bufs *kernel_bufs(F *f, const Kernel *k) {
  if (!f->bufs[k->id].valid && refresh(f, k)) return NULL;
  return &f->bufs[k->id];
}

static int count_refs(F *f, const Kernel *k, int delta) {
  const Bufs *b = kernel_bufs(f, k);
  if (!b) return -1;
  for (int i = 0; i < b->n; i++) f->refs[b->v[i]->id] += delta;
  return 0;
}

/* k's roots changed: its list is walked again and counted */
static int recount(F *f, const Kernel *k) {
  f->bufs[k->id].valid = false;
  return count_refs(f, k, +1);
}

static int cost(const Expr *e, int depth) {
  if (!e || depth > 64) return 1000;
  int c = 0;
  if (e->kind == E_ALU && e->dt != DT_I64) {
    switch (e->op) {
    case OP_EXP: case OP_LOG: case OP_ERF: case OP_TANH: case OP_SIN: case OP_COS: case OP_TAN: case OP_POW:
    case OP_ASIN: case OP_ACOS: case OP_ATAN: case OP_SINH: case OP_COSH: case OP_ASINH: case OP_ACOSH:
    case OP_ATANH: case OP_SQRT: case OP_DIV: case OP_RECIP: c += 8; break;
    default: c += 1;
    }
  }
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++) c += cost(e->idx[i], depth + 1) / 4;
  for (int i = 0; i < 3; i++) c += e->a[i] ? cost(e->a[i], depth + 1) : 0;
  return c;
}

/* vars used anywhere in e, as a bit mask */
static unsigned vars_used(const Expr *e) {
  if (!e) return 0;
  unsigned m = e->kind == E_VAR ? 1u << e->i : 0;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++) m |= vars_used(e->idx[i]);
  for (int i = 0; i < 3; i++) m |= vars_used(e->a[i]);
  return m;
}

static unsigned kernel_vars(const Kernel *k) {
  unsigned m = 0;
  for (int i = 0; i < k->nout; i++)
    if (k->oshape[i] > 1) m |= 1u << i;
  for (int i = 0; i < k->nred; i++)
    if (k->rshape[i] > 1) m |= 1u << (k->nout + i);
  return m;
}

/* Finds the first load of buf in e. */
static const Expr *find_load(const Expr *e, const Value *buf) {
  if (!e) return NULL;
  if (e->kind == E_LOAD) {
    if (e->buf == buf) return e;
    for (int i = 0; i < e->nidx; i++) {
      const Expr *r = find_load(e->idx[i], buf);
      if (r) return r;
    }
  }
  for (int i = 0; i < 3; i++) {
    const Expr *r = find_load(e->a[i], buf);
    if (r) return r;
  }
  return NULL;
}

/* Replaces every load of P->out in e by P's body at that load's index.
 * Memoized on the node so shared subtrees stay shared. */
typedef struct {
  Arena *a;
  const Kernel *P;
  Expr *post; /* epilogue mode: replacement for an identity load */
  const Expr **from;
  Expr **to;
  int n, cap;
} Rep;

static Expr *rep(Rep *r, Expr *e) {
  if (!e) return NULL;
  for (int i = 0; i < r->n; i++)
    if (r->from[i] == e) return r->to[i];
  Expr *out = e;
  if (e->kind == E_LOAD) {
    Expr *idx[MAX_RANK];
    bool same = true;
    for (int i = 0; i < e->nidx; i++) {
      idx[i] = rep(r, e->idx[i]);
      same &= idx[i] == e->idx[i];
    }
    if (e->buf == r->P->out) {
      if (r->post) {
        out = r->post;
      } else {
        Expr *sub[2 * MAX_RANK + 4] = {0};
        for (int i = 0; i < e->nidx; i++) sub[i] = idx[i];
        out = ex_subst(r->a, r->P->body, sub, NULL);
      }
    } else if (!same) {
      out = ex_load(r->a, e->buf, idx);
    }
  } else if (e->kind == E_ALU) {
    Expr *x = rep(r, e->a[0]), *y = rep(r, e->a[1]), *z = rep(r, e->a[2]);
    if (x != e->a[0] || y != e->a[1] || z != e->a[2]) out = ex_alu(r->a, e->op, e->dt, x, y, z);
  }
  if (r->n == r->cap) {
    int cap = r->cap ? r->cap * 2 : 64;
    const Expr **f = arena_alloc(r->a, sizeof(Expr *) * (size_t)cap);
    Expr **t = arena_alloc(r->a, sizeof(Expr *) * (size_t)cap);
    if (!f || !t) return NULL;
    if (r->n) {
      memcpy(f, r->from, sizeof(Expr *) * (size_t)r->n);
      memcpy(t, r->to, sizeof(Expr *) * (size_t)r->n);
    }
    r->from = f;
    r->to = t;
    r->cap = cap;
  }
  r->from[r->n] = e;
  r->to[r->n++] = out;
  return out;
}

static bool is_output(const Value *v) { return v->out_index >= 0 || v->check; } /* a root: a graph output or a run-time check */

static int try_let(F *f, Kernel *K, Kernel *P);

static int try_inline(F *f, Kernel *K, Kernel *P) {
  Value *V = P->out;
  if (P->nred || is_output(V) || P == K) return 0;
  if (P->nlets) return try_let(f, K, P); /* substituting P's body would leave its temporaries behind */
  bool move = P->body->kind == E_LOAD; /* pure index remapping */
  int nloads = kernel_count_loads(K, V);
  int c = cost(P->body, 0);
  bool ok;
  if (move) {
    ok = c < 40;
  } else if (f->refs[V->id] == 1 && nloads == 1) {
    /* sole reader: inline unless a reduction would re-read elements */
    const Expr *ld = find_load(K->body, V);
    unsigned need = kernel_vars(K), have = 0;
    if (ld)
      for (int i = 0; i < ld->nidx; i++) have |= vars_used(ld->idx[i]);
    ok = K->nred == 0 || (need & ~have) == 0 || c <= 3;
  } else {
    ok = c <= 3 && nloads <= 2;
  }
  if (!ok) return try_let(f, K, P);
  bool guess = false;
  int h = height(f, P->body, 0, &guess);
  if (h < 0) return -1;
  if (h > MAXH) return 0;
  Rep r = {.a = f->a, .P = P};
  if (count_refs(f, K, -1)) return -1;
  Expr *body = rep(&r, K->body), *post = K->post ? rep(&r, K->post) : NULL;
  if (!body || (K->post && !post)) return -1;
  for (int i = 0; i < K->nlets; i++)
    if (!(K->lets[i]->def = rep(&r, K->lets[i]->def))) return -1;
  K->body = body;
  K->post = post;
  return recount(f, K) ? -1 : 1;
}

static bool ex_same(const Expr *a, const Expr *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind || a->dt != b->dt || a->op != b->op) return false;
  switch (a->kind) {
  case E_CONST: return a->i == b->i && (a->f == b->f || (a->f != a->f && b->f != b->f));
  case E_VAR: return a->i == b->i;
  case E_ACC: return true;
  case E_TMP: return false; /* distinct temporaries */
  case E_LOAD:
    if (a->buf != b->buf) return false;
    for (int i = 0; i < a->nidx; i++)
      if (!ex_same(a->idx[i], b->idx[i])) return false;
    return true;
  case E_ALU:
    for (int i = 0; i < 3; i++)
      if (!ex_same(a->a[i], b->a[i])) return false;
    return true;
  }
  return false;
}

/* every load of V in e uses exactly the index of `ref` */
static bool loads_agree(const Expr *e, const Value *V, const Expr *ref) {
  if (!e) return true;
  if (e->kind == E_LOAD) {
    if (e->buf == V && !ex_same(e, ref)) return false;
    for (int i = 0; i < e->nidx; i++)
      if (!loads_agree(e->idx[i], V, ref)) return false;
  }
  for (int i = 0; i < 3; i++)
    if (!loads_agree(e->a[i], V, ref)) return false;
  return true;
}

/* The first load of buf in the kernel's body or lets. */
static const Expr *kernel_find_load(const Kernel *k, const Value *buf) {
  const Expr *ld = find_load(k->body, buf);
  for (int i = 0; i < k->nlets && !ld; i++) ld = find_load(k->lets[i]->def, buf);
  return ld;
}

#define MAXLETS 512

/* let: P's value becomes a temporary of K, computed once per point of K.
 * For a producer that K reads several times at one index, where
 * substitution would copy P's body once per load: a tree level's node
 * index feeds four table lookups, so a chain of `depth` levels would grow
 * 4^depth; as temporaries it is `depth` statements with the node index in
 * a register (the fused traversal). Allowed when K is P's only reader,
 * every load is at the same index, that index is in bounds (the
 * temporary is evaluated unconditionally, where a load may have sat under
 * a WHERE), and each point of K reads a different element (nothing is
 * recomputed). P's own temporaries come first, renumbered. */
static int try_let(F *f, Kernel *K, Kernel *P) {
  Value *V = P->out;
  if (P->nred || is_output(V) || P == K || f->refs[V->id] != 1) return 0;
  if (V->dt == DT_F16 || V->dt == DT_BF16 || P->body->dt != V->dt) return 0; /* storage would round */
  if (ex_count_loads(K->post, V) || K->nlets + P->nlets + 1 > MAXLETS) return 0;
  const Expr *ld = kernel_find_load(K, V);
  if (!ld || !loads_agree(K->body, V, ld)) return 0;
  for (int i = 0; i < K->nlets; i++)
    if (!loads_agree(K->lets[i]->def, V, ld)) return 0;
  unsigned have = 0;
  for (int d = 0; d < ld->nidx; d++) {
    if (ld->idx[d]->lo < 0 || ld->idx[d]->hi >= V->shape[d]) return 0;
    have |= vars_used(ld->idx[d]);
  }
  if (kernel_vars(K) & ~have) return 0;
  Expr *sub[2 * MAX_RANK + 4] = {0};
  for (int d = 0; d < ld->nidx; d++) sub[d] = ld->idx[d];
  int n = P->nlets + 1 + K->nlets;
  Expr **lets = arena_alloc(f->a, sizeof(Expr *) * (size_t)n);
  if (!lets) return -1;
  for (int j = 0; j < P->nlets; j++) { /* P dies: its temporaries move */
    Expr *t = P->lets[j];
    if (!(t->def = ex_subst(f->a, t->def, sub, NULL))) return -1;
    t->lo = t->def->lo, t->hi = t->def->hi; /* the index is in range: narrower, still sound */
    lets[j] = t;
  }
  Expr *val = ex_subst(f->a, P->body, sub, NULL);
  Expr *t = val ? ex_tmp(f->a, val) : NULL;
  if (!t) return -1;
  lets[P->nlets] = t;
  f->bufs[P->id].valid = false; /* its temporaries changed (release walks them) */
  if (count_refs(f, K, -1)) return -1;
  Rep r = {.a = f->a, .P = P, .post = t};
  if (!(K->body = rep(&r, K->body))) return -1;
  for (int j = 0; j < K->nlets; j++) {
    if (!(K->lets[j]->def = rep(&r, K->lets[j]->def))) return -1;
    lets[P->nlets + 1 + j] = K->lets[j];
  }
  for (int j = 0; j < n; j++) lets[j]->i = j;
  K->lets = lets;
  K->nlets = n; /* P keeps its list: dropping P releases those loads' counts */
  return recount(f, K) ? -1 : 1;
}

/* C (elementwise) reads R's result once per output element, always at the
 * same index, which is a one-to-one map of C's index space (identity,
 * reshape, permute): R runs in C's place with its output variables bound
 * to that index, and C's body becomes R's post expression. */

/* provenance of a fused kernel: R's parts, then C's that R lacks, " + "
 * between them, a part in the same file as the one before it as "+line"
 * (m.yaml:13+14); the parts are split back out of earlier merges */
static const char *merge_where(Arena *a, const char *r, const char *c) {
  const char *parts[64];
  int n = 0;
  char *buf = arena_printf(a, "%s + %s", r ? r : "", c ? c : "");
  if (!buf) return NULL;
  for (char *s = buf; s && n < 64;) {
    char *e = strstr(s, " + ");
    if (e) *e = 0;
    /* "m.yaml:13+14" back to its lines, in order (only digits and '+' after the colon) */
    const char *colon = strrchr(s, ':');
    if (colon && colon[1] && !colon[strspn(colon + 1, "0123456789+") + 1] && strchr(colon, '+')) {
      for (const char *t = colon + 1; *t && n < 63;) {
        size_t w = strcspn(t, "+");
        if (w) parts[n++] = arena_printf(a, "%.*s%.*s", (int)(colon - s + 1), s, (int)w, t);
        t += w + (t[w] == '+');
      }
      *s = 0; /* all of it is in parts now */
    }
    if (*s && n < 64) parts[n++] = s;
    s = e ? e + 3 : NULL;
    if (s && n == 64) parts[63] = "..."; /* provenance of a very long chain, cut */
  }
  Buf b = {0};
  const char *prev = NULL;
  for (int i = 0; i < n; i++) {
    bool dup = false;
    for (int j = 0; j < i && !dup; j++) dup = !strcmp(parts[i], parts[j]);
    if (dup || !parts[i]) continue;
    const char *colon = strrchr(parts[i], ':');
    size_t pre = colon ? (size_t)(colon - parts[i]) + 1 : 0;
    if (prev && pre && !strncmp(prev, parts[i], pre)) buf_printf(&b, "+%s", parts[i] + pre);
    else buf_printf(&b, "%s%s", prev ? " + " : "", parts[i]);
    prev = parts[i];
  }
  return buf_take(a, &b, NULL);
}

static int try_epilogue(F *f, Kernel *C, Kernel *R) {
  Value *V = R->out;
  if (!R->nred || C->nred || is_output(V) || f->refs[V->id] != 1) return 0;
  if (C->nlets) return 0; /* C's body becomes a post expression, which has no temporaries */
  if (R->rop == OP_ARGMAX || R->rop == OP_ARGMIN) return 0;
  if (C->nout + R->nred > 2 * MAX_RANK) return 0;
  if (shape_numel(C->nout, C->oshape) != shape_numel(R->nout, R->oshape)) return 0;
  const Expr *ld = find_load(C->body, V);
  if (!ld || !loads_agree(C->body, V, ld)) return 0;
  unsigned have = 0;
  for (int i = 0; i < ld->nidx; i++) have |= vars_used(ld->idx[i]);
  if (kernel_vars(C) & ~have) return 0; /* some output element would not read V */
  /* R's variables in C's numbering: outputs -> the load's index, reduction
   * variables after C's outputs */
  Expr *sub[2 * MAX_RANK + 4] = {0};
  for (int i = 0; i < R->nout; i++) sub[i] = ld->idx[i];
  for (int j = 0; j < R->nred; j++) sub[R->nout + j] = ex_var(f->a, C->nout + j, R->rshape[j]);
  Expr *acc = ex_acc(f->a, R->accdt);
  if (!acc) return -1;
  Expr *rpost = R->post ? ex_subst(f->a, R->post, sub, acc) : acc;
  if (rpost && !R->post && R->accdt != V->dt) rpost = ex_alu(f->a, OP_CAST, V->dt, rpost, NULL, NULL);
  Expr *body = ex_subst(f->a, R->body, sub, NULL);
  if (!rpost || !body) return -1;
  Rep r = {.a = f->a, .P = R, .post = rpost};
  if (count_refs(f, C, -1) || count_refs(f, R, -1)) return -1; /* R's loads are C's now */
  Expr *post = rep(&r, C->body);
  if (!post) return -1;
  for (int j = 0; j < R->nlets; j++) { /* R's temporaries move with its body */
    Expr *t = R->lets[j];
    if (!(t->def = ex_subst(f->a, t->def, sub, NULL))) return -1;
  }
  C->lets = R->lets;
  C->nlets = R->nlets;
  C->post = post;
  C->body = body;
  C->nred = R->nred;
  memcpy(C->rshape, R->rshape, sizeof C->rshape);
  C->rop = R->rop;
  C->accdt = R->accdt;
  C->select_last = R->select_last;
  C->origin = strcmp(R->origin, C->origin) ? arena_printf(f->a, "%s + %s", R->origin, C->origin) : R->origin;
  if (!(C->where = merge_where(f->a, R->where, C->where))) return -1;
  R->dead = true;
  f->bufs[R->id].valid = false;
  V->materialized = false;
  V->kernel = NULL;
  return recount(f, C) ? -1 : 1;
}

/* P, once nobody reads its buffer, is dropped at once, so the counts of
 * what it loads are exact for the kernels fused after it (a gather inlined
 * into its reader stops counting as a second reader of the index). */
static int release(F *f, Kernel *P) {
  if (P->dead || is_output(P->out) || f->refs[P->out->id] > 0) return 0;
  P->dead = true;
  P->out->materialized = false;
  P->out->kernel = NULL;
  return count_refs(f, P, -1);
}

static int fuse(F *f) {
  Program *p = f->p;
  f->refs = arena_alloc(p->a, sizeof(int) * (size_t)(p->values.n + 1));
  f->bufs = arena_alloc(p->a, sizeof(Bufs) * (size_t)(p->kernels.n + 1));
  if (!f->refs || !f->bufs) return -1;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *K = p->kernels.v[i];
    if (K->id != i) return -1; /* kernel ids index f->bufs */
    if (count_refs(f, K, +1)) return -1;
  }
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *K = p->kernels.v[i];
    if (K->dead) continue;
    for (int guard = 0; guard < 256; guard++) {
      const Bufs *b = kernel_bufs(f, K);
      if (!b) return -1;
      Value *seen[MAXB];
      int n = b->n, changed = 0;
      if (n) memcpy(seen, b->v, sizeof(Value *) * (size_t)n); /* fusing replaces b's list */
      for (int j = 0; j < n && !changed; j++) {
        Kernel *P = seen[j]->kernel;
        if (!P || P->dead || !seen[j]->materialized) continue;
        changed = P->nred ? try_epilogue(f, K, P) : try_inline(f, K, P);
        if (changed < 0) return -1;
        if (changed && release(f, P)) return -1;
      }
      if (!changed) break;
    }
  }
  /* drop producers nobody reads any more */
  for (int i = p->kernels.n - 1; i >= 0; i--) {
    Kernel *K = p->kernels.v[i];
    if (K->dead || is_output(K->out) || f->refs[K->out->id] > 0) continue;
    K->dead = true;
    K->out->materialized = false;
    K->out->kernel = NULL;
    if (count_refs(f, K, -1)) return -1;
  }
  /* compact, renumber */
  int m = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *K = p->kernels.v[i];
    if (K->dead) continue;
    K->id = m;
    p->kernels.v[m++] = K;
  }
  p->kernels.n = m;
  return 0;
}

int ir_fuse(Program *p, Diags *d) {
  (void)d;
  F f = {.p = p, .a = p->a};
  int rc = fuse(&f);
  free(f.hs.key), free(f.hs.h); /* on every path: an error used to leak the memo */
  return rc;
}
