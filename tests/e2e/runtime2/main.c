/* runtime2/main.c: Slice, Pad, Resize, CenterCropPad and DFT built for the
 * shapes their models declare, run with the values that decide those shapes
 * given at run time. The expected outputs (or status <NAME>_EVALUE when the
 * values give another shape, or none) come from the ONNX semantics written
 * out here, independently of mlgen. Run under ASan/UBSan: no access out of
 * bounds, no overflow, whatever the values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cc.h"
#include "ci.h"
#include "df.h"
#include "pc.h"
#include "pr.h"
#include "rl.h"
#include "rn.h"
#include "sl.h"
#include "st.h"

static int fails;
#define EXPECT(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); fails++; } } while (0)

static _Alignas(16) unsigned char arena[4096];

static int close_to(const float *a, const float *b, int n) {
  for (int i = 0; i < n; i++)
    if (!(fabsf(a[i] - b[i]) <= 1e-4f * (1 + fabsf(b[i])))) return 0;
  return 1;
}

/* ------------------------------------------------------------------ Slice */
/* ONNX Slice of one axis: the positions taken (at most 8), or -1 when invalid */
static int slice_axis(int64_t dim, int64_t s, int64_t e, int64_t step, int64_t *pos) {
  if (step == 0) return -1;
  if (s < 0) s += dim;
  if (e < 0) e += dim;
  int64_t n;
  if (step > 0) {
    s = s < 0 ? 0 : s > dim ? dim : s;
    e = e < 0 ? 0 : e > dim ? dim : e;
    n = s >= e ? 0 : (e - s - 1) / step + 1;
  } else {
    s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
    e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
    int64_t m = step == INT64_MIN ? INT64_MAX : -step;
    n = s <= e ? 0 : (s - e - 1) / m + 1;
  }
  if (n > 8) return 9;
  for (int64_t k = 0; k < n; k++) pos[k] = step > 0 ? s + k * step : s - k * (step == INT64_MIN ? INT64_MAX : -step);
  return (int)n;
}

static void test_slice(const float *x) {
  static const struct { int64_t s[2], e[2], a[2], p[2]; } c[] = {
      {{1, 0}, {3, 6}, {0, 1}, {1, 2}},
      {{0, 1}, {6, 3}, {1, 0}, {2, 1}},
      {{3, 5}, {1, -7}, {0, 1}, {-1, -2}},
      {{-3, -100}, {100, 100}, {-2, -1}, {2, 2}},
      {{2, 0}, {INT64_MAX, INT64_MAX}, {0, 1}, {1, 2}},
      {{0, 0}, {4, 6}, {0, 1}, {2, 2}},
      {{0, 4}, {4, -100}, {-2, 1}, {2, -2}},
      {{1, 0}, {2, 6}, {0, 1}, {1, 2}},                  /* 1 row */
      {{0, 0}, {4, 6}, {0, 1}, {INT64_MAX, 2}},          /* 1 row */
      {{0, 0}, {4, 6}, {0, 1}, {2, INT64_MAX}},          /* 1 column */
      {{0, 0}, {4, 6}, {0, 1}, {0, 2}},                  /* step 0 */
      {{0, 0}, {2, 3}, {1, 1}, {1, 1}},                  /* axis repeated */
      {{0, 0}, {2, 3}, {0, 2}, {1, 1}},                  /* axis out of range */
      {{0, 0}, {2, 3}, {0, -3}, {1, 1}},                 /* axis out of range */
      {{INT64_MIN, 0}, {INT64_MAX, 6}, {0, 1}, {INT64_MIN, 2}},
      {{INT64_MAX, 0}, {INT64_MIN, 6}, {0, 1}, {INT64_MIN, 2}},
  };
  for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
    int64_t pos[2][9] = {{0}}, cnt[2] = {1, 1};
    int valid = 1;
    int64_t axn[2];
    for (int i = 0; i < 2; i++) {
      axn[i] = c[k].a[i] < 0 ? c[k].a[i] + 2 : c[k].a[i];
      if (axn[i] < 0 || axn[i] > 1) valid = 0;
    }
    if (valid && axn[0] == axn[1]) valid = 0;
    for (int i = 0; valid && i < 2; i++) {
      int64_t dim = axn[i] ? 6 : 4;
      int n = slice_axis(dim, c[k].s[i], c[k].e[i], c[k].p[i], pos[axn[i]]);
      if (n < 0) valid = 0;
      cnt[axn[i]] = n;
    }
    valid = valid && cnt[0] == 2 && cnt[1] == 3;
    float y[6], want[6];
    memset(y, 0, sizeof y);
    int st = sl_run(x, c[k].s, c[k].e, c[k].a, c[k].p, y, arena);
    if (!valid) {
      EXPECT(st == SL_EVALUE, "slice %zu: status %d, want %d", k, st, SL_EVALUE);
      continue;
    }
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++) want[i * 3 + j] = x[pos[0][i] * 6 + pos[1][j]];
    EXPECT(st == 0 && close_to(y, want, 6), "slice %zu: status %d or wrong values", k, st);
  }
}

