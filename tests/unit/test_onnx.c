/* test_onnx.c: the ONNX reader on official node-test models (values read
 * independently with the `onnx` Python package and written down here) and on
 * small models built byte by byte below: local functions, external data,
 * typed tensor fields, and inputs that must be refused without crashing
 * (truncated files, random bytes, bad dims, escaping data paths, deep nesting).
 *
 * usage: test_onnx <onnx-node-tests/node folder>   (exit 77 if it is absent)
 */
#define _XOPEN_SOURCE 700
#include "onnx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int npass, nfail;
static Arena *A;
static Diags D;
static char tmp[64]; /* scratch folder */
static const char *root;

#define CHECK(c) check((c), #c, __LINE__)
static bool check(bool ok, const char *what, int line) {
  if (ok) {
    npass++;
  } else {
    nfail++;
    printf("test_onnx.c:%d: FAILED: %s\n%s", line, what, D.text.s ? D.text.s : "");
  }
  return ok;
}

static void reset(void) {
  arena_free(A);
  diag_free(&D);
  A = arena_new();
}

static bool has_err(const char *s) { return D.text.s && strstr(D.text.s, s); }

static Graph *load(const char *path) {
  reset();
  Graph *g = NULL;
  int rc = onnx_load(A, path, &g, &D);
  return rc == 0 ? g : NULL;
}

static TensorData *load_t(const char *path) {
  reset();
  TensorData *t = NULL;
  return onnx_load_tensor(A, path, &t, &D) == 0 ? t : NULL;
}

static const char *node_file(const char *test, const char *file) {
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s/%s", root, test, file);
  return buf[k];
}

static GNode *N(Graph *g, int i) { return i < g->nodes.n ? g->nodes.v[i] : NULL; }
static GTensor *T(PtrVec *v, int i) { return i < v->n ? v->v[i] : NULL; }
static bool dims_are(int rank, const int64_t *d, int r, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
  int64_t want[4] = {d0, d1, d2, d3};
  if (rank != r) return false;
  for (int i = 0; i < r && i < 4; i++)
    if (d[i] != want[i]) return false;
  return true;
}
static bool ints_are(const Attr *a, int n, int64_t v0, int64_t v1, int64_t v2, int64_t v3) {
  int64_t want[4] = {v0, v1, v2, v3};
  if (!a || a->type != AT_INTS || a->n != n) return false;
  for (int i = 0; i < n && i < 4; i++)
    if (a->ints[i] != want[i]) return false;
  return true;
}

/* ------------------------------------------------- a tiny protobuf writer */
typedef struct {
  uint8_t *p;
  size_t n, cap;
} Pb;

static void pb_raw(Pb *b, const void *s, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p) exit(2);
  }
  if (n) memcpy(b->p + b->n, s, n);
  b->n += n;
}
static void pb_varint(Pb *b, uint64_t v) {
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    if (v) c |= 0x80;
    pb_raw(b, &c, 1);
  } while (v);
}
static void pb_int(Pb *b, int f, int64_t v) { pb_varint(b, (uint64_t)f << 3), pb_varint(b, (uint64_t)v); }
static void pb_bytes(Pb *b, int f, const void *s, size_t n) {
  pb_varint(b, (uint64_t)f << 3 | 2), pb_varint(b, n), pb_raw(b, s, n);
}
static void pb_str(Pb *b, int f, const char *s) { pb_bytes(b, f, s, strlen(s)); }
static void pb_float(Pb *b, int f, float v) { pb_varint(b, (uint64_t)f << 3 | 5), pb_raw(b, &v, 4); }
static void pb_msg(Pb *b, int f, Pb *m) {
  pb_bytes(b, f, m->p, m->n);
  free(m->p);
  *m = (Pb){0};
}
static void pb_strs(Pb *b, int f, const char *csv) { /* "a,,b" -> "a" "" "b"; "" -> none */
  if (!*csv) return;
  for (const char *s = csv;;) {
    size_t n = strcspn(s, ",");
    pb_bytes(b, f, s, n);
    if (!s[n]) break;
    s += n + 1;
  }
}

/* ONNX field numbers */
enum { M_IR = 1, M_GRAPH = 7, M_OPSET = 8, M_FUNC = 25 };
enum { G_NODE = 1, G_NAME = 2, G_INIT = 5, G_INPUT = 11, G_OUTPUT = 12 };
enum { N_IN = 1, N_OUT = 2, N_NAME = 3, N_OP = 4, N_ATTR = 5, N_DOMAIN = 7 };
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_G = 6, A_FLOATS = 7, A_INTS = 8, A_TYPE = 20, A_REF = 21 };
enum { T_DIMS = 1, T_DT = 2, T_FLOAT = 4, T_INT32 = 5, T_STRING = 6, T_INT64 = 7, T_NAME = 8, T_RAW = 9,
       T_DOUBLE = 10, T_UINT64 = 11, T_EXT = 13, T_LOC = 14 };
enum { F_NAME = 1, F_IN = 4, F_OUT = 5, F_ATTR = 6, F_NODE = 7, F_OPSET = 9, F_DOMAIN = 10, F_ATTRP = 11 };

