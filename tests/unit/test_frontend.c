/* test_frontend.c: the YAML reader and .npy I/O against small files written
 * into a fresh temp folder.
 *
 * Good models must come out with the right nodes, attributes, shapes and
 * locations; every .npy dtype must round-trip; every bad input must fail
 * with an error at the exact file:line:col and a recognizable phrase; and
 * mutated files must never crash (run it under valgrind too).
 *
 * gcc -std=c11 -Wall -Wextra -Werror -Iir -Ifrontend tests/unit/test_frontend.c frontend/yaml.c \
 *     frontend/npy.c ir/util.c $(pkg-config --cflags --libs yaml-0.1) -lm
 */
#define _POSIX_C_SOURCE 200809L
#include "frontend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int npass, nfail;
#define CHECK(c)                                                                                                      \
  do {                                                                                                                \
    if (c) npass++;                                                                                                   \
    else {                                                                                                            \
      nfail++;                                                                                                        \
      fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #c);                                                   \
    }                                                                                                                 \
  } while (0)

/* ------------------------------------------------------------ temp files */
static char tmpdir[] = "/tmp/mlgen_frontend_XXXXXX";
static char *made[512];
static int nmade;

static const char *path_of(const char *name) {
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static void remember(const char *p) {
  for (int i = 0; i < nmade; i++)
    if (!strcmp(made[i], p)) return;
  if (nmade < 512) made[nmade++] = strdup(p);
}

static const char *put_bytes(const char *name, const void *data, size_t n) {
  const char *p = path_of(name);
  FILE *f = fopen(p, "wb");
  if (!f) {
    perror(p);
    exit(2);
  }
  fwrite(data, 1, n, f);
  fclose(f);
  remember(p);
  return p;
}

static const char *put(const char *name, const char *text) { return put_bytes(name, text, strlen(text)); }

static void mkdir_in(const char *name) {
  const char *p = path_of(name);
  mkdir(p, 0700);
  remember(p);
}

static void cleanup(void) {
  for (int i = nmade - 1; i >= 0; i--) { /* files after the folders they sit in */
    if (remove(made[i])) rmdir(made[i]);
    free(made[i]);
  }
  rmdir(tmpdir);
}

static bool has(const Diags *d, const char *s) { return d->text.s && strstr(d->text.s, s); }

/* ------------------------------------------------------------------ npy */
static void npy_bytes(const char *name, int version, const char *dict, const void *data, size_t n) {
  unsigned char buf[4096];
  size_t hl = strlen(dict), k = 0;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)version;
  buf[7] = 0;
  k = 8;
  buf[k++] = (unsigned char)(hl & 255);
  buf[k++] = (unsigned char)(hl >> 8);
  if (version > 1) buf[k++] = 0, buf[k++] = 0;
  memcpy(buf + k, dict, hl);
  k += hl;
  memcpy(buf + k, data, n);
  put_bytes(name, buf, k + n);
}

static void test_npy_roundtrip(void) {
  static const int64_t shapes[][4] = {{0}, {7}, {2, 3}, {1, 2, 1, 3}, {0, 3}};
  static const int ranks[] = {0, 1, 2, 4, 2};
  for (int dt = 1; dt < DT_COUNT; dt++) {
    if (!dtype_info[dt].npy[0]) continue;
    for (int s = 0; s < 5; s++) {
      int64_t n = shape_numel(ranks[s], shapes[s]);
      unsigned char data[64] = {0};
      for (int64_t i = 0; i < n; i++) raw_set_f((DType)dt, data, i, (double)(i * 3 % 5) - (dtype_info[dt].is_signed ? 1 : 0));
      char err[256];
      const char *p = path_of("rt.npy");
      remember(p);
      CHECK(npy_write(p, (DType)dt, ranks[s], shapes[s], data, err, sizeof err) == 0);
      FILE *f = fopen(p, "rb");
      unsigned char hdr[10];
      CHECK(f && fread(hdr, 1, 10, f) == 10);
      if (f) fclose(f);
      CHECK((10 + (hdr[8] | hdr[9] << 8)) % 64 == 0); /* data aligned as numpy does */
      Arena *a = arena_new();
      Diags d = {0};
      TensorData *t = NULL;
      CHECK(npy_read(a, p, (Loc){0}, &t, &d) == 0);
      if (t) {
        CHECK(t->dt == (DType)dt);
        CHECK(t->rank == ranks[s]);
        CHECK(!memcmp(t->dims, shapes[s], sizeof(int64_t) * (size_t)ranks[s]));
        CHECK(!memcmp(t->data, data, (size_t)n * (size_t)dtype_info[dt].size));
      }
      if (d.nerr) fprintf(stderr, "%s", d.text.s);
      diag_free(&d);
      arena_free(a);
    }
  }
  char err[256];
  int64_t dims[1] = {2};
  CHECK(npy_write(path_of("no/such/dir.npy"), DT_F32, 1, dims, "12345678", err, sizeof err) == -1 && *err);
  CHECK(npy_write(path_of("bf.npy"), DT_BF16, 1, dims, "1234", err, sizeof err) == -1);

  /* format versions 2 and 3, and a header written with double quotes */
  float v[3] = {1, 2, 3};
  npy_bytes("v2.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", v, sizeof v);
  npy_bytes("v3.npy", 3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3L,)}\n", v, sizeof v);
  npy_bytes("u1.npy", 1, "{'descr': '<u1', 'fortran_order': False, 'shape': (), }\n", "\x07", 1);
  const char *ok[] = {"v2.npy", "v3.npy", "u1.npy"};
  for (int i = 0; i < 3; i++) {
    Arena *a = arena_new();
    Diags d = {0};
    TensorData *t = NULL;
    CHECK(npy_read(a, path_of(ok[i]), (Loc){0}, &t, &d) == 0);
    CHECK(t && (i == 2 ? t->dt == DT_U8 && t->rank == 0 : t->dt == DT_F32 && t->dims[0] == 3 &&
                                                                !memcmp(t->data, v, sizeof v)));
    diag_free(&d);
    arena_free(a);
  }
}

