/* codegen.h: renderers over the kernel IR, one per target. Each appends
 * named text files to an Output; the CLI writes them atomically. */
#ifndef MLG_CODEGEN_H
#define MLG_CODEGEN_H

#include "../ir/ir.h"

#define MAX_FILES 1024 /* a GPU target writes one shader file per kernel */
typedef struct {
  const char *name; /* relative path inside the output folder */
  Buf text;
} OutFile;

typedef struct {
  OutFile f[MAX_FILES];
  int n;
} Output;

Buf *out_file(Output *o, const char *name); /* NULL when full */
void out_free(Output *o);

/* The C target: <name>.h and <name>.c. */
int cg_c(Program *p, Output *o, Diags *d);
typedef struct {
  bool weights_separate; /* float weights in <name>_weights.bin, read from caller memory (docs/firmware.md) */
} COpts;
int cg_c_opts(Program *p, const COpts *opt, Output *o, Diags *d);
/* <name>.h of the C target alone, into h: the API a native object implements (llvm.c) */
int cg_c_header(Program *p, Buf *h, Diags *d);
/* The C target's Exp of a value computed in float (f32, f16, bf16) calls
 * mlg_expf (templates/c_helpers.c), not libm (c.c; the footprint counts it) */
static inline bool c_exp_inline(DType dt) { return dt == DT_F32 || dt == DT_F16 || dt == DT_BF16; }
/* Appends s as a C string literal that holds exactly its bytes (c.c). */
void c_str_lit(Buf *b, const char *s);

#endif
