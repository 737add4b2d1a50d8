/* vulkan.h: the Vulkan target, in three steps.
 *
 *   glsl.c    kernel IR -> one GLSL 450 compute shader per kernel (buffer
 *             layout and barrier flags: ir/gpu_layout.c; helpers:
 *             templates/glsl_lib.glsl)
 *   spirv.c   GLSL -> SPIR-V in-process (glslang), validated, optimized
 *             (spirv_opt.cc, SPIRV-Tools performance passes), re-validated
 *   vulkan.c  the output folder vulkan/: SPIR-V as uint32_t arrays, the
 *             dispatch table, the .comp sources and the runtime-min files
 *
 * Layout, dispatch and dtypes are described in docs/vulkan.md.
 */
#ifndef MLG_VULKAN_H
#define MLG_VULKAN_H

#include "codegen.h"
#include "render.h"
#include "templates.h"

/* Optional device features the shaders may use. Without them an i64 / f64
 * value is a build-time "unsupported on vulkan" error. */
typedef struct {
  bool int64;   /* shaderInt64 */
  bool float64; /* shaderFloat64 */
} GpuFeatures;

/* "none", "all", or a comma list of int64, float64. 0 ok, -1 bad text. */
int gpu_features_parse(const char *s, GpuFeatures *f);

typedef struct {
  const Kernel *k;
  char *glsl;       /* the compute shader */
  int64_t items;    /* invocations (output elements, or words when packed) */
  int wg;           /* local_size_x */
  bool barrier;     /* needs a compute->compute barrier before it */
  uint32_t *spv;    /* filled by spirv_compile */
  size_t nspv;      /* words */
} GlslKernel;

enum { B_ARENA = GB_ARENA, B_WEIGHTS = GB_WEIGHTS, B_IO = GB_IO, NBIND = GB_COUNT }; /* bindings (ir/gpu_layout.c) */

typedef struct {
  int nk;
  GlslKernel *ks;
  GpuLayout lay;             /* where tensors live (ir/gpu_layout.c) */
  bool int64, float64;       /* features the shaders use */
} GlslProgram;
/* glsl.c: render every kernel; -1 with diagnostics on unsupported dtypes/ops. */
int cg_glsl(Program *p, const GpuFeatures *f, GlslProgram *g, Diags *d);
/* spirv.c: compile, validate, optimize, re-validate every shader of g
 * (SPIR-V words in p's arena). -1 when this mlgen was built without glslang. */
int spirv_compile(Program *p, GlslProgram *g, Diags *d);
/* vulkan.c: both of the above, then the files of <out>/vulkan/. */
int cg_vulkan(Program *p, const GpuFeatures *f, Output *o, Diags *d);

/* GLSL helper functions, for glsl.c: the table is generated at build time
 * from templates/glsl_lib.glsl (cmake/embed.cmake), in that file's order
 * (GlslHelper, the row type every GPU language's table shares: render.h) */
extern const GlslHelper glsl_helpers[];
extern const int glsl_nhelpers;

/* runtime-min/vulkan/ sources embedded at build time (EmbeddedFile: templates.h) */
extern const EmbeddedFile mlg_runtime_vulkan[];
extern const int mlg_runtime_vulkan_n;

#endif
