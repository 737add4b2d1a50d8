/* runtime3/main.c: models built for the shapes they declare, run with
 * values given at run time that agree (outputs checked against values
 * computed here) and that disagree (status <NAME>_EVALUE, under ASan and
 * UBSan): Split sizes, TopK K, Range, CumSum axis, Expand shape, OneHot
 * depth, MelWeightMatrix, and the data-dependent sizes of NonZero, Compress, Unique and
 * NonMaxSuppression. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cs.h"
#include "ex.h"
#include "mw.h"
#include "nm.h"
#include "nz.h"
#include "rg.h"
#include "sp.h"
#include "tk.h"
#include "uq.h"

static int fails;
#define EXPECT(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); fails++; } } while (0)

static _Alignas(16) unsigned char arena[65536];

static int near(float a, float b) { return fabsf(a - b) <= 1e-5f * (1 + fabsf(b)); }

static void split(void) {
  float x[6] = {1, 2, 3, 4, 5, 6}, a[2], c[4];
  static const int64_t good[2] = {2, 4}, bad[][2] = {{3, 3}, {4, 2}, {6, 0}, {-1, 7}, {2, 5}};
  int st = sp_run(x, good, a, c, arena);
  EXPECT(st == 0 && a[0] == 1 && a[1] == 2 && c[0] == 3 && c[3] == 6, "split good: status %d", st);
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    EXPECT(sp_run(x, bad[k], a, c, arena) == SP_EVALUE, "split bad %zu", k);
}

static void topk(void) {
  float x[5] = {0.5f, -2, 7, 3, 7}, v[3];
  int64_t i[3], k = 3;
  int st = tk_run(x, &k, v, i, arena);
  /* the largest three, ties by lower index: 7 (2), 7 (4), 3 (3) */
  EXPECT(st == 0 && v[0] == 7 && v[1] == 7 && v[2] == 3 && i[0] == 2 && i[1] == 4 && i[2] == 3, "topk good: %d", st);
  static const int64_t bad[] = {2, 4, 5, 0, -3};
  for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++)
    EXPECT(tk_run(x, &bad[j], v, i, arena) == TK_EVALUE, "topk k=%lld", (long long)bad[j]);
}

static void range(void) {
  static const float good[][3] = {{1, 5, 1}, {0, 2, 0.5f}, {10, 6, -1}, {0, 3.5f, 1}, {-1, 0.1f, 0.3f}};
  static const float bad[][3] = {{0, 5, 1}, {0, 3, 1}, {0, 4, 0}, {4, 0, 1}, {0, INFINITY, 1}, {0, NAN, 1}};
  for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
    float y[4] = {0};
    int st = rg_run(&good[k][0], &good[k][1], &good[k][2], y, arena);
    EXPECT(st == 0, "range good %zu: status %d", k, st);
    for (int t = 0; t < 4; t++)
      EXPECT(near(y[t], good[k][0] + (float)t * good[k][2]), "range good %zu [%d]: %g", k, t, y[t]);
  }
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    float y[4];
    EXPECT(rg_run(&bad[k][0], &bad[k][1], &bad[k][2], y, arena) == RG_EVALUE, "range bad %zu", k);
  }
}

static void cumsum(void) {
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
  static const int32_t axes[] = {0, 1, -1, -2}, bad[] = {2, -3, 7, -2147483647 - 1};
  for (size_t k = 0; k < 4; k++) {
    int a = axes[k] < 0 ? axes[k] + 2 : axes[k];
    int st = cs_run(x, &axes[k], y, arena);
    EXPECT(st == 0, "cumsum axis %d: status %d", axes[k], st);
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++) { /* exclusive */
        float s = 0;
        for (int t = 0; t < (a == 0 ? i : j); t++) s += a == 0 ? x[t * 3 + j] : x[i * 3 + t];
        EXPECT(near(y[i * 3 + j], s), "cumsum axis %d [%d,%d]: %g, want %g", axes[k], i, j, y[i * 3 + j], s);
      }
  }
  for (size_t k = 0; k < 4; k++) EXPECT(cs_run(x, &bad[k], y, arena) == CS_EVALUE, "cumsum axis %d", bad[k]);
}

