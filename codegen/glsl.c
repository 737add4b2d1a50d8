/* glsl.c: GLSL 450 as a target of the walker (codegen/render.c), the
 * Vulkan target's first step; glsl_shader.c makes each kernel's shader
 * (glsl_target.h).
 *
 * A kernel's nest arrives mapped to GPU ids and narrowed (ir/gpu.c). This
 * file says how GLSL spells it: value types (f32 f16 bf16 -> float, f16/bf16
 * rounded on store with bit-exact integer code; i8..i32 -> int and u8..u32
 * -> uint, re-wrapped to their width after arithmetic; bool; f64 -> double
 * and i64/u64 -> int64_t/uint64_t behind their features, else a build-time
 * error naming the kernel), the op templates below, and helpers
 * (templates/glsl_lib.glsl) where a GLSL builtin is undefined where the IR
 * is not (division by zero, over-wide shifts, NaN-propagating max, pow of
 * negatives, float->int out of range).
 */
#include "glsl_target.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const rt_name[RT_COUNT] = {"bool", "int", "uint", "float", "double", "int64_t", "uint64_t"};
static const char *const rt_unsigned[RT_COUNT] = {"uint", "uint", "uint", "uint", "uint", "uint64_t", "uint64_t"};

/* ------------------------------------------------------------ templates */
/* Operand mini-language (as codegen/c.c): %0 %1 %2 the operands, already
 * converted to the operand type; %T that type's GLSL name; %B the bit width
 * of the IR dtype. "@name" calls the helper mlg_name(operands), which GLSL
 * overloads per type. Columns by operand class; NULL: not defined. */
static const OpTmpl tmpl[OP_COUNT] = {
    /* op          float              signed int          unsigned int        bool */
    [OP_NEG] = {{"(-%0)", "(-%0)", "(-%0)", NULL}},
    [OP_ABS] = {{"abs(%0)", "abs(%0)", "%0", NULL}},
    [OP_ATANH] = {{"atanh(%0)", NULL, NULL, NULL}},
    [OP_ROUND] = {{"roundEven(%0)", "%0", "%0", NULL}},
    [OP_SIGN] = {{"@sign", "sign(%0)", "%T(%0 != %T(0))", NULL}},
    [OP_ADD] = {{"(%0 + %1)", "(%0 + %1)", "(%0 + %1)", NULL}},
    [OP_SUB] = {{"(%0 - %1)", "(%0 - %1)", "(%0 - %1)", NULL}},
    [OP_MUL] = {{"(%0 * %1)", "(%0 * %1)", "(%0 * %1)", NULL}},
    [OP_XOR] = {{NULL, NULL, NULL, "(%0 ^^ %1)"}},
    [OP_WHERE] = {{"(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)"}},
};

/* GLSL.std.450 defines these only for 16/32-bit floats: refused on f64 */
static const bool no_f64[OP_COUNT] = {
    [OP_EXP] = 1,  [OP_LOG] = 1,  [OP_ERF] = 1,  [OP_TANH] = 1,  [OP_SIN] = 1,   [OP_COS] = 1,
    [OP_TAN] = 1,  [OP_ASIN] = 1, [OP_ACOS] = 1, [OP_ATAN] = 1,  [OP_SINH] = 1,  [OP_COSH] = 1,
    [OP_ASINH] = 1, [OP_ACOSH] = 1, [OP_ATANH] = 1, [OP_POW] = 1,
};

static bool is_f(DType dt) { return dtype_info[dt].is_float; }

static RT dt_rt(DType dt) {
  switch (dt) {
  case DT_F32: case DT_F16: case DT_BF16: return RT_FLOAT;
  case DT_F64: return RT_DOUBLE;
  case DT_I8: case DT_I16: case DT_I32: return RT_INT;
  case DT_U8: case DT_U16: case DT_U32: return RT_UINT;
  case DT_I64: return RT_I64;
  case DT_U64: return RT_U64;
  default: return RT_BOOL;
  }
}

