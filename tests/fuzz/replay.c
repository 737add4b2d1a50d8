/* replay.c: runs files through a fuzz target without libFuzzer, so the
 * committed corpus (tests/fuzz/corpus/<target>/) is replayed by CTest in
 * every build. A crash (or a sanitizer report, in a sanitizer build) fails it.
 *
 *   fuzz_replay TARGET FILE...   */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: fuzz_replay TARGET FILE...\n");
    return 2;
  }
  const FuzzTarget *t = fuzz_find(argv[1]);
  if (!t) {
    fprintf(stderr, "fuzz_replay: no target '%s'\n", argv[1]);
    return 2;
  }
  fuzz_init();
  int n = 0;
  for (int i = 2; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "fuzz_replay: cannot open %s\n", argv[i]);
      fuzz_cleanup();
      return 2;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + len, 1, cap - len, f)) > 0;) {
      len += r;
      if (len == cap) {
        unsigned char *nb = realloc(buf, cap *= 2);
        if (!nb) free(buf);
        buf = nb;
      }
    }
    fclose(f);
    if (!buf) {
      fprintf(stderr, "fuzz_replay: out of memory on %s\n", argv[i]);
      fuzz_cleanup();
      return 2;
    }
    t->run(buf, len);
    free(buf);
    n++;
  }
  fuzz_cleanup();
  printf("fuzz_replay %s: %d inputs, no crash\n", argv[1], n);
  return 0;
}
