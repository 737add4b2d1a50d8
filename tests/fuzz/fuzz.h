/* fuzz.h: the fuzz targets (fuzz_targets.c), by name. */
#ifndef MLG_FUZZ_H
#define MLG_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "../../ir/ir.h"

typedef struct {
  const char *name;
  void (*run)(const uint8_t *data, size_t n); /* never fails: crashing is the finding */
} FuzzTarget;

extern const FuzzTarget fuzz_targets[];
extern const int fuzz_ntargets;
const FuzzTarget *fuzz_find(const char *name);
void fuzz_init(void);    /* lowered limits, once per process */
void fuzz_cleanup(void); /* removes the scratch file */

#endif
