/* verify.c: `mlgen verify MODEL --target T --input NAME=FILE ...`: a model
 * brought to target T kernel by kernel, the C target as the source platform
 * (docs/bring-up.md).
 *
 *   e2e       the program with every kernel's tensor as an extra output
 *             (ir_carve taps) runs once on C and once on T; each kernel's
 *             tensor is compared, and the first kernel out of tolerance is
 *             where the outputs leave the reference (bisection over the
 *             kernel order, done by one tapped run instead of log2(n) runs);
 *   isolated  every kernel fed the C run's tensors (ir_carve feed): one run
 *             on T of all kernels side by side, so errors do not accumulate
 *             and each kernel answers for itself.
 * Per kernel: max abs, max rel and ULP error, the count of elements out of
 * tolerance (kernel_tolerance: the rules below, documented in
 * docs/bring-up.md) and where it came from (ONNX node or YAML file:line).
 * A table, or --json. Exit 0 when every kernel is in tolerance, 1 when one is
 * not (the first named), 2 usage, 3 environment (the target could not run).
 * --remote HOST:PORT runs T's side on an mlgen-serve (cli/remote.c).
 */
#define _XOPEN_SOURCE 700
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------ tolerances */
static bool transcendental(const Expr *e) {
  if (!e) return false;
  if (e->kind == E_ALU && dtype_info[e->dt].is_float) {
    switch (e->op) {
    case OP_EXP: case OP_LOG: case OP_ERF: case OP_TANH: case OP_SIN: case OP_COS: case OP_TAN: case OP_ASIN:
    case OP_ACOS: case OP_ATAN: case OP_SINH: case OP_COSH: case OP_ASINH: case OP_ACOSH: case OP_ATANH:
    case OP_POW: case OP_SQRT: case OP_RECIP: case OP_DIV: case OP_FMOD: return true;
    default: break;
    }
  }
  for (int i = 0; i < 3; i++)
    if (transcendental(e->a[i])) return true;
  return false;
}

/* The rules, loosest that applies (floats: atol scales with the tensor's
 * largest reference magnitude, at least 1):
 *   integer, bool         exact
 *   f16 / bf16            rtol 1e-2 / 4e-2, atol 1e-3
 *   f32/f64 sum or product over K terms: rtol 1e-4, atol 1e-5 * sqrt(K)
 *   f32/f64 with exp, log, erf, tanh, trig, pow, sqrt, division: rtol 1e-4, atol 1e-5
 *   f32/f64 otherwise (moves, + - *, max, compare): rtol 1e-5, atol 1e-6 */
void kernel_tolerance(const Kernel *k, const void *ref, Tol *t) {
  DType dt = k->out->dt;
  if (!dtype_info[dt].is_float) {
    *t = (Tol){0, 0, "integer: exact"};
    return;
  }
  double scale = 1;
  int64_t n = shape_numel(k->out->rank, k->out->shape);
  for (int64_t i = 0; ref && i < n; i++) {
    double v = fabs(raw_get_f(dt, ref, i));
    if (isfinite(v) && v > scale) scale = v;
  }
  bool tr = false;
  for (int i = 0; i < kernel_nroots(k); i++) tr |= transcendental(kernel_root(k, i));
  int64_t K = k->nred ? shape_numel(k->nred, k->rshape) : 1;
  bool sum = (k->rop == OP_RSUM || k->rop == OP_RPROD) && K > 1;
  if (dt == DT_F16 || dt == DT_BF16) *t = (Tol){1e-3 * scale, dt == DT_F16 ? 1e-2 : 4e-2, "16-bit float"};
  else if (sum) *t = (Tol){1e-5 * scale * sqrt((double)K), 1e-4, "float sum: rtol 1e-4, atol 1e-5*sqrt(K)"};
  else if (tr) *t = (Tol){1e-5 * scale, 1e-4, "float transcendental: rtol 1e-4, atol 1e-5"};
  else *t = (Tol){1e-6 * scale, 1e-5, "float elementwise: rtol 1e-5, atol 1e-6"};
}

/* a float's position on the line of representable values (ULP distance is
 * the difference of two positions) */
static double ordered(DType dt, const void *p, int64_t i) {
  int64_t b;
  switch (dt) {
  case DT_F32: {
    uint32_t u;
    memcpy(&u, (const char *)p + 4 * i, 4);
    b = u >> 31 ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
    break;
  }
  case DT_F64: {
    uint64_t u;
    memcpy(&u, (const char *)p + 8 * i, 8);
    return u >> 63 ? -(double)(u & 0x7fffffffffffffffull) : (double)u;
  }
  default: { /* f16, bf16 */
    uint16_t u;
    memcpy(&u, (const char *)p + 2 * i, 2);
    b = u >> 15 ? -(int64_t)(u & 0x7fffu) : (int64_t)u;
  }
  }
  return (double)b;
}