static Pb opset(const char *dom, int v) {
  Pb o = {0};
  pb_str(&o, 1, dom), pb_int(&o, 2, v);
  return o;
}

/* Node with comma-separated inputs/outputs and NULL-terminated attributes. */
static void node(Pb *dst, int field, const char *op, const char *dom, const char *name, const char *in,
                 const char *out, ...) {
  Pb n = {0};
  pb_strs(&n, N_IN, in), pb_strs(&n, N_OUT, out);
  if (name) pb_str(&n, N_NAME, name);
  pb_str(&n, N_OP, op);
  if (dom) pb_str(&n, N_DOMAIN, dom);
  va_list ap;
  va_start(ap, out);
  for (Pb *a; (a = va_arg(ap, Pb *));) pb_msg(&n, N_ATTR, a);
  va_end(ap);
  pb_msg(dst, field, &n);
}

static Pb *attr_f(Pb *a, const char *name, float v, bool typed) {
  *a = (Pb){0};
  pb_str(a, A_NAME, name), pb_float(a, A_F, v);
  if (typed) pb_int(a, A_TYPE, 1);
  return a;
}
static Pb *attr_ref(Pb *a, const char *name, const char *ref, int type) {
  *a = (Pb){0};
  pb_str(a, A_NAME, name), pb_str(a, A_REF, ref), pb_int(a, A_TYPE, type);
  return a;
}

/* ValueInfoProto with a tensor type; rank < 0: no shape; dims < 0: dim_param "N", -2: nothing. */
static void value(Pb *g, int field, const char *name, int elem, int rank, const int64_t *dims) {
  Pb shape = {0}, tt = {0}, ty = {0}, v = {0};
  for (int i = 0; i < rank; i++) {
    Pb d = {0};
    if (dims[i] >= 0) pb_int(&d, 1, dims[i]);
    else if (dims[i] == -1) pb_str(&d, 2, "N");
    pb_msg(&shape, 1, &d);
  }
  pb_int(&tt, 1, elem);
  if (rank >= 0) pb_msg(&tt, 2, &shape);
  pb_msg(&ty, 1, &tt);
  pb_str(&v, 1, name), pb_msg(&v, 2, &ty);
  pb_msg(g, field, &v);
}

static Pb tensor(const char *name, int dt, int rank, const int64_t *dims) {
  Pb t = {0};
  for (int i = 0; i < rank; i++) pb_int(&t, T_DIMS, dims[i]);
  pb_int(&t, T_DT, dt);
  if (name) pb_str(&t, T_NAME, name);
  return t;
}

static void ext_entry(Pb *t, const char *k, const char *v) {
  Pb e = {0};
  pb_str(&e, 1, k), pb_str(&e, 2, v);
  pb_msg(t, T_EXT, &e);
}

static char files[64][160];
static int nfiles;
static const char *tmp_path(const char *name) {
  static char p[4][160];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
  return p[k];
}
static const char *write_file(const char *name, const void *data, size_t n) {
  const char *p = tmp_path(name);
  FILE *f = fopen(p, "wb");
  if (!f || fwrite(data, 1, n, f) != n) exit(2);
  fclose(f);
  bool seen = false;
  for (int i = 0; i < nfiles; i++) seen |= !strcmp(files[i], p);
  if (!seen && nfiles < 64) snprintf(files[nfiles++], sizeof files[0], "%s", p);
  return p;
}

/* Model with graph g (consumed), default opset 13, plus an extra opset and
 * functions (consumed, may be NULL). */
static const char *write_model(const char *name, Pb *g, const char *dom, int ver, Pb *fns, int nfn) {
  Pb m = {0}, o = opset("", 13);
  pb_int(&m, M_IR, 8);
  pb_msg(&m, M_OPSET, &o);
  if (dom) {
    o = opset(dom, ver);
    pb_msg(&m, M_OPSET, &o);
  }
  pb_str(g, G_NAME, "g");
  pb_msg(&m, M_GRAPH, g);
  for (int i = 0; i < nfn; i++) pb_msg(&m, M_FUNC, &fns[i]);
  const char *p = write_file(name, m.p, m.n);
  free(m.p);
  return p;
}

