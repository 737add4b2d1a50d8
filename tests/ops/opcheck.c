/* opcheck.c: per-op tests of the C target against the reference interpreter.
 *
 *   opcheck [--cc gcc,clang] [--cflags FLAGS] [--runner CMD] [--every K] [--case NAME] [--keep]
 *           [--target T] [--rewrite R,...] [--tuning FILE] MLGEN FILE.cases...
 *
 * --target vulkan (tests/gpu) runs `mlgen run --target vulkan` in place of
 * the C target, with the same cases and tolerances. --rewrite passes
 * `--rewrite R,...` to mlgen: the schedule rewrites forced on every loop
 * they fit (tests of the rewrites themselves); --tuning passes
 * `--tuning FILE` (schedule choices, e.g. other register tiles everywhere).
 *
 * A .cases file holds one op family: many small YAML models, each introduced
 * by a line `=== NAME` and optionally followed by directives:
 *   @gen IN LO HI [nonzero]        value range of input IN (default: floats
 *                                  in [-2,2], signed ints in [-20,20],
 *                                  unsigned in [0,40], bool 0/1; str: the
 *                                  words vocab[LO..HI] below, default all)
 *   @weight NAME DTYPE AxBxC LO HI  writes NAME.npy beside the model, for
 *                                  `{file: NAME.npy}` initializers
 * Everything else up to the next `===` is the model. For every case the
 * harness writes the model and pseudo-random inputs (seeded by the case name,
 * so reruns are identical) into a fresh temporary folder, runs
 *   mlgen run model.yaml --target interp   (the oracle)
 *   mlgen run model.yaml --target c        (once per compiler in --cc)
 * with MLGEN_CFLAGS="-O2 -Wall -Wextra -Wpedantic -Werror" (the CLI adds
 * -std=c99), so a warning in generated code fails the case, and compares
 * every output: floats within 1e-4 + 1e-4*|interp|, integers, bools and
 * strings exactly. A failure names the case, the output and its worst element.
 *
 * Exit: 0 all passed; 1 a case failed; 77 everything ran passed but a
 * compiler in --cc is missing (that half was skipped); 2 bad usage.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend.h"

#define ATOL 1e-4
#define RTOL 1e-4

static const char *mlgen;
static const char *runner = "";
static char cflags[512] = "-O2 -Wall -Wextra -Wpedantic -Werror";
static const char *target = "c"; /* --target: c, or vulkan (tests/gpu) */
static bool keep;
static const char *rewrite; /* --rewrite: schedule rewrites forced on the c/vulkan runs */
static const char *tuning;  /* --tuning: a tuning file for the runs */
/* --refuse-ok TEXT: a target run that exits 1 with every error line holding
 * TEXT (a refusal the target documents, e.g. WebGPU's "no 64-bit types") is
 * counted as refused, not failed; any other error still fails */
static const char *refuse_ok;
static int nrefused;

/* ------------------------------------------------------------ utilities */
static uint64_t rng_state;
static uint64_t rng_next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double rng_unit(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }
static uint64_t fnv(const char *s, uint64_t h) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
  (void)st, (void)flag, (void)f;
  return remove(p);
}
static void rm_tree(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  for (size_t r; s && (r = fread(s + n, 1, cap - n - 1, f)) > 0;) {
    n += r;
    if (n + 1 == cap) s = realloc(s, cap *= 2);
  }
  fclose(f);
  if (s) s[n] = 0;
  if (len) *len = n;
  return s;
}

/* prints a message, returns 1 (a failed case) */
static int err1(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  return 1;
}

/* ----------------------------------------------------------------- .npy */
/* Only what the tests need: little-endian C-order arrays of these dtypes;
 * strings as numpy's '<U<width>' (UTF-32LE code points, NUL-padded). */
