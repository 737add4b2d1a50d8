/* spirv.c: GLSL -> SPIR-V for the Vulkan target, in-process.
 *
 * Requires: shaders from cg_glsl. Provides: GlslKernel.spv for each.
 *
 * Per shader: glslang (C API) compiles the GLSL for Vulkan 1.1 / SPIR-V
 * 1.3; SPIRV-Tools validates the module (spvValidate, the same checks as
 * spirv-val), optimizes it with the performance passes (spirv_opt.cc, the
 * only C++ in mlgen: SPIRV-Tools 2023.1 has no C optimizer API) and
 * validates the result again. A failure anywhere is an internal error
 * naming the kernel: the renderer produced something it should not have.
 * glslang and SPIRV-Tools types never leave this file.
 */
#include "vulkan.h"

#include <stdlib.h>
#include <string.h>

#include <glslang/Include/glslang_c_interface.h>
#include <glslang/Public/resource_limits_c.h>
#include <spirv-tools/libspirv.h>

/* spirv_opt.cc: performance passes; 0 ok (malloc'd *out), -1 with err */
int mlg_spirv_optimize(const uint32_t *in, size_t n, uint32_t **out, size_t *nout, char *err, size_t errlen);

static int validate(spv_context ctx, const uint32_t *w, size_t n, const char *what, const Kernel *k, Program *p,
                    Diags *d) {
  spv_const_binary_t bin = {w, n};
  spv_diagnostic diag = NULL;
  spv_result_t r = spvValidate(ctx, &bin, &diag);
  if (r == SPV_SUCCESS) {
    spvDiagnosticDestroy(diag);
    return 0;
  }
  diag_error(d, (Loc){.file = p->file}, "internal: %s SPIR-V of kernel %s (%s) fails validation: %s", what, k->name,
             k->origin, diag && diag->error ? diag->error : "(no message)");
  spvDiagnosticDestroy(diag);
  return -1;
}

static int compile_one(GlslKernel *gk, spv_context ctx, Program *p, Diags *d) {
  const Kernel *k = gk->k;
  glslang_input_t in = {
      .language = GLSLANG_SOURCE_GLSL,
      .stage = GLSLANG_STAGE_COMPUTE,
      .client = GLSLANG_CLIENT_VULKAN,
      .client_version = GLSLANG_TARGET_VULKAN_1_1,
      .target_language = GLSLANG_TARGET_SPV,
      .target_language_version = GLSLANG_TARGET_SPV_1_3,
      .code = gk->glsl,
      .default_version = 450,
      .default_profile = GLSLANG_NO_PROFILE,
      .messages = GLSLANG_MSG_SPV_RULES_BIT | GLSLANG_MSG_VULKAN_RULES_BIT,
      .resource = glslang_default_resource(),
  };
  glslang_shader_t *sh = glslang_shader_create(&in);
  glslang_program_t *pr = NULL;
  int rc = -1;
  if (!sh) goto out;
  if (!glslang_shader_preprocess(sh, &in) || !glslang_shader_parse(sh, &in)) {
    diag_error(d, (Loc){.file = p->file}, "internal: glslang rejects the shader of kernel %s (%s):\n%s", k->name,
               k->origin, glslang_shader_get_info_log(sh));
    goto out;
  }
  pr = glslang_program_create();
  glslang_program_add_shader(pr, sh);
  if (!glslang_program_link(pr, GLSLANG_MSG_SPV_RULES_BIT | GLSLANG_MSG_VULKAN_RULES_BIT)) {
    diag_error(d, (Loc){.file = p->file}, "internal: glslang cannot link kernel %s: %s", k->name,
               glslang_program_get_info_log(pr));
    goto out;
  }
  glslang_program_SPIRV_generate(pr, GLSLANG_STAGE_COMPUTE);
  size_t n = glslang_program_SPIRV_get_size(pr);
  const uint32_t *w = glslang_program_SPIRV_get_ptr(pr);
  if (!n || validate(ctx, w, n, "glslang's", k, p, d)) goto out;
  uint32_t *opt = NULL;
  size_t nopt = 0;
  char err[512];
  if (mlg_spirv_optimize(w, n, &opt, &nopt, err, sizeof err)) {
    diag_error(d, (Loc){.file = p->file}, "internal: spirv-opt fails on kernel %s: %s", k->name, err);
    goto out;
  }
  if (!validate(ctx, opt, nopt, "optimized", k, p, d)) {
    gk->spv = arena_alloc(p->a, nopt * sizeof(uint32_t));
    if (gk->spv) {
      memcpy(gk->spv, opt, nopt * sizeof(uint32_t));
      gk->nspv = nopt;
      rc = 0;
    }
  }
  free(opt);
out:
  if (pr) glslang_program_delete(pr);
  if (sh) glslang_shader_delete(sh);
  return rc;
}

int spirv_compile(Program *p, GlslProgram *g, Diags *d) {
  static int initialized;
  if (!initialized) {
    if (!glslang_initialize_process()) {
      diag_error(d, (Loc){0}, "glslang failed to initialize");
      return -1;
    }
    initialized = 1;
  }
  spv_context ctx = spvContextCreate(SPV_ENV_VULKAN_1_1);
  if (!ctx) return -1;
  int rc = 0;
  for (int i = 0; i < g->nk && !rc; i++) rc = compile_one(&g->ks[i], ctx, p, d);
  spvContextDestroy(ctx);
  return rc;
}