/* ------------------------------------------------------ official models */
static void test_node_models(void) {
  Graph *g = load(node_file("test_add", "model.onnx"));
  if (CHECK(g)) {
    CHECK(g->opset == 14 && g->opset_ml == 0 && !strcmp(g->name, "test_add"));
    CHECK(g->inputs.n == 2 && g->outputs.n == 1 && g->inits.n == 0 && g->nodes.n == 1);
    GTensor *x = T(&g->inputs, 0), *s = T(&g->outputs, 0);
    CHECK(x && !strcmp(x->name, "x") && x->dt == DT_F32 && dims_are(x->rank, x->dims, 3, 3, 4, 5, 0));
    CHECK(s && !strcmp(s->name, "sum") && s->dt == DT_F32 && s->rank == 3);
    GNode *n = N(g, 0);
    CHECK(n && !strcmp(n->op, "Add") && !strcmp(n->domain, "") && n->opset == 14 && n->nin == 2 && n->nout == 1);
    CHECK(n && !strcmp(n->in[0], "x") && !strcmp(n->in[1], "y") && !strcmp(n->out[0], "sum"));
    CHECK(n && !strcmp(n->name, "") && !strcmp(n->loc.node, "Add#0") && !strcmp(n->loc.file, g->file));
  }
  TensorData *t = load_t(node_file("test_add", "test_data_set_0/input_0.pb"));
  if (CHECK(t)) {
    CHECK(t->dt == DT_F32 && dims_are(t->rank, t->dims, 3, 3, 4, 5, 0));
    CHECK(raw_get_i(DT_U32, t->data, 0) == 1071762552 && raw_get_i(DT_U32, t->data, 59) == 3199842614);
  }

  g = load(node_file("test_conv_with_strides_padding", "model.onnx"));
  if (CHECK(g)) {
    GNode *n = N(g, 0);
    CHECK(g->opset == 22 && n && !strcmp(n->op, "Conv") && n->nattr == 3);
    CHECK(n && ints_are(attr_find(n, "kernel_shape"), 2, 3, 3, 0, 0));
    CHECK(n && ints_are(attr_find(n, "pads"), 4, 1, 1, 1, 1));
    CHECK(n && ints_are(attr_find(n, "strides"), 2, 2, 2, 0, 0));
    GTensor *w = T(&g->inputs, 1), *y = T(&g->outputs, 0);
    CHECK(w && !strcmp(w->name, "W") && dims_are(w->rank, w->dims, 4, 1, 1, 3, 3));
    CHECK(y && dims_are(y->rank, y->dims, 4, 1, 1, 4, 3));
  }
  t = load_t(node_file("test_conv_with_strides_padding", "test_data_set_0/input_0.pb"));
  if (CHECK(t)) {
    CHECK(dims_are(t->rank, t->dims, 4, 1, 1, 7, 5));
    CHECK(raw_get_f(DT_F32, t->data, 0) == 0 && raw_get_f(DT_F32, t->data, 3) == 3 &&
          raw_get_f(DT_F32, t->data, 34) == 34);
  }

  g = load(node_file("test_gemm_default_no_bias", "model.onnx"));
  if (CHECK(g)) {
    GNode *n = N(g, 0);
    CHECK(g->opset == 13 && n && !strcmp(n->op, "Gemm") && n->nin == 2 && n->nattr == 0);
  }
  t = load_t(node_file("test_gemm_default_no_bias", "test_data_set_0/output_0.pb"));
  if (CHECK(t)) {
    CHECK(dims_are(t->rank, t->dims, 2, 2, 3, 0, 0));
    CHECK(fabs(raw_get_f(DT_F32, t->data, 0) - 3.4945123) < 1e-6 &&
          fabs(raw_get_f(DT_F32, t->data, 5) - 2.3095217) < 1e-6);
  }

  g = load(node_file("test_softmax_example_expanded", "model.onnx"));
  if (CHECK(g)) {
    static const char *const ops[] = {"Constant", "ReduceMax", "Sub", "Exp", "ReduceSum", "Div"};
    CHECK(g->nodes.n == 6);
    for (int i = 0; i < 6 && i < g->nodes.n; i++) CHECK(!strcmp(N(g, i)->op, ops[i]));
    const Attr *v = N(g, 0) ? attr_find(N(g, 0), "value") : NULL;
    CHECK(v && v->type == AT_TENSOR && v->t->dt == DT_I64 && v->t->rank == 1 && v->t->dims[0] == 1 &&
          raw_get_i(DT_I64, v->t->data, 0) == -1);
    const Attr *k = N(g, 1) ? attr_find(N(g, 1), "keepdims") : NULL;
    CHECK(k && k->type == AT_INT && k->i == 1);
    CHECK(N(g, 5) && !strcmp(N(g, 5)->out[0], "y"));
  }

  g = load(node_file("test_if", "model.onnx"));
  if (CHECK(g)) {
    GNode *n = N(g, 0);
    const Attr *th = n ? attr_find(n, "then_branch") : NULL, *el = n ? attr_find(n, "else_branch") : NULL;
    CHECK(T(&g->inputs, 0) && T(&g->inputs, 0)->dt == DT_BOOL && T(&g->inputs, 0)->rank == 0);
    if (CHECK(th && th->type == AT_GRAPH && el && el->type == AT_GRAPH)) {
      Graph *s = th->g;
      CHECK(s->parent == g && !strcmp(s->name, "then_body") && s->inputs.n == 0 && s->outputs.n == 1);
      const Attr *v = N(s, 0) ? attr_find(N(s, 0), "value") : NULL;
      CHECK(v && v->type == AT_TENSOR && v->t->dt == DT_F32 && raw_get_f(DT_F32, v->t->data, 4) == 5);
      v = N(el->g, 0) ? attr_find(N(el->g, 0), "value") : NULL;
      CHECK(v && v->type == AT_TENSOR && raw_get_f(DT_F32, v->t->data, 0) == 5);
    }
  }
  t = load_t(node_file("test_if", "test_data_set_0/input_0.pb"));
  CHECK(t && t->dt == DT_BOOL && t->rank == 0 && raw_get_i(DT_BOOL, t->data, 0) == 1);

  g = load(node_file("test_leakyrelu", "model.onnx"));
  const Attr *al = g && N(g, 0) ? attr_find(N(g, 0), "alpha") : NULL;
  CHECK(al && al->type == AT_FLOAT && al->f == (double)0.1f);

  g = load(node_file("test_loop11", "model.onnx"));
  const Attr *body = g && N(g, 0) ? attr_find(N(g, 0), "body") : NULL;
  if (CHECK(body && body->type == AT_GRAPH)) {
    Graph *b = body->g;
    CHECK(b->inputs.n == 3 && b->outputs.n == 3 && b->nodes.n == 9 && b->parent == g);
    CHECK(T(&b->inputs, 0)->dt == DT_I64 && T(&b->inputs, 0)->rank == 0);
  }

  t = load_t(node_file("test_cast_FLOAT_to_FLOAT16", "test_data_set_0/output_0.pb"));
  CHECK(t && t->dt == DT_F16 && raw_get_i(DT_U16, t->data, 0) == 0x37aa && raw_get_i(DT_U16, t->data, 11) == 0xfc00);

  g = load(node_file("test_ai_onnx_ml_label_encoder_string_int", "model.onnx"));
  CHECK(g && T(&g->inputs, 0)->dt == DT_STRING && T(&g->inputs, 0)->rank == 1);
  t = load_t(node_file("test_ai_onnx_ml_label_encoder_string_int", "test_data_set_0/input_0.pb"));
  CHECK(t && t->dt == DT_STRING && !strcmp(str_at(t->data, 0), "a") && !strcmp(str_at(t->data, 2), "d"));
  g = load(node_file("test_ai_onnx_ml_binarizer", "model.onnx"));
  CHECK(g && g->opset_ml == 1 && N(g, 0) && !strcmp(N(g, 0)->domain, "ai.onnx.ml") && N(g, 0)->opset == 1);
  g = load(node_file("test_sequence_insert_at_back", "model.onnx"));
  CHECK(g && T(&g->inputs, 0)->kind == GK_SEQ && T(&g->inputs, 0)->dt == DT_I64 && T(&g->inputs, 1)->kind == GK_TENSOR);
  t = load_t(node_file("test_sequence_insert_at_back", "test_data_set_0/input_0.pb"));
  CHECK(!t && has_err("not a TensorProto"));
  SeqData *sd = NULL; /* [1 2 3 4], [5 6 7], [8 9] */
  Diags sdd = {0};
  CHECK(!onnx_load_value(A, node_file("test_sequence_insert_at_back", "test_data_set_0/input_0.pb"), GK_SEQ, &sd, &sdd) &&
        sd->n == 3 && sd->t[1]->rank == 1 && sd->t[1]->dims[0] == 3 && raw_get_i(DT_I64, sd->t[2]->data, 1) == 9);
  diag_free(&sdd);
  g = load(node_file("test_optional_get_element_optional_sequence", "model.onnx"));
  CHECK(g && T(&g->inputs, 0)->kind == GK_OPTSEQ && T(&g->inputs, 0)->dt == DT_I32);
}