static void expand_onehot(void) {
  float x[3] = {1, 2, 3}, v[2] = {-1, 5}, y[12], h[12];
  int64_t idx[3] = {0, 3, -1}, d = 4;
  static const int64_t good[][2] = {{3, 4}, {1, 4}}, bad[][2] = {{3, 5}, {2, 4}, {3, 1}, {0, 4}, {-1, 4}};
  for (size_t k = 0; k < 2; k++) {
    int st = ex_run(x, good[k], &d, idx, v, y, h, arena);
    EXPECT(st == 0, "expand good %zu: status %d", k, st);
    for (int i = 0; i < 12; i++) {
      EXPECT(y[i] == x[i / 4], "expand good %zu [%d]", k, i);
      int want = (i % 4) == (idx[i / 4] < 0 ? idx[i / 4] + 4 : idx[i / 4]);
      EXPECT(h[i] == (want ? 5 : -1), "onehot [%d]: %g", i, h[i]);
    }
  }
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    EXPECT(ex_run(x, bad[k], &d, idx, v, y, h, arena) == EX_EVALUE, "expand bad %zu", k);
  static const int64_t dbad[] = {3, 5, 0, -4};
  for (size_t k = 0; k < 4; k++)
    EXPECT(ex_run(x, good[0], &dbad[k], idx, v, y, h, arena) == EX_EVALUE, "onehot depth %lld", (long long)dbad[k]);
}

static void nonzero_compress(void) {
  float z[5] = {10, 20, 30, 40, 50}, w[2];
  int64_t y[6];
  uint8_t c[5] = {0, 1, 0, 0, 1};
  float x[6] = {0, 3, 0, -1, 0, NAN}; /* nonzero at (0,1), (1,0), (1,2) */
  int st = nz_run(x, c, z, y, w, arena);
  static const int64_t want[6] = {0, 1, 1, 1, 0, 2};
  EXPECT(st == 0 && !memcmp(y, want, sizeof want), "nonzero good: status %d", st);
  EXPECT(st == 0 && w[0] == 20 && w[1] == 50, "compress good: %g %g", w[0], w[1]);
  float x2[6] = {0, 3, 0, -1, 0, 0}, x4[6] = {1, 3, 0, -1, 0, 2};
  EXPECT(nz_run(x2, c, z, y, w, arena) == NZ_EVALUE, "nonzero of 2");
  EXPECT(nz_run(x4, c, z, y, w, arena) == NZ_EVALUE, "nonzero of 4");
  uint8_t c1[5] = {0, 1, 0, 0, 0}, c3[5] = {1, 1, 0, 0, 1};
  EXPECT(nz_run(x, c1, z, y, w, arena) == NZ_EVALUE, "compress of 1");
  EXPECT(nz_run(x, c3, z, y, w, arena) == NZ_EVALUE, "compress of 3");
}

static void unique(void) {
  float x[6] = {2, -1, 2, 5, -1, 2}, y[3];
  int64_t i[3], v[6], n[3];
  int st = uq_run(x, y, i, v, n, arena);
  EXPECT(st == 0, "unique good: status %d", st);
  /* sorted: -1 (first at 1, twice), 2 (first at 0, three times), 5 (first at 3, once) */
  static const int64_t wi[3] = {1, 0, 3}, wv[6] = {1, 0, 1, 2, 0, 1}, wn[3] = {2, 3, 1};
  EXPECT(y[0] == -1 && y[1] == 2 && y[2] == 5, "unique values %g %g %g", y[0], y[1], y[2]);
  EXPECT(!memcmp(i, wi, sizeof wi) && !memcmp(v, wv, sizeof wv) && !memcmp(n, wn, sizeof wn), "unique indices");
  float x2[6] = {1, 1, 1, 2, 2, 2}, x4[6] = {1, 2, 3, 4, 4, 4}, xn[6] = {NAN, 1, NAN, 2, 2, 1};
  EXPECT(uq_run(x2, y, i, v, n, arena) == UQ_EVALUE, "unique of 2");
  EXPECT(uq_run(x4, y, i, v, n, arena) == UQ_EVALUE, "unique of 4");
  st = uq_run(xn, y, i, v, n, arena); /* NaN equals NaN and sorts last */
  EXPECT(st == 0 && y[0] == 1 && y[1] == 2 && isnan(y[2]) && n[2] == 2 && i[2] == 0, "unique with NaN: %d", st);
}