static void npy_bad(const char *name, Loc loc, const char *phrase) {
  Arena *a = arena_new();
  Diags d = {0};
  TensorData *t = (TensorData *)1;
  const char *p = path_of(name);
  int rc = npy_read(a, p, loc, &t, &d);
  char start[600];
  if (loc.file) snprintf(start, sizeof start, "%s:%d:%d: error: %s: ", loc.file, loc.line, loc.col, p);
  else snprintf(start, sizeof start, "%s: error: ", p);
  bool good = rc == -1 && t == NULL && d.nerr == 1 && d.text.s && !strncmp(d.text.s, start, strlen(start)) &&
              has(&d, phrase);
  CHECK(good);
  if (!good) fprintf(stderr, "  %s: want '%s' ... '%s', got: %s", name, start, phrase, d.text.s ? d.text.s : "(none)\n");
  diag_free(&d);
  arena_free(a);
}

/* numpy unicode arrays: '<U<w>', w UTF-32LE code points per element,
 * NUL-padded; mlgen holds them as UTF-8 strings. */
static void test_npy_strings(void) {
  static const char *const s[4] = {"a", "", "\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", "q\"\\\n\0017"};
  unsigned char slots[4 * 8];
  for (int i = 0; i < 4; i++) str_put(slots, i, s[i]);
  const char *p = path_of("u.npy");
  remember(p);
  char err[256];
  CHECK(npy_write(p, DT_STRING, 2, (int64_t[]){2, 2}, slots, err, sizeof err) == 0);
  FILE *f = fopen(p, "rb");
  unsigned char file[512] = {0};
  size_t n = f ? fread(file, 1, sizeof file, f) : 0;
  if (f) fclose(f);
  size_t hl = (size_t)(file[8] | file[9] << 8);
  CHECK(n == 10 + hl + 4 * 6 * 4); /* width 6: the longest string, "q\"\\\n\x017", in code points */
  CHECK(strstr((const char *)file + 10, "'descr': '<U6'") != NULL); /* the header, up to the data's first NUL */
  const unsigned char *d = file + 10 + hl;
  CHECK(d[0] == 'a' && !d[1] && !d[4]);                                   /* "a", NUL-padded */
  CHECK(d[48] == 0xe9 && !d[49] && d[52] == 0xe5 && d[53] == 0x65 && d[56] == 0x2c && d[57] == 0x67); /* é 日 本 */
  Arena *a = arena_new();
  Diags dg = {0};
  TensorData *t = NULL;
  CHECK(npy_read(a, p, (Loc){0}, &t, &dg) == 0);
  CHECK(t && t->dt == DT_STRING && t->rank == 2 && t->dims[1] == 2);
  for (int i = 0; t && i < 4; i++) CHECK(!strcmp(str_at(t->data, i), s[i]));
  /* hand-made files: padding is stripped; a NUL inside, a surrogate, bad UTF-8 out are refused */
  uint32_t u[4] = {0xe9, 0, 'a', 'b'}, nul[2] = {'a', 0}, nul2[2] = {0, 'b'}, sur[2] = {0xd800, 0};
  npy_bytes("u2.npy", 1, "{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }", u, 16);
  npy_bytes("nul.npy", 1, "{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }", nul2, 8);
  npy_bytes("sur.npy", 1, "{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }", sur, 8);
  npy_bytes("pad.npy", 1, "{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }", nul, 8);
  CHECK(npy_read(a, path_of("u2.npy"), (Loc){0}, &t, &dg) == 0 && !strcmp(str_at(t->data, 0), "\xc3\xa9") &&
        !strcmp(str_at(t->data, 1), "ab"));
  CHECK(npy_read(a, path_of("pad.npy"), (Loc){0}, &t, &dg) == 0 && !strcmp(str_at(t->data, 0), "a"));
  npy_bad("nul.npy", (Loc){0}, "NUL character");
  npy_bad("sur.npy", (Loc){0}, "invalid code point");
  str_put(slots, 0, "\xc3(");
  CHECK(npy_write(path_of("bad.npy"), DT_STRING, 1, (int64_t[]){1}, slots, err, sizeof err) != 0 &&
        strstr(err, "not UTF-8"));
  if (dg.nerr) fprintf(stderr, "%s", dg.text.s);
  diag_free(&dg);
  arena_free(a);
}

