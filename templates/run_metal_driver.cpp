## run_metal_driver.cpp -> metal/driver.cpp of `mlgen run --target metal`
## (temporary), written by cli/run_metal.c (metal_run).
## Syntax: codegen/templates.h. Placeholders:
##   {{name}}       the model's C name
##   {{includes}}   lines: each kernel's file included in a namespace of its own
##   {{functions}}  lines: the kernel functions, in the table's order
// driver.cpp: runs {{name}}'s Metal kernels on the CPU through mlgen's shim
// (tests/metal/shim: compile with -I that folder). Each kernel is called once
// per thread of the grid runtime-min/metal would dispatch, threads one after
// another. usage: run IN.bin... OUT.bin...
#include <metal_stdlib>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "{{name}}_metal.h"

{{includes}}
typedef void (*mlg_kernel_fn)(device uint *, const device uint *, device uint *, uint3, uint3, uint3);
static const mlg_kernel_fn fns[] = {
{{functions}}
};

static std::vector<uint> words(long long bytes) { return std::vector<uint>((size_t)(bytes < 16 ? 16 : (bytes + 15) / 16 * 16) / 4); }

int main(int argc, char **argv) {
  const mlg_metal_model *m = &{{name}}_metal;
  if (argc != 1 + m->ninputs + m->noutputs) {
    std::fprintf(stderr, "usage: %s IN.bin... OUT.bin...\n", argv[0]);
    return 2;
  }
  std::vector<uint> A = words(m->arena_bytes), W = words(m->weights_bytes), IO = words(m->io_bytes);
  std::memcpy(W.data(), m->weights, (size_t)m->weights_bytes);
  for (int i = 0; i < m->ninputs; i++) {
    FILE *f = std::fopen(argv[1 + i], "rb");
    size_t n = (size_t)m->inputs[i].bytes;
    if (!f || std::fread((char *)IO.data() + m->inputs[i].offset, 1, n, f) != n) return std::fprintf(stderr, "cannot read %s\n", argv[1 + i]), 1;
    std::fclose(f);
  }
  for (int k = 0; k < m->nkernels; k++) {
    const mlg_metal_kernel *kn = &m->kernels[k];
    if (!kn->items) continue;
    uint groups = (uint)((kn->items + kn->wg - 1) / kn->wg);
    uint x = groups < 65535u ? groups : 65535u, y = (groups + x - 1) / x;
    for (uint gy = 0; gy < y; gy++)
      for (uint gx = 0; gx < x; gx++)
        for (uint t = 0; t < (uint)kn->wg; t++)
          fns[k](A.data(), W.data(), IO.data(), uint3{t, 0, 0}, uint3{gx, gy, 0}, uint3{x, y, 1});
  }
  for (int i = 0; i < m->noutputs; i++) {
    FILE *f = std::fopen(argv[1 + m->ninputs + i], "wb");
    size_t n = (size_t)m->outputs[i].bytes;
    if (!f || std::fwrite((char *)IO.data() + m->outputs[i].offset, 1, n, f) != n) return std::fprintf(stderr, "cannot write %s\n", argv[1 + m->ninputs + i]), 1;
    std::fclose(f);
  }
  return 0;
}
