/* glsl.c: the GLSL 450 compute renderer (the Vulkan target's first step).
 *
 * One compute shader per kernel, over the same kernel IR codegen/c.c
 * renders. The kernel's flat output index is the invocation id: a
 * grid-stride loop over it lets the runtime pick any 1-D or 2-D dispatch
 * within maxComputeWorkGroupCount. Each invocation splits its index into
 * i0..i(n-1) and runs the reduction loops (r0..) itself.
 *
 * Memory (docs/vulkan.md): three storage buffers, the same in every shader:
 * binding 0 the arena (temporaries at their plan offsets), 1 the weights
 * (constants at 16-byte aligned offsets of one blob), 2 the io buffer
 * (inputs, then outputs); vk_layout.c places them. A shader reads a binding through typed
 * views (float A_f32[], int A_i32[], ...) and names every tensor with a
 * macro: `t_x(i)` is element i of tensor x. 8- and 16-bit dtypes are
 * loaded from the uint view and stored a whole word at a time: such a
 * kernel computes 4 (or 2) consecutive elements per invocation, so no two
 * invocations write one word.
 *
 * Dtypes compute as GLSL types: f32 f16 bf16 -> float (f16/bf16 rounded on
 * store and cast with bit-exact integer code, as the C target does),
 * i8 i16 i32 -> int and u8 u16 u32 -> uint (re-wrapped to their width after
 * arithmetic), bool -> bool, f64 -> double (shaderFloat64), i64/u64 ->
 * int64_t/uint64_t (shaderInt64). An i64 expression whose range provably
 * fits 32 bits (index arithmetic, mostly) is computed as int; an i64/u64 sum
 * or product accumulator whose result is truncated to 32 bits anyway is
 * kept in 32 bits (exact: wrap-around arithmetic agrees on the low bits).
 * Anything else that needs a missing feature is a build-time error naming
 * the kernel, never a silent change of type.
 *
 * Operators come from the template table below; operations whose GLSL
 * builtin is undefined where the IR is not (integer division by zero,
 * over-wide shifts, NaN-propagating max, pow of negatives, float->int
 * casts out of range) call small helpers emitted only when used.
 */
#include "vulkan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const bind_var[NBIND] = {"A", "W", "IO"};
static const char *const bind_block[NBIND] = {"Arena", "Weights", "Io"};

/* GLSL types values are rendered in */
typedef enum { RT_BOOL, RT_INT, RT_UINT, RT_FLOAT, RT_DOUBLE, RT_I64, RT_U64, RT_COUNT } RT;
static const char *const rt_name[RT_COUNT] = {"bool", "int", "uint", "float", "double", "int64_t", "uint64_t"};
static const char *const rt_unsigned[RT_COUNT] = {"uint", "uint", "uint", "uint", "uint", "uint64_t", "uint64_t"};

/* typed views of a binding */
typedef enum { VW_U32, VW_I32, VW_F32, VW_I64, VW_U64, VW_F64, VW_COUNT } View;
static const char *const vw_sfx[VW_COUNT] = {"u32", "i32", "f32", "i64", "u64", "f64"};
static const char *const vw_type[VW_COUNT] = {"uint", "int", "float", "int64_t", "uint64_t", "double"};

/* ------------------------------------------------------------ templates */
/* Operand mini-language (as codegen/c.c): %0 %1 %2 the operands, already
 * converted to the operand type; %T that type's GLSL name; %B the bit width
 * of the IR dtype. "@name" calls the helper mlg_name(operands), which GLSL
 * overloads per type. Columns by operand class; NULL: not defined. */
typedef struct {
  const char *fl, *si, *ui, *bo;
} Tmpl;

