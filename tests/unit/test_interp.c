/* test_interp.c: the reference interpreter against values worked out by
 * hand. Each test builds one tiny PNode (or a three-node Program) in an
 * arena, runs it and compares with expected numbers written in the test, never
 * with the interpreter itself: this is what makes the oracle trustworthy.
 *
 * gcc -std=c11 -Wall -Wextra -Werror -Iir tests/unit/test_interp.c ir/interp.c ir/util.c -lm
 */
#include "ir.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static Arena *A;
static int npass, nfail;
static Diags D;

#define SH(...) ((const int64_t[]){__VA_ARGS__})
#define F(...) ((const double[]){__VA_ARGS__})
#define I(...) ((const int64_t[]){__VA_ARGS__})

static Value *val(DType dt, int rank, const int64_t *dims) {
  Value *v = arena_alloc(A, sizeof *v);
  v->dt = dt;
  v->rank = rank;
  for (int i = 0; i < rank; i++) v->shape[i] = dims[i];
  v->out_index = v->in_index = -1;
  v->name = "t";
  return v;
}

static PNode *node(Op op, Value *out, int nin, ...) {
  PNode *n = arena_alloc(A, sizeof *n);
  n->op = op;
  n->out = out;
  n->nin = nin;
  n->in = arena_alloc(A, sizeof(Value *) * (size_t)(nin + 1));
  n->loc.node = op_name[op];
  va_list ap;
  va_start(ap, nin);
  for (int i = 0; i < nin; i++) n->in[i] = va_arg(ap, Value *);
  va_end(ap);
  return n;
}

/* An IBuf for v holding data (doubles for float dtypes, int64 otherwise). */
static IBuf *buf(const Value *v, const void *data) {
  IBuf *b = arena_alloc(A, sizeof *b);
  b->dt = v->dt;
  b->n = shape_numel(v->rank, v->shape);
  b->u.f = arena_alloc(A, (size_t)(b->n + 1) * 8);
  if (data) memcpy(b->u.f, data, (size_t)b->n * 8);
  return b;
}

/* Runs n on the given input data; returns its output buffer, or NULL on an
 * error (the message is left in D). */
static IBuf *run(PNode *n, ...) {
  IBuf *in[8];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n->nin; i++) in[i] = buf(n->in[i], va_arg(ap, const void *));
  va_end(ap);
  IBuf *o = buf(n->out, NULL);
  buf_free(&D.text);
  D.nerr = 0;
  if (interp_node(n, in, o, &D)) {
    return NULL;
  }
  return o;
}

