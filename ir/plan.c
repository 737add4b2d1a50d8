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

static void mark(const Expr *e, Live *lv, int nlv, int k) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    for (int i = 0; i < nlv; i++)
      if (lv[i].v == e->buf && k > lv[i].last) lv[i].last = k;
    for (int i = 0; i < e->nidx; i++) mark(e->idx[i], lv, nlv, k);
  }
  for (int i = 0; i < 3; i++) mark(e->a[i], lv, nlv, k);
}

static int by_size(const void *a, const void *b) {
  const Live *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->first - y->first;
}

int ir_plan(Program *p, Diags *d) {
  (void)d;
  int n = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->out_index < 0) n++;
  }
  Live *lv = calloc((size_t)(n ? n : 1), sizeof *lv);
  if (!lv) return -1;
  n = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->out_index >= 0) continue;
    int64_t sz = shape_numel(k->out->rank, k->out->shape) * dtype_info[k->out->dt].size;
    lv[n++] = (Live){k->out, i, i, (sz + ALIGN - 1) / ALIGN * ALIGN};
  }
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    for (int j = 0; j < kernel_nroots(k); j++) mark(kernel_root(k, j), lv, n, i);
  }
  qsort(lv, (size_t)n, sizeof *lv, by_size);
  int64_t top = 0;
  for (int i = 0; i < n; i++) {
    int64_t off = 0;
    for (bool moved = true; moved;) {
      moved = false;
      for (int j = 0; j < i; j++) {
        if (lv[j].last < lv[i].first || lv[i].last < lv[j].first) continue;
        int64_t s = lv[j].v->offset, e = s + lv[j].size;
        if (off < e && s < off + lv[i].size) {
          off = e;
          moved = true;
        }
      }
    }
    lv[i].v->offset = off;
    if (off + lv[i].size > top) top = off + lv[i].size;
  }
  p->plan.arena_size = top;
  p->plan.arena_align = ALIGN;
  p->plan.ntemps = n;
  free(lv);
  bool *used = calloc((size_t)p->values.n + 1, 1);
  if (!used) return -1;
  ir_mark_consts(p, used);
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
