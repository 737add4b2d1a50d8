/* lowbit.c: the ONNX-only element types as primitives (float8, float4, e8m0,
 * int4/uint4, int2/uint2).
 *
 * Requires: the builder (ir/build.c) in the middle of ir_decompose.
 * Provides: what the decomposition does with these types, so that no
 * renderer knows them (docs/architecture.md, Dtypes):
 *   - in the program a float8/float4/e8m0 element is its code in a u8 (a
 *     float4 code in the low 4 bits), an int4/int2 element its value in an
 *     i8/u8; Value.sem names the type (lb_input, lb_const);
 *   - inputs and outputs keep ONNX's bytes: packed 4/2-bit data is unpacked
 *     after the input (shifts, masks, a concat) and packed before the
 *     output (slices, shifts, or) (lb_input, lb_output);
 *   - decoding is a lookup in a 256- (16-) entry f32 table (GATHER): exact;
 *   - encoding from f32 is integer arithmetic on the bits (BITCAST to u32):
 *     round to nearest even on the bits for the normal range, ROUND of the
 *     value scaled by a power of two (exact) for the subnormal range, then
 *     the type's overflow, NaN and zero rules (lb_encode).
 * The rules are the ONNX reference's (onnx/reference/ops/op_cast.py,
 * numpy_helper.saturate_cast / to_float8e8m0, ml_dtypes), restated in
 * tests/ops/cases/lowbit.cases with hand-derived bit patterns.
 */
#include "decompose.h"

#include <math.h>
#include <string.h>

/* the float8/float4 layouts: mantissa bits, exponent bias, the largest finite
 * code (sign clear), and what overflow gives without saturation */
typedef struct {
  int man, bias, maxcode;
  bool fnuz;   /* one zero, NaN is 0x80 */
  bool inf;    /* E5M2: 0x7C is infinity */
  bool no_nan; /* float4: NaN becomes 0x8, overflow always saturates */
} F8Fmt;

static bool f8_fmt(DType dt, F8Fmt *f) {
  switch (dt) {
  case DT_F8E4M3FN: *f = (F8Fmt){3, 7, 0x7E, false, false, false}; return true;
  case DT_F8E4M3FNUZ: *f = (F8Fmt){3, 8, 0x7F, true, false, false}; return true;
  case DT_F8E5M2: *f = (F8Fmt){2, 15, 0x7B, false, true, false}; return true;
  case DT_F8E5M2FNUZ: *f = (F8Fmt){2, 16, 0x7F, true, false, false}; return true;
  case DT_F4E2M1: *f = (F8Fmt){1, 1, 0x7, false, false, true}; return true;
  default: return false;
  }
}

static bool is_small_float(DType dt) { return dtype_onnx_only(dt) && dtype_info[dt].is_float; }
static bool is_packed(DType dt) { return dtype_info[dt].bits && dtype_info[dt].bits < 8; }

static Value *k32(B *b, double v) { return b_scalar(b, DT_U32, v); }

/* the value of code c of dt (exact in f32) */
static double code_value(DType dt, unsigned c) {
  if (dt == DT_F8E8M0) return c == 0xFF ? NAN : ldexp(1.0, (int)c - 127);
  F8Fmt f;
  if (!f8_fmt(dt, &f)) return 0;
  int nbits = dt == DT_F4E2M1 ? 4 : 8, ebits = nbits - 1 - f.man;
  unsigned sign = c >> (nbits - 1) & 1, e = (c >> f.man) & ((1u << ebits) - 1), m = c & ((1u << f.man) - 1);
  if (f.fnuz && c == 0x80) return NAN;
  if (!f.fnuz && !f.no_nan && !f.inf && (c & 0x7F) == 0x7F) return NAN;
  if (f.inf && e == 31) return m ? NAN : sign ? -INFINITY : INFINITY;
  double v = e == 0 ? ldexp((double)m, 1 - f.bias - f.man) : ldexp((double)(m + (1u << f.man)), (int)e - f.bias - f.man);
  return sign ? -v : v;
}

