/* scan_models.c: loads every model.onnx and every test_data_set_N .pb file under
 * an ONNX node-test folder (../shared/onnx-node-tests/node) with the ONNX
 * reader and sorts the outcomes: loaded, refused with only "unsupported"
 * diagnostics (sequence/optional types, float8/int4/string dtypes, preview
 * domains), or failed otherwise. Exits 1 if anything failed otherwise, 77 if
 * the folder is missing. -v prints every diagnostic. */
#define _XOPEN_SOURCE 700
#include "onnx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  int ok, unsupported, failed;
} Count;

static bool verbose;

/* Every error line says "unsupported". */
static bool only_unsupported(const Diags *d) {
  if (!d->text.s) return false;
  for (const char *l = d->text.s; *l;) {
    const char *e = strchr(l, '\n');
    size_t n = e ? (size_t)(e - l) : strlen(l);
    bool err = false, uns = false;
    for (size_t i = 0; i + 7 <= n; i++) {
      if (!strncmp(l + i, "error: ", 7)) err = true;
      if (i + 11 <= n && !strncmp(l + i, "unsupported", 11)) uns = true;
    }
    if (err && !uns) return false;
    l += n + (e != NULL);
  }
  return true;
}

static void tally(Count *c, int rc, const Diags *d, const char *path) {
  if (rc == 0) {
    c->ok++;
    return;
  }
  bool u = only_unsupported(d);
  if (u) c->unsupported++;
  else c->failed++;
  if (verbose || !u) printf("%s %s:\n%s", u ? "UNSUPPORTED" : "FAILED", path, d->text.s ? d->text.s : "(no message)\n");
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(int argc, char **argv) {
  int argi = 1;
  if (argi < argc && !strcmp(argv[argi], "-v")) verbose = true, argi++;
  const char *root = argi < argc ? argv[argi] : "../shared/onnx-node-tests/node";
  struct dirent **tests;
  int nt = scandir(root, &tests, NULL, by_name);
  if (nt < 0) {
    fprintf(stderr, "scan_models: %s: no such folder, skipped\n", root);
    return 77;
  }
  Count models = {0}, tensors = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char path[8192];
  for (int i = 0; i < nt; i++) {
    const char *t = tests[i]->d_name;
    snprintf(path, sizeof path, "%s/%s/model.onnx", root, t);
    FILE *f = t[0] != '.' ? fopen(path, "rb") : NULL;
    if (f) {
      fclose(f);
      Arena *a = arena_new();
      Diags d = {0};
      Graph *g;
      tally(&models, onnx_load(a, path, &g, &d), &d, path);
      diag_free(&d);
      arena_free(a);
      for (int s = 0;; s++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%s/test_data_set_%d", root, t, s);
        struct dirent **pbs;
        int np = scandir(dir, &pbs, NULL, by_name);
        if (np < 0) break;
        for (int k = 0; k < np; k++) {
          size_t n = strlen(pbs[k]->d_name);
          if (n > 3 && !strcmp(pbs[k]->d_name + n - 3, ".pb")) {
            snprintf(path, sizeof path, "%s/%s", dir, pbs[k]->d_name);
            Arena *ta = arena_new();
            Diags td = {0};
            TensorData *tdata;
            tally(&tensors, onnx_load_tensor(ta, path, &tdata, &td), &td, path);
            diag_free(&td);
            arena_free(ta);
          }
          free(pbs[k]);
        }
        free(pbs);
      }
    }
    free(tests[i]);
  }
  free(tests);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("models:  %d loaded, %d unsupported, %d failed\n", models.ok, models.unsupported, models.failed);
  printf("tensors: %d loaded, %d unsupported, %d failed\n", tensors.ok, tensors.unsupported, tensors.failed);
  printf("%.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
  return models.failed || tensors.failed ? 1 : 0;
}