static const struct {
  const char *descr, *name;
  int size;
} npy_types[] = {
    {"<f4", "f32", 4}, {"<f8", "f64", 8}, {"<f2", "f16", 2}, {"|i1", "i8", 1},  {"<i2", "i16", 2},
    {"<i4", "i32", 4}, {"<i8", "i64", 8}, {"|u1", "u8", 1},  {"<u2", "u16", 2}, {"<u4", "u32", 4},
    {"<u8", "u64", 8}, {"|b1", "bool", 1}, {"<U", "str", 4},
};
enum { NT_F32, NT_F64, NT_F16, NT_I8, NT_I16, NT_I32, NT_I64, NT_U8, NT_U16, NT_U32, NT_U64, NT_BOOL, NT_STR, NT_N };

typedef struct {
  int t, rank;
  int64_t dims[MAX_RANK], n;
  int width; /* NT_STR: code points per element */
  unsigned char *data;
} Arr;

/* bytes per element */
static size_t esize(const Arr *a) { return (size_t)npy_types[a->t].size * (size_t)(a->t == NT_STR ? a->width : 1); }

/* Words for string inputs: what C string literals and the driver must carry
 * (a quote, a backslash before a digit, the empty string, UTF-8). */
#define VOCAB_W 4
static const uint32_t vocab[][VOCAB_W] = {{'a'},      {'b'},         {0},    {'a', 'b'},
                                          {'"', 'q'}, {'\\', '0'}, {0xe9}, {0x65e5, 0x672c}};
#define NVOCAB (int)(sizeof vocab / sizeof vocab[0])

/* string element i as code points, zero-padded to `to` */
static void str_get(const Arr *a, int64_t i, uint32_t *out, int to) {
  for (int k = 0; k < to; k++) {
    const unsigned char *p = a->data + i * esize(a) + 4 * (k < a->width ? k : 0);
    out[k] = k < a->width ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
  }
}

static int nt_from_name(const char *s) {
  for (int i = 0; i < NT_N; i++)
    if (!strcmp(npy_types[i].name, s)) return i;
  return -1;
}
static bool nt_float(int t) { return t <= NT_F16; }

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
  return h & 0x8000 ? -v : v;
}
static uint16_t double_to_half(double v) { /* round to nearest even; inputs are modest */
  uint16_t s = v < 0 ? 0x8000 : 0;
  v = fabs(v);
  if (v < ldexp(1, -24) / 2) return s;
  int e;
  frexp(v, &e);          /* v in [2^(e-1), 2^e) */
  int q = e - 1 < -14 ? -24 : e - 11; /* quantum */
  double m = nearbyint(ldexp(v, -q)); /* default rounding: nearest even */
  if (q == -24) return (uint16_t)(s | (uint16_t)m);
  if (m == 2048) m = 1024, q++;
  int be = q + 25;
  if (be >= 31) return s | 0x7c00;
  return (uint16_t)(s | be << 10 | ((int)m - 1024));
}

static double arr_get(const Arr *a, int64_t i) {
  const unsigned char *p = a->data + i * esize(a);
  switch (a->t) {
  case NT_F32: { float v; memcpy(&v, p, 4); return v; }
  case NT_F64: { double v; memcpy(&v, p, 8); return v; }
  case NT_F16: { uint16_t v; memcpy(&v, p, 2); return half_to_double(v); }
  case NT_I8: return (int8_t)*p;
  case NT_I16: { int16_t v; memcpy(&v, p, 2); return v; }
  case NT_I32: { int32_t v; memcpy(&v, p, 4); return v; }
  case NT_I64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
  case NT_U8: case NT_BOOL: return *p;
  case NT_U16: { uint16_t v; memcpy(&v, p, 2); return v; }
  case NT_U32: { uint32_t v; memcpy(&v, p, 4); return v; }
  default: { uint64_t v; memcpy(&v, p, 8); return (double)v; }
  }
}
/* exact integer read, for int64/uint64 comparisons */
static int64_t arr_geti(const Arr *a, int64_t i) {
  const unsigned char *p = a->data + i * esize(a);
  if (a->t == NT_I64 || a->t == NT_U64) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
  }
  return (int64_t)arr_get(a, i);
}
static void arr_set(Arr *a, int64_t i, double v) {
  unsigned char *p = a->data + i * esize(a);
  switch (a->t) {
  case NT_F32: { float x = (float)v; memcpy(p, &x, 4); break; }
  case NT_F64: memcpy(p, &v, 8); break;
  case NT_F16: { uint16_t x = double_to_half(v); memcpy(p, &x, 2); break; }
  /* through int64: a double outside the target type's range is UB in C */
  case NT_I8: case NT_U8: case NT_BOOL: *p = (unsigned char)(int64_t)v; break;
  case NT_I16: case NT_U16: { uint16_t x = (uint16_t)(int64_t)v; memcpy(p, &x, 2); break; }
  case NT_I32: case NT_U32: { uint32_t x = (uint32_t)(int64_t)v; memcpy(p, &x, 4); break; }
  default: { int64_t x = (int64_t)v; memcpy(p, &x, 8); break; }
  }
}