void tensor_compare(DType dt, const void *ref, const void *got, int64_t n, const Tol *t, Stats *s) {
  *s = (Stats){.n = n, .worst = -1};
  double worst = -1;
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    double err;
    if (dtype_info[dt].is_float) {
      double r = raw_get_f(dt, ref, i), g = raw_get_f(dt, got, i);
      if (isnan(r) || isnan(g) || isinf(r) || isinf(g)) {
        ok = (isnan(r) && isnan(g)) || r == g;
        err = ok ? 0 : INFINITY;
        if (!ok) s->max_ulp = INFINITY;
      } else {
        double ab = fabs(g - r), rel = r != 0 ? ab / fabs(r) : 0; /* relative error where ref != 0 */
        double ulp = fabs(ordered(dt, ref, i) - ordered(dt, got, i));
        if (r == 0 && g == 0) ulp = 0; /* +0 and -0 */
        ok = ab <= t->atol + t->rtol * fabs(r);
        if (ab > s->max_abs) s->max_abs = ab;
        if (rel > s->max_rel) s->max_rel = rel;
        if (ulp > s->max_ulp) s->max_ulp = ulp;
        err = ab;
      }
    } else {
      int64_t r = raw_get_i(dt, ref, i), g = raw_get_i(dt, got, i);
      double ab = fabs((double)r - (double)g);
      ok = r == g;
      if (ab > s->max_abs) s->max_abs = ab;
      if (ab > s->max_ulp) s->max_ulp = ab;
      if (!ok && r) {
        double rel = ab / fabs((double)r);
        if (rel > s->max_rel) s->max_rel = rel;
      }
      err = ab;
    }
    if (!ok) s->bad++;
    if (err > worst) worst = err, s->worst = i;
  }
}

/* ---------------------------------------------------------- perturbation */
int test_perturb(const Program *p, const char *target, int *kind) {
  const char *spec = getenv("MLGEN_TEST_PERTURB");
  *kind = PERTURB_NONE;
  if (!spec || !*spec) return -1;
  const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c2 || (size_t)(c1 - spec) != strlen(target) || strncmp(spec, target, (size_t)(c1 - spec))) return -1;
  char name[256];
  snprintf(name, sizeof name, "%.*s", (int)(c2 - c1 - 1 < 255 ? c2 - c1 - 1 : 255), c1 + 1);
  int k = -1;
  char *end;
  long v = strtol(name, &end, 10);
  if (*name && !*end && v >= 0 && v < p->kernels.n) k = (int)v;
  for (int i = 0; k < 0 && i < p->kernels.n; i++)
    if (!strcmp(((Kernel *)p->kernels.v[i])->name, name)) k = i;
  *kind = !strcmp(c2 + 1, "index") ? PERTURB_INDEX : !strcmp(c2 + 1, "value") ? PERTURB_VALUE : PERTURB_NONE;
  return *kind == PERTURB_NONE ? -1 : k;
}

/* -------------------------------------------------------------- verify */
typedef struct {
  CliModel m;
  const char *target, *remote, *token;
  bool json;
  void **ref; /* per kernel of m.p: the C run's tensor */
  int *kof;   /* by value id: the kernel (index) that writes it */
} V;

typedef struct {
  const char *mode;
  Stats *st;
  Tol *tol;
  int first_bad;
} Result;

static void **alloc_outs(Arena *a, Program *p) {
  void **o = arena_alloc(a, sizeof(void *) * (size_t)(p->outputs.n + 1));
  for (int i = 0; o && i < p->outputs.n; i++) {
    const Value *v = p->outputs.v[i];
    if (!(o[i] = arena_alloc(a, cli_value_bytes(v) + 8))) return NULL;
  }
  return o;
}

/* the target's side: here, or on an mlgen-serve */
static int run_dev(V *v, Program *p, void **ins, void **outs) {
  if (v->remote) return remote_run(v->m.a, v->remote, v->token, v->target, p, ins, outs, &v->m.d);
  return cli_run_target(v->m.a, v->target, p, ins, outs, &v->m.d);
}

static int flush(V *v, int rc) {
  if (v->m.d.text.len) fputs(v->m.d.text.s, stderr);
  diag_free(&v->m.d);
  return rc;
}

