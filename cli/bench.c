/* bench.c: mlgen bench MODEL [--target c|llvm] [--runs N] [--warmup N]
 * [--min-ms M] [--profile] [--json] and the common options (--input, --input-shape,
 * --freeze, --name).
 *
 * What TFLite's benchmark_model and onnxruntime_perf_test give their users:
 * the model compiled for this machine ($MLGEN_CC / $CC / cc with
 * $MLGEN_BENCH_CFLAGS, default -O3 -march=native -ffp-contract=fast; the llvm target: the host
 * object), run WARMUP times, then RUNS timed runs one by one (default: until
 * 1 s and at least 10 runs), and the median, min, max and mean latency with
 * the operations per run (codegen/footprint.c) as GFLOP/s at the median.
 * --profile (the c target) compiles the generated code's profiling hook in
 * (-DMLGEN_PROFILE, templates/c_model.c) and adds each kernel's median
 * time, its share, its operations and GFLOP/s, and its schedule, slowest
 * first: where a model's time goes, kernel by kernel.
 * Inputs without --input get deterministic data (cli_load_synth). Figures
 * only: nothing here asserts a speed. */
#define _POSIX_C_SOURCE 200809L /* popen */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../codegen/footprint.h"
#include "../codegen/targets.h"
#include "../codegen/templates.h"

/* -std=c99 turns gcc's contraction of a * b + c into one FMA off (ISO mode): asked for again, as users
 * building for speed should (docs/performance.md) */
#define BENCH_CFLAGS "-O3 -march=native -ffp-contract=fast"

/* $MLGEN_BENCH_CFLAGS, or the default */
static const char *bench_cflags(void) {
  const char *f = getenv("MLGEN_BENCH_CFLAGS");
  return f ? f : BENCH_CFLAGS;
}

static const char *const usage_bench =
    "usage: mlgen bench MODEL [--target c|llvm] [--runs N] [--warmup N] [--min-ms M] [--profile] [--json]\n"
    "                   [--input NAME=FILE ...] [--input-shape NAME=AxB] [--freeze NAME=FILE]\n\n"
    "Compiles MODEL for this machine and times it, one run after another on one thread:\n"
    "  --target T     c (default: the generated C, compiled by $MLGEN_CC/$CC/cc with $MLGEN_BENCH_CFLAGS,\n"
    "                 default -O3 -march=native -ffp-contract=fast) or llvm (the object for this machine, O3)\n"
    "  --runs N       timed runs (default: until --min-ms and at least 10 runs, at most 10^6)\n"
    "  --warmup N     untimed runs first (default 10)\n"
    "  --min-ms M     with the default --runs: how long to keep timing (default 1000)\n"
    "  --profile      also time each kernel (the c target; the generated code's profiling hook): median time,\n"
    "                 share of the run, GFLOP/s and schedule per kernel, slowest first\n"
    "  --json         one JSON object instead of the table\n"
    "Inputs without --input get fixed data: floats uniform in [-1, 1) from a fixed sequence, integers and\n"
    "bools 0. GFLOP/s counts the float operations of one run (mlgen build --report) at the median latency.\n";

int cli_parse_count(const char *cmd, const char *flag, const char *v, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long x = v ? strtol(v, &end, 10) : 0;
  if (!v || !*v || *end || errno || x < lo || x > hi) {
    fprintf(stderr, "mlgen: %s takes a whole number from %ld to %ld, not '%s'\n(see mlgen %s --help)\n", flag,
            lo, hi, v ? v : "", cmd);
    return -1;
  }
  *out = x;
  return 0;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
    else if (*c < 32 || *c == 127) fprintf(f, "\\u%04x", *c);
    else fputc(*c, f);
  }
  fputc('"', f);
}

/* text as a terminal shows it: control bytes as \xNN */
static void term_str(FILE *f, const char *s) {
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c < 32 || *c == 127) fprintf(f, "\\x%02x", *c);
    else fputc(*c, f);
  }
}

static void show_ns(FILE *f, double ns) {
  if (ns < 1e4) fprintf(f, "%10.3f us", ns / 1e3);
  else if (ns < 1e7) fprintf(f, "%10.1f us", ns / 1e3);
  else fprintf(f, "%10.2f ms", ns / 1e6);
}