static int npy_save(const char *path, const Arr *a) {
  char hdr[256], shape[160] = "";
  size_t k = 0;
  for (int i = 0; i < a->rank; i++)
    k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld%s", (long long)a->dims[i],
                          a->rank == 1 ? "," : i + 1 < a->rank ? ", " : "");
  char descr[16];
  snprintf(descr, sizeof descr, "%s", npy_types[a->t].descr);
  if (a->t == NT_STR) snprintf(descr, sizeof descr, "<U%d", a->width);
  int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape);
  int total = (10 + n + 1 + 63) / 64 * 64;
  while (10 + n + 1 < total) hdr[n++] = ' ';
  hdr[n++] = '\n';
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 255), (unsigned char)(n >> 8)};
  size_t bytes = (size_t)a->n * esize(a);
  bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n &&
            (!bytes || fwrite(a->data, 1, bytes, f) == bytes);
  return fclose(f) || !ok ? -1 : 0;
}

/* Reads what mlgen run writes; the message goes to err on failure. */
static int npy_load(const char *path, Arr *a, char *err, size_t elen) {
  size_t len;
  char *s = slurp(path, &len);
  memset(a, 0, sizeof *a);
  if (!s) return snprintf(err, elen, "cannot read %s", path), -1;
  if (len < 10 || memcmp(s, "\x93NUMPY", 6)) {
    free(s);
    return snprintf(err, elen, "%s: not a .npy", path), -1;
  }
  size_t hl = s[6] == 1 ? (size_t)(unsigned char)s[8] | (size_t)(unsigned char)s[9] << 8
                        : (size_t)(unsigned char)s[8] | (size_t)(unsigned char)s[9] << 8 |
                              (size_t)(unsigned char)s[10] << 16 | (size_t)(unsigned char)s[11] << 24;
  size_t off = (s[6] == 1 ? 10 : 12) + hl;
  size_t hs = s[6] == 1 ? 10 : 12; /* the header dict, as a C string */
  char *hdr = off <= len ? strndup(s + hs, hl) : NULL;
  char *d = hdr ? strstr(hdr, "'descr': '") : NULL, *sh = hdr ? strstr(hdr, "'shape': (") : NULL;
  a->t = -1;
  for (int i = 0; d && i < NT_N; i++)
    if (!strncmp(d + 10, npy_types[i].descr, 3)) a->t = i;
  if (d && !strncmp(d + 10, "<U", 2) && (a->width = atoi(d + 12)) > 0) a->t = NT_STR;
  if (a->t < 0 || !sh || off > len) {
    free(s), free(hdr);
    return snprintf(err, elen, "%s: unsupported .npy header", path), -1;
  }
  a->n = 1;
  for (char *p = sh + 10; *p != ')' && a->rank < MAX_RANK;) {
    char *e;
    long long v = strtoll(p, &e, 10);
    if (e == p) break;
    a->dims[a->rank++] = v;
    a->n *= v;
    p = e;
    while (*p == ',' || *p == ' ') p++;
  }
  free(hdr);
  size_t bytes = (size_t)a->n * esize(a);
  if (off + bytes != len) {
    free(s);
    return snprintf(err, elen, "%s: data size %zu, shape needs %zu", path, len - off, bytes), -1;
  }
  a->data = malloc(bytes + 1);
  memcpy(a->data, s + off, bytes);
  free(s);
  return 0;
}

