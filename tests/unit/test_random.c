/* test_random.c: properties of mlgen's counter-based random numbers
 * (ir/decompose_random.c, docs/architecture.md "Random numbers"): values in
 * range, the same in every build, seeds that matter, and means and
 * variances of large tensors within bounds (five standard errors or more:
 * a correct generator fails them with probability below 1e-6). The first
 * elements are also checked against the documented formula, computed here
 * independently, so a change of the generator cannot pass unnoticed.
 * Models are YAML texts; every output is a constant folded at build time. */
#define _XOPEN_SOURCE 700
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"

#include "check.h"

static char dir[] = "/tmp/mlgen-random-XXXXXX";

typedef struct {
  Program *p;
  int k;
} Out;

/* builds YAML text to primitives; the program and its output k */
static Out build(Arena *a, const char *text, int k) {
  char path[256];
  snprintf(path, sizeof path, "%s/m.yaml", dir);
  FILE *f = fopen(path, "w");
  if (!f) return (Out){0};
  fputs(text, f);
  fclose(f);
  Diags d = {0};
  ModelSpec spec = {0};
  Program *p = arena_alloc(a, sizeof *p);
  p->a = a;
  if (yaml_load(a, path, &spec, &d) || !spec.g || ir_build_prims(spec.g, NULL, p, &d) || k >= p->outputs.n) {
    printf("build failed:\n%s", d.text.s ? d.text.s : "");
    p = NULL;
  }
  diag_free(&d);
  return (Out){p, k};
}

/* the values of output o as doubles (n of them): the folded constant, or
 * the interpreter's run of the program; NULL on failure */
static double *values(Arena *a, Out o, int64_t *n) {
  if (!o.p) return NULL;
  const Value *v = o.p->outputs.v[o.k];
  *n = shape_numel(v->rank, v->shape);
  const void *data = v->cdata;
  if (v->kind != VK_CONST) {
    void *outs[8] = {0};
    for (int i = 0; i < o.p->outputs.n && i < 8; i++) {
      const Value *w = o.p->outputs.v[i];
      outs[i] = arena_alloc(a, (size_t)(shape_numel(w->rank, w->shape) + 1) * 8);
    }
    Diags d = {0};
    int rc = interp_run(o.p, NULL, outs, &d);
    if (rc) printf("run failed:\n%s", d.text.s ? d.text.s : "");
    diag_free(&d);
    if (rc) return NULL;
    data = outs[o.k];
  }
  double *x = arena_alloc(a, sizeof(double) * (size_t)(*n + 1));
  for (int64_t i = 0; i < *n; i++) x[i] = raw_get_f(v->dt, data, i);
  return x;
}

static void moments(const double *x, int64_t n, double *mean, double *var) {
  double s = 0, q = 0;
  for (int64_t i = 0; i < n; i++) s += x[i];
  *mean = s / (double)n;
  for (int64_t i = 0; i < n; i++) q += (x[i] - *mean) * (x[i] - *mean);
  *var = q / (double)n;
}

static const char *model(char *buf, size_t cap, const char *dtype, const char *shape, const char *nodes) {
  snprintf(buf, cap,
           "mlgen: 1\nname: t\ninputs: {}\noutputs: [y]\nnodes:\n%s\n"
           "# dtype %s shape %s\n",
           nodes, dtype, shape);
  return buf;
}

/* the documented generator, written again from docs/architecture.md */
static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21f0aaadu;
  x ^= x >> 15;
  x *= 0x735a2d97u;
  x ^= x >> 15;
  return x;
}
static double doc_uniform_f32(float seed, uint32_t stream, uint32_t i) {
  uint32_t s;
  memcpy(&s, &seed, 4);
  uint32_t ka = mix(s ^ (0x9e3779b9u * (stream + 1))), kb = mix(ka ^ 0x85ebca6bu);
  return (double)(mix(mix(i + ka) ^ kb) >> 8) * ldexp(1, -24);
}

