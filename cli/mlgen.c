/* mlgen.c: the command-line driver.
 *
 *   mlgen build MODEL [-o DIR]             compile to an output folder
 *   mlgen run MODEL --target T --input N=F -o DIR   run on a target
 *   mlgen inspect MODEL [--dot]            show graph, kernels, plan
 *
 * Only this file turns a status into an exit code:
 *   0 success, 1 the model or an input is wrong (diagnostics printed),
 *   2 bad command line, 3 the environment failed (I/O, C compiler). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../frontend/onnx.h"
#include "../frontend/treemodels.h"
#include "../codegen/templates.h"
#include "../codegen/footprint.h"
#include "cli.h"

enum { EXIT_MODEL = 1, EXIT_USAGE = 2, EXIT_ENV = 3 };

int cmd_compare(int argc, char **argv);
int cmd_verify(int argc, char **argv); /* cli/verify.c */
int cmd_carve(int argc, char **argv);  /* cli/carve.c */


typedef struct {
  const char *model, *out, *target, *name, *tree_strategy, *rewrites;
  const char *tuning; /* --tuning FILE (cli/tune.c) */
  const char *vk_features; /* --vk-features (run_vulkan.c) */
  const char *emit, *machine; /* --emit obj: the llvm target's object for --target MACHINE */
  const char *opt_level;      /* --opt-level: the llvm pipeline (O3 when NULL) */
  const char *inputs[64];
  int ninputs;
  const char *shapes[64];
  int nshapes;
  const char *freezes[64];
  int nfreezes;
  bool dot, help, numbered;
  bool weights_separate, report; /* build: --weights-separate, --report */
  const char *depfile;           /* build: --depfile FILE */
  const char *max_memory;        /* --max-memory MIB: the memory budget of one build */
} Args;

static const char *const usage_main =
    "usage: mlgen <command> [options]\n\n"
    "commands:\n"
    "  build MODEL [-o DIR]          compile MODEL (.yaml or .onnx) into DIR (default: ./<name>)\n"
    "  run MODEL [--target {run}] [--input NAME=FILE ...] [-o DIR]\n"
    "                                run MODEL on inputs (.npy or ONNX .pb), one .npy per output in DIR;\n"
    "                                a bare --input FILE takes the next input in model order;\n"
    "                                --numbered names outputs output_0.npy, output_1.npy, ...\n"
    "  inspect MODEL [--dot]         print inputs, outputs, kernels and the memory plan\n"
    "  compare A B [--rtol R] [--atol A]\n"
    "                                compare two tensors (.npy/.pb); exit 0 when equal within tolerance\n"
    "  verify MODEL --target T --input NAME=FILE ... [--mode isolated|e2e|both] [--json] [--remote HOST:PORT]\n"
    "                                run MODEL on T kernel by kernel against the C target (docs/bring-up.md)\n"
    "  carve MODEL --input NAME=FILE ... -o DIR\n"
    "                                a standalone per-kernel test suite from a real run (ctest in DIR)\n"
    "  bench MODEL [--target c|llvm] [--runs N] [--warmup N] [--input NAME=FILE ...] [--json]\n"
    "                                compile for this machine, time the model: median/min/max latency, GFLOP/s\n"
    "  tune MODEL [-o FILE] [--runs N]\n"
    "                                measure schedule choices per kernel on this machine into FILE (tuning.json)\n\n"
    "common options:\n"
    "  --input-shape NAME=AxBxC      pin the shape of a model input (dynamic dims, batch size), or declare\n"
    "                                the shape of another tensor whose size a value given at run time decides;\n"
    "                                a sequence input: NAME=[AxB,C,...], an optional: its shape or NAME=none\n"
    "  --freeze NAME=FILE            make a model input a build-time constant (.npy or .pb)\n"
    "  --max-memory MIB              MiB the build may use (default 8192: MLGEN_LIMITS=memory_mib=N)\n"
    "  --name NAME                   symbol prefix for generated code (default: model name)\n"
    "  --tree-strategy S             tree ensembles as gemm, tree or perfect traversal (default: auto by depth)\n"
    "  --tuning FILE                 the schedule choices mlgen tune measured (build, bench, inspect, run)\n"
    "  --rewrite R,...               also apply these schedule rewrites to every loop they fit, after the\n"
    "                                chosen schedule (split reorder fuse unroll vectorize hoist stage expand tile)\n"
    "  --vk-features F               vulkan device features the kernels may use: none, all, or int64,float64\n"
    "                                (build default int64, run default all; docs/vulkan.md)\n"
    "  --help, --version\n\n"
    "targets (--backend for build, --target for run):\n{targets}\n"
    "limits on hostile input: MLGEN_LIMITS=name=N,... (nodes, unroll, tree_nodes, tree_depth, strings;\n"
    "  an error names the limit it hit; docs/security.md)\n"
    "exit codes: 0 ok, 1 model or input error, 2 usage error, 3 environment error (I/O, compiler)\n";

static const char *const usage_build =
    "usage: mlgen build MODEL [-o DIR] [--input-shape NAME=AxB] [--freeze NAME=FILE] [--name NAME]\n\n"
    "Compiles MODEL (.yaml, .yml or .onnx) into DIR (default ./<name>): <name>.h, <name>.c, manifest.json.\n"
    "The folder is written atomically: a failed build leaves no partial output and an existing DIR untouched.\n"
    "  --backend {build}     what to generate, a comma list (default: the YAML build.backends, else c):\n"
    "{backends}"
    "  --vk-features F        device features the Vulkan kernels may use: none, all, int64,float64 (default int64)\n"
    "  --weights-separate     c: the float weights as one blob <name>_weights.bin that the code checks and reads\n"
    "                         from caller memory (<name>_load_weights; docs/firmware.md)\n"
    "  --report               print the footprint (arena, weights, operations per kernel, predicted flash and RAM\n"
    "                         per target) and add it to manifest.json (docs/firmware.md)\n"
    "  --depfile FILE         write a Makefile-syntax depfile: DIR/manifest.json depends on the model, its\n"
    "                         weight files and mlgen (for CMake's DEPFILE and make's include)\n"
    "  --emit obj --target M  the llvm target: <name>.o for machine M (host, x86_64, aarch64, cortex-m4, cortex-m3,\n"
    "                         cortex-m0, riscv32, ... or an LLVM triple) and <name>.h (docs/llvm.md)\n"
    "  --opt-level L          llvm: the optimization pipeline, O3 (default), O2, O1, Os or Oz (smaller code)\n";
static const char *const usage_run =
    "usage: mlgen run MODEL [--target {run}] [--input [NAME=]FILE ...] -o DIR [--numbered]\n\n"
    "Runs MODEL on the given inputs (.npy or ONNX TensorProto .pb) and writes one .npy per output into DIR\n"
    "(string tensors: numpy unicode arrays '<U', or ONNX string_data). DIR is written atomically, as by\n"
    "build: a failed run leaves no partial output and an existing DIR untouched; a good one replaces it.\n"
    "{runners}"
    "  a bare FILE binds to the next model input in order; dynamic dims take the file's shape\n"
    "  --numbered        name outputs output_0.npy, output_1.npy, ... instead of by tensor name\n"
    "  outputs are named as C identifiers (y-1 -> y_1.npy); names that collide (y-1 and y.1, or\n"
    "  ones differing only in case) get _2, _3, ... in output order (y_1.npy, y_1_2.npy)\n";
static const char *const usage_inspect =
    "usage: mlgen inspect MODEL [--dot] [--input-shape NAME=AxB] [--freeze NAME=FILE]\n\n"
    "Prints inputs, outputs, the fused kernels with their source ops and schedules, and the arena plan;\n"
    "--dot prints the kernel graph for Graphviz instead.\n";