static char cls_of(RT rt) {
  return rt == RT_FLOAT || rt == RT_DOUBLE ? 'f' : rt == RT_INT || rt == RT_I64 ? 's' : rt == RT_BOOL ? 'b' : 'u';
}
static char hs_cls(int t);

HelperSet glsl_helper_set(G *g) {
  return (HelperSet){glsl_helpers, glsl_nhelpers, RT_COUNT, &g->help[0][0], hs_cls, RT_FLOAT, RT_DOUBLE};
}

static void use_rt(G *g, RT rt) {
  if (rt == RT_I64 || rt == RT_U64) g->i64 = true;
  if (rt == RT_DOUBLE) g->f64 = true;
}

static char hs_cls(int t) { return cls_of((RT)t); }

static void mark_helper(G *g, const char *name, RT rt) {
  HelperSet hs = glsl_helper_set(g);
  if (w_helper_mark(&hs, name, rt)) return;
  char what[64];
  snprintf(what, sizeof what, "%s on %s", name, rt_name[rt]);
  glsl_unsupported(g, what);
}

/* value conversion that keeps the value (or truncates integers, as C does) */
static char *conv(G *g, char *s, RT from, RT to) {
  if (from == to) return s;
  use_rt(g, to);
  if (to == RT_BOOL) {
    static const char *const zero[RT_COUNT] = {"false", "0", "0u", "0.0", "0.0lf", "0l", "0ul"};
    return arena_printf(g->a, "(%s != %s)", s, zero[from]);
  }
  if ((from == RT_INT || from == RT_UINT) && (to == RT_I64 || to == RT_U64)) { /* widened from halves (glsl_lib) */
    const char *h = from == RT_INT ? "i2l" : "u2ul";
    mark_helper(g, h, from);
    bool same = (from == RT_INT) == (to == RT_I64);
    return same ? arena_printf(g->a, "mlg_%s(%s)", h, s) : arena_printf(g->a, "%s(mlg_%s(%s))", rt_name[to], h, s);
  }
  return arena_printf(g->a, "%s(%s)", rt_name[to], s);
}

static char *lit_float(G *g, double v, RT rt) {
  use_rt(g, rt);
  if (rt == RT_DOUBLE) {
    if (isnan(v)) return "packDouble2x32(uvec2(0u, 0x7ff80000u))";
    if (isinf(v)) return v < 0 ? "packDouble2x32(uvec2(0u, 0xfff00000u))" : "packDouble2x32(uvec2(0u, 0x7ff00000u))";
  } else {
    if (isnan(v)) return "uintBitsToFloat(0x7fc00000u)";
    if (isinf(v)) return v < 0 ? "uintBitsToFloat(0xff800000u)" : "uintBitsToFloat(0x7f800000u)";
  }
  char t[64];
  if (rt == RT_DOUBLE) snprintf(t, sizeof t, "%.17g", v);
  else snprintf(t, sizeof t, "%.9g", (double)(float)v);
  bool dot = strpbrk(t, ".e") != NULL;
  return arena_printf(g->a, "%s%s%s%s%s", v < 0 ? "(" : "", t, dot ? "" : ".0", rt == RT_DOUBLE ? "lf" : "",
                      v < 0 ? ")" : "");
}

/* an integer or bool constant of value v in type rt (v already in range) */
static char *lit_int(G *g, int64_t v, RT rt) {
  use_rt(g, rt);
  switch (rt) {
  case RT_BOOL: return v ? "true" : "false";
  case RT_FLOAT: case RT_DOUBLE: return lit_float(g, (double)v, rt);
  case RT_UINT: return arena_printf(g->a, "%lluu", (unsigned long long)(uint32_t)v);
  case RT_U64: return arena_printf(g->a, "%lluul", (unsigned long long)v);
  case RT_INT:
    if (v == INT32_MIN) return "(-2147483647 - 1)";
    return arena_printf(g->a, v < 0 ? "(%lld)" : "%lld", (long long)v);
  default:
    if (v == INT64_MIN) return "(-9223372036854775807l - 1l)";
    return arena_printf(g->a, v < 0 ? "(%lldl)" : "%lldl", (long long)v);
  }
}

