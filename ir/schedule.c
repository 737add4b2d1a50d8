/* schedule.c: per-kernel loop schedule.
 *
 * Requires: fused kernels. Provides: Kernel.sched for every kernel.
 *
 * The C renderer normally emits "for each output: acc = reduce(...)", with
 * the reduction innermost. When the reduction's loads walk memory with a
 * large stride while the innermost output dimension walks a buffer
 * contiguously (x @ W with W [K,N]), accumulating straight into the output
 * with the output loop innermost turns every load into a unit-stride
 * stream the compiler vectorizes. That needs a sum into an output of the
 * accumulator's own dtype; a post expression (bias, activation) then runs
 * as a second loop over the output, in place.
 * A reduction over a fused table walk (a tree ensemble's sum over trees:
 * the body is temporaries and gathers) instead keeps a block of outputs'
 * accumulators in a local array, with the reduction outside the block: each
 * reduction step (one tree) then serves the whole block from cache, and the
 * walks of the block's rows are independent work for the CPU to overlap.
 * GPU renderers use `wg` (threads per workgroup).
 */
#include "ir.h"

/* coefficient of variable v in a linear index expression (0 if absent,
 * -1 if not linear in it) */
static int64_t coef(const Expr *e, int v) {
  if (!e) return 0;
  if (e->kind == E_VAR) return e->i == v;
  if (e->kind == E_CONST) return 0;
  if (e->kind == E_ALU && e->dt == DT_I64 && e->op == OP_ADD) {
    int64_t a = coef(e->a[0], v), b = coef(e->a[1], v);
    return a < 0 || b < 0 ? -1 : a + b;
  }
  if (e->kind == E_ALU && e->dt == DT_I64 && e->op == OP_MUL && e->a[1]->kind == E_CONST) {
    int64_t a = coef(e->a[0], v);
    return a < 0 ? -1 : a * e->a[1]->i;
  }
  return -1;
}

/* stride of the flat load index along variable v */
static int64_t stride_of(const Expr *ld, int v) {
  int64_t s = 0, mul = 1;
  for (int d = ld->nidx - 1; d >= 0; d--) {
    int64_t c = coef(ld->idx[d], v);
    if (c < 0) return -1;
    s += c * mul;
    mul *= ld->buf->shape[d];
  }
  return s;
}

typedef struct {
  int strided_out, strided_red; /* loads whose stride is neither 0 nor 1 */
  bool nonlinear;
} Walk;

static void walk(const Expr *e, const Kernel *k, Walk *w) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    int64_t so = stride_of(e, k->nout - 1), sr = stride_of(e, k->nout + k->nred - 1);
    if (so < 0 || sr < 0) w->nonlinear = true;
    w->strided_out += so > 1;
    w->strided_red += sr > 1;
  }
  for (int i = 0; i < 3; i++) walk(e->a[i], k, w);
}

int ir_schedule(Program *p, Diags *d) {
  (void)d;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    k->sched.wg = 64;
    k->sched.unroll = 1;
    k->sched.vec = 0;
    k->sched.why = k->nred ? "reduction innermost" : "elementwise";
    k->sched.block = 0;
    if (k->nred && k->nlets && k->nout >= 1 && k->oshape[k->nout - 1] >= 8 &&
        (k->rop == OP_RSUM || k->rop == OP_RPROD || k->rop == OP_RMAX || k->rop == OP_RMIN)) {
      k->sched.block = 32;
      k->sched.why = "outputs blocked by 32 under the reduction (a fused table walk: each step's tables stay in cache)";
      continue;
    }
    if (k->nred != 1 || k->rop != OP_RSUM || k->accdt != k->out->dt || k->nout < 1 ||
        k->oshape[k->nout - 1] < 4)
      continue;
    Walk w = {0};
    walk(k->body, k, &w);
    for (int j = 0; j < k->nlets; j++) walk(k->lets[j]->def, k, &w);
    if (!w.nonlinear && w.strided_out == 0 && w.strided_red > 0) {
      k->sched.vec = 1;
      k->sched.why = "accumulate in place, output loop innermost (unit-stride loads)";
    }
  }
  return 0;
}