static void test_npy_errors(void) {
  float v[8] = {0};
  const char *H = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  npy_bytes("short.npy", 1, H, v, 20);
  npy_bytes("long.npy", 1, H, v, 28);
  npy_bytes("long2.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", v, 24);
  npy_bytes("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", v, 24);
  npy_bytes("fo.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", v, 24);
  npy_bytes("obj.npy", 1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", v, 8);
  npy_bytes("rec.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", v, 4);
  npy_bytes("huge.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", v, 4);
  npy_bytes("big.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", v, 8);
  npy_bytes("dig.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", v, 4);
  npy_bytes("rank9.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", v, 4);
  npy_bytes("nokey.npy", 1, "{'descr': '<f4', 'shape': (1,), }", v, 4);
  npy_bytes("ver.npy", 9, H, v, 24);
  npy_bytes("junk.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", v, 4);
  put_bytes("magic.npy", "PK\x03\x04 not numpy", 15);
  put_bytes("cut.npy", "\x93NUMPY\x01\x00\x40\x00{'descr'", 17);

  Loc none = {0};
  npy_bad("short.npy", none, "truncated data");
  npy_bad("long.npy", none, "trailing bytes");
  npy_bad("long2.npy", none, "trailing bytes");
  npy_bad("be.npy", none, "big-endian");
  npy_bad("fo.npy", none, "fortran_order");
  npy_bad("obj.npy", none, "unsupported dtype object ('|O'");
  npy_bad("rec.npy", none, "structured dtypes");
  npy_bad("huge.npy", none, "shape is too large");
  npy_bad("big.npy", none, "truncated data");
  npy_bad("dig.npy", none, "dimension too large");
  npy_bad("rank9.npy", none, "rank exceeds");
  npy_bad("nokey.npy", none, "lacks");
  npy_bad("ver.npy", none, "version 9");
  npy_bad("junk.npy", none, "unexpected key");
  npy_bad("magic.npy", none, "bad magic");
  npy_bad("cut.npy", none, "truncated header");
  npy_bad("missing.npy", none, "cannot open");
  npy_bad("short.npy", (Loc){.file = "m.yaml", .line = 4, .col = 9}, "truncated data");
}

/* ----------------------------------------------------------------- yaml */
static const char *GOOD =
    "mlgen: 1\n"                                                               /* 1 */
    "name: tiny_net\n"                                                         /* 2 */
    "opset: {ai.onnx: 17, ai.onnx.ml: 3}\n"                                    /* 3 */
    "inputs:\n"                                                                /* 4 */
    "  x: {dtype: f32, shape: [N, 4]}\n"                                       /* 5 */
    "  mask: {dtype: bool, shape: []}\n"                                       /* 6 */
    "outputs: {y: {dtype: f32}, z: }\n"                                        /* 7 */
    "initializers:\n"                                                          /* 8 */
    "  w: {file: weights/w.npy}\n"                                             /* 9 */
    "  b: {dtype: f32, shape: [2], data: [0.5, -1]}\n"                         /* 10 */
    "  s: {dtype: i64, data: 7}\n"                                             /* 11 */
    "  m: {dtype: i8, shape: [2, 2], data: [[1, -2], [3, 127]]}\n"             /* 12 */
    "  l: {data: [1, 2, 3]}\n"                                                 /* 13 */
    "nodes:\n"                                                                 /* 14 */
    "  - {op: Gemm, in: [x, w, b], out: [h], transB: 1, alpha: 0.5, name: fc1}\n" /* 15 */
    "  - op: Clip\n"                                                           /* 16 */
    "    in: [h, \"\", s]\n"                                                   /* 17 */
    "    out: [y]\n"                                                           /* 18 */
    "    mode: \"7\"\n"                                                        /* 19 */
    "    pads: [1, 1, 0, 0]\n"                                                 /* 20 */
    "    scales: [1, 2.5, .inf]\n"                                             /* 21 */
    "    names: [a, \"b\"]\n"                                                  /* 22 */
    "    value: {dtype: f16, shape: [1], data: [1.5]}\n"                       /* 23 */
    "    keep: true\n"                                                         /* 24 */
    "    none: []\n"                                                           /* 25 */
    "    eps: 1e-5\n"                                                          /* 26 */
    "  - {op: TreeEnsembleClassifier, domain: ai.onnx.ml, in: [y], out: [z], post_transform: NONE}\n"; /* 27 */

static const Attr *want_attr(const GNode *n, const char *name, AttrType t) {
  const Attr *a = attr_find(n, name);
  CHECK(a && a->type == t);
  return a && a->type == t ? a : NULL;
}

static void test_good(void) {
  mkdir_in("weights");
  float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  int64_t wd[2] = {2, 4};
  char err[256];
  CHECK(npy_write(path_of("weights/w.npy"), DT_F32, 2, wd, w, err, sizeof err) == 0);
  remember(path_of("weights/w.npy"));
  const char *yp = put("good.yaml", GOOD);

  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec s;
  int rc = yaml_load(a, yp, &s, &d);
  CHECK(rc == 0 && d.nerr == 0);
  if (rc) {
    fprintf(stderr, "%s", d.text.s);
    goto out;
  }
  Graph *g = s.g;
  CHECK(g && !s.model && !strcmp(s.name, "tiny_net") && !strcmp(g->name, "tiny_net"));
  CHECK(!strcmp(g->file, yp) && g->opset == 17 && g->opset_ml == 3);
  CHECK(g->inputs.n == 2 && g->inits.n == 5 && g->outputs.n == 2 && g->nodes.n == 3);
  GTensor *x = g->inputs.v[0], *mask = g->inputs.v[1];
  CHECK(!strcmp(x->name, "x") && x->dt == DT_F32 && x->rank == 2 && x->dims[0] == -1 && x->dims[1] == 4);
  CHECK(x->sym[0] && !strcmp(x->sym[0], "N") && !x->sym[1]);
  CHECK(x->loc.line == 5 && x->loc.col == 3 && !strcmp(x->loc.file, yp));
  CHECK(!strcmp(mask->name, "mask") && mask->dt == DT_BOOL && mask->rank == 0);
  GTensor *y = g->outputs.v[0], *z = g->outputs.v[1];
  CHECK(!strcmp(y->name, "y") && y->dt == DT_F32 && y->rank == -1);
  CHECK(!strcmp(z->name, "z") && z->dt == DT_UNDEF && z->rank == -1 && z->loc.line == 7 && z->loc.col == 28);

  GTensor *wt = g->inits.v[0], *bt = g->inits.v[1], *st = g->inits.v[2], *mt = g->inits.v[3], *lt = g->inits.v[4];
  CHECK(wt->init && wt->dt == DT_F32 && wt->rank == 2 && wt->dims[0] == 2 && wt->dims[1] == 4);
  CHECK(wt->init && !memcmp(wt->init->data, w, sizeof w) && wt->loc.line == 9 && wt->loc.col == 3);
  CHECK(bt->init && bt->rank == 1 && bt->dims[0] == 2 && raw_get_f(DT_F32, bt->init->data, 0) == 0.5 &&
        raw_get_f(DT_F32, bt->init->data, 1) == -1);
  CHECK(st->init && st->dt == DT_I64 && st->rank == 0 && raw_get_i(DT_I64, st->init->data, 0) == 7);
  CHECK(mt->init && mt->dt == DT_I8 && mt->rank == 2 && raw_get_i(DT_I8, mt->init->data, 1) == -2 &&
        raw_get_i(DT_I8, mt->init->data, 3) == 127);
  CHECK(lt->init && lt->dt == DT_F32 && lt->rank == 1 && lt->dims[0] == 3);

  GNode *n0 = g->nodes.v[0], *n1 = g->nodes.v[1], *n2 = g->nodes.v[2];
  CHECK(!strcmp(n0->op, "Gemm") && !strcmp(n0->name, "fc1") && !strcmp(n0->domain, "") && n0->opset == 0);
  CHECK(n0->nin == 3 && !strcmp(n0->in[1], "w") && n0->nout == 1 && !strcmp(n0->out[0], "h"));
  CHECK(n0->loc.line == 15 && n0->loc.col == 5);
  CHECK(n0->in_loc && n0->in_loc[2].line == 15 && n0->in_loc[2].col == 27);
  CHECK(n0->nattr == 2);
  const Attr *at = want_attr(n0, "transB", AT_INT);
  CHECK(at && at->i == 1 && at->loc.line == 15 && at->loc.col == 49);
  at = want_attr(n0, "alpha", AT_FLOAT);
  CHECK(at && at->f == 0.5);

  CHECK(!strcmp(n1->op, "Clip") && n1->loc.line == 16 && n1->loc.col == 5 && !n1->name);
  CHECK(n1->nin == 3 && !strcmp(n1->in[1], "") && !strcmp(n1->in[2], "s"));
  CHECK(n1->in_loc[1].line == 17 && n1->in_loc[1].col == 13);
  CHECK(n1->nattr == 8);
  at = want_attr(n1, "mode", AT_STRING);
  CHECK(at && !strcmp(at->s, "7") && at->loc.line == 19 && at->loc.col == 11);
  at = want_attr(n1, "pads", AT_INTS);
  CHECK(at && at->n == 4 && at->ints[0] == 1 && at->ints[3] == 0);
  at = want_attr(n1, "scales", AT_FLOATS);
  CHECK(at && at->n == 3 && at->floats[0] == 1 && at->floats[1] == 2.5 && isinf(at->floats[2]));
  at = want_attr(n1, "names", AT_STRINGS);
  CHECK(at && at->n == 2 && !strcmp(at->strs[0], "a") && !strcmp(at->strs[1], "b"));
  at = want_attr(n1, "value", AT_TENSOR);
  CHECK(at && at->t && at->t->dt == DT_F16 && at->t->rank == 1 && raw_get_f(DT_F16, at->t->data, 0) == 1.5);
  at = want_attr(n1, "keep", AT_INT);
  CHECK(at && at->i == 1);
  at = want_attr(n1, "none", AT_INTS);
  CHECK(at && at->n == 0);
  at = want_attr(n1, "eps", AT_FLOAT);
  CHECK(at && fabs(at->f - 1e-5) < 1e-12);

  CHECK(!strcmp(n2->domain, "ai.onnx.ml") && n2->nattr == 1);
  at = want_attr(n2, "post_transform", AT_STRING);
  CHECK(at && !strcmp(at->s, "NONE"));
out:
  diag_free(&d);
  arena_free(a);
}

static void test_wrapper(void) {
  const char *yp = put("wrap.yaml", "mlgen: 1\n"
                                    "name: resnet8\n"
                                    "model: sub/resnet8.onnx\n"
                                    "inputs: {input: {shape: [1, 3, 32, 32]}, len: {shape: []}}\n"
                                    "build: {backends: [c, vulkan, webgpu], target: cortex-m4, tree_strategy: gemm}\n");
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec s;
  CHECK(yaml_load(a, yp, &s, &d) == 0);
  char want[600];
  snprintf(want, sizeof want, "%s/sub/resnet8.onnx", tmpdir);
  CHECK(!s.g && s.model && !strcmp(s.model, want) && !strcmp(s.name, "resnet8"));
  CHECK(s.model_loc.line == 3 && s.model_loc.col == 8);
  CHECK(s.pins.nshape == 2 && !strcmp(s.pins.shape_name[0], "input") && s.pins.shape_rank[0] == 4);
  CHECK(s.pins.shape_dims[0][1] == 3 && s.pins.shape_dims[0][3] == 32 && s.pins.shape_rank[1] == 0);
  CHECK(s.backends.n == 3 && !strcmp(s.backends.v[1], "vulkan") && s.backend_loc[2].line == 5 &&
        s.backend_loc[2].col == 31);
  CHECK(s.target && !strcmp(s.target, "cortex-m4") && s.tree_strategy && !strcmp(s.tree_strategy, "gemm"));
  CHECK(s.target_loc.line == 5 && s.target_loc.col == 48);
  if (d.nerr) fprintf(stderr, "%s", d.text.s);
  diag_free(&d);
  arena_free(a);

  /* an absolute model path stays as written */
  yp = put("wrap2.yaml", "mlgen: 1\nname: m\nmodel: /abs/m.onnx\n");
  a = arena_new();
  CHECK(yaml_load(a, yp, &s, &d) == 0 && !strcmp(s.model, "/abs/m.onnx") && s.pins.nshape == 0);
  diag_free(&d);
  arena_free(a);
}

/* The example shipped with the repo, when run from the source root. */
static void test_digits(void) {
  const char *p = "examples/digits/digits.yaml";
  if (access(p, R_OK)) {
    printf("skip: %s not found (run from the source root)\n", p);
    return;
  }
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec s;
  CHECK(yaml_load(a, p, &s, &d) == 0);
  if (d.nerr) fprintf(stderr, "%s", d.text.s);
  CHECK(s.g && s.g->nodes.n == 6 && s.g->inits.n == 6 && s.g->inputs.n == 1);
  if (s.g && s.g->inits.n == 6) {
    GTensor *w = s.g->inits.v[0];
    CHECK(w->rank == 2 && w->dims[1] == 64 && w->dt == DT_F32);
  }
  diag_free(&d);
  arena_free(a);
}

/* One bad file: the first message must start with file:line:col: error: and
 * contain phrase. */
static void bad(const char *text, int line, int col, const char *phrase) {
  const char *yp = put("bad.yaml", text);
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec s;
  int rc = yaml_load(a, yp, &s, &d);
  char start[600];
  snprintf(start, sizeof start, "%s:%d:%d: error: ", yp, line, col);
  bool good = rc == -1 && d.nerr == 1 && !s.g && d.text.s && !strncmp(d.text.s, start, strlen(start)) &&
              has(&d, phrase);
  CHECK(good);
  if (!good) fprintf(stderr, "  want %d:%d '%s' for:\n%s  got: %s", line, col, phrase, text, d.text.s ? d.text.s : "(none)\n");
  diag_free(&d);
  arena_free(a);
}

#define HEAD "mlgen: 1\nname: m\n"
#define IO "inputs: {x: {shape: [1]}}\noutputs: [y]\n"

static void test_errors(void) {
  mkdir_in("w");
  float v[4] = {0};
  int64_t two = 2;
  char e[200];
  CHECK(npy_write(path_of("w/ok.npy"), DT_F32, 1, &two, v, e, sizeof e) == 0);
  remember(path_of("w/ok.npy"));
  npy_bytes("w/short.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", v, 8);

  /* YAML itself */
  bad("mlgen: 1\nname: [a, b\n", 3, 1, "malformed YAML");
  bad("mlgen: 1\n  name: m\n", 2, 7, "malformed YAML");
  bad("mlgen: 1\nname: \"m\xff\"\n", 2, 9, "malformed YAML");
  bad("", 1, 1, "empty file");
  bad("- a\n- b\n", 1, 1, "top level must be a mapping");
  bad(HEAD "---\nmlgen: 1\n", 3, 1, "only one YAML document");
  bad(HEAD "x: &a 1\ny: *a\n", 3, 4, "anchors (&name) are not supported"); /* the anchor, before its alias */
  bad(HEAD "x: !!str 1\n", 3, 4, "tags (!tag) are not supported");
  bad(HEAD "x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
      3, 67, "nesting deeper");
  bad(HEAD "name: n\n", 3, 1, "duplicate key 'name'");
  bad(HEAD "[a]: 1\n", 3, 1, "keys must be plain strings");

  /* top level */
  bad(HEAD "outptus: [y]\n", 3, 1, "unknown key 'outptus'");
  bad("name: m\nnodes: []\n", 1, 1, "missing required key 'mlgen'");
  bad("mlgen: 1\nnodes: []\n", 1, 1, "missing required key 'name'");
  bad("mlgen: 2\nname: m\n", 1, 8, "expected 'mlgen: 1'");
  bad("mlgen: \"1\"\nname: m\n", 1, 8, "expected 'mlgen: 1'");
  bad("mlgen: 1\nname: 3d-net\n", 2, 7, "must be a C identifier");
  bad(HEAD IO, 1, 1, "missing required key 'nodes'");
  bad(HEAD "inputs: {x: {shape: [1]}}\nnodes: []\n", 1, 1, "missing required key 'outputs'");
  bad(HEAD "inputs: [x]\noutputs: [y]\nnodes: []\n", 3, 9, "'inputs' must be a mapping");
  bad(HEAD IO "nodes: {a: 1}\n", 5, 8, "'nodes' must be a list");
  bad(HEAD IO "nodes: []\nopset: 0\n", 6, 8, "out of range");
  bad(HEAD "model: a.onnx\nnodes: []\n", 4, 1, "cannot be used together with 'model:'");
  bad(HEAD "model: a.onnx\ninputs: {x: {dtype: f32, shape: [1]}}\n", 4, 14, "unknown key 'dtype'");
  bad(HEAD "model: a.onnx\ninputs: {x: {shape: [N]}}\n", 4, 22, "pinned shapes are static");
  bad(HEAD "model: a.onnx\nbuild: {backends: c}\n", 4, 19, "'backends' must be a list");
  bad(HEAD "model: a.onnx\nbuild: {backend: [c]}\n", 4, 9, "unknown key 'backend'");

  /* tensor declarations */
  bad(HEAD "inputs: {x: {dtype: f33, shape: [1]}}\noutputs: [y]\nnodes: []\n", 3, 21, "unknown dtype 'f33'");
  bad(HEAD "inputs: {x: {shape: [2, -3]}}\noutputs: [y]\nnodes: []\n", 3, 25, "negative dimension -3");
  bad(HEAD "inputs: {x: {shape: [4294967296, 4294967296]}}\noutputs: [y]\nnodes: []\n", 3, 34, "overflow");
  bad(HEAD "inputs: {x: {shape: [99999999999999999999]}}\noutputs: [y]\nnodes: []\n", 3, 22, "too large");
  bad(HEAD "inputs: {x: {shape: [1.5]}}\noutputs: [y]\nnodes: []\n", 3, 22, "dimension must be");
  bad(HEAD "inputs: {x: {shape: [1,1,1,1,1,1,1,1,1]}}\noutputs: [y]\nnodes: []\n", 3, 21, "exceeds the maximum");
  bad(HEAD "inputs: {x: {shape: 5}}\noutputs: [y]\nnodes: []\n", 3, 21, "shape must be a list");
  bad(HEAD "inputs: {x: {dtype: f32}}\noutputs: [y]\nnodes: []\n", 3, 13, "needs a 'shape'");
  bad(HEAD "inputs: {x: {shape: [1]}}\noutputs: [y, y]\nnodes: []\n", 4, 14, "declared twice");
  bad(HEAD IO "initializers:\n  x: {data: [1]}\nnodes: []\n", 6, 3, "tensor 'x' is declared twice");
  bad(HEAD IO "initializers:\n  w: {dtype: f32, shape: [2, 2], data: [1, 2, 3]}\nnodes: []\n", 6, 40,
      "data has 3 values but shape [2,2] needs 4");
  bad(HEAD IO "initializers:\n  w: {data: [1, two, 3]}\nnodes: []\n", 6, 17, "not a number: 'two'");
  bad(HEAD IO "initializers:\n  w: {data: [1, {a: 1}]}\nnodes: []\n", 6, 13, "must be a number or a list");
  bad(HEAD IO "initializers:\n  w: {dtype: i8, data: [1, 300]}\nnodes: []\n", 6, 28, "out of range for i8");
  bad(HEAD IO "initializers:\n  w: {dtype: i32, data: [1.5]}\nnodes: []\n", 6, 26, "expected an integer for i32");
  bad(HEAD IO "initializers:\n  w: {dtype: u64, data: [-1]}\nnodes: []\n", 6, 26, "out of range for u64");
  bad(HEAD IO "initializers:\n  w: {dtype: f16, data: [70000]}\nnodes: []\n", 6, 26, "out of range for f16");
  bad(HEAD IO "initializers:\n  w: {data: [1e999]}\nnodes: []\n", 6, 14, "out of range");
  bad(HEAD IO "initializers:\n  w: {dtype: bool, data: [yes]}\nnodes: []\n", 6, 27, "expected true, false");
  bad(HEAD IO "initializers:\n  w: {shape: [2]}\nnodes: []\n", 6, 6, "needs 'file'");
  bad(HEAD IO "initializers:\n  w: {file: w/ok.npy, data: [1]}\nnodes: []\n", 6, 29, "both 'file' and 'data'");
  bad(HEAD IO "initializers:\n  w: {file: w/ok.npy, dtype: f64}\nnodes: []\n", 6, 30, "does not match the file's f32");
  bad(HEAD IO "initializers:\n  w: {file: w/ok.npy, shape: [3]}\nnodes: []\n", 6, 30, "does not match");
  bad(HEAD IO "initializers:\n  w: {file: w/ok.npy, fmt: raw}\nnodes: []\n", 6, 23, "unknown key 'fmt'");
  bad(HEAD IO "initializers:\n  w: [1, 2]\nnodes: []\n", 6, 6, "must be a mapping");
  bad(HEAD IO "initializers:\n  w: {file: w/missing.npy}\nnodes: []\n", 6, 13, "w/missing.npy: cannot open");
  bad(HEAD IO "initializers:\n  w: {file: w/short.npy}\nnodes: []\n", 6, 13, "w/short.npy: truncated data");

  /* nodes */
  bad(HEAD IO "nodes:\n  - Relu\n", 6, 5, "must be a mapping");
  bad(HEAD IO "nodes:\n  - {in: [x], out: [y]}\n", 6, 5, "node has no 'op'");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: x, out: [y]}\n", 6, 20, "'in' must be a list");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: y}\n", 6, 30, "'out' must be a list");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x]}\n", 6, 5, "no 'out'");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [[x]], out: [y]}\n", 6, 21, "list of tensor names");
  bad(HEAD IO "nodes:\n  - {op: [Relu], in: [x], out: [y]}\n", 6, 10, "'op' must be a string");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: [y], in: [z]}\n", 6, 35, "duplicate key 'in'");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: [y], k: 99999999999999999999}\n", 6, 38, "out of range");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: [y], k: [1, a]}\n", 6, 38, "mixes numbers and strings");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: [y], k: [[1]]}\n", 6, 39, "nested lists");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: [y], k: }\n", 6, 38, "has no value");
  bad(HEAD IO "nodes:\n  - {op: Relu, in: [x], out: [y], t: {dtype: f32, data: [a]}}\n", 6, 58, "not a number");
}