/* the type e is held in (i64 index arithmetic that fits 32 bits is i32
 * already: ir/gpu.c) */
static RT rt_of(G *g, const Expr *e) {
  if (e->kind == E_ACC) return (RT)g->w.ltype[g->w.n->acc];
  if (e->kind == E_TMP) return (RT)g->w.ltype[e->i];
  if (e->kind == E_VAR) return g->w.vuint[e->i] ? RT_UINT : RT_INT;
  return dt_rt(e->dt);
}

/* ----------------------------------------------------------- expressions */
static int t_type_of(W *w, const Expr *e) { return rt_of((G *)w, e); }
static int t_cls(int t) {
  char c = cls_of((RT)t);
  return c == 'f' ? CL_F : c == 's' ? CL_S : c == 'b' ? CL_B : CL_U;
}
static const char *t_type_name(W *w, int t) { (void)w; return rt_name[t]; }
static const char *t_conv(W *w, const char *s, int from, int to) { return conv((G *)w, (char *)s, (RT)from, (RT)to); }

static const char *t_lit(W *w, const Expr *e, int want) {
  G *g = (G *)w;
  bool wf = want == RT_FLOAT || want == RT_DOUBLE;
  if (!is_f(e->dt) && !wf) return lit_int(g, e->i, (RT)want);
  if (is_f(e->dt) && wf) return lit_float(g, e->f, (RT)want);
  RT r = rt_of(g, e);
  char *s = is_f(e->dt) ? lit_float(g, e->f, r) : lit_int(g, e->i, r);
  return conv(g, s, r, (RT)want);
}

static const char *t_load(W *w, const Expr *e, int *rt) {
  G *g = (G *)w;
  const char *n = glsl_use(g, e->buf);
  Expr *flat = gpu_index((Nest *)w->n, e->buf, e->idx);
  if (!flat) {
    w_refuse(w, "out of memory");
    return "0";
  }
  const char *i = w_as(w, flat, RT_INT);
  *rt = dt_rt(e->buf->dt);
  switch (e->buf->dt) {
  case DT_BOOL: return arena_printf(g->a, "(%s(%s) != 0u)", n, i);
  case DT_I8: case DT_I16:
    return arena_printf(g->a, "bitfieldExtract(int(%s(%s)), 0, %d)", n, i, dtype_info[e->buf->dt].size * 8);
  case DT_F16: mark_helper(g, "h2f", RT_FLOAT); return arena_printf(g->a, "mlg_h2f(%s(%s))", n, i);
  case DT_BF16: mark_helper(g, "bf2f", RT_FLOAT); return arena_printf(g->a, "mlg_bf2f(%s(%s))", n, i);
  default: use_rt(g, (RT)*rt); return arena_printf(g->a, "%s(%s)", n, i);
  }
}

/* keep an 8/16-bit integer in its width after arithmetic */
static char *wrap(G *g, char *s, DType dt) {
  switch (dt) {
  case DT_I8: case DT_I16: return arena_printf(g->a, "bitfieldExtract(%s, 0, %d)", s, dtype_info[dt].size * 8);
  case DT_U8: return arena_printf(g->a, "(%s & 0xffu)", s);
  case DT_U16: return arena_printf(g->a, "(%s & 0xffffu)", s);
  default: return s;
  }
}

