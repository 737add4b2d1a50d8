/* main.c: the digits model on a Cortex-M: classifies the held-out digits
 * (samples.h, written by npy2c.cmake from ../digits/data) with the vendored
 * model/ and prints the count over semihosting. Exits 0 when it equals
 * DIGITS_EXPECTED (data/expected.txt, the training script's count), else 1:
 * under qemu, the exit status is qemu's. It builds for the host as well
 * (gcc -I model -I build main.c model/digits.c model/digits_weights.c -lm). */
#include <stdio.h>
#include <string.h>

#include "digits.h"
#include "samples.h"

static _Alignas(16) unsigned char arena[DIGITS_ARENA_SIZE > 0 ? DIGITS_ARENA_SIZE : 1];

int main(void) {
  float x[DIGITS_X_SIZE], probs[DIGITS_PROBS_SIZE];
  int correct = 0;
  for (int i = 0; i < NSAMPLES; i++) {
    memcpy(x, &x_bits[i * DIGITS_X_SIZE], sizeof x);
    if (digits_run(x, probs, arena)) return 2;
    int best = 0;
    for (int k = 1; k < DIGITS_PROBS_SIZE; k++)
      if (probs[k] > probs[best]) best = k;
    correct += best == labels[i];
  }
  printf("digits: correct=%d total=%d\n", correct, NSAMPLES);
#ifdef DIGITS_EXPECTED
  return correct == DIGITS_EXPECTED ? 0 : 1;
#else
  return 0;
#endif
}
