/* interp.c: the reference interpreter, the oracle every backend is tested
 * against. It executes the primitive graph (ops.def) one node at a time in
 * double precision (int64 for integer and bool dtypes; a string's slot holds
 * its address, CMPEQ compares the text) with the plainest
 * possible loops: for every output element, find the input elements it reads.
 * It shares no code with the code generators on purpose: two independent
 * readings of ops.def that agree are the evidence that both are right.
 *
 * Requires: a primitive Program with every shape and dtype inferred.
 * Provides: interp_node (also used by constant folding) and interp_run.
 * Every computed element is rounded to its dtype's storage at once (f32 via
 * float, f16/bf16 via their 16-bit forms, integers wrap to their width), so
 * the results are those of a machine that stores each tensor in its dtype.
 * Shapes are checked before any loop reads memory: a malformed node is a
 * located error, never a crash.
 */
#include "ir.h"
#include "regex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ dtypes */
static bool isf(DType t) { return dtype_info[t].is_float; }
static bool isu(DType t) { return !dtype_info[t].is_float && !dtype_info[t].is_signed; }
static int width(DType t) { return t == DT_BOOL ? 1 : dtype_info[t].size * 8; }

/* An int64 wrapped to the width of t, like a C cast (u64 keeps its bits). */
static int64_t wrap_i(DType t, int64_t v) {
  int w = width(t);
  if (t == DT_BOOL) return v != 0;
  if (w >= 64) return v;
  uint64_t u = (uint64_t)v & ((1ull << w) - 1);
  if (!isu(t) && (u >> (w - 1)) & 1) return (int64_t)u - (int64_t)(1ull << w);
  return (int64_t)u;
}

/* A double rounded to the storage of float dtype t. */
static double round_f(DType t, double v) {
  switch (t) {
  case DT_F32: return (double)(float)v;
  case DT_F16: return half_to_float(float_to_half((float)v));
  case DT_BF16: return bf16_to_float(float_to_bf16((float)v));
  default: return v;
  }
}

/* Float -> integer dtype: truncate, NaN -> 0, saturate to int64 (u64: to
 * its own range above 2^63), then wrap. Bool is x != 0. */
static int64_t f2i(DType t, double v) {
  if (t == DT_BOOL) return v != 0;
  if (isnan(v)) return 0;
  if (t == DT_U64 && v >= 9223372036854775808.0)
    return v >= 18446744073709551616.0 ? -1 : (int64_t)(uint64_t)v;
  if (v >= 9223372036854775808.0) return wrap_i(t, INT64_MAX);
  if (v <= -9223372036854775808.0) return wrap_i(t, INT64_MIN);
  return wrap_i(t, (int64_t)v);
}

static double i2f(DType from, int64_t v) { return from == DT_U64 ? (double)(uint64_t)v : (double)v; }

/* Smallest / largest value of an integer dtype (u64 max is all ones). */
static int64_t dt_min(DType t) { return isu(t) ? 0 : width(t) >= 64 ? INT64_MIN : -((int64_t)1 << (width(t) - 1)); }
static int64_t dt_max(DType t) {
  if (width(t) >= 64) return isu(t) ? -1 : INT64_MAX;
  return isu(t) ? (int64_t)((1ull << width(t)) - 1) : ((int64_t)1 << (width(t) - 1)) - 1;
}

static int cmp_i(DType t, int64_t a, int64_t b) {
  if (isu(t)) return (uint64_t)a < (uint64_t)b ? -1 : (uint64_t)a > (uint64_t)b;
  return a < b ? -1 : a > b;
}

/* Store one computed element into out, rounded to out's dtype. */
static void store_f(IBuf *o, int64_t e, double v) {
  if (isf(o->dt)) o->u.f[e] = round_f(o->dt, v);
  else o->u.i[e] = f2i(o->dt, v);
}
static void store_i(IBuf *o, int64_t e, int64_t v) {
  if (isf(o->dt)) o->u.f[e] = round_f(o->dt, (double)v);
  else o->u.i[e] = wrap_i(o->dt, v);
}
/* Same dtype on both sides: the slot moves unchanged. */
static void copy_slot(IBuf *o, int64_t e, const IBuf *x, int64_t j) {
  if (isf(o->dt)) o->u.f[e] = x->u.f[j];
  else o->u.i[e] = x->u.i[j];
}

/* ------------------------------------------------------------ indices */
static void unravel(int64_t e, int rank, const int64_t *shape, int64_t *idx) {
  for (int d = rank - 1; d >= 0; d--) {
    idx[d] = shape[d] ? e % shape[d] : 0;
    if (shape[d]) e /= shape[d];
  }
}

static int64_t ravel(int rank, const int64_t *shape, const int64_t *idx) {
  int64_t e = 0;
  for (int d = 0; d < rank; d++) e = e * shape[d] + idx[d];
  return e;
}

/* Flat index into v of the element that numpy broadcasting sends to the
 * output index oidx (rank orank): dims right-aligned, size-1 dims read 0. */
static int64_t bcast_at(const Value *v, int orank, const int64_t *oidx) {
  int64_t e = 0;
  for (int d = 0; d < v->rank; d++) e = e * v->shape[d] + (v->shape[d] == 1 ? 0 : oidx[d + orank - v->rank]);
  return e;
}

static bool bcast_ok(const Value *v, const Value *o) {
  if (v->rank > o->rank) return false;
  for (int d = 0; d < v->rank; d++) {
    int64_t od = o->shape[d + o->rank - v->rank];
    if (v->shape[d] != 1 && v->shape[d] != od) return false;
  }
  return true;
}