static int usage_err(const char *msg, const char *arg) {
  fprintf(stderr, "mlgen: %s%s%s\n(see mlgen --help)\n", msg, arg ? ": " : "", arg ? arg : "");
  return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, Args *a) {
  for (int i = 2; i < argc; i++) {
    const char *s = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                     \
  do {                                                              \
    if (!v) return usage_err("missing value after", s);             \
    i++;                                                            \
  } while (0)
    if (!strcmp(s, "-o") || !strcmp(s, "--output")) {
      NEEDV();
      a->out = v;
    } else if (!strcmp(s, "--target") || !strcmp(s, "--backend")) {
      NEEDV();
      a->target = v;
      if (!strcmp(s, "--target")) a->machine = v;
    } else if (!strcmp(s, "--emit")) {
      NEEDV();
      if (strcmp(v, "obj")) return usage_err("--emit takes obj (a native object through LLVM), not", v);
      a->emit = v;
    } else if (!strcmp(s, "--opt-level")) {
      NEEDV();
      if (strcmp(v, "O1") && strcmp(v, "O2") && strcmp(v, "O3") && strcmp(v, "Os") && strcmp(v, "Oz"))
        return usage_err("--opt-level takes O1, O2, O3, Os or Oz, not", v);
      a->opt_level = v;
    } else if (!strcmp(s, "--name")) {
      NEEDV();
      a->name = v;
    } else if (!strcmp(s, "--input")) {
      NEEDV();
      if (a->ninputs == 64) return usage_err("too many --input", NULL);
      a->inputs[a->ninputs++] = v;
    } else if (!strcmp(s, "--input-shape")) {
      NEEDV();
      if (a->nshapes == 64) return usage_err("too many --input-shape", NULL);
      a->shapes[a->nshapes++] = v;
    } else if (!strcmp(s, "--max-memory")) {
      NEEDV();
      char *end;
      unsigned long long mib = strtoull(v, &end, 10);
      if (*end || !mib || mib > (1ull << 40) || v[0] == '-') return usage_err("--max-memory takes a number of MiB", v);
      a->max_memory = v;
    } else if (!strcmp(s, "--freeze")) {
      NEEDV();
      if (a->nfreezes == 64) return usage_err("too many --freeze", NULL);
      a->freezes[a->nfreezes++] = v;
    } else if (!strcmp(s, "--tree-strategy")) {
      NEEDV();
      if (strcmp(v, "gemm") && strcmp(v, "tree") && strcmp(v, "perfect") && strcmp(v, "auto"))
        return usage_err("--tree-strategy takes gemm, tree, perfect or auto, not", v);
      a->tree_strategy = v;
    } else if (!strcmp(s, "--rewrite")) {
      NEEDV();
      a->rewrites = v;
    } else if (!strcmp(s, "--tuning")) {
      NEEDV();
      a->tuning = v;
    } else if (!strcmp(s, "--vk-features")) {
      NEEDV();
      a->vk_features = v;
    } else if (!strcmp(s, "--weights-separate")) {
      a->weights_separate = true;
    } else if (!strcmp(s, "--report")) {
      a->report = true;
    } else if (!strcmp(s, "--depfile")) {
      NEEDV();
      a->depfile = v;
    } else if (!strcmp(s, "--numbered")) {
      a->numbered = true;
    } else if (!strcmp(s, "--dot")) {
      a->dot = true;
    } else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
      a->help = true;
    } else if (s[0] == '-' && s[1]) {
      return usage_err("unknown option", s);
    } else if (!a->model) {
      a->model = s;
    } else {
      return usage_err("unexpected argument", s);
    }
#undef NEEDV
  }
  return 0;
}

/* The memory budget of one build (hostile models: docs/security.md):
 * --max-memory MIB, else the limit memory_mib ($MLGEN_LIMITS, 8 GiB). */
static Arena *cli_arena(const Args *a) {
  unsigned long long mib = a->max_memory ? strtoull(a->max_memory, NULL, 10) : (unsigned long long)mlg_limits.memory_mib;
  if (mib > (1ull << 40)) mib = 1ull << 40; /* a larger limit is no limit, and must not wrap */
  return arena_new_limited((size_t)(mib << 20));
}

static void print_diags(Diags *d, const Arena *a) {
  if (arena_over(a))
    fprintf(stderr, "mlgen: error: this build needed more than its memory budget of %zu MiB (raise it with "
                    "--max-memory MIB or MLGEN_LIMITS=memory_mib=MIB)\n", arena_limit(a) >> 20);
  if (d->text.len) fputs(d->text.s, stderr);
}

/* ----------------------------------------------------------- model loading */
static bool ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && !strcmp(s + n - m, suf);
}

static int load_tensor(Arena *a, const char *path, TensorData **t, Diags *d) {
  if (ends_with(path, ".pb")) return onnx_load_tensor(a, path, t, d);
  return npy_read(a, path, (Loc){0}, t, d);
}

static const char *base_name(Arena *a, const char *path) {
  const char *s = strrchr(path, '/');
  s = s ? s + 1 : path;
  char *r = arena_strdup(a, s);
  char *dot = strrchr(r, '.');
  if (dot && dot != r) *dot = 0;
  return c_ident(a, r);
}

/* appends a sequence/optional input's data to o (docs/c-api.md) */
static int add_seq(Arena *a, BuildOpts *o, const char *name, SeqData *sd, bool frozen) {
  for (int j = 0; j < o->nseq; j++)
    if (!strcmp(o->seq_name[j], name)) return 0; /* a --freeze wins over a run's --input */
  int n = o->nseq;
  const char **sn = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
  SeqData **sdv = arena_alloc(a, sizeof(SeqData *) * (size_t)(n + 1));
  bool *fr = arena_alloc(a, (size_t)(n + 1));
  if (!sn || !sdv || !fr) return EXIT_ENV;
  for (int j = 0; j < n; j++) sn[j] = o->seq_name[j], sdv[j] = o->seq_data[j], fr[j] = o->seq_frozen[j];
  sn[n] = name, sdv[n] = sd, fr[n] = frozen;
  o->seq_name = sn, o->seq_data = sdv, o->seq_frozen = fr, o->nseq = n + 1;
  return 0;
}

static const GTensor *graph_input(const Graph *g, const char *name, size_t len) {
  for (int k = 0; k < g->inputs.n; k++) {
    const GTensor *t = g->inputs.v[k];
    if (!strncmp(t->name, name, len) && !t->name[len]) return t;
  }
  return NULL;
}

/* a sequence or optional input's data file (.pb: SequenceProto or OptionalProto) */
static int load_seq(Arena *a, const GTensor *t, const char *file, SeqData **sd, Diags *d) {
  if (!ends_with(file, ".pb")) {
    diag_error(d, (Loc){.file = file}, "input '%s' is a%s: its data must be a .pb %s", t->name,
               t->kind == GK_SEQ ? " sequence" : "n optional", t->kind == GK_SEQ ? "SequenceProto" : "OptionalProto");
    return EXIT_MODEL;
  }
  return onnx_load_value(a, file, t->kind, sd, d) ? EXIT_MODEL : 0;
}

typedef struct {
  Graph *g;
  BuildOpts opts;
  const char *name;
  PtrVec backends; /* YAML build: {backends: [...]} */
  Loc *backend_loc;
} Loaded;

/* "x=1x3x224x224" */
static int parse_shape(const char *s, const char **name, int *rank, int64_t *dims, Arena *a) {
  const char *eq = strrchr(s, '=');
  if (!eq || eq == s) return -1;
  *name = arena_printf(a, "%.*s", (int)(eq - s), s);
  const char *p = eq + 1;
  *rank = 0;
  if (!*p || !strcmp(p, "scalar")) return 0;
  while (*p) {
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (end == p || v < 0 || errno || *rank == MAX_RANK) return -1;
    dims[(*rank)++] = v;
    p = end;
    if (*p == 'x' || *p == ',') p++;
    else if (*p) return -1;
  }
  return 0;
}

/* --input-shape of a sequence or optional input t: "[AxB,C]" (its tensors'
 * shapes, "[]" none; "scalar" a 0-d one), an optional tensor's "AxB", or
 * "none"; the dtype is the declared one. NULL: malformed. */
static SeqData *parse_seq_shapes(Arena *a, const GTensor *t, const char *p) {
  SeqData *sd = arena_alloc(a, sizeof *sd);
  if (!sd || t->dt == DT_UNDEF) return NULL;
  sd->kind = t->kind;
  if (!strcmp(p, "none")) {
    sd->none = true;
    return t->kind == GK_SEQ ? NULL : sd;
  }
  bool list = *p == '[';
  if (list == (t->kind == GK_OPT)) return NULL;
  size_t len = strlen(p);
  if (list && p[len - 1] != ']') return NULL;
  const char *q = list ? p + 1 : p, *end = list ? p + len - 1 : p + len;
  int cap = 1;
  for (const char *c = q; c < end; c++) cap += *c == ',';
  if (!(sd->t = arena_alloc(a, sizeof(TensorData *) * (size_t)(cap + 1)))) return NULL;
  while (q < end) {
    size_t n = strcspn(q, ",]");
    TensorData *td = arena_alloc(a, sizeof *td);
    const char *name;
    if (!td || parse_shape(arena_printf(a, "x=%.*s", (int)n, q), &name, &td->rank, td->dims, a)) return NULL;
    td->dt = t->dt;
    sd->t[sd->n++] = td;
    q += n + (q[n] == ',');
  }
  if (t->kind == GK_OPTSEQ) sd->kind = GK_OPTSEQ;
  return sd;
}

/* appends one input-shape pin to o (arrays grow by copying into the arena) */
static int add_pin(Arena *a, BuildOpts *o, const char *name, int rank, const int64_t *dims) {
  int n = o->nshape;
  const char **sn = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
  int *sr = arena_alloc(a, sizeof(int) * (size_t)(n + 1));
  int64_t(*sd)[MAX_RANK] = arena_alloc(a, sizeof(int64_t) * MAX_RANK * (size_t)(n + 1));
  if (!sn || !sr || !sd) return -1;
  for (int j = 0; j < n; j++) {
    sn[j] = o->shape_name[j];
    sr[j] = o->shape_rank[j];
    memcpy(sd[j], o->shape_dims[j], sizeof sd[j]);
  }
  sn[n] = name;
  sr[n] = rank;
  memset(sd[n], 0, sizeof sd[n]);
  memcpy(sd[n], dims, sizeof(int64_t) * (size_t)rank);
  o->nshape = n + 1;
  o->shape_name = sn;
  o->shape_rank = sr;
  o->shape_dims = sd;
  return 0;
}