/* x (codes of dt, u8) as f32 values */
static Value *decode(B *b, Value *x, DType dt) {
  int n = dt == DT_F4E2M1 ? 16 : 256;
  float tab[256];
  for (int c = 0; c < n; c++) tab[c] = (float)code_value(dt, (unsigned)c);
  int64_t len = n;
  Value *t = b_const(b, DT_F32, 1, &len, tab);
  return b_gather(b, t, x, 0);
}

/* f32 x -> e8m0 codes (u8): the exponent, rounded by mode, 0xFF for NaN and
 * Inf; the sign is ignored */
static Value *encode_e8m0(B *b, Value *x, bool saturate, const char *mode) {
  Value *u = b_bitcast(b, x, DT_U32);
  Value *e = b_binary(b, OP_BITAND, b_binary(b, OP_SHR, u, k32(b, 23)), k32(b, 255));
  Value *special = b_binary(b, OP_CMPEQ, e, k32(b, 255));
  Value *up = NULL;
  if (!strcmp(mode, "up")) {
    up = b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, b_binary(b, OP_BITAND, u, k32(b, 0x7FFFFF)), k32(b, 0)));
  } else if (!strcmp(mode, "nearest")) { /* guard and (round or sticky or exponent > 0) */
    Value *g = b_binary(b, OP_BITAND, u, k32(b, 0x400000));
    Value *rs = b_binary(b, OP_BITAND, u, k32(b, 0x3FFFFF));
    Value *lsb = b_binary(b, OP_CMPLT, k32(b, 0), e);
    up = b_binary(b, OP_AND, b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, g, k32(b, 0))),
                  b_binary(b, OP_OR, b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, rs, k32(b, 0))), lsb));
  } else if (strcmp(mode, "down")) {
    diag_error(b->d, d_attr_loc(b, "round_mode"), "%s: unknown round_mode '%s' (up, down or nearest)", b->n->op, mode);
    return NULL;
  }
  if (up && saturate) up = b_binary(b, OP_AND, up, b_unary(b, OP_NOT, b_binary(b, OP_CMPEQ, e, k32(b, 254))));
  Value *r = up ? b_binary(b, OP_ADD, e, b_cast(b, up, DT_U32)) : e;
  r = b_where(b, special, k32(b, 255), r);
  return b_cast(b, r, DT_U8);
}

/* f32 x -> codes of dt (u8), round to nearest even */
static Value *encode_f8(B *b, Value *x, DType dt, bool saturate) {
  F8Fmt f;
  if (!f8_fmt(dt, &f)) return NULL;
  int s = 23 - f.man, emin = 1 - f.bias, sbit = dt == DT_F4E2M1 ? 3 : 7;
  if (f.no_nan) saturate = true;
  Value *u = b_bitcast(b, x, DT_U32);
  Value *sgn = b_binary(b, OP_SHR, u, k32(b, 31));
  Value *a = b_binary(b, OP_BITAND, u, k32(b, 0x7FFFFFFF));
  Value *nan = b_binary(b, OP_CMPLT, k32(b, 0x7F800000), a);
  /* normal range: round the f32 bits at bit s, then rebias the exponent */
  Value *half = b_binary(b, OP_ADD, k32(b, (double)((1u << (s - 1)) - 1)),
                         b_binary(b, OP_BITAND, b_binary(b, OP_SHR, a, k32(b, s)), k32(b, 1)));
  Value *norm = b_binary(b, OP_SUB, b_binary(b, OP_SHR, b_binary(b, OP_ADD, a, half), k32(b, s)),
                         k32(b, (double)((unsigned)(127 - f.bias) << f.man)));
  /* below the smallest normal: |x| * 2^(man - emin) is exact, ROUND is half to even */
  Value *ax = b_unary(b, OP_ABS, x);
  Value *sub = b_cast(b, b_unary(b, OP_ROUND, b_binary(b, OP_MUL, ax, b_scalar(b, DT_F32, ldexp(1.0, f.man - emin)))),
                      DT_U32);
  Value *mag = b_where(b, b_binary(b, OP_CMPLT, a, k32(b, (double)((unsigned)(127 + emin) << 23))), sub, norm);
  Value *over = b_binary(b, OP_CMPLT, k32(b, f.maxcode), mag);
  Value *signbit = b_binary(b, OP_SHL, sgn, k32(b, sbit));
  Value *r;
  if (saturate) {
    r = b_binary(b, OP_BITOR, b_where(b, over, k32(b, f.maxcode), mag), signbit);
  } else if (f.fnuz) {
    r = b_where(b, over, k32(b, 0x80), b_binary(b, OP_BITOR, mag, signbit));
  } else { /* E4M3FN: NaN; E5M2: infinity; with the sign */
    r = b_binary(b, OP_BITOR, b_where(b, over, k32(b, f.inf ? 0x7C : 0x7F), mag), signbit);
  }
  if (f.fnuz) r = b_where(b, b_binary(b, OP_CMPEQ, mag, k32(b, 0)), k32(b, 0), r); /* no negative zero */
  Value *nanc = f.fnuz ? k32(b, 0x80)
                : f.no_nan ? k32(b, 0x8)
                           : b_binary(b, OP_BITOR, k32(b, f.inf ? 0x7E : 0x7F), signbit);
  r = b_where(b, nan, nanc, r);
  return b_cast(b, r, DT_U8);
}

