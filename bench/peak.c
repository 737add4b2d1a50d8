#define _POSIX_C_SOURCE 200809L
/* peak.c: the core's single-precision FMA peak, for bench/compare.py: 12
 * independent vector FMA chains (GCC vector extensions, as wide as
 * -march=native allows: VEC floats), prints GFLOP/s. */
#include <stdio.h>
#include <time.h>

#ifndef VEC
#define VEC 8
#endif
typedef float v __attribute__((vector_size(4 * VEC)));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
  v m, a, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11;
  for (int i = 0; i < VEC; i++) m[i] = 0.999999f, a[i] = 1e-7f;
  a0 = m * 1, a1 = m * 2, a2 = m * 3, a3 = m * 4, a4 = m * 5, a5 = m * 6; /* distinct: no chain folds into another */
  a6 = m * 7, a7 = m * 8, a8 = m * 9, a9 = m * 10, a10 = m * 11, a11 = m * 12;
  long iters = 50000000;
  double t0 = now();
  for (long i = 0; i < iters; i++) { /* contracted to FMA (-ffp-contract=fast) */
    a0 = a0 * m + a, a1 = a1 * m + a, a2 = a2 * m + a, a3 = a3 * m + a, a4 = a4 * m + a, a5 = a5 * m + a;
    a6 = a6 * m + a, a7 = a7 * m + a, a8 = a8 * m + a, a9 = a9 * m + a, a10 = a10 * m + a, a11 = a11 * m + a;
  }
  double t = now() - t0;
  v s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  printf("%.1f\n", 2.0 * VEC * 12 * (double)iters / t * 1e-9 + (s[0] == 12345.0f));
  return 0;
}
