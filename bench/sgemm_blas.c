#define _POSIX_C_SOURCE 200809L
/* sgemm_blas.c: OpenBLAS cblas_sgemm C = A B on n x n, for bench/compare.py.
 *   sgemm_blas N SECONDS   prints the median microseconds per call over 5 slices */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int n = atoi(argv[1]);
  double secs = atof(argv[2]);
  float *a = malloc(sizeof(float) * (size_t)n * (size_t)n), *b = malloc(sizeof(float) * (size_t)n * (size_t)n),
        *c = malloc(sizeof(float) * (size_t)n * (size_t)n);
  for (long i = 0; i < (long)n * n; i++) a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.2f;
#define RUN cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n)
  int iters = 1;
  for (;;) {
    double t0 = now();
    for (int i = 0; i < iters; i++) RUN;
    double t = now() - t0;
    if (t > secs / 20) {
      iters = (int)(iters * (secs / 5) / t) + 1;
      break;
    }
    iters *= 2;
  }
  double r[5];
  for (int k = 0; k < 5; k++) {
    double t0 = now();
    for (int i = 0; i < iters; i++) RUN;
    r[k] = (now() - t0) / iters * 1e6;
  }
  qsort(r, 5, sizeof r[0], cmp);
  printf("%.3f\n", r[2]);
  return c[1] == 12345.0f; /* keep c live */
}
