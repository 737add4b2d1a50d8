/* msl.c: Metal Shading Language as a target of the walker
 * (codegen/render.c), the Metal target's first step; metal.c makes each
 * kernel's function and the folder (metal.h).
 *
 * A kernel's nest arrives mapped to GPU ids and narrowed (ir/gpu.c), as for
 * Vulkan and WebGPU. MSL is C++14: types f32 f16 bf16 -> float (f16/bf16
 * rounded on store with bit-exact integer code, as on the other GPUs),
 * i8..i32 -> int and u8..u32 -> uint (re-wrapped to their width after
 * arithmetic), i64 -> long and u64 -> ulong (64-bit in MSL), bool; MSL has
 * no double, so f64 is refused naming the kernel. Templates are C's
 * operators; helpers (templates/msl_lib.metal) are overloaded per type and
 * cover what Metal leaves undefined or fast-math may fold (signed overflow
 * wraps through unsigned types, division by zero, over-wide shifts, NaN
 * tests by bits, NaN-propagating max/min, float -> integer out of range,
 * a correctly rounded quotient). The host compiles with fast math off.
 */
#include "metal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const mt_name[MT_COUNT] = {"bool", "int", "uint", "float", "long", "ulong"};

/* ------------------------------------------------------------ templates */
/* %0 %1 %2 the operands in the operand type, %T its MSL name; "@name" the
 * helper mlg_name, overloaded per type */
static const OpTmpl tmpl[OP_COUNT] = {
    /* op          float              signed int          unsigned int        bool */
    [OP_NEG] = {{"(-%0)", "@neg", "(-%0)", NULL}},
    [OP_ABS] = {{"abs(%0)", "@abs", "%0", NULL}},
    [OP_ATANH] = {{"@atanh", NULL, NULL, NULL}},
    [OP_ROUND] = {{"rint(%0)", "%0", "%0", NULL}},
    [OP_SIGN] = {{"@sign", "@sign", "%T(%0 != 0)", NULL}},
    [OP_ADD] = {{"(%0 + %1)", "@add", "(%0 + %1)", NULL}},
    [OP_SUB] = {{"(%0 - %1)", "@sub", "(%0 - %1)", NULL}},
    [OP_MUL] = {{"(%0 * %1)", "@mul", "(%0 * %1)", NULL}},
    [OP_XOR] = {{NULL, NULL, NULL, "(%0 != %1)"}},
    [OP_WHERE] = {{"(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)"}},
};

static bool is_f(DType dt) { return dtype_info[dt].is_float; }

static MT dt_mt(MG *g, DType dt) {
  switch (dt) {
  case DT_F32: case DT_F16: case DT_BF16: return MT_FLOAT;
  case DT_I8: case DT_I16: case DT_I32: return MT_INT;
  case DT_U8: case DT_U16: case DT_U32: return MT_UINT;
  case DT_I64: return MT_LONG;
  case DT_U64: return MT_ULONG;
  case DT_BOOL: return MT_BOOL;
  default: {
    char what[96];
    snprintf(what, sizeof what, "%s values (Metal has no double)", dtype_info[dt].name);
    msl_unsupported(g, what);
    return MT_INT;
  }
  }
}

static char cls_of(MT t) {
  return t == MT_FLOAT ? 'f' : t == MT_INT || t == MT_LONG ? 's' : t == MT_BOOL ? 'b' : 'u';
}

static char hs_cls(int t) { return cls_of((MT)t); }

HelperSet msl_helper_set(MG *g) {
  return (HelperSet){msl_helpers, msl_nhelpers, MT_COUNT, &g->help[0][0], hs_cls, MT_FLOAT, -1};
}

static void mark_helper(MG *g, const char *name, MT t) {
  HelperSet hs = msl_helper_set(g);
  if (w_helper_mark(&hs, name, t)) return;
  char what[64];
  snprintf(what, sizeof what, "%s on %s", name, mt_name[t]);
  msl_unsupported(g, what);
}

static char *conv(MG *g, char *s, MT from, MT to) {
  if (from == to) return s;
  if (to == MT_BOOL) return arena_printf(g->a, "(%s != 0)", s);
  return arena_printf(g->a, "((%s)%s)", mt_name[to], s); /* C's cast: a functional one can parse as a declaration */
}