static int load_model(Arena *a, const Args *args, Loaded *m, Diags *d) {
  const char *path = args->model;
  ModelSpec spec = {0};
  memset(m, 0, sizeof *m);
  if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
    if (yaml_load(a, path, &spec, d)) return EXIT_MODEL;
    m->name = spec.name;
    m->backends = spec.backends;
    m->backend_loc = spec.backend_loc;
    if (spec.g) {
      m->g = spec.g;
    } else {
      if (trees_load_any(a, spec.model, &m->g, d)) {
        diag_note(d, spec.model_loc, "the model named here");
        return EXIT_MODEL;
      }
      m->opts = spec.pins;
    }
    if (spec.tree_strategy && strcmp(spec.tree_strategy, "gemm") && strcmp(spec.tree_strategy, "tree") &&
        strcmp(spec.tree_strategy, "perfect") && strcmp(spec.tree_strategy, "auto")) {
      diag_error(d, spec.tree_strategy_loc, "tree_strategy must be gemm, tree, perfect or auto, not '%s'",
                 spec.tree_strategy);
      return EXIT_MODEL;
    }
    m->opts.tree_strategy = spec.tree_strategy;
  } else if (ends_with(path, ".onnx") || ends_with(path, ".json") || ends_with(path, ".txt")) {
    if (trees_load_any(a, path, &m->g, d)) return EXIT_MODEL;
    m->name = base_name(a, path);
  } else {
    diag_error(d, (Loc){.file = path}, "unknown model format (expected .yaml, .yml, .onnx, XGBoost .json or LightGBM .txt)");
    return EXIT_MODEL;
  }
  if (args->tree_strategy) m->opts.tree_strategy = args->tree_strategy;
  m->opts.rewrites = args->rewrites;
  if (args->tuning && tune_load(a, args->tuning, &m->opts.tune, &m->opts.ntune, d)) return EXIT_MODEL;
  if (args->name) m->name = c_ident(a, args->name);
  m->g->name = m->name;
  if (!m->g->file) m->g->file = path;
  /* CLI pins and freezes join the YAML wrapper's */
  for (int i = 0; i < args->nshapes; i++) {
    const char *name;
    int rank;
    int64_t dims[MAX_RANK];
    const char *eq = strrchr(args->shapes[i], '=');
    const GTensor *gt = eq ? graph_input(m->g, args->shapes[i], (size_t)(eq - args->shapes[i])) : NULL;
    if (gt && gt->kind != GK_TENSOR) { /* a sequence's or optional's element shapes */
      SeqData *sd = parse_seq_shapes(a, gt, eq + 1);
      if (!sd) {
        fprintf(stderr, "mlgen: bad --input-shape '%s' (%s '%s' of a declared dtype: NAME=[AxB,C,...]%s)\n",
                args->shapes[i], gt->kind == GK_SEQ ? "sequence" : "optional", gt->name,
                gt->kind == GK_SEQ ? "" : gt->kind == GK_OPT ? ", NAME=AxB or NAME=none" : " or NAME=none");
        return EXIT_USAGE;
      }
      int rc = add_seq(a, &m->opts, gt->name, sd, false);
      if (rc) return rc;
      continue;
    }
    if (parse_shape(args->shapes[i], &name, &rank, dims, a)) {
      fprintf(stderr, "mlgen: bad --input-shape '%s' (expected NAME=AxBxC)\n", args->shapes[i]);
      return EXIT_USAGE;
    }
    if (add_pin(a, &m->opts, name, rank, dims)) return EXIT_ENV;
  }
  m->opts.nfreeze = args->nfreezes;
  m->opts.freeze_name = arena_alloc(a, sizeof(char *) * (size_t)(args->nfreezes + 1));
  m->opts.freeze_data = arena_alloc(a, sizeof(TensorData *) * (size_t)(args->nfreezes + 1));
  if (!m->opts.freeze_name || !m->opts.freeze_data) return EXIT_ENV;
  for (int i = 0; i < args->nfreezes; i++) {
    const char *eq = strchr(args->freezes[i], '=');
    if (!eq || eq == args->freezes[i]) {
      fprintf(stderr, "mlgen: bad --freeze '%s' (expected NAME=FILE)\n", args->freezes[i]);
      return EXIT_USAGE;
    }
    m->opts.freeze_name[i] = arena_printf(a, "%.*s", (int)(eq - args->freezes[i]), args->freezes[i]);
    const GTensor *gt = graph_input(m->g, args->freezes[i], (size_t)(eq - args->freezes[i]));
    if (gt && gt->kind != GK_TENSOR) { /* a sequence or optional: constants of its data */
      SeqData *sd;
      int rc = load_seq(a, gt, eq + 1, &sd, d);
      if (rc || (rc = add_seq(a, &m->opts, gt->name, sd, true))) return rc;
      m->opts.freeze_data[i] = NULL;
      continue;
    }
    if (load_tensor(a, eq + 1, &m->opts.freeze_data[i], d)) return EXIT_MODEL;
  }
  /* frozen inputs leave the input list */
  for (int i = 0; i < m->g->inputs.n; i++) {
    GTensor *t = m->g->inputs.v[i];
    for (int k = 0; k < args->nfreezes; k++)
      if (!strcmp(t->name, m->opts.freeze_name[k]) && m->opts.freeze_data[k]) {
        TensorData *f = m->opts.freeze_data[k];
        GTensor *c = arena_alloc(a, sizeof *c);
        if (!c) return EXIT_ENV;
        *c = *t;
        c->init = f;
        c->dt = f->dt;
        vec_push(a, &m->g->inits, c);
        memmove(&m->g->inputs.v[i], &m->g->inputs.v[i + 1], sizeof(void *) * (size_t)(m->g->inputs.n - i - 1));
        m->g->inputs.n--;
        i--;
        break;
      }
  }
  for (int k = 0; k < args->nfreezes; k++) {
    bool found = false;
    for (int i = 0; i < m->g->inits.n; i++) found |= !strcmp(((GTensor *)m->g->inits.v[i])->name, m->opts.freeze_name[k]);
    found |= !m->opts.freeze_data[k]; /* a sequence or optional, bound by decompose */
    if (!found) {
      diag_error(d, (Loc){.file = path}, "--freeze %s: the model has no input of that name", m->opts.freeze_name[k]);
      return EXIT_MODEL;
    }
  }
  return 0;
}

/* mlgen run: dynamic input dims take the shapes of the files given for them */
static int pin_from_files(Arena *a, const Args *args, Loaded *m, Diags *d) {
  Graph *g = m->g;
  int next = 0;
  bool *has = arena_alloc(a, (size_t)g->inputs.n + 1);
  if (!has) return EXIT_ENV;
  for (int i = 0; i < args->ninputs; i++) {
    const char *s = args->inputs[i], *eq = strchr(s, '='), *file = s;
    int k = -1;
    if (eq)
      for (k = 0; k < g->inputs.n; k++)
        if (!strncmp(((GTensor *)g->inputs.v[k])->name, s, (size_t)(eq - s)) &&
            !((GTensor *)g->inputs.v[k])->name[eq - s])
          break;
    if (eq && k < g->inputs.n) file = eq + 1;
    else {
      while (next < g->inputs.n && has[next]) next++;
      k = next;
    }
    if (k >= g->inputs.n) break;
    has[k] = true;
    GTensor *t = g->inputs.v[k];
    if (t->kind != GK_TENSOR) { /* a sequence or optional: its length and shapes from the file */
      SeqData *sd;
      int rc = load_seq(a, t, file, &sd, d);
      if (rc || (rc = add_seq(a, &m->opts, t->name, sd, false))) return rc;
      continue;
    }
    bool dyn = t->rank < 0;
    for (int j = 0; j < t->rank; j++) dyn |= t->dims[j] < 0;
    bool pinned = false;
    for (int j = 0; j < m->opts.nshape; j++) pinned |= !strcmp(m->opts.shape_name[j], t->name);
    if (!dyn || pinned) continue;
    TensorData *td;
    if (load_tensor(a, file, &td, d)) return EXIT_MODEL;
    if (add_pin(a, &m->opts, t->name, td->rank, td->dims)) return EXIT_ENV;
  }
  return 0;
}

/* whether a target this command renders lacks f64 (--backend / --target,
 * else the YAML build.backends): then the build keeps its sums in f32
 * (BuildOpts.no_f64). run: a run's vulkan defaults to every device feature */
static bool lacks_f64(const Args *args, const Loaded *m, bool run) {
  if (!args->target) {
    for (int i = 0; i < m->backends.n; i++)
      if (target_lacks_f64(m->backends.v[i], args->vk_features, run)) return true;
    return false;
  }
  char name[64];
  for (const char *s = args->target; *s;) {
    size_t n = strcspn(s, ",");
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), s);
    if (target_lacks_f64(name, args->vk_features, run)) return true;
    s += n + (s[n] == ',');
  }
  return false;
}

static int compile(Arena *a, const Args *args, Program *p, Loaded *m, Diags *d, bool full, bool run) {
  int rc = load_model(a, args, m, d);
  if (rc) return rc;
  m->opts.no_f64 = lacks_f64(args, m, run);
  m->opts.no_graph_folds = !full; /* the interpreter (the oracle) runs the model as written */
  if (args->ninputs && (rc = pin_from_files(a, args, m, d))) return rc;
  p->a = a;
  if (full ? ir_compile(m->g, &m->opts, p, d) : ir_build_prims(m->g, &m->opts, p, d)) return EXIT_MODEL;
  return 0;
}