/* integer or float x -> int4/int2 values, wrapping as the reference does
 * (floats truncate toward zero first) */
static Value *to_narrow_int(B *b, Value *x, DType dt) {
  int bits = dtype_info[dt].bits;
  Value *v = b_cast(b, x, dtype_info[x->dt].size == 8 ? DT_I64 : DT_I32);
  if (!v) return NULL;
  Value *m = b_binary(b, OP_BITAND, v, b_scalar(b, v->dt, (1 << bits) - 1));
  if (dtype_info[dt].is_signed) {
    Value *h = b_scalar(b, v->dt, 1 << (bits - 1));
    m = b_binary(b, OP_SUB, b_binary(b, OP_BITXOR, m, h), h);
  }
  return b_cast(b, m, dtype_storage(dt));
}

static Value *with_sem(Value *v, DType sem) {
  if (v) v->sem = sem;
  return v;
}

Value *lb_to_float(B *b, Value *x, DType fdt) {
  if (!x) return NULL;
  if (x->sem == DT_UNDEF || !is_small_float(x->sem)) return b_cast(b, x, fdt);
  Value *f = decode(b, x, x->sem);
  return fdt == DT_F32 ? f : b_cast(b, f, fdt);
}

/* float (f32, f16, bf16) x -> dt, a small float type */
static Value *encode(B *b, Value *x, DType dt, bool saturate, const char *mode) {
  if (x->dt == DT_F64 || (!dtype_info[x->dt].is_float && dtype_info[x->dt].size > 2)) {
    diag_error(b->d, b->loc, "unsupported: %s from %s to %s (only from f32, f16, bf16 and 8- or 16-bit integers)",
               b->n ? b->n->op : "Cast", dtype_info[x->dt].name, dtype_info[dt].name);
    return NULL;
  }
  Value *f = b_cast(b, x, DT_F32);
  return with_sem(dt == DT_F8E8M0 ? encode_e8m0(b, f, saturate, mode) : encode_f8(b, f, dt, saturate), dt);
}

Value *lb_cast(B *b, Value *x, DType to, bool saturate, const char *mode) {
  if (!x) return NULL;
  if (x->sem != DT_UNDEF && x->sem == to) return x;
  if (x->sem != DT_UNDEF && is_small_float(x->sem)) x = decode(b, x, x->sem);
  else if (x->sem != DT_UNDEF) x = b_cast(b, x, DT_I32); /* int4/int2 values: a new Value, no sem */
  if (!x) return NULL;
  if (!dtype_onnx_only(to)) return b_cast(b, x, to);
  if (is_small_float(to)) return encode(b, x, to, saturate, mode);
  return with_sem(to_narrow_int(b, x, to), to);
}