/* ------------------------------------------------------- local functions */
static void test_functions(void) {
  int64_t d23[2] = {2, 3}, d3[1] = {3};
  Pb fns[3] = {{0}}, a[4], o;
  /* Inner(A) -> B, attribute k: B = LeakyRelu(A*A, alpha=@k) */
  pb_str(&fns[0], F_NAME, "Inner"), pb_str(&fns[0], F_DOMAIN, "local");
  pb_str(&fns[0], F_IN, "A"), pb_str(&fns[0], F_OUT, "B"), pb_str(&fns[0], F_ATTR, "k");
  node(&fns[0], F_NODE, "Mul", NULL, NULL, "A,A", "sq", NULL);
  node(&fns[0], F_NODE, "LeakyRelu", NULL, "lr", "sq", "B", attr_ref(&a[0], "alpha", "k", 1), NULL);
  o = opset("", 16), pb_msg(&fns[0], F_OPSET, &o);
  /* Outer(X, Bias) -> (Y, Z), attributes alpha, beta = 2 by default */
  pb_str(&fns[1], F_NAME, "Outer"), pb_str(&fns[1], F_DOMAIN, "local");
  pb_strs(&fns[1], F_IN, "X,Bias"), pb_strs(&fns[1], F_OUT, "Y,Z"), pb_strs(&fns[1], F_ATTR, "alpha");
  pb_msg(&fns[1], F_ATTRP, attr_f(&a[1], "beta", 2.0f, true));
  node(&fns[1], F_NODE, "Add", NULL, "add", "X,Bias", "s", NULL);
  node(&fns[1], F_NODE, "Inner", "local", "inner", "s", "t", attr_ref(&a[2], "k", "alpha", 1), NULL);
  node(&fns[1], F_NODE, "Elu", NULL, NULL, "t", "Y", attr_ref(&a[3], "alpha", "beta", 1), NULL);
  node(&fns[1], F_NODE, "Identity", NULL, NULL, "X", "Z", NULL);
  o = opset("", 13), pb_msg(&fns[1], F_OPSET, &o);
  o = opset("local", 1), pb_msg(&fns[1], F_OPSET, &o);
  /* Pass(P) -> P */
  pb_str(&fns[2], F_NAME, "Pass"), pb_str(&fns[2], F_DOMAIN, "local");
  pb_str(&fns[2], F_IN, "P"), pb_str(&fns[2], F_OUT, "P");

  Pb g = {0};
  value(&g, G_INPUT, "x", 1, 2, d23), value(&g, G_INPUT, "b", 1, 1, d3);
  value(&g, G_OUTPUT, "y", 1, 2, d23), value(&g, G_OUTPUT, "z", 1, 2, d23), value(&g, G_OUTPUT, "w", 1, 2, d23);
  Pb ca;
  node(&g, G_NODE, "Outer", "local", "call", "x,b", "y,z", attr_f(&ca, "alpha", 0.25f, true), NULL);
  node(&g, G_NODE, "Pass", "local", "pass", "x", "w", NULL);
  Graph *gr = load(write_model("fn.onnx", &g, "local", 1, fns, 3));
  if (!CHECK(gr)) return;
  CHECK(gr->nodes.n == 6);
  GNode *n = N(gr, 0);
  CHECK(n && !strcmp(n->op, "Add") && !strcmp(n->name, "call/add") && n->opset == 13);
  CHECK(n && !strcmp(n->in[0], "x") && !strcmp(n->in[1], "b") && !strcmp(n->out[0], "call/s"));
  n = N(gr, 1);
  CHECK(n && !strcmp(n->op, "Mul") && !strcmp(n->name, "call/inner/Mul#0") && n->opset == 16);
  CHECK(n && !strcmp(n->in[0], "call/s") && !strcmp(n->out[0], "call/inner/sq"));
  n = N(gr, 2);
  const Attr *al = n ? attr_find(n, "alpha") : NULL;
  CHECK(n && !strcmp(n->op, "LeakyRelu") && !strcmp(n->out[0], "call/t") && !strcmp(n->loc.node, "call/inner/lr"));
  CHECK(al && al->type == AT_FLOAT && al->f == 0.25); /* through two levels of ref_attr_name */
  n = N(gr, 3);
  al = n ? attr_find(n, "alpha") : NULL;
  CHECK(n && !strcmp(n->op, "Elu") && !strcmp(n->name, "call/Elu#2") && !strcmp(n->out[0], "y"));
  CHECK(al && al->type == AT_FLOAT && al->f == 2.0); /* the default */
  n = N(gr, 4);
  CHECK(n && !strcmp(n->op, "Identity") && !strcmp(n->in[0], "x") && !strcmp(n->out[0], "z"));
  n = N(gr, 5);
  CHECK(n && !strcmp(n->op, "Identity") && !strcmp(n->in[0], "x") && !strcmp(n->out[0], "w"));

  /* unnamed calls in a graph and in its subgraph get distinct tensor names */
  Pb inner = {0}, sub = {0}, br = {0}, ka, kb;
  pb_str(&inner, F_NAME, "Inner"), pb_str(&inner, F_DOMAIN, "local");
  pb_str(&inner, F_IN, "A"), pb_str(&inner, F_OUT, "B");
  node(&inner, F_NODE, "Mul", NULL, NULL, "A,A", "sq", NULL);
  node(&inner, F_NODE, "Neg", NULL, NULL, "sq", "B", NULL);
  value(&sub, G_OUTPUT, "o", 1, 1, d3);
  node(&sub, G_NODE, "Inner", "local", NULL, "x", "o", attr_f(&ka, "k", 1, true), NULL);
  pb_str(&sub, G_NAME, "then");
  pb_str(&br, A_NAME, "then_branch"), pb_int(&br, A_TYPE, 5), pb_msg(&br, A_G, &sub);
  g = (Pb){0};
  value(&g, G_INPUT, "x", 1, 1, d3), value(&g, G_OUTPUT, "y", 1, 1, d3);
  node(&g, G_NODE, "Inner", "local", NULL, "x", "y1", attr_f(&kb, "k", 1, true), NULL);
  node(&g, G_NODE, "If", NULL, NULL, "c", "y", &br, NULL);
  gr = load(write_model("fn2.onnx", &g, "local", 1, &inner, 1));
  if (CHECK(gr && gr->nodes.n == 3)) {
    const Attr *th = attr_find(N(gr, 2), "then_branch");
    CHECK(!strcmp(N(gr, 0)->out[0], "Inner#0/sq") && !strcmp(N(gr, 1)->in[0], "Inner#0/sq"));
    CHECK(th && th->g->nodes.n == 2 && !strcmp(N(th->g, 0)->out[0], "Inner#0~1/sq") &&
          !strcmp(N(th->g, 1)->out[0], "o"));
  }

  /* recursion, unknown domain, unknown function */
  Pb rec = {0};
  pb_str(&rec, F_NAME, "Rec"), pb_str(&rec, F_DOMAIN, "local");
  pb_str(&rec, F_IN, "A"), pb_str(&rec, F_OUT, "B");
  node(&rec, F_NODE, "Rec", "local", NULL, "A", "B", NULL);
  g = (Pb){0};
  value(&g, G_INPUT, "x", 1, 1, d3), value(&g, G_OUTPUT, "y", 1, 1, d3);
  node(&g, G_NODE, "Rec", "local", "r", "x", "y", NULL);
  node(&g, G_NODE, "FusedGemm", "com.microsoft", "fg", "x", "y2", NULL);
  node(&g, G_NODE, "Nope", "local", NULL, "x", "y3", NULL);
  CHECK(!load(write_model("rec.onnx", &g, "local", 1, &rec, 1)));
  CHECK(has_err("function calls nested deeper than 32"));
  CHECK(has_err("unsupported domain 'com.microsoft' at node 'fg'"));
  CHECK(has_err("node 'Nope#2': error: no function 'Nope' in domain 'local'"));
}