/* ---------------------------------------------------------------- build */
static void json_strn(Buf *b, const char *s, size_t n) {
  buf_puts(b, "\"");
  for (const char *e = s + n; s < e; s++) {
    if (*s == '"' || *s == '\\') buf_printf(b, "\\%c", *s);
    else if ((unsigned char)*s < 32) buf_printf(b, "\\u%04x", *s);
    else buf_printf(b, "%c", *s);
  }
  buf_puts(b, "\"");
}

static void json_str(Buf *b, const char *s) { json_strn(b, s, strlen(s)); }

static void hash_buf(const void *p, size_t n, char out[65]) {
  Sha256 s;
  sha256_init(&s);
  sha256_update(&s, p, n);
  sha256_hex(&s, out);
}

/* --report: the footprint as JSON (manifest.json's "footprint") */
static void footprint_json(Buf *m, const Footprint *f) {
  buf_printf(m, "  \"footprint\": {\n    \"model\": \"docs/firmware.md\",\n    \"arena_bytes\": %lld,\n"
                "    \"weights_bytes\": %lld,\n    \"flops\": %lld,\n    \"int_ops\": %lld,\n    \"features\": {",
             (long long)f->arena, (long long)f->weights, (long long)f->flops, (long long)f->int_ops);
  for (int j = 0; j < FP_NFEAT; j++) buf_printf(m, "%s\"%s\": %d", j ? ", " : "", fp_feat_name[j], f->feat[j]);
  buf_puts(m, "},\n    \"kernels\": [\n");
  for (int i = 0; i < f->nk; i++) {
    const FpKernel *k = &f->k[i];
    buf_printf(m, "      {\"name\": ");
    json_str(m, k->name);
    buf_puts(m, ", \"from\": ");
    json_str(m, k->origin ? k->origin : "");
    buf_printf(m, ", \"flops\": %lld, \"int_ops\": %lld, \"loads\": %lld, \"stores\": %lld, \"stack\": %lld}%s\n",
               (long long)k->flops, (long long)k->int_ops, (long long)k->loads, (long long)k->stores,
               (long long)k->stack, i + 1 < f->nk ? "," : "");
  }
  buf_puts(m, "    ],\n    \"targets\": [\n");
  for (int t = 0; t < FP_NTARGETS; t++) {
    const FpTarget *x = &f->t[t];
    buf_printf(m, "      {\"name\": \"%s\", \"compiler\": \"%s\", \"text\": %lld, \"rodata\": %lld, \"data\": %lld, "
                  "\"bss\": %lld, \"stack\": %lld, \"flash\": %lld, \"ram\": %lld}%s\n",
               x->name, x->how, (long long)x->text, (long long)x->rodata, (long long)x->data, (long long)x->bss,
               (long long)x->stack, (long long)x->flash, (long long)x->ram, t + 1 < FP_NTARGETS ? "," : "");
  }
  buf_puts(m, "    ]\n  },\n");
}

static void footprint_print(const Program *p, const Footprint *f) {
  printf("footprint of %s (the C target's objects; how it is predicted: docs/firmware.md)\n", p->name);
  printf("  arena %lld bytes, weights %lld bytes, %d kernels, %lld flops and %lld other element ops per run\n",
         (long long)f->arena, (long long)f->weights, f->nk, (long long)f->flops, (long long)f->int_ops);
  printf("  %-22s %12s %12s %10s %10s %8s  %s\n", "kernel", "flops", "int ops", "loads", "stores", "stack", "from");
  for (int i = 0; i < f->nk; i++) {
    const FpKernel *k = &f->k[i];
    printf("  %-22s %12lld %12lld %10lld %10lld %8lld  %s\n", k->name, (long long)k->flops, (long long)k->int_ops,
           (long long)k->loads, (long long)k->stores, (long long)k->stack, k->origin ? k->origin : "");
  }
  printf("  %-14s %8s %8s %6s %6s %7s %9s %9s  %s\n", "target", "text", "rodata", "data", "bss", "stack", "flash",
         "RAM", "(flash = text+rodata+data; RAM = data+bss+arena+stack)");
  for (int t = 0; t < FP_NTARGETS; t++) {
    const FpTarget *x = &f->t[t];
    printf("  %-14s %8lld %8lld %6lld %6lld %7lld %9lld %9lld  %s\n", x->name, (long long)x->text,
           (long long)x->rodata, (long long)x->data, (long long)x->bss, (long long)x->stack, (long long)x->flash,
           (long long)x->ram, x->how);
  }
}

/* built: bit i set when mlg_targets[i] wrote its files into o */
static int manifest(Program *p, const Args *args, Output *o, unsigned built, const Footprint *fp) {
  Buf m = {0};
  char h[65];
  buf_printf(&m, "{\n  \"mlgen\": \"%s\",\n  \"name\": ", MLG_VERSION);
  json_str(&m, p->name);
  /* files by base name and hash, never by path: the folder must not depend on
   * where the model lives or where mlgen ran (tests/e2e/reproducible.sh) */
  buf_puts(&m, ",\n  \"model\": {\"file\": ");
  json_str(&m, safe_base_name(p->a, args->model));
  if (sha256_file(args->model, h)) strcpy(h, "unreadable");
  buf_printf(&m, ", \"sha256\": \"%s\"},\n", h);
  Sha256 w;
  sha256_init(&w);
  for (int i = 0; i < p->values.n; i++) {
    Value *v = p->values.v[i];
    if (v->kind != VK_CONST || !v->cdata) continue;
    int64_t n = shape_numel(v->rank, v->shape);
    if (v->dt != DT_STRING) sha256_update(&w, v->cdata, (size_t)n * (size_t)dtype_info[v->dt].size);
    for (int64_t k = 0; v->dt == DT_STRING && k < n; k++) /* the text, not its address */
      sha256_update(&w, str_at(v->cdata, k), strlen(str_at(v->cdata, k)) + 1);
  }
  sha256_hex(&w, h);
  buf_printf(&m, "  \"constants_sha256\": \"%s\",\n  \"options\": {\"backends\": [", h);
  for (int i = 0, n = 0; i < mlg_ntargets; i++) /* registry order, whatever order --backend gave */
    if (built >> i & 1) buf_printf(&m, "%s\"%s\"", n++ ? ", " : "", mlg_targets[i].name);
  buf_puts(&m, "]");
  buf_puts(&m, ", \"input_shapes\": [");
  for (int i = 0; i < args->nshapes; i++) {
    buf_puts(&m, i ? ", " : "");
    json_str(&m, args->shapes[i]);
  }
  buf_puts(&m, "], \"freeze\": [");
  for (int i = 0; i < args->nfreezes; i++) { /* NAME=FILE, checked by load_model */
    const char *eq = strchr(args->freezes[i], '=');
    buf_printf(&m, "%s{\"name\": ", i ? ", " : "");
    json_strn(&m, args->freezes[i], (size_t)(eq - args->freezes[i]));
    buf_puts(&m, ", \"file\": ");
    json_str(&m, safe_base_name(p->a, eq + 1));
    if (sha256_file(eq + 1, h)) strcpy(h, "unreadable");
    buf_printf(&m, ", \"sha256\": \"%s\"}", h);
  }
  buf_printf(&m, "]%s},\n  \"arena_bytes\": %lld,\n  \"weights_bytes\": %lld,\n",
             args->weights_separate ? ", \"weights_separate\": true" : "", (long long)p->plan.arena_size,
             (long long)p->plan.weights_size);
  if (fp) footprint_json(&m, fp);
  buf_puts(&m, "  \"files\": [\n");
  for (int i = 0; i < o->n; i++) {
    hash_buf(o->f[i].text.s ? o->f[i].text.s : "", o->f[i].text.len, h);
    buf_puts(&m, "    {\"name\": ");
    json_str(&m, o->f[i].name);
    buf_printf(&m, ", \"sha256\": \"%s\"}%s\n", h, i + 1 < o->n ? "," : "");
  }
  buf_puts(&m, "  ]\n}\n");
  Buf *f = out_file(o, "manifest.json");
  if (!f || m.oom) {
    buf_free(&m);
    return -1;
  }
  *f = m;
  return 0;
}

/* --depfile: "DIR/manifest.json: IN..." in Makefile syntax (make, and
 * CMake's DEPFILE for Ninja and Makefiles): the folder depends on every
 * file the frontends opened (the model, its weight files, ONNX
 * external data, a wrapped tree model, --freeze tensors) and on mlgen
 * itself. The target is spelled as -o gave it (make matches a target by its
 * spelling; CMake passes absolute paths), inputs absolute; make's escapes
 * for space, '#', '\\' and '$'. */
static void dep_path(Buf *b, const char *path, bool resolve) {
  char *abs = resolve ? realpath(path, NULL) : NULL;
  buf_puts(b, " ");
  for (const char *s = abs ? abs : path; *s; s++) {
    if (*s == ' ' || *s == '#' || *s == '\\') buf_printf(b, "\\%c", *s);
    else if (*s == '$') buf_puts(b, "$$");
    else buf_printf(b, "%c", *s);
  }
  free(abs);
}

