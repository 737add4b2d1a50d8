/* run_metal.c: `mlgen run --target metal`, through the CPU shim (no Metal
 * compiler exists where mlgen is tested: docs/metal.md).
 *
 * The metal/ files in a temporary folder plus a C++ driver
 * (templates/run_metal_driver.cpp) that includes every kernel's MSL, each in
 * a namespace of its own, over the shim header in $MLGEN_METAL_SHIM
 * (tests/metal/shim), compiled with $MLGEN_CXX (default c++) and linked with
 * the model table compiled by $MLGEN_CC / $CC / cc. It runs each kernel
 * once per thread of the grid runtime-min/metal dispatches, threads in turn.
 * Without $MLGEN_METAL_SHIM it says so (exit 3): Apple's runtime is what
 * runs metal/ for real.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../codegen/templates.h"
#include "cli.h"

int metal_run(Arena *a, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d) {
  const char *shim = getenv("MLGEN_METAL_SHIM");
  if (!shim || !*shim) {
    fprintf(stderr, "mlgen: run --target metal runs the kernels on the CPU through mlgen's shim: set MLGEN_METAL_SHIM "
                    "to tests/metal/shim of mlgen's sources (on a Mac, build metal/ and use runtime-min/metal)\n");
    return 3;
  }
  Output o = {0};
  Buf inc = {0}, fns = {0}, drv = {0}, cmd = {0};
  for (int i = 0; i < p->kernels.n; i++) {
    const char *k = ((Kernel *)p->kernels.v[i])->name;
    buf_printf(&inc, "namespace mk%d {\n#include \"kernels/%s.metal\"\n}\n", i, k);
    buf_printf(&fns, "    mk%d::%s,\n", i, k);
  }
  if (!p->kernels.n) buf_puts(&fns, "    0,\n");
  const char *kv[] = {"name", p->name, "includes", buf_take(a, &inc, NULL), "functions", buf_take(a, &fns, NULL), NULL};
  char dir[64];
  int rc = 1, ex = 0;
  if (t->build(p, &(TargetOpts){.for_run = true}, &o, d) || tmpl_expand(&drv, "run_metal_driver.cpp", kv, d)) goto out;
  rc = 3;
  if (cli_run_stage(a, "metal", &o, "metal/driver.cpp", &drv, dir)) goto out;
  const char *cc = cli_cc();
  const char *cxx = getenv("MLGEN_CXX") ? getenv("MLGEN_CXX") : "c++";
  buf_printf(&cmd, "cd %s/metal && %s -std=c99 -O1 -c %s_metal.c -o table.o && %s -std=c++14 -O1 -Wno-attributes -I '%s' "
                   "-I . driver.cpp table.o -o run",
             dir, cc, p->name, cxx, shim);
  if (system(cmd.s)) {
    fprintf(stderr, "mlgen: compiling the Metal kernels over the CPU shim failed (kept in %s)\n", dir);
    goto out;
  }
  if (cli_run_exec(a, dir, arena_printf(a, "%s/metal/run", dir), p, ins, outs, &ex)) goto out;
  if (ex) {
    fprintf(stderr, "mlgen: the Metal kernels failed on the CPU shim (files kept in %s)\n", dir);
    goto out;
  }
  rc = 0;
  remove_tree(dir);
out:
  buf_free(&drv);
  buf_free(&cmd);
  out_free(&o);
  return rc;
}