static void result(const char *name, bool ok, const char *fmt, ...) {
  if (ok) {
    npass++;
    return;
  }
  nfail++;
  printf("FAIL %s: ", name);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

static bool check_len(const char *name, const IBuf *o, int64_t n) {
  if (!o) result(name, false, "error: %s", D.text.s ? D.text.s : "?");
  else if (o->n != n) result(name, false, "%lld elements, want %lld", (long long)o->n, (long long)n);
  return o && o->n == n;
}

static void check_f(const char *name, const IBuf *o, const double *want, int64_t n) {
  if (!check_len(name, o, n)) return;
  for (int64_t i = 0; i < n; i++) {
    double g = o->u.f[i], w = want[i];
    bool same = (isnan(g) && isnan(w)) || g == w || fabs(g - w) <= 1e-12 * fmax(1, fabs(w));
    if (!same || signbit(g) != signbit(w)) {
      result(name, false, "[%lld] = %.17g, want %.17g", (long long)i, g, w);
      return;
    }
  }
  result(name, true, "");
}

static void check_i(const char *name, const IBuf *o, const int64_t *want, int64_t n) {
  if (!check_len(name, o, n)) return;
  for (int64_t i = 0; i < n; i++)
    if (o->u.i[i] != want[i]) {
      result(name, false, "[%lld] = %lld, want %lld", (long long)i, (long long)o->u.i[i], (long long)want[i]);
      return;
    }
  result(name, true, "");
}

static void check_err(const char *name, const IBuf *o, const char *msg) {
  result(name, !o && D.nerr > 0 && D.text.s && strstr(D.text.s, msg), "want error '%s', got '%s'", msg,
         o ? "success" : D.text.s ? D.text.s : "");
}

/* ------------------------------------------------------------ elementwise */
static void test_broadcast(void) {
  Value *a = val(DT_F32, 2, SH(2, 3)), *b = val(DT_F32, 1, SH(3)), *o = val(DT_F32, 2, SH(2, 3));
  check_f("add [2,3]+[3]", run(node(OP_ADD, o, 2, a, b), F(1, 2, 3, 4, 5, 6), F(10, 20, 30)),
          F(11, 22, 33, 14, 25, 36), 6);
  Value *c = val(DT_F32, 2, SH(2, 1)), *e = val(DT_F32, 2, SH(1, 3));
  check_f("sub [2,1]-[1,3]", run(node(OP_SUB, o, 2, c, e), F(10, 20), F(1, 2, 3)), F(9, 8, 7, 19, 18, 17), 6);
  /* f32 rounding of the result: 0.1 + 0.2 in float */
  Value *s = val(DT_F32, 0, NULL);
  check_f("add rounds to f32", run(node(OP_ADD, s, 2, s, s), F((double)0.1f), F((double)0.2f)),
          F((double)(0.1f + 0.2f)), 1);
  Value *bad = val(DT_F32, 1, SH(4));
  check_err("add [2,3]+[4]", run(node(OP_ADD, o, 2, a, bad), F(1, 2, 3, 4, 5, 6), F(1, 2, 3, 4)),
            "does not broadcast");
  Value *cb = val(DT_BOOL, 1, SH(3)), *w3 = val(DT_F32, 1, SH(3));
  check_f("where", run(node(OP_WHERE, o, 3, cb, w3, a), I(1, 0, 1), F(1, 2, 3), F(7, 8, 9, 10, 11, 12)),
          F(1, 8, 3, 1, 11, 3), 6);
}

static void test_int_div(void) {
  Value *a = val(DT_I32, 1, SH(6)), *o = val(DT_I32, 1, SH(6));
  const int64_t *x = I(7, -7, 7, -7, 5, INT32_MIN), *y = I(2, 2, -2, -2, 0, -1);
  check_i("i32 div", run(node(OP_DIV, o, 2, a, a), x, y), I(3, -3, -3, 3, 0, INT32_MIN), 6);
  check_i("i32 mod", run(node(OP_MOD, o, 2, a, a), x, y), I(1, 1, -1, -1, 0, 0), 6);
  check_i("i32 fmod", run(node(OP_FMOD, o, 2, a, a), x, y), I(1, -1, 1, -1, 0, 0), 6);
  Value *l = val(DT_I64, 1, SH(2));
  check_i("i64 min/-1", run(node(OP_DIV, l, 2, l, l), I(INT64_MIN, INT64_MIN), I(-1, 0)), I(INT64_MIN, 0), 2);
  Value *u = val(DT_U8, 1, SH(2));
  check_i("u8 div/mod", run(node(OP_DIV, u, 2, u, u), I(250, 7), I(7, 250)), I(35, 0), 2);
  Value *f = val(DT_F64, 1, SH(3));
  check_f("f64 mod", run(node(OP_MOD, f, 2, f, f), F(-7.5, 7.5, 6), F(2, -2, -3)), F(0.5, -0.5, -0.0), 3);
  check_f("f64 fmod", run(node(OP_FMOD, f, 2, f, f), F(-7.5, 7.5, 6), F(2, -2, -3)), F(-1.5, 1.5, 0), 3);
  Value *p = val(DT_I32, 1, SH(5));
  check_i("i32 pow", run(node(OP_POW, p, 2, p, p), I(3, -1, 2, 1, -2), I(4, -3, -1, -5, 31)),
          I(81, -1, 0, 1, INT32_MIN), 5);
  check_i("i32 shl/shr", run(node(OP_SHR, p, 2, p, p), I(-1, 256, 1, 8, 8), I(28, 4, 40, 0, 1)),
          I(15, 16, 0, 8, 4), 5);
  Value *s8 = val(DT_I8, 1, SH(2));
  check_i("i8 add wraps", run(node(OP_ADD, s8, 2, s8, s8), I(100, -100), I(100, -100)), I(-56, 56), 2);
}

static void test_float_unary(void) {
  Value *a = val(DT_F32, 1, SH(7));
  check_f("round half even", run(node(OP_ROUND, a, 1, a), F(0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6)),
          F(0, 2, 2, -0.0, -2, 2, -3), 7);
  Value *b = val(DT_F64, 1, SH(5));
  check_f("sign", run(node(OP_SIGN, b, 1, b), F(-3, 0, 2, NAN, -INFINITY)), F(-1, 0, 1, NAN, -1), 5);
  Value *m = val(DT_F64, 1, SH(3));
  check_f("max nan", run(node(OP_MAX, m, 2, m, m), F(NAN, 1, 2), F(1, NAN, 3)), F(NAN, NAN, 3), 3);
  Value *bo = val(DT_BOOL, 1, SH(5));
  check_i("isinf", run(node(OP_ISINF, bo, 1, b), F(-INFINITY, 0, INFINITY, NAN, 1e308)), I(1, 0, 1, 0, 0), 5);
  Value *i = val(DT_I32, 1, SH(2));
  check_err("sqrt on i32", run(node(OP_SQRT, i, 1, i), I(4, 9)), "SQRT is not defined on i32");
}

static void test_cast(void) {
  Value *f = val(DT_F32, 1, SH(6)), *i8 = val(DT_I8, 1, SH(6));
  check_i("f32->i8", run(node(OP_CAST, i8, 1, f), F(200, -129, 127.9, -3.7, NAN, 1e20)), I(-56, 127, 127, -3, 0, -1),
          6);
  Value *d = val(DT_F64, 1, SH(5)), *h = val(DT_F16, 1, SH(5));
  check_f("f64->f16", run(node(OP_CAST, h, 1, d), F(0.1, 65520, 1e-8, 1.0 / 3, 65519)),
          F(0.0999755859375, INFINITY, 0, 0.333251953125, 65504), 5);
  Value *f4 = val(DT_F32, 1, SH(4)), *b4 = val(DT_BOOL, 1, SH(4));
  check_i("f32->bool", run(node(OP_CAST, b4, 1, f4), F(0, -0.0, NAN, 2)), I(0, 0, 1, 1), 4);
  Value *i32 = val(DT_I32, 1, SH(3)), *u8 = val(DT_U8, 1, SH(3));
  check_i("i32->u8", run(node(OP_CAST, u8, 1, i32), I(-1, 256, 300)), I(255, 0, 44), 3);
  Value *u64 = val(DT_U64, 1, SH(1)), *d1 = val(DT_F64, 1, SH(1));
  check_f("u64->f64", run(node(OP_CAST, d1, 1, u64), I(-1)), F(18446744073709551615.0), 1);
  Value *l = val(DT_I64, 1, SH(1)), *f1 = val(DT_F32, 1, SH(1));
  Value *d3 = val(DT_F64, 1, SH(3)), *u3 = val(DT_U64, 1, SH(3));
  /* u64 as bits: 1e19 fits; -1 saturates to int64 and wraps; 1e30 saturates to all ones */
  check_i("f64->u64", run(node(OP_CAST, u3, 1, d3), F(1e19, -1, 1e30)), I(INT64_C(-8446744073709551616), -1, -1),
          3);
  check_f("i64->f32", run(node(OP_CAST, f1, 1, l), I(16777217)), F(16777216), 1);
  Value *d2 = val(DT_F64, 1, SH(2)), *bf2 = val(DT_BF16, 1, SH(2));
  check_f("f64->bf16 ties to even", run(node(OP_CAST, bf2, 1, d2), F(1.00390625, 1.01171875)), F(1, 1.015625), 2);
  /* BITCAST: the storage bits; a subnormal and -0 kept */
  Value *bf = val(DT_F32, 1, SH(4)), *bi = val(DT_I32, 1, SH(4)), *bu = val(DT_U32, 1, SH(4));
  check_i("bitcast f32->i32", run(node(OP_BITCAST, bi, 1, bf), F(1, -0.0, -2, 1.401298464324817e-45)),
          I(0x3F800000, INT32_MIN, (int32_t)0xC0000000, 1), 4);
  check_f("bitcast u32->f32", run(node(OP_BITCAST, bf, 1, bu), I(0x3F800000, 0x80000000, 0x7F800000, 0x00000001)),
          F(1, -0.0, INFINITY, 1.401298464324817e-45), 4);
  Value *bd = val(DT_F64, 1, SH(1)), *bl = val(DT_I64, 1, SH(1));
  check_i("bitcast f64->i64", run(node(OP_BITCAST, bl, 1, bd), F(1)), I(INT64_C(0x3FF0000000000000)), 1);
  Value *b16 = val(DT_U16, 1, SH(4));
  check_err("bitcast f32->u16", run(node(OP_BITCAST, b16, 1, bf), F(1, 2, 3, 4)), "bad dtypes");
}

/* ------------------------------------------------------------- reductions */
static void test_reduce(void) {
  Value *x = val(DT_F32, 2, SH(2, 3)), *k = val(DT_F32, 2, SH(2, 1)), *r = val(DT_F32, 1, SH(3));
  PNode *n = node(OP_RSUM, k, 1, x);
  n->pr.axes = 2;
  n->pr.keepdims = true;
  check_f("rsum keepdims", run(n, F(1, 2, 3, 4, 5, 6)), F(6, 15), 2);
  n = node(OP_RMAX, r, 1, x);
  n->pr.axes = 1;
  check_f("rmax axis 0", run(n, F(1, 8, 3, 4, 5, NAN)), F(4, 8, NAN), 3);
  Value *s = val(DT_F32, 0, NULL);
  n = node(OP_RPROD, s, 1, x);
  n->pr.axes = 3;
  check_f("rprod all", run(n, F(1, 2, 3, 4, 5, 6)), F(720), 1);
  Value *e = val(DT_F32, 2, SH(2, 0)), *e2 = val(DT_F32, 1, SH(2));
  n = node(OP_RSUM, e2, 1, e);
  n->pr.axes = 2;
  check_f("empty rsum", run(n, NULL), F(0, 0), 2);
  n = node(OP_RMAX, e2, 1, e);
  n->pr.axes = 2;
  check_f("empty rmax", run(n, NULL), F(-INFINITY, -INFINITY), 2);
  Value *ei = val(DT_I8, 2, SH(2, 0)), *eo = val(DT_I8, 1, SH(2));
  n = node(OP_RMAX, eo, 1, ei);
  n->pr.axes = 2;
  check_i("empty i8 rmax", run(n, NULL), I(-128, -128), 2);
  n = node(OP_RMIN, eo, 1, ei);
  n->pr.axes = 2;
  check_i("empty i8 rmin", run(n, NULL), I(127, 127), 2);
  Value *u = val(DT_U8, 1, SH(3)), *us = val(DT_U8, 0, NULL);
  n = node(OP_RSUM, us, 1, u);
  n->pr.axes = 1;
  check_i("u8 rsum wraps", run(n, I(200, 100, 1)), I(45), 1);
}

static void test_argmax(void) {
  Value *x = val(DT_F32, 2, SH(2, 4)), *o = val(DT_I64, 1, SH(2)), *ok = val(DT_I64, 2, SH(2, 1));
  const double *data = F(1, 3, 3, 2, 5, NAN, NAN, 1);
  PNode *n = node(OP_ARGMAX, o, 1, x);
  n->pr.axis = 1;
  check_i("argmax first", run(n, data), I(1, 1), 2);
  n->pr.select_last = true;
  check_i("argmax last", run(n, data), I(2, 2), 2);
  n = node(OP_ARGMIN, ok, 1, x);
  n->pr.axis = 1;
  n->pr.keepdims = true;
  check_i("argmin keepdims", run(n, data), I(0, 1), 2);
  Value *c = val(DT_I64, 1, SH(4));
  n = node(OP_ARGMIN, c, 1, x);
  n->pr.axis = 0;
  n->pr.select_last = true;
  check_i("argmin axis 0 last", run(n, F(1, 3, 3, 2, 1, 3, NAN, 1)), I(1, 1, 1, 1), 4);
}

/* --------------------------------------------------------------- movement */
static void test_permute(void) {
  Value *x = val(DT_F32, 2, SH(2, 3)), *t = val(DT_F32, 2, SH(3, 2));
  PNode *n = node(OP_PERMUTE, t, 1, x);
  n->pr.perm[0] = 1;
  check_f("transpose", run(n, F(0, 1, 2, 3, 4, 5)), F(0, 3, 1, 4, 2, 5), 6);
  Value *x3 = val(DT_I32, 3, SH(2, 3, 4)), *o3 = val(DT_I32, 3, SH(4, 2, 3));
  n = node(OP_PERMUTE, o3, 1, x3);
  n->pr.perm[0] = 2, n->pr.perm[1] = 0, n->pr.perm[2] = 1;
  int64_t in[24], want[24];
  for (int i = 0; i < 24; i++) in[i] = i;
  for (int c = 0; c < 4; c++) /* out[c][a][b] = in[a][b][c] */
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 3; b++) want[(c * 2 + a) * 3 + b] = a * 12 + b * 4 + c;
  check_i("permute 2,0,1", run(n, in), want, 24);
}