/* -------------------------------------------------------------------- Pad */
static int64_t reflect(int64_t p, int64_t n) { /* numpy's reflect, one fold at a time */
  if (n == 1) return 0;
  while (p < 0 || p >= n) p = p < 0 ? -p : 2 * (n - 1) - p;
  return p;
}

/* ONNX Pad of a rows x cols input to R x C: crop the negative pads, then pad
 * the positive ones (constant: v; else reflect); 0 when the pads do not give
 * R x C (or ask for a reflection of nothing) */
static int pad_ref(const float *x, int rows, int cols, const int64_t *p, int refl, float v, int R, int C, float *y) {
  int64_t dim[2] = {rows, cols}, out[2] = {R, C}, lo[2] = {p[0], p[1]}, hi[2] = {p[2], p[3]};
  for (int i = 0; i < 2; i++) {
    if (lo[i] < -dim[i] || hi[i] < -dim[i] || lo[i] > out[i] || hi[i] > out[i]) return 0; /* no overflow below */
    if (dim[i] + lo[i] + hi[i] != out[i]) return 0;
    int64_t dc = dim[i] + (lo[i] < 0 ? lo[i] : 0) + (hi[i] < 0 ? hi[i] : 0);
    if (dc < 0 || (refl && dc == 0 && out[i] > 0)) return 0;
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) {
      int64_t q[2] = {r, c}, src[2];
      int inside = 1;
      for (int i = 0; i < 2; i++) {
        int64_t cl = lo[i] < 0 ? -lo[i] : 0, ch = hi[i] < 0 ? -hi[i] : 0, dc = dim[i] - cl - ch;
        int64_t t = q[i] - (lo[i] > 0 ? lo[i] : 0); /* in the cropped axis */
        if (refl) t = reflect(t, dc);
        else if (t < 0 || t >= dc) inside = 0;
        src[i] = t + cl;
      }
      y[r * C + c] = inside ? x[src[0] * cols + src[1]] : v;
    }
  return 1;
}

static void test_pad(const float *x) {
  static const int64_t pc_case[][4] = {{1, 1, 0, 1}, {0, 0, 1, 2}, {-1, -1, 2, 3}, {2, 4, -1, -2}, {3, 0, -2, 2},
                                       {1, 1, 1, 1}, {4, 0, -3, 2}, {0, 0, 0, 0},  {INT64_MAX, 0, INT64_MIN, 2},
                                       {INT64_MIN, 1, INT64_MAX, 1}, {1, -4, 0, 6}};
  for (size_t k = 0; k < sizeof pc_case / sizeof pc_case[0]; k++) {
    float y[15], want[15], v = 9.5f - (float)k;
    memset(y, 0, sizeof y);
    int ok = pad_ref(x, 2, 3, pc_case[k], 0, v, 3, 5, want);
    int st = pc_run(x, pc_case[k], &v, y, arena);
    if (!ok) EXPECT(st == PC_EVALUE, "pad constant %zu: status %d, want %d", k, st, PC_EVALUE);
    else EXPECT(st == 0 && close_to(y, want, 15), "pad constant %zu: status %d or wrong values", k, st);
  }
  static const int64_t pr_case[][4] = {{2, 3, 2, 2}, {1, 1, 3, 4}, {4, 5, 0, 0}, {0, 0, 4, 5}, {5, 3, -1, 2},
                                       {3, 2, 1, 3}, {2, 2, 2, 2}, {-3, 0, 7, 5}, {INT64_MIN, 0, INT64_MAX, 5},
                                       {7, 9, -3, -4}, {9, 0, -5, 5}};
  for (size_t k = 0; k < sizeof pr_case / sizeof pr_case[0]; k++) {
    float y[63], want[63];
    memset(y, 0, sizeof y);
    int ok = pad_ref(x, 3, 4, pr_case[k], 1, 0, 7, 9, want);
    int st = pr_run(x, pr_case[k], y, arena);
    if (!ok) EXPECT(st == PR_EVALUE, "pad reflect %zu: status %d, want %d", k, st, PR_EVALUE);
    else EXPECT(st == 0 && close_to(y, want, 63), "pad reflect %zu: status %d or wrong values", k, st);
  }
}