static int check(V *v, const char *mode, Result *r) {
  Program *src = &v->m.p, cut;
  Arena *a = v->m.a;
  int nk = src->kernels.n, kind, bad = test_perturb(src, v->target, &kind);
  bool *all = arena_alloc(a, (size_t)nk + 1);
  int *in_src = arena_alloc(a, sizeof(int) * (size_t)(src->values.n + 1));
  if (!all || !in_src) return 3;
  memset(all, 1, (size_t)nk);
  bool feed = !strcmp(mode, "isolated");
  if (ir_carve(src, all, feed, bad, kind, &cut, in_src, &v->m.d)) return flush(v, 1);
  void **ins = arena_alloc(a, sizeof(void *) * (size_t)(cut.inputs.n + 1)), **outs = alloc_outs(a, &cut);
  if (!ins || !outs) return 3;
  for (int i = 0; i < cut.inputs.n; i++) {
    const Value *sv = src->values.v[in_src[i]];
    ins[i] = sv->kind == VK_INPUT ? v->m.ins[sv->in_index] : v->ref[v->kof[sv->id]];
  }
  int rc = run_dev(v, &cut, ins, outs);
  if (rc) {
    flush(v, rc);
    fprintf(stderr, "mlgen: verify: the %s run on %s%s%s failed\n", mode, v->target, v->remote ? " at " : "",
            v->remote ? v->remote : "");
    return rc;
  }
  r->mode = mode;
  r->first_bad = -1;
  r->st = arena_alloc(a, sizeof(Stats) * (size_t)(nk + 1));
  r->tol = arena_alloc(a, sizeof(Tol) * (size_t)(nk + 1));
  if (!r->st || !r->tol) return 3;
  for (int i = 0; i < nk; i++) {
    const Kernel *k = src->kernels.v[i];
    kernel_tolerance(k, v->ref[i], &r->tol[i]);
    tensor_compare(k->out->dt, v->ref[i], outs[i], shape_numel(k->out->rank, k->out->shape), &r->tol[i], &r->st[i]);
    if (r->st[i].bad && r->first_bad < 0) r->first_bad = i;
  }
  return 0;
}

/* model text for a terminal: control bytes and DEL as \xNN (as inspect shows them) */
static const char *shown(Arena *a, const char *s) {
  Buf b = {0};
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c < 32 || *c == 127) buf_printf(&b, "\\x%02x", *c);
    else buf_printf(&b, "%c", *c);
  }
  return buf_take(a, &b, NULL);
}

/* the op types of an origin ("MatMul matmul2 + Add add4" -> "MatMul+Add"), each once */
static const char *ops_of(Arena *a, const char *origin) {
  Buf b = {0};
  for (const char *s = origin; s && *s;) {
    const char *e = strstr(s, " + ");
    size_t n = e ? (size_t)(e - s) : strlen(s), w = strcspn(s, " ");
    if (w > n) w = n;
    bool seen = false;
    for (const char *t = b.s; t && *t && !seen;) { /* already listed? */
      size_t m = strcspn(t, "+");
      seen = m == w && !strncmp(t, s, w);
      t += m + (t[m] == '+');
    }
    if (!seen) buf_printf(&b, "%s%.*s", b.len ? "+" : "", (int)w, s);
    s = e ? e + 3 : NULL;
  }
  return buf_take(a, &b, NULL);
}

static const char *clip(Arena *a, const char *s, int w) {
  if ((int)strlen(s) <= w) return s;
  return arena_printf(a, "%.*s~", w - 1, s);
}

static void json_s(const char *s) {
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') printf("\\%c", *c);
    else if (*c < 32) printf("\\u%04x", *c);
    else putchar(*c);
  }
  putchar('"');
}

static void json_num(double x) {
  if (isinf(x)) printf("\"inf\"");
  else printf("%.9g", x);
}

