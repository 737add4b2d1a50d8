/* run_webgpu.c: `mlgen run --target webgpu` (`mlgen build --backend webgpu`
 * is the registry's webgpu row, codegen/targets.c).
 *
 * The webgpu/ files in a temporary folder plus a small Node driver
 * (templates/run_webgpu_driver.mjs), run with $MLGEN_NODE (default node)
 * over Dawn, the npm package `webgpu` found in $MLGEN_NODE_MODULES: it reads
 * raw inputs, runs the model once ($MLGEN_WEBGPU_REPEAT times) and writes raw
 * outputs. Dawn's backend is $MLGEN_WEBGPU_BACKEND (default opengles: Mesa,
 * headless). Any WGSL, validation or device error fails the run.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../codegen/templates.h"
#include "cli.h"



/* a shell word holding s */
static const char *sh_quote(Arena *a, const char *s) {
  Buf b = {0};
  buf_puts(&b, "'");
  for (; *s; s++) buf_puts(&b, *s == '\'' ? "'\\''" : (char[2]){*s, 0});
  buf_puts(&b, "'");
  return buf_take(a, &b, NULL);
}

int wgpu_run(Arena *a, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d) {
  Output o = {0};
  if (t->build(p, &(TargetOpts){.for_run = true}, &o, d)) {
    out_free(&o);
    return 1;
  }
  char tmpl[] = "/tmp/mlgen-wgpu-XXXXXX";
  char *dir = mkdtemp(tmpl);
  if (!dir) {
    fprintf(stderr, "mlgen: cannot create a temporary folder: %s\n", strerror(errno));
    out_free(&o);
    return 3;
  }
  Buf drv = {0}, run = {0};
  const char *kv[] = {"name", p->name, NULL};
  int rc = 3;
  if (tmpl_expand(&drv, "run_webgpu_driver.mjs", kv, d)) {
    rc = 1;
    remove_tree(dir);
    goto out;
  }
  for (int i = 0; i < o.n; i++)
    if (cli_put(a, dir, o.f[i].name, &o.f[i].text)) goto io;
  if (cli_put(a, dir, "webgpu/driver.mjs", &drv)) goto io;
  const char *node = getenv("MLGEN_NODE") ? getenv("MLGEN_NODE") : "node";
  buf_printf(&run, "%s %s/webgpu/driver.mjs", sh_quote(a, node), dir);
  for (int i = 0; i < p->inputs.n; i++) {
    const char *path = arena_printf(a, "%s/in%d.bin", dir, i);
    if (cli_write_file(path, ins[i], cli_value_bytes(p->inputs.v[i]))) goto io;
    buf_printf(&run, " %s", path);
  }
  for (int i = 0; i < p->outputs.n; i++) buf_printf(&run, " %s/out%d.bin", dir, i);
  int st = system(run.s);
  int ex = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (ex) {
    fprintf(stderr, "mlgen: the WebGPU run failed (%s; files kept in %s)\n",
            ex == 77 ? "no node, no webgpu package or no WebGPU adapter" : ex == 127 ? "node not found" : "see above",
            dir);
    if (ex == 127) rc = 3;
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
  buf_free(&run);
  out_free(&o);
  return rc;
}