/* ----------------------------------------------------------------- Resize */
/* linear, half_pixel, one axis: out[o] taps of in (clamped coordinate) */
static void lin_taps(int64_t in, double s, int64_t o, int64_t *i0, int64_t *i1, double *w) {
  double xo = ((double)o + 0.5) / s - 0.5;
  xo = xo < 0 ? 0 : xo > (double)(in - 1) ? (double)(in - 1) : xo;
  *i0 = (int64_t)floor(xo);
  *i1 = *i0 + 1 < in ? *i0 + 1 : in - 1;
  *w = xo - (double)*i0;
}

static void test_resize(const float *x) {
  /* linear, scales at run time: [1,1,2,4] -> declared [1,1,1,2] */
  static const float good[][4] = {{1, 1, 0.6f, 0.6f}, {1.5f, 1.9f, 0.6f, 0.6f}, {1, 1, 0.6f, 0.74f}, {1, 1, 0.9f, 0.5f}};
  static const float bad[][4] = {{1, 1, 1, 1}, {1, 1, 0.4f, 0.6f}, {1, 1, 0.6f, 0.75f}, {0, 1, 0.6f, 0.6f},
                                 {1, -1, 0.6f, 0.6f}, {2, 1, 0.6f, 0.6f}, {1, 1, 0.6f, 1e30f}};
  float xr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
    float y[2] = {0}, want[2];
    int64_t r0, r1, c0, c1;
    double wr, wc;
    lin_taps(2, good[k][2], 0, &r0, &r1, &wr);
    for (int o = 0; o < 2; o++) {
      lin_taps(4, good[k][3], o, &c0, &c1, &wc);
      double a = xr[r0 * 4 + c0] * (1 - wc) + xr[r0 * 4 + c1] * wc, b = xr[r1 * 4 + c0] * (1 - wc) + xr[r1 * 4 + c1] * wc;
      want[o] = (float)(a * (1 - wr) + b * wr);
    }
    int st = rl_run(xr, good[k], y, arena);
    EXPECT(st == 0 && close_to(y, want, 2), "resize linear %zu: status %d, %g %g, want %g %g", k, st, y[0], y[1],
           want[0], want[1]);
  }
  if (fails == 0) { /* the ONNX example's values */
    float y[2];
    EXPECT(rl_run(xr, good[0], y, arena) == 0 && fabsf(y[0] - 2.6666665f) < 1e-5f && fabsf(y[1] - 4.3333331f) < 1e-5f,
           "resize linear: the ONNX example gives %g %g", y[0], y[1]);
  }
  float nan4[4] = {1, 1, NAN, 0.6f}, inf4[4] = {1, 1, 0.6f, INFINITY};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0] + 2; k++) {
    float y[2];
    const float *s = k < sizeof bad / sizeof bad[0] ? bad[k] : k == sizeof bad / sizeof bad[0] ? nan4 : inf4;
    int st = rl_run(xr, s, y, arena);
    EXPECT(st == RL_EVALUE, "resize linear bad %zu: status %d, want %d", k, st, RL_EVALUE);
  }
  /* nearest (round_prefer_floor, half_pixel), sizes at run time on axes 2, 3: [2,3] -> declared [3,7] */
  int64_t zs[2] = {3, 7};
  float y[21], want[21];
  for (int o = 0; o < 3; o++)
    for (int p = 0; p < 7; p++) {
      int64_t idx[2];
      double sc[2] = {3.0 / 2, 7.0 / 3};
      int64_t in[2] = {2, 3}, oo[2] = {o, p};
      for (int i = 0; i < 2; i++) {
        double xo = ((double)oo[i] + 0.5) / sc[i] - 0.5, f = floor(xo);
        int64_t t = xo - f == 0.5 ? (int64_t)f : (int64_t)floor(xo + 0.5);
        idx[i] = t < 0 ? 0 : t >= in[i] ? in[i] - 1 : t;
      }
      want[o * 7 + p] = x[idx[0] * 3 + idx[1]];
    }
  int st = rn_run(x, zs, y, arena);
  EXPECT(st == 0 && close_to(y, want, 21), "resize nearest: status %d or wrong values", st);
  static const int64_t zbad[][2] = {{3, 6}, {2, 7}, {-3, 7}, {INT64_MAX, 7}, {3, INT64_MIN}};
  for (size_t k = 0; k < 5; k++) {
    st = rn_run(x, zbad[k], y, arena);
    EXPECT(st == RN_EVALUE, "resize nearest bad %zu: status %d, want %d", k, st, RN_EVALUE);
  }
}

