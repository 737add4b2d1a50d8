/* onnx_check.c: the helper of the ONNX conformance runner (run_node_tests.sh).
 *
 *   onnx_check compare GOT.npy WANT.pb   exit 0 when equal within tolerance,
 *                                        1 on a mismatch (first bad element
 *                                        printed), 2 when a file is unreadable
 *   onnx_check inputs MODEL.onnx         one line per graph input:
 *                                        "<name> float|int" (int = not float)
 *   onnx_check ops MODEL.onnx            the distinct op types of the graph
 *   onnx_check like GOT.npy WANT.pb      for an output of mlgen's own random
 *                                        numbers: exit 0 when dtype and shape
 *                                        are the same and every value is
 *                                        finite and within the reference's
 *                                        min..max widened by its width (the
 *                                        values themselves cannot match)
 *
 * Tolerance: integers, bool and strings exactly; floats |got - want| <= 1e-4 +
 * 1e-3 * |want|, NaN equals NaN, infinities must match; shape and dtype must
 * be the same. The reference values come from the .pb files of the ONNX
 * test data, never from mlgen.
 *
 * Types a .npy cannot hold come as mlgen run writes them (cli/mlgen.c):
 * bf16 as its bits (u2), compared by value as above; float8 and e8m0 as
 * their bits (u1), equal bit for bit or both NaN; int4/uint4/int2/uint2
 * and float4 unpacked, one value (float4: code) a byte, equal exactly. The
 * unpacking and NaN rules here are this file's own (ONNX's onnx.proto and
 * docs/docsgen/source/technical/float8.md). */
#include "frontend.h"
#include "onnx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RTOL 1e-3
#define ATOL 1e-4

/* element i of ONNX's packed 4-bit (two a byte) or 2-bit (four a byte) data,
 * first element in the low bits */
static int unpacked(const TensorData *t, int64_t i, int bits, bool sign) {
  const unsigned char *p = t->data;
  int per = 8 / bits, v = (p[i / per] >> (bits * (int)(i % per))) & ((1 << bits) - 1);
  return sign && v >= 1 << (bits - 1) ? v - (1 << bits) : v;
}

static double bf16_value(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static bool f8_nan(DType dt, unsigned c) {
  switch (dt) {
  case DT_F8E4M3FN: return (c & 0x7F) == 0x7F;
  case DT_F8E4M3FNUZ: case DT_F8E5M2FNUZ: return c == 0x80;
  case DT_F8E5M2: return (c & 0x7F) > 0x7C;
  case DT_F8E8M0: return c == 0xFF;
  default: return false;
  }
}

static int compare_bits(Arena *a, const TensorData *got, const TensorData *want) {
  DType dt = want->dt;
  bool b16 = dt == DT_BF16, i4 = dt == DT_I4 || dt == DT_I2;
  int bits = dt == DT_I4 || dt == DT_U4 || dt == DT_F4E2M1 ? 4 : dt == DT_I2 || dt == DT_U2 ? 2 : 8;
  DType gdt = b16 ? DT_U16 : i4 ? DT_I8 : DT_U8;
  if (got->dt != gdt) {
    printf("dtype %s, expected %s (for %s)\n", dtype_info[got->dt].name, dtype_info[gdt].name, dtype_info[dt].name);
    return 1;
  }
  bool same = got->rank == want->rank;
  for (int i = 0; same && i < got->rank; i++) same = got->dims[i] == want->dims[i];
  if (!same) {
    printf("shape %s, expected %s\n", shape_str(a, got->rank, got->dims), shape_str(a, want->rank, want->dims));
    return 1;
  }
  int64_t n = shape_numel(want->rank, want->dims), bad = 0, first = -1;
  long long fg = 0, fw = 0;
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    long long g, w;
    if (b16) {
      uint16_t gb = ((const uint16_t *)got->data)[i], wb = ((const uint16_t *)want->data)[i];
      double gv = bf16_value(gb), wv = bf16_value(wb);
      if (isnan(wv) || isnan(gv)) ok = isnan(wv) && isnan(gv);
      else if (isinf(wv) || isinf(gv)) ok = gv == wv;
      else ok = fabs(gv - wv) <= ATOL + RTOL * fabs(wv);
      g = gb, w = wb;
    } else if (bits == 8) {
      g = ((const unsigned char *)got->data)[i], w = ((const unsigned char *)want->data)[i];
      ok = g == w || (f8_nan(dt, (unsigned)g) && f8_nan(dt, (unsigned)w));
    } else {
      g = i4 ? ((const signed char *)got->data)[i] : ((const unsigned char *)got->data)[i];
      w = unpacked(want, i, bits, i4);
      ok = g == w;
    }
    if (!ok) {
      if (first < 0) first = i, fg = g, fw = w;
      bad++;
    }
  }
  if (bad) {
    printf("%lld of %lld elements differ; first at %lld: got 0x%llx, expected 0x%llx (%s bits)\n", (long long)bad,
           (long long)n, (long long)first, fg, fw, dtype_info[dt].name);
    return 1;
  }
  return 0;
}

