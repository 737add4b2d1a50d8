/* digits.h for tests/gpu: the C target's API over the Vulkan target.
 *
 * examples/digits/main.c is written against `digits_run(x, probs, arena)`
 * of the generated C. Compiled with this folder first on the include path,
 * the same program runs the model on Vulkan instead: the first call creates
 * the device, buffers and pipelines (digits_vk_init), every call is one
 * inference (digits_vk_run), and at exit the times and any validation
 * message are reported. MLGEN_VK_VALIDATION=0 runs without the layer. */
#ifndef DIGITS_SHIM_H
#define DIGITS_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digits_vk.h"

#define DIGITS_ARENA_SIZE 1 /* the arena is device memory */
#define DIGITS_ARENA_ALIGN 16

static digits_vk shim_m;
static int shim_ready;
static double shim_init_ms, shim_run_ms;
static long shim_runs;

static double shim_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static void shim_exit(void) {
  fprintf(stderr, "digits on vulkan (%s): init %.1f ms, %ld inferences, %.3f ms each\n", shim_m.vk.device_name,
          shim_init_ms, shim_runs, shim_runs ? shim_run_ms / (double)shim_runs : 0.0);
  digits_vk_destroy(&shim_m);
  if (shim_m.vk.validation_messages) {
    fprintf(stderr, "digits on vulkan: %s\n", shim_m.vk.msg);
    _Exit(89);
  }
}

static int digits_run(const float *x, float *probs, void *arena) {
  (void)arena;
  if (!shim_ready) {
    const char *v = getenv("MLGEN_VK_VALIDATION");
    double t0 = shim_now();
    int rc = digits_vk_init(&shim_m, NULL, v && !strcmp(v, "0") ? 0u : MLG_VK_VALIDATION);
    shim_init_ms = shim_now() - t0;
    if (rc) {
      fprintf(stderr, "digits on vulkan: %s\n", mlg_vk_error(&shim_m.vk));
      exit(rc == MLG_VK_E_NO_DEVICE || rc == MLG_VK_E_LAYER ? 77 : 1);
    }
    shim_ready = 1;
    atexit(shim_exit);
  }
  double t0 = shim_now();
  int rc = digits_vk_run(&shim_m, x, probs);
  shim_run_ms += shim_now() - t0;
  shim_runs++;
  if (rc) fprintf(stderr, "digits on vulkan: %s\n", mlg_vk_error(&shim_m.vk));
  return rc;
}

#endif
