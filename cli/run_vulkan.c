/* run_vulkan.c: `mlgen run --target vulkan` (`mlgen build --backend vulkan`
 * is the registry's vulkan row, codegen/targets.c).
 *
 * The vulkan/ files in a temporary folder plus a small host driver
 * (templates/run_vk_driver.c), compiled
 * with the system C compiler ($MLGEN_CC, $CC or cc; $MLGEN_CFLAGS, default
 * -O2) against the Vulkan loader, then run: it reads raw inputs, runs the
 * model once ($MLGEN_VK_REPEAT times) with VK_LAYER_KHRONOS_validation on
 * (MLGEN_VK_VALIDATION=0 turns it off) and writes raw outputs. Any validation
 * message fails the run. MLGEN_VK_TIMING=1 prints init and per-run times. The
 * device is the loader's choice; VK_DRIVER_FILES=.../lvp_icd.x86_64.json pins
 * lavapipe.
 * Device features: --vk-features (build default int64; run default all,
 * the runtime then refuses a device that lacks one the kernels use).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../codegen/vulkan.h"
#include "../codegen/templates.h"
#include "cli.h"

static const char *upper_ident(Arena *a, const char *s) {
  char *u = arena_strdup(a, s);
  for (char *c = u; *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
  return u;
}



/* 0, or the CLI exit code (3: environment, 1: model) */
int vk_run(Arena *a, const TargetInfo *t, Program *p, const char *feats, void **ins, void **outs, Diags *d) {
  Output o = {0};
  if (t->build(p, &(TargetOpts){.vk_features = feats, .for_run = true}, &o, d)) {
    out_free(&o);
    return 1;
  }
  char tmpl[] = "/tmp/mlgen-vk-XXXXXX";
  char *dir = mkdtemp(tmpl);
  if (!dir) {
    fprintf(stderr, "mlgen: cannot create a temporary folder: %s\n", strerror(errno));
    out_free(&o);
    return 3;
  }
  const char *N = p->name;
  Buf drv = {0}, cmd = {0}, run = {0};
  const char *kv[] = {"name", N, "NAME", upper_ident(a, N), NULL};
  int rc = 3;
  if (tmpl_expand(&drv, "run_vk_driver.c", kv, d)) { /* internal error, reported */
    rc = 1;
    remove_tree(dir);
    goto out;
  }
  for (int i = 0; i < o.n; i++)
    if (cli_put(a, dir, o.f[i].name, &o.f[i].text)) goto io;
  if (cli_put(a, dir, "vulkan/driver.c", &drv)) goto io;
  const char *cc = getenv("MLGEN_CC") ? getenv("MLGEN_CC") : getenv("CC") ? getenv("CC") : "cc";
  const char *cflags = getenv("MLGEN_CFLAGS") ? getenv("MLGEN_CFLAGS") : "-O2";
  buf_printf(&cmd, "%s -std=c99 %s -o %s/run %s/vulkan/driver.c %s/vulkan/%s_vk.c %s/vulkan/mlg_vk.c -lvulkan", cc,
             cflags, dir, dir, dir, N, dir);
  if (system(cmd.s)) {
    fprintf(stderr, "mlgen: the C compiler failed on the generated Vulkan host code (kept in %s)\n", dir);
    goto out;
  }
  buf_printf(&run, "%s/run", dir);
  for (int i = 0; i < p->inputs.n; i++) {
    const char *path = arena_printf(a, "%s/in%d.bin", dir, i);
    if (cli_write_file(path, ins[i], cli_value_bytes(p->inputs.v[i]))) goto io;
    buf_printf(&run, " %s", path);
  }
  for (int i = 0; i < p->outputs.n; i++) buf_printf(&run, " %s/out%d.bin", dir, i);
  int st = system(run.s);
  int ex = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (ex) {
    fprintf(stderr, "mlgen: the Vulkan program failed (%s; files kept in %s)\n",
            ex == 77 ? "no usable Vulkan device or validation layer" : ex == 89 ? "validation message" : "see above",
            dir);
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