/* --------------------------------------------------------------- cases */
typedef struct {
  char name[64];
  double lo, hi;
  bool nonzero;
} Gen;

typedef struct {
  char name[96];
  int line; /* in the .cases file */
  Buf yaml;
  Gen gens[16];
  int ngen;
  char weights[8][256]; /* "NAME DTYPE DIMS LO HI" */
  int nweight;
} Case;

static const char *fmt_index(const Arr *a, int64_t flat, char *buf, size_t n) {
  int64_t idx[MAX_RANK];
  for (int i = a->rank - 1; i >= 0; i--) {
    idx[i] = a->dims[i] ? flat % a->dims[i] : 0;
    flat = a->dims[i] ? flat / a->dims[i] : 0;
  }
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < a->rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)idx[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
  return buf;
}

static const char *fmt_shape(const Arr *a, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s [", npy_types[a->t].name);
  for (int i = 0; i < a->rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)a->dims[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
  return buf;
}

/* Fills a with pseudo-random values for input `name` of case c. */
static void fill(const Case *c, const char *name, Arr *a) {
  double lo = -2, hi = 2;
  bool nonzero = false, isint = !nt_float(a->t);
  if (a->t == NT_BOOL) lo = 0, hi = 1;
  else if (a->t == NT_STR) lo = 0, hi = NVOCAB - 1;
  else if (a->t >= NT_U8) lo = 0, hi = 40;
  else if (isint) lo = -20, hi = 20;
  for (int i = 0; i < c->ngen; i++)
    if (!strcmp(c->gens[i].name, name)) lo = c->gens[i].lo, hi = c->gens[i].hi, nonzero = c->gens[i].nonzero;
  rng_state = fnv(name, fnv(c->name, 0xcbf29ce484222325ull));
  for (int64_t i = 0; a->t == NT_STR && i < a->n; i++) {
    int w = (int)lo + (int)(rng_unit() * (hi - lo + 1));
    w = w < 0 ? 0 : w >= NVOCAB ? NVOCAB - 1 : w;
    for (int k = 0; k < VOCAB_W; k++)
      for (int b = 0; b < 4; b++) a->data[i * esize(a) + 4 * k + b] = (unsigned char)(vocab[w][k] >> (8 * b));
  }
  for (int64_t i = 0; a->t != NT_STR && i < a->n; i++) {
    double v;
    do {
      v = isint ? floor(lo + rng_unit() * (hi - lo + 1)) : lo + rng_unit() * (hi - lo);
      if (v > hi) v = hi;
    } while (nonzero && v == 0);
    arr_set(a, i, v);
  }
}

static int parse_dims(const char *s, Arr *a) {
  a->rank = 0;
  a->n = 1;
  if (!strcmp(s, "scalar")) return 0;
  while (*s && a->rank < MAX_RANK) {
    char *e;
    long long v = strtoll(s, &e, 10);
    if (e == s) return -1;
    a->dims[a->rank++] = v;
    a->n *= v;
    s = *e == 'x' ? e + 1 : e;
  }
  return 0;
}

/* Runs argv with MLGEN_* set; stdout and stderr go to `log`. Returns the exit
 * status, or -1 when it did not exit normally. */
static int spawn(char **argv, const char *cc, const char *log) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (cc) {
      setenv("MLGEN_CC", cc, 1);
      setenv("MLGEN_CFLAGS", cflags, 1);
      if (*runner) setenv("MLGEN_RUNNER", runner, 1);
    }
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* every "error:" line of the log holds refuse_ok (and there is one) */
static bool only_refusals(const char *log) {
  char *s = slurp(log, NULL);
  if (!s) return false;
  int n = 0;
  bool ok = true;
  for (char *p = s; (p = strstr(p, "error: ")); p++, n++) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = 0;
    ok &= strstr(p, refuse_ok) != NULL;
    if (nl) *nl = '\n';
  }
  free(s);
  return ok && n > 0;
}

static void show_log(const char *log) {
  char *s = slurp(log, NULL);
  if (!s) return;
  /* indent, and keep it short */
  int lines = 0;
  for (char *p = s, *nl; *p && lines < 30; p = nl + 1, lines++) {
    nl = strchr(p, '\n');
    if (!nl) nl = p + strlen(p) - 1;
    fprintf(stderr, "    | %.*s\n", (int)(nl - p), p);
    if (!nl[1]) break;
  }
  free(s);
}

/* Compares one output; prints the failure. Returns 0 when they agree. */
static int compare(const Case *c, const char *what, int k, const char *oname, const Arr *got, const Arr *want) {
  char b1[128], b2[128];
  if (got->t != want->t || got->rank != want->rank || memcmp(got->dims, want->dims, sizeof(int64_t) * (size_t)got->rank)) {
    fprintf(stderr, "FAIL %s: output %d (%s): %s gives %s, interp gives %s\n", c->name, k, oname, what,
            fmt_shape(got, b1, sizeof b1), fmt_shape(want, b2, sizeof b2));
    return 1;
  }
  int64_t bad = 0, worst = -1;
  double worst_x = 0;
  bool isf = nt_float(want->t);
  if (want->t == NT_STR) { /* widths may differ: compare the code points, padding aside */
    int w = got->width > want->width ? got->width : want->width;
    uint32_t *x = calloc((size_t)w * 2 + 2, sizeof *x);
    for (int64_t i = 0; x && i < want->n; i++) {
      str_get(got, i, x, w), str_get(want, i, x + w, w);
      if (memcmp(x, x + w, sizeof *x * (size_t)w) && !bad++) worst = i;
    }
    free(x);
    if (!bad) return 0;
    fprintf(stderr, "FAIL %s: output %d (%s) %s: %s differs from interp in %lld of %lld strings; first at %s\n",
            c->name, k, oname, fmt_shape(want, b1, sizeof b1), what, (long long)bad, (long long)want->n,
            fmt_index(want, worst, b2, sizeof b2));
    return 1;
  }
  for (int64_t i = 0; i < want->n; i++) {
    double g = arr_get(got, i), w = arr_get(want, i), x;
    if (isf) {
      if (isnan(w) || isnan(g)) x = isnan(w) && isnan(g) ? 0 : INFINITY;
      else if (isinf(w) || isinf(g)) x = g == w ? 0 : INFINITY;
      else x = fabs(g - w) / (ATOL + RTOL * fabs(w));
      if (x <= 1) continue;
    } else {
      if (arr_geti(got, i) == arr_geti(want, i)) continue;
      x = fabs(g - w) + 1;
    }
    bad++;
    if (worst < 0 || x > worst_x) worst = i, worst_x = x;
  }
  if (!bad) return 0;
  double g = arr_get(got, worst), w = arr_get(want, worst);
  if (!isf) {
    fprintf(stderr, "FAIL %s: output %d (%s) %s: %s differs from interp in %lld of %lld elements; worst at %s: "
            "%s=%lld interp=%lld\n", c->name, k, oname, fmt_shape(want, b1, sizeof b1), what, (long long)bad,
            (long long)want->n, fmt_index(want, worst, b2, sizeof b2), what, (long long)arr_geti(got, worst),
            (long long)arr_geti(want, worst));
    return 1;
  }
  fprintf(stderr,
          "FAIL %s: output %d (%s) %s: %s differs from interp in %lld of %lld elements; worst at %s: %s=%.9g "
          "interp=%.9g |diff|=%.3g (tolerance %.3g)\n",
          c->name, k, oname, fmt_shape(want, b1, sizeof b1), what, (long long)bad, (long long)want->n,
          fmt_index(want, worst, b2, sizeof b2), what, g, w, fabs(g - w), isf ? ATOL + RTOL * fabs(w) : 0.0);
  return 1;
}

/* Runs one case. Returns 0 pass, 1 fail. */
static int run_case(const Case *c, char **ccs, int ncc, const char *tmproot) {
  char dir[512], path[1024], log[1024];
  snprintf(dir, sizeof dir, "%s/opcheck-XXXXXX", tmproot);
  if (!mkdtemp(dir)) return fprintf(stderr, "FAIL %s: mkdtemp: %s\n", c->name, strerror(errno)), 1;
  snprintf(log, sizeof log, "%s/log.txt", dir);
  snprintf(path, sizeof path, "%s/model.yaml", dir);
  FILE *f = fopen(path, "w");
  if (!f || fwrite(c->yaml.s, 1, c->yaml.len, f) != c->yaml.len || fclose(f))
    return fprintf(stderr, "FAIL %s: cannot write %s\n", c->name, path), 1;
  int fail = 0;
  for (int i = 0; i < c->nweight && !fail; i++) {
    char name[64], dt[16], dims[64];
    double lo, hi;
    Arr w = {0};
    if (sscanf(c->weights[i], "%63s %15s %63s %lf %lf", name, dt, dims, &lo, &hi) != 5 ||
        (w.t = nt_from_name(dt)) < 0 || parse_dims(dims, &w)) {
      fprintf(stderr, "FAIL %s: bad @weight '%s'\n", c->name, c->weights[i]);
      fail = 1;
      break;
    }
    Case tmp = *c;
    tmp.ngen = 1;
    snprintf(tmp.gens[0].name, sizeof tmp.gens[0].name, "%s", name);
    tmp.gens[0].lo = lo, tmp.gens[0].hi = hi, tmp.gens[0].nonzero = false;
    w.width = VOCAB_W;
    w.data = calloc((size_t)w.n + 1, esize(&w));
    fill(&tmp, name, &w);
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (npy_save(path, &w)) fail = err1("FAIL %s: cannot write %s\n", c->name, path);
    free(w.data);
  }
  /* the model's inputs, as mlgen's own reader sees them */
  Arena *ar = arena_new();
  Diags d = {0};
  ModelSpec spec = {0};
  char model[1024];
  snprintf(model, sizeof model, "%s/model.yaml", dir);
  if (!fail && (yaml_load(ar, model, &spec, &d) || !spec.g)) {
    fprintf(stderr, "FAIL %s: the model does not load:\n%s", c->name, d.text.s ? d.text.s : "");
    fail = 1;
  }
  char *argv[64];
  char args[40][640];
  int na = 0, nfix;
  argv[na++] = (char *)mlgen;
  argv[na++] = "run";
  argv[na++] = model;
  argv[na++] = "--numbered";
  if (rewrite) {
    argv[na++] = "--rewrite";
    argv[na++] = (char *)rewrite;
  }
  if (tuning) {
    argv[na++] = "--tuning";
    argv[na++] = (char *)tuning;
  }
  argv[na++] = "--target";
  nfix = na;
  for (int i = 0; !fail && spec.g && i < spec.g->inputs.n && i < 24; i++) {
    GTensor *t = spec.g->inputs.v[i];
    Arr in = {0};
    in.t = nt_from_name(dtype_info[t->dt].name);
    in.rank = t->rank;
    in.n = 1;
    for (int j = 0; j < t->rank; j++) in.dims[j] = t->dims[j], in.n *= t->dims[j];
    if (in.t < 0 || in.n < 0) {
      fail = err1("FAIL %s: input %s: unsupported dtype or dynamic shape\n", c->name, t->name);
      break;
    }
    in.width = VOCAB_W;
    in.data = calloc((size_t)in.n + 1, esize(&in));
    fill(c, t->name, &in);
    snprintf(args[i], sizeof args[i], "%s=%s/in_%d.npy", t->name, dir, i);
    char *file = strchr(args[i], '=') + 1;
    if (npy_save(file, &in)) fail = err1("FAIL %s: cannot write %s\n", c->name, file);
    free(in.data);
    argv[na + 2 * i + 1] = "--input";
    argv[na + 2 * i + 2] = args[i];
  }
  int nin = spec.g ? spec.g->inputs.n : 0, nout = spec.g ? spec.g->outputs.n : 0;
  if (nin > 24) fail = err1("FAIL %s: more than 24 inputs\n", c->name), nin = 0;
  const char **onames = calloc((size_t)nout + 1, sizeof *onames);
  for (int i = 0; i < nout; i++) onames[i] = strdup(((GTensor *)spec.g->outputs.v[i])->name);
  diag_free(&d);
  arena_free(ar);
  na += 1 + 2 * nin;
  argv[na++] = "-o";
  argv[na + 1] = NULL;

  /* the oracle */
  char odir[600];
  snprintf(odir, sizeof odir, "%s/interp", dir);
  argv[nfix] = "interp";
  argv[na] = odir;
  int rc = fail ? 0 : spawn(argv, NULL, log);
  if (!fail && rc) {
    fprintf(stderr, "FAIL %s: mlgen run --target interp exited %d\n", c->name, rc);
    show_log(log);
    fail = 1;
  }
  Arr *want = calloc((size_t)nout + 1, sizeof *want);
  char err[1200];
  for (int k = 0; !fail && k < nout; k++) {
    snprintf(path, sizeof path, "%s/output_%d.npy", odir, k);
    if (npy_load(path, &want[k], err, sizeof err)) fail = err1("FAIL %s: interp: %s\n", c->name, err);
  }
  for (int ci = 0; !fail && ci < ncc; ci++) {
    char what[64];
    snprintf(what, sizeof what, "%s/%s", target, ccs[ci]);
    snprintf(odir, sizeof odir, "%s/%s_%s", dir, target, ccs[ci]);
    argv[nfix] = (char *)target;
    argv[na] = odir;
    rc = spawn(argv, ccs[ci], log);
    if (rc == 1 && refuse_ok && only_refusals(log)) {
      printf("refused %s on %s (%s)\n", c->name, target, refuse_ok);
      nrefused++;
      break;
    }
    if (rc) {
      fprintf(stderr, "FAIL %s: mlgen run --target %s with %s exited %d%s\n", c->name, target, ccs[ci], rc,
              rc == 3 ? " (warning, compile error or crash in generated code)" : "");
      show_log(log);
      fail = 1;
      break;
    }
    for (int k = 0; k < nout; k++) {
      Arr got;
      snprintf(path, sizeof path, "%s/output_%d.npy", odir, k);
      if (npy_load(path, &got, err, sizeof err)) {
        fail = err1("FAIL %s: %s: %s\n", c->name, what, err);
        continue;
      }
      fail |= compare(c, what, k, onames[k], &got, &want[k]);
      free(got.data);
    }
  }
  for (int k = 0; k < nout; k++) free(want[k].data), free((void *)onames[k]);
  free(want);
  free(onames);
  if (fail) fprintf(stderr, "     (case %s at line %d; files kept in %s)\n", c->name, c->line, dir);
  else if (!keep) rm_tree(dir);
  return fail;
}

static bool have_tool(const char *name) {
  const char *path = getenv("PATH");
  if (strchr(name, '/')) return access(name, X_OK) == 0;
  for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
    const char *e = strchr(p, ':');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name);
    if (access(buf, X_OK) == 0) return true;
    p += n + (e != NULL);
  }
  return false;
}

