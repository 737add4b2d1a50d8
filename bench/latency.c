#define _POSIX_C_SOURCE 200809L
/* latency.c: one timing of a generated model, for bench/compare.py. Built
 * per model with -DHEADER='"name.h"' -DNAME=name -DARENA=NAME_ARENA_SIZE.
 *
 *   latency IN.bin OUT.bin SECONDS
 *
 * reads the first input's bytes from IN.bin (the other inputs are zeros),
 * runs once and writes the first output's bytes to OUT.bin (for the
 * comparison with ONNX Runtime), warms up, then runs for about SECONDS and
 * prints the median microseconds per inference over 5 equal slices. */
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

static _Alignas(64) unsigned char arena[ARENA > 0 ? ARENA : 1];

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  void *in[64], *out[64];
  int ni = (int)(sizeof X(NAME, _inputs) / sizeof X(NAME, _inputs)[0]);
  int no = (int)(sizeof X(NAME, _outputs) / sizeof X(NAME, _outputs)[0]);
  for (int i = 0; i < ni; i++) in[i] = calloc(1, (size_t)X(NAME, _inputs)[i].bytes + 64);
  for (int i = 0; i < no; i++) out[i] = calloc(1, (size_t)X(NAME, _outputs)[i].bytes + 64);
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(in[0], 1, (size_t)X(NAME, _inputs)[0].bytes, f) != (size_t)X(NAME, _inputs)[0].bytes) return 3;
  fclose(f);
  if (X(NAME, _run_generic)((const void *const *)in, out, arena)) return 4;
  f = fopen(argv[2], "wb");
  if (!f || fwrite(out[0], 1, (size_t)X(NAME, _outputs)[0].bytes, f) != (size_t)X(NAME, _outputs)[0].bytes) return 5;
  fclose(f);
  double secs = atof(argv[3]);
  int iters = 1; /* calibrate: a slice is secs / 5 */
  for (;;) {
    double t0 = now();
    for (int i = 0; i < iters; i++) X(NAME, _run_generic)((const void *const *)in, out, arena);
    double t = now() - t0;
    if (t > secs / 20 || iters > (1 << 24)) {
      iters = (int)(iters * (secs / 5) / (t > 1e-9 ? t : 1e-9)) + 1;
      break;
    }
    iters *= 2;
  }
  double r[5];
  for (int k = 0; k < 5; k++) {
    double t0 = now();
    for (int i = 0; i < iters; i++) X(NAME, _run_generic)((const void *const *)in, out, arena);
    r[k] = (now() - t0) / iters * 1e6;
  }
  qsort(r, 5, sizeof r[0], cmp);
  printf("%.3f\n", r[2]);
  return 0;
}
