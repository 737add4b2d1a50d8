/* fuzz_targets.c: one entry point per reader of hostile input, shared by the
 * libFuzzer binaries (fuzz_main.c, clang -fsanitize=fuzzer) and the corpus
 * replay that CTest runs in every build (replay.c).
 *
 *   yaml     a YAML model (frontend/yaml.c), inline weights only
 *   onnx     an ONNX ModelProto (frontend/onnx.c)
 *   npy      a .npy array (frontend/npy.c)
 *   pb       a TensorProto .pb (onnx_load_tensor)
 *   xgboost  an XGBoost JSON model (frontend/xgboost.c, json.c)
 *   lightgbm a LightGBM text model (frontend/lightgbm.c)
 *   build    a YAML model through the whole pipeline: parse, shape
 *            inference, decompose, fuse, plan, then the C target rendered
 *            into memory (no files written)
 *
 * The readers take paths, so the bytes go to one scratch file per process
 * (in $TMPDIR) under the extension the reader expects. Every run frees all it
 * allocated; the only result is "did not crash". Limits are lowered (see
 * fuzz_init) so a small input cannot make one run take seconds. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../codegen/codegen.h"
#include "../../codegen/targets.h"
#include "../../frontend/frontend.h"
#include "../../frontend/onnx.h"
#include "../../frontend/treemodels.h"

static char scratch[4096];

static const char *put(const uint8_t *data, size_t n, const char *ext) {
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(scratch, sizeof scratch, "%s/mlgen-fuzz-%ld%s", dir, (long)getpid(), ext);
  FILE *f = fopen(scratch, "wb");
  if (!f) return NULL;
  size_t w = n ? fwrite(data, 1, n, f) : 0;
  if (fclose(f) || w != n) return NULL;
  return scratch;
}

void fuzz_init(void) {
  /* small budgets: hostile sizes are refused fast, and cheaply */
  mlg_limits.nodes = 20000;
  mlg_limits.unroll = 256;
  mlg_limits.tree_nodes = 100000;
  mlg_limits.tree_depth = 64;
  mlg_limits.strings = 100000;
}

/* the whole pipeline on a parsed graph, C rendered into memory */
static void pipeline(Arena *a, Graph *g, const BuildOpts *o, const char *name, Diags *d) {
  if (!g) return;
  if (!g->name || !*g->name) g->name = name;
  Program p = {0};
  p.a = a;
  if (ir_compile(g, o, &p, d)) return;
  const TargetInfo *t = target_find("c");
  Output out = {0};
  if (t && t->build) t->build(&p, &(TargetOpts){0}, &out, d);
  out_free(&out);
}

static void run_yaml(const uint8_t *data, size_t n, bool full) {
  const char *path = put(data, n, ".yaml");
  if (!path) return;
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec spec = {0};
  /* a wrapped model: (file) is never followed, the bytes are the only input */
  if (a && !yaml_load(a, path, &spec, &d) && full && spec.g) {
    spec.g->name = spec.name;
    pipeline(a, spec.g, NULL, "m", &d);
  }
  diag_free(&d);
  arena_free(a);
}

static void run_graph(const uint8_t *data, size_t n, const char *ext,
                      int (*load)(Arena *, const char *, Graph **, Diags *)) {
  const char *path = put(data, n, ext);
  if (!path) return;
  Arena *a = arena_new();
  Diags d = {0};
  Graph *g = NULL;
  if (a) load(a, path, &g, &d);
  diag_free(&d);
  arena_free(a);
}

static void run_tensor(const uint8_t *data, size_t n, bool npy) {
  const char *path = put(data, n, npy ? ".npy" : ".pb");
  if (!path) return;
  Arena *a = arena_new();
  Diags d = {0};
  TensorData *t = NULL;
  if (a) {
    if (npy) npy_read(a, path, (Loc){0}, &t, &d);
    else onnx_load_tensor(a, path, &t, &d);
  }
  diag_free(&d);
  arena_free(a);
}

static void t_yaml(const uint8_t *d, size_t n) { run_yaml(d, n, false); }
static void t_build(const uint8_t *d, size_t n) { run_yaml(d, n, true); }
static void t_onnx(const uint8_t *d, size_t n) { run_graph(d, n, ".onnx", onnx_load); }
static void t_xgboost(const uint8_t *d, size_t n) { run_graph(d, n, ".json", xgb_load); }
static void t_lightgbm(const uint8_t *d, size_t n) { run_graph(d, n, ".txt", lgbm_load); }
static void t_npy(const uint8_t *d, size_t n) { run_tensor(d, n, true); }
static void t_pb(const uint8_t *d, size_t n) { run_tensor(d, n, false); }

const FuzzTarget fuzz_targets[] = {
    {"yaml", t_yaml},         {"onnx", t_onnx}, {"npy", t_npy},     {"pb", t_pb},
    {"xgboost", t_xgboost},   {"lightgbm", t_lightgbm}, {"build", t_build},
};
const int fuzz_ntargets = sizeof fuzz_targets / sizeof fuzz_targets[0];

const FuzzTarget *fuzz_find(const char *name) {
  for (int i = 0; i < fuzz_ntargets; i++)
    if (!strcmp(fuzz_targets[i].name, name)) return &fuzz_targets[i];
  return NULL;
}

void fuzz_cleanup(void) {
  if (scratch[0]) unlink(scratch);
}