static void test_uniform(void) {
  Arena *a = arena_new();
  char m[1024];
  int64_t n;
  const char *u = "  - {op: RandomUniform, out: [y], shape: [200000], low: -1.0, high: 3.0, seed: 5.0}";
  double *x = values(a, build(a, model(m, sizeof m, "f32", "200000", u), 0), &n);
  CHECK(x && n == 200000, "RandomUniform folds to 200000 values");
  if (x) {
    bool in = true;
    for (int64_t i = 0; i < n; i++) in = in && x[i] >= -1 && x[i] < 3;
    CHECK(in, "uniform values in [-1, 3)");
    double mean, var;
    moments(x, n, &mean, &var);
    /* mean 1, sd of the mean 4/sqrt(12)/sqrt(2e5) = 0.0026; var 4/3, sd ~0.0042 */
    CHECK(fabs(mean - 1) < 0.015, "uniform mean %.5f is 1 within 0.015", mean);
    CHECK(fabs(var - 4.0 / 3) < 0.025, "uniform variance %.5f is 4/3 within 0.025", var);
    bool doc = true;
    for (uint32_t i = 0; i < 8; i++) doc = doc && fabs(x[i] - (-1 + 4 * doc_uniform_f32(5.0f, 0, i))) < 1e-6;
    CHECK(doc, "the first values follow the documented formula (%.9g)", x[0]);
    /* the same build again: the same numbers */
    double *y = values(a, build(a, m, 0), &n);
    CHECK(y && !memcmp(x, y, sizeof(double) * (size_t)n), "two builds draw the same numbers");
  }
  /* another seed: other numbers; a seedless node: stream 1, seed 0 */
  const char *two = "  - {op: RandomUniform, out: [y], shape: [1000], seed: 6.0}\n"
                    "  - {op: RandomUniform, out: [z], shape: [1000]}";
  snprintf(m, sizeof m, "mlgen: 1\nname: t\ninputs: {}\noutputs: [y, z]\nnodes:\n%s\n", two);
  double *y6 = values(a, build(a, m, 0), &n), *z = values(a, build(a, m, 1), &n);
  double *y5 = values(a, build(a, model(m, sizeof m, "f32", "1000",
                                        "  - {op: RandomUniform, out: [y], shape: [1000], seed: 5.0}"),
                                0),
                      &n);
  if (y5 && y6 && z) {
    int same = 0, samez = 0;
    for (int64_t i = 0; i < n; i++) same += y5[i] == y6[i], samez += y6[i] == z[i];
    CHECK(same < 5 && samez < 5, "seeds 5, 6 and none differ (%d, %d equal of 1000)", same, samez);
    CHECK(fabs(z[3] - doc_uniform_f32(0.0f, 1, 3)) < 1e-7, "a seedless node is seed 0 of stream 1");
  } else {
    CHECK(false, "seeded and seedless RandomUniform build");
  }
  /* two nodes with one seed draw the same numbers */
  snprintf(m, sizeof m,
           "mlgen: 1\nname: t\ninputs: {}\noutputs: [y, z]\nnodes:\n"
           "  - {op: RandomUniform, out: [y], shape: [64], seed: 2.0}\n"
           "  - {op: RandomUniform, out: [z], shape: [64], seed: 2.0}\n");
  double *p = values(a, build(a, m, 0), &n), *q = values(a, build(a, m, 1), &n);
  CHECK(p && q && !memcmp(p, q, sizeof(double) * 64), "one seed, one stream");
  arena_free(a);
}

static void test_dtypes(void) {
  Arena *a = arena_new();
  char m[1024];
  int64_t n;
  /* f64: 53 bits, so some values are not multiples of 2^-24 */
  double *x = values(a, build(a, model(m, sizeof m, "f64", "1000",
                                       "  - {op: RandomUniform, out: [y], shape: [1000], dtype: 11, seed: 1.0}"),
                               0),
                     &n);
  bool in = x != NULL, fine = false;
  for (int64_t i = 0; x && i < n; i++) {
    in = in && x[i] >= 0 && x[i] < 1;
    fine = fine || x[i] * 16777216.0 != floor(x[i] * 16777216.0);
  }
  CHECK(in && fine, "f64 uniforms in [0, 1) with more than 24 bits");
  x = values(a, build(a, model(m, sizeof m, "f16", "4096",
                               "  - {op: RandomUniform, out: [y], shape: [4096], dtype: 10}"),
                     0),
             &n);
  in = x != NULL;
  for (int64_t i = 0; x && i < n; i++) in = in && x[i] >= 0 && x[i] < 1;
  CHECK(in, "f16 uniforms in [0, 1)");
  arena_free(a);
}