static int write_depfile(const char *depfile, const char *dir, const Output *o, const PtrVec *opened) {
  Buf b = {0};
  /* one target, the manifest every build writes (Ninja wants the edge's first
   * output, a declared one), spelled as -o gave it: make matches by spelling */
  Buf f = {0};
  buf_printf(&f, "%s/manifest.json", dir);
  dep_path(&b, f.s, false);
  buf_free(&f);
  (void)o;
  buf_puts(&b, ":");
  for (int i = 0; i < opened->n; i++) {
    bool dup = false;
    for (int j = 0; j < i; j++) dup |= !strcmp(opened->v[i], opened->v[j]);
    if (!dup) dep_path(&b, opened->v[i], true);
  }
  dep_path(&b, "/proc/self/exe", true);
  buf_puts(&b, "\n");
  int rc = b.oom ? -1 : cli_write_file(depfile, b.s + 1, b.len - 1);
  buf_free(&b);
  return rc;
}

static int cmd_build(const Args *args) {
  if (args->opt_level && !args->emit) return usage_err("--opt-level applies to --emit obj (the llvm target)", NULL);
  Arena *a = cli_arena(args);
  Diags d = {0};
  Program p = {0};
  Loaded m;
  Output o = {0};
  PtrVec opened = {0}; /* --depfile: what the frontends read */
  if (args->depfile) fe_track_opens(&opened, a);
  int rc = compile(a, args, &p, &m, &d, true, false);
  fe_track_opens(NULL, NULL);
  /* backends: --backend a,b (or --target), else the YAML build.backends, else c */
  PtrVec bs = {0};
  Loc *bloc = NULL;
  if (args->emit) { /* --emit obj --target MACHINE */
    vec_push(a, &bs, "llvm");
  } else if (args->target) {
    for (const char *s = args->target; *s;) {
      size_t n = strcspn(s, ",");
      vec_push(a, &bs, arena_printf(a, "%.*s", (int)n, s));
      s += n + (s[n] == ',');
    }
  } else if (!rc && m.backends.n) {
    bs = m.backends;
    bloc = m.backend_loc;
  } else {
    vec_push(a, &bs, "c");
  }
  bool has_c = false;
  for (int i = 0; i < bs.n; i++) has_c |= !strcmp(bs.v[i], "c");
  if (!rc && args->weights_separate && !has_c) {
    diag_error(&d, (Loc){.file = args->model}, "--weights-separate applies to the c backend, which this build does not write");
    rc = EXIT_MODEL;
  }
  unsigned built = 0; /* bit i: mlg_targets[i] */
  for (int i = 0; !rc && i < bs.n; i++) {
    const TargetInfo *t = target_find(bs.v[i]);
    if (!t || !t->build) {
      Buf names = {0};
      target_names(&names, TARGETS_BUILD, ", ");
      Loc at = bloc ? bloc[i] : (Loc){.file = args->model};
      if (t)
        diag_error(&d, at, "unsupported backend '%s' (it only runs models: mlgen run --target %s; the backends are: %s)",
                   t->name, t->name, names.s ? names.s : "");
      else
        diag_error(&d, at, "unsupported backend '%s' (the backends are: %s)", (const char *)bs.v[i],
                   names.s ? names.s : "");
      buf_free(&names);
      rc = EXIT_MODEL;
    } else if (t->build(&p, &(TargetOpts){.vk_features = args->vk_features, .weights_separate = args->weights_separate,
                                           .machine = args->emit ? args->machine : NULL,
                                           .opt_level = args->opt_level},
                        &o, &d)) {
      rc = EXIT_MODEL;
    } else {
      built |= 1u << (t - mlg_targets);
    }
  }
  Footprint fp;
  bool report = !rc && args->report;
  if (report && c_footprint(&p, args->weights_separate, &fp, &d)) rc = EXIT_ENV;
  if (!rc && manifest(&p, args, &o, built, report ? &fp : NULL)) rc = EXIT_ENV;
  if (!rc && report) footprint_print(&p, &fp);
  if (!rc) {
    char err[512];
    const char *dir = args->out ? args->out : p.name;
    if (args->depfile && write_depfile(args->depfile, dir, &o, &opened)) { /* first: a failure leaves no folder */
      fprintf(stderr, "mlgen: cannot write the depfile '%s': %s\n", args->depfile, strerror(errno));
      rc = EXIT_ENV;
    } else if (write_output_atomic(dir, &o, err, sizeof err)) {
      fprintf(stderr, "mlgen: %s\n", err);
      rc = EXIT_ENV;
    } else {
      fprintf(stderr, "mlgen: wrote %s/ (%d kernels, arena %lld bytes, weights %lld bytes)\n", dir, p.kernels.n,
              (long long)p.plan.arena_size, (long long)p.plan.weights_size);
    }
  }
  print_diags(&d, a);
  out_free(&o);
  diag_free(&d);
  arena_free(a);
  return rc;
}

/* ------------------------------------------------------------------ run */
static int mkdir_p(const char *dir) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s/", dir);
  for (char *s = tmp + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
    *s = '/';
  }
  return 0;
}

/* synth: an input without a file gets deterministic data (mlgen bench):
 * floats uniform in [-1, 1) from a fixed linear congruential sequence,
 * integers and bools zero (always a valid index or count) */
static int synth_input(Arena *a, const Value *v, void **buf, Diags *d, const char *model) {
  int64_t n = shape_numel(v->rank, v->shape);
  if (v->dt == DT_STRING) {
    diag_error(d, (Loc){.file = model}, "no data for string input '%s' (use --input %s=FILE)", v->name, v->name);
    return EXIT_MODEL;
  }
  unsigned char *b = arena_alloc(a, (size_t)(n ? n : 1) * (size_t)dtype_info[v->dt].size);
  if (!b) return EXIT_ENV;
  uint32_t x = 12345u;
  for (int64_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    double r = (double)(x >> 8) / 8388608.0 - 1.0; /* [-1, 1) */
    if (v->dt == DT_F32) ((float *)b)[i] = (float)r;
    else if (v->dt == DT_F64) ((double *)b)[i] = r;
    else if (v->dt == DT_F16 || v->dt == DT_BF16) ((uint16_t *)b)[i] = 0; /* +0 */
  }
  *buf = b;
  return 0;
}

/* binds the tensors of sequence/optional input t's file to their program
 * inputs (t.0, t.1, ... or, for an optional tensor, t) */
static int bind_seq(Arena *a, Program *p, const GTensor *t, const char *file, void **bufs, Diags *d) {
  SeqData *sd;
  if (load_seq(a, t, file, &sd, d)) return EXIT_MODEL;
  for (int j = 0; j < sd->n; j++) {
    const char *name = sd->kind == GK_OPT ? t->name : arena_printf(a, "%s.%d", t->name, j);
    int k = 0;
    while (k < p->inputs.n && strcmp(((Value *)p->inputs.v[k])->name, name)) k++;
    if (k == p->inputs.n) continue; /* frozen */
    Value *v = p->inputs.v[k];
    const TensorData *td = sd->t[j];
    bool ok = td->dt == v->dt && td->rank == v->rank;
    for (int r = 0; ok && r < v->rank; r++) ok = td->dims[r] == v->shape[r];
    if (!ok) {
      diag_error(d, (Loc){.file = file}, "input '%s' must be %s %s, the file holds %s %s", name, dtype_info[v->dt].name,
                 shape_str(a, v->rank, v->shape), dtype_info[td->dt].name, shape_str(a, td->rank, td->dims));
      return EXIT_MODEL;
    }
    bufs[k] = (void *)td->data;
  }
  return 0;
}