static void test_slice(void) {
  Value *x = val(DT_F32, 1, SH(5)), *o = val(DT_F32, 1, SH(3));
  PNode *n = node(OP_SLICE, o, 1, x);
  n->pr.start[0] = 4, n->pr.step[0] = -2;
  check_f("slice step -2", run(n, F(0, 1, 2, 3, 4)), F(4, 2, 0), 3);
  Value *x2 = val(DT_I64, 2, SH(3, 4)), *o2 = val(DT_I64, 2, SH(3, 2));
  n = node(OP_SLICE, o2, 1, x2);
  n->pr.start[0] = 2, n->pr.step[0] = -1, n->pr.start[1] = 1, n->pr.step[1] = 2;
  check_i("slice 2d", run(n, I(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)), I(9, 11, 5, 7, 1, 3), 6);
  n = node(OP_SLICE, o, 1, x);
  n->pr.start[0] = 1, n->pr.step[0] = 2;
  check_err("slice past the end", run(n, F(0, 1, 2, 3, 4)), "does not fit");
}

static void test_pad(void) {
  Value *x = val(DT_F32, 1, SH(3)), *o = val(DT_F32, 1, SH(8));
  PNode *n = node(OP_PAD, o, 1, x);
  n->pr.lo[0] = 2, n->pr.hi[0] = 3;
  n->pr.pad_mode = PAD_REFLECT;
  check_f("pad reflect", run(n, F(1, 2, 3)), F(3, 2, 1, 2, 3, 2, 1, 2), 8);
  n->pr.pad_mode = PAD_EDGE;
  check_f("pad edge", run(n, F(1, 2, 3)), F(1, 1, 1, 2, 3, 3, 3, 3), 8);
  n->pr.pad_mode = PAD_WRAP;
  check_f("pad wrap", run(n, F(1, 2, 3)), F(2, 3, 1, 2, 3, 1, 2, 3), 8);
  n->pr.pad_mode = PAD_CONSTANT;
  n->pr.fill = 9.5;
  check_f("pad constant", run(n, F(1, 2, 3)), F(9.5, 9.5, 1, 2, 3, 9.5, 9.5, 9.5), 8);
  Value *big = val(DT_F32, 1, SH(13));
  n = node(OP_PAD, big, 1, x);
  n->pr.lo[0] = n->pr.hi[0] = 5;
  n->pr.pad_mode = PAD_REFLECT;
  check_f("pad reflect > dim", run(n, F(1, 2, 3)), F(2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2), 13);
  Value *x2 = val(DT_I32, 2, SH(2, 2)), *o2 = val(DT_I32, 2, SH(3, 4));
  n = node(OP_PAD, o2, 1, x2);
  n->pr.lo[0] = 1, n->pr.lo[1] = 1, n->pr.hi[1] = 1;
  n->pr.pad_mode = PAD_EDGE;
  check_i("pad edge 2d", run(n, I(1, 2, 3, 4)), I(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4), 12);
}