static const Tmpl tmpl[OP_COUNT] = {
    /* op          float              signed int          unsigned int        bool */
    [OP_NEG] = {"(-%0)", "(-%0)", "(-%0)", NULL},
    [OP_ABS] = {"abs(%0)", "abs(%0)", "%0", NULL},
    [OP_SQRT] = {"sqrt(%0)", NULL, NULL, NULL},
    [OP_EXP] = {"exp(%0)", NULL, NULL, NULL},
    [OP_LOG] = {"log(%0)", NULL, NULL, NULL},
    [OP_ERF] = {"@erf", NULL, NULL, NULL},
    [OP_TANH] = {"tanh(%0)", NULL, NULL, NULL},
    [OP_SIN] = {"sin(%0)", NULL, NULL, NULL},
    [OP_COS] = {"cos(%0)", NULL, NULL, NULL},
    [OP_TAN] = {"tan(%0)", NULL, NULL, NULL},
    [OP_ASIN] = {"@asin", NULL, NULL, NULL},
    [OP_ACOS] = {"@acos", NULL, NULL, NULL},
    [OP_ATAN] = {"@atan", NULL, NULL, NULL},
    [OP_SINH] = {"@sinh", NULL, NULL, NULL},
    [OP_COSH] = {"@cosh", NULL, NULL, NULL},
    [OP_ASINH] = {"@asinh", NULL, NULL, NULL},
    [OP_ACOSH] = {"@acosh", NULL, NULL, NULL},
    [OP_ATANH] = {"atanh(%0)", NULL, NULL, NULL},
    [OP_RECIP] = {"@recip", NULL, NULL, NULL},
    [OP_FLOOR] = {"floor(%0)", "%0", "%0", NULL},
    [OP_CEIL] = {"ceil(%0)", "%0", "%0", NULL},
    [OP_ROUND] = {"roundEven(%0)", "%0", "%0", NULL},
    [OP_SIGN] = {"@sign", "sign(%0)", "%T(%0 != %T(0))", NULL},
    [OP_NOT] = {NULL, NULL, NULL, "(!%0)"},
    [OP_BITNOT] = {NULL, "(~%0)", "(~%0)", NULL},
    [OP_ISNAN] = {"@isnan", "false", "false", NULL},
    [OP_ISINF] = {"@isinf", "false", "false", NULL},
    [OP_ADD] = {"(%0 + %1)", "(%0 + %1)", "(%0 + %1)", NULL},
    [OP_SUB] = {"(%0 - %1)", "(%0 - %1)", "(%0 - %1)", NULL},
    [OP_MUL] = {"(%0 * %1)", "(%0 * %1)", "(%0 * %1)", NULL},
    [OP_DIV] = {"@div", "@div", "@div", NULL},
    [OP_POW] = {"@pow", "@pow", "@pow", NULL},
    [OP_MAX] = {"@max", "max(%0, %1)", "max(%0, %1)", "(%0 || %1)"},
    [OP_MIN] = {"@min", "min(%0, %1)", "min(%0, %1)", "(%0 && %1)"},
    [OP_MOD] = {"@mod", "@mod", "@fmod", NULL},
    [OP_FMOD] = {"@fmod", "@fmod", "@fmod", NULL},
    [OP_CMPLT] = {"(%0 < %1)", "(%0 < %1)", "(%0 < %1)", "(!%0 && %1)"},
    [OP_CMPLE] = {"(%0 <= %1)", "(%0 <= %1)", "(%0 <= %1)", "(!%0 || %1)"},
    [OP_CMPEQ] = {"(%0 == %1)", "(%0 == %1)", "(%0 == %1)", "(%0 == %1)"},
    [OP_AND] = {NULL, NULL, NULL, "(%0 && %1)"},
    [OP_OR] = {NULL, NULL, NULL, "(%0 || %1)"},
    [OP_XOR] = {NULL, NULL, NULL, "(%0 ^^ %1)"},
    [OP_BITAND] = {NULL, "(%0 & %1)", "(%0 & %1)", NULL},
    [OP_BITOR] = {NULL, "(%0 | %1)", "(%0 | %1)", NULL},
    [OP_BITXOR] = {NULL, "(%0 ^ %1)", "(%0 ^ %1)", NULL},
    [OP_SHL] = {NULL, "@shl", "@shl", NULL},
    [OP_SHR] = {NULL, "@shr", "@shr", NULL},
    [OP_WHERE] = {"(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)"},
};

/* GLSL.std.450 defines these only for 16/32-bit floats: no f64 version */
static bool f32_only(Op op) {
  return (op >= OP_EXP && op <= OP_ATANH) || op == OP_POW;
}

static bool bool_result(Op op) {
  return op == OP_CMPLT || op == OP_CMPLE || op == OP_CMPEQ || op == OP_AND || op == OP_OR || op == OP_XOR ||
         op == OP_NOT || op == OP_ISNAN || op == OP_ISINF;
}

/* ------------------------------------------------------------- renderer */
typedef struct {
  const Value *v;
  const char *name; /* macro, "t_x" */
} Use;

typedef struct {
  Program *p;
  Arena *a;
  Diags *d;
  const GpuFeatures *f;
  GlslProgram *g;
  /* per kernel */
  const Kernel *k;
  RT acc_rt;
  bool help[GLSL_MAX_HELPERS][RT_COUNT];
  bool view[NBIND][VW_COUNT];
  bool sub8[NBIND], sub16[NBIND];
  bool i64, f64;
  Use uses[256];
  int nuses;
  Map names;
  RT *let_rt; /* how each of the kernel's temporaries is held */
  bool err;
} G;

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

static void use_rt(G *g, RT rt) {
  if (rt == RT_I64 || rt == RT_U64) g->i64 = true;
  if (rt == RT_DOUBLE) g->f64 = true;
}

static void unsupported(G *g, const char *what) {
  if (g->err) return;
  diag_error(g->d, (Loc){.file = g->p->file}, "unsupported on vulkan: %s at kernel %s (%s)", what, g->k->name,
             g->k->origin);
  g->err = true;
}

