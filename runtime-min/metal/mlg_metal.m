// mlg_metal.m: runtime-min for Metal (mlg_metal.h). Objective-C with ARC off
// (manual release), Metal framework only. Untested: no Apple machine has run
// it; it follows Apple's documented API (MTLDevice, MTLLibrary,
// MTLComputePipelineState, MTLCommandQueue, MTLComputeCommandEncoder).
#import <Metal/Metal.h>
#include <stdio.h>
#include <string.h>

#include "mlg_metal.h"

struct mlg_metal {
  const mlg_metal_model *m;
  id<MTLDevice> dev;
  id<MTLCommandQueue> queue;
  id<MTLBuffer> arena, weights, io;
  id<MTLComputePipelineState> *pipes;
};

static int fail(char *err, size_t n, const char *what, NSError *e) {
  if (err && n) snprintf(err, n, "%s%s%s", what, e ? ": " : "", e ? [[e localizedDescription] UTF8String] : "");
  return -1;
}

static NSUInteger at_least_16(long long n) { return (NSUInteger)(n < 16 ? 16 : (n + 15) / 16 * 16); }

void mlg_metal_destroy(mlg_metal *c) {
  if (!c) return;
  for (int k = 0; c->pipes && k < c->m->nkernels; k++) [c->pipes[k] release];
  free(c->pipes);
  [c->arena release];
  [c->weights release];
  [c->io release];
  [c->queue release];
  [c->dev release];
  free(c);
}

int mlg_metal_create(const mlg_metal_model *m, mlg_metal **out, char *err, size_t errlen) {
  *out = NULL;
  mlg_metal *c = calloc(1, sizeof *c);
  if (!c) return fail(err, errlen, "out of memory", nil);
  c->m = m;
  c->dev = MTLCreateSystemDefaultDevice();
  if (!c->dev) {
    free(c);
    return fail(err, errlen, "no Metal device", nil);
  }
  c->queue = [c->dev newCommandQueue];
  MTLResourceOptions shared = MTLResourceStorageModeShared;
  c->arena = [c->dev newBufferWithLength:at_least_16(m->arena_bytes) options:shared];
  c->weights = [c->dev newBufferWithLength:at_least_16(m->weights_bytes) options:shared];
  c->io = [c->dev newBufferWithLength:at_least_16(m->io_bytes) options:shared];
  c->pipes = calloc((size_t)m->nkernels + 1, sizeof *c->pipes);
  if (!c->queue || !c->arena || !c->weights || !c->io || !c->pipes) {
    mlg_metal_destroy(c);
    return fail(err, errlen, "out of memory creating the Metal buffers", nil);
  }
  memcpy([c->weights contents], m->weights, (size_t)m->weights_bytes);
  MTLCompileOptions *opt = [[MTLCompileOptions alloc] init];
  opt.fastMathEnabled = NO; // the kernels test NaN and need IEEE division
  for (int k = 0; k < m->nkernels; k++) {
    const mlg_metal_kernel *kn = &m->kernels[k];
    NSError *e = nil;
    NSString *src = [NSString stringWithUTF8String:kn->source];
    id<MTLLibrary> lib = [c->dev newLibraryWithSource:src options:opt error:&e];
    id<MTLFunction> fn = lib ? [lib newFunctionWithName:[NSString stringWithUTF8String:kn->name]] : nil;
    c->pipes[k] = fn ? [c->dev newComputePipelineStateWithFunction:fn error:&e] : nil;
    [fn release];
    [lib release];
    if (!c->pipes[k] || (NSUInteger)kn->wg > [c->pipes[k] maxTotalThreadsPerThreadgroup]) {
      char what[256];
      snprintf(what, sizeof what, "kernel %s (%s) %s", kn->name, kn->origin,
               c->pipes[k] ? "needs more threads per threadgroup than this device allows" : "does not compile");
      [opt release];
      mlg_metal_destroy(c);
      return fail(err, errlen, what, e);
    }
  }
  [opt release];
  *out = c;
  return 0;
}

int mlg_metal_run(mlg_metal *c, const void *const *inputs, void *const *outputs, char *err, size_t errlen) {
  const mlg_metal_model *m = c->m;
  unsigned char *io = [c->io contents];
  for (int i = 0; i < m->ninputs; i++) memcpy(io + m->inputs[i].offset, inputs[i], (size_t)m->inputs[i].bytes);
  id<MTLCommandBuffer> cb = [c->queue commandBuffer];
  id<MTLComputeCommandEncoder> enc = [cb computeCommandEncoderWithDispatchType:MTLDispatchTypeSerial];
  [enc setBuffer:c->arena offset:0 atIndex:0];
  [enc setBuffer:c->weights offset:0 atIndex:1];
  [enc setBuffer:c->io offset:0 atIndex:2];
  for (int k = 0; k < m->nkernels; k++) {
    const mlg_metal_kernel *kn = &m->kernels[k];
    if (!kn->items) continue;
    // 1-D up to 65,535 threadgroups, then 2-D: the kernels grid-stride over the rest
    NSUInteger groups = (NSUInteger)((kn->items + kn->wg - 1) / kn->wg);
    NSUInteger x = groups < 65535 ? groups : 65535, y = (groups + x - 1) / x;
    [enc setComputePipelineState:c->pipes[k]];
    [enc dispatchThreadgroups:MTLSizeMake(x, y < 65535 ? y : 65535, 1)
        threadsPerThreadgroup:MTLSizeMake((NSUInteger)kn->wg, 1, 1)];
  }
  [enc endEncoding];
  [cb commit];
  [cb waitUntilCompleted];
  if ([cb status] != MTLCommandBufferStatusCompleted) return fail(err, errlen, "the Metal command buffer failed", [cb error]);
  for (int i = 0; i < m->noutputs; i++) memcpy(outputs[i], io + m->outputs[i].offset, (size_t)m->outputs[i].bytes);
  return 0;
}