static int bind_inputs(Arena *a, const Args *args, Program *p, const Graph *g, void **bufs, Diags *d, bool synth) {
  int next = 0;
  bool *gdone = g ? arena_alloc(a, (size_t)g->inputs.n + 1) : NULL, seqs = false;
  for (int j = 0; g && j < g->inputs.n; j++) seqs |= ((GTensor *)g->inputs.v[j])->kind != GK_TENSOR;
  for (int i = 0; i < args->ninputs; i++) {
    const char *s = args->inputs[i], *eq = strchr(s, '=');
    const char *name = NULL, *file = s;
    int k = -1;
    /* with sequence or optional inputs, files go to graph inputs (in model
     * order, as the bare files go); a sequence's file fills its tensors */
    if (seqs && gdone) {
      int gk = -1;
      if (eq)
        for (gk = 0; gk < g->inputs.n; gk++)
          if (!strncmp(((GTensor *)g->inputs.v[gk])->name, s, (size_t)(eq - s)) && !((GTensor *)g->inputs.v[gk])->name[eq - s])
            break;
      if (eq && gk < g->inputs.n) file = eq + 1;
      else
        for (gk = 0; gk < g->inputs.n && gdone[gk];) gk++;
      if (gk < g->inputs.n) {
        gdone[gk] = true;
        const GTensor *t = g->inputs.v[gk];
        if (t->kind != GK_TENSOR) {
          int rc = bind_seq(a, p, t, file, bufs, d);
          if (rc) return rc;
          continue;
        }
        k = 0; /* a tensor: its program input by name */
        while (k < p->inputs.n && strcmp(((Value *)p->inputs.v[k])->name, t->name)) k++;
        if (k == p->inputs.n) k = -1;
        else name = t->name;
      }
    }
    if (k < 0 && eq) { /* NAME=FILE, when NAME is an input of the model */
      name = arena_printf(a, "%.*s", (int)(eq - s), s);
      for (k = 0; k < p->inputs.n; k++)
        if (!strcmp(((Value *)p->inputs.v[k])->name, name)) break;
      if (k < p->inputs.n) file = eq + 1;
      else k = -1;
    }
    if (k < 0) { /* a bare FILE takes the next input without data, in model order */
      while (next < p->inputs.n && bufs[next]) next++;
      if (next == p->inputs.n) {
        diag_error(d, (Loc){.file = args->model}, "--input %s: %s", s,
                   eq ? "the model has no input of that name" : "more files than model inputs");
        return EXIT_MODEL;
      }
      k = next;
      name = ((Value *)p->inputs.v[k])->name;
    }
    TensorData *t;
    if (load_tensor(a, file, &t, d)) return EXIT_MODEL;
    Value *v = p->inputs.v[k];
    /* an ONNX-only type (float8, int4, ...): the file holds that type in
     * ONNX's bytes, which are the input's storage; a float8 input may also
     * be a .npy of its bits (u1) */
    DType want = v->io_dt ? v->io_dt : v->dt;
    int rank = v->io_dt ? v->io_rank : v->rank;
    const int64_t *dims = v->io_dt ? v->io_shape : v->shape;
    bool shape_ok = t->rank == rank;
    for (int j = 0; shape_ok && j < rank; j++) shape_ok = t->dims[j] == dims[j];
    bool bits_ok = v->io_dt && dtype_info[v->io_dt].bits == 8 && t->dt == v->dt;
    if ((t->dt != want && !bits_ok) || !shape_ok) {
      diag_error(d, (Loc){.file = file}, "input '%s' must be %s %s, the file holds %s %s", name,
                 dtype_info[want].name, shape_str(a, rank, dims), dtype_info[t->dt].name,
                 shape_str(a, t->rank, t->dims));
      for (int j = 0; g && j < g->inputs.n; j++) { /* point at the declaration too */
        const GTensor *gt = g->inputs.v[j];
        if (!strcmp(gt->name, name) && gt->loc.file) diag_note(d, gt->loc, "input '%s' is declared here", name);
      }
      return EXIT_MODEL;
    }
    bufs[k] = (void *)t->data;
  }
  for (int k = 0; k < p->inputs.n; k++)
    if (!bufs[k] && synth) {
      int rc = synth_input(a, p->inputs.v[k], &bufs[k], d, args->model);
      if (rc) return rc;
    } else if (!bufs[k]) {
      diag_error(d, (Loc){.file = args->model}, "no data for input '%s' (use --input %s=FILE)",
                 ((Value *)p->inputs.v[k])->name, ((Value *)p->inputs.v[k])->name);
      return EXIT_MODEL;
    }
  return 0;
}

/* The outputs as .npy files in a new folder beside dir, renamed to dir when
 * all are written (as build does): a failed run leaves dir as it was. */
static int write_outputs(Arena *a, const char *out, Program *p, void **outs, bool numbered) {
  char err[256];
  size_t n = strlen(out);
  while (n > 1 && out[n - 1] == '/') n--;
  out = arena_printf(a, "%.*s", (int)n, out);
  const char *slash = out ? strrchr(out, '/') : NULL;
  if (!out) return EXIT_ENV;
  if (slash && slash > out && mkdir_p(arena_printf(a, "%.*s", (int)(slash - out), out))) {
    fprintf(stderr, "mlgen: cannot create the folders of '%s': %s\n", out, strerror(errno));
    return EXIT_ENV;
  }
  char *dir = out_tmp_dir(out, err, sizeof err);
  if (!dir) {
    fprintf(stderr, "mlgen: %s\n", err);
    return EXIT_ENV;
  }
  int rc = EXIT_ENV;
  const char **names = arena_alloc(a, sizeof *names * (size_t)(p->outputs.n + 1));
  if (!names) goto fail;
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    /* tensor names as C identifiers (y-1 and y.1 are both y_1), made unique
     * in output order by _2, _3, ... (ignoring case, for case-blind file systems) */
    const char *base = c_ident(a, p->out_names.v[i]), *name = base;
    for (int k = 2, j = 0; j < i; j++)
      if (!strcasecmp(names[j], name)) name = arena_printf(a, "%s_%d", base, k++), j = -1;
    names[i] = name;
    const char *path = numbered ? arena_printf(a, "%s/output_%d.npy", dir, i) : arena_printf(a, "%s/%s.npy", dir, name);
    /* a sequence's element j of graph output k: output_<k>_<j>.npy (docs/c-api.md) */
    for (int k = 0; numbered && k < p->ngout; k++) {
      const struct GOut *go = &p->gout[k];
      if (i >= go->first && i < go->first + go->n)
        path = go->kind == GK_SEQ || go->kind == GK_OPTSEQ
                   ? arena_printf(a, "%s/output_%d_%d.npy", dir, k, i - go->first)
                   : arena_printf(a, "%s/output_%d.npy", dir, k);
    }
    /* bf16 and float8 outputs as their bits (u2, u1), 4- and 2-bit ones
     * unpacked, one value (or float4 code) a byte: onnx_check compares them
     * with ONNX's types */
    DType fdt = v->dt == DT_BF16 ? DT_U16 : v->io_dt ? dtype_storage(v->io_dt) : v->dt;
    const void *data = outs[i];
    if (v->io_dt && dtype_info[v->io_dt].bits < 8) {
      int64_t ne = shape_numel(v->io_rank, v->io_shape);
      int8_t *u = arena_alloc(a, (size_t)(ne ? ne : 1));
      if (!u) goto fail;
      for (int64_t j = 0; j < ne; j++) u[j] = (int8_t)packed_get(v->io_dt, outs[i], j);
      data = u;
    }
    if (npy_write(path, fdt, v->io_dt ? v->io_rank : v->rank, v->io_dt ? v->io_shape : v->shape, data, err,
                  sizeof err)) {
      fprintf(stderr, "mlgen: %s\n", err);
      goto fail;
    }
  }
  /* and beside them, for each sequence output its length (output_<k>.seq),
   * for each optional without a value output_<k>.none */
  for (int k = 0; k < p->ngout; k++) {
    const struct GOut *go = &p->gout[k];
    bool seq = go->kind == GK_SEQ || (go->kind == GK_OPTSEQ && !go->none);
    if (!seq && !go->none) continue;
    const char *base = numbered ? arena_printf(a, "output_%d", k) : NULL;
    if (!base) { /* the graph output's name: that of its first tensor, less ".0" */
      base = go->n ? c_ident(a, p->out_names.v[go->first]) : arena_printf(a, "output_%d", k);
      size_t bl = strlen(base);
      if (go->n && bl > 2 && !strcmp(base + bl - 2, "_0")) base = arena_printf(a, "%.*s", (int)(bl - 2), base);
    }
    const char *path = arena_printf(a, "%s/%s.%s", dir, base, seq ? "seq" : "none");
    FILE *f = fopen(path, "w");
    bool bad = !f || (seq && fprintf(f, "%d\n", go->n) < 0);
    if ((f && fclose(f)) || bad) {
      fprintf(stderr, "mlgen: cannot write %s: %s\n", path, strerror(errno));
      goto fail;
    }
  }
  if (out_commit(dir, out, err, sizeof err)) fprintf(stderr, "mlgen: %s\n", err);
  else rc = 0;
  free(dir);
  return rc;
fail:
  remove_tree(dir);
  free(dir);
  return rc;
}


/* A string tensor in the driver's form: each string and its NUL. */
static int write_strings(const char *path, const void *slots, int64_t n) {
  size_t len = 0, k = 0;
  for (int64_t i = 0; i < n; i++) len += strlen(str_at(slots, i)) + 1;
  char *blob = malloc(len ? len : 1);
  if (!blob) return -1;
  for (int64_t i = 0; i < n; i++) {
    size_t m = strlen(str_at(slots, i)) + 1;
    memcpy(blob + k, str_at(slots, i), m);
    k += m;
  }
  int rc = cli_write_file(path, blob, len);
  free(blob);
  return rc;
}

/* ... and back: n strings that fill the file exactly, kept in the arena. */
static int read_strings(Arena *a, const char *path, void *slots, int64_t n) {
  size_t len = 0, k = 0;
  char *blob = cli_slurp(a, path, &len);
  for (int64_t i = 0; blob && i < n; i++) {
    if (k >= len) return -1;
    str_put(slots, i, blob + k);
    k += strlen(blob + k) + 1;
  }
  return blob && k == len ? 0 : -1;
}

