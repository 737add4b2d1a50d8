/* remote.c: the client side of mlgen-serve (not yet). */
#include <stdio.h>
#include "cli.h"
int remote_run(Arena *a, const char *hostport, const char *token, const char *target, Program *p, void **ins,
               void **outs, Diags *d) {
  (void)a, (void)token, (void)target, (void)p, (void)ins, (void)outs, (void)d;
  fprintf(stderr, "mlgen: --remote %s: not built\n", hostport);
  return 3;
}