/* --profile's table: the kernels slowest first (kns: median ns each; their
 * sum exceeds the run's median by the hook's own clock reads) */
static void show_profile(Arena *a, const Program *p, const Footprint *fp, const double *kns, double med) {
  int nk = p->kernels.n, *ord = arena_alloc(a, sizeof(int) * (size_t)(nk + 1));
  double sum = 0;
  if (!ord) return;
  for (int k = 0; k < nk; k++) ord[k] = k, sum += kns[k] > 0 ? kns[k] : 0;
  for (int i = 1; i < nk; i++) /* insertion sort, slowest first, stable */
    for (int j = i; j > 0 && kns[ord[j]] > kns[ord[j - 1]]; j--) {
      int t = ord[j];
      ord[j] = ord[j - 1], ord[j - 1] = t;
    }
  printf("  kernels   %d, their medians sum to", nk);
  show_ns(stdout, sum);
  printf(" (the run's median");
  show_ns(stdout, med);
  int wn = 6; /* the name column: the longest name, up to 40 */
  for (int k = 0; k < nk; k++) {
    const Kernel *kr = p->kernels.v[k];
    int l = kr->name ? (int)strlen(kr->name) : 1;
    wn = l > wn ? (l < 40 ? l : 40) : wn;
  }
  printf(")\n    %-*s %13s %6s %9s  %s\n", wn, "kernel", "median", "share", "GFLOP/s", "source ops: schedule");
  for (int i = 0; i < nk; i++) {
    const Kernel *k = p->kernels.v[ord[i]];
    double t = kns[ord[i]];
    printf("    %-*s", wn, k->name ? k->name : "?");
    if (t < 0) {
      printf(" %13s %6s %9s  ", "-", "-", "-");
    } else {
      show_ns(stdout, t);
      printf(" %5.1f%% %9.2f  ", sum > 0 ? 100 * t / sum : 0, t > 0 ? (double)fp->k[ord[i]].flops / t : 0);
    }
    term_str(stdout, k->origin ? k->origin : "");
    printf(": ");
    term_str(stdout, k->sched.why ? k->sched.why : "");
    printf("\n");
  }
}

/* the timing program of p (o: its c or llvm build) staged in dir,
 * compiled with extra flags, its inputs written beside it, and the command
 * that runs it in *cmd: 0, or 1 / 3 with a message (a compiler failure
 * keeps the folder: dir[0] is then 0) */
