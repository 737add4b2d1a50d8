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
  Buf drv = {0}, cmd = {0};
  const char *N = p->name;
  const char *kv[] = {"name", N, "NAME", upper_ident(a, N), NULL};
  char dir[64];
  int rc = 1, ex = 0;
  if (t->build(p, &(TargetOpts){.vk_features = feats, .for_run = true}, &o, d) ||
      tmpl_expand(&drv, "run_vk_driver.c", kv, d)) /* a model error, or an internal one: reported */
    goto out;
  rc = 3;
  if (cli_run_stage(a, "vk", &o, "vulkan/driver.c", &drv, dir)) goto out;
  const char *cc = cli_cc();
  const char *cflags = cli_cflags("-O2");
  buf_printf(&cmd, "%s -std=c99 %s -o %s/run %s/vulkan/driver.c %s/vulkan/%s_vk.c %s/vulkan/mlg_vk.c -lvulkan", cc,
             cflags, dir, dir, dir, N, dir);
  if (system(cmd.s)) {
    fprintf(stderr, "mlgen: the C compiler failed on the generated Vulkan host code (kept in %s)\n", dir);
    goto out;
  }
  if (cli_run_exec(a, dir, arena_printf(a, "%s/run", dir), p, ins, outs, &ex)) goto out;
  if (ex == 96 && p->checks.n) { /* the model's run-time check, not a failure of the program */
    remove_tree(dir);
    rc = cli_checks_failed(p, d);
    goto out;
  }
  if (ex) {
    fprintf(stderr, "mlgen: the Vulkan program failed (%s; files kept in %s)\n",
            ex == 77 ? "no usable Vulkan device or validation layer" : ex == 89 ? "validation message" : "see above",
            dir);
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
