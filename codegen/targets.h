/* targets.h: the registry of mlgen's targets, the one list that the CLI
 * (--backend, --target, help text and diagnostics), the tests and the docs
 * iterate. A target renders files from a planned Program (c, vulkan), runs a
 * model (interp: the reference interpreter), or both. A new backend is a
 * renderer and one row in targets.c.
 *
 * How `mlgen run` runs a target (a C compiler, a Vulkan driver) is the CLI's
 * business (cli/): this layer only renders.
 */
#ifndef MLG_TARGETS_H
#define MLG_TARGETS_H

#include "codegen.h"

typedef struct {
  const char *vk_features; /* --vk-features text; NULL: the target's default */
  bool for_run;            /* rendered for `mlgen run` on this machine (vulkan: default features all, not int64) */
  bool weights_separate;   /* c: --weights-separate, the float weights as a blob (docs/firmware.md) */
  const char *machine;     /* llvm: --target with --emit obj (a named machine or a triple); NULL: host */
  const char *opt_level;   /* llvm: --opt-level O1|O2|O3|Os|Oz; NULL: O3 */
} TargetOpts;

typedef struct {
  const char *name; /* what --backend and --target say */
  const char *desc; /* one line for --help */
  const char *dir;  /* the output folder its files go in; NULL: the top level */
  /* renders p into o: 0, or -1 with diagnostics (an unsupported op or dtype,
   * a missing library). NULL for a run-only target. */
  int (*build)(Program *p, const TargetOpts *opt, Output *o, Diags *d);
  bool runnable; /* mlgen run --target NAME */
  /* NULL when the target renders op on dtype dt, else why not (one line).
   * The hook itself is NULL while the target's tables do not say. */
  const char *(*op_support)(Op op, DType dt);
} TargetInfo;

extern const TargetInfo mlg_targets[];
extern const int mlg_ntargets;

const TargetInfo *target_find(const char *name); /* NULL when there is none */
/* target `name` has no f64 (webgpu, metal; vulkan without the float64
 * feature: vk_features as --vk-features, NULL its default for a build or a
 * run) */
bool target_lacks_f64(const char *name, const char *vk_features, bool run);

/* Appends the names of the targets that build (TARGETS_BUILD), run
 * (TARGETS_RUN) or either, in registry order, separated by sep: "c, vulkan". */
enum { TARGETS_BUILD = 1, TARGETS_RUN = 2 };
void target_names(Buf *b, unsigned which, const char *sep);

#endif