static bool same_shape(const Value *a, const Value *b) {
  if (a->rank != b->rank) return false;
  for (int d = 0; d < a->rank; d++)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

/* ------------------------------------------------------- elementwise */
static int un_f(Op op, double x, double *r) {
  switch (op) {
  case OP_NEG: *r = -x; break;
  case OP_ABS: *r = fabs(x); break;
  case OP_SQRT: *r = sqrt(x); break;
  case OP_EXP: *r = exp(x); break;
  case OP_LOG: *r = log(x); break;
  case OP_ERF: *r = erf(x); break;
  case OP_TANH: *r = tanh(x); break;
  case OP_SIN: *r = sin(x); break;
  case OP_COS: *r = cos(x); break;
  case OP_TAN: *r = tan(x); break;
  case OP_ASIN: *r = asin(x); break;
  case OP_ACOS: *r = acos(x); break;
  case OP_ATAN: *r = atan(x); break;
  case OP_SINH: *r = sinh(x); break;
  case OP_COSH: *r = cosh(x); break;
  case OP_ASINH: *r = asinh(x); break;
  case OP_ACOSH: *r = acosh(x); break;
  case OP_ATANH: *r = atanh(x); break;
  case OP_RECIP: *r = 1.0 / x; break;
  case OP_FLOOR: *r = floor(x); break;
  case OP_CEIL: *r = ceil(x); break;
  case OP_ROUND: *r = nearbyint(x); break; /* default rounding mode: half to even */
  case OP_SIGN: *r = x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; break;
  case OP_ISNAN: *r = isnan(x) != 0; break;
  case OP_ISINF: *r = isinf(x) != 0; break;
  default: return -1;
  }
  return 0;
}

static int un_i(Op op, DType t, int64_t x, int64_t *r) {
  uint64_t ux = (uint64_t)x;
  switch (op) {
  case OP_NEG: *r = (int64_t)(0 - ux); break;
  case OP_ABS: *r = isu(t) || x >= 0 ? x : (int64_t)(0 - ux); break;
  case OP_SIGN: *r = isu(t) ? x != 0 : (x > 0) - (x < 0); break;
  case OP_NOT: *r = x == 0; break;
  case OP_BITNOT: *r = t == DT_BOOL ? x == 0 : (int64_t)~ux; break;
  case OP_FLOOR: case OP_CEIL: case OP_ROUND: *r = x; break;
  case OP_ISNAN: case OP_ISINF: *r = 0; break;
  default: return -1;
  }
  return 0;
}

/* Python %: the result takes the divisor's sign. */
static double pymod_f(double a, double b) {
  double r = fmod(a, b);
  if (r != 0 && (r < 0) != (b < 0)) r += b;
  if (r == 0) r = copysign(0.0, b);
  return r;
}

static int bin_f(Op op, double a, double b, double *r) {
  switch (op) {
  case OP_ADD: *r = a + b; break;
  case OP_SUB: *r = a - b; break;
  case OP_MUL: *r = a * b; break;
  case OP_DIV: *r = a / b; break;
  case OP_POW: *r = pow(a, b); break;
  case OP_MAX: *r = isnan(a) ? a : isnan(b) ? b : a > b ? a : b; break;
  case OP_MIN: *r = isnan(a) ? a : isnan(b) ? b : a < b ? a : b; break;
  case OP_MOD: *r = pymod_f(a, b); break;
  case OP_FMOD: *r = fmod(a, b); break;
  case OP_CMPLT: *r = a < b; break;
  case OP_CMPLE: *r = a <= b; break;
  case OP_CMPEQ: *r = a == b; break;
  default: return -1;
  }
  return 0;
}

/* Integer power by squaring, wrapping; negative exponents give 1/base^e
 * truncated toward zero. */
static int64_t ipow(bool uns, int64_t a, int64_t b) {
  if (!uns && b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  uint64_t r = 1, x = (uint64_t)a, e = (uint64_t)b;
  for (; e; e >>= 1) {
    if (e & 1) r *= x;
    x *= x;
  }
  return (int64_t)r;
}

/* Integer division and remainders never trap: divisor 0 gives 0, and
 * INT64_MIN / -1 gives INT64_MIN. */
static int64_t idiv(bool uns, int64_t a, int64_t b, Op op) {
  if (b == 0) return 0;
  if (uns) return (int64_t)(op == OP_DIV ? (uint64_t)a / (uint64_t)b : (uint64_t)a % (uint64_t)b);
  if (b == -1) return op == OP_DIV ? (int64_t)(0 - (uint64_t)a) : 0;
  if (op == OP_DIV) return a / b;
  int64_t r = a % b;
  if (op == OP_MOD && r != 0 && (r < 0) != (b < 0)) r += b;
  return r;
}

static int bin_i(Op op, DType t, int64_t a, int64_t b, int64_t *r) {
  uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
  int w = width(t);
  uint64_t mask = w >= 64 ? ~0ull : (1ull << w) - 1;
  switch (op) {
  case OP_ADD: *r = (int64_t)(ua + ub); break;
  case OP_SUB: *r = (int64_t)(ua - ub); break;
  case OP_MUL: *r = (int64_t)(ua * ub); break;
  case OP_DIV: case OP_MOD: case OP_FMOD: *r = idiv(isu(t), a, b, op); break;
  case OP_POW: *r = ipow(isu(t), a, b); break;
  case OP_MAX: *r = cmp_i(t, a, b) >= 0 ? a : b; break;
  case OP_MIN: *r = cmp_i(t, a, b) <= 0 ? a : b; break;
  case OP_CMPLT: *r = cmp_i(t, a, b) < 0; break;
  case OP_CMPLE: *r = cmp_i(t, a, b) <= 0; break;
  case OP_CMPEQ: *r = a == b; break;
  case OP_AND: *r = a && b; break;
  case OP_OR: *r = a || b; break;
  case OP_XOR: *r = !a != !b; break;
  case OP_BITAND: *r = a & b; break;
  case OP_BITOR: *r = a | b; break;
  case OP_BITXOR: *r = a ^ b; break;
  case OP_SHL: *r = ub >= (uint64_t)w ? 0 : (int64_t)(ua << ub); break;
  case OP_SHR: *r = ub >= (uint64_t)w ? 0 : (int64_t)((ua & mask) >> ub); break;
  default: return -1;
  }
  return 0;
}

static void cast_one(const IBuf *x, int64_t j, IBuf *o, int64_t e) {
  if (isf(x->dt)) store_f(o, e, x->u.f[j]);
  else if (isf(o->dt)) o->u.f[e] = round_f(o->dt, i2f(x->dt, x->u.i[j]));
  else o->u.i[e] = wrap_i(o->dt, x->u.i[j]);
}

/* The dtype rules of elementwise nodes (ops.def's result column): the value
 * operands (all but WHERE's bool condition) share one dtype. */
static bool ew_types_ok(const PNode *n) {
  Op op = n->op;
  int v = op == OP_WHERE;
  if (v && n->in[0]->dt != DT_BOOL) return false;
  DType a = n->in[v]->dt;
  for (int k = v + 1; k < n->nin; k++)
    if (n->in[k]->dt != a) return false;
  if (op == OP_BITCAST) /* float <-> integer of 32 or 64 bits */
    return dtype_info[a].size == dtype_info[n->out->dt].size && (dtype_info[a].size == 4 || dtype_info[a].size == 8) &&
           isf(a) != isf(n->out->dt) && n->out->dt != DT_BOOL;
  return n->out->dt == op_result_dt(op, a, n->out->dt);
}

/* s matches pattern p in full (ir/regex.c); -1: p is no pattern mlgen takes */
static int strmatch(const char *p, const char *s) {
  Arena *a = arena_new();
  Re re;
  char err[160];
  int r = -1;
  if (a && !re_compile(a, p, &re, err, sizeof err)) {
    int *w = arena_alloc(a, sizeof(int) * (size_t)(4 * re.n));
    if (w) r = re_full_match(&re, s, w);
  }
  arena_free(a);
  return r;
}

static int ew_one(Op op, IBuf *const *in, const int64_t *j, IBuf *o, int64_t e) {
  DType t = in[0]->dt;
  if (op == OP_CAST) {
    cast_one(in[0], j[0], o, e);
  } else if (op == OP_BITCAST) { /* through the storage bytes (interp_node checked the sizes) */
    unsigned char bits[8];
    if (isf(t)) raw_set_f(t, bits, 0, in[0]->u.f[j[0]]);
    else raw_set_i(t, bits, 0, in[0]->u.i[j[0]]);
    if (isf(o->dt)) o->u.f[e] = raw_get_f(o->dt, bits, 0);
    else o->u.i[e] = raw_get_i(o->dt, bits, 0);
  } else if (op == OP_WHERE) {
    if (in[0]->u.i[j[0]]) copy_slot(o, e, in[1], j[1]);
    else copy_slot(o, e, in[2], j[2]);
  } else if (t == DT_STRING) { /* CMPEQ, STRMATCH: the only computations on strings (interp_node checked) */
    const char *a = (const char *)(intptr_t)in[0]->u.i[j[0]], *b = (const char *)(intptr_t)in[1]->u.i[j[1]];
    int r = op == OP_STRMATCH ? strmatch(b, a) : !strcmp(a, b);
    if (r < 0) return -1;
    o->u.i[e] = r;
  } else if (isf(t)) {
    double r, a = in[0]->u.f[j[0]];
    if (op_kind[op] == K_UNARY ? un_f(op, a, &r) : bin_f(op, a, in[1]->u.f[j[1]], &r)) return -1;
    store_f(o, e, r);
  } else {
    int64_t r, a = in[0]->u.i[j[0]];
    if (op_kind[op] == K_UNARY ? un_i(op, t, a, &r) : bin_i(op, t, a, in[1]->u.i[j[1]], &r)) return -1;
    store_i(o, e, r);
  }
  return 0;
}

static int run_elementwise(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *ov = n->out;
  for (int k = 0; k < n->nin; k++)
    if (!bcast_ok(n->in[k], ov)) {
      diag_error(d, n->loc, "%s: input %d does not broadcast to the output shape", op_name[n->op], k);
      return -1;
    }
  if (!ew_types_ok(n)) {
    diag_error(d, n->loc, "%s: bad dtypes (%s -> %s)", op_name[n->op], dtype_info[n->in[0]->dt].name,
               dtype_info[ov->dt].name);
    return -1;
  }
  DType vt = n->in[n->op == OP_WHERE]->dt;
  if (!op_accepts(n->op, vt)) { /* ops.def's dtypes column; the loops below agree */
    diag_error(d, n->loc, "%s is not defined on %s", op_name[n->op], dtype_info[vt].name);
    return -1;
  }
  int64_t idx[MAX_RANK], j[3] = {0, 0, 0};
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    for (int k = 0; k < n->nin; k++) j[k] = bcast_at(n->in[k], ov->rank, idx);
    if (ew_one(n->op, in, j, o, e)) {
      diag_error(d, n->loc, "%s is not defined on %s", op_name[n->op], dtype_info[in[0]->dt].name);
      return -1;
    }
  }
  return 0;
}

/* --------------------------------------------------------- reductions */
/* Output index of input index iidx when the axes in mask are reduced. */
static int64_t reduce_at(const PNode *n, unsigned mask, const int64_t *iidx) {
  int64_t oidx[MAX_RANK];
  int k = 0;
  for (int d = 0; d < n->in[0]->rank; d++) {
    if (!(mask >> d & 1)) oidx[k++] = iidx[d];
    else if (n->pr.keepdims) oidx[k++] = 0;
  }
  return ravel(n->out->rank, n->out->shape, oidx);
}

static bool reduced_shape_ok(const PNode *n, unsigned mask) {
  const Value *x = n->in[0], *o = n->out;
  if (mask >> x->rank) return false;
  int k = 0;
  for (int d = 0; d < x->rank; d++) {
    bool red = mask >> d & 1;
    if (red && !n->pr.keepdims) continue;
    if (k >= o->rank || o->shape[k] != (red ? 1 : x->shape[d])) return false;
    k++;
  }
  return k == o->rank;
}

/* Is x a better extreme than best for ARGMAX/ARGMIN? NaN is the most
 * extreme value; ties keep the first unless select_last. */
static bool arg_better_f(bool max, bool last, double x, double best) {
  if (isnan(best)) return last && isnan(x);
  if (isnan(x)) return true;
  if (x == best) return last;
  return max ? x > best : x < best;
}

static int run_arg(const PNode *n, const IBuf *x, IBuf *o, unsigned mask, Diags *d) {
  const Value *xv = n->in[0];
  bool max = n->op == OP_ARGMAX, last = n->pr.select_last, fl = isf(x->dt);
  void *best = malloc(o->n ? (size_t)o->n * 8 : 8);
  if (!best) {
    diag_error(d, n->loc, "%s: out of memory", op_name[n->op]);
    return -1;
  }
  double *bf = best;
  int64_t *bi = best, idx[MAX_RANK];
  for (int64_t e = 0; e < o->n; e++) o->u.i[e] = -1;
  for (int64_t e = 0; e < x->n; e++) {
    unravel(e, xv->rank, xv->shape, idx);
    int64_t r = reduce_at(n, mask, idx);
    bool take;
    if (o->u.i[r] < 0) take = true;
    else if (fl) take = arg_better_f(max, last, x->u.f[e], bf[r]);
    else {
      int c = cmp_i(x->dt, x->u.i[e], bi[r]);
      take = c == 0 ? last : max ? c > 0 : c < 0;
    }
    if (!take) continue;
    o->u.i[r] = idx[n->pr.axis];
    if (fl) bf[r] = x->u.f[e];
    else bi[r] = x->u.i[e];
  }
  for (int64_t e = 0; e < o->n; e++)
    if (o->u.i[e] < 0) o->u.i[e] = 0; /* empty axis */
  free(best);
  return 0;
}

static int run_reduce(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *xv = n->in[0];
  const IBuf *x = in[0];
  Op op = n->op;
  bool arg = op == OP_ARGMAX || op == OP_ARGMIN;
  if (arg && (n->pr.axis < 0 || n->pr.axis >= xv->rank || o->dt != op_result_dt(op, x->dt, o->dt))) {
    diag_error(d, n->loc, "%s: axis %d of a rank-%d input, or output not i64", op_name[op], n->pr.axis, xv->rank);
    return -1;
  }
  unsigned mask = arg ? 1u << n->pr.axis : n->pr.axes;
  if (!reduced_shape_ok(n, mask) || (!arg && o->dt != op_result_dt(op, x->dt, o->dt))) {
    diag_error(d, n->loc, "%s: output shape/dtype does not match the reduced input", op_name[op]);
    return -1;
  }
  if (arg) return run_arg(n, x, o, mask, d);
  bool fl = isf(x->dt);
  for (int64_t e = 0; e < o->n; e++) {
    if (fl) o->u.f[e] = op == OP_RSUM ? 0.0 : op == OP_RPROD ? 1.0 : op == OP_RMAX ? -INFINITY : INFINITY;
    else o->u.i[e] = op == OP_RSUM ? 0 : op == OP_RPROD ? 1 : op == OP_RMAX ? dt_min(x->dt) : dt_max(x->dt);
  }
  int64_t idx[MAX_RANK];
  for (int64_t e = 0; e < x->n; e++) {
    unravel(e, xv->rank, xv->shape, idx);
    int64_t r = reduce_at(n, mask, idx);
    if (fl) {
      double v = x->u.f[e], *acc = &o->u.f[r];
      if (op == OP_RSUM) *acc += v;
      else if (op == OP_RPROD) *acc *= v;
      else if (isnan(v) || (op == OP_RMAX ? v > *acc : v < *acc)) *acc = v; /* a NaN acc stays */
    } else {
      int64_t v = x->u.i[e], *acc = &o->u.i[r];
      if (op == OP_RSUM) *acc = (int64_t)((uint64_t)*acc + (uint64_t)v);
      else if (op == OP_RPROD) *acc = (int64_t)((uint64_t)*acc * (uint64_t)v);
      else if (op == OP_RMAX ? cmp_i(x->dt, v, *acc) > 0 : cmp_i(x->dt, v, *acc) < 0) *acc = v;
    }
  }
  for (int64_t e = 0; e < o->n; e++) {
    if (fl) o->u.f[e] = round_f(o->dt, o->u.f[e]);
    else o->u.i[e] = wrap_i(o->dt, o->u.i[e]);
  }
  return 0;
}

/* ------------------------------------------------------------ movement */
/* Source index along one dim of size dim for a padded position s (may be
 * outside [0,dim)); -1 means the fill value. */
static int64_t pad_src(PadMode m, int64_t s, int64_t dim) {
  if (s >= 0 && s < dim) return s;
  switch (m) {
  case PAD_EDGE: return s < 0 ? 0 : dim - 1;
  case PAD_WRAP: return ((s % dim) + dim) % dim;
  case PAD_REFLECT: {
    if (dim == 1) return 0;
    int64_t p = 2 * (dim - 1);
    s = ((s % p) + p) % p;
    return s >= dim ? p - s : s;
  }
  default: return -1;
  }
}

static int move_check(const PNode *n, IBuf *const *in, const IBuf *o) {
  const Value *x = n->in[0], *ov = n->out;
  switch (n->op) {
  case OP_RESHAPE: return in[0]->n == o->n ? 0 : -1;
  case OP_EXPAND: return bcast_ok(x, ov) ? 0 : -1;
  case OP_PERMUTE: {
    unsigned seen = 0;
    if (x->rank != ov->rank) return -1;
    for (int d = 0; d < ov->rank; d++) {
      int p = n->pr.perm[d];
      if (p < 0 || p >= x->rank || (seen >> p & 1) || x->shape[p] != ov->shape[d]) return -1;
      seen |= 1u << p;
    }
    return 0;
  }
  case OP_SLICE:
    if (x->rank != ov->rank) return -1;
    for (int d = 0; d < ov->rank; d++) {
      int64_t s = n->pr.start[d], last = s + (ov->shape[d] - 1) * n->pr.step[d];
      if (ov->shape[d] && (s < 0 || s >= x->shape[d] || last < 0 || last >= x->shape[d])) return -1;
    }
    return 0;
  case OP_PAD:
    if (x->rank != ov->rank) return -1;
    for (int d = 0; d < ov->rank; d++) {
      if (n->pr.lo[d] < 0 || n->pr.hi[d] < 0 || ov->shape[d] != x->shape[d] + n->pr.lo[d] + n->pr.hi[d]) return -1;
      if (x->shape[d] == 0 && ov->shape[d] && n->pr.pad_mode != PAD_CONSTANT && o->n) return -1;
    }
    return 0;
  default: return 0;
  }
}

static int run_move(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *x = n->in[0], *ov = n->out;
  if (in[0]->dt != o->dt || move_check(n, in, o)) {
    diag_error(d, n->loc, "%s: input (%s) does not fit the output (%s)", op_name[n->op],
               dtype_info[x->dt].name, dtype_info[ov->dt].name);
    return -1;
  }
  int64_t idx[MAX_RANK], src[MAX_RANK];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    int64_t j = e;
    switch (n->op) {
    case OP_EXPAND: j = bcast_at(x, ov->rank, idx); break;
    case OP_PERMUTE:
      for (int k = 0; k < ov->rank; k++) src[n->pr.perm[k]] = idx[k];
      j = ravel(x->rank, x->shape, src);
      break;
    case OP_SLICE:
      for (int k = 0; k < ov->rank; k++) src[k] = n->pr.start[k] + idx[k] * n->pr.step[k];
      j = ravel(x->rank, x->shape, src);
      break;
    case OP_PAD:
      for (int k = 0; k < ov->rank && j >= 0; k++) {
        src[k] = pad_src(n->pr.pad_mode, idx[k] - n->pr.lo[k], x->shape[k]);
        if (src[k] < 0) j = -1;
      }
      if (j < 0) {
        store_f(o, e, n->pr.fill);
        continue;
      }
      j = ravel(x->rank, x->shape, src);
      break;
    default: break; /* RESHAPE: same flat index */
    }
    copy_slot(o, e, in[0], j);
  }
  return 0;
}

