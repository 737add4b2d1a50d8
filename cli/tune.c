/* tune.c: mlgen tune MODEL [-o FILE] [--runs N] [--warmup N] and the common
 * options; the reader of the file it writes (mlgen build --tuning FILE).
 *
 * MNN's semi-automatic search, ahead of time: the schedule's free choices
 * (the register tile's rows x columns, the column panels per cache group;
 * ir/schedule.c) are measured, not guessed, for the model's real shapes on
 * this machine. Each candidate is applied to every kernel (a tuning file
 * of one "*" entry), the model is compiled with the host compiler with the
 * generated code's profiling hook on (-DMLGEN_PROFILE, templates/c_model.c)
 * and the candidates run in turn, ROUNDS times (each sees the same load),
 * each kernel's figure the least of its rounds' medians; a kernel takes
 * the fastest candidate when it beats the heuristics' choice by more than
 * the noise margin (3%), and the file lists every choice with its figures.
 * The same file always builds the same code: measurements choose once,
 * here, never during a build. Figures only: nothing asserts a speed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../codegen/targets.h"
#include "../codegen/templates.h"
#include "../frontend/json.h"

static const char *const usage_tune =
    "usage: mlgen tune MODEL [-o FILE] [--runs N] [--rounds R] [--warmup N] [--input NAME=FILE ...] [--input-shape NAME=AxB]\n\n"
    "Measures the schedule choices of MODEL's kernels on this machine and writes them to FILE (default\n"
    "tuning.json); `mlgen build MODEL --tuning FILE` then builds with them, the same code every time.\n"
    "Each candidate (register tiles of 6x16, 4x16, 8x16, 12x16, 4x32, 6x32 accumulators; cache groups of\n"
    "column panels by the heuristic or none) is compiled by $MLGEN_CC/$CC/cc with $MLGEN_BENCH_CFLAGS\n"
    "(default -O3 -march=native -ffp-contract=fast); the candidates then run in turn, ROUNDS times (default 3), each time RUNS\n"
    "runs (default 20, after --warmup, 3), and each kernel's figure is the least of its rounds' medians. A\n"
    "kernel keeps the heuristics' choice unless a candidate is more than 3% faster.\n";

/* the candidates: the heuristics' choice first (the reference) */
static const TuneChoice cands[] = {
    {"*", 6, 16, -1}, {"*", 6, 16, 0}, {"*", 4, 16, -1}, {"*", 8, 16, -1},
    {"*", 12, 16, -1}, {"*", 4, 32, -1}, {"*", 6, 32, -1},
};
#define NCAND ((int)(sizeof cands / sizeof cands[0]))
#define MARGIN 0.97