static char *lit_float(MG *g, double v) {
  float f = (float)v;
  if (isnan(v)) return "as_type<float>(0x7fc00000u)";
  if (isinf(f)) return f < 0 ? "as_type<float>(0xff800000u)" : "as_type<float>(0x7f800000u)";
  char t[64];
  snprintf(t, sizeof t, "%.9g", (double)f);
  bool neg = f < 0 || (f == 0 && signbit(f));
  return arena_printf(g->a, "%s%s%sf%s", neg ? "(" : "", t, strpbrk(t, ".e") ? "" : ".0", neg ? ")" : "");
}

static char *lit_int(MG *g, int64_t v, MT t) {
  switch (t) {
  case MT_BOOL: return v ? "true" : "false";
  case MT_FLOAT: return lit_float(g, (double)v);
  case MT_UINT: return arena_printf(g->a, "%lluu", (unsigned long long)(uint32_t)v);
  case MT_ULONG: return arena_printf(g->a, "%lluul", (unsigned long long)v);
  case MT_INT:
    if (v == INT32_MIN) return "(-2147483647 - 1)";
    return arena_printf(g->a, v < 0 ? "(%lld)" : "%lld", (long long)v);
  default:
    if (v == INT64_MIN) return "(-9223372036854775807l - 1l)";
    return arena_printf(g->a, v < 0 ? "(%lldl)" : "%lldl", (long long)v);
  }
}

static MT mt_of(MG *g, const Expr *e) {
  if (e->kind == E_ACC) return (MT)g->w.ltype[g->w.n->acc];
  if (e->kind == E_TMP) return (MT)g->w.ltype[e->i];
  if (e->kind == E_VAR) return g->w.vuint[e->i] ? MT_UINT : MT_INT;
  return dt_mt(g, e->dt);
}

/* ----------------------------------------------------------- expressions */
static int t_type_of(W *w, const Expr *e) { return mt_of((MG *)w, e); }
static int t_cls(int t) {
  char c = cls_of((MT)t);
  return c == 'f' ? CL_F : c == 's' ? CL_S : c == 'b' ? CL_B : CL_U;
}
static const char *t_type_name(W *w, int t) { (void)w; return mt_name[t]; }
static const char *t_conv(W *w, const char *s, int from, int to) { return conv((MG *)w, (char *)s, (MT)from, (MT)to); }

static const char *t_lit(W *w, const Expr *e, int want) {
  MG *g = (MG *)w;
  if (!is_f(e->dt) && want != MT_FLOAT) return lit_int(g, e->i, (MT)want);
  if (is_f(e->dt) && want == MT_FLOAT) return lit_float(g, e->f);
  MT r = mt_of(g, e);
  return conv(g, is_f(e->dt) ? lit_float(g, e->f) : lit_int(g, e->i, r), r, (MT)want);
}

static const char *t_load(W *w, const Expr *e, int *t) {
  MG *g = (MG *)w;
  const char *n = msl_use(g, e->buf);
  Expr *flat = gpu_index((Nest *)w->n, e->buf, e->idx);
  if (!flat) {
    w_refuse(w, "out of memory");
    return "0";
  }
  const char *i = w_as(w, flat, MT_INT);
  *t = dt_mt(g, e->buf->dt);
  switch (e->buf->dt) {
  case DT_BOOL: return arena_printf(g->a, "(%s(%s) != 0)", n, i);
  case DT_I8: return arena_printf(g->a, "((int)(char)%s(%s))", n, i);
  case DT_I16: return arena_printf(g->a, "((int)(short)%s(%s))", n, i);
  case DT_F16: mark_helper(g, "h2f", MT_FLOAT); return arena_printf(g->a, "mlg_h2f((uint)%s(%s))", n, i);
  case DT_BF16: mark_helper(g, "bf2f", MT_FLOAT); return arena_printf(g->a, "mlg_bf2f((uint)%s(%s))", n, i);
  case DT_U8: case DT_U16: return arena_printf(g->a, "((uint)%s(%s))", n, i);
  default: return arena_printf(g->a, "%s(%s)", n, i);
  }
}

static char *wrap(MG *g, char *s, DType dt) {
  switch (dt) {
  case DT_I8: return arena_printf(g->a, "((int)(char)(%s))", s);
  case DT_I16: return arena_printf(g->a, "((int)(short)(%s))", s);
  case DT_U8: return arena_printf(g->a, "(%s & 0xffu)", s);
  case DT_U16: return arena_printf(g->a, "(%s & 0xffffu)", s);
  default: return s;
  }
}