static int run_concat(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *ov = n->out;
  int ax = n->pr.axis;
  int64_t total = 0;
  bool ok = n->nin >= 1 && ax >= 0 && ax < ov->rank;
  for (int k = 0; ok && k < n->nin; k++) {
    const Value *v = n->in[k];
    ok = v->rank == ov->rank && in[k]->dt == o->dt;
    for (int dd = 0; ok && dd < ov->rank; dd++) ok = dd == ax || v->shape[dd] == ov->shape[dd];
    if (ok) total += v->shape[ax];
  }
  if (!ok || total != ov->shape[ax]) {
    diag_error(d, n->loc, "CONCAT: inputs do not fit the output along axis %d", ax);
    return -1;
  }
  int64_t idx[MAX_RANK];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    int k = 0;
    while (idx[ax] >= n->in[k]->shape[ax]) idx[ax] -= n->in[k++]->shape[ax];
    copy_slot(o, e, in[k], ravel(ov->rank, n->in[k]->shape, idx));
  }
  return 0;
}

/* An index value from an integer buffer, wrapped once if negative. */
static int get_index(const PNode *n, const IBuf *ib, int64_t j, int64_t dim, int64_t *r, Diags *d) {
  const char *op = n->op == OP_GATHER ? "Gather" : "GatherElements";
  int64_t v = ib->u.i[j], w = v;
  if (w < 0 && !isu(ib->dt)) w += dim;
  if (w < 0 || w >= dim || (isu(ib->dt) && v < 0)) {
    if (isu(ib->dt))
      diag_error(d, n->loc, "%s index %llu out of range [0,%lld)", op, (unsigned long long)v, (long long)dim);
    else
      diag_error(d, n->loc, "%s index %lld out of range [%lld,%lld)", op, (long long)v, (long long)-dim,
                 (long long)dim);
    return -1;
  }
  *r = w;
  return 0;
}