/* A node with no op name check: Frobnicate passes here (the IR rejects it). */
static void test_no_op_check(void) {
  const char *yp = put("ops.yaml", HEAD IO "nodes:\n  - {op: Frobnicate, in: [x, x, x, x], out: [y]}\n");
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec s;
  CHECK(yaml_load(a, yp, &s, &d) == 0 && s.g->nodes.n == 1);
  CHECK(yaml_load(a, path_of("nope.yaml"), &s, &d) == -1 && has(&d, "nope.yaml: error: cannot open"));
  diag_free(&d);
  arena_free(a);
}

/* Hostile input: mutate the good model byte by byte and make sure every
 * result is a clean success or a located error; a big inline list. */
static void test_hostile(void) {
  size_t n = strlen(GOOD);
  char *buf = malloc(n + 1);
  unsigned seed = 12345;
  int crashes = 0;
  for (int it = 0; it < 400; it++) {
    memcpy(buf, GOOD, n + 1);
    for (int m = 0; m < 1 + it % 4; m++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % n;
      static const char pool[] = "[]{}:,-'\"&*!#|>\n 0123456789.e-x\x80";
      buf[at] = pool[(seed >> 20) % (sizeof pool - 1)];
    }
    const char *yp = put("fuzz.yaml", buf);
    Arena *a = arena_new();
    Diags d = {0};
    ModelSpec s;
    int rc = yaml_load(a, yp, &s, &d);
    if (rc == 0 ? d.nerr != 0 : (d.nerr == 0 || !strstr(d.text.s, ": error: "))) crashes++;
    diag_free(&d);
    arena_free(a);
  }
  CHECK(crashes == 0);
  free(buf);

  Buf b = {0};
  buf_puts(&b, HEAD IO "initializers:\n  big: {dtype: i32, data: [");
  for (int i = 0; i < 100000; i++) buf_printf(&b, "%s%d", i ? "," : "", i);
  buf_puts(&b, "]}\nnodes: []\n");
  const char *yp = put("big.yaml", b.s);
  buf_free(&b);
  Arena *a = arena_new();
  Diags d = {0};
  ModelSpec s;
  CHECK(yaml_load(a, yp, &s, &d) == 0);
  if (s.g && s.g->inits.n == 1) {
    GTensor *t = s.g->inits.v[0];
    CHECK(t->dims[0] == 100000 && raw_get_i(DT_I32, t->init->data, 99999) == 99999);
  }
  diag_free(&d);
  arena_free(a);
}

int main(void) {
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  test_npy_roundtrip();
  test_npy_strings();
  test_npy_errors();
  test_good();
  test_wrapper();
  test_digits();
  test_errors();
  test_no_op_check();
  test_hostile();
  cleanup();
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail != 0;
}
