/* ota_main.c: the digits model with its weights apart. Loads the blob (the
 * one mlgen wrote, or the file named as the first argument: new weights for
 * the same code), classifies one row of zeros and prints the class, or the
 * status code of a refused blob. */
#include <stdio.h>
#include <stdlib.h>

#include "digits_ota.h"

static _Alignas(16) unsigned char blob[DIGITS_OTA_WEIGHTS_BLOB_SIZE];
static _Alignas(16) unsigned char arena[DIGITS_OTA_ARENA_SIZE];

int main(int argc, char **argv) {
  FILE *f = fopen(argc > 1 ? argv[1] : BLOB, "rb");
  if (!f) return 2;
  size_t n = fread(blob, 1, sizeof blob, f);
  fclose(f);
  digits_ota_weights w;
  int rc = digits_ota_load_weights(&w, blob, n);
  if (rc != DIGITS_OTA_WEIGHTS_OK) {
    printf("blob refused: status %d\n", rc);
    return 1;
  }
  float x[DIGITS_OTA_X_SIZE] = {0}, probs[DIGITS_OTA_PROBS_SIZE];
  if (digits_ota_run(&w, x, probs, arena)) return 3;
  int best = 0;
  for (int k = 1; k < DIGITS_OTA_PROBS_SIZE; k++)
    if (probs[k] > probs[best]) best = k;
  printf("blob accepted; class of a blank image: %d (p=%.3f)\n", best, probs[best]);
  return 0;
}