static int run_gather(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *x = n->in[0], *iv = n->in[1], *ov = n->out;
  int ax = n->pr.axis;
  bool elem = n->op == OP_GATHERELEM;
  bool ok = ax >= 0 && ax < x->rank && in[0]->dt == o->dt && !isf(iv->dt) && iv->dt != DT_STRING;
  if (ok && elem) {
    ok = same_shape(iv, ov) && iv->rank == x->rank;
    for (int k = 0; ok && k < x->rank; k++) ok = k == ax || iv->shape[k] <= x->shape[k];
  } else if (ok) {
    ok = ov->rank == x->rank - 1 + iv->rank;
    for (int k = 0; ok && k < ov->rank; k++)
      ok = ov->shape[k] == (k < ax ? x->shape[k] : k < ax + iv->rank ? iv->shape[k - ax] : x->shape[k - iv->rank + 1]);
  }
  if (!ok) {
    diag_error(d, n->loc, "%s: data, indices and output shapes do not fit (axis %d)", op_name[n->op], ax);
    return -1;
  }
  int64_t idx[MAX_RANK], src[MAX_RANK];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    int64_t j, w;
    if (elem) {
      if (get_index(n, in[1], e, x->shape[ax], &w, d)) return -1;
      memcpy(src, idx, sizeof src);
      src[ax] = w;
    } else {
      j = ravel(iv->rank, iv->shape, idx + ax);
      if (get_index(n, in[1], j, x->shape[ax], &w, d)) return -1;
      for (int k = 0; k < x->rank; k++) src[k] = k < ax ? idx[k] : k == ax ? w : idx[k + iv->rank - 1];
    }
    copy_slot(o, e, in[0], ravel(x->rank, x->shape, src));
  }
  return 0;
}