/* ---------------------------------------------------- CenterCropPad, DFT */
static void test_ccp_dft(const float *x) {
  /* [5,4] -> declared [3,6]: rows 1..3, columns padded 1 left, 1 right */
  int64_t s[2] = {3, 6};
  float y[18], want[18];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 6; c++) want[r * 6 + c] = c >= 1 && c <= 4 ? x[(r + 1) * 4 + (c - 1)] : 0;
  int st = cc_run(x, s, y, arena);
  EXPECT(st == 0 && close_to(y, want, 18), "center crop pad: status %d or wrong values", st);
  static const int64_t sbad[][2] = {{3, 5}, {5, 4}, {-1, 6}, {INT64_MIN, INT64_MAX}};
  for (size_t k = 0; k < 4; k++) {
    st = cc_run(x, sbad[k], y, arena);
    EXPECT(st == CC_EVALUE, "center crop pad bad %zu: status %d, want %d", k, st, CC_EVALUE);
  }
  /* DFT of a real [3,4,1] along axis 0 or 1 (both give [3,4,2]) */
  static const int64_t ax_ok[] = {0, 1, -2, -3}, ax_bad[] = {2, -1, 3, -4, INT64_MIN, INT64_MAX};
  for (size_t k = 0; k < 4; k++) {
    int64_t a = ax_ok[k], ax = a < 0 ? a + 3 : a, n = ax ? 4 : 3;
    float d[24];
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 4; j++) {
        double re = 0, im = 0;
        int64_t kk = ax ? j : i;
        for (int64_t t = 0; t < n; t++) {
          double v = x[(ax ? i : t) * 4 + (ax ? t : j)], ang = -2 * 3.14159265358979323846 * (double)(t * kk) / (double)n;
          re += v * cos(ang);
          im += v * sin(ang);
        }
        d[(i * 4 + j) * 2] = (float)re;
        d[(i * 4 + j) * 2 + 1] = (float)im;
      }
    float r[24];
    st = df_run(x, &a, r, arena);
    EXPECT(st == 0 && close_to(r, d, 24), "dft axis %lld: status %d or wrong values", (long long)a, st);
  }
  for (size_t k = 0; k < sizeof ax_bad / sizeof ax_bad[0]; k++) {
    float r[24];
    st = df_run(x, &ax_bad[k], r, arena);
    EXPECT(st == DF_EVALUE, "dft axis %lld: status %d, want %d", (long long)ax_bad[k], st, DF_EVALUE);
  }
}