/* saturate(round(v) + zp) into int4/int2 (QuantizeLinear) */
Value *lb_requant(B *b, Value *v, Value *zp, DType dt) {
  int bits = dtype_info[dt].bits;
  double lo = dtype_info[dt].is_signed ? -(1 << (bits - 1)) : 0, hi = dtype_info[dt].is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  Value *r = b_unary(b, OP_ROUND, v);
  if (zp) r = b_binary(b, OP_ADD, r, b_cast(b, zp, r->dt));
  if (!r) return NULL;
  r = b_binary(b, OP_MIN, b_binary(b, OP_MAX, r, b_scalar(b, r->dt, lo)), b_scalar(b, r->dt, hi));
  return with_sem(b_cast(b, r, dtype_storage(dt)), dt);
}

/* QuantizeLinear into a small float type: v / scale done; float4 adds zp */
Value *lb_requant_float(B *b, Value *v, Value *zp, DType dt, bool saturate) {
  if (dt == DT_F4E2M1 && zp) v = b_binary(b, OP_ADD, v, lb_to_float(b, zp, v->dt));
  if (!v) return NULL;
  return encode(b, v, dt, saturate, "up");
}

/* ------------------------------------------------------------- boundary */
/* packed bytes p (u8 [nbytes]) -> the elements of dt (storage values), shape */
static Value *unpack(B *b, Value *p, DType dt, int rank, const int64_t *shape) {
  int bits = dtype_info[dt].bits, per = 8 / bits;
  int64_t m = p->shape[0], col[2] = {m, 1}, n = shape_numel(rank, shape), flat = m * per, st = 0, sp = 1;
  Value *c = b_reshape(b, p, 2, col), *parts[4];
  for (int k = 0; k < per; k++)
    parts[k] = b_binary(b, OP_BITAND, b_binary(b, OP_SHR, c, b_scalar(b, DT_U8, bits * k)),
                        b_scalar(b, DT_U8, (1 << bits) - 1));
  Value *v = b_reshape(b, b_concat(b, per, parts, 1), 1, &flat);
  v = b_slice(b, v, &st, &sp, &n);
  if (dtype_info[dt].is_signed && !dtype_info[dt].is_float) {
    Value *h = b_scalar(b, DT_I8, 1 << (bits - 1));
    v = b_binary(b, OP_SUB, b_binary(b, OP_BITXOR, b_cast(b, v, DT_I8), h), h);
  }
  return with_sem(b_reshape(b, v, rank, shape), dt);
}

/* elements v of dt (storage values) -> packed bytes (u8 [nbytes]) */
static Value *pack(B *b, Value *v, DType dt) {
  int bits = dtype_info[dt].bits, per = 8 / bits;
  int64_t n = b_numel(v), nb = dtype_nbytes(dt, n), lo = 0, hi = nb * per - n, rows[2] = {nb, per};
  Value *u = b_binary(b, OP_BITAND, b_cast(b, b_reshape(b, v, 1, &n), DT_U8), b_scalar(b, DT_U8, (1 << bits) - 1));
  u = b_reshape(b, b_pad(b, u, &lo, &hi, PAD_CONSTANT, 0), 2, rows);
  Value *r = NULL;
  for (int k = 0; k < per; k++) {
    int64_t st[2] = {0, k}, sp[2] = {1, 1}, sh[2] = {nb, 1};
    Value *part = b_binary(b, OP_SHL, b_slice(b, u, st, sp, sh), b_scalar(b, DT_U8, bits * k));
    r = r ? b_binary(b, OP_BITOR, r, part) : part;
  }
  return b_reshape(b, r, 1, &nb);
}

Value *lb_input(B *b, Value *in, DType dt, int rank, const int64_t *shape) {
  in->io_dt = dt;
  in->io_rank = rank;
  memcpy(in->io_shape, shape, sizeof(int64_t) * (size_t)rank);
  if (!is_packed(dt)) return with_sem(in, dt);
  const char *name = b->vname;
  Value *v = unpack(b, in, dt, rank, shape);
  if (v) v->name = name;
  return v;
}