static int run_c(Arena *a, const Args *args, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d) {
  Output o = {0};
  bool obj = !strcmp(t->name, "llvm"); /* the object for this machine, linked with the driver */
  if (t->build(p, &(TargetOpts){.for_run = true, .machine = "host"}, &o, d)) return EXIT_MODEL;
  char tmpl[] = "/tmp/mlgen-run-XXXXXX";
  char *dir = mkdtemp(tmpl);
  int rc = EXIT_ENV;
  if (!dir) {
    fprintf(stderr, "mlgen: cannot create a temporary folder: %s\n", strerror(errno));
    out_free(&o);
    return EXIT_ENV;
  }
  const char *N = p->name;
  char *NM = arena_strdup(a, N);
  for (char *c = NM; *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
  Buf drv = {0};
  const char *kv[] = {"name", N, "NAME", NM, NULL};
  if (tmpl_expand(&drv, "run_c_driver.c", kv, d)) { /* internal error, reported */
    remove_tree(dir);
    out_free(&o);
    return EXIT_MODEL;
  }
  Buf *df = out_file(&o, "driver.c");
  if (!df) goto done;
  *df = drv;
  for (int i = 0; i < o.n; i++) {
    const char *path = arena_printf(a, "%s/%s", dir, o.f[i].name);
    if (cli_write_file(path, o.f[i].text.s, o.f[i].text.len)) goto done;
  }
  Buf cmd = {0};
  const char *cc = cli_cc();
  const char *cflags = cli_cflags("-O2");
  if (obj)
    buf_printf(&cmd, "%s -std=c99 %s -o %s/run %s/driver.c %s/%s.o -lm", cc, cflags, dir, dir, dir, N);
  else
    buf_printf(&cmd, "%s -std=c99 %s -o %s/run %s/driver.c %s/%s.c %s/%s_weights.c -lm", cc, cflags, dir, dir, dir, N,
               dir, N);
  int st = system(cmd.s);
  buf_free(&cmd);
  if (st) {
    fprintf(stderr, "mlgen: the C compiler failed on the generated %s (kept in %s)\n", obj ? "object" : "code", dir);
    out_free(&o);
    return EXIT_ENV;
  }
  Buf run = {0};
  const char *runner = getenv("MLGEN_RUNNER") ? getenv("MLGEN_RUNNER") : "";
  buf_printf(&run, "%s %s/run", runner, dir);
  for (int i = 0; i < p->inputs.n; i++) {
    Value *v = p->inputs.v[i];
    const char *path = arena_printf(a, "%s/in%d.bin", dir, i);
    int64_t n = shape_numel(v->rank, v->shape);
    if (v->dt == DT_STRING ? write_strings(path, ins[i], n)
                           : cli_write_file(path, ins[i], (size_t)n * (size_t)dtype_info[v->dt].size))
      goto done;
    buf_printf(&run, " %s", path);
  }
  for (int i = 0; i < p->outputs.n; i++) buf_printf(&run, " %s/out%d.bin", dir, i);
  st = system(run.s);
  buf_free(&run);
  if (st && WIFEXITED(st) && WEXITSTATUS(st) == 96 && p->checks.n) { /* the model's own status, not a failure */
    remove_tree(dir);
    out_free(&o);
    return cli_checks_failed(p, d);
  }
  if (st) {
    fprintf(stderr, "mlgen: the generated program failed (status %d; files kept in %s)\n",
            WIFEXITED(st) ? WEXITSTATUS(st) : -1, dir);
    out_free(&o);
    return EXIT_ENV;
  }
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    const char *path = arena_printf(a, "%s/out%d.bin", dir, i);
    int64_t n = shape_numel(v->rank, v->shape);
    if (v->dt == DT_STRING ? read_strings(a, path, outs[i], n)
                           : cli_read_file(path, outs[i], (size_t)n * (size_t)dtype_info[v->dt].size))
      goto done;
  }
  rc = 0;
done:
  if (rc) fprintf(stderr, "mlgen: I/O error in %s\n", dir);
  else remove_tree(dir);
  out_free(&o);
  (void)args;
  return rc;
}

static int run_interp(Arena *a, const Args *args, const TargetInfo *t, Program *p, void **ins, void **outs,
                      Diags *d) {
  (void)a, (void)args, (void)t;
  return interp_run(p, (const void *const *)ins, outs, d) ? EXIT_MODEL : 0;
}

static int run_vulkan(Arena *a, const Args *args, const TargetInfo *t, Program *p, void **ins, void **outs,
                      Diags *d) {
  return vk_run(a, t, p, args->vk_features, ins, outs, d);
}

static int run_webgpu(Arena *a, const Args *args, const TargetInfo *t, Program *p, void **ins, void **outs,
                      Diags *d) {
  (void)args;
  return wgpu_run(a, t, p, ins, outs, d);
}

static int run_metal(Arena *a, const Args *args, const TargetInfo *t, Program *p, void **ins, void **outs,
                     Diags *d) {
  (void)args;
  return metal_run(a, t, p, ins, outs, d);
}

/* How `mlgen run` runs the registry's runnable targets (codegen/targets.c),
 * and what --help says about it. */
typedef int Runner(Arena *a, const Args *args, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d);
static const struct {
  const char *target;
  Runner *run;
  const char *how;
} runners[] = {
    {"interp", run_interp, "the reference interpreter (double precision; default)\n"},
    {"c", run_c,
     "build, compile the generated C with $MLGEN_CC/$CC ($MLGEN_CFLAGS, default -O2) and run it\n"
     "                    (under $MLGEN_RUNNER if set, e.g. \"valgrind -q\")\n"},
    {"llvm", run_c,
     "build the object for this machine through LLVM (O3), link it with a driver by $MLGEN_CC/$CC\n"
     "                    and run it (as c)\n"},
    {"vulkan", run_vulkan,
     "build SPIR-V, compile a host driver against the Vulkan loader and run it with the\n"
     "                    validation layer (any message fails; MLGEN_VK_VALIDATION=0 turns it off)\n"},
    {"webgpu", run_webgpu,
     "build WGSL and run it with $MLGEN_NODE (default node) on Dawn, the npm package webgpu in\n"
     "                    $MLGEN_NODE_MODULES (backend $MLGEN_WEBGPU_BACKEND, default opengles)\n"},
    {"metal", run_metal,
     "build MSL and run the kernels on the CPU through mlgen's shim in $MLGEN_METAL_SHIM\n"
     "                    (tests/metal/shim; compiled with $MLGEN_CXX, default c++): no Metal compiler here\n"},
};

static int runner_of(const TargetInfo *t) {
  for (int i = 0; t && i < (int)(sizeof runners / sizeof runners[0]); i++)
    if (!strcmp(runners[i].target, t->name)) return i;
  return -1;
}

/* A usage text with its target lists filled in from the registry:
 * {run} interp|c|vulkan, {build} c,vulkan, {targets} a line per target,
 * {backends} a line per buildable one, {runners} the --target lines of run. */
static void print_usage(FILE *f, const char *text) {
  Buf b = {0};
  for (const char *s = text; *s;) {
    size_t n = strcspn(s, "{");
    buf_printf(&b, "%.*s", (int)n, s);
    s += n;
    if (!*s) break;
    const char *key = s + 1;
    size_t k = strcspn(key, "}");
#define IS(w) (k == sizeof w - 1 && !strncmp(key, w, k))
    if (IS("run")) target_names(&b, TARGETS_RUN, "|");
    else if (IS("build")) target_names(&b, TARGETS_BUILD, ",");
    for (int i = 0; i < mlg_ntargets; i++) {
      const TargetInfo *t = &mlg_targets[i];
      int r = runner_of(t);
      if (IS("targets")) buf_printf(&b, "  %-8s %s\n", t->name, t->desc);
      else if (IS("backends") && t->build) buf_printf(&b, "                           %-8s %s\n", t->name, t->desc);
      else if (IS("runners") && t->runnable && r >= 0) buf_printf(&b, "  --target %-9s%s", t->name, runners[r].how);
    }
#undef IS
    s = key[k] ? key + k + 1 : key + k;
  }
  fputs(b.s ? b.s : "", f);
  buf_free(&b);
}

static int cmd_run(const Args *args) {
  const TargetInfo *t = target_find(args->target ? args->target : "interp");
  if (!t || !t->runnable || runner_of(t) < 0) {
    Buf names = {0};
    target_names(&names, TARGETS_RUN, ", ");
    fprintf(stderr, "mlgen: %s target '%s' (mlgen run takes: %s)\n", t ? "cannot run on" : "unknown", args->target,
            names.s ? names.s : "");
    buf_free(&names);
    return EXIT_USAGE;
  }
  if (!args->out) return usage_err("run needs -o DIR for the outputs", NULL);
  Arena *a = cli_arena(args);
  Diags d = {0};
  Program p = {0};
  Loaded m;
  int rc = compile(a, args, &p, &m, &d, t->build != NULL, true); /* the interpreter runs the primitives */
  for (int i = 0; !rc && i < p.outputs.n; i++)
    if (!dtype_info[((Value *)p.outputs.v[i])->dt].npy[0] && ((Value *)p.outputs.v[i])->dt != DT_STRING &&
        ((Value *)p.outputs.v[i])->dt != DT_BF16) {
      diag_error(&d, (Loc){.file = args->model}, "unsupported: output '%s' is %s, which a .npy file cannot hold",
                 (const char *)p.out_names.v[i], dtype_info[((Value *)p.outputs.v[i])->dt].name);
      rc = EXIT_MODEL;
    }
  void **ins = NULL, **outs = NULL;
  if (!rc) {
    ins = arena_alloc(a, sizeof(void *) * (size_t)(p.inputs.n + 1));
    outs = arena_alloc(a, sizeof(void *) * (size_t)(p.outputs.n + 1));
    if (!ins || !outs) rc = EXIT_ENV;
  }
  if (!rc) rc = bind_inputs(a, args, &p, m.g, ins, &d, false);
  for (int i = 0; !rc && i < p.outputs.n; i++) {
    Value *v = p.outputs.v[i];
    outs[i] = arena_alloc(a, (size_t)(shape_numel(v->rank, v->shape) + 1) * (size_t)dtype_info[v->dt].size);
    if (!outs[i]) rc = EXIT_ENV;
  }
  if (!rc) {
    rc = runners[runner_of(t)].run(a, args, t, &p, ins, outs, &d);
  }
  if (!rc) rc = write_outputs(a, args->out, &p, outs, args->numbered);
  print_diags(&d, a);
  diag_free(&d);
  arena_free(a);
  return rc;
}

