/* metal.h: the Metal target, in two files.
 *
 *   msl.c    Metal Shading Language as a target of the walker
 *            (codegen/render.c): value types, literals, loads, casts, op
 *            templates, helpers (templates/msl_lib.metal)
 *   metal.c  one MSL kernel function per kernel (its nest from ir/gpu.c,
 *            the buffer views and tensor macros, templates/msl_kernel.metal)
 *            and the folder metal/: kernels/K.metal, <name>_metal.h/.c (the
 *            dispatch table, io layout, weights and each kernel's source)
 *            and runtime-min/metal (mlg_metal.h, mlg_metal.m: Objective-C)
 *
 * Memory is the other GPU targets' (ir/gpu_layout.c): buffer 0 the arena,
 * 1 the weights, 2 the io buffer, read through typed views. No Metal
 * compiler exists where mlgen is tested: the kernels are compiled and run on
 * the CPU through a shim header (tests/metal/shim) and the host glue has not
 * run (docs/metal.md).
 */
#ifndef MLG_METAL_H
#define MLG_METAL_H

#include "render.h"
#include "templates.h"

typedef enum { MT_BOOL, MT_INT, MT_UINT, MT_FLOAT, MT_LONG, MT_ULONG, MT_COUNT } MT;
/* typed views of a buffer */
typedef enum { MV_U32, MV_I32, MV_F32, MV_I64, MV_U64, MV_U8, MV_U16, MV_COUNT } MView;

typedef struct {
  const Value *v;
  const char *name; /* macro, "t_x" */
} MUse;

typedef struct {
  W w; /* first: the walker's hooks get &g->w */
  Program *p;
  Arena *a;
  Diags *d;
  GpuLayout *lay;
  const Kernel *k;
  bool help[GLSL_MAX_HELPERS][MT_COUNT];
  bool view[GB_COUNT][MV_COUNT];
  MUse uses[256];
  int nuses;
  Map names;
} MG;

extern const Target msl_target;
const char *msl_use(MG *g, const Value *v);
void msl_unsupported(MG *g, const char *what);
HelperSet msl_helper_set(MG *g); /* the helpers this kernel marks (msl.c) */

/* metal.c: every kernel's MSL and the files of <out>/metal/. */
int cg_metal(Program *p, Output *o, Diags *d);

extern const GlslHelper msl_helpers[];
extern const int msl_nhelpers;
extern const EmbeddedFile mlg_runtime_metal[];
extern const int mlg_runtime_metal_n;

#endif
