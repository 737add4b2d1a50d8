/* c_target.h: between the C target's two halves. c.c is C as a target of
 * the walker (codegen/render.c): its types, literals, loads, casts, op
 * templates and helpers. c_api.c writes the files: the API header, names,
 * weights, descriptor tables and the run function around the kernels c.c
 * renders (the header is what any native target's objects are called
 * through). */
#ifndef MLG_C_TARGET_H
#define MLG_C_TARGET_H

#include "render.h"

#define C_MAX_HELPERS 32 /* helpers[] of templates/c_helpers.c */
#define C_MAX_FIXED 16   /* fixed_src[] of the same */
#define C_MAX_RE 64      /* RegexFullMatch patterns in one program */
#define C_MAX_RE_INST 512 /* instructions of one (its matcher needs 16 bytes of stack each) */

typedef struct {
  W w; /* first: the walker's hooks get &r->w */
  Program *p;
  Arena *a;
  bool used[C_MAX_HELPERS][DT_COUNT]; /* per-dtype helpers a kernel called */
  bool fixed[C_MAX_FIXED];            /* fixed helpers a kernel called */
  const char *idx_t;                  /* loop variables' type: int32_t or int64_t */
  Map names;                          /* identifier -> taken */
  const char **ident;                 /* C name by value id */
  Diags *d;
  int nre;                            /* RegexFullMatch patterns the kernels match (c_strmatch) */
  const char *re_pat[C_MAX_RE];
  const struct Re *re[C_MAX_RE];
} R;

extern const Target c_target;
/* the buffers kernel k takes as parameters, in order: every non-constant it
 * loads (c_api.c; the llvm target's kernels take the same), up to 250 */
void c_kernel_params(const Kernel *k, Value **ps, int *np);
/* the helpers the rendered kernels used, in a fixed order */
void c_emit_helpers(R *r, Buf *b);
/* C literals of a value of dtype dt (deterministic: %.9g / %.17g) */
void c_float_lit(Buf *b, double v, DType dt);
void c_int_lit(Buf *b, int64_t v, DType dt);

#endif
