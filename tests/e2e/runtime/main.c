/* runtime/main.c: models built for the shapes they declare, run with values
 * given at run time that agree (the outputs checked against sums computed
 * here) and that disagree (status <NAME>_EVALUE, under ASan/UBSan). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rd.h"
#include "rs.h"
#include "us.h"

static int fails;
#define EXPECT(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); fails++; } } while (0)

static _Alignas(16) unsigned char arena[4096];

int main(void) {
  float x[24], y[24];
  for (int i = 0; i < 24; i++) x[i] = (float)(i - 7) * 0.5f;

  /* Reshape [2,3,4] -> declared [4,3,2] */
  static const int64_t good[][3] = {{4, 3, 2}, {-1, 3, 2}, {4, -1, 2}, {4, 3, -1}, {4, 0, 2}, {-1, 0, 2}};
  static const int64_t bad[][3] = {{2, 3, 4}, {-1, -1, 2}, {24, 1, 1}, {0, 3, 2}, {4, 0, 0}, {-2, 3, 2}, {4, 3, 0},
                                   {4, 3, 3}, {INT64_MIN, 3, 2}};
  EXPECT(RS_ARENA_SIZE <= sizeof arena, "arena");
  for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
    memset(y, 0, sizeof y);
    int st = rs_run(x, good[k], y, arena);
    EXPECT(st == 0, "reshape good %zu: status %d", k, st);
    EXPECT(!memcmp(x, y, sizeof y), "reshape good %zu: data moved", k);
  }
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    int st = rs_run(x, bad[k], y, arena);
    EXPECT(st == RS_EVALUE, "reshape bad %zu: status %d, want %d", k, st, RS_EVALUE);
  }

  /* ReduceSumSquare over one of the axes of [3,2,2], keepdims 0 -> [3,2]:
   * axis 1 and axis 2 both fit (a select at run time), axis 0 does not */
  static const int64_t axes_ok[] = {1, 2, -1, -2};
  for (size_t k = 0; k < 4; k++) {
    int64_t a = axes_ok[k], ax = a < 0 ? a + 3 : a;
    float r[6];
    memset(y, 0, sizeof y);
    int st = rd_run(x, &a, r, arena);
    EXPECT(st == 0, "reduce axis %lld: status %d", (long long)a, st);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 2; j++) {
        float s = 0;
        for (int t = 0; t < 2; t++) {
          float v = ax == 1 ? x[i * 4 + t * 2 + j] : x[i * 4 + j * 2 + t];
          s += v * v;
        }
        EXPECT(fabsf(r[i * 2 + j] - s) <= 1e-5f * (1 + fabsf(s)), "reduce axis %lld [%d,%d]: %g, want %g",
               (long long)a, i, j, r[i * 2 + j], s);
      }
  }
  static const int64_t axes_bad[] = {0, -3, 3, -4, INT64_MAX};
  for (size_t k = 0; k < 5; k++) {
    float r[6];
    int st = rd_run(x, &axes_bad[k], r, arena);
    EXPECT(st == RD_EVALUE, "reduce axis %lld: status %d, want %d", (long long)axes_bad[k], st, RD_EVALUE);
  }

  /* Unsqueeze [3,1] -> declared [3,1,1]: axis 1, 2, -1, -2 fit; 0 and 3 do not */
  static const int32_t us_ok[] = {1, 2, -1, -2}, us_bad[] = {0, -3, 3, 5, -4};
  for (size_t k = 0; k < 4; k++) {
    float r[3] = {0};
    int st = us_run(x, &us_ok[k], r, arena);
    EXPECT(st == 0 && !memcmp(r, x, sizeof r), "unsqueeze %d: status %d", us_ok[k], st);
  }
  for (size_t k = 0; k < 5; k++) {
    float r[3];
    int st = us_run(x, &us_bad[k], r, arena);
    EXPECT(st == US_EVALUE, "unsqueeze %d: status %d, want %d", us_bad[k], st, US_EVALUE);
  }
  printf("%s\n", fails ? "FAILED" : "runtime checks: ok");
  return fails != 0;
}