static void mark_helper(G *g, const char *name, RT rt) {
  char c = cls_of(rt);
  for (int h = 0; h < glsl_nhelpers && h < GLSL_MAX_HELPERS; h++) {
    const GlslHelper *hp = &glsl_helpers[h];
    bool ok = hp->cls == 'x' || hp->cls == c || (hp->cls == 'F' && rt == RT_FLOAT) ||
              (hp->cls == 'D' && rt == RT_DOUBLE);
    if (strcmp(hp->name, name) || !ok) continue;
    if (hp->cls == 'x') rt = RT_FLOAT;
    if (g->help[h][rt]) return;
    g->help[h][rt] = true;
    char dep[32];
    for (const char *s = hp->deps; *s;) {
      size_t n = strcspn(s, ",");
      snprintf(dep, sizeof dep, "%.*s", (int)n, s);
      mark_helper(g, dep, rt);
      s += n + (s[n] == ',');
    }
    return;
  }
  char what[64];
  snprintf(what, sizeof what, "%s on %s", name, rt_name[rt]);
  unsupported(g, what);
}

static void expand(Buf *b, const char *t, RT rt, int bits, const char **args) {
  for (const char *s = t; *s; s++) {
    if (*s != '%') {
      buf_printf(b, "%c", *s);
      continue;
    }
    char c = *++s;
    if (c >= '0' && c <= '2') buf_puts(b, args[c - '0']);
    else if (c == 'T') buf_puts(b, rt_name[rt]);
    else if (c == 'U') buf_puts(b, rt_unsigned[rt]);
    else if (c == 'B') buf_printf(b, "%d", bits);
    else if (c == '%') buf_puts(b, "%");
    else if (c == 0) break;
  }
}

static char *str(G *g, Buf *b) {
  char *s = arena_strdup(g->a, b->s ? b->s : "");
  buf_free(b);
  return s;
}