static int compare_td(Arena *a, const TensorData *got, const TensorData *want, bool like);

/* the reference as a sequence or optional, tried in turn */
static SeqData *load_value(Arena *a, const char *path, Diags *d) {
  static const GKind kinds[] = {GK_SEQ, GK_OPT};
  for (int i = 0; i < 2; i++) {
    Diags scratch = {0};
    SeqData *sd;
    int rc = onnx_load_value(a, path, kinds[i], &sd, &scratch);
    if (!rc) {
      diag_free(&scratch);
      return sd;
    }
    if (i == 1) buf_puts(&d->text, scratch.text.s ? scratch.text.s : "unreadable file\n");
    diag_free(&scratch);
  }
  return NULL;
}

/* GOT is output_<k>.npy; a sequence output is output_<k>.seq (its length)
 * with output_<k>_<j>.npy, an empty optional output_<k>.none (mlgen run
 * --numbered, docs/c-api.md); the reference then a SequenceProto or an
 * OptionalProto */
static int compare(const char *got_path, const char *want_path, bool like) {
  Arena *a = arena_new();
  Diags d = {0};
  TensorData *got, *want;
  int rc = 2;
  size_t gl = strlen(got_path);
  const char *stem = gl > 4 && !strcmp(got_path + gl - 4, ".npy") ? arena_printf(a, "%.*s", (int)(gl - 4), got_path) : got_path;
  FILE *f;
  if (access(got_path, F_OK) && (f = fopen(arena_printf(a, "%s.seq", stem), "r"))) {
    int n = -1;
    if (fscanf(f, "%d", &n) != 1) n = -1;
    fclose(f);
    SeqData *sd = load_value(a, want_path, &d);
    if (!sd || n < 0) {
      fprintf(stderr, "%s", d.text.s ? d.text.s : "unreadable length\n");
      goto done;
    }
    rc = 1;
    if (sd->none || sd->n != n) {
      printf("a sequence of %d tensors, expected %s%d\n", n, sd->none ? "no value, " : "", sd->n);
      goto done;
    }
    for (int j = 0; j < n; j++) {
      if (npy_read(a, arena_printf(a, "%s_%d.npy", stem, j), (Loc){0}, &got, &d)) {
        fprintf(stderr, "%s", d.text.s ? d.text.s : "unreadable file\n");
        rc = 2;
        goto done;
      }
      if (compare_td(a, got, sd->t[j], like)) {
        printf("  (element %d of the sequence)\n", j);
        goto done;
      }
    }
    rc = 0;
    goto done;
  }
  if (access(got_path, F_OK) && !access(arena_printf(a, "%s.none", stem), F_OK)) {
    SeqData *sd = load_value(a, want_path, &d);
    rc = sd ? sd->none ? 0 : 1 : 2;
    if (rc == 1) printf("an optional without a value, expected one\n");
    if (rc == 2) fprintf(stderr, "%s", d.text.s ? d.text.s : "unreadable file\n");
    goto done;
  }
  if (npy_read(a, got_path, (Loc){0}, &got, &d)) {
    fprintf(stderr, "%s", d.text.s ? d.text.s : "unreadable file\n");
    goto done;
  }
  Diags scratch = {0};
  if (onnx_load_tensor(a, want_path, &want, &scratch)) { /* an optional tensor? */
    SeqData *sd = load_value(a, want_path, &d);
    if (!sd || sd->kind != GK_OPT || sd->n != 1) {
      if (sd) printf("a tensor, expected %s\n", sd->none ? "an optional without a value" : "a sequence");
      else fprintf(stderr, "%s%s", scratch.text.s ? scratch.text.s : "", d.text.s ? d.text.s : "unreadable file\n");
      rc = sd ? 1 : 2;
      diag_free(&scratch);
      goto done;
    }
    want = sd->t[0];
  }
  diag_free(&scratch);
  rc = compare_td(a, got, want, like);
done:
  diag_free(&d);
  arena_free(a);
  return rc;
}

