/* e2e.expf driver: the generated Exp (mlg_expf, templates/c_helpers.c) over
 * every 61st float bit pattern and the special values, against libm's exp
 * in double precision (an independent reference): at most 2 ulp of the
 * float nearest the exact result, exact 0 / +inf where that is the nearest
 * float, NaN for NaN. Exit 1 with the worst case. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "ex.h"

static float xs[4096], ys[4096];
static double worst;
static float worst_x, worst_y;
static long bad, n;

static double ulp_err(float x, float got) {
  double want = exp((double)x);
  float w = (float)want; /* nearest float: 0 below half the smallest subnormal, inf above FLT_MAX */
  if (isnan(x)) return isnan(got) ? 0 : 1e30;
  if (isinf(w) || w == 0) return got == w ? 0 : 1e30;
  if (!isfinite(got)) return 1e30;
  float up = nextafterf(w, INFINITY) - w; /* an ulp at w (w > 0) */
  return fabs((double)got - want) / up;
}

static void batch(int m) {
  if (ex_run(xs, ys, NULL) != 0) {
    puts("FAIL: ex_run returned an error");
    bad++;
    return;
  }
  for (int i = 0; i < m; i++) {
    double e = ulp_err(xs[i], ys[i]);
    n++;
    if (e > 2) bad++;
    if (e > worst) worst = e, worst_x = xs[i], worst_y = ys[i];
  }
}

int main(void) {
  static const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 88.72f, 88.7228394f, 88.7228433f, 89.0f, 104.0f, 1e30f,
                                  -87.33f, -87.5f, -100.0f, -103.0f, -103.97f, -104.0f, -1e30f, 1e-30f, -1e-30f,
                                  1.40129846e-45f, 0.693147181f, -0.693147181f, 0.346573591f, 0.346573621f};
  int m = 0;
  for (uint64_t u = 0; u <= 0xffffffffu; u += 61) {
    uint32_t b = (uint32_t)u;
    memcpy(&xs[m], &b, 4);
    if (++m == 4096) batch(m), m = 0;
  }
  for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
    xs[m] = special[i];
    if (++m == 4096) batch(m), m = 0;
  }
  xs[m++] = INFINITY, xs[m++] = -INFINITY, xs[m++] = NAN;
  for (int i = m; i < 4096; i++) xs[i] = 0;
  batch(m);
  if (!isinf(ys[m - 3]) || ys[m - 3] < 0 || ys[m - 2] != 0 || !isnan(ys[m - 1])) {
    printf("FAIL: exp(inf) = %g, exp(-inf) = %g, exp(nan) = %g\n", ys[m - 3], ys[m - 2], ys[m - 1]);
    return 1;
  }
  printf("%ld values, worst %.3f ulp at x = %.9g (got %.9g, exp = %.9g)\n", n, worst, worst_x, worst_y,
         exp((double)worst_x));
  if (bad) {
    printf("FAIL: %ld values beyond 2 ulp\n", bad);
    return 1;
  }
  return 0;
}