/* Runs the cases of one .cases file; adds to *nrun and *nfail. Returns 0, or
 * 2 when the file cannot be read or is malformed. */
static int run_file(const char *file, char **ccs, int ncc, const char *only, int every, int *nrun, int *nfail) {
  char *text = slurp(file, NULL);
  if (!text) return fprintf(stderr, "opcheck: cannot read %s\n", file), 2;
  const char *tmproot = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  int ncase = 0, run0 = *nrun, fail0 = *nfail, lineno = 0;
  Case c;
  bool in_case = false;
  char *line = text;
  for (bool done = false; !done;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    else done = true;
    lineno++;
    bool start = !strncmp(line, "=== ", 4);
    if ((start || done) && in_case) {
      if (done && *line) buf_printf(&c.yaml, "%s\n", line);
      if (c.yaml.oom) return fprintf(stderr, "opcheck: out of memory\n"), 2;
      if ((!only || !strcmp(only, c.name)) && ncase % every == 0) {
        (*nrun)++;
        *nfail += run_case(&c, ccs, ncc, tmproot);
      }
      ncase++;
      buf_free(&c.yaml);
      in_case = false;
    }
    if (start) {
      memset(&c, 0, sizeof c);
      snprintf(c.name, sizeof c.name, "%s", line + 4);
      c.line = lineno;
      in_case = true;
    } else if (in_case && !strncmp(line, "@gen ", 5) && c.ngen < 16) {
      Gen *g = &c.gens[c.ngen++];
      char flag[16] = "";
      if (sscanf(line + 5, "%63s %lf %lf %15s", g->name, &g->lo, &g->hi, flag) < 3)
        return fprintf(stderr, "%s:%d: bad @gen\n", file, lineno), 2;
      g->nonzero = !strcmp(flag, "nonzero");
    } else if (in_case && !strncmp(line, "@weight ", 8) && c.nweight < 8) {
      snprintf(c.weights[c.nweight++], sizeof c.weights[0], "%s", line + 8);
    } else if (in_case && !done) {
      buf_printf(&c.yaml, "%s\n", line);
    }
    if (nl) line = nl + 1;
  }
  free(text);
  printf("%s: %d of %d cases run, %d failed\n", file, *nrun - run0, ncase, *nfail - fail0);
  return 0;
}