static const char *t_cast(W *w, const Expr *e, int *tp) {
  MG *g = (MG *)w;
  DType to = e->dt, from = e->a[0]->dt;
  int xi;
  char *x = (char *)w_expr(w, e->a[0], &xi);
  MT xt = (MT)xi, t = mt_of(g, e);
  *tp = t;
  if (e->op == OP_BITCAST) { /* f32 <-> 32-bit integers; 64-bit ones refused */
    if (dtype_info[to].size != 4) {
      w_refuse(w, "BitCast of 64-bit values");
      return "0";
    }
    if (is_f(from)) return conv(g, arena_printf(g->a, "as_type<uint>(%s)", conv(g, x, xt, MT_FLOAT)), MT_UINT, t);
    return arena_printf(g->a, "as_type<float>(%s)", conv(g, x, xt, MT_UINT));
  }
  if (to == DT_BOOL) return conv(g, x, xt, MT_BOOL);
  if (is_f(to)) {
    char *f = conv(g, x, xt, t);
    if (to != DT_F16 && to != DT_BF16) return f;
    const char *in = to == DT_F16 ? "h2f" : "bf2f", *out = to == DT_F16 ? "f2h" : "f2bf";
    mark_helper(g, in, MT_FLOAT);
    mark_helper(g, out, MT_FLOAT);
    return arena_printf(g->a, "mlg_%s(mlg_%s(%s))", in, out, f);
  }
  if (is_f(from)) { /* saturating to long, then the low bits, as the C target */
    const char *h = t == MT_ULONG ? "f2ul" : "f2l";
    mark_helper(g, h, MT_FLOAT);
    char *i = arena_printf(g->a, "mlg_%s(%s)", h, x);
    return wrap(g, conv(g, i, t == MT_ULONG ? MT_ULONG : MT_LONG, t), to);
  }
  return wrap(g, conv(g, x, xt, t), to);
}

static int t_operand_type(W *w, const Expr *e) {
  MG *g = (MG *)w;
  Op op = e->op;
  int n = op_arity[op], first = op == OP_WHERE ? 1 : 0;
  if (op == OP_AND || op == OP_OR || op == OP_XOR || op == OP_NOT) return MT_BOOL;
  MT ot = mt_of(g, e->a[first]);
  for (int i = first + 1; i < n; i++) {
    MT b = mt_of(g, e->a[i]);
    if (b != ot) ot = b == MT_LONG || ot == MT_LONG ? MT_LONG : b == MT_ULONG || ot == MT_ULONG ? MT_ULONG : ot;
  }
  if ((e->dt == DT_I64 || e->narrowed) && !op_bool_result(op)) ot = mt_of(g, e);
  return ot;
}

static const char *t_helper(W *w, const char *name, Op op, int ot, const char **arg, int n) {
  MG *g = (MG *)w;
  mark_helper(g, name, (MT)ot);
  Buf b = {0};
  buf_printf(&b, "mlg_%s(%s", name, arg[0]);
  for (int i = 1; i < n; i++) buf_printf(&b, ", %s", arg[i]);
  if ((op == OP_SHL || op == OP_SHR) && w->cur) buf_printf(&b, ", %d", dtype_info[w->cur->dt].size * 8);
  buf_puts(&b, ")");
  return buf_take(g->a, &b, NULL);
}

/* index arithmetic (i64 in the IR, or narrowed to i32: ir/gpu.c) has sound
 * ranges inside its type, so it cannot overflow: plain operators, not the
 * wrapping helpers */
static const char *t_special(W *w, const Expr *e, const char **a, int ot, int *t) {
  MG *g = (MG *)w;
  if ((ot != MT_INT && ot != MT_LONG) || !(e->dt == DT_I64 || e->narrowed)) return NULL;
  const char *f = e->op == OP_ADD ? "(%s + %s)" : e->op == OP_SUB ? "(%s - %s)" : e->op == OP_MUL ? "(%s * %s)" : NULL;
  if (!f) return NULL;
  *t = ot;
  return arena_printf(g->a, f, a[0], a[1]);
}

static const char *t_result(W *w, const Expr *e, int ot, const char *s, int *t) {
  MG *g = (MG *)w;
  Op op = e->op;
  *t = mt_of(g, e);
  char *r = conv(g, (char *)s, op_bool_result(op) ? MT_BOOL : (MT)ot, (MT)*t);
  bool arith = !op_bool_result(op) && op != OP_WHERE && op != OP_MAX && op != OP_MIN;
  return arith ? wrap(g, r, e->dt) : r;
}

