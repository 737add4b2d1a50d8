/* wsep_main.c: the digits model built with --weights-separate, driven on
 * the host (tests/e2e/wsep.sh) and on a Cortex-M under qemu
 * (tests/firmware/wsep.sh, -DMLG_FIRMWARE). It reads a weights blob from
 * a file (on the firmware over semihosting: the firmware is built once,
 * each run takes another blob, as a device takes new weights), loads it and
 * prints the status; when it is accepted, classifies the held-out digits
 * and prints the count, else checks that a run with the refused handle
 * returns 1. The host build also writes every row's probabilities (raw
 * float32) to a file, which the test compares with another build's.
 *
 *   host:     wsep_main BLOB [X.npy Y.npy PROBS.out] [--offset K]
 *   firmware: reads weights.bin, samples.h holds the digits */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

#ifdef MLG_FIRMWARE
#include "samples.h"
#else
static float *x_rows;
static long long *labels;
static int NSAMPLES;
/* a .npy file's data (after its header) */
static void *npy_data(const char *path, long *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)len);
  if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) return NULL;
  fclose(f);
  long hdr = 10 + (b[8] | b[9] << 8);
  *n = len - hdr;
  return b + hdr;
}
#endif

/* room for a blob and 64 bytes more (a partition larger than the blob), and a misaligned copy */
static _Alignas(16) unsigned char blob[DIGITS_WEIGHTS_BLOB_SIZE + 64 + 16];
static _Alignas(16) unsigned char arena[DIGITS_ARENA_SIZE > 0 ? DIGITS_ARENA_SIZE : 1];

#ifdef MLG_FIRMWARE
int main(void) {
  const char *path = "weights.bin";
  size_t off = 0;
#else
int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "weights.bin";
  size_t off = argc > 6 && !strcmp(argv[5], "--offset") ? (size_t)atoi(argv[6]) : 0;
#endif
  FILE *f = fopen(path, "rb");
  if (!f) {
    printf("cannot open %s\n", path);
    return 2;
  }
  size_t n = fread(blob + off, 1, sizeof blob - 16, f);
  fclose(f);
  digits_weights w;
  int rc = digits_load_weights(&w, blob + off, n);
  printf("load=%d\n", rc);
  float x[64], probs[10];
  if (rc != DIGITS_WEIGHTS_OK) {
    memset(x, 0, sizeof x);
    printf("run_refused=%d\n", digits_run(&w, x, probs, arena) == 1 && w.payload == NULL);
    return 0;
  }
#ifndef MLG_FIRMWARE
  if (argc < 5) return 0;
  long nx, ny;
  x_rows = npy_data(argv[2], &nx);
  labels = npy_data(argv[3], &ny);
  FILE *out = fopen(argv[4], "wb");
  if (!x_rows || !labels || !out) return 2;
  NSAMPLES = (int)(ny / 8);
#endif
  int correct = 0;
  for (int i = 0; i < NSAMPLES; i++) {
#ifdef MLG_FIRMWARE
    memcpy(x, &x_bits[i * 64], sizeof x);
#else
    memcpy(x, &x_rows[i * 64], sizeof x);
#endif
    if (digits_run(&w, x, probs, arena)) return 3;
    int best = 0;
    for (int k = 1; k < 10; k++)
      if (probs[k] > probs[best]) best = k;
    correct += best == labels[i];
#ifndef MLG_FIRMWARE
    fwrite(probs, sizeof probs, 1, out);
#endif
  }
  printf("correct=%d total=%d\n", correct, NSAMPLES);
  return 0;
}
