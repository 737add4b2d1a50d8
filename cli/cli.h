/* cli.h: pieces of the mlgen command-line driver (the top layer: it may
 * use every other layer, nothing uses it). */
#ifndef MLG_CLI_H
#define MLG_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "../codegen/codegen.h"
#include "../codegen/targets.h"
#include "../frontend/frontend.h"

typedef struct {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t n;
} Sha256;
void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t n);
void sha256_hex(Sha256 *s, char out[65]);
int sha256_file(const char *path, char out[65]);

/* Writes the files of `o` into folder `dir` atomically: into a temporary
 * sibling folder first, renamed into place only when every file is written.
 * An existing `dir` is replaced. Returns 0, or -1 with a message in err. */
int write_output_atomic(const char *dir, const Output *o, char *err, size_t errlen);
/* The two halves, for writers of their own (mlgen run's .npy files): a new
 * empty folder beside dir (malloc'd path, NULL with a message in err); then
 * tmp renamed to dir, replacing it (0), or tmp removed (-1 with a message). */
char *out_tmp_dir(const char *dir, char *err, size_t errlen);
int out_commit(const char *tmp, const char *dir, char *err, size_t errlen);
/* Whole-file I/O for the run drivers: write n bytes; read exactly n bytes
 * (a longer or shorter file is an error). 0 or -1. */
int cli_write_file(const char *path, const void *data, size_t n);
int cli_read_file(const char *path, void *data, size_t n);
/* the whole file in arena memory with a NUL appended (*n: its length), or NULL */
char *cli_slurp(Arena *a, const char *path, size_t *n);
/* writes b as dir/name, making the folders in name (the run drivers) */
int cli_put(Arena *a, const char *dir, const char *name, const Buf *b);
/* the host C compiler of generated code: $MLGEN_CC, $CC or cc; its flags:
 * $MLGEN_CFLAGS, else dflt */
const char *cli_cc(void);
const char *cli_cflags(const char *dflt);
/* bytes of a tensor's data */
size_t cli_value_bytes(const Value *v);
/* A generated program run in a temporary folder (run_vulkan.c, run_webgpu.c,
 * run_metal.c). cli_run_stage makes /tmp/mlgen-<tag>-XXXXXX (into dir) and
 * writes o's files and drv at drv_path in it: 0, or -1 with a message.
 * cli_run_exec writes the inputs, runs `prog IN.bin... OUT.bin...` and, when
 * it exits 0, reads the outputs; *status: its exit code. -1 on an I/O error
 * (with a message), else 0. */
int cli_run_stage(Arena *a, const char *tag, const Output *o, const char *drv_path, const Buf *drv, char dir[64]);
/* after a driver exited 96 (the model's run returned its run-time check
 * status): one error per check of p, at its node; returns EXIT 1 */
int cli_checks_failed(const Program *p, Diags *d);
int cli_run_exec(Arena *a, const char *dir, const char *prog, Program *p, void **ins, void **outs, int *status);
/* rm -rf for a folder mlgen made */
int remove_tree(const char *dir);

/* run_vulkan.c: `mlgen run --target vulkan` (0 or an exit code): renders with
 * t (the registry's vulkan row), builds a host driver and runs it.
 * feats: --vk-features or NULL. */
int vk_run(Arena *a, const TargetInfo *t, Program *p, const char *feats, void **ins, void **outs, Diags *d);

/* run_webgpu.c: `mlgen run --target webgpu` (0 or an exit code): renders
 * with t (the registry's webgpu row) and runs the model under Node + Dawn. */
int wgpu_run(Arena *a, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d);
/* run_metal.c: `mlgen run --target metal` through the CPU shim in
 * $MLGEN_METAL_SHIM (0 or an exit code) */
int metal_run(Arena *a, const TargetInfo *t, Program *p, void **ins, void **outs, Diags *d);

/* ---- bring-up (docs/bring-up.md) */
/* A model compiled by cli_load (mlgen.c) from a command line of the common
 * options (MODEL, --target, --input, --input-shape, --freeze, --name, -o):
 * the planned program, its inputs bound from the files, its arena. */
typedef struct {
  Arena *a;
  Program p;
  void **ins;
  Diags d;
  const char *model, *target, *out;
} CliModel;
/* 0 or an exit code (diagnostics printed) */
int cli_load(int argc, char **argv, CliModel *m);
/* the same; synth: inputs without a file get deterministic data (bench) */
int cli_load_synth(int argc, char **argv, CliModel *m, bool synth);
/* bench.c: mlgen bench; the timing program both bench and tune build (see
 * bench.c); a whole-number option of command cmd (0, or -1 with a message) */
int cmd_bench(int argc, char **argv);
int cli_bench_compile(Arena *a, Program *p, void **ins, const Output *o, bool obj, const char *extra, long runs,
                      long warmup, long min_ms, char dir[64], Buf *cmd, Diags *d);
/* one run of the timing program cmd: its summary line into *r, each
 * "mlgen-kernel K" median into kern[K] (K < nk; kern may be NULL). 0, or
 * -1 when it failed (no summary, a model error: r->status > 0, or a
 * non-zero exit: *exit_code) */
typedef struct {
  long runs;
  double med, mn, mx, mean;
  int status;
} BenchRun;
int cli_bench_read(const char *cmd, int nk, double *kern, BenchRun *r, int *exit_code);
int cli_parse_count(const char *cmd, const char *flag, const char *v, long lo, long hi, long *out);
/* tune.c: mlgen tune; the reader of its file (mlgen build --tuning FILE):
 * 0, or -1 with a located error */
int cmd_tune(int argc, char **argv);
int tune_load(Arena *a, const char *path, const TuneChoice **out, int *nout, Diags *d);
/* runs p on the named target as `mlgen run --target` does (0 or an exit code) */
int cli_run_target(Arena *a, const char *target, Program *p, void **ins, void **outs, Diags *d);

/* verify.c: per-kernel tolerances and error figures (also what carve writes) */
typedef struct {
  double atol, rtol; /* an element is good when |got - ref| <= atol + rtol*|ref| (floats); integers exact */
  const char *rule;  /* which rule chose them */
} Tol;
typedef struct {
  int64_t n, bad;           /* elements, out of tolerance */
  double max_abs, max_rel;  /* over all elements (non-finite pairs excluded) */
  double max_ulp;           /* in the dtype's own spacing (integers: |difference|) */
  int64_t worst;            /* flat index of the worst element, -1 none */
} Stats;
void kernel_tolerance(const Kernel *k, const void *ref, Tol *t);
void tensor_compare(DType dt, const void *ref, const void *got, int64_t n, const Tol *t, Stats *s);
/* MLGEN_TEST_PERTURB=target:kernel:kind (test-only): the kernel to break
 * for target (index or name in p; -1 none) and the kind (PERTURB_*) */
int test_perturb(const Program *p, const char *target, int *kind);

/* remote.c: runs p for target on an mlgen-serve at host:port (the C target
 * only: the client builds a shared object and sends it); token: a file
 * holding the shared token, or NULL. 0 or an exit code, with a message. */
int remote_run(Arena *a, const char *hostport, const char *token, const char *target, Program *p, void **ins,
               void **outs, Diags *d);

#endif
