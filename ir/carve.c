/* carve.c: programs cut from a compiled program, for bring-up (mlgen carve,
 * mlgen verify; docs/bring-up.md).
 *
 * Requires: a compiled program (ir_compile: kernels fused, scheduled,
 * planned). Provides: ir_carve, a new planned program over copies of a
 * chosen set of its kernels, which every target builds and runs as it would
 * the whole model:
 *   - taps (feed false): the kernels read each other as before, and every
 *     kernel's output is also a program output, so one run on a target gives
 *     every kernel's tensor (end-to-end verification, bisection);
 *   - isolated (feed true): every tensor a kernel reads that is not a
 *     constant becomes a program input, so each kernel can be fed the
 *     reference platform's tensors and errors do not accumulate; one kernel
 *     selected is a one-kernel program (carve's per-kernel suites).
 * Constants stay constants (the weights are the model's). Values and
 * expressions are copied, never shared with the source, so the source stays
 * as it was and a copy may be altered: `perturb` breaks one kernel on
 * purpose (tests of verify only: each output element computed at its
 * neighbour's index, or its stored value off by a constant).
 * The copies are then scheduled and planned as ir_compile does.
 */
#include "ir.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* old expression -> its copy (open addressing on the pointer) */
typedef struct {
  const Expr **k;
  Expr **v;
  size_t cap, n;
} Memo;

static size_t hash_ptr(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull); }

static Expr **memo_slot(Memo *m, const Expr *e) {
  if (2 * (m->n + 1) > m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 256;
    const Expr **k = calloc(cap, sizeof *k);
    Expr **v = calloc(cap, sizeof *v);
    if (!k || !v) {
      free(k), free(v);
      return NULL;
    }
    for (size_t i = 0; i < m->cap; i++)
      if (m->k[i]) {
        size_t j = hash_ptr(m->k[i]) & (cap - 1);
        while (k[j]) j = (j + 1) & (cap - 1);
        k[j] = m->k[i], v[j] = m->v[i];
      }
    free(m->k), free(m->v);
    m->k = k, m->v = v, m->cap = cap;
  }
  size_t j = hash_ptr(e) & (m->cap - 1);
  while (m->k[j] && m->k[j] != e) j = (j + 1) & (m->cap - 1);
  if (!m->k[j]) m->k[j] = e, m->n++;
  return &m->v[j];
}

typedef struct {
  Arena *a;
  Value **map; /* by source value id: the copy a load reads (NULL: not yet) */
  Memo memo;
  bool oom;
} Cut;

static Expr *copy(Cut *c, const Expr *e) {
  if (!e || c->oom) return NULL;
  Expr **slot = memo_slot(&c->memo, e);
  if (!slot) {
    c->oom = true;
    return NULL;
  }
  if (*slot) return *slot;
  Expr *n = arena_alloc(c->a, sizeof *n);
  if (!n) {
    c->oom = true;
    return NULL;
  }
  *n = *e;
  for (int i = 0; i < 3; i++) n->a[i] = copy(c, e->a[i]);
  n->def = copy(c, e->def);
  if (e->kind == E_LOAD) {
    n->buf = c->map[e->buf->id];
    n->idx = arena_alloc(c->a, sizeof(Expr *) * (size_t)(e->nidx + 1));
    if (!n->idx) {
      c->oom = true;
      return NULL;
    }
    for (int i = 0; i < e->nidx; i++) n->idx[i] = copy(c, e->idx[i]);
  }
  /* the slot may have moved while the operands were copied */
  if (!c->oom && !(slot = memo_slot(&c->memo, e))) c->oom = true;
  if (c->oom) return NULL;
  *slot = n;
  return n;
}

static Value *new_value(Cut *c, Program *dst, const Value *v) {
  Value *n = arena_alloc(c->a, sizeof *n);
  if (!n || vec_push(c->a, &dst->values, n)) {
    c->oom = true;
    return NULL;
  }
  *n = *v;
  n->id = dst->values.n - 1;
  n->src = NULL;
  n->nuses = 0;
  n->out_index = n->in_index = -1;
  n->check = NULL;
  n->kernel = NULL;
  n->offset = 0;
  n->materialized = v->kind == VK_CONST ? v->materialized : false;
  return n;
}

