/* gpu_layout.c: where tensors live in a GPU target's three storage buffers
 * (arena, weights, io), and which kernels need a barrier: the same for
 * every GPU target (ir.h: gpu_layout, gpu_locate, gpu_barriers).
 *
 * Requires: a planned Program. Provides: the weights blob (every constant a
 * kernel loads, 16-byte aligned, in value order), the io offsets (inputs,
 * then outputs, 16-byte aligned), gpu_locate for every tensor, and after
 * rendering the barrier flags: a kernel reads or overwrites memory that a
 * kernel since the last barrier wrote or read (a read-after-write,
 * write-after-write or write-after-read hazard), judged by binding and byte
 * range. Kernels with nothing to do are never dispatched and need none.
 */
#include "ir.h"

#include <string.h>

static int64_t padded(const Value *v) {
  return (shape_numel(v->rank, v->shape) * dtype_info[v->dt].size + 15) / 16 * 16;
}

void gpu_locate(const GpuLayout *g, const Value *v, int *bind, int64_t *off) {
  if (v->kind == VK_CONST) *bind = GB_WEIGHTS, *off = g->woff[v->id];
  else if (v->kind == VK_INPUT) *bind = GB_IO, *off = g->in_off[v->in_index];
  else if (v->out_index >= 0) *bind = GB_IO, *off = g->out_off[v->out_index];
  else if (v->check && g->chk_off) { /* the host glue reads it back */
    *bind = GB_IO, *off = -1;
    for (int i = 0; i < g->nchecks; i++)
      if (g->chk_val[i] == v) *off = g->chk_off[i];
  }
  else *bind = GB_ARENA, *off = v->offset;
}

int gpu_layout(Program *p, GpuLayout *g, const char *target, Diags *d) {
  memset(g, 0, sizeof *g);
  int nv = p->values.n;
  bool *used = arena_alloc(p->a, (size_t)nv + 1);
  g->woff = arena_alloc(p->a, sizeof(int64_t) * (size_t)(nv + 1));
  g->in_off = arena_alloc(p->a, sizeof(int64_t) * (size_t)(p->inputs.n + 1));
  g->out_off = arena_alloc(p->a, sizeof(int64_t) * (size_t)(p->outputs.n + 1));
  if (!used || !g->woff || !g->in_off || !g->out_off) return -1;
  for (int i = 0; i < nv; i++) {
    Value *v = p->values.v[i];
    int64_t n = shape_numel(v->rank, v->shape);
    if (n < 0 || n > INT32_MAX) {
      diag_error(d, (Loc){.file = p->file}, "unsupported on %s: tensor %s has %lld elements (at most 2^31-1)",
                 target, v->name ? v->name : "?", (long long)n);
      return -1;
    }
  }
  ir_mark_consts(p, used);
  int64_t w = 0;
  for (int i = 0; i < nv; i++) {
    g->woff[i] = used[i] ? w : -1;
    if (used[i]) w += padded(p->values.v[i]);
  }
  g->weights_size = w;
  g->weights = arena_alloc(p->a, (size_t)(w ? w : 16));
  if (!g->weights) return -1;
  for (int i = 0; i < nv; i++) {
    Value *v = p->values.v[i];
    if (g->woff[i] >= 0 && v->cdata)
      memcpy(g->weights + g->woff[i], v->cdata, (size_t)(shape_numel(v->rank, v->shape) * dtype_info[v->dt].size));
  }
  int64_t io = 0;
  for (int i = 0; i < p->inputs.n; i++) g->in_off[i] = io, io += padded(p->inputs.v[i]);
  for (int i = 0; i < p->outputs.n; i++) g->out_off[i] = io, io += padded(p->outputs.v[i]);
  if (p->checks.n) { /* one 16-byte slot each (a bool, written as a whole word) */
    g->nchecks = p->checks.n;
    g->chk_off = arena_alloc(p->a, sizeof(int64_t) * (size_t)p->checks.n);
    g->chk_val = arena_alloc(p->a, sizeof(Value *) * (size_t)p->checks.n);
    if (!g->chk_off || !g->chk_val) return -1;
    for (int i = 0; i < p->checks.n; i++) g->chk_val[i] = p->checks.v[i], g->chk_off[i] = io, io += 16;
  }
  g->io_size = io;
  g->arena_size = p->plan.arena_size;
  return 0;
}

