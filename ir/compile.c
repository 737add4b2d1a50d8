/* compile.c: the pipeline, one pass after another (QBE's func()). Each
 * pass states what it requires and provides at the top of its file; the
 * verifier runs between passes. */
#include "ir.h"



/* Graph -> verified primitive program (what the interpreter runs). */
int ir_build_prims(Graph *g, const BuildOpts *o, Program *p, Diags *d) {
  if (ir_check_graph(g, d)) return -1;
  if (ir_decompose(g, o, p, d)) return -1;
  return ir_verify_pass(p, "decompose", d);
}

int ir_compile(Graph *g, const BuildOpts *o, Program *p, Diags *d) {
  if (ir_build_prims(g, o, p, d)) return -1;
  if (ir_lower(p, d)) return -1;
  if (ir_verify_pass(p, "lower", d)) return -1;
  if (ir_fuse(p, d)) return -1;
  if (ir_verify_pass(p, "fuse", d)) return -1;
  p->rewrites = o ? o->rewrites : NULL;
  p->tune = o ? o->tune : NULL;
  p->ntune = o ? o->ntune : 0;
  /* kernel names for renderers, inspect and tuning files (ir_schedule looks them up) */
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (!(k->name = arena_printf(p->a, "k%d_%s", i, c_ident(p->a, k->out->name)))) return -1;
  }
  if (ir_schedule(p, d)) return -1;
  return ir_plan(p, d);
}