static const char *t_cast(W *w, const Expr *e, int *rtp) {
  G *g = (G *)w;
  DType to = e->dt, from = e->a[0]->dt;
  int xi;
  char *x = (char *)w_expr(w, e->a[0], &xi);
  RT xr = (RT)xi, rt = rt_of(g, e);
  *rtp = rt;
  if (e->op == OP_BITCAST) { /* f32 <-> 32-bit integers; 64-bit ones refused */
    if (dtype_info[to].size != 4) {
      w_refuse(w, "BitCast of 64-bit values");
      return "0";
    }
    if (is_f(from)) return conv(g, arena_printf(g->a, "floatBitsToUint(%s)", conv(g, x, xr, RT_FLOAT)), RT_UINT, rt);
    return arena_printf(g->a, "uintBitsToFloat(%s)", conv(g, x, xr, RT_UINT));
  }
  if (to == DT_BOOL) return conv(g, x, xr, RT_BOOL);
  if (is_f(to)) {
    char *f = conv(g, x, xr, rt);
    if (to == DT_F16) {
      mark_helper(g, "h2f", RT_FLOAT);
      mark_helper(g, "f2h", RT_FLOAT);
      return arena_printf(g->a, "mlg_h2f(mlg_f2h(%s))", f);
    }
    if (to == DT_BF16) {
      mark_helper(g, "bf2f", RT_FLOAT);
      mark_helper(g, "f2bf", RT_FLOAT);
      return arena_printf(g->a, "mlg_bf2f(mlg_f2bf(%s))", f);
    }
    return f;
  }
  char *i;
  if (is_f(from)) {
    if (rt == RT_I64 || rt == RT_U64) {
      const char *h = rt == RT_I64 ? "f2l" : "f2ul";
      mark_helper(g, h, xr);
      use_rt(g, rt);
      return arena_printf(g->a, "mlg_%s(%s)", h, x);
    }
    mark_helper(g, "f2i", xr);
    i = arena_printf(g->a, "mlg_f2i(%s)", x);
    if (rt == RT_UINT) i = conv(g, i, RT_INT, RT_UINT);
  } else {
    i = conv(g, x, xr, rt);
  }
  return wrap(g, i, to);
}

/* the operand type: logic ops work on bool, WHERE's condition is bool,
 * mixed int/int64 operands meet in int64 */
static int t_operand_type(W *w, const Expr *e) {
  G *g = (G *)w;
  Op op = e->op;
  int n = op_arity[op], first = op == OP_WHERE ? 1 : 0;
  if (op == OP_AND || op == OP_OR || op == OP_XOR || op == OP_NOT) return RT_BOOL;
  RT art[3] = {RT_BOOL, RT_BOOL, RT_BOOL};
  for (int i = 0; i < n; i++) art[i] = rt_of(g, e->a[i]);
  RT ot = art[first];
  for (int i = first + 1; i < n; i++)
    if (art[i] != ot)
      ot = (art[i] == RT_I64 || ot == RT_I64) ? RT_I64 : (art[i] == RT_U64 || ot == RT_U64) ? RT_U64 : ot;
  if ((e->dt == DT_I64 || e->narrowed) && !op_bool_result(op)) ot = rt_of(g, e);
  use_rt(g, ot);
  return ot;
}

static const char *t_special(W *w, const Expr *e, const char **arg, int ot, int *rt) {
  (void)arg;
  if (ot == RT_DOUBLE && no_f64[e->op]) {
    w_refuse(w, "%s on %s", op_name[e->op], dtype_info[e->a[0]->dt].name);
    *rt = RT_INT;
    return "0";
  }
  return NULL;
}

static const char *t_helper(W *w, const char *name, Op op, int ot, const char **arg, int n) {
  G *g = (G *)w;
  mark_helper(g, name, (RT)ot);
  Buf b = {0};
  buf_printf(&b, "mlg_%s(%s", name, arg[0]);
  for (int i = 1; i < n; i++) buf_printf(&b, ", %s", arg[i]);
  if ((op == OP_SHL || op == OP_SHR) && w->cur) buf_printf(&b, ", %d", dtype_info[w->cur->dt].size * 8);
  buf_puts(&b, ")");
  return glsl_str(g, &b);
}

static const char *t_result(W *w, const Expr *e, int ot, const char *s, int *rt) {
  G *g = (G *)w;
  Op op = e->op;
  RT res = op_bool_result(op) ? RT_BOOL : (RT)ot;
  *rt = rt_of(g, e);
  char *r = conv(g, (char *)s, res, (RT)*rt);
  bool arith = !op_bool_result(op) && op != OP_WHERE && op != OP_MAX && op != OP_MIN;
  return arith ? wrap(g, r, e->dt) : r;
}