/* ------------------------------------------- initializers, inputs, attributes */
static void test_initializers(void) {
  int64_t d2[1] = {2}, d3[1] = {3}, dx[3] = {-1, -2, 4};
  Pb g = {0}, t, a;
  t = tensor("h", 10, 1, d2), pb_int(&t, T_INT32, 0x3c00), pb_int(&t, T_INT32, 0xc000), pb_msg(&g, G_INIT, &t);
  t = tensor("bo", 9, 1, d2), pb_int(&t, T_INT32, 0), pb_int(&t, T_INT32, 5), pb_msg(&g, G_INIT, &t);
  t = tensor("u", 12, 1, d2), pb_int(&t, T_UINT64, 7), pb_int(&t, T_UINT64, 4294967295), pb_msg(&g, G_INIT, &t);
  t = tensor("c", 3, 1, d2), pb_int(&t, T_INT32, -3), pb_int(&t, T_INT32, 100), pb_msg(&g, G_INIT, &t);
  t = tensor("l", 7, 1, d2), pb_int(&t, T_INT64, -5), pb_int(&t, T_INT64, (int64_t)1 << 40), pb_msg(&g, G_INIT, &t);
  double dd = 1.5;
  t = tensor("d", 11, 0, NULL), pb_varint(&t, T_DOUBLE << 3 | 1), pb_raw(&t, &dd, 8), pb_msg(&g, G_INIT, &t);
  t = tensor("f", 1, 1, d2), pb_float(&t, T_FLOAT, 0.5f), pb_float(&t, T_FLOAT, -2.0f), pb_msg(&g, G_INIT, &t);
  t = tensor("s", 8, 1, d2), pb_str(&t, T_STRING, "ab"), pb_str(&t, T_STRING, "c"), pb_msg(&g, G_INIT, &t);
  int16_t raw[3] = {1, -2, 3};
  t = tensor("r", 5, 1, d3), pb_bytes(&t, T_RAW, raw, 6), pb_msg(&g, G_INIT, &t);
  t = tensor("e", 1, 2, (int64_t[]){0, 4}), pb_msg(&g, G_INIT, &t); /* empty */
  value(&g, G_INPUT, "r", 5, 1, d3); /* an initializer listed as input (IR < 4) */
  value(&g, G_INPUT, "x", 1, 3, dx);
  value(&g, G_INPUT, "noshape", 7, -1, NULL);
  value(&g, G_OUTPUT, "y", 1, -1, NULL);
  /* old-style attributes: no type field */
  node(&g, G_NODE, "LeakyRelu", NULL, "lr", "x", "y", attr_f(&a, "alpha", 0.5f, false), NULL);
  Graph *gr = load(write_model("init.onnx", &g, NULL, 0, NULL, 0));
  if (!CHECK(gr)) return;
  CHECK(gr->inits.n == 10 && gr->inputs.n == 2);
  TensorData *h = T(&gr->inits, 0)->init, *bo = T(&gr->inits, 1)->init, *u = T(&gr->inits, 2)->init;
  TensorData *c = T(&gr->inits, 3)->init, *l = T(&gr->inits, 4)->init, *d = T(&gr->inits, 5)->init;
  TensorData *f = T(&gr->inits, 6)->init, *s = T(&gr->inits, 7)->init, *r = T(&gr->inits, 8)->init;
  TensorData *e = T(&gr->inits, 9)->init;
  CHECK(h->dt == DT_F16 && raw_get_f(DT_F16, h->data, 0) == 1.0 && raw_get_f(DT_F16, h->data, 1) == -2.0);
  CHECK(bo->dt == DT_BOOL && ((const uint8_t *)bo->data)[0] == 0 && ((const uint8_t *)bo->data)[1] == 1);
  CHECK(u->dt == DT_U32 && raw_get_i(DT_U32, u->data, 0) == 7 && raw_get_i(DT_U32, u->data, 1) == 4294967295);
  CHECK(c->dt == DT_I8 && raw_get_i(DT_I8, c->data, 0) == -3 && raw_get_i(DT_I8, c->data, 1) == 100);
  CHECK(l->dt == DT_I64 && raw_get_i(DT_I64, l->data, 1) == (int64_t)1 << 40);
  CHECK(d->dt == DT_F64 && d->rank == 0 && raw_get_f(DT_F64, d->data, 0) == 1.5);
  CHECK(f->dt == DT_F32 && raw_get_f(DT_F32, f->data, 1) == -2.0);
  CHECK(s->dt == DT_STRING && !strcmp(str_at(s->data, 0), "ab") && !strcmp(str_at(s->data, 1), "c"));
  CHECK(r->dt == DT_I16 && raw_get_i(DT_I16, r->data, 1) == -2 && T(&gr->inits, 8)->rank == 1);
  CHECK(e->dt == DT_F32 && e->rank == 2 && e->data);
  GTensor *x = T(&gr->inputs, 0), *ns = T(&gr->inputs, 1);
  CHECK(!strcmp(x->name, "x") && x->rank == 3 && x->dims[0] == -1 && !strcmp(x->sym[0], "N"));
  CHECK(x->dims[1] == -1 && !strcmp(x->sym[1], "?") && x->dims[2] == 4 && !x->sym[2]);
  CHECK(ns->dt == DT_I64 && ns->rank == -1);
  CHECK(T(&gr->outputs, 0)->dt == DT_F32 && T(&gr->outputs, 0)->rank == -1);
  const Attr *al = N(gr, 0) ? attr_find(N(gr, 0), "alpha") : NULL;
  CHECK(al && al->type == AT_FLOAT && al->f == 0.5);
}