int main(int argc, char **argv) {
  const char *cclist = "gcc,clang", *only = NULL;
  const char *files[64];
  int every = 1, nfiles = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cc") && i + 1 < argc) cclist = argv[++i];
    else if (!strcmp(argv[i], "--runner") && i + 1 < argc) runner = argv[++i];
    else if (!strcmp(argv[i], "--target") && i + 1 < argc) target = argv[++i];
    else if (!strcmp(argv[i], "--every") && i + 1 < argc) every = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--case") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--keep")) keep = true;
    else if (!strcmp(argv[i], "--rewrite") && i + 1 < argc) rewrite = argv[++i];
    else if (!strcmp(argv[i], "--tuning") && i + 1 < argc) tuning = argv[++i];
    else if (!strcmp(argv[i], "--refuse-ok") && i + 1 < argc) refuse_ok = argv[++i];
    else if (!strcmp(argv[i], "--cflags") && i + 1 < argc) /* added to the warning flags */
      snprintf(cflags + strlen(cflags), sizeof cflags - strlen(cflags), " %s", argv[++i]);
    else if (!mlgen) mlgen = argv[i];
    else if (nfiles < 64) files[nfiles++] = argv[i];
    else return fprintf(stderr, "opcheck: too many files\n"), 2;
  }
  if (!mlgen || !nfiles || every < 1) {
    fprintf(stderr, "usage: opcheck [--cc gcc,clang] [--cflags FLAGS] [--runner CMD] [--every K] [--case NAME] "
                    "[--keep] [--target T] [--refuse-ok TEXT] MLGEN FILE.cases...\n");
    return 2;
  }
  char *ccs[8], ccbuf[256];
  int ncc = 0, nmissing = 0;
  snprintf(ccbuf, sizeof ccbuf, "%s", cclist);
  for (char *t = strtok(ccbuf, ","); t && ncc < 8; t = strtok(NULL, ","))
    if (have_tool(t)) ccs[ncc++] = t;
    else fprintf(stderr, "opcheck: %s not found: its half of every case is skipped\n", t), nmissing++;
  char rtool[128];
  snprintf(rtool, sizeof rtool, "%.*s", (int)strcspn(runner, " "), runner);
  if (*runner && !have_tool(rtool)) return fprintf(stderr, "opcheck: runner %s not found: skipped\n", rtool), 77;
  int nrun = 0, nfail = 0;
  for (int i = 0; i < nfiles; i++)
    if (run_file(files[i], ccs, ncc, only, every, &nrun, &nfail)) return 2;
  printf("opcheck: %d passed, %d failed, %d refused (compilers:", nrun - nfail - nrefused, nfail, nrefused);
  for (int i = 0; i < ncc; i++) printf(" %s", ccs[i]);
  printf("%s%s)\n", *runner ? "; runner: " : "", runner);
  if (only && !nrun) return fprintf(stderr, "opcheck: no case named %s\n", only), 1;
  if (nfail) return 1;
  return nmissing ? 77 : 0;
}
