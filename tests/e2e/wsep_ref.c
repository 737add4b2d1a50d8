/* ref_main.c: the same digits rows through a build with the weights in
 * the code (no --weights-separate), for tests/e2e/wsep.sh to compare the
 * probabilities with: ref_main X.npy PROBS.out */
#include <stdio.h>
#include <stdlib.h>

#include "digits.h"

static _Alignas(16) unsigned char arena[DIGITS_ARENA_SIZE > 0 ? DIGITS_ARENA_SIZE : 1];

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  FILE *f = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
  unsigned char hdr[10];
  if (!f || !out || fread(hdr, 1, 10, f) != 10) return 2;
  fseek(f, 10 + (hdr[8] | hdr[9] << 8), SEEK_SET);
  float x[64], probs[10];
  while (fread(x, sizeof x, 1, f) == 1) {
    if (digits_run(x, probs, arena)) return 3;
    fwrite(probs, sizeof probs, 1, out);
  }
  return 0;
}
