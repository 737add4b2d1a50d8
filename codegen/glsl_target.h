/* glsl_target.h: between the GLSL target's two halves. glsl.c is GLSL as a
 * target of the walker (codegen/render.c): value types, literals, loads,
 * casts, op templates, helpers. glsl_shader.c makes the shader of a kernel:
 * its nest from ir/gpu.c, the buffer views and tensor macros, the fixed
 * text of templates/glsl_kernel.comp. */
#ifndef MLG_GLSL_TARGET_H
#define MLG_GLSL_TARGET_H

#include "render.h"
#include "vulkan.h"

/* GLSL types values are rendered in */
typedef enum { RT_BOOL, RT_INT, RT_UINT, RT_FLOAT, RT_DOUBLE, RT_I64, RT_U64, RT_COUNT } RT;
/* typed views of a binding */
typedef enum { VW_U32, VW_I32, VW_F32, VW_I64, VW_U64, VW_F64, VW_COUNT } View;

typedef struct {
  const Value *v;
  const char *name; /* macro, "t_x" */
} Use;

typedef struct {
  W w; /* first: the walker's hooks get &g->w */
  Program *p;
  Arena *a;
  Diags *d;
  const GpuFeatures *f;
  GlslProgram *g;
  /* per kernel */
  const Kernel *k;
  bool help[GLSL_MAX_HELPERS][RT_COUNT];
  bool view[NBIND][VW_COUNT];
  bool sub8[NBIND], sub16[NBIND];
  bool i64, f64;
  Use uses[256];
  int nuses;
  Map names;
  bool err;
} G;

extern const Target glsl_target;
/* the macro naming tensor v in this shader (declares its view) */
const char *glsl_use(G *g, const Value *v);
/* a refusal naming the kernel (once per kernel) */
void glsl_unsupported(G *g, const char *what);
/* the helpers this kernel marks (glsl.c) */
HelperSet glsl_helper_set(G *g);
/* b's text in the arena; b is freed */
char *glsl_str(G *g, Buf *b);

#endif
