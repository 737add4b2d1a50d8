/* targets.c: the rows of the target registry (targets.h), and the small
 * adapters from TargetOpts to each renderer's own entry point. The vulkan row
 * is there in every build: without glslang, cg_vulkan reports that this
 * mlgen cannot make SPIR-V. */
#define _POSIX_C_SOURCE 200809L /* readlink */
#include "targets.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vulkan.h"
#include "webgpu.h"
#include "metal.h"
#include "llvm.h"

static int build_c(Program *p, const TargetOpts *opt, Output *o, Diags *d) {
  return cg_c_opts(p, &(COpts){.weights_separate = opt && opt->weights_separate}, o, d);
}

/* --vk-features: none, all, or a list of int64, float64; by default the
 * portable int64 for a build, everything the device has for a run */
static int build_vulkan(Program *p, const TargetOpts *opt, Output *o, Diags *d) {
  const char *s = opt && opt->vk_features ? opt->vk_features : opt && opt->for_run ? "all" : "int64";
  GpuFeatures f;
  if (gpu_features_parse(s, &f)) {
    diag_error(d, (Loc){.file = p->file}, "bad --vk-features '%s' (expected none, all, or a list of int64, float64)",
               s);
    return -1;
  }
  return cg_vulkan(p, &f, o, d);
}

static int build_webgpu(Program *p, const TargetOpts *opt, Output *o, Diags *d) {
  (void)opt;
  return cg_webgpu(p, o, d);
}

static int build_metal(Program *p, const TargetOpts *opt, Output *o, Diags *d) {
  (void)opt;
  return cg_metal(p, o, d);
}

/* The llvm target is a module (mlgen-llvm.so, linked with libLLVM) loaded on
 * first use: $MLGEN_LLVM_MODULE, else beside the executable, else in
 * ../lib/mlgen/ from it (an install). */
typedef int LlvmBuild(Program *p, const char *machine, const char *level, Output *o, Diags *d);
static int build_llvm(Program *p, const TargetOpts *opt, Output *o, Diags *d) {
  static LlvmBuild *fn;
  if (!fn) {
    char exe[4096], path[4200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    const char *env = getenv("MLGEN_LLVM_MODULE"), *why = "not found";
    const char *cand[3] = {env, "%s/mlgen-llvm.so", "%s/../lib/mlgen/mlgen-llvm.so"};
    for (int i = env ? 0 : 1; !fn && i < (env ? 1 : 3); i++) {
      if (i == 0) snprintf(path, sizeof path, "%s", env);
      else if (slash) snprintf(path, sizeof path, cand[i], exe);
      else continue;
      void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        if (access(path, F_OK) == 0 || i == 0) why = dlerror();
        continue;
      }
      fn = (LlvmBuild *)(uintptr_t)dlsym(h, "cg_llvm");
    }
    if (!fn) {
      diag_error(d, (Loc){.file = p->file}, "the llvm target is not available: mlgen-llvm.so (beside mlgen, in "
                 "../lib/mlgen, or $MLGEN_LLVM_MODULE): %s", why ? why : "no cg_llvm");
      return -1;
    }
  }
  return fn(p, opt ? opt->machine : NULL, opt ? opt->opt_level : NULL, o, d);
}

/* name, desc (--help), dir, build (NULL: run only), runnable, op_support (not yet) */
const TargetInfo mlg_targets[] = {
    {"interp", "the reference interpreter, double precision (run only)", NULL, NULL, true, NULL},
    {"c", "C99: <name>.h and <name>.c, caller-owned memory", NULL, build_c, true, NULL},
    {"vulkan", "Vulkan compute: vulkan/ with SPIR-V kernels, dispatch table, runtime", "vulkan", build_vulkan, true,
     NULL},
    {"webgpu", "WebGPU: webgpu/ with WGSL kernels, an ES module for runtime-min/webgpu, the weights", "webgpu",
     build_webgpu, true, NULL},
    {"metal", "Metal: metal/ with MSL kernels, the dispatch table and runtime-min/metal (Objective-C)", "metal",
     build_metal, true, NULL},
    {"llvm", "native object through LLVM: <name>.o with the C target's <name>.h (--emit obj --target MACHINE)",
     NULL, build_llvm, true, NULL},
};
const int mlg_ntargets = (int)(sizeof mlg_targets / sizeof mlg_targets[0]);

const TargetInfo *target_find(const char *name) {
  for (int i = 0; name && i < mlg_ntargets; i++)
    if (!strcmp(mlg_targets[i].name, name)) return &mlg_targets[i];
  return NULL;
}

bool target_lacks_f64(const char *name, const char *vk_features, bool run) {
  if (!strcmp(name, "webgpu") || !strcmp(name, "metal")) return true;
  if (strcmp(name, "vulkan")) return false;
  GpuFeatures f;
  return gpu_features_parse(vk_features ? vk_features : run ? "all" : "int64", &f) == 0 && !f.float64;
}

void target_names(Buf *b, unsigned which, const char *sep) {
  for (int i = 0, n = 0; i < mlg_ntargets; i++) {
    const TargetInfo *t = &mlg_targets[i];
    if (((which & TARGETS_BUILD) && t->build) || ((which & TARGETS_RUN) && t->runnable))
      buf_printf(b, "%s%s", n++ ? sep : "", t->name);
  }
}