/* the ids of the non-constant tensors e reads, each once (seen: by id, the
 * stamp of the kernel that last listed it) */
static int reads(const Expr *e, int stamp, int *seen, int *ids, int *n) {
  if (!e) return 0;
  if (e->kind == E_LOAD) {
    if (e->buf->kind != VK_CONST && seen[e->buf->id] != stamp) seen[e->buf->id] = stamp, ids[(*n)++] = e->buf->id;
    for (int i = 0; i < e->nidx; i++) reads(e->idx[i], stamp, seen, ids, n);
  }
  for (int i = 0; i < 3; i++) reads(e->a[i], stamp, seen, ids, n);
  return 0;
}

static int by_id(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* the stored value of k, off by one (bool: negated; an arg reduction: the
 * other end) */
static int perturb_value(Arena *a, Kernel *k) {
  if ((k->rop == OP_ARGMAX || k->rop == OP_ARGMIN) && dtype_info[k->body->dt].is_signed) {
    /* the position is stored, not a value: compare the negated values */
    return (k->body = ex_alu(a, OP_NEG, k->body->dt, k->body, NULL, NULL)) ? 0 : -1;
  }
  Expr **at = k->nred ? &k->post : (k->post ? &k->post : &k->body);
  Expr *v = *at ? *at : ex_acc(a, k->accdt);
  if (!v) return -1;
  DType dt = v->dt;
  Expr *w = dt == DT_BOOL ? ex_alu(a, OP_NOT, dt, v, NULL, NULL)
                          : ex_alu(a, OP_ADD, dt, v, ex_const(a, dt, 0.5, 1), NULL);
  if (!w) return -1;
  *at = w;
  return 0;
}

/* every output element computed as its neighbour's along the last output
 * dimension longer than 1 (out[..., i] = f(..., (i+1) % n)); 1 when the
 * output has one element */
static int perturb_index(Arena *a, Kernel *k) {
  int d = k->nout - 1;
  while (d >= 0 && k->oshape[d] <= 1) d--;
  if (d < 0) return 1;
  Expr *sub[2 * MAX_RANK] = {0};
  sub[d] = ex_mod(a, ex_add(a, ex_var(a, d, k->oshape[d]), ex_const_i(a, 1)), k->oshape[d]);
  if (!sub[d]) return -1;
  for (int j = 0; j < k->nlets; j++)
    if (!(k->lets[j]->def = ex_subst(a, k->lets[j]->def, sub, NULL))) return -1;
  if (!(k->body = ex_subst(a, k->body, sub, NULL)) || (k->post && !(k->post = ex_subst(a, k->post, sub, NULL))))
    return -1;
  return 0;
}

int ir_carve(const Program *src, const bool *sel, bool feed, int perturb_k, int perturb_kind, Program *dst,
             int *in_src, Diags *d) {
  Arena *a = src->a;
  Cut c = {a, calloc((size_t)src->values.n + 1, sizeof(Value *)), {0}, false};
  Value **made = calloc((size_t)src->values.n + 1, sizeof(Value *)); /* outputs of the copies */
  Value **fed = calloc((size_t)src->values.n + 1, sizeof(Value *));  /* inputs, one per source tensor */
  int *seen = calloc((size_t)src->values.n + 1, sizeof(int)), *ids = calloc((size_t)src->values.n + 1, sizeof(int));
  int rc = -1;
  memset(dst, 0, sizeof *dst);
  dst->a = a;
  dst->name = src->name;
  dst->file = src->file;
  dst->fold_limit = src->fold_limit;
  dst->rewrites = src->rewrites;
  dst->tune = src->tune;
  dst->ntune = src->ntune;
  if (!c.map || !made || !fed || !seen || !ids) goto oom;
  /* constants: one copy each, loaded as they were */
  for (int i = 0; i < src->values.n; i++) {
    const Value *v = src->values.v[i];
    if (v->kind == VK_CONST && !(c.map[v->id] = new_value(&c, dst, v))) goto oom;
  }
  /* outputs of the chosen kernels, in kernel order */
  for (int i = 0; i < src->kernels.n; i++) {
    const Kernel *k = src->kernels.v[i];
    if (!sel[i] || k->dead) continue;
    if (k->out->dt == DT_STRING) {
      diag_error(d, (Loc){.file = src->file}, "unsupported: kernel %d (%s) writes a string tensor, which cannot be carved",
                 i, k->origin);
      goto fail;
    }
    Value *o = new_value(&c, dst, k->out);
    if (!o || vec_push(a, &dst->outputs, o) || vec_push(a, &dst->out_names, (void *)(k->out->name ? k->out->name : k->name)))
      goto oom;
    o->out_index = dst->outputs.n - 1;
    o->materialized = true;
    made[k->out->id] = o;
  }
  for (int i = 0; i < src->kernels.n; i++) {
    const Kernel *k = src->kernels.v[i];
    if (!sel[i] || k->dead) continue;
    /* what this kernel reads: constants (mapped), the copies' outputs
     * (taps), else new inputs */
    int nids = 0; /* in id order, so inputs come in a fixed order */
    for (int r = 0; r < kernel_nroots(k); r++) reads(kernel_root(k, r), i + 1, seen, ids, &nids);
    qsort(ids, (size_t)nids, sizeof *ids, by_id);
    for (int j = 0; j < nids; j++) {
      const Value *v = src->values.v[ids[j]];
      if (!feed && made[v->id]) {
        c.map[v->id] = made[v->id];
        continue;
      }
      if (!feed && v->kind != VK_INPUT) {
        diag_error(d, (Loc){.file = src->file}, "internal: kernel %d reads '%s', which no chosen kernel writes", i,
                   v->name ? v->name : "?");
        goto fail;
      }
      if (v->dt == DT_STRING) {
        diag_error(d, (Loc){.file = src->file}, "unsupported: kernel %d (%s) reads a string tensor, which cannot be carved",
                   i, k->origin);
        goto fail;
      }
      Value *in = fed[v->id];
      if (!in) {
        if (!(in = new_value(&c, dst, v)) || vec_push(a, &dst->inputs, in)) goto oom;
        in->kind = VK_INPUT;
        in->in_index = dst->inputs.n - 1;
        fed[v->id] = in;
        if (in_src) in_src[in->in_index] = v->id;
      }
      c.map[v->id] = in;
    }
    Kernel *nk = arena_alloc(a, sizeof *nk);
    if (!nk) goto oom;
    *nk = *k;
    nk->id = dst->kernels.n;
    nk->out = made[k->out->id];
    nk->nest = NULL;
    bool bad = perturb_k == i;
    nk->body = copy(&c, k->body);
    nk->post = copy(&c, k->post);
    nk->lets = arena_alloc(a, sizeof(Expr *) * (size_t)(k->nlets + 1));
    if (!nk->lets) goto oom;
    for (int j = 0; j < k->nlets; j++) nk->lets[j] = copy(&c, k->lets[j]);
    if (c.oom) goto oom;
    /* test-only: an index off by one, or (also for a one-element output)
     * a wrong value */
    int pr = bad && perturb_kind == PERTURB_INDEX ? perturb_index(a, nk) : 1;
    if (pr < 0 || (bad && pr > 0 && perturb_value(a, nk))) goto oom;
    nk->out->kernel = nk;
    if (vec_push(a, &dst->kernels, nk)) goto oom;
    /* the memo is per kernel: a copy's expressions are its own */
    free(c.memo.k), free(c.memo.v);
    memset(&c.memo, 0, sizeof c.memo);
  }
  if (ir_verify_pass(dst, "carve", d) || ir_schedule(dst, d) || ir_plan(dst, d)) goto fail;
  rc = 0;
  goto done;
oom:
  diag_error(d, (Loc){.file = src->file}, "out of memory carving kernels");
fail:
  rc = -1;
done:
  free(c.memo.k), free(c.memo.v);
  free(c.map), free(made), free(fed), free(seen), free(ids);
  return rc;
}