static void test_normal_bernoulli_dropout(void) {
  Arena *a = arena_new();
  char m[2048];
  int64_t n;
  double mean, var;
  double *x = values(a, build(a, model(m, sizeof m, "f32", "200000",
                                       "  - {op: RandomNormal, out: [y], shape: [200000], mean: 2.0, scale: 0.5, seed: 9.0}"),
                               0),
                     &n);
  CHECK(x != NULL, "RandomNormal builds");
  if (x) {
    moments(x, n, &mean, &var);
    /* sd of the mean 0.5/447 = 0.0011; of the variance 0.25*sqrt(2/2e5) = 0.0008 */
    CHECK(fabs(mean - 2) < 0.006 && fabs(var - 0.25) < 0.005, "normal mean %.5f var %.5f", mean, var);
  }
  snprintf(m, sizeof m,
           "mlgen: 1\nname: t\ninputs: {}\noutputs: [y]\n"
           "initializers:\n  p: {dtype: f32, shape: [1], data: [0.3]}\n"
           "nodes:\n  - {op: Expand, in: [p, s], out: [pe]}\n  - {op: Bernoulli, in: [pe], out: [y], seed: 4.0}\n");
  /* the shape of the Expand */
  char *at = strstr(m, "initializers:\n") + strlen("initializers:\n");
  char tail[1024];
  snprintf(tail, sizeof tail, "%s", at);
  snprintf(at, sizeof m - (size_t)(at - m), "  s: {dtype: i64, shape: [1], data: [100000]}\n%s", tail);
  x = values(a, build(a, m, 0), &n);
  CHECK(x && n == 100000, "Bernoulli builds");
  if (x) {
    bool bin = true;
    for (int64_t i = 0; i < n; i++) bin = bin && (x[i] == 0 || x[i] == 1);
    moments(x, n, &mean, &var);
    /* sd of the mean sqrt(0.21/1e5) = 0.00145 */
    CHECK(bin && fabs(mean - 0.3) < 0.008, "Bernoulli(0.3): 0/1 values, mean %.5f", mean);
  }
  snprintf(m, sizeof m,
           "mlgen: 1\nname: t\ninputs: {}\noutputs: [y, k]\n"
           "initializers:\n  x: {dtype: f32, shape: [2], data: [1.0, -2.0]}\n"
           "  s: {dtype: i64, shape: [2], data: [50000, 2]}\n"
           "  r: {dtype: f32, shape: [], data: [0.25]}\n  t: {dtype: bool, shape: [], data: [1]}\n"
           "nodes:\n  - {op: Expand, in: [x, s], out: [xe]}\n"
           "  - {op: Dropout, in: [xe, r, t], out: [y, k], seed: 3}\n");
  x = values(a, build(a, m, 0), &n);
  double *k = values(a, build(a, m, 1), &n);
  CHECK(x && k, "training Dropout builds");
  if (x && k) {
    bool ok = true;
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
      double want = i % 2 ? -2.0 / 0.75 : 1.0 / 0.75;
      ok = ok && (k[i] ? fabs(x[i] - want) < 1e-6 : x[i] == 0);
      kept += k[i] != 0;
    }
    /* sd of the kept fraction sqrt(0.1875/1e5) = 0.0014 */
    CHECK(ok, "Dropout output is x / (1 - ratio) where the mask keeps, 0 elsewhere");
    CHECK(fabs((double)kept / (double)n - 0.75) < 0.008, "Dropout keeps %.5f (0.75)", (double)kept / (double)n);
  }
  arena_free(a);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_uniform();
  test_dtypes();
  test_normal_bernoulli_dropout();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) nfail++;
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