static int run_iota(const PNode *n, IBuf *o, Diags *d) {
  const Value *ov = n->out;
  if (ov->rank && (n->pr.axis < 0 || n->pr.axis >= ov->rank)) {
    diag_error(d, n->loc, "IOTA: axis %d of a rank-%d output", n->pr.axis, ov->rank);
    return -1;
  }
  int64_t idx[MAX_RANK];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    store_f(o, e, n->pr.fill + n->pr.delta * (double)(ov->rank ? idx[n->pr.axis] : 0));
  }
  return 0;
}

/* ------------------------------------------------------------- compute */
static int run_matmul(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *a = n->in[0], *b = n->in[1], *ov = n->out;
  int r = ov->rank;
  bool ok = a->rank >= 2 && b->rank >= 2 && r == (a->rank > b->rank ? a->rank : b->rank) &&
            in[0]->dt == o->dt && in[1]->dt == o->dt;
  int64_t M = ok ? a->shape[a->rank - 2] : 0, K = ok ? a->shape[a->rank - 1] : 0, N = ok ? b->shape[b->rank - 1] : 0;
  ok = ok && b->shape[b->rank - 2] == K && ov->shape[r - 2] == M && ov->shape[r - 1] == N;
  for (int k = 0; ok && k < r - 2; k++) {
    int ka = k - (r - a->rank), kb = k - (r - b->rank);
    if (ka >= 0 && a->shape[ka] != 1 && a->shape[ka] != ov->shape[k]) ok = false;
    if (kb >= 0 && b->shape[kb] != 1 && b->shape[kb] != ov->shape[k]) ok = false;
  }
  if (!ok) {
    diag_error(d, n->loc, "MATMUL: shapes/dtypes do not fit [..,M,K]x[..,K,N]->[..,M,N]");
    return -1;
  }
  bool fl = isf(o->dt);
  int64_t idx[MAX_RANK];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, r, ov->shape, idx);
    int64_t m = idx[r - 2], c = idx[r - 1];
    idx[r - 2] = idx[r - 1] = 0;
    int64_t a0 = bcast_at(a, r, idx) + m * K, b0 = bcast_at(b, r, idx) + c;
    double sf = 0;
    uint64_t si = 0;
    for (int64_t k = 0; k < K; k++) {
      if (fl) sf += in[0]->u.f[a0 + k] * in[1]->u.f[b0 + k * N];
      else si += (uint64_t)in[0]->u.i[a0 + k] * (uint64_t)in[1]->u.i[b0 + k * N];
    }
    if (fl) store_f(o, e, sf);
    else store_i(o, e, (int64_t)si);
  }
  return 0;
}