/* --------------------------------------------------------- external data */
static const char *ext_model(const char *loc, const char *offset, const char *length) {
  int64_t d3[1] = {3};
  Pb g = {0}, t = tensor("W", 1, 1, d3);
  ext_entry(&t, "location", loc);
  if (offset) ext_entry(&t, "offset", offset);
  if (length) ext_entry(&t, "length", length);
  pb_int(&t, T_LOC, 1);
  pb_msg(&g, G_INIT, &t);
  value(&g, G_INPUT, "x", 1, 1, d3), value(&g, G_OUTPUT, "y", 1, 1, d3);
  node(&g, G_NODE, "Add", NULL, NULL, "x,W", "y", NULL);
  return write_model("ext.onnx", &g, NULL, 0, NULL, 0);
}

static void test_external(void) {
  float w[4] = {99, 1.5f, 2.5f, -3};
  write_file("w.bin", w, sizeof w);
  Graph *g = load(ext_model("w.bin", "4", "12"));
  if (CHECK(g && g->inits.n == 1)) {
    TensorData *t = T(&g->inits, 0)->init;
    CHECK(raw_get_f(DT_F32, t->data, 0) == 1.5 && raw_get_f(DT_F32, t->data, 2) == -3);
  }
  CHECK(!load(ext_model("../w.bin", NULL, NULL)) && has_err("initializer 'W': external data location '../w.bin' is outside"));
  CHECK(!load(ext_model("/etc/passwd", NULL, NULL)) && has_err("is outside the model's folder"));
  CHECK(!load(ext_model("missing.bin", NULL, NULL)) && has_err("cannot open external data file 'missing.bin'"));
  CHECK(!load(ext_model("w.bin", "8", NULL)) && has_err("is too short (needs 12 bytes at offset 8, has 16)"));
  CHECK(!load(ext_model("w.bin", "0", "8")) && has_err("external data length 8, its dims need 12 bytes"));
  CHECK(!load(ext_model("w.bin", "x1", NULL)) && has_err("bad external data offset 'x1'"));
  /* a symlink inside the folder that points outside it */
  const char *link = tmp_path("out.bin");
  unlink(link);
  if (symlink("/etc/hostname", link) == 0) {
    snprintf(files[nfiles++], sizeof files[0], "%s", link);
    CHECK(!load(ext_model("out.bin", NULL, NULL)) && has_err("resolves outside the model's folder"));
  }
}

