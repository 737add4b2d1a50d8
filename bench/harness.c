#define _POSIX_C_SOURCE 200809L
/* harness.c: times a generated model's <name>_run_generic. Built per model
 * with -DHEADER='"name.h"' -DNAME=name. Prints the median microseconds per
 * run over several repetitions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include HEADER

#define CAT(a, b) a##b
#define X(a, b) CAT(a, b)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  void *in[64], *out[64];
  int ni = (int)(sizeof X(NAME, _inputs) / sizeof X(NAME, _inputs)[0]);
  int no = (int)(sizeof X(NAME, _outputs) / sizeof X(NAME, _outputs)[0]);
  uint32_t seed = 1;
  for (int i = 0; i < ni; i++) {
    int64_t n = X(NAME, _inputs)[i].size;
    float *p = malloc((size_t)X(NAME, _inputs)[i].bytes + 16);
    for (int64_t k = 0; k < n; k++) {
      seed = seed * 1664525u + 1013904223u;
      if (!strcmp(X(NAME, _inputs)[i].dtype, "f32")) p[k] = (float)(seed >> 8) / 16777216.0f;
    }
    in[i] = p;
  }
  for (int i = 0; i < no; i++) out[i] = malloc((size_t)X(NAME, _outputs)[i].bytes + 16);
  static _Alignas(64) unsigned char arena[ARENA > 0 ? ARENA : 1];
  /* calibrate: about 0.2 s per repetition */
  int iters = 1;
  for (;;) {
    double t0 = now();
    for (int i = 0; i < iters; i++) X(NAME, _run_generic)((const void *const *)in, out, arena);
    if (now() - t0 > 0.05 || iters > (1 << 24)) break;
    iters *= 2;
  }
  iters *= 4;
  double r[7];
  for (int k = 0; k < 7; k++) {
    double t0 = now();
    for (int i = 0; i < iters; i++) X(NAME, _run_generic)((const void *const *)in, out, arena);
    r[k] = (now() - t0) / iters * 1e6;
  }
  qsort(r, 7, sizeof r[0], cmp);
  printf("%.3f\n", r[3]);
  return 0;
}
