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

static int sh(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int metal_run(Arena *a, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d) {
  const char *shim = getenv("MLGEN_METAL_SHIM");
  if (!shim || !*shim) {
    fprintf(stderr, "mlgen: run --target metal runs the kernels on the CPU through mlgen's shim: set MLGEN_METAL_SHIM "
                    "to tests/metal/shim of mlgen's sources (on a Mac, build metal/ and use runtime-min/metal)\n");
    return 3;
  }
  Output o = {0};
  if (t->build(p, &(TargetOpts){.for_run = true}, &o, d)) {
    out_free(&o);
    return 1;
  }
  char tmpl[] = "/tmp/mlgen-metal-XXXXXX";
  char *dir = mkdtemp(tmpl);
  if (!dir) {
    fprintf(stderr, "mlgen: cannot create a temporary folder: %s\n", strerror(errno));
    out_free(&o);
    return 3;
  }
  Buf inc = {0}, fns = {0}, drv = {0}, cmd = {0}, run = {0};
  for (int i = 0; i < p->kernels.n; i++) {
    const char *k = ((Kernel *)p->kernels.v[i])->name;
    buf_printf(&inc, "namespace mk%d {\n#include \"kernels/%s.metal\"\n}\n", i, k);
    buf_printf(&fns, "    mk%d::%s,\n", i, k);
  }
  if (!p->kernels.n) buf_puts(&fns, "    0,\n");
  const char *kv[] = {"name", p->name, "includes", buf_take(a, &inc, NULL), "functions", buf_take(a, &fns, NULL), NULL};
  int rc = 3;
  if (tmpl_expand(&drv, "run_metal_driver.cpp", kv, d)) {
    rc = 1;
    remove_tree(dir);
    goto out;
  }
  for (int i = 0; i < o.n; i++)
    if (cli_put(a, dir, o.f[i].name, &o.f[i].text)) goto io;
  if (cli_put(a, dir, "metal/driver.cpp", &drv)) goto io;
  const char *cc = getenv("MLGEN_CC") ? getenv("MLGEN_CC") : getenv("CC") ? getenv("CC") : "cc";
  const char *cxx = getenv("MLGEN_CXX") ? getenv("MLGEN_CXX") : "c++";
  buf_printf(&cmd, "cd %s/metal && %s -std=c99 -O1 -c %s_metal.c -o table.o && %s -std=c++14 -O1 -Wno-attributes -I '%s' "
                   "-I . driver.cpp table.o -o run",
             dir, cc, p->name, cxx, shim);
  if (sh(cmd.s)) {
    fprintf(stderr, "mlgen: compiling the Metal kernels over the CPU shim failed (kept in %s)\n", dir);
    goto out;
  }
  buf_printf(&run, "%s/metal/run", dir);
  for (int i = 0; i < p->inputs.n; i++) {
    const char *path = arena_printf(a, "%s/in%d.bin", dir, i);
    if (cli_write_file(path, ins[i], cli_value_bytes(p->inputs.v[i]))) goto io;
    buf_printf(&run, " %s", path);
  }
  for (int i = 0; i < p->outputs.n; i++) buf_printf(&run, " %s/out%d.bin", dir, i);
  if (sh(run.s)) {
    fprintf(stderr, "mlgen: the Metal kernels failed on the CPU shim (files kept in %s)\n", dir);
    goto out;
  }
  for (int i = 0; i < p->outputs.n; i++)
    if (cli_read_file(arena_printf(a, "%s/out%d.bin", dir, i), outs[i], cli_value_bytes(p->outputs.v[i]))) goto io;
  rc = 0;
  remove_tree(dir);
  goto out;
io:
  fprintf(stderr, "mlgen: I/O error in %s\n", dir);
out:
  buf_free(&drv);
  buf_free(&cmd);
  buf_free(&run);
  out_free(&o);
  return rc;
}
