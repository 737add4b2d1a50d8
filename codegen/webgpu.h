/* webgpu.h: the WebGPU target, in two files.
 *
 *   wgsl.c    WGSL as a target of the walker (codegen/render.c): value
 *             types, literals, loads, casts, op templates, helpers
 *             (templates/wgsl_lib.wgsl)
 *   webgpu.c  one WGSL compute shader per kernel (its nest from ir/gpu.c,
 *             the buffers and tensor functions, templates/wgsl_kernel.wgsl),
 *             then the folder webgpu/: the model module <name>_webgpu.js
 *             (dispatch table, io layout, the WGSL), <name>_weights.bin,
 *             shaders/K.wgsl and runtime-min/webgpu's mlgen-webgpu.js
 *
 * Memory is the Vulkan target's (ir/gpu_layout.c): binding 0 the arena,
 * 1 the weights, 2 the io buffer. WGSL cannot alias a binding with several
 * types, so each is one array<u32> and loads and stores bitcast. WGSL has
 * no 64-bit types: i64 and u64 values are vec2<u32> with exact helpers
 * (templates/wgsl_lib.wgsl; index arithmetic that fits is i32 already:
 * ir/gpu.c), and f64 values are a build-time "unsupported on webgpu"
 * naming the kernel.
 * Details: docs/webgpu.md.
 */
#ifndef MLG_WEBGPU_H
#define MLG_WEBGPU_H

#include "render.h"
#include "templates.h"

/* WGSL value types; i64 and u64 are vec2<u32> (low, high word) */
typedef enum { WT_BOOL, WT_I32, WT_U32, WT_F32, WT_I64, WT_U64, WT_COUNT } WT;

typedef struct {
  const Value *v;
  const char *name; /* its load function, "t_x" */
} WUse;

typedef struct {
  W w; /* first: the walker's hooks get &g->w */
  Program *p;
  Arena *a;
  Diags *d;
  GpuLayout *lay;
  /* per kernel */
  const Kernel *k;
  bool help[GLSL_MAX_HELPERS][WT_COUNT];
  bool bind[GB_COUNT], sub8[GB_COUNT], sub16[GB_COUNT];
  WUse uses[256];
  int nuses;
  Map names;
} WG;

extern const Target wgsl_target;
/* the load function naming tensor v in this shader (declares it) */
const char *wgsl_use(WG *g, const Value *v);
/* a refusal naming the kernel (once per kernel) */
void wgsl_unsupported(WG *g, const char *what);
/* the helpers this kernel marks (wgsl.c) */
HelperSet wgsl_helper_set(WG *g);

/* webgpu.c: every kernel's WGSL and the files of <out>/webgpu/. */
int cg_webgpu(Program *p, Output *o, Diags *d);

/* the WGSL helper table, from templates/wgsl_lib.wgsl (cmake/embed.cmake) */
extern const GlslHelper wgsl_helpers[];
extern const int wgsl_nhelpers;
/* runtime-min/webgpu/ embedded at build time */
extern const EmbeddedFile mlg_runtime_webgpu[];
extern const int mlg_runtime_webgpu_n;

#endif
