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
  Buf drv = {0};
  const char *kv[] = {"name", p->name, NULL};
  char dir[64];
  int rc = 1, ex = 0;
  if (t->build(p, &(TargetOpts){.for_run = true}, &o, d) || tmpl_expand(&drv, "run_webgpu_driver.mjs", kv, d))
    goto out;
  rc = 3;
  if (cli_run_stage(a, "wgpu", &o, "webgpu/driver.mjs", &drv, dir)) goto out;
  const char *node = getenv("MLGEN_NODE") ? getenv("MLGEN_NODE") : "node";
  if (cli_run_exec(a, dir, arena_printf(a, "%s %s/webgpu/driver.mjs", sh_quote(a, node), dir), p, ins, outs, &ex))
    goto out;
  if (ex) {
    fprintf(stderr, "mlgen: the WebGPU run failed (%s; files kept in %s)\n",
            ex == 77 ? "no node, no webgpu package or no WebGPU adapter" : ex == 127 ? "node not found" : "see above",
            dir);
    goto out;
  }
  rc = 0;
  remove_tree(dir);
out:
  buf_free(&drv);
  out_free(&o);
  return rc;
}