/* ------------------------------------------- bring-up (cli/verify.c, carve.c) */
int cli_run_target(Arena *a, const char *target, Program *p, void **ins, void **outs, Diags *d) {
  static const Args none = {0};
  const TargetInfo *t = target_find(target);
  int r = runner_of(t);
  if (r < 0) {
    fprintf(stderr, "mlgen: cannot run on target '%s'\n", target);
    return EXIT_USAGE;
  }
  return runners[r].run(a, &none, t, p, ins, outs, d);
}

int cli_load(int argc, char **argv, CliModel *cm) { return cli_load_synth(argc, argv, cm, false); }

int cli_load_synth(int argc, char **argv, CliModel *cm, bool synth) {
  static Args args; /* its strings point into argv, which outlives the command */
  memset(&args, 0, sizeof args);
  memset(cm, 0, sizeof *cm);
  int rc = parse_args(argc, argv, &args);
  if (rc) return rc;
  if (!args.model) return usage_err("missing MODEL", NULL);
  cm->model = args.model;
  cm->target = args.target;
  cm->out = args.out;
  if (!(cm->a = cli_arena(&args))) return EXIT_ENV;
  Loaded m;
  rc = compile(cm->a, &args, &cm->p, &m, &cm->d, true, true);
  if (!rc && !(cm->ins = arena_alloc(cm->a, sizeof(void *) * (size_t)(cm->p.inputs.n + 1)))) rc = EXIT_ENV;
  if (!rc) rc = bind_inputs(cm->a, &args, &cm->p, m.g, cm->ins, &cm->d, synth);
  print_diags(&cm->d, cm->a);
  diag_free(&cm->d);
  return rc;
}

/* -------------------------------------------------------------- inspect */
static const char *vdesc(Arena *a, const Value *v) {
  return arena_printf(a, "%s %s", dtype_info[v->dt].name, shape_str(a, v->rank, v->shape));
}

/* Model text as inspect prints it: a control byte or DEL as \xNN (keep_nl:
 * except newline, for the multi-line rewrite log), other bytes (UTF-8) as
 * they are. For --dot (dot), a string of the DOT language: '"' and '\' with
 * a backslash, and the control bytes' backslash too, so they show as \xNN. */
static const char *show(Arena *a, const char *s, bool dot, bool keep_nl) {
  Buf b = {0};
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (dot && (*c == '"' || *c == '\\')) buf_printf(&b, "\\%c", *c);
    else if ((*c < 32 && !(keep_nl && *c == '\n')) || *c == 127) buf_printf(&b, "%s\\x%02x", dot ? "\\" : "", *c);
    else buf_printf(&b, "%c", *c);
  }
  return buf_take(a, &b, NULL);
}

static int cmd_inspect(const Args *args) {
  Arena *a = cli_arena(args);
  Diags d = {0};
  Program p = {0};
  Loaded m;
  int rc = compile(a, args, &p, &m, &d, true, false);
  /* nothing is generated from p past here: its names and origins become the
   * text printed (they reach the loop nests through nest_print too) */
  for (int i = 0; !rc && i < p.values.n; i++) {
    Value *v = p.values.v[i];
    if (v->name) v->name = show(a, v->name, args->dot, false);
  }
  for (int i = 0; !rc && i < p.outputs.n; i++) p.out_names.v[i] = (void *)show(a, p.out_names.v[i], args->dot, false);
  for (int i = 0; !rc && i < p.kernels.n; i++) {
    Kernel *k = p.kernels.v[i];
    k->origin = show(a, k->origin, args->dot, false);
    k->where = show(a, k->where, args->dot, false);
    if (k->nest && k->nest->log) k->nest->log = show(a, k->nest->log, false, true);
  }
  if (!rc && args->dot) {
    printf("digraph %s {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n", p.name);
    for (int i = 0; i < p.inputs.n; i++) {
      Value *v = p.inputs.v[i];
      printf("  v%d [label=\"input %s\\n%s\", shape=ellipse];\n", v->id, v->name, vdesc(a, v));
    }
    for (int i = 0; i < p.kernels.n; i++) {
      Kernel *k = p.kernels.v[i];
      printf("  v%d [label=\"%s\\n%s\\n%s\"];\n", k->out->id, k->name, k->origin, vdesc(a, k->out));
    }
    for (int i = 0; i < p.kernels.n; i++) {
      Kernel *k = p.kernels.v[i];
      for (int j = 0; j < p.values.n; j++) {
        Value *v = p.values.v[j];
        if (v->kind == VK_CONST) continue;
        if (kernel_count_loads(k, v))
          printf("  v%d -> v%d [label=\"%s\"];\n", v->id, k->out->id, v->name);
      }
    }
    printf("}\n");
  } else if (!rc) {
    printf("model %s (%s)\n", p.name, show(a, args->model, false, false));
    for (int i = 0; i < p.inputs.n; i++) printf("  input  %-16s %s\n", ((Value *)p.inputs.v[i])->name, vdesc(a, p.inputs.v[i]));
    for (int i = 0; i < p.outputs.n; i++)
      printf("  output %-16s %s\n", (const char *)p.out_names.v[i], vdesc(a, p.outputs.v[i]));
    int live = 0, consts = 0;
    for (int i = 0; i < p.nodes.n; i++) live += !((PNode *)p.nodes.v[i])->dead;
    for (int i = 0; i < p.values.n; i++) consts += ((Value *)p.values.v[i])->kind == VK_CONST;
    printf("primitives: %d live after folding; constants: %d\n", live, consts);
    printf("kernels: %d\n", p.kernels.n);
    for (int i = 0; i < p.kernels.n; i++) {
      Kernel *k = p.kernels.v[i];
      const char *where = k->out->out_index >= 0 ? arena_printf(a, "output #%d", k->out->out_index)
                                                 : arena_printf(a, "arena@%lld", (long long)k->out->offset);
      printf("  %-20s %-14s %-12s", k->name, vdesc(a, k->out), where);
      if (k->nred) printf(" %s over %s", op_name[k->rop], shape_str(a, k->nred, k->rshape));
      printf("\n      from: %s%s%s\n      schedule: %s\n", k->origin, *k->where ? "  at " : "", k->where,
             k->sched.why ? k->sched.why : "-");
      if (k->nest) { /* the loop tree after scheduling (ir/nest.c) */
        Buf t = {0};
        if (k->nest->log) printf("      rewrites:\n        %s\n", k->nest->log);
        nest_print(&t, k->nest, 4);
        printf("      loops:\n%s", t.s ? t.s : "");
        buf_free(&t);
      }
      if (k->nlets) printf("      values in registers: %d (producers fused as kernel temporaries)\n", k->nlets);
    }
    printf("arena: %lld bytes (align %lld) for %d temporaries\n", (long long)p.plan.arena_size,
           (long long)p.plan.arena_align, p.plan.ntemps);
    if (p.plan.arena_bound > 0) /* no plan fits in less: what is live at the busiest kernel */
      printf("arena lower bound: %lld bytes (the most temporaries live at one kernel); arena / bound = %.3f\n",
             (long long)p.plan.arena_bound, (double)p.plan.arena_size / (double)p.plan.arena_bound);
  }
  print_diags(&d, a);
  diag_free(&d);
  arena_free(a);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    print_usage(argc < 2 ? stderr : stdout, usage_main);
    return argc < 2 ? EXIT_USAGE : 0;
  }
  if (!strcmp(argv[1], "compare")) return cmd_compare(argc, argv);
  if (!strcmp(argv[1], "--version")) {
    printf("mlgen %s\n", MLG_VERSION);
    return 0;
  }
  Diags ld = {0}; /* budgets (docs/security.md) */
  if (getenv("MLGEN_LIMITS") && limits_set(getenv("MLGEN_LIMITS"), &ld)) {
    fputs(ld.text.s, stderr);
    diag_free(&ld);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "verify")) return cmd_verify(argc, argv); /* after the budgets: they apply */
  if (!strcmp(argv[1], "carve")) return cmd_carve(argc, argv);
  if (!strcmp(argv[1], "bench")) return cmd_bench(argc, argv);
  if (!strcmp(argv[1], "tune")) return cmd_tune(argc, argv);
  Args args = {0};
  int rc = parse_args(argc, argv, &args);
  if (rc) return rc;
  const char *cmd = argv[1];
  if (strcmp(cmd, "build") && strcmp(cmd, "run") && strcmp(cmd, "inspect")) return usage_err("unknown command", cmd);
  if (args.help) {
    print_usage(stdout, !strcmp(cmd, "build") ? usage_build : !strcmp(cmd, "run") ? usage_run : usage_inspect);
    return 0;
  }
  if (!args.model) return usage_err("missing MODEL", NULL);
  if (!strcmp(cmd, "build")) return cmd_build(&args);
  if (!strcmp(cmd, "run")) return cmd_run(&args);
  return cmd_inspect(&args);
}