static void t_placeholder(W *w, Buf *b, char c, int t) {
  (void)w;
  static const char *const uns[MT_COUNT] = {"uint", "uint", "uint", "uint", "ulong", "ulong"};
  if (c == 'T') buf_puts(b, mt_name[t]);
  else if (c == 'U') buf_puts(b, uns[t]);
}

static int t_var_type(W *w, int v) { return w->vuint[v] ? MT_UINT : MT_INT; }

static int t_local_type(W *w, int slot) {
  MG *g = (MG *)w;
  const Local *l = &w->n->locals[slot];
  if (l->kind == LV_BEST) return l->dt == DT_BOOL ? MT_INT : dt_mt(g, l->dt);
  if (l->kind == LV_WORD) return MT_UINT;
  return dt_mt(g, l->dt);
}

/* --------------------------------------------------------------- kernels */
static char *store_bits(MG *g, char *v, MT vt, DType dt) {
  switch (dt) {
  case DT_F16: mark_helper(g, "f2h", MT_FLOAT); return arena_printf(g->a, "mlg_f2h(%s)", conv(g, v, vt, MT_FLOAT));
  case DT_BF16: mark_helper(g, "f2bf", MT_FLOAT); return arena_printf(g->a, "mlg_f2bf(%s)", conv(g, v, vt, MT_FLOAT));
  default:
    return arena_printf(g->a, "(%s & %s)", conv(g, v, vt, MT_UINT), dtype_info[dt].size == 1 ? "0xffu" : "0xffffu");
  }
}

static void t_store(W *w, const Stmt *s, const char *v, int vt) {
  MG *g = (MG *)w;
  const Value *o = s->buf;
  const char *n = msl_use(g, o);
  if (s->slot >= 0 && !s->arg) {
    w_line(w, "%s_word(%s) = word;", n, w_as(w, s->idx, MT_INT));
  } else if (s->slot >= 0) {
    w_line(w, "word |= %s << uint(%d * %s);", store_bits(g, (char *)v, (MT)vt, o->dt), dtype_info[o->dt].size * 8,
           w_as(w, s->arg, MT_INT));
  } else {
    w_line(w, "%s(%s) = %s;", n, w_as(w, s->idx, MT_INT), conv(g, (char *)v, (MT)vt, dt_mt(g, o->dt)));
  }
}

static void t_loop(W *w, const Stmt *l) {
  MG *g = (MG *)w;
  const char *v = w_var(w, l->var);
  int wg = g->k->sched.wg > 0 ? g->k->sched.wg : 64;
  long long hi = (long long)l->hi;
  if (l->lk == LK_GPU_GLOBAL && l->n && l->s[0]->kind == ST_LOOP && l->s[0]->lk == LK_GPU_LOCAL)
    w_line(w, "for (uint %s = wid.y * nwg.x + wid.x; %s < %lldu; %s += nwg.x * nwg.y) {", v, v, hi, v);
  else if (l->lk == LK_GPU_LOCAL)
    w_line(w, "for (uint %s = lid.x; %s < %lldu; %s += %du) {", v, v, hi, v, wg);
  else if (l->lk == LK_GPU_GLOBAL) {
    w_line(w, "uint stride = nwg.x * nwg.y * %du;", wg);
    w_line(w, "for (uint %s = (wid.y * nwg.x + wid.x) * %du + lid.x; %s < %lldu; %s += stride) {", v, wg, v, hi, v);
  } else
    w_line(w, "for (int %s = %lld; %s < %lld; %s++) {", v, (long long)l->lo, v, hi, v);
}

const Target msl_target = {
    .name = "metal",
    .ops = tmpl,
    .base = gpu_ops,
    .bool_t = MT_BOOL,
    .index_t = MT_INT,
    .type_of = t_type_of,
    .cls = t_cls,
    .type_name = t_type_name,
    .conv = t_conv,
    .lit = t_lit,
    .load = t_load,
    .cast = t_cast,
    .operand_type = t_operand_type,
    .special = t_special,
    .helper = t_helper,
    .result = t_result,
    .placeholder = t_placeholder,
    .var_type = t_var_type,
    .local_type = t_local_type,
    .loop = t_loop,
    .store = t_store,
    .elem = NULL,
    .def_kw = "const ",
};