static void report_table(V *v, const Result *r) {
  Program *p = &v->m.p;
  Arena *a = v->m.a;
  printf("%s: %s on %s%s%s against c (%d kernels)\n", r->mode, p->name, v->target, v->remote ? " at " : "",
         v->remote ? v->remote : "", p->kernels.n);
  printf("  %3s  %-16s %-20s %-26s %9s %9s %8s %11s  %s\n", "#", "kernel", "ops", "where", "max abs", "max rel",
         "ulp", "bad/n", "verdict");
  for (int i = 0; i < p->kernels.n; i++) {
    const Kernel *k = p->kernels.v[i];
    const Stats *s = &r->st[i];
    char ulp[32];
    if (isinf(s->max_ulp)) snprintf(ulp, sizeof ulp, "inf");
    else snprintf(ulp, sizeof ulp, "%.0f", s->max_ulp);
    const char *verdict = !s->bad ? "ok" : i == r->first_bad ? "FAIL <- first" : "FAIL";
    printf("  %3d  %-16s %-20s %-26s %9.2e %9.2e %8s %5lld/%-5lld  %s\n", i, clip(a, k->name, 16),
           clip(a, shown(a, ops_of(a, k->origin)), 20), clip(a, *k->where ? shown(a, k->where) : "-", 26), s->max_abs,
           s->max_rel, ulp,
           (long long)s->bad, (long long)s->n, verdict);
  }
  if (r->first_bad < 0) {
    printf("  all %d kernels within tolerance\n", p->kernels.n);
    return;
  }
  const Kernel *k = p->kernels.v[r->first_bad];
  const Stats *s = &r->st[r->first_bad];
  printf("  first bad kernel: #%d %s (%s%s%s): %lld of %lld elements out of tolerance (%s), worst at %lld\n",
         r->first_bad, k->name, shown(a, k->origin), *k->where ? " at " : "", shown(a, k->where), (long long)s->bad, (long long)s->n,
         r->tol[r->first_bad].rule, (long long)s->worst);
}

static void report_json(V *v, const Result *rs, int nr) {
  Program *p = &v->m.p;
  bool ok = true;
  for (int m = 0; m < nr; m++) ok &= rs[m].first_bad < 0;
  printf("{\"model\": ");
  json_s(p->name);
  printf(", \"target\": ");
  json_s(v->target);
  printf(", \"reference\": \"c\", \"remote\": ");
  if (v->remote) json_s(v->remote);
  else printf("null");
  printf(", \"ok\": %s, \"modes\": [", ok ? "true" : "false");
  for (int m = 0; m < nr; m++) {
    const Result *r = &rs[m];
    printf("%s\n  {\"mode\": \"%s\", \"first_bad\": ", m ? "," : "", r->mode);
    if (r->first_bad < 0) printf("null");
    else printf("%d", r->first_bad);
    printf(", \"kernels\": [");
    for (int i = 0; i < p->kernels.n; i++) {
      const Kernel *k = p->kernels.v[i];
      const Stats *s = &r->st[i];
      printf("%s\n    {\"index\": %d, \"name\": ", i ? "," : "", i);
      json_s(k->name);
      printf(", \"ops\": ");
      json_s(k->origin);
      printf(", \"where\": ");
      json_s(k->where);
      printf(", \"dtype\": \"%s\", \"shape\": ", dtype_info[k->out->dt].name);
      json_s(shape_str(v->m.a, k->out->rank, k->out->shape));
      printf(", \"elements\": %lld, \"mismatches\": %lld, \"max_abs\": ", (long long)s->n, (long long)s->bad);
      json_num(s->max_abs);
      printf(", \"max_rel\": ");
      json_num(s->max_rel);
      printf(", \"max_ulp\": ");
      json_num(s->max_ulp);
      printf(", \"atol\": %.3g, \"rtol\": %.3g, \"ok\": %s}", r->tol[i].atol, r->tol[i].rtol, s->bad ? "false" : "true");
    }
    printf("]}");
  }
  printf("]}\n");
}

static const char *const usage_verify =
    "usage: mlgen verify MODEL --target T --input NAME=FILE ... [--mode isolated|e2e|both] [--json]\n"
    "                    [--remote HOST:PORT [--token FILE]] [--input-shape ...] [--freeze ...]\n\n"
    "Runs MODEL kernel by kernel on T against the C target on the same inputs:\n"
    "  e2e       every kernel's tensor tapped in one run of the whole model: the first kernel out of\n"
    "            tolerance is where T leaves the reference\n"
    "  isolated  every kernel fed the reference tensors, so errors do not accumulate\n"
    "  (default both). Per kernel: max abs, max rel, ULP, mismatched elements, provenance.\n"
    "  --remote HOST:PORT   T's side runs on an mlgen-serve there (the c target: the client builds\n"
    "                       a shared object; docs/bring-up.md); --token FILE: the shared token\n"
    "exit: 0 every kernel in tolerance, 1 a kernel out of tolerance (or a model error), 2 usage, 3 environment\n";

