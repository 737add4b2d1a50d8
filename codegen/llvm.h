/* llvm.h: the llvm target (llvm.c): the model's kernels, weights, run
 * functions and descriptor tables as one native object, <name>.o, for a
 * named machine (llvm_machine_names) or an LLVM triple, with the C target's
 * <name>.h. No LLVM type leaves llvm.c. */
#ifndef MLG_LLVM_H
#define MLG_LLVM_H

#include "codegen.h"

/* machine: NULL or "host" for this machine */
/* level: the optimization pipeline, "O3" (NULL), "O2", "O1", "Os" or "Oz" (smaller code, for flash) */
int cg_llvm(Program *p, const char *machine, const char *level, Output *o, Diags *d);
const char *llvm_machine_names(void); /* "host, x86_64, ..." */

#endif