static void t_placeholder(W *w, Buf *b, char c, int t) {
  (void)w;
  if (c == 'T') buf_puts(b, rt_name[t]);
  else if (c == 'U') buf_puts(b, rt_unsigned[t]);
  else if (c == 'B') buf_puts(b, "32");
}

static int t_var_type(W *w, int v) { return w->vuint[v] ? RT_UINT : RT_INT; }

static int t_local_type(W *w, int slot) {
  G *g = (G *)w;
  const Local *l = &w->n->locals[slot];
  switch (l->kind) {
  case LV_BEST: return l->dt == DT_BOOL ? RT_INT : dt_rt(l->dt); /* compared with > */
  case LV_WORD: return RT_UINT;
  default: use_rt(g, dt_rt(l->dt)); return dt_rt(l->dt);
  }
}

/* --------------------------------------------------------------- kernels */
/* the word a stored 8/16-bit value contributes to */
static char *store_bits(G *g, char *v, RT vr, DType dt) {
  switch (dt) {
  case DT_F16: mark_helper(g, "f2h", RT_FLOAT); return arena_printf(g->a, "mlg_f2h(%s)", conv(g, v, vr, RT_FLOAT));
  case DT_BF16: mark_helper(g, "f2bf", RT_FLOAT); return arena_printf(g->a, "mlg_f2bf(%s)", conv(g, v, vr, RT_FLOAT));
  default:
    return arena_printf(g->a, "(%s & %s)", conv(g, v, vr, RT_UINT), dtype_info[dt].size == 1 ? "0xffu" : "0xffffu");
  }
}

static void t_store(W *w, const Stmt *s, const char *v, int vr) {
  G *g = (G *)w;
  const Value *o = s->buf;
  const char *n = glsl_use(g, o);
  if (s->slot >= 0 && !s->arg) { /* the packed word, whole */
    w_line(w, "%s_word(%s) = word;", n, w_as(w, s->idx, RT_INT));
  } else if (s->slot >= 0) {
    int bits = dtype_info[o->dt].size * 8;
    w_line(w, "word |= %s << uint(%d * %s);", store_bits(g, (char *)v, (RT)vr, o->dt), bits, w_as(w, s->arg, RT_INT));
  } else {
    w_line(w, "%s(%s) = %s;", n, w_as(w, s->idx, RT_INT), conv(g, (char *)v, (RT)vr, dt_rt(o->dt)));
  }
}

static void t_loop(W *w, const Stmt *l) {
  G *g = (G *)w;
  const char *v = w_var(w, l->var);
  int wg = g->k->sched.wg > 0 ? g->k->sched.wg : 64;
  if (l->lk == LK_GPU_GLOBAL && l->n && l->s[0]->kind == ST_LOOP && l->s[0]->lk == LK_GPU_LOCAL) { /* over groups */
    w_line(w, "for (uint %s = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; %s < %lldu; %s += gl_NumWorkGroups.x * gl_NumWorkGroups.y) {",
           v, v, (long long)l->hi, v);
    return;
  }
  if (l->lk == LK_GPU_LOCAL) { /* one iteration per thread of the group */
    w_line(w, "for (uint %s = gl_LocalInvocationID.x; %s < %lldu; %s += %du) {", v, v, (long long)l->hi, v, wg);
    return;
  }
  if (l->lk == LK_GPU_GLOBAL) { /* a grid-stride loop: any 1-D or 2-D dispatch covers it */
    w_line(w, "uint stride = gl_NumWorkGroups.x * gl_NumWorkGroups.y * %du;", wg);
    w_line(w, "for (uint %s = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * %du + gl_GlobalInvocationID.x; %s < %lldu; %s += stride) {",
           v, wg, v, (long long)l->hi, v);
    return;
  }
  w_line(w, "for (int %s = %lld; %s < %lld; %s++) {", v, (long long)l->lo, v, (long long)l->hi, v);
}

const Target glsl_target = {
    .name = "vulkan",
    .ops = tmpl,
    .base = gpu_ops,
    .bool_t = RT_BOOL,
    .index_t = RT_INT,
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
    .def_kw = "",
};