/* ------------------------------------------------------------ bad input */
static TensorData *tensor_file(Pb *t) {
  const char *p = write_file("t.pb", t->p, t->n);
  free(t->p);
  *t = (Pb){0};
  return load_t(p);
}

static void test_bad_tensors(void) {
  int64_t d23[2] = {2, 3}, neg[2] = {2, -1}, big[2] = {(int64_t)1 << 32, (int64_t)1 << 32};
  int64_t huge[3] = {(int64_t)1 << 62, 4, 0}, r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  float raw[5] = {0};
  Pb t = tensor("a", 1, 2, d23);
  pb_bytes(&t, T_RAW, raw, 20);
  CHECK(!tensor_file(&t) && has_err("tensor 'a': raw_data has 20 bytes, dims [2,3] of f32 need 24"));
  t = tensor("a", 1, 2, neg), pb_bytes(&t, T_RAW, raw, 8);
  CHECK(!tensor_file(&t) && has_err("negative dim -1"));
  t = tensor("a", 1, 2, big);
  CHECK(!tensor_file(&t) && has_err("more than 2^40 elements"));
  t = tensor("a", 1, 3, huge);
  CHECK(!tensor_file(&t) && has_err("more than 2^40 elements"));
  t = tensor("a", 1, 9, r9), pb_float(&t, T_FLOAT, 1);
  CHECK(!tensor_file(&t) && has_err("rank 9 is more than the supported 8"));
  t = tensor("a", 99, 1, d23);
  CHECK(!tensor_file(&t) && has_err("unsupported dtype unknown (99)"));
  t = tensor("a", 14, 1, d23);
  CHECK(!tensor_file(&t) && has_err("unsupported dtype complex64"));
  t = tensor("a", 22, 1, d23); /* int4 [2]: 1 packed byte, one an int32_data value */
  CHECK(!tensor_file(&t) && has_err("int32_data), its dims need 1 values"));
  t = tensor("a", 1, 2, d23), pb_float(&t, T_FLOAT, 1);
  CHECK(!tensor_file(&t) && has_err("float_data has 1 values, its dims need 6"));
  t = tensor("a", 7, 2, d23);
  CHECK(!tensor_file(&t) && has_err("no data (neither raw_data nor int64_data)"));
  t = tensor(NULL, 6, 1, d23), pb_bytes(&t, T_RAW, raw, 8);
  CHECK(tensor_file(&t) != NULL); /* [2] i32, raw */

  /* truncated copies of a real model: every length must fail or load, never crash */
  const char *src = node_file("test_conv_with_strides_padding", "model.onnx");
  FILE *f = fopen(src, "rb");
  static uint8_t buf[1 << 16];
  size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f) fclose(f);
  if (CHECK(n > 100)) {
    int refused = 0;
    for (size_t k = 0; k < n; k++) {
      Graph *g = load(write_file("trunc.onnx", buf, k));
      refused += !g && D.nerr > 0;
    }
    CHECK(refused == (int)n); /* every strict prefix of this model is refused */
    CHECK(!load(write_file("trunc.onnx", buf, n / 2)) &&
          has_err("trunc.onnx: error: cannot parse ONNX protobuf (truncated or corrupt file?)"));
  }
  /* random bytes */
  uint64_t s = 12345;
  for (int k = 0; k < 200; k++) {
    size_t len = 1 + (size_t)(k * 37 % 3000);
    for (size_t i = 0; i < len; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      buf[i] = (uint8_t)(s >> 56);
    }
    const char *p = write_file("rand.onnx", buf, len);
    Graph *g = load(p);
    CHECK(!g && D.nerr > 0);
    TensorData *t2 = load_t(p);
    CHECK(t2 || D.nerr > 0);
  }
  CHECK(!load(tmp) && has_err("cannot read the file")); /* a folder */
  CHECK(!load(tmp_path("nonexistent.onnx")) && has_err("No such file"));
  CHECK(!load(write_file("empty.onnx", "", 0)) && has_err("no graph in the file"));

  /* subgraphs nested 20 deep load; 60 deep is refused, not a stack overflow */
  for (int depth = 20; depth <= 60; depth += 40) {
    Pb g = {0};
    node(&g, G_NODE, "Identity", NULL, NULL, "x", "y", NULL);
    for (int i = 0; i < depth; i++) {
      Pb a = {0}, outer = {0};
      pb_str(&g, G_NAME, "sub");
      pb_str(&a, A_NAME, "then_branch"), pb_int(&a, A_TYPE, 5), pb_msg(&a, A_G, &g);
      node(&outer, G_NODE, "If", NULL, NULL, "c", "y", &a, NULL);
      g = outer;
    }
    Graph *gr = load(write_model("deep.onnx", &g, NULL, 0, NULL, 0));
    if (depth == 20) {
      int levels = 0;
      for (Graph *x = gr; x && x->nodes.n && N(x, 0)->nattr; x = N(x, 0)->attrs[0].g, levels++)
        if (x != gr) CHECK(x->parent != NULL);
      CHECK(gr && levels == 20);
    } else {
      CHECK(!gr && has_err("nested deeper than"));
    }
  }
}

int main(int argc, char **argv) {
  root = argc > 1 ? argv[1] : "../shared/onnx-node-tests/node";
  struct stat st;
  if (stat(node_file("test_add", "model.onnx"), &st) != 0) {
    printf("test_onnx: %s has no ONNX node tests, skipped\n", root);
    return 77;
  }
  snprintf(tmp, sizeof tmp, "/tmp/mlgen_onnx_XXXXXX");
  if (!mkdtemp(tmp)) return 2;
  A = arena_new();
  test_node_models();
  test_functions();
  test_initializers();
  test_external();
  test_bad_tensors();
  arena_free(A);
  diag_free(&D);
  for (int i = 0; i < nfiles; i++) unlink(files[i]);
  rmdir(tmp);
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