int cmd_verify(int argc, char **argv) {
  V v = {0};
  const char *mode = "both";
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  int nrest = 0;
  if (!rest) return 3;
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    if (i >= 2 && (!strcmp(s, "--help") || !strcmp(s, "-h"))) {
      fputs(usage_verify, stdout);
      free(rest);
      return 0;
    }
    if (i >= 2 && (!strcmp(s, "--mode") || !strcmp(s, "--remote") || !strcmp(s, "--token"))) {
      if (i + 1 >= argc) {
        fprintf(stderr, "mlgen: missing value after %s\n", s);
        free(rest);
        return 2;
      }
      if (!strcmp(s, "--mode")) mode = argv[++i];
      else if (!strcmp(s, "--remote")) v.remote = argv[++i];
      else v.token = argv[++i];
    } else if (i >= 2 && !strcmp(s, "--json")) {
      v.json = true;
    } else {
      rest[nrest++] = argv[i];
    }
  }
  if (strcmp(mode, "both") && strcmp(mode, "isolated") && strcmp(mode, "e2e")) {
    fprintf(stderr, "mlgen: --mode takes isolated, e2e or both, not '%s'\n", mode);
    free(rest);
    return 2;
  }
  int rc = cli_load(nrest, rest, &v.m);
  free(rest);
  if (rc) {
    if (v.m.a) arena_free(v.m.a);
    return rc;
  }
  v.target = v.m.target;
  const TargetInfo *ti = v.target ? target_find(v.target) : NULL;
  if (!ti || !ti->build || !ti->runnable) {
    fprintf(stderr, "mlgen: verify needs --target c, vulkan, webgpu or metal%s%s\n", v.target ? ", not " : "",
            v.target ? v.target : "");
    arena_free(v.m.a);
    return 2;
  }
  if (v.remote && ((strcmp(v.target, "c") && strcmp(v.target, "vulkan")) || !strrchr(v.remote, ':'))) {
    fprintf(stderr, "mlgen: --remote HOST:PORT runs the c or vulkan target (the device loads its host code as a "
                    "shared object)\n");
    arena_free(v.m.a);
    return 2;
  }
  /* the reference: the C target's tapped run */
  Program *p = &v.m.p, taps;
  bool *all = arena_alloc(v.m.a, (size_t)p->kernels.n + 1);
  if (!all) return 3;
  memset(all, 1, (size_t)p->kernels.n);
  Result res[2];
  int nr = 0;
  int *in_src = arena_alloc(v.m.a, sizeof(int) * (size_t)(p->values.n + 1));
  if (!in_src || !(v.kof = arena_alloc(v.m.a, sizeof(int) * (size_t)(p->values.n + 1)))) {
    rc = 3;
    goto out;
  }
  for (int i = 0; i < p->kernels.n; i++) v.kof[((Kernel *)p->kernels.v[i])->out->id] = i;
  if (ir_carve(p, all, false, -1, PERTURB_NONE, &taps, in_src, &v.m.d)) {
    rc = flush(&v, 1);
    goto out;
  }
  void **tins = arena_alloc(v.m.a, sizeof(void *) * (size_t)(taps.inputs.n + 1));
  if (!tins || !(v.ref = alloc_outs(v.m.a, &taps))) {
    rc = 3;
    goto out;
  }
  for (int i = 0; i < taps.inputs.n; i++) tins[i] = v.m.ins[((Value *)p->values.v[in_src[i]])->in_index];
  if ((rc = cli_run_target(v.m.a, "c", &taps, tins, v.ref, &v.m.d))) {
    flush(&v, rc);
    fprintf(stderr, "mlgen: verify: the reference run on c failed\n");
    goto out;
  }
  if (strcmp(mode, "e2e") && (rc = check(&v, "isolated", &res[nr++]))) goto out;
  if (strcmp(mode, "isolated") && (rc = check(&v, "e2e", &res[nr++]))) goto out;
  if (v.json) report_json(&v, res, nr);
  else
    for (int m = 0; m < nr; m++) report_table(&v, &res[m]);
  for (int m = 0; m < nr; m++) rc |= res[m].first_bad >= 0;
  if (rc && !v.json) {
    const Result *r = res[0].first_bad >= 0 ? &res[0] : &res[1];
    const Kernel *k = p->kernels.v[r->first_bad];
    fprintf(stderr, "mlgen: verify: %s on %s: kernel #%d %s (%s%s%s) is out of tolerance (%s mode)\n", p->name,
            v.target, r->first_bad, k->name, shown(v.m.a, k->origin), *k->where ? " at " : "", shown(v.m.a, k->where),
            r->mode);
  }
  flush(&v, 0);
out:
  arena_free(v.m.a);
  return rc;
}
