/* fuzz_main.c: the libFuzzer entry point of one target, chosen at compile
 * time (-DFUZZ_TARGET=\"onnx\"); built by scripts/fuzz.sh with clang
 * -fsanitize=fuzzer,address,undefined. */
#include <stdlib.h>

#include "fuzz.h"

static const FuzzTarget *target;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fuzz_init();
  target = fuzz_find(FUZZ_TARGET);
  if (!target) abort(); /* a build mistake, not a finding */
  atexit(fuzz_cleanup);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  target->run(data, size);
  return 0;
}