/* value conversion that keeps the value (or truncates integers, as C does) */
static char *conv(G *g, char *s, RT from, RT to) {
  if (from == to) return s;
  use_rt(g, to);
  if (to == RT_BOOL) {
    static const char *const zero[RT_COUNT] = {"false", "0", "0u", "0.0", "0.0lf", "0l", "0ul"};
    return arena_printf(g->a, "(%s != %s)", s, zero[from]);
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

/* ---------------------------------------------- i64 that fits in 32 bits */
static int64_t sadd(int64_t x, int64_t y) {
  if (y > 0 && x > INT64_MAX - y) return INT64_MAX;
  if (y < 0 && x < INT64_MIN - y) return INT64_MIN;
  return x + y;
}

static int64_t smul(int64_t x, int64_t y) {
  if (!x || !y) return 0;
  double p = (double)x * (double)y;
  if (p >= 9.2e18) return INT64_MAX;
  if (p <= -9.2e18) return INT64_MIN;
  return x * y;
}

static void dt_range(DType dt, int64_t *lo, int64_t *hi) {
  int bits = dtype_info[dt].size * 8;
  if (dt == DT_BOOL) *lo = 0, *hi = 1;
  else if (dt == DT_I64 || dt == DT_U64 || is_f(dt)) *lo = INT64_MIN, *hi = INT64_MAX;
  else if (dtype_info[dt].is_signed) *lo = -((int64_t)1 << (bits - 1)), *hi = ((int64_t)1 << (bits - 1)) - 1;
  else *lo = 0, *hi = ((int64_t)1 << bits) - 1;
}

static bool narrow(G *g, const Expr *e);

/* a sound value range of an integer expression: the IR's own (which
 * manual narrowing in lowering may have tightened) met with one computed
 * from the operands (which survives rebuilding by substitution) */
static void range(G *g, const Expr *e, int64_t *lo, int64_t *hi) {
  int64_t l = INT64_MIN, h = INT64_MAX, a0, a1, b0, b1;
  if (e->kind == E_ACC) {
    if (g->acc_rt == RT_INT) l = INT32_MIN, h = INT32_MAX;
    *lo = l, *hi = h;
    return;
  }
  if (e->kind == E_LOAD) dt_range(e->buf->dt, &l, &h);
  if (e->kind == E_ALU) {
    const Expr *x = e->a[0], *y = e->a[1];
    switch (e->op) {
    case OP_CAST:
      if (x->dt == DT_I64) range(g, x, &l, &h);
      else dt_range(x->dt, &l, &h);
      break;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_MAX: case OP_MIN:
      range(g, x, &a0, &a1);
      range(g, y, &b0, &b1);
      if (e->op == OP_ADD) l = sadd(a0, b0), h = sadd(a1, b1);
      if (e->op == OP_SUB)
        l = sadd(a0, b1 == INT64_MIN ? INT64_MAX : -b1), h = sadd(a1, b0 == INT64_MIN ? INT64_MAX : -b0);
      if (e->op == OP_MAX) l = a0 > b0 ? a0 : b0, h = a1 > b1 ? a1 : b1;
      if (e->op == OP_MIN) l = a0 < b0 ? a0 : b0, h = a1 < b1 ? a1 : b1;
      if (e->op == OP_MUL) {
        int64_t c[4] = {smul(a0, b0), smul(a0, b1), smul(a1, b0), smul(a1, b1)};
        l = h = c[0];
        for (int i = 1; i < 4; i++) l = c[i] < l ? c[i] : l, h = c[i] > h ? c[i] : h;
      }
      break;
    case OP_WHERE:
      range(g, e->a[1], &a0, &a1);
      range(g, e->a[2], &b0, &b1);
      l = a0 < b0 ? a0 : b0, h = a1 > b1 ? a1 : b1;
      break;
    default: break;
    }
  }
  if (e->kind != E_LOAD || e->dt == DT_I64) { /* the IR range (loads: full) */
    l = e->lo > l ? e->lo : l;
    h = e->hi < h ? e->hi : h;
  }
  *lo = l, *hi = h;
}

/* an i64 expression computed exactly as int: its value and every i64
 * operand's fit 32 bits */
static bool narrow(G *g, const Expr *e) {
  int64_t lo, hi;
  range(g, e, &lo, &hi);
  if (lo < INT32_MIN || hi > INT32_MAX) return false;
  switch (e->kind) {
  case E_CONST: case E_VAR: return true;
  case E_ACC: return g->acc_rt == RT_INT;
  case E_TMP: return g->let_rt[e->i] == RT_INT;
  case E_LOAD: return false;
  case E_ALU: break;
  }
  if (e->op == OP_CAST) return !is_f(e->a[0]->dt) && (e->a[0]->dt != DT_I64 || narrow(g, e->a[0]));
  for (int i = 0; i < 3; i++)
    if (e->a[i] && e->a[i]->dt == DT_I64 && !narrow(g, e->a[i])) return false;
  return true;
}

static RT rt_of(G *g, const Expr *e) {
  if (e->kind == E_ACC) return g->acc_rt;
  if (e->dt == DT_I64) return narrow(g, e) ? RT_INT : RT_I64;
  return dt_rt(e->dt);
}

/* ------------------------------------------------------------- buffers */
static const char *ident(G *g, const char *base) {
  Buf b = {0};
  buf_puts(&b, "t_");
  for (const char *s = c_ident(g->a, base); *s; s++)
    if (*s != '_' || b.s[b.len - 1] != '_') buf_printf(&b, "%c", *s);
  while (b.len > 2 && b.s[b.len - 1] == '_') b.s[--b.len] = 0;
  char *id = str(g, &b);
  return map_unique(g->a, &g->names, id);
}

static View view_of(DType dt) {
  switch (dt) {
  case DT_F32: return VW_F32;
  case DT_I32: return VW_I32;
  case DT_I64: return VW_I64;
  case DT_U64: return VW_U64;
  case DT_F64: return VW_F64;
  default: return VW_U32;
  }
}

/* the macro naming tensor v in this shader */
static const char *use(G *g, const Value *v) {
  for (int i = 0; i < g->nuses; i++)
    if (g->uses[i].v == v) return g->uses[i].name;
  if (g->nuses == 256) {
    unsupported(g, "more than 256 tensors in one kernel");
    return "t_";
  }
  int bind;
  int64_t off;
  vk_locate(g->g, v, &bind, &off);
  int size = dtype_info[v->dt].size;
  if (size < 4) (size == 1 ? g->sub8 : g->sub16)[bind] = true;
  g->view[bind][view_of(v->dt)] = true;
  if (v->dt == DT_I64 || v->dt == DT_U64) g->i64 = true;
  if (v->dt == DT_F64) g->f64 = true;
  g->uses[g->nuses] = (Use){v, ident(g, v->name ? v->name : "tensor")};
  return g->uses[g->nuses++].name;
}

/* ----------------------------------------------------------- expressions */
static char *rx(G *g, const Expr *e, RT *rt);

/* e rendered in type `want` */
static char *rx_as(G *g, const Expr *e, RT want) {
  if (e->kind == E_CONST && !is_f(e->dt) && want != RT_FLOAT && want != RT_DOUBLE) return lit_int(g, e->i, want);
  if (e->kind == E_CONST && is_f(e->dt) && (want == RT_FLOAT || want == RT_DOUBLE)) return lit_float(g, e->f, want);
  RT r;
  char *s = rx(g, e, &r);
  return conv(g, s, r, want);
}

/* a flat element index, as int */
static char *index_of(G *g, Expr *flat) { return rx_as(g, flat, RT_INT); }

static char *render_load(G *g, const Expr *e, RT *rt) {
  const char *n = use(g, e->buf);
  char *i = index_of(g, ex_flat(g->a, e->buf, e->idx));
  *rt = dt_rt(e->buf->dt);
  switch (e->buf->dt) {
  case DT_BOOL: return arena_printf(g->a, "(%s(%s) != 0u)", n, i);
  case DT_I8: case DT_I16:
    return arena_printf(g->a, "bitfieldExtract(int(%s(%s)), 0, %d)", n, i, dtype_info[e->buf->dt].size * 8);
  case DT_F16: mark_helper(g, "h2f", RT_FLOAT); return arena_printf(g->a, "mlg_h2f(%s(%s))", n, i);
  case DT_BF16: mark_helper(g, "bf2f", RT_FLOAT); return arena_printf(g->a, "mlg_bf2f(%s(%s))", n, i);
  default: use_rt(g, *rt); return arena_printf(g->a, "%s(%s)", n, i);
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

static char *render_cast(G *g, const Expr *e, RT *rt) {
  DType to = e->dt, from = e->a[0]->dt;
  RT xr;
  char *x = rx(g, e->a[0], &xr);
  *rt = rt_of(g, e);
  if (to == DT_BOOL) return conv(g, x, xr, RT_BOOL);
  if (is_f(to)) {
    char *f = conv(g, x, xr, *rt);
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
    if (*rt == RT_I64 || *rt == RT_U64) {
      const char *h = *rt == RT_I64 ? "f2l" : "f2ul";
      mark_helper(g, h, xr);
      use_rt(g, *rt);
      return arena_printf(g->a, "mlg_%s(%s)", h, x);
    }
    mark_helper(g, "f2i", xr);
    i = arena_printf(g->a, "mlg_f2i(%s)", x);
    if (*rt == RT_UINT) i = conv(g, i, RT_INT, RT_UINT);
  } else {
    i = conv(g, x, xr, *rt);
  }
  return wrap(g, i, to);
}

static char *render_alu(G *g, const Expr *e, RT *rt) {
  Op op = e->op;
  int n = op_arity[op];
  RT art[3] = {RT_BOOL, RT_BOOL, RT_BOOL};
  char *arg[3] = {"", "", ""};
  for (int i = 0; i < n; i++) art[i] = rt_of(g, e->a[i]);
  /* the operand type: logic ops work on bool, WHERE's condition is bool,
   * mixed int/int64 operands meet in int64 */
  RT ot;
  int first = op == OP_WHERE ? 1 : 0;
  if (op == OP_AND || op == OP_OR || op == OP_XOR || op == OP_NOT) {
    ot = RT_BOOL;
  } else {
    ot = art[first];
    for (int i = first + 1; i < n; i++)
      if (art[i] != ot)
        ot = (art[i] == RT_I64 || ot == RT_I64) ? RT_I64 : (art[i] == RT_U64 || ot == RT_U64) ? RT_U64 : ot;
    if (e->dt == DT_I64 && !bool_result(op)) ot = rt_of(g, e);
  }
  for (int i = 0; i < n; i++) arg[i] = rx_as(g, e->a[i], (op == OP_WHERE && i == 0) ? RT_BOOL : ot);
  use_rt(g, ot);
  /* index arithmetic: division and modulo of a non-negative value by a
   * positive constant need no helper */
  int64_t lo, hi;
  if (e->dt == DT_I64 && (op == OP_DIV || op == OP_MOD) && e->a[1]->kind == E_CONST && e->a[1]->i > 0 &&
      (range(g, e->a[0], &lo, &hi), lo >= 0)) {
    *rt = ot;
    return arena_printf(g->a, "(%s %s %s)", arg[0], op == OP_DIV ? "/" : "%", arg[1]);
  }
  char c = cls_of(ot);
  const Tmpl *t = &tmpl[op];
  const char *s = c == 'f' ? t->fl : c == 's' ? t->si : c == 'u' ? t->ui : t->bo;
  if (!s || (ot == RT_DOUBLE && f32_only(op))) {
    char what[64];
    snprintf(what, sizeof what, "%s on %s", op_name[op], dtype_info[e->a[first]->dt].name);
    unsupported(g, what);
    *rt = RT_INT;
    return "0";
  }
  Buf b = {0};
  int bits = dtype_info[e->dt].size * 8;
  if (s[0] == '@') {
    mark_helper(g, s + 1, ot);
    buf_printf(&b, "mlg_%s(%s", s + 1, arg[0]);
    for (int i = 1; i < n; i++) buf_printf(&b, ", %s", arg[i]);
    if (op == OP_SHL || op == OP_SHR) buf_printf(&b, ", %d", bits);
    buf_puts(&b, ")");
  } else {
    expand(&b, s, ot, bits, (const char **)arg);
  }
  char *r = str(g, &b);
  RT res = bool_result(op) ? RT_BOOL : ot;
  *rt = rt_of(g, e);
  r = conv(g, r, res, *rt);
  bool arith = !bool_result(op) && op != OP_WHERE && op != OP_MAX && op != OP_MIN;
  return arith ? wrap(g, r, e->dt) : r;
}

static char *rx(G *g, const Expr *e, RT *rt) {
  switch (e->kind) {
  case E_CONST:
    *rt = rt_of(g, e);
    return is_f(e->dt) ? lit_float(g, e->f, *rt) : lit_int(g, e->i, *rt);
  case E_VAR:
    *rt = RT_INT;
    if (e->i < g->k->nout) return arena_printf(g->a, "i%lld", (long long)e->i);
    return arena_printf(g->a, "r%lld", (long long)(e->i - g->k->nout));
  case E_ACC: *rt = g->acc_rt; return "acc";
  case E_TMP: *rt = g->let_rt[e->i]; return arena_printf(g->a, "v%lld", (long long)e->i);
  case E_LOAD: return render_load(g, e, rt);
  case E_ALU: break;
  }
  if (e->op == OP_CAST) return render_cast(g, e, rt);
  return render_alu(g, e, rt);
}

/* --------------------------------------------------------------- kernels */
static void indent(Buf *b, int n) {
  for (int i = 0; i < n; i++) buf_puts(b, "  ");
}

/* the word a stored 8/16-bit value contributes to */
static char *store_bits(G *g, char *v, RT vr, DType dt) {
  switch (dt) {
  case DT_F16: mark_helper(g, "f2h", RT_FLOAT); return arena_printf(g->a, "mlg_f2h(%s)", conv(g, v, vr, RT_FLOAT));
  case DT_BF16: mark_helper(g, "f2bf", RT_FLOAT); return arena_printf(g->a, "mlg_f2bf(%s)", conv(g, v, vr, RT_FLOAT));
  default:
    return arena_printf(g->a, "(%s & %s)", conv(g, v, vr, RT_UINT), dtype_info[dt].size == 1 ? "0xffu" : "0xffffu");
  }
}

static void store(G *g, Buf *b, int dep, char *v, RT vr) {
  const Value *o = g->k->out;
  const char *n = use(g, o);
  indent(b, dep);
  if (dtype_info[o->dt].size >= 4) {
    buf_printf(b, "%s(gid) = %s;\n", n, conv(g, v, vr, dt_rt(o->dt)));
  } else {
    int bits = dtype_info[o->dt].size * 8;
    buf_printf(b, "word |= %s << uint(%d * e);\n", store_bits(g, v, vr, o->dt), bits);
  }
}

static int open_red(G *g, Buf *b, int dep) {
  for (int d = 0; d < g->k->nred; d++) {
    int64_t n = g->k->rshape[d];
    if (n == 1) continue; /* extent 1: no loop; extent 0: one that runs no times */
    indent(b, dep++);
    buf_printf(b, "for (int r%d = 0; r%d < %lld; r%d++) {\n", d, d, (long long)n, d);
  }
  return dep;
}

static int close_red(G *g, Buf *b, int dep) {
  for (int d = 0; d < g->k->nred; d++) {
    if (g->k->rshape[d] == 1) continue;
    indent(b, --dep);
    buf_puts(b, "}\n");
  }
  return dep;
}

static char *acc_init(G *g, DType acc, Op rop) {
  RT rt = g->acc_rt;
  int64_t lo, hi;
  dt_range(acc, &lo, &hi);
  if (acc == DT_U64) lo = 0, hi = -1; /* hi: all ones */
  switch (rop) {
  case OP_RSUM: return is_f(acc) ? lit_float(g, 0, rt) : lit_int(g, 0, rt);
  case OP_RPROD: return is_f(acc) ? lit_float(g, 1, rt) : lit_int(g, 1, rt);
  case OP_RMAX: return is_f(acc) ? lit_float(g, -INFINITY, rt) : lit_int(g, lo, rt);
  case OP_RMIN: return is_f(acc) ? lit_float(g, INFINITY, rt) : lit_int(g, hi, rt);
  default: return lit_int(g, 0, rt);
  }
}

/* the accumulator only ever reaches the output truncated to <= 32 bits */
static bool acc_truncated(const Expr *e, const Expr *parent) {
  if (!e) return true;
  if (e->kind == E_ACC) {
    DType t = parent && parent->op == OP_CAST ? parent->dt : DT_UNDEF;
    return t != DT_UNDEF && !is_f(t) && t != DT_I64 && t != DT_U64;
  }
  if (e->kind != E_ALU) return true;
  for (int i = 0; i < 3; i++)
    if (!acc_truncated(e->a[i], e)) return false;
  return true;
}

/* the body's temporaries, in order, where the body is evaluated; each is
 * held in the type its definition renders to */
static void render_lets(G *g, Buf *b, int dep) {
  const Kernel *k = g->k;
  for (int j = 0; j < k->nlets; j++) {
    RT r;
    char *v = rx(g, k->lets[j]->def, &r);
    g->let_rt[j] = r;
    indent(b, dep);
    buf_printf(b, "%s v%d = %s;\n", rt_name[r], j, v);
  }
}

static void render_body(G *g, Buf *b, int dep) {
  const Kernel *k = g->k;
  if (!k->nred) {
    RT vr;
    render_lets(g, b, dep);
    char *v = rx(g, k->body, &vr);
    store(g, b, dep, v, vr);
    return;
  }
  bool arg = k->rop == OP_ARGMAX || k->rop == OP_ARGMIN;
  RT br = g->acc_rt;
  indent(b, dep);
  if (arg) {
    br = g->acc_rt == RT_BOOL ? RT_INT : g->acc_rt;
    buf_printf(b, "%s best = %s(0);\n", rt_name[br], rt_name[br]);
    indent(b, dep);
    buf_puts(b, "int acc = 0;\n");
  } else {
    buf_printf(b, "%s acc = %s;\n", rt_name[g->acc_rt], acc_init(g, k->accdt, k->rop));
  }
  dep = open_red(g, b, dep);
  render_lets(g, b, dep);
  char *v = rx_as(g, k->body, br);
  indent(b, dep);
  if (arg) {
    buf_printf(b, "%s v = %s;\n", rt_name[br], v);
    char *ri = rx_as(g, ex_var(g->a, k->nout, k->rshape[0]), RT_INT);
    const char *cmp = k->rop == OP_ARGMAX ? (k->select_last ? ">=" : ">") : (k->select_last ? "<=" : "<");
    indent(b, dep);
    if (cls_of(br) == 'f') {
      mark_helper(g, "isnan", br);
      buf_printf(b, "if (%s == 0 || v %s best || %s) {\n", ri, cmp,
                 k->select_last ? "mlg_isnan(v)" : "(mlg_isnan(v) && !mlg_isnan(best))");
    } else {
      buf_printf(b, "if (%s == 0 || v %s best) {\n", ri, cmp);
    }
    indent(b, dep + 1);
    buf_printf(b, "best = v;\n");
    indent(b, dep + 1);
    buf_printf(b, "acc = %s;\n", ri);
    indent(b, dep);
    buf_puts(b, "}\n");
  } else if (k->rop == OP_RSUM || k->rop == OP_RPROD) {
    buf_printf(b, "acc %s= %s;\n", k->rop == OP_RSUM ? "+" : "*", v);
  } else {
    const char *t = cls_of(br) == 'f' ? tmpl[k->rop == OP_RMAX ? OP_MAX : OP_MIN].fl
                    : cls_of(br) == 'b' ? tmpl[k->rop == OP_RMAX ? OP_MAX : OP_MIN].bo
                                        : tmpl[k->rop == OP_RMAX ? OP_MAX : OP_MIN].si;
    Buf x = {0};
    const char *args[3] = {"acc", v, ""};
    if (t[0] == '@') {
      mark_helper(g, t + 1, br);
      buf_printf(&x, "mlg_%s(acc, %s)", t + 1, v);
    } else {
      expand(&x, t, br, 0, args);
    }
    buf_printf(b, "acc = %s;\n", x.s);
    buf_free(&x);
  }
  dep = close_red(g, b, dep);
  if (k->post && !arg) {
    RT pr;
    char *pv = rx(g, k->post, &pr);
    store(g, b, dep, pv, pr);
  } else {
    store(g, b, dep, "acc", arg ? RT_INT : g->acc_rt);
  }
}

static const char *dstr(DType dt) { return dtype_info[dt].name; }

/* model text for a comment: printable ASCII, no comment terminator */
static const char *safe(G *g, const char *s) {
  char *r = arena_strdup(g->a, s ? s : "");
  for (char *c = r; c && *c; c++) {
    if (*c < 32 || *c > 126) *c = '?';
    if (c > r && c[-1] == '*' && *c == '/') *c = '|';
  }
  return r;
}

static char *render_kernel(G *g, const Kernel *k, GlslKernel *gk) {
  g->k = k;
  memset(g->help, 0, sizeof g->help);
  memset(g->view, 0, sizeof g->view);
  memset(g->sub8, 0, sizeof g->sub8);
  memset(g->sub16, 0, sizeof g->sub16);
  g->i64 = g->f64 = false;
  g->nuses = 0;
  memset(&g->names, 0, sizeof g->names);
  g->let_rt = arena_alloc(g->a, sizeof(RT) * (size_t)(k->nlets ? k->nlets : 1));
  if (!g->let_rt) {
    g->err = true;
    return NULL;
  }
  g->acc_rt = dt_rt(k->accdt);
  if (k->nred && (k->accdt == DT_I64 || k->accdt == DT_U64) && (k->rop == OP_RSUM || k->rop == OP_RPROD) &&
      (k->post ? acc_truncated(k->post, NULL) : (dtype_info[k->out->dt].size <= 4 && !is_f(k->out->dt))))
    g->acc_rt = k->accdt == DT_I64 ? RT_INT : RT_UINT;
  int64_t n = shape_numel(k->nout, k->oshape);
  int size = dtype_info[k->out->dt].size, pack = size >= 4 ? 1 : 4 / size;
  gk->k = k;
  gk->wg = k->sched.wg > 0 ? k->sched.wg : 64;
  gk->items = (n + pack - 1) / pack;

  Buf body = {0};
  int dep = 2;
  if (pack > 1) {
    buf_printf(&body, "    uint word = 0u;\n    for (int e = 0; e < %d; e++) {\n", pack);
    buf_printf(&body, "      int gid = int(g) * %d + e;\n      if (gid >= %lld) break;\n", pack, (long long)n);
    dep = 3;
  } else {
    buf_puts(&body, "    int gid = int(g);\n");
  }
  int outer = 0;
  while (outer < k->nout && k->oshape[outer] <= 1) outer++;
  int64_t stride = 1;
  for (int d = k->nout - 1; d >= 0; d--) {
    if (k->oshape[d] > 1) {
      indent(&body, dep);
      buf_printf(&body, "int i%d = gid", d);
      if (stride > 1) buf_printf(&body, " / %lld", (long long)stride);
      if (d > outer) buf_printf(&body, " %% %lld", (long long)k->oshape[d]);
      buf_puts(&body, ";\n");
    }
    stride *= k->oshape[d];
  }
  render_body(g, &body, dep);
  if (pack > 1) buf_printf(&body, "    }\n    %s_word(int(g)) = word;\n", use(g, k->out));
  if (g->i64 && !g->f->int64) unsupported(g, "i64 (needs shaderInt64: build with --vk-features int64)");
  if (g->f64 && !g->f->float64) unsupported(g, "f64 (needs shaderFloat64: build with --vk-features float64)");
  g->g->int64 |= g->i64;
  g->g->float64 |= g->f64;

  /* assemble: header, buffers, helpers, tensor macros, main */
  Buf s = {0};
  const Value *o = k->out;
  buf_puts(&s, "#version 450\n");
  if (g->i64) buf_puts(&s, "#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n");
  buf_printf(&s, "/* %s: %s -> %s %s", k->name, safe(g, k->origin), dstr(o->dt), shape_str(g->a, o->rank, o->shape));
  if (k->nred) buf_printf(&s, ", %s over %s", op_name[k->rop], shape_str(g->a, k->nred, k->rshape));
  buf_printf(&s, ".\n * Generated by mlgen %s. One invocation per output %s. */\n", MLG_VERSION,
             pack > 1 ? arena_printf(g->a, "word (%d elements)", pack) : "element");
  buf_printf(&s, "layout(local_size_x = %d) in;\n\n", gk->wg);
  for (int bnd = 0; bnd < NBIND; bnd++) {
    if (g->sub8[bnd] || g->sub16[bnd]) g->view[bnd][VW_U32] = true;
    for (int v = 0; v < VW_COUNT; v++)
      if (g->view[bnd][v])
        buf_printf(&s, "layout(std430, set = 0, binding = %d) %sbuffer %s_%s { %s %s_%s[]; };\n", bnd,
                   bnd == B_WEIGHTS ? "readonly " : "", bind_block[bnd], vw_sfx[v], vw_type[v], bind_var[bnd],
                   vw_sfx[v]);
  }
  buf_puts(&s, "\n");
  for (int bnd = 0; bnd < NBIND; bnd++) {
    const char *B = bind_var[bnd];
    if (g->sub8[bnd])
      buf_printf(&s, "uint ld8_%s(int i) { return (%s_u32[i >> 2] >> (uint(i & 3) * 8u)) & 0xffu; }\n", B, B);
    if (g->sub16[bnd])
      buf_printf(&s, "uint ld16_%s(int i) { return (%s_u32[i >> 1] >> (uint(i & 1) * 16u)) & 0xffffu; }\n", B, B);
  }
  for (int h = 0; h < glsl_nhelpers && h < GLSL_MAX_HELPERS; h++)
    for (int rt = 0; rt < RT_COUNT; rt++)
      if (g->help[h][rt]) {
        const char *none[3] = {"", "", ""};
        expand(&s, glsl_helpers[h].src, (RT)rt, 0, none);
        buf_puts(&s, "\n");
      }
  buf_puts(&s, "\n");
  for (int i = 0; i < g->nuses; i++) {
    const Value *v = g->uses[i].v;
    int bind;
    int64_t off;
    vk_locate(g->g, v, &bind, &off);
    int sz = dtype_info[v->dt].size;
    const char *B = bind_var[bind];
    const char *what = v->kind == VK_CONST   ? "weights"
                       : v->kind == VK_INPUT ? "input"
                       : v->out_index >= 0   ? "output"
                                             : "arena";
    if (sz >= 4)
      buf_printf(&s, "#define %s(i) %s_%s[%lld + (i)]", g->uses[i].name, B, vw_sfx[view_of(v->dt)],
                 (long long)(off / sz));
    else
      buf_printf(&s, "#define %s(i) ld%d_%s(%lld + (i))", g->uses[i].name, sz * 8, B, (long long)(off / sz));
    buf_printf(&s, " /* %s: %s %s, %s@%lld */\n", safe(g, v->name), dstr(v->dt),
               shape_str(g->a, v->rank, v->shape), what, (long long)off);
    if (v == o && sz < 4)
      buf_printf(&s, "#define %s_word(w) %s_u32[%lld + (w)] /* its 32-bit words */\n", g->uses[i].name, B,
                 (long long)(off / 4));
  }
  buf_puts(&s, "\nvoid main() {\n");
  buf_printf(&s, "  uint stride = gl_NumWorkGroups.x * gl_NumWorkGroups.y * %du;\n", gk->wg);
  buf_printf(&s, "  for (uint g = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * %du + gl_GlobalInvocationID.x;"
                 " g < %lldu; g += stride) {\n", gk->wg, (long long)gk->items);
  buf_puts(&s, body.s ? body.s : "");
  buf_puts(&s, "  }\n}\n");
  buf_free(&body);
  char *r = str(g, &s);
  return r;
}

/* --------------------------------------------------------------- program */
int cg_glsl(Program *p, const GpuFeatures *f, GlslProgram *gp, Diags *d) {
  G g = {.p = p, .a = p->a, .d = d, .f = f, .g = gp};
  if (vk_layout(p, gp, d)) return -1;
  int rc = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    GlslKernel *gk = &gp->ks[gp->nk++];
    g.err = false;
    gk->glsl = render_kernel(&g, p->kernels.v[i], gk);
    if (g.err || !gk->glsl) rc = -1;
  }
  return rc || vk_barriers(p, gp) ? -1 : 0;
}
