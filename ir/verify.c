/* verify.c: structural invariants, checked after every pass.
 *
 * Primitive graph: every node input is a constant, an input, or the output
 * of an earlier live node; arity matches ops.def. Kernels: every load
 * names a buffer that exists when the kernel runs (input, constant, or
 * written by an earlier kernel), has one index per dimension, and every
 * variable is in the kernel's range. A failure here is a bug in mlgen, and
 * is reported as an internal error rather than crashing later. */
#include "ir.h"

#include <stdlib.h>

typedef struct {
  Diags *d;
  const Kernel *k;
  const char *pass;
  int ntmp;    /* temporaries defined so far */
  char *ready; /* by value id: 1 when readable */
  int bad;
} V;

static void check_expr(V *v, const Expr *e, bool in_post) {
  if (!e || v->bad) return;
  Loc nl = {0};
  switch (e->kind) {
  case E_VAR:
    if (e->i < 0 || e->i >= v->k->nout + (in_post ? 0 : v->k->nred)) {
      diag_error(v->d, nl, "internal (after %s): kernel %s uses variable %lld out of range", v->pass, v->k->origin,
                 (long long)e->i);
      v->bad = 1;
    }
    break;
  case E_ACC:
    if (!in_post || !v->k->nred) {
      diag_error(v->d, nl, "internal (after %s): accumulator outside a reduction's post expression", v->pass);
      v->bad = 1;
    }
    break;
  case E_LOAD:
    if (e->nidx != e->buf->rank || !v->ready[e->buf->id]) {
      diag_error(v->d, nl, "internal (after %s): kernel %s loads '%s' %s", v->pass, v->k->origin, e->buf->name,
                 e->nidx != e->buf->rank ? "with the wrong number of indices" : "before it is written");
      v->bad = 1;
    }
    for (int i = 0; i < e->nidx; i++) check_expr(v, e->idx[i], in_post);
    break;
  case E_ALU:
    for (int i = 0; i < op_arity[e->op] && i < 3; i++)
      if (!e->a[i]) {
        diag_error(v->d, nl, "internal (after %s): %s with a missing operand", v->pass, op_name[e->op]);
        v->bad = 1;
      }
    for (int i = 0; i < 3; i++) check_expr(v, e->a[i], in_post);
    break;
  case E_TMP:
    if (in_post || e->i < 0 || e->i >= v->ntmp || v->k->lets[e->i] != e) {
      diag_error(v->d, nl, "internal (after %s): kernel %s reads temporary %lld %s", v->pass, v->k->origin,
                 (long long)e->i, in_post ? "in its post expression" : "before it is defined");
      v->bad = 1;
    }
    break;
  case E_CONST: break;
  }
}

int ir_verify_pass(Program *p, const char *pass, Diags *d) {
  V v = {.d = d, .pass = pass};
  v.ready = calloc((size_t)p->values.n + 1, 1);
  if (!v.ready) return -1;
  for (int i = 0; i < p->values.n; i++) {
    Value *x = p->values.v[i];
    if (x->id != i) {
      diag_error(d, (Loc){0}, "internal (after %s): value ids out of order", pass);
      free(v.ready);
      return -1;
    }
    v.ready[i] = x->kind != VK_TEMP;
  }
  if (!p->kernels.n) {
    for (int i = 0; i < p->nodes.n && !v.bad; i++) {
      PNode *n = p->nodes.v[i];
      if (n->dead) continue;
      if (op_arity[n->op] >= 0 && n->nin != op_arity[n->op]) {
        diag_error(d, n->loc, "internal (after %s): %s has %d inputs", pass, op_name[n->op], n->nin);
        v.bad = 1;
      }
      for (int k = 0; k < n->nin; k++)
        if (!v.ready[n->in[k]->id]) {
          diag_error(d, n->loc, "internal (after %s): %s reads '%s' before it is computed", pass, op_name[n->op],
                     n->in[k]->name);
          v.bad = 1;
        }
      v.ready[n->out->id] = 1;
    }
  } else {
    for (int i = 0; i < p->kernels.n && !v.bad; i++) {
      Kernel *k = p->kernels.v[i];
      v.k = k;
      for (v.ntmp = 0; v.ntmp < k->nlets; v.ntmp++) check_expr(&v, k->lets[v.ntmp]->def, false);
      check_expr(&v, k->body, false);
      check_expr(&v, k->post, true);
      v.ready[k->out->id] = 1;
    }
  }
  free(v.ready);
  return v.bad ? -1 : 0;
}

int ir_verify(Program *p, Diags *d) { return ir_verify_pass(p, "build", d); }