/* Shared shape checks of CONV and POOL: [N,C,*sp] with nsp spatial dims. */
static bool window_ok(const PNode *n, bool conv) {
  const Value *x = n->in[0], *ov = n->out;
  int ns = n->pr.nsp;
  if (ns < 1 || ns > 3 || x->rank != ns + 2 || ov->rank != ns + 2 || ov->shape[0] != x->shape[0]) return false;
  for (int s = 0; s < ns; s++)
    if (n->pr.stride[s] < 1 || n->pr.dil[s] < 1 || (!conv && n->pr.kernel[s] < 1)) return false;
  return conv || ov->shape[1] == x->shape[1];
}

static int run_conv(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *x = n->in[0], *w = n->in[1], *ov = n->out;
  int ns = n->pr.nsp, G = n->pr.group;
  bool ok = window_ok(n, true) && w->rank == ns + 2 && G >= 1 && in[0]->dt == o->dt && in[1]->dt == o->dt;
  int64_t C = x->shape[1], M = w->shape[0];
  ok = ok && C % G == 0 && M % G == 0 && w->shape[1] == C / G && ov->shape[1] == M;
  if (!ok) {
    diag_error(d, n->loc, "CONV: x, w and output shapes do not fit (group %d)", G);
    return -1;
  }
  bool fl = isf(o->dt);
  int64_t Cg = C / G, Mg = M / G, kn = shape_numel(ns, w->shape + 2), idx[MAX_RANK], kidx[3];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    int64_t m = idx[1], g = m / Mg;
    double sf = 0;
    uint64_t si = 0;
    for (int64_t c = 0; c < Cg; c++) {
      for (int64_t kk = 0; kk < kn; kk++) {
        unravel(kk, ns, w->shape + 2, kidx);
        int64_t xo = idx[0] * C + g * Cg + c;
        bool inside = true;
        for (int s = 0; s < ns; s++) {
          int64_t p = idx[2 + s] * n->pr.stride[s] - n->pr.plo[s] + kidx[s] * n->pr.dil[s];
          if (p < 0 || p >= x->shape[2 + s]) inside = false;
          xo = xo * x->shape[2 + s] + p;
        }
        if (!inside) continue;
        int64_t wo = (m * Cg + c) * kn + kk;
        if (fl) sf += in[0]->u.f[xo] * in[1]->u.f[wo];
        else si += (uint64_t)in[0]->u.i[xo] * (uint64_t)in[1]->u.i[wo];
      }
    }
    if (fl) store_f(o, e, sf);
    else store_i(o, e, (int64_t)si);
  }
  return 0;
}