static void nms(void) {
  /* [y1, x1, y2, x2]: box 1 overlaps box 0 (IoU 0.81), box 2 apart */
  float bx[12] = {0, 0, 10, 10, 0, 1, 10, 11, 20, 20, 30, 30}, sc[3] = {0.9f, 0.8f, 0.7f}, t = 0.5f;
  int64_t m = 3, y[6];
  int st = nm_run(bx, sc, &m, &t, y, arena);
  static const int64_t want[6] = {0, 0, 0, 0, 0, 2};
  EXPECT(st == 0 && !memcmp(y, want, sizeof want), "nms good: status %d", st);
  float sc2[3] = {0.7f, 0.8f, 0.9f}; /* box 2 first, then box 1 suppresses box 0 */
  static const int64_t want2[6] = {0, 0, 2, 0, 0, 1};
  st = nm_run(bx, sc2, &m, &t, y, arena);
  EXPECT(st == 0 && !memcmp(y, want2, sizeof want2), "nms good 2: status %d", st);
  float t9 = 0.9f; /* nothing suppressed: 3 boxes */
  int64_t m1 = 1, m0 = 0;
  EXPECT(nm_run(bx, sc, &m, &t9, y, arena) == NM_EVALUE, "nms of 3");
  EXPECT(nm_run(bx, sc, &m1, &t, y, arena) == NM_EVALUE, "nms of 1");
  EXPECT(nm_run(bx, sc, &m0, &t, y, arena) == NM_EVALUE, "nms of 0");
  float scn[3] = {NAN, 0.8f, NAN}; /* ranks collide without care: must stay in bounds, and NaN is refused */
  EXPECT(nm_run(bx, scn, &m, &t, y, arena) == NM_EVALUE, "nms with NaN scores");
}

static void mel(void) {
  /* 2 bins over 8 Hz at 16 Hz, dft 8 or 9 (5 frequencies): the edges
   * 700 (10^(m / 2595) - 1) at m = i mel(8) / 4 are just under 0, 2, 4, 6 Hz,
   * so at bins floor((dft + 1) f / 16) = 0, 1, 2, 3 */
  static const float want[10] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0};
  int64_t n = 2, d[2] = {8, 9}, r = 16;
  float lo = 0, hi = 8, y[10];
  for (int k = 0; k < 2; k++) {
    int st = mw_run(&n, &d[k], &r, &lo, &hi, y, arena);
    EXPECT(st == 0 && !memcmp(y, want, sizeof want), "mel dft %lld: status %d", (long long)d[k], st);
  }
  int64_t n3 = 3, d10 = 10, d0 = 0, r0 = 0;
  float hi2 = 100, nan = NAN;
  EXPECT(mw_run(&n3, &d[0], &r, &lo, &hi, y, arena) == MW_EVALUE, "mel of 3 bins");
  EXPECT(mw_run(&n, &d10, &r, &lo, &hi, y, arena) == MW_EVALUE, "mel dft 10");
  EXPECT(mw_run(&n, &d0, &r, &lo, &hi, y, arena) == MW_EVALUE, "mel dft 0");
  EXPECT(mw_run(&n, &d[0], &r0, &lo, &hi, y, arena) == MW_EVALUE, "mel rate 0");
  EXPECT(mw_run(&n, &d[0], &r, &lo, &hi2, y, arena) == MW_EVALUE, "mel edges past the spectrum");
  EXPECT(mw_run(&n, &d[0], &r, &nan, &hi, y, arena) == MW_EVALUE, "mel NaN edge");
}

int main(void) {
  EXPECT(NM_ARENA_SIZE <= sizeof arena && UQ_ARENA_SIZE <= sizeof arena && NZ_ARENA_SIZE <= sizeof arena, "arena");
  split();
  topk();
  range();
  cumsum();
  expand_onehot();
  nonzero_compress();
  unique();
  nms();
  mel();
  printf("%s\n", fails ? "FAILED" : "runtime checks 2: ok");
  return fails != 0;
}
