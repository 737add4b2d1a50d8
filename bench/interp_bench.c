#define _POSIX_C_SOURCE 200809L
/* interp_bench.c: times the reference interpreter on a model (median
 * microseconds per run), for the side-by-side table in bench/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../frontend/frontend.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: interp_bench model.yaml [batch]\n");
    return 2;
  }
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec spec = {0};
  Program p = {.a = a};
  BuildOpts o = {0};
  int rank = 0;
  int64_t dims[1][MAX_RANK];
  const char *nm[1];
  if (yaml_load(a, argv[1], &spec, &d) || !spec.g) goto fail;
  if (argc > 2) {
    GTensor *t = spec.g->inputs.v[0];
    rank = t->rank;
    memcpy(dims[0], t->dims, sizeof dims[0]);
    dims[0][0] = atoll(argv[2]);
    nm[0] = t->name;
    o.nshape = 1;
    o.shape_name = nm;
    o.shape_rank = &rank;
    o.shape_dims = dims;
  }
  if (ir_build_prims(spec.g, &o, &p, &d)) goto fail;
  void *in[16], *out[16];
  for (int i = 0; i < p.inputs.n; i++) {
    Value *v = p.inputs.v[i];
    in[i] = calloc((size_t)shape_numel(v->rank, v->shape), (size_t)dtype_info[v->dt].size);
  }
  for (int i = 0; i < p.outputs.n; i++) {
    Value *v = p.outputs.v[i];
    out[i] = calloc((size_t)shape_numel(v->rank, v->shape), (size_t)dtype_info[v->dt].size);
  }
  int iters = 1;
  double t;
  for (;;) {
    double t0 = now();
    for (int i = 0; i < iters; i++) interp_run(&p, (const void *const *)in, out, &d);
    t = now() - t0;
    if (t > 0.3) break;
    iters *= 2;
  }
  printf("%.3f\n", t / iters * 1e6);
  return 0;
fail:
  fputs(d.text.s ? d.text.s : "error\n", stderr);
  return 1;
}