static int run_pool(const PNode *n, IBuf *const *in, IBuf *o, Diags *d) {
  const Value *x = n->in[0], *ov = n->out;
  int ns = n->pr.nsp;
  PoolKind pk = n->pr.pool;
  bool fl = isf(o->dt);
  if (!window_ok(n, false) || in[0]->dt != o->dt || (!fl && pk != POOL_MAX)) {
    diag_error(d, n->loc, "POOL: input and output shapes/dtypes do not fit");
    return -1;
  }
  int64_t kn = shape_numel(ns, n->pr.kernel), idx[MAX_RANK], kidx[3];
  for (int64_t e = 0; e < o->n; e++) {
    unravel(e, ov->rank, ov->shape, idx);
    double acc = pk == POOL_MAX ? -INFINITY : 0;
    int64_t acci = dt_min(o->dt), cnt = 0, cntpad = 0;
    for (int64_t kk = 0; kk < kn; kk++) {
      unravel(kk, ns, n->pr.kernel, kidx);
      int64_t xo = idx[0] * x->shape[1] + idx[1];
      bool inside = true, inpad = true;
      for (int s = 0; s < ns; s++) {
        int64_t p = idx[2 + s] * n->pr.stride[s] - n->pr.plo[s] + kidx[s] * n->pr.dil[s], X = x->shape[2 + s];
        if (p < 0 || p >= X) inside = false;
        if (p < -n->pr.plo[s] || p >= X + n->pr.phi[s]) inpad = false;
        xo = xo * X + p;
      }
      cntpad += inpad;
      if (!inside) continue;
      cnt++;
      if (!fl) {
        if (cmp_i(o->dt, in[0]->u.i[xo], acci) > 0) acci = in[0]->u.i[xo];
        continue;
      }
      double v = in[0]->u.f[xo];
      if (pk == POOL_MAX) acc = isnan(v) || v > acc ? v : acc; /* a NaN acc stays */
      else if (pk == POOL_AVG) acc += v;
      else acc += pow(fabs(v), n->pr.p);
    }
    if (!fl) o->u.i[e] = acci;
    else if (pk == POOL_AVG) store_f(o, e, acc / (double)(n->pr.count_pad ? cntpad : cnt));
    else if (pk == POOL_LP) store_f(o, e, pow(acc, 1.0 / n->pr.p));
    else store_f(o, e, acc);
  }
  return 0;
}

/* ---------------------------------------------------------------- nodes */
int interp_node(const PNode *n, IBuf *const *in, IBuf *out, Diags *d) {
  if ((unsigned)n->op >= OP_COUNT || (op_arity[n->op] >= 0 ? n->nin != op_arity[n->op] : n->nin < 1)) {
    diag_error(d, n->loc, "node with op %d has %d inputs", (int)n->op, n->nin);
    return -1;
  }
  const Value *ov = n->out;
  if (ov->rank < 0 || ov->rank > MAX_RANK || out->dt != ov->dt || out->n != shape_numel(ov->rank, ov->shape)) {
    diag_error(d, n->loc, "%s: output buffer does not match its value", op_name[n->op]);
    return -1;
  }
  for (int k = 0; k < n->nin; k++) {
    const Value *v = n->in[k];
    if (!in[k] || v->rank < 0 || v->rank > MAX_RANK || in[k]->dt != v->dt ||
        in[k]->n != shape_numel(v->rank, v->shape)) {
      diag_error(d, n->loc, "%s: input buffer %d does not match its value", op_name[n->op], k);
      return -1;
    }
  }
  bool str = ov->dt == DT_STRING;
  for (int k = 0; k < n->nin; k++) str |= n->in[k]->dt == DT_STRING;
  if (str && !op_takes_strings(n->op, n->pr.pad_mode)) {
    diag_error(d, n->loc, "%s is not defined on strings", op_name[n->op]);
    return -1;
  }
  switch (n->op) {
  case OP_CONCAT: return run_concat(n, in, out, d);
  case OP_GATHER: case OP_GATHERELEM: return run_gather(n, in, out, d);
  case OP_IOTA: return run_iota(n, out, d);
  case OP_MATMUL: return run_matmul(n, in, out, d);
  case OP_CONV: return run_conv(n, in, out, d);
  case OP_POOL: return run_pool(n, in, out, d);
  default: break;
  }
  switch (op_kind[n->op]) {
  case K_REDUCE: return run_reduce(n, in, out, d);
  case K_MOVE: return run_move(n, in, out, d);
  default: return run_elementwise(n, in, out, d);
  }
}

/* -------------------------------------------------------------- program */
typedef struct {
  Program *p;
  IBuf *bufs;  /* per value (index in p->values); u.f == NULL: not there */
  int *uses;   /* consumers still to run */
  bool *keep;  /* graph outputs: never released */
  const void *const *inputs;
  Diags *d;
  Loc loc;
} Run;