int cli_bench_compile(Arena *a, Program *p, void **ins, const Output *o, bool obj, const char *extra, long runs,
                      long warmup, long min_ms, char dir[64], Buf *cmd, Diags *d) {
  Buf drv = {0};
  char *NM = arena_strdup(a, p->name);
  for (char *c = NM; c && *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
  const char *kv[] = {"name", p->name, "NAME", NM, "nkernels", arena_printf(a, "%d", p->kernels.n > 0 ? p->kernels.n : 1), NULL};
  if (tmpl_expand(&drv, "bench_c_driver.c", kv, d)) return 1;
  int rc = cli_run_stage(a, "bench", o, "driver.c", &drv, dir);
  buf_free(&drv);
  if (rc) {
    dir[0] = 0;
    return 3;
  }
  const char *cc = cli_cc();
  const char *cflags = bench_cflags();
  const char *N = p->name;
  cmd->len = 0;
  if (obj)
    buf_printf(cmd, "%s -std=c99 %s %s -o %s/bench %s/driver.c %s/%s.o -lm", cc, cflags, extra, dir, dir, dir, N);
  else
    buf_printf(cmd, "%s -std=c99 %s %s -o %s/bench %s/driver.c %s/%s.c %s/%s_weights.c -lm", cc, cflags, extra, dir,
               dir, dir, N, dir, N);
  if (!cmd->s || system(cmd->s)) {
    fprintf(stderr, "mlgen: the C compiler failed on the generated %s (kept in %s)\n", obj ? "object" : "code", dir);
    dir[0] = 0; /* kept */
    return 3;
  }
  cmd->len = 0;
  buf_printf(cmd, "%s/bench %ld %ld %ld", dir, runs, warmup, min_ms);
  for (int i = 0; i < p->inputs.n; i++) {
    const char *path = arena_printf(a, "%s/in%d.bin", dir, i);
    if (!path || cli_write_file(path, ins[i], cli_value_bytes(p->inputs.v[i]))) {
      fprintf(stderr, "mlgen: I/O error in %s\n", dir);
      return 3;
    }
    buf_printf(cmd, " %s", path);
  }
  return cmd->s ? 0 : 3;
}

int cli_bench_read(const char *cmd, int nk, double *kern, BenchRun *r, int *exit_code) {
  FILE *pf = popen(cmd, "r");
  char line[512];
  int got = 0;
  *r = (BenchRun){.status = -1};
  while (pf && fgets(line, sizeof line, pf)) {
    int k;
    double v;
    if (sscanf(line, "mlgen-kernel %d median_ns=%lf", &k, &v) == 2) {
      if (kern && k >= 0 && k < nk) kern[k] = v;
    } else if (sscanf(line, "mlgen-bench runs=%ld median_ns=%lf min_ns=%lf max_ns=%lf mean_ns=%lf status=%d", &r->runs,
                      &r->med, &r->mn, &r->mx, &r->mean, &r->status) == 6)
      got = 1;
  }
  int st = pf ? pclose(pf) : -1;
  *exit_code = st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return got && r->status == 0 && st == 0 ? 0 : -1;
}

int cmd_bench(int argc, char **argv) {
  const char *target = "c";
  long runs = 0, warmup = 10, min_ms = 1000;
  bool json = false, prof = false;
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  int nrest = 0;
  if (!rest) return 3;
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (i >= 2 && (!strcmp(s, "--help") || !strcmp(s, "-h"))) {
      fputs(usage_bench, stdout);
      free(rest);
      return 0;
    }
    int bad = 0;
    if (i >= 2 && !strcmp(s, "--runs")) bad = cli_parse_count("bench", s, v, 1, 10000000, &runs), i++;
    else if (i >= 2 && !strcmp(s, "--warmup")) bad = cli_parse_count("bench", s, v, 0, 10000000, &warmup), i++;
    else if (i >= 2 && !strcmp(s, "--min-ms")) bad = cli_parse_count("bench", s, v, 1, 3600000, &min_ms), i++;
    else if (i >= 2 && !strcmp(s, "--json")) json = true;
    else if (i >= 2 && !strcmp(s, "--profile")) prof = true;
    else if (i >= 2 && (!strcmp(s, "--target") || !strcmp(s, "--backend"))) {
      if (!v) bad = -1, fprintf(stderr, "mlgen: missing value after %s\n", s);
      else target = v, i++;
    } else if (i >= 2 && !strcmp(s, "-o")) {
      bad = -1, fprintf(stderr, "mlgen: bench writes no files (no -o)\n");
    } else rest[nrest++] = argv[i];
    if (bad) {
      free(rest);
      return 2;
    }
  }
  if (strcmp(target, "c") && strcmp(target, "llvm")) {
    fprintf(stderr, "mlgen: bench runs --target c or llvm, not '");
    term_str(stderr, target);
    fprintf(stderr, "'\n");
    free(rest);
    return 2;
  }
  if (prof && strcmp(target, "c")) {
    fprintf(stderr, "mlgen: bench --profile times the c target's kernels (not --target %s)\n", target);
    free(rest);
    return 2;
  }
  CliModel m;
  int rc = cli_load_synth(nrest, rest, &m, true);
  free(rest);
  if (rc) {
    if (m.a) arena_free(m.a);
    return rc;
  }
  Arena *a = m.a;
  Program *p = &m.p;
  for (int i = 0; i < p->inputs.n + p->outputs.n; i++) {
    const Value *v = i < p->inputs.n ? p->inputs.v[i] : p->outputs.v[i - p->inputs.n];
    if (v->dt == DT_STRING) {
      fprintf(stderr, "%s: error: mlgen bench does not time models with string inputs or outputs\n", m.model);
      arena_free(a);
      return 1;
    }
  }
  const TargetInfo *t = target_find(target);
  Output o = {0};
  Diags d = {0};
  rc = 1;
  char dir[64] = "";
  Buf drv = {0}, cmd = {0};
  Footprint fp = {0};
  bool obj = !strcmp(target, "llvm");
  if (!t || !t->build || t->build(p, &(TargetOpts){.for_run = true, .machine = "host"}, &o, &d)) goto out;
  /* the operations per run, from the C target's nests (built by the c
   * target; the llvm target renders the same ones) */
  if (c_footprint(p, false, &fp, &d)) goto out;
  rc = cli_bench_compile(a, p, m.ins, &o, obj, prof ? "-DMLGEN_PROFILE=mlg_prof" : "", runs, warmup, min_ms, dir,
                         &cmd, &d);
  if (rc) goto out;
  rc = 3;
  const char *cc = cli_cc();
  const char *cflags = bench_cflags();
  double *kns = arena_alloc(a, sizeof(double) * (size_t)(p->kernels.n + 1));
  if (!kns) goto out;
  for (int k = 0; k <= p->kernels.n; k++) kns[k] = -1;
  BenchRun br;
  int xc;
  if (cli_bench_read(cmd.s, p->kernels.n, kns, &br, &xc)) {
    fprintf(stderr, "mlgen: the benchmark program failed (%s%s)\n",
            br.status > 0 ? "the model's run returned an error" : "exit status ",
            br.status > 0 ? "" : arena_printf(a, "%d", xc));
    goto out;
  }
  long n = br.runs;
  double med = br.med, mn = br.mn, mx = br.mx, mean = br.mean;
  double gflops = med > 0 ? (double)fp.flops / med : 0; /* flops per ns = GFLOP/s */
  if (json) {
    printf("{\"model\": ");
    json_str(stdout, m.model);
    printf(", \"name\": ");
    json_str(stdout, p->name);
    printf(", \"target\": \"%s\", \"compiler\": ", target);
    json_str(stdout, obj ? "llvm O3 (host object)" : arena_printf(a, "%s %s", cc, cflags));
    printf(", \"runs\": %ld, \"warmup\": %ld, \"median_us\": %.4f, \"min_us\": %.4f, \"max_us\": %.4f, "
           "\"mean_us\": %.4f, \"flops\": %lld, \"gflops\": %.4f, \"arena_bytes\": %lld, \"weights_bytes\": %lld",
           n, warmup, med / 1e3, mn / 1e3, mx / 1e3, mean / 1e3, (long long)fp.flops, gflops,
           (long long)p->plan.arena_size, (long long)p->plan.weights_size);
    if (prof) {
      printf(", \"kernels\": [");
      for (int k = 0; k < p->kernels.n; k++) {
        const Kernel *kr = p->kernels.v[k];
        printf("%s{\"kernel\": ", k ? ", " : "");
        json_str(stdout, kr->name ? kr->name : "");
        printf(", \"origin\": ");
        json_str(stdout, kr->origin ? kr->origin : "");
        printf(", \"median_us\": %.4f, \"flops\": %lld, \"schedule\": ", kns[k] / 1e3, (long long)fp.k[k].flops);
        json_str(stdout, kr->sched.why ? kr->sched.why : "");
        printf("}");
      }
      printf("]");
    }
    printf("}\n");
  } else {
    printf("bench ");
    term_str(stdout, p->name);
    printf(" (");
    term_str(stdout, m.model);
    printf(") on %s: %s, one thread\n", target, obj ? "the llvm object for this machine (O3)" : arena_printf(a, "%s %s", cc, cflags));
    printf("  runs      %ld timed, after %ld warm-up\n", n, warmup);
    printf("  latency   median");
    show_ns(stdout, med);
    printf("   min");
    show_ns(stdout, mn);
    printf("   max");
    show_ns(stdout, mx);
    printf("   mean");
    show_ns(stdout, mean);
    printf("\n  compute   %lld float operations per run: %.2f GFLOP/s at the median\n", (long long)fp.flops, gflops);
    printf("  memory    arena %lld bytes, weights %lld bytes\n", (long long)p->plan.arena_size,
           (long long)p->plan.weights_size);
    if (prof) show_profile(a, p, &fp, kns, med);
  }
  rc = 0;
out:
  if (d.text.s) fputs(d.text.s, stderr);
  if (dir[0] && rc == 0) remove_tree(dir);
  else if (dir[0]) fprintf(stderr, "mlgen: files kept in %s\n", dir);
  diag_free(&d);
  buf_free(&drv);
  buf_free(&cmd);
  out_free(&o);
  arena_free(a);
  return rc;
}