/* the storage Value of a graph input of dt with this shape */
Value *lb_input_value(B *b, DType dt, int rank, const int64_t *shape) {
  if (!is_packed(dt)) return b_value(b, dtype_storage(dt), rank, shape);
  int64_t nb = dtype_nbytes(dt, shape_numel(rank, shape));
  return b_value(b, DT_U8, 1, &nb);
}

Value *lb_const(B *b, const TensorData *t) {
  int64_t n = shape_numel(t->rank, t->dims);
  if (!is_packed(t->dt)) return with_sem(b_const(b, dtype_storage(t->dt), t->rank, t->dims, t->data), t->dt);
  int8_t *e = arena_alloc(b->p->a, (size_t)(n ? n : 1));
  if (!e) return NULL;
  for (int64_t i = 0; i < n; i++) e[i] = (int8_t)packed_get(t->dt, t->data, i);
  return with_sem(b_const(b, dtype_storage(t->dt), t->rank, t->dims, e), t->dt);
}

Value *lb_output(B *b, Value *v) {
  DType dt = v->sem;
  Value *o = is_packed(dt) ? pack(b, v, dt) : v;
  if (!o) return NULL;
  if (o->io_dt != DT_UNDEF && (o->io_dt != dt || o->io_rank != v->rank)) { /* an input that is also an output */
    o = b_reshape(b, b_binary(b, OP_BITOR, o, b_scalar(b, o->dt, 0)), o->rank, o->shape);
    if (!o) return NULL;
  }
  o->io_dt = dt;
  o->io_rank = v->rank;
  memcpy(o->io_shape, v->shape, sizeof(int64_t) * (size_t)v->rank);
  return o;
}

/* which ONNX ops may read an input holding an ONNX-only type, and which of
 * those pass it on unchanged (movement: the output has the input's type) */
static const struct {
  const char *op;
  unsigned inputs; /* bit k: input k may have such a type */
  bool moves;
} readers[] = {
    {"Cast", 1, false},         {"CastLike", 3, false},   {"QuantizeLinear", 4, false},
    {"DequantizeLinear", 5, false}, {"Identity", 1, true}, {"Reshape", 1, true},
    {"Flatten", 1, true},       {"Squeeze", 1, true},     {"Unsqueeze", 1, true},
    {"Transpose", 1, true},     {"Shape", 1, false},      {"Size", 1, false},
};

int lb_check_inputs(B *b, const GNode *n, Value **in) {
  for (int k = 0; k < n->nin; k++) {
    if (!in[k] || in[k]->sem == DT_UNDEF) continue;
    bool ok = false;
    for (size_t i = 0; i < sizeof readers / sizeof readers[0] && !ok; i++)
      ok = !*n->domain && !strcmp(readers[i].op, n->op) && k < 32 && (readers[i].inputs >> k & 1u);
    if (!ok) {
      diag_error(b->d, b->loc, "unsupported: %s input %d is %s (mlgen reads that type with Cast, CastLike, "
                 "QuantizeLinear, DequantizeLinear and the reshaping ops only)", n->op, k + 1,
                 dtype_info[in[k]->sem].name);
      return -1;
    }
  }
  return 0;
}

void lb_pass_on(const GNode *n, Value **in, Value **out, int first) {
  for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
    if (readers[i].moves && !*n->domain && !strcmp(readers[i].op, n->op) && in[0] && in[0]->sem && out[0] &&
        out[0]->id >= first)
      out[0]->sem = in[0]->sem;
}

/* ------------------------------------------------------------------ ops */
int d_bitcast(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  DType dt = dtype_from_onnx((int)d_int(b, "to", 0));
  if (dt == DT_UNDEF || dtype_onnx_only(dt) || in[0]->sem) {
    diag_error(b->d, d_attr_loc(b, "to"), "unsupported: BitCast to or from %s",
               dt == DT_UNDEF ? "this type" : dtype_info[in[0]->sem ? in[0]->sem : dt].name);
    return -1;
  }
  out[0] = b_bitcast(b, in[0], dt);
  return out[0] ? 0 : -1;
}