static void test_concat(void) {
  Value *a = val(DT_F32, 2, SH(2, 1)), *b = val(DT_F32, 2, SH(2, 2)), *o = val(DT_F32, 2, SH(2, 3));
  PNode *n = node(OP_CONCAT, o, 2, a, b);
  n->pr.axis = 1;
  check_f("concat axis 1", run(n, F(1, 2), F(3, 4, 5, 6)), F(1, 3, 4, 2, 5, 6), 6);
  Value *c = val(DT_F32, 2, SH(1, 2)), *o3 = val(DT_F32, 2, SH(5, 2));
  n = node(OP_CONCAT, o3, 3, b, c, b);
  check_f("concat 3 axis 0", run(n, F(1, 2, 3, 4), F(5, 6), F(7, 8, 9, 10)), F(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 10);
}

static void test_gather(void) {
  Value *x = val(DT_F32, 2, SH(2, 3)), *ix = val(DT_I64, 1, SH(2)), *o = val(DT_F32, 2, SH(2, 2));
  PNode *n = node(OP_GATHER, o, 2, x, ix);
  n->pr.axis = 1;
  check_f("gather axis 1 neg", run(n, F(1, 2, 3, 4, 5, 6), I(-1, 0)), F(3, 1, 6, 4), 4);
  Value *y = val(DT_I32, 2, SH(3, 2)), *i2 = val(DT_I32, 2, SH(2, 2)), *o3 = val(DT_I32, 3, SH(2, 2, 2));
  n = node(OP_GATHER, o3, 2, y, i2);
  check_i("gather 2d indices", run(n, I(1, 2, 3, 4, 5, 6), I(0, -1, 2, 1)), I(1, 2, 5, 6, 5, 6, 3, 4), 8);
  Value *v5 = val(DT_F32, 1, SH(5)), *i1 = val(DT_I8, 1, SH(1)), *o1 = val(DT_F32, 1, SH(1));
  n = node(OP_GATHER, o1, 2, v5, i1);
  check_err("gather out of range", run(n, F(1, 2, 3, 4, 5), I(7)), "Gather index 7 out of range [-5,5)");
  check_err("gather -6", run(n, F(1, 2, 3, 4, 5), I(-6)), "Gather index -6 out of range [-5,5)");
  Value *ie = val(DT_I64, 2, SH(2, 2));
  n = node(OP_GATHERELEM, o, 2, x, ie);
  n->pr.axis = 1;
  check_f("gatherelem", run(n, F(1, 2, 3, 4, 5, 6), I(2, -3, 1, 0)), F(3, 1, 5, 4), 4);
  check_err("gatherelem range", run(n, F(1, 2, 3, 4, 5, 6), I(2, 3, 1, 0)), "out of range [-3,3)");
}

static void test_iota_expand(void) {
  Value *o = val(DT_F32, 2, SH(2, 3));
  PNode *n = node(OP_IOTA, o, 0);
  n->pr.axis = 1, n->pr.fill = 1, n->pr.delta = 0.5;
  check_f("iota", run(n), F(1, 1.5, 2, 1, 1.5, 2), 6);
  Value *x = val(DT_F32, 2, SH(2, 1));
  check_f("expand", run(node(OP_EXPAND, o, 1, x), F(7, 8)), F(7, 7, 7, 8, 8, 8), 6);
}

/* ---------------------------------------------------------------- compute */
static void test_matmul(void) {
  Value *a = val(DT_F32, 3, SH(2, 2, 3)), *b = val(DT_F32, 2, SH(3, 2)), *o = val(DT_F32, 3, SH(2, 2, 2));
  check_f("matmul batch x 2d",
          run(node(OP_MATMUL, o, 2, a, b), F(1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 1, 0), F(1, 2, 3, 4, 5, 6)),
          F(22, 28, 49, 64, 1, 2, 3, 4), 8);
  /* [2,1,1,2] x [1,3,2,1] -> [2,3,1,1]: b_j = [j; 1] */
  Value *ia = val(DT_I32, 4, SH(2, 1, 1, 2)), *ib = val(DT_I32, 4, SH(1, 3, 2, 1));
  Value *io = val(DT_I32, 4, SH(2, 3, 1, 1));
  check_i("matmul both broadcast", run(node(OP_MATMUL, io, 2, ia, ib), I(1, 2, 3, 4), I(0, 1, 1, 1, 2, 1)),
          I(2, 3, 4, 4, 7, 10), 6);
  Value *k0 = val(DT_F32, 2, SH(2, 0)), *k1 = val(DT_F32, 2, SH(0, 2)), *oz = val(DT_F32, 2, SH(2, 2));
  check_f("matmul K=0", run(node(OP_MATMUL, oz, 2, k0, k1), NULL, NULL), F(0, 0, 0, 0), 4);
}

static void test_conv(void) {
  /* x [1,4,5], w [2,2,2], group 2, stride 2, pad 1/1, dilation 2 -> [1,2,3] */
  Value *x = val(DT_F32, 3, SH(1, 4, 5)), *w = val(DT_F32, 3, SH(2, 2, 2)), *o = val(DT_F32, 3, SH(1, 2, 3));
  PNode *n = node(OP_CONV, o, 2, x, w);
  n->pr.nsp = 1, n->pr.group = 2, n->pr.stride[0] = 2, n->pr.dil[0] = 2, n->pr.plo[0] = 1, n->pr.phi[0] = 1;
  check_f("conv group stride pad dil",
          run(n, F(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, -1, 1, -1, 1, 2, 0, 2, 0, 2), F(1, 2, 3, 4, 1, 1, -1, 1)),
          F(32, 67, 31, -1, -2, -1), 6);
  Value *x2 = val(DT_F32, 4, SH(1, 1, 3, 3)), *w2 = val(DT_F32, 4, SH(1, 1, 2, 2));
  Value *o2 = val(DT_F32, 4, SH(1, 1, 2, 2));
  n = node(OP_CONV, o2, 2, x2, w2);
  n->pr.nsp = 2, n->pr.group = 1;
  n->pr.stride[0] = n->pr.stride[1] = n->pr.dil[0] = n->pr.dil[1] = 1;
  check_f("conv 2d", run(n, F(1, 2, 3, 4, 5, 6, 7, 8, 9), F(1, 1, 1, 1)), F(12, 16, 24, 28), 4);
  n->pr.group = 3;
  check_err("conv bad group", run(n, F(1, 2, 3, 4, 5, 6, 7, 8, 9), F(1, 1, 1, 1)), "CONV");
}

static PNode *pool1d(PoolKind k, Value *o, Value *x, int64_t ker, int64_t stride, int64_t plo, int64_t phi) {
  PNode *n = node(OP_POOL, o, 1, x);
  n->pr.nsp = 1, n->pr.pool = k, n->pr.kernel[0] = ker, n->pr.stride[0] = stride, n->pr.dil[0] = 1;
  n->pr.plo[0] = plo, n->pr.phi[0] = phi;
  return n;
}

static void test_pool(void) {
  Value *x = val(DT_F32, 3, SH(1, 1, 4)), *o = val(DT_F32, 3, SH(1, 1, 2));
  PNode *n = pool1d(POOL_AVG, o, x, 3, 2, 1, 1);
  check_f("avgpool", run(n, F(1, 2, 3, 4)), F(1.5, 3), 2);
  n->pr.count_pad = true;
  check_f("avgpool count_pad", run(n, F(1, 2, 3, 4)), F(1, 3), 2);
  n = pool1d(POOL_AVG, o, x, 3, 2, 0, 1); /* second window ends past the padding (ceil mode) */
  check_f("avgpool ceil", run(n, F(1, 2, 3, 4)), F(2, 3.5), 2);
  n->pr.count_pad = true;
  check_f("avgpool ceil count_pad", run(n, F(1, 2, 3, 4)), F(2, (double)(7.0f / 3)), 2);
  n = pool1d(POOL_LP, o, x, 2, 2, 0, 0);
  n->pr.p = 2;
  check_f("lppool", run(n, F(3, -4, 0, 1)), F(5, 1), 2);

  Value *x2 = val(DT_F32, 4, SH(1, 1, 3, 3)), *o2 = val(DT_F32, 4, SH(1, 1, 2, 2));
  n = node(OP_POOL, o2, 1, x2);
  n->pr.nsp = 2, n->pr.pool = POOL_MAX;
  for (int s = 0; s < 2; s++) n->pr.kernel[s] = 2, n->pr.stride[s] = 1, n->pr.dil[s] = 1;
  const double *img = F(1, 5, 2, 8, 3, 7, 4, 6, 9);
  check_f("maxpool", run(n, img), F(8, 7, 8, 9), 4);
  check_f("maxpool nan", run(n, F(1, 5, 2, 8, NAN, 7, 4, 6, 9)), F(NAN, NAN, NAN, NAN), 4);
  for (int s = 0; s < 2; s++) n->pr.stride[s] = 2, n->pr.plo[s] = 1, n->pr.phi[s] = 1;
  check_f("maxpool pad stride", run(n, img), F(1, 5, 8, 9), 4);
  Value *xi = val(DT_I8, 3, SH(1, 1, 4)), *oi = val(DT_I8, 3, SH(1, 1, 2));
  check_i("maxpool i8", run(pool1d(POOL_MAX, oi, xi, 2, 2, 0, 0), I(-5, -7, 3, 2)), I(-5, 3), 2);
}

/* ---------------------------------------------------------------- program */
static void test_program(void) {
  Program p = {0};
  p.a = A;
  Value *x = val(DT_F16, 1, SH(3)), *c = val(DT_F32, 1, SH(3)), *xf = val(DT_F32, 1, SH(3));
  Value *t = val(DT_F32, 1, SH(3)), *y = val(DT_I16, 1, SH(3));
  static const float cdata[3] = {0.5f, -1.25f, 1000.75f};
  x->kind = VK_INPUT, x->in_index = 0;
  c->kind = VK_CONST, c->cdata = cdata;
  Value *vals[] = {x, c, xf, t, y};
  for (int i = 0; i < 5; i++) {
    vals[i]->id = i;
    vec_push(A, &p.values, vals[i]);
  }
  vec_push(A, &p.inputs, x);
  vec_push(A, &p.nodes, node(OP_CAST, xf, 1, x));
  vec_push(A, &p.nodes, node(OP_ADD, t, 2, xf, c));
  vec_push(A, &p.nodes, node(OP_CAST, y, 1, t));
  vec_push(A, &p.outputs, y);
  vec_push(A, &p.outputs, c);
  uint16_t xin[3] = {float_to_half(1.5f), float_to_half(-2.0f), float_to_half(40000.0f)};
  int16_t yout[3] = {0};
  float cout[3] = {0};
  const void *ins[] = {xin};
  void *outs[] = {yout, cout};
  buf_free(&D.text);
  int rc = interp_run(&p, ins, outs, &D);
  result("program run", rc == 0, "%s", D.text.s ? D.text.s : "");
  /* 1.5+0.5=2, -2-1.25=-3.25 -> -3, 40000+1000.75=41000.75 -> 41000 -> wraps to 41000-65536 */
  result("program outputs", yout[0] == 2 && yout[1] == -3 && yout[2] == 41000 - 65536, "%d %d %d", yout[0], yout[1],
         yout[2]);
  result("program const output", cout[0] == 0.5f && cout[1] == -1.25f && cout[2] == 1000.75f, "%g", cout[2]);
  const void *noin[] = {NULL};
  rc = interp_run(&p, noin, outs, &D);
  result("program missing input", rc != 0 && strstr(D.text.s, "has no data"), "%s", D.text.s ? D.text.s : "");
}

/* ---------------------------------------------------------------- strings */
/* String slots hold addresses: CMPEQ compares the text (distinct copies of
 * equal text are equal), WHERE and GATHER move the addresses, arithmetic is
 * refused. */
static void test_strings(void) {
  static char a1[] = "ab", a2[] = "ab", b[] = "b\303\251", e[] = "";
  int64_t x[3] = {(int64_t)(intptr_t)a1, (int64_t)(intptr_t)b, (int64_t)(intptr_t)e};
  int64_t y[3] = {(int64_t)(intptr_t)a2, (int64_t)(intptr_t)a1, (int64_t)(intptr_t)e};
  Value *sx = val(DT_STRING, 1, SH(3)), *sy = val(DT_STRING, 1, SH(3)), *ob = val(DT_BOOL, 1, SH(3));
  check_i("cmpeq str", run(node(OP_CMPEQ, ob, 2, sx, sy), x, y), I(1, 0, 1), 3);
  Value *c = val(DT_BOOL, 1, SH(3)), *os = val(DT_STRING, 1, SH(3));
  check_i("where str", run(node(OP_WHERE, os, 3, c, sx, sy), I(0, 1, 0), x, y), I(y[0], x[1], y[2]), 3);
  Value *ix = val(DT_I64, 1, SH(2)), *og = val(DT_STRING, 1, SH(2));
  PNode *g = node(OP_GATHER, og, 2, sx, ix);
  check_i("gather str", run(g, x, I(-1, 0)), I(x[2], x[0]), 2);
  check_err("add str", run(node(OP_ADD, os, 2, sx, sy), x, y), "not defined on strings");
  check_err("cast str", run(node(OP_CAST, ob, 1, sx), x), "not defined on strings");
  PNode *pc = node(OP_PAD, os, 1, val(DT_STRING, 1, SH(1)));
  pc->pr.hi[0] = 2;
  check_err("pad str constant", run(pc, x), "not defined on strings");
  pc->pr.pad_mode = PAD_EDGE;
  check_i("pad str edge", run(pc, x), I(x[0], x[0], x[0]), 3);
}

int main(void) {
  A = arena_new();
  test_strings();
  test_broadcast();
  test_int_div();
  test_float_unary();
  test_cast();
  test_reduce();
  test_argmax();
  test_permute();
  test_slice();
  test_pad();
  test_concat();
  test_gather();
  test_iota_expand();
  test_matmul();
  test_conv();
  test_pool();
  test_program();
  diag_free(&D);
  arena_free(A);
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail != 0;
}
