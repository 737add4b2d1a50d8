/* frontend.h: readers that turn files on disk into a Graph.
 *
 *   npy.c   .npy arrays (weights, test inputs) in and out.
 *   yaml.c  mlgen's own YAML model description (docs/yaml.md), either a graph
 *           written directly or a wrapper around another model file with
 *           build options.
 *
 * Nothing here exits or prints: errors go to a Diags with the file:line:col
 * of the offending YAML node (or the .npy path), and the call returns -1.
 * libyaml types never leave this folder.
 */
#ifndef MLG_FRONTEND_H
#define MLG_FRONTEND_H

#include "../ir/ir.h"

#include <stdio.h>

/* fe_open_regular: opens PATH read-only (plus extra_flags, e.g. O_NOFOLLOW)
 * if it is a regular file. A model names files (weights, external data, the
 * wrapped model): a named pipe or a device there must not block us, so the
 * open is O_NONBLOCK, the check is fstat on the opened descriptor (no race
 * with a rename), and O_NONBLOCK is cleared before the caller reads. Returns
 * the descriptor, or -1 with *why set: "not a regular file (a named pipe)",
 * "... (a folder)", ... or strerror(errno). fe_fopen_regular: the same as a
 * FILE* opened "rb" (NULL on failure). Every reader here opens through them. */
int fe_open_regular(const char *path, int extra_flags, const char **why);
FILE *fe_fopen_regular(const char *path, const char **why);
/* fe_track_opens: from now on every path fe_open_regular opens (the model,
 * its weight files, external data, a wrapped model) is appended to *into,
 * copied into a (NULL: stop). Process-wide: the CLI's --depfile uses it. */
void fe_track_opens(PtrVec *into, Arena *a);

/* npy_read: reads a .npy (format v1, v2, v3; dtypes per dtype_from_npy: f32 f64
 * f16 i8 i16 i32 i64 u8 u16 u32 u64 bool; and '<U<w>' unicode as DT_STRING,
 * UTF-8 arena strings, a NUL character or a bad code point refused; object
 * arrays '|O' are refused). Rejects big-endian data,
 * fortran_order True, unknown or structured dtypes, truncated data, trailing
 * bytes after the data, overflowing shapes, rank > MAX_RANK and missing files.
 * Errors are reported at `loc` (the place that referenced the file) and name
 * the .npy path; with loc.file == NULL the message starts with the npy path.
 * The data is read into arena memory. Returns 0 or -1. */
int npy_read(Arena *a, const char *path, Loc loc, TensorData **out, Diags *d);

/* npy_write: writes a v1 .npy, little endian, C order; DT_STRING (slots of
 * UTF-8 strings) as '<U<w>', w the longest string in code points (>= 1).
 * Returns 0, or -1 with a message in err (which may be NULL), also when a
 * string is not UTF-8. A failed write leaves no file behind. */
int npy_write(const char *path, DType dt, int rank, const int64_t *dims, const void *data, char *err,
              size_t errlen);

typedef struct {
  Graph *g;                  /* the graph written in the YAML (NULL when model: wraps another file) */
  const char *model;         /* `model:` path resolved relative to the YAML folder, or NULL */
  const char *name;          /* `name:` (required), a C identifier */
  BuildOpts pins;            /* wrapper form: input shapes from `inputs:` (nshape entries) */
  PtrVec backends;           /* const char*, from build: {backends: [...]} */
  const char *target;        /* build: {target: ...} or NULL */
  const char *tree_strategy; /* build: {tree_strategy: ...} or NULL */
  /* Where the build options were written, so a later stage that rejects a
   * value can still point at it: one Loc per backend, and the others (line 0
   * when absent). */
  Loc *backend_loc;
  Loc target_loc, tree_strategy_loc, model_loc;
} ModelSpec;

/* Parse a model YAML file into spec. Every error names file:line:col (1-based).
 * All memory (graph, strings, weights) comes from `a`. Returns 0 or -1. */
int yaml_load(Arena *a, const char *path, ModelSpec *spec, Diags *d);

#endif