typedef struct {
  int bind;
  int64_t lo, hi;
} Region;

typedef struct {
  Region *r;
  int n, cap;
} Regions;

static int push(Arena *a, Regions *rs, Region r) {
  if (rs->n == rs->cap) {
    int cap = rs->cap ? 2 * rs->cap : 64;
    Region *n = arena_alloc(a, sizeof(Region) * (size_t)cap);
    if (!n) return -1;
    if (rs->n) memcpy(n, rs->r, sizeof(Region) * (size_t)rs->n);
    rs->r = n, rs->cap = cap;
  }
  rs->r[rs->n++] = r;
  return 0;
}

static int add(Arena *a, Regions *rs, const GpuLayout *g, const Value *v) {
  Region r;
  gpu_locate(g, v, &r.bind, &r.lo);
  r.hi = r.lo + padded(v);
  return push(a, rs, r);
}

static int reads_of(Arena *a, Regions *rs, const GpuLayout *g, const Expr *e) {
  if (!e) return 0;
  if (e->kind == E_LOAD) {
    if (e->buf->kind != VK_CONST && add(a, rs, g, e->buf)) return -1;
    for (int i = 0; i < e->nidx; i++)
      if (reads_of(a, rs, g, e->idx[i])) return -1;
  }
  for (int i = 0; i < 3; i++)
    if (reads_of(a, rs, g, e->a[i])) return -1;
  return 0;
}

static bool overlap(const Regions *x, const Regions *y) {
  for (int i = 0; i < x->n; i++)
    for (int j = 0; j < y->n; j++)
      if (x->r[i].bind == y->r[j].bind && x->r[i].lo < y->r[j].hi && y->r[j].lo < x->r[i].hi) return true;
  return false;
}

int gpu_barriers(Program *p, const GpuLayout *g, const int64_t *items, bool *barrier) {
  Regions wr = {0}, rd = {0}, k = {0}; /* pending writes and reads; this kernel's: write, then reads */
  for (int i = 0; i < p->kernels.n; i++) {
    const Kernel *kn = p->kernels.v[i];
    barrier[i] = false;
    if (!items[i]) continue;
    k.n = 0;
    if (add(p->a, &k, g, kn->out)) return -1;
    for (int j = 0; j < kernel_nroots(kn); j++)
      if (reads_of(p->a, &k, g, kernel_root(kn, j))) return -1;
    Regions w1 = {k.r, 1, 1};
    if (overlap(&k, &wr) || overlap(&w1, &rd)) {
      barrier[i] = true;
      wr.n = rd.n = 0;
    }
    for (int j = 0; j < k.n; j++)
      if (push(p->a, j ? &rd : &wr, k.r[j])) return -1;
  }
  return 0;
}

/* Shaders have no pointers to host text: a program that holds a string
 * tensor anywhere is refused before any shader is written, at the first
 * primitive that touches one (or the string input/output itself). */
int gpu_refuse(Program *p, const char *target, bool checks_ok, Diags *d) {
  for (int i = 0; i < p->nodes.n; i++) {
    const PNode *n = p->nodes.v[i];
    bool str = n->out->dt == DT_STRING;
    for (int k = 0; k < n->nin; k++) str |= n->in[k]->dt == DT_STRING;
    if (str && !n->dead) {
      diag_error(d, n->loc, "unsupported on %s: string tensors (%s reads or writes one)", target, op_name[n->op]);
      return -1;
    }
  }
  for (int i = 0; i < p->values.n; i++) {
    const Value *v = p->values.v[i];
    if (v->dt == DT_STRING && (v->in_index >= 0 || v->out_index >= 0)) {
      diag_error(d, (Loc){.file = p->file, .node = v->name}, "unsupported on %s: string tensors (%s '%s')", target,
                 v->in_index >= 0 ? "input" : "output", v->name);
      return -1;
    }
  }
  if (p->checks.n && !checks_ok) {
    const Value *c = p->checks.v[0];
    diag_error(d, c->src ? c->src->loc : (Loc){.file = p->file}, "unsupported on %s: run-time checks of values that "
               "decide shapes (%s); pin the graph input with --freeze", target, c->check);
    return -1;
  }
  return 0;
}
