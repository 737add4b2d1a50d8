/* footprint.h: what a build costs before it is compiled (mlgen build
 * --report): per kernel the operations one run performs, and per target
 * profile the predicted flash and RAM of the C target's objects. The
 * prediction is a model of the generated code, not a compile: rodata is
 * counted from the layout the C target writes (weights, descriptor tables,
 * strings), .text from features of each kernel's loop nest (loops,
 * statements, guards, float and integer operations, loads, library calls,
 * 64-bit values, f16/bf16 conversion helpers, the blob loader) times
 * per-profile byte costs fitted once against arm-none-eabi-gcc 12.2 and gcc
 * 12 on the op test cases (scripts/footprint_fit.py; docs/firmware.md). */
#ifndef MLG_FOOTPRINT_H
#define MLG_FOOTPRINT_H

#include "codegen.h"

enum { FP_KERN, FP_LOOP, FP_STMT, FP_FALU, FP_IALU, FP_LOAD, FP_CALL, FP_IO, FP_TEMP, FP_WIDE, FP_GUARD, FP_HALF, FP_SEP, FP_EXP, FP_NFEAT };
extern const char *const fp_feat_name[FP_NFEAT];

typedef struct {
  const char *name, *origin;
  int64_t flops;    /* float operations one run performs (an accumulate counts one) */
  int64_t int_ops;  /* other element operations: integer, bool, compares, selects */
  int64_t loads, stores;
  int64_t stack;    /* bytes of local arrays */
  int feat[FP_NFEAT]; /* static features of its code */
} FpKernel;

typedef struct {
  const char *name;  /* host-O2, cortex-m4-O2, cortex-m4-Os, cortex-m3-O2, cortex-m3-Os */
  const char *how;   /* the compiler and flags it models */
  int ptr;           /* pointer bytes */
  int64_t text, rodata, data, bss, stack; /* predicted, bytes */
  int64_t flash, ram; /* text + rodata + data; data + bss + arena + stack */
} FpTarget;

#define FP_NTARGETS 5
typedef struct {
  int nk;
  FpKernel *k;
  int feat[FP_NFEAT];
  int64_t arena, weights, flops, int_ops;
  FpTarget t[FP_NTARGETS];
} Footprint;

/* the footprint of p's C target (weights_separate: the blob is not in the
 * image; its payload is reported apart, as weights) */
int c_footprint(Program *p, bool weights_separate, Footprint *f, Diags *d);

#endif
