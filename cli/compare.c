/* compare.c: `mlgen compare A B`: are two tensors (.npy or ONNX .pb) equal
 * within tolerance? Integers, bool and strings must match exactly; floats
 * within atol + rtol*|b|, NaN equals NaN, infinities must match. Prints the
 * worst element (strings: the first that differs). Exit 0 equal, 1
 * different, 3 unreadable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/onnx.h"
#include "cli.h"

static int load(Arena *a, const char *path, TensorData **t, Diags *d) {
  size_t n = strlen(path);
  if (n > 3 && !strcmp(path + n - 3, ".pb")) return onnx_load_tensor(a, path, t, d);
  return npy_read(a, path, (Loc){0}, t, d);
}

/* strings: byte for byte */
static int compare_strings(const TensorData *x, const TensorData *y, int64_t n) {
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; i++)
    if (strcmp(str_at(x->data, i), str_at(y->data, i)) && !bad++) first = i;
  if (!bad) {
    printf("equal (%lld strings)\n", (long long)n);
    return 0;
  }
  printf("%lld of %lld strings differ; first at flat index %lld: \"%s\" vs \"%s\"\n", (long long)bad, (long long)n,
         (long long)first, str_at(x->data, first), str_at(y->data, first));
  return 1;
}

int cmd_compare(int argc, char **argv) {
  const char *pa = NULL, *pb = NULL;
  double rtol = 1e-3, atol = 1e-4;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--rtol") && i + 1 < argc) rtol = atof(argv[++i]);
    else if (!strcmp(argv[i], "--atol") && i + 1 < argc) atol = atof(argv[++i]);
    else if (!pa) pa = argv[i];
    else if (!pb) pb = argv[i];
    else {
      fprintf(stderr, "usage: mlgen compare A B [--rtol R] [--atol A]\n");
      return 2;
    }
  }
  if (!pa || !pb) {
    fprintf(stderr, "usage: mlgen compare A B [--rtol R] [--atol A]\n");
    return 2;
  }
  Arena *ar = arena_new();
  Diags d = {0};
  TensorData *x, *y;
  int rc = 3;
  if (!ar || load(ar, pa, &x, &d) || load(ar, pb, &y, &d)) {
    if (d.text.len) fputs(d.text.s, stderr);
    goto out;
  }
  rc = 1;
  if (x->dt != y->dt) {
    printf("dtype differs: %s vs %s\n", dtype_info[x->dt].name, dtype_info[y->dt].name);
    goto out;
  }
  bool same = x->rank == y->rank;
  for (int i = 0; same && i < x->rank; i++) same = x->dims[i] == y->dims[i];
  if (!same) {
    printf("shape differs: %s vs %s\n", shape_str(ar, x->rank, x->dims), shape_str(ar, y->rank, y->dims));
    goto out;
  }
  int64_t n = shape_numel(x->rank, x->dims), worst = -1, bad = 0;
  if (x->dt == DT_STRING) {
    rc = compare_strings(x, y, n);
    goto out;
  }
  double wa = 0, wr = 0;
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    double da, db;
    if (dtype_info[x->dt].is_float) {
      da = raw_get_f(x->dt, x->data, i), db = raw_get_f(y->dt, y->data, i);
      if (isnan(da) || isnan(db)) ok = isnan(da) && isnan(db);
      else if (isinf(da) || isinf(db)) ok = da == db;
      else ok = fabs(da - db) <= atol + rtol * fabs(db);
    } else {
      int64_t ia = raw_get_i(x->dt, x->data, i), ib = raw_get_i(y->dt, y->data, i);
      ok = ia == ib;
      da = (double)ia, db = (double)ib;
    }
    double e = fabs(da - db);
    if (!ok) bad++;
    if ((!ok && (worst < 0 || e > wa)) || (bad == 0 && e > wa)) {
      worst = i;
      wa = e;
      wr = db != 0 ? e / fabs(db) : e;
    }
  }
  if (bad) {
    printf("%lld of %lld elements differ; worst at flat index %lld: abs error %g, rel error %g\n", (long long)bad,
           (long long)n, (long long)worst, wa, wr);
  } else {
    printf("equal within rtol %g atol %g (%lld elements, max abs error %g)\n", rtol, atol, (long long)n, wa);
    rc = 0;
  }
out:
  diag_free(&d);
  arena_free(ar);
  return rc;
}