static int vindex(const Program *p, const Value *v) {
  if (v->id >= 0 && v->id < p->values.n && p->values.v[v->id] == v) return v->id;
  for (int i = 0; i < p->values.n; i++)
    if (p->values.v[i] == v) return i;
  return -1;
}

static int alloc_buf(Run *r, IBuf *b, const Value *v) {
  b->dt = v->dt;
  b->n = shape_numel(v->rank, v->shape);
  b->u.f = b->n < 0 ? NULL : malloc(b->n ? (size_t)b->n * 8 : 8);
  if (!b->u.f)
    diag_error(r->d, r->loc, "value '%s': %s", v->name ? v->name : "?", b->n < 0 ? "bad shape" : "out of memory");
  return b->u.f ? 0 : -1;
}

/* The buffer of value v, read from its constant or input bytes on first use. */
static IBuf *get_buf(Run *r, const Value *v) {
  int k = vindex(r->p, v);
  const char *nm = v->name ? v->name : "?";
  if (k < 0) {
    diag_error(r->d, r->loc, "value '%s' is not in the program", nm);
    return NULL;
  }
  IBuf *b = &r->bufs[k];
  if (b->u.f) return b;
  const void *src = NULL;
  if (v->kind == VK_CONST) src = v->cdata;
  else if (v->kind == VK_INPUT && r->inputs && v->in_index >= 0 && v->in_index < r->p->inputs.n)
    src = r->inputs[v->in_index];
  if (!src) {
    diag_error(r->d, r->loc, "value '%s' is used before it is computed or has no data", nm);
    return NULL;
  }
  if (alloc_buf(r, b, v)) return NULL;
  for (int64_t i = 0; i < b->n; i++) {
    if (isf(v->dt)) b->u.f[i] = raw_get_f(v->dt, src, i);
    else b->u.i[i] = raw_get_i(v->dt, src, i);
  }
  return b;
}

static void release(Run *r, const Value *v) {
  int k = vindex(r->p, v);
  if (k < 0 || r->keep[k] || --r->uses[k] > 0) return;
  free(r->bufs[k].u.f);
  r->bufs[k].u.f = NULL;
}

static int run_one(Run *r, const PNode *n) {
  IBuf **ins = malloc(sizeof(IBuf *) * (size_t)(n->nin ? n->nin : 1));
  int k = vindex(r->p, n->out), rc = -1;
  if (!ins || k < 0) {
    diag_error(r->d, n->loc, "%s: %s", op_name[n->op], ins ? "output is not in the program" : "out of memory");
    free(ins);
    return -1;
  }
  for (int i = 0; i < n->nin; i++)
    if (!(ins[i] = get_buf(r, n->in[i]))) goto done;
  if (r->bufs[k].u.f) {
    diag_error(r->d, n->loc, "%s: value '%s' is computed twice", op_name[n->op], n->out->name ? n->out->name : "?");
    goto done;
  }
  if (alloc_buf(r, &r->bufs[k], n->out)) goto done;
  rc = interp_node(n, ins, &r->bufs[k], r->d);
  for (int64_t e = 0; !rc && n->out->check && e < r->bufs[k].n; e++)
    if (!r->bufs[k].u.i[e]) { /* what <name>_run reports as MLG_STATUS_VALUE */
      diag_error(r->d, n->loc, "run-time check failed: %s", n->out->check);
      rc = -1;
    }
  for (int i = 0; i < n->nin; i++) release(r, n->in[i]);
  if (!r->keep[k] && r->uses[k] == 0) { /* nobody reads it */
    free(r->bufs[k].u.f);
    r->bufs[k].u.f = NULL;
  }
done:
  free(ins);
  return rc;
}

int interp_run(Program *p, const void *const *inputs, void *const *outputs, Diags *d) {
  int nv = p->values.n, rc = -1;
  Run r = {p, calloc((size_t)nv + 1, sizeof(IBuf)), calloc((size_t)nv + 1, sizeof(int)),
           calloc((size_t)nv + 1, sizeof(bool)), inputs, d, {p->file, 0, 0, ""}};
  if (!r.bufs || !r.uses || !r.keep) {
    diag_error(d, r.loc, "interpreter: out of memory");
    goto done;
  }
  for (int i = 0; i < p->outputs.n; i++) {
    int k = vindex(p, p->outputs.v[i]);
    if (k >= 0) r.keep[k] = true;
  }
  for (int i = 0; i < p->nodes.n; i++) {
    PNode *n = p->nodes.v[i];
    for (int j = 0; !n->dead && j < n->nin; j++) {
      int k = vindex(p, n->in[j]);
      if (k >= 0) r.uses[k]++;
    }
  }
  for (int i = 0; i < p->nodes.n; i++) {
    PNode *n = p->nodes.v[i];
    if (!n->dead && run_one(&r, n)) goto done;
  }
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    IBuf *b = get_buf(&r, v);
    if (!b) goto done;
    if (!outputs[i]) {
      diag_error(d, r.loc, "output '%s' has no buffer", v->name ? v->name : "?");
      goto done;
    }
    for (int64_t e = 0; e < b->n; e++) {
      if (isf(v->dt)) raw_set_f(v->dt, outputs[i], e, b->u.f[e]);
      else raw_set_i(v->dt, outputs[i], e, b->u.i[e]);
    }
  }
  rc = 0;
done:
  for (int i = 0; r.bufs && i < nv; i++) free(r.bufs[i].u.f);
  free(r.bufs);
  free(r.uses);
  free(r.keep);
  return rc;
}