/* ------------------------------------------------------------ the file */
static bool ident_ok(const char *s) {
  if (!strcmp(s, "*")) return true;
  if (!*s || strlen(s) > 256) return false;
  for (const char *c = s; *c; c++)
    if (!(*c == '_' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) return false;
  return true;
}

static bool whole(const JVal *v, double lo, double hi, int *out) {
  if (!v || v->t != J_NUM || v->num != v->num || v->num < lo || v->num > hi || v->num != (double)(int)v->num) return false;
  *out = (int)v->num;
  return true;
}

int tune_load(Arena *a, const char *path, const TuneChoice **out, int *nout, Diags *d) {
  size_t len = 0;
  char *text = cli_slurp(a, path, &len);
  if (!text) {
    diag_error(d, (Loc){.file = path}, "cannot read the tuning file: %s", strerror(errno ? errno : EIO));
    return -1;
  }
  JVal *root;
  if (json_parse(a, text, len, path, &root, d)) return -1;
  const JVal *ver = json_get(root, "mlgen_tuning"), *ks = json_get(root, "kernels");
  int vn = 0;
  if (root->t != J_OBJ || !whole(ver, 1, 1, &vn)) {
    diag_error(d, (Loc){.file = path, .line = root->line, .col = root->col},
               "not an mlgen tuning file (an object with \"mlgen_tuning\": 1, as mlgen tune writes)");
    return -1;
  }
  if (!ks || ks->t != J_ARR || ks->n > 100000) {
    diag_error(d, (Loc){.file = path, .line = root->line, .col = root->col},
               "\"kernels\" must be an array of at most 100000 entries");
    return -1;
  }
  TuneChoice *t = arena_alloc(a, sizeof *t * (size_t)(ks->n + 1));
  if (!t) return -1;
  for (int i = 0; i < ks->n; i++) {
    const JVal *e = ks->items[i], *k = json_get(e, "kernel"), *tile = json_get(e, "tile"), *g = json_get(e, "group");
    Loc at = {.file = path, .line = e->line, .col = e->col};
    if (e->t != J_OBJ || !k || k->t != J_STR || !ident_ok(k->str)) {
      diag_error(d, at, "kernels[%d]: \"kernel\" must be a kernel's name as mlgen inspect prints it (letters, digits, '_'), or \"*\"", i);
      return -1;
    }
    t[i].kernel = k->str;
    if (!tile || tile->t != J_ARR || tile->n != 2 || !whole(tile->items[0], 1, 64, &t[i].mr) ||
        !whole(tile->items[1], 1, 64, &t[i].nr) || t[i].mr * t[i].nr > 1024) {
      diag_error(d, at, "kernels[%d]: \"tile\" must be [rows, columns], each 1 to 64, at most 1024 accumulators", i);
      return -1;
    }
    t[i].group = -1;
    if (g && !whole(g, -1, 1 << 20, &t[i].group)) {
      diag_error(d, at, "kernels[%d]: \"group\" must be -1 (the heuristic), 0 (none) or a number of column panels", i);
      return -1;
    }
  }
  *out = t;
  *nout = ks->n;
  return 0;
}

/* ----------------------------------------------------------- measuring */
typedef struct {
  char dir[64];      /* the compiled candidate (removed at the end) */
  const char *cmd;   /* its timing command */
  double total;      /* median ns of a whole run (the least over rounds) */
  double *kern;      /* median ns per kernel */
  const char **name; /* kernel names */
  const char **log;  /* the nest's rewrite log: same log, same code */
  int *tile;         /* Schedule.tile */
  int nk;
} Meas;

/* builds rest + --tuning cand and compiles it with the profiling hook into ms->dir */
static int prepare(Arena *ta, int nrest, char **rest, const char *cand_path, long runs, long warmup, Meas *ms) {
  char **argv = calloc((size_t)nrest + 3, sizeof *argv);
  if (!argv) return 3;
  memcpy(argv, rest, sizeof *argv * (size_t)nrest);
  argv[nrest] = "--tuning", argv[nrest + 1] = (char *)cand_path;
  CliModel m;
  int rc = cli_load_synth(nrest + 2, argv, &m, true);
  free(argv);
  if (rc) {
    if (m.a) arena_free(m.a);
    return rc;
  }
  Arena *a = m.a;
  Program *p = &m.p;
  const TargetInfo *t = target_find("c");
  Output o = {0};
  Diags d = {0};
  Buf cmd = {0};
  char dir[64] = "";
  rc = 1;
  if (!t || !t->build || t->build(p, &(TargetOpts){.for_run = true, .machine = "host"}, &o, &d)) goto out;
  rc = cli_bench_compile(a, p, m.ins, &o, false, "-DMLGEN_PROFILE=mlg_prof", runs, warmup, 0, dir, &cmd, &d);
  if (rc) goto out;
  rc = 3;
  ms->nk = p->kernels.n;
  ms->kern = arena_alloc(ta, sizeof(double) * (size_t)(ms->nk + 1));
  ms->name = arena_alloc(ta, sizeof(char *) * (size_t)(ms->nk + 1));
  ms->log = arena_alloc(ta, sizeof(char *) * (size_t)(ms->nk + 1));
  ms->tile = arena_alloc(ta, sizeof(int) * (size_t)(ms->nk + 1));
  if (!ms->kern || !ms->name || !ms->log || !ms->tile) goto out;
  for (int k = 0; k < ms->nk; k++) {
    const Kernel *kk = p->kernels.v[k];
    ms->name[k] = arena_strdup(ta, kk->name);
    ms->log[k] = arena_strdup(ta, kk->nest && kk->nest->log ? kk->nest->log : "");
    ms->tile[k] = kk->sched.tile;
    if (!ms->name[k] || !ms->log[k]) goto out;
  }
  for (int k = 0; k < ms->nk; k++) ms->kern[k] = -1;
  ms->total = -1;
  if (!(ms->cmd = arena_strdup(ta, cmd.s))) goto out;
  memcpy(ms->dir, dir, sizeof dir);
  dir[0] = 0; /* kept until the end */
  rc = 0;
out:
  if (d.text.s) fputs(d.text.s, stderr);
  if (dir[0]) remove_tree(dir);
  diag_free(&d);
  buf_free(&cmd);
  out_free(&o);
  arena_free(a);
  return rc;
}

/* one timing run of a prepared candidate: each figure the least so far */
static int time_once(Meas *ms) {
  double *kern = calloc((size_t)ms->nk + 1, sizeof *kern);
  BenchRun br;
  int xc;
  if (!kern) return 3;
  for (int k = 0; k < ms->nk; k++) kern[k] = -1;
  if (cli_bench_read(ms->cmd, ms->nk, kern, &br, &xc)) {
    fprintf(stderr, "mlgen: the timing program in %s failed (%s)\n", ms->dir,
            br.status > 0 ? "the model's run returned an error" : "exit status");
    free(kern);
    return 3;
  }
  for (int k = 0; k < ms->nk; k++)
    if (kern[k] >= 0 && (ms->kern[k] < 0 || kern[k] < ms->kern[k])) ms->kern[k] = kern[k];
  if (ms->total < 0 || br.med < ms->total) ms->total = br.med;
  free(kern);
  return 0;
}

static int put_text(const char *path, const char *s) { return s ? cli_write_file(path, s, strlen(s)) : -1; }

static const char *cand_json(Arena *a, const TuneChoice *c) {
  return arena_printf(a, "{\"mlgen_tuning\": 1, \"kernels\": [{\"kernel\": \"*\", \"tile\": [%d, %d], \"group\": %d}]}\n",
                      c->mr, c->nr, c->group);
}

int cmd_tune(int argc, char **argv) {
  const char *outp = "tuning.json";
  long runs = 20, warmup = 3, rounds = 3;
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  int nrest = 0, rc = 2;
  if (!rest) return 3;
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (i >= 2 && (!strcmp(s, "--help") || !strcmp(s, "-h"))) {
      fputs(usage_tune, stdout);
      free(rest);
      return 0;
    }
    int bad = 0;
    if (i >= 2 && !strcmp(s, "--runs")) bad = cli_parse_count("tune", s, v, 1, 100000, &runs), i++;
    else if (i >= 2 && !strcmp(s, "--rounds")) bad = cli_parse_count("tune", s, v, 1, 1000, &rounds), i++;
    else if (i >= 2 && !strcmp(s, "--warmup")) bad = cli_parse_count("tune", s, v, 0, 100000, &warmup), i++;
    else if (i >= 2 && (!strcmp(s, "-o") || !strcmp(s, "--output"))) {
      if (!v || !*v) bad = -1, fprintf(stderr, "mlgen: missing value after %s\n", s);
      else outp = v, i++;
    } else if (i >= 2 && (!strcmp(s, "--tuning") || !strcmp(s, "--target") || !strcmp(s, "--backend"))) {
      bad = -1, fprintf(stderr, "mlgen: tune measures the c target's candidates itself (no %s)\n", s);
    } else rest[nrest++] = argv[i];
    if (bad) {
      free(rest);
      return 2;
    }
  }
  Arena *ta = arena_new();
  char tmp[] = "/tmp/mlgen-tune-XXXXXX";
  bool made = false;
  Meas ms[NCAND];
  memset(ms, 0, sizeof ms);
  if (!ta) goto out3;
  if (!mkdtemp(tmp)) {
    fprintf(stderr, "mlgen: cannot make a temporary folder: %s\n", strerror(errno));
    goto out3;
  }
  made = true;
  for (int c = 0; c < NCAND; c++) {
    const char *path = arena_printf(ta, "%s/cand%d.json", tmp, c);
    if (!path || put_text(path, cand_json(ta, &cands[c]))) {
      fprintf(stderr, "mlgen: I/O error in %s\n", tmp);
      goto out3;
    }
    fprintf(stderr, "mlgen tune: candidate %d/%d: tiles %dx%d, %s\n", c + 1, NCAND, cands[c].mr, cands[c].nr,
            cands[c].group < 0 ? "cache groups by the heuristic" : "no cache groups");
    rc = prepare(ta, nrest, rest, path, runs, warmup, &ms[c]);
    if (rc) goto out;
    if (ms[c].nk != ms[0].nk) {
      fprintf(stderr, "mlgen: internal: candidate %d has %d kernels, the first %d\n", c, ms[c].nk, ms[0].nk);
      rc = 3;
      goto out;
    }
  }
  /* interleaved rounds, so that every candidate sees the same load */
  for (long r = 0; r < rounds; r++) {
    fprintf(stderr, "mlgen tune: timing round %ld/%ld\n", r + 1, rounds);
    for (int c = 0; c < NCAND; c++)
      if ((rc = time_once(&ms[c]))) goto out;
  }
  /* the choices: the same nest as the reference is the reference's code */
  Buf js = {0};
  int changed = 0;
  buf_puts(&js, "{\"mlgen_tuning\": 1,\n \"note\": \"written by mlgen tune: per kernel the measured median microseconds of the heuristics' choice and of the chosen one\",\n \"kernels\": [");
  int first = 1;
  double est = 0;
  for (int k = 0; k < ms[0].nk; k++) {
    int best = 0;
    for (int c = 1; c < NCAND; c++) {
      if (!strcmp(ms[c].log[k], ms[0].log[k]) || ms[c].kern[k] < 0) continue;
      if (ms[c].kern[k] < ms[best].kern[k]) best = c;
    }
    if (best && !(ms[best].kern[k] < MARGIN * ms[0].kern[k])) best = 0;
    est += ms[best].kern[k] > 0 ? ms[best].kern[k] : 0;
    if (ms[0].tile[k] != SCHED_TILE_PANELS) continue; /* nothing to choose (the candidates are panel tiles) */
    changed += best != 0;
    buf_printf(&js, "%s\n  {\"kernel\": \"%s\", \"tile\": [%d, %d], \"group\": %d, \"us\": %.2f, \"heuristic_us\": %.2f}",
               first ? "" : ",", ms[0].name[k], cands[best].mr, cands[best].nr, cands[best].group,
               ms[best].kern[k] / 1e3, ms[0].kern[k] / 1e3);
    first = 0;
  }
  buf_puts(&js, "\n ]}\n");
  /* atomically: a sibling temporary renamed into place */
  const char *tp = arena_printf(ta, "%s.tmp-%ld", outp, (long)getpid());
  rc = 3;
  if (!js.s || !tp || put_text(tp, js.s) || rename(tp, outp)) {
    fprintf(stderr, "mlgen: cannot write %s: %s\n", outp, strerror(errno ? errno : EIO));
    if (tp) remove(tp);
    buf_free(&js);
    goto out;
  }
  buf_free(&js);
  printf("mlgen tune: %d kernels, %d with a measured choice other than the heuristics'; wrote %s\n", ms[0].nk, changed,
         outp);
  printf("  whole run (least of %ld rounds' medians over %ld runs): heuristics %.1f us; other candidates:", rounds, runs,
         ms[0].total / 1e3);
  for (int c = 1; c < NCAND; c++) printf(" %dx%d%s %.1f", cands[c].mr, cands[c].nr, cands[c].group ? "" : " no-groups", ms[c].total / 1e3);
  printf(" us\n  sum of the chosen kernels' medians %.1f us (build with --tuning %s and time it with mlgen bench)\n",
         est / 1e3, outp);
  rc = 0;
  goto out;
out3:
  rc = 3;
out:
  for (int c = 0; c < NCAND; c++)
    if (ms[c].dir[0]) remove_tree(ms[c].dir);
  if (made) remove_tree(tmp);
  if (ta) arena_free(ta);
  free(rest);
  return rc;
}