/* ---------------------------------------------------------- Col2Im, STFT */
static void test_col2im_stft(const float *x) {
  /* [1, 4, 4] columns into a 4x4 image: blocks 1x4 and 4x1 both give 4 columns */
  static const int64_t blk_ok[][2] = {{1, 4}, {4, 1}}, blk_bad[][2] = {{2, 2}, {4, 4}, {-1, -4}, {INT64_MIN, 1}, {2, 0}};
  int64_t img[2] = {4, 4}, img_bad[2] = {4, 5};
  for (size_t k = 0; k < 2; k++) {
    int64_t bh = blk_ok[k][0], bw = blk_ok[k][1], nbh = 4 - bh + 1, nbw = 4 - bw + 1;
    float want[16] = {0}, y[16];
    for (int64_t li = 0; li < nbh; li++)
      for (int64_t lj = 0; lj < nbw; lj++)
        for (int64_t bi = 0; bi < bh; bi++)
          for (int64_t bj = 0; bj < bw; bj++) want[(li + bi) * 4 + lj + bj] += x[(bi * bw + bj) * 4 + li * nbw + lj];
    int st = ci_run(x, img, blk_ok[k], y, arena);
    EXPECT(st == 0 && close_to(y, want, 16), "col2im block %lldx%lld: status %d or wrong values", (long long)bh,
           (long long)bw, st);
  }
  for (size_t k = 0; k < 5; k++) {
    float y[16];
    int st = ci_run(x, img, blk_bad[k], y, arena);
    EXPECT(st == CI_EVALUE, "col2im bad block %zu: status %d, want %d", k, st, CI_EVALUE);
  }
  float y16[16];
  EXPECT(ci_run(x, img_bad, blk_ok[0], y16, arena) == CI_EVALUE, "col2im: a wrong image_shape ran");
  /* STFT of 16 real samples, onesided, declared [1, 4 frames, 3 bins, 2]: (frame_length, frame_step) = (4, 4) or (5, 3) */
  static const int64_t ok[][2] = {{4, 4}, {5, 3}}, bad[][2] = {{4, 3}, {6, 3}, {5, 0}, {5, -1}, {INT64_MAX, 3}, {4, INT64_MAX},
                                                            {3, 4}, {INT64_MIN, INT64_MIN}};
  for (size_t k = 0; k < 2; k++) {
    int64_t fl = ok[k][0], step = ok[k][1];
    float want[24], y[24];
    for (int64_t f = 0; f < 4; f++)
      for (int64_t b = 0; b < 3; b++) {
        double re = 0, im = 0;
        for (int64_t j = 0; j < fl; j++) {
          double v = x[f * step + j], ang = -2 * 3.14159265358979323846 * (double)(j * b) / (double)fl;
          re += v * cos(ang);
          im += v * sin(ang);
        }
        want[(f * 3 + b) * 2] = (float)re;
        want[(f * 3 + b) * 2 + 1] = (float)im;
      }
    int st = st_run(x, &step, &fl, y, arena);
    EXPECT(st == 0 && close_to(y, want, 24), "stft length %lld step %lld: status %d or wrong values", (long long)fl,
           (long long)step, st);
  }
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    float y[24];
    int st = st_run(x, &bad[k][1], &bad[k][0], y, arena);
    EXPECT(st == ST_EVALUE, "stft bad %zu: status %d, want %d", k, st, ST_EVALUE);
  }
}

int main(void) {
  float x[24];
  for (int i = 0; i < 24; i++) x[i] = (float)((i * 7) % 11) - 3.5f;
  EXPECT(SL_ARENA_SIZE <= sizeof arena && PC_ARENA_SIZE <= sizeof arena && PR_ARENA_SIZE <= sizeof arena &&
             RL_ARENA_SIZE <= sizeof arena && RN_ARENA_SIZE <= sizeof arena && CC_ARENA_SIZE <= sizeof arena &&
             DF_ARENA_SIZE <= sizeof arena && CI_ARENA_SIZE <= sizeof arena && ST_ARENA_SIZE <= sizeof arena,
         "arena");
  test_slice(x);
  test_pad(x);
  test_resize(x);
  test_ccp_dft(x);
  test_col2im_stft(x);
  printf("%s\n", fails ? "FAILED" : "runtime values: ok");
  return fails != 0;
}