/* 0 equal, 1 not (the first difference printed) */
static int compare_td(Arena *a, const TensorData *got, const TensorData *want, bool like) {
  int rc = 1;
  if (want->dt == DT_BF16 || dtype_onnx_only(want->dt)) {
    rc = compare_bits(a, got, want);
    goto done;
  }
  if (got->dt != want->dt) {
    printf("dtype %s, expected %s\n", dtype_info[got->dt].name, dtype_info[want->dt].name);
    goto done;
  }
  bool same = got->rank == want->rank;
  for (int i = 0; same && i < got->rank; i++) same = got->dims[i] == want->dims[i];
  if (!same) {
    printf("shape %s, expected %s\n", shape_str(a, got->rank, got->dims), shape_str(a, want->rank, want->dims));
    goto done;
  }
  int64_t n = shape_numel(want->rank, want->dims), bad = 0, first = -1;
  double fg = 0, fw = 0;
  if (like && want->dt != DT_STRING) {
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
      double w = raw_get_f(want->dt, want->data, i);
      if (isfinite(w)) lo = w < lo ? w : lo, hi = w > hi ? w : hi;
    }
    double wid = hi - lo;
    for (int64_t i = 0; i < n && lo <= hi; i++) {
      double g = raw_get_f(got->dt, got->data, i);
      if (!isfinite(g) || g < lo - wid || g > hi + wid) {
        printf("element %lld = %.9g is outside %.9g..%.9g\n", (long long)i, g, lo - wid, hi + wid);
        goto done;
      }
    }
    rc = 0;
    goto done;
  }
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    if (want->dt == DT_STRING) {
      ok = !strcmp(str_at(got->data, i), str_at(want->data, i));
      if (!ok && first < 0) printf("string %lld: got \"%s\", expected \"%s\"\n", (long long)i, str_at(got->data, i),
                                   str_at(want->data, i));
    } else if (dtype_info[want->dt].is_float) {
      double g = raw_get_f(got->dt, got->data, i), w = raw_get_f(want->dt, want->data, i);
      if (isnan(w) || isnan(g)) ok = isnan(w) && isnan(g);
      else if (isinf(w) || isinf(g)) ok = g == w;
      else ok = fabs(g - w) <= ATOL + RTOL * fabs(w);
      if (!ok && first < 0) fg = g, fw = w;
    } else {
      int64_t g = raw_get_i(got->dt, got->data, i), w = raw_get_i(want->dt, want->data, i);
      ok = g == w;
      if (!ok && first < 0) fg = (double)g, fw = (double)w;
    }
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) {
    printf("%lld of %lld elements differ; first at %lld: got %.9g, expected %.9g\n", (long long)bad, (long long)n,
           (long long)first, fg, fw);
    goto done;
  }
  rc = 0;
done:
  return rc;
}

static int model_info(const char *what, const char *path) {
  Arena *a = arena_new();
  Diags d = {0};
  Graph *g;
  int rc = 2;
  if (onnx_load(a, path, &g, &d)) {
    fprintf(stderr, "%s", d.text.s ? d.text.s : "unreadable model\n");
    goto done;
  }
  if (!strcmp(what, "inputs")) {
    for (int i = 0; i < g->inputs.n; i++) {
      GTensor *t = g->inputs.v[i];
      printf("%s %s\n", t->name, t->dt != DT_UNDEF && dtype_info[t->dt].is_float ? "float" : "int");
    }
  } else {
    for (int i = 0; i < g->nodes.n; i++) {
      const char *op = ((GNode *)g->nodes.v[i])->op;
      bool seen = false;
      for (int k = 0; k < i && !seen; k++) seen = !strcmp(op, ((GNode *)g->nodes.v[k])->op);
      if (!seen) printf("%s\n", op);
    }
  }
  rc = 0;
done:
  diag_free(&d);
  arena_free(a);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "compare")) return compare(argv[2], argv[3], false);
  if (argc == 4 && !strcmp(argv[1], "like")) return compare(argv[2], argv[3], true);
  if (argc == 3 && (!strcmp(argv[1], "inputs") || !strcmp(argv[1], "ops"))) return model_info(argv[1], argv[2]);
  fprintf(stderr, "usage: onnx_check compare GOT.npy WANT.pb | inputs MODEL.onnx | ops MODEL.onnx\n");
  return 2;
}
