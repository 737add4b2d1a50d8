/* mlg_metal.h: runtime-min for Metal (mlg_metal.m, Objective-C with the
 * Metal framework). It runs a model that `mlgen build --backend metal` wrote
 * (metal/<name>_metal.h/.c): compiles each kernel's MSL at create time
 * (newLibraryWithSource, fast math off), builds one compute pipeline per
 * kernel and three shared buffers (0 the arena, 1 the weights, 2 the io
 * buffer), and runs all kernels in one serial compute encoder.
 *
 * Not yet run on Apple hardware: the kernels have been compiled and run only
 * through mlgen's CPU shim (tests/metal/shim), never by Apple's compiler;
 * docs/metal.md says what that check covers.
 */
#ifndef MLG_METAL_RUNTIME_H
#define MLG_METAL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *name;   /* the kernel function's name */
  const char *origin; /* the source ops, for messages */
  int wg;             /* threads per threadgroup */
  long long items;    /* threads with work (0: not dispatched) */
  const char *source; /* its MSL */
} mlg_metal_kernel;

typedef struct {
  const char *name, *dtype;
  long long bytes, offset; /* in the io buffer */
} mlg_metal_tensor;

typedef struct {
  const char *name;
  long long arena_bytes, weights_bytes, io_bytes;
  const uint32_t *weights;
  int nkernels;
  const mlg_metal_kernel *kernels;
  int ninputs;
  const mlg_metal_tensor *inputs;
  int noutputs;
  const mlg_metal_tensor *outputs;
} mlg_metal_model;

typedef struct mlg_metal mlg_metal;

/* 0, or -1 with a message in err (no device, a kernel that does not
 * compile, out of memory) */
int mlg_metal_create(const mlg_metal_model *m, mlg_metal **out, char *err, size_t errlen);
/* inputs[i] / outputs[i]: the model's tensors in order, each its io bytes.
 * 0, or -1 with a message (the command buffer's error) */
int mlg_metal_run(mlg_metal *c, const void *const *inputs, void *const *outputs, char *err, size_t errlen);
void mlg_metal_destroy(mlg_metal *c);

#endif
