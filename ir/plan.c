/* plan.c: static memory plan.
 *
 * Requires: the final kernel list. Provides: Value.offset for every
 * materialized temporary (arena byte offset), Plan.arena_size.
 *
 * Each temporary lives from the kernel that writes it to the last kernel
 * that reads it. Buffers are placed largest first at the lowest aligned
 * offset that does not overlap a placed buffer whose lifetime overlaps
 * (greedy by size, the scheme TFLite uses). Inputs and outputs are the
 * caller's; constants live in the weights: Plan.weights_size counts the
 * ones some kernel reads. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 16

typedef struct {
  Value *v;
  int first, last;
  int64_t size;
} Live;

/* slot[v->id]: v's entry in the Live array, -1 when v is not a temporary */
static void mark(const Expr *e, Live *lv, const int *slot, int k) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    int i = slot[e->buf->id];
    if (i >= 0 && k > lv[i].last) lv[i].last = k;
    for (int j = 0; j < e->nidx; j++) mark(e->idx[j], lv, slot, k);
  }
  for (int j = 0; j < 3; j++) mark(e->a[j], lv, slot, k);
}

static int by_size(const void *a, const void *b) {
  const Live *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->first - y->first;
}

static int by_offset(const void *a, const void *b) {
  const Live *x = *(Live *const *)a, *y = *(Live *const *)b;
  return x->v->offset < y->v->offset ? -1 : x->v->offset > y->v->offset;
}

/* growable list of placed buffers live at one kernel */
typedef struct {
  Live **v;
  int n, cap;
} Bucket;

static int bucket_push(Bucket *b, Live *l) {
  if (b->n == b->cap) {
    int cap = b->cap ? 2 * b->cap : 4;
    Live **nv = realloc(b->v, sizeof *nv * (size_t)cap);
    if (!nv) return -1;
    b->v = nv, b->cap = cap;
  }
  b->v[b->n++] = l;
  return 0;
}

/* Places the buffers largest first, each at the lowest aligned offset free
 * of every placed buffer whose lifetime overlaps its own. Those are found
 * through per-kernel buckets of placed buffers (not by scanning all placed
 * ones), so a long chain of short lifetimes plans in near-linear time;
 * the lowest free offset is a sweep over them sorted by offset. */
static int place(Live *lv, int n, int nk, int64_t *top) {
  Bucket *at = calloc((size_t)nk + 1, sizeof *at);
  int *stamp = calloc((size_t)n + 1, sizeof *stamp);
  Live **near = malloc(sizeof *near * ((size_t)n + 1));
  int rc = -1;
  if (!at || !stamp || !near) goto done;
  for (int i = 0; i < n; i++) lv[i].v->offset = -1;
  *top = 0;
  for (int i = 0; i < n; i++) {
    int m = 0;
    for (int t = lv[i].first; t <= lv[i].last; t++)
      for (int j = 0; j < at[t].n; j++) {
        Live *o = at[t].v[j];
        int id = (int)(o - lv);
        if (stamp[id] != i + 1) stamp[id] = i + 1, near[m++] = o;
      }
    qsort(near, (size_t)m, sizeof *near, by_offset);
    int64_t off = 0;
    for (int j = 0; j < m; j++) {
      int64_t s = near[j]->v->offset, e = s + near[j]->size;
      if (s >= off + lv[i].size) break; /* a gap before it fits */
      if (e > off) off = e;
    }
    lv[i].v->offset = off;
    if (off + lv[i].size > *top) *top = off + lv[i].size;
    for (int t = lv[i].first; t <= lv[i].last; t++)
      if (bucket_push(&at[t], &lv[i])) goto done;
  }
  rc = 0;
done:
  for (int t = 0; at && t <= nk; t++) free(at[t].v);
  free(at), free(stamp), free(near);
  return rc;
}

int ir_plan(Program *p, Diags *d) {
  (void)d;
  int n = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->out_index < 0) n++;
  }
  Live *lv = calloc((size_t)(n ? n : 1), sizeof *lv);
  int *slot = malloc(sizeof(int) * ((size_t)p->values.n + 1));
  if (!lv || !slot) {
    free(lv), free(slot);
    return -1;
  }
  for (int i = 0; i <= p->values.n; i++) slot[i] = -1;
  n = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->out_index >= 0) continue;
    int64_t sz = shape_numel(k->out->rank, k->out->shape) * dtype_info[k->out->dt].size;
    slot[k->out->id] = n;
    lv[n++] = (Live){k->out, i, i, (sz + ALIGN - 1) / ALIGN * ALIGN};
  }
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    for (int j = 0; j < kernel_nroots(k); j++) mark(kernel_root(k, j), lv, slot, i);
  }
  free(slot);
  /* the lower bound: at each kernel, the total of the (aligned) temporaries
   * live there, a running sum over first/last+1 events */
  int64_t *ev = calloc((size_t)p->kernels.n + 2, sizeof *ev), live = 0, bound = 0;
  if (!ev) {
    free(lv);
    return -1;
  }
  for (int i = 0; i < n; i++) ev[lv[i].first] += lv[i].size, ev[lv[i].last + 1] -= lv[i].size;
  for (int t = 0; t <= p->kernels.n; t++) {
    live += ev[t];
    if (live > bound) bound = live;
  }
  free(ev);
  p->plan.arena_bound = bound;
  qsort(lv, (size_t)n, sizeof *lv, by_size);
  int64_t top = 0;
  if (place(lv, n, p->kernels.n, &top)) {
    free(lv);
    return -1;
  }
  p->plan.arena_size = top;
  p->plan.arena_align = ALIGN;
  p->plan.ntemps = n;
  free(lv);
  bool *used = calloc((size_t)p->values.n + 1, 1);
  if (!used) return -1;
  ir_mark_consts_nest(p, used);
  int64_t w = 0;
  for (int i = 0; i < p->values.n; i++) {
    Value *v = p->values.v[i];
    if (!used[i]) continue;
    int64_t n = shape_numel(v->rank, v->shape);
    w += n * dtype_info[v->dt].size;
    for (int64_t k = 0; v->dt == DT_STRING && k < n; k++) w += (int64_t)strlen(str_at(v->cdata, k)) + 1;
  }
  p->plan.weights_size = w;
  free(used);
  return 0;
}

static void consts_of(const Expr *e, bool *used) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    if (e->buf->kind == VK_CONST) used[e->buf->id] = true;
    for (int i = 0; i < e->nidx; i++) consts_of(e->idx[i], used);
  }
  for (int i = 0; i < 3; i++) consts_of(e->a[i], used);
}

void ir_mark_consts(const Program *p, bool *used) {
  for (int i = 0; i < p->kernels.n; i++) {
    const Kernel *k = p->kernels.v[i];
    for (int j = 0; j < kernel_nroots(k); j++) consts_of(kernel_root(k, j), used);
  }
}
