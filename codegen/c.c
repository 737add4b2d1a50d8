/* c.c: the C99 renderer.
 *
 * Writes <name>.h (the API: sizes and shapes as macros, descriptor tables,
 * <name>_run and <name>_run_generic) and <name>.c (weights as static const
 * arrays, one static function per kernel, the run function binding arena
 * offsets). Generated code uses no malloc and no stdio, only <math.h>, and
 * is deterministic byte for byte.
 *
 * Expressions render as nested C expressions. ALU ops come from the
 * template table below; integer arithmetic goes through unsigned types so
 * wrap-around is defined, and anything that would evaluate an operand twice
 * or could trap (division, shifts, float->int casts, NaN-propagating
 * max/min) calls a small static inline helper that is emitted only when
 * used.
 */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

Buf *out_file(Output *o, const char *name) {
  if (o->n == MAX_FILES) return NULL;
  o->f[o->n].name = name;
  memset(&o->f[o->n].text, 0, sizeof(Buf));
  return &o->f[o->n++].text;
}

void out_free(Output *o) {
  for (int i = 0; i < o->n; i++) buf_free(&o->f[i].text);
  o->n = 0;
}

/* ------------------------------------------------------------ templates */
/* Operand mini-language: %0 %1 %2 operands, %T the C compute type, %W the
 * unsigned type arithmetic wraps in (at least 32 bits), %S the helper
 * suffix of the dtype (f32 f64 i8 ... u64), %f "f" for float math
 * functions and "" for double. A template starting with '@' names a
 * helper: "@max" renders mlg_max_<S>(%0, %1). NULL: not defined. */

static const OpTmpl tmpl[OP_COUNT] = {
    /* op          float               signed int                          unsigned int */
    [OP_NEG] = {{"(-%0)", "((%T)(0u - (%W)%0))", "((%T)(0u - (%W)%0))"}},
    [OP_ABS] = {{"fabs%f(%0)", "@abs", "%0"}},
    [OP_SQRT] = {{"sqrt%f(%0)", NULL, NULL}},
    [OP_EXP] = {{"exp%f(%0)", NULL, NULL}},
    [OP_LOG] = {{"log%f(%0)", NULL, NULL}},
    [OP_ERF] = {{"erf%f(%0)", NULL, NULL}},
    [OP_TANH] = {{"tanh%f(%0)", NULL, NULL}},
    [OP_SIN] = {{"sin%f(%0)", NULL, NULL}},
    [OP_COS] = {{"cos%f(%0)", NULL, NULL}},
    [OP_TAN] = {{"tan%f(%0)", NULL, NULL}},
    [OP_ASIN] = {{"asin%f(%0)", NULL, NULL}},
    [OP_ACOS] = {{"acos%f(%0)", NULL, NULL}},
    [OP_ATAN] = {{"atan%f(%0)", NULL, NULL}},
    [OP_SINH] = {{"sinh%f(%0)", NULL, NULL}},
    [OP_COSH] = {{"cosh%f(%0)", NULL, NULL}},
    [OP_ASINH] = {{"asinh%f(%0)", NULL, NULL}},
    [OP_ACOSH] = {{"acosh%f(%0)", NULL, NULL}},
    [OP_ATANH] = {{"atanh%f(%0)", NULL, NULL}},
    [OP_RECIP] = {{"((%T)1 / %0)", NULL, NULL}},
    [OP_FLOOR] = {{"floor%f(%0)", "%0", "%0"}},
    [OP_CEIL] = {{"ceil%f(%0)", "%0", "%0"}},
    [OP_ROUND] = {{"nearbyint%f(%0)", "%0", "%0"}},
    [OP_SIGN] = {{"@sign", "@sign", "((%T)(%0 != 0))"}},
    [OP_NOT] = {{NULL, "(!%0)", "(!%0)"}},
    [OP_BITNOT] = {{NULL, "((%T)~(%W)%0)", "((%T)~(%W)%0)"}},
    [OP_ISNAN] = {{"(isnan(%0) != 0)", "0", "0"}},
    [OP_ISINF] = {{"(isinf(%0) != 0)", "0", "0"}},
    [OP_ADD] = {{"(%0 + %1)", "((%T)((%W)%0 + (%W)%1))", "((%T)((%W)%0 + (%W)%1))"}},
    [OP_SUB] = {{"(%0 - %1)", "((%T)((%W)%0 - (%W)%1))", "((%T)((%W)%0 - (%W)%1))"}},
    [OP_MUL] = {{"(%0 * %1)", "((%T)((%W)%0 * (%W)%1))", "((%T)((%W)%0 * (%W)%1))"}},
    [OP_DIV] = {{"(%0 / %1)", "@div", "@udiv"}},
    [OP_POW] = {{"pow%f(%0, %1)", "@pow", "@upow"}},
    [OP_MAX] = {{"@max", "@max", "@max"}},
    [OP_MIN] = {{"@min", "@min", "@min"}},
    [OP_MOD] = {{"@mod", "@mod", "@umod"}},
    [OP_FMOD] = {{"fmod%f(%0, %1)", "@fmod", "@umod"}},
    [OP_CMPLT] = {{"(%0 < %1)", "(%0 < %1)", "(%0 < %1)"}},
    [OP_CMPLE] = {{"(%0 <= %1)", "(%0 <= %1)", "(%0 <= %1)"}},
    [OP_CMPEQ] = {{"(%0 == %1)", "(%0 == %1)", "(%0 == %1)"}},
    [OP_AND] = {{NULL, "(%0 && %1)", "(%0 && %1)"}},
    [OP_OR] = {{NULL, "(%0 || %1)", "(%0 || %1)"}},
    [OP_XOR] = {{NULL, "(!%0 != !%1)", "(!%0 != !%1)"}},
    [OP_BITAND] = {{NULL, "((%T)(%0 & %1))", "((%T)(%0 & %1))"}},
    [OP_BITOR] = {{NULL, "((%T)(%0 | %1))", "((%T)(%0 | %1))"}},
    [OP_BITXOR] = {{NULL, "((%T)(%0 ^ %1))", "((%T)(%0 ^ %1))"}},
    [OP_SHL] = {{NULL, "@shl", "@shl"}},
    [OP_SHR] = {{NULL, "@shr", "@shr"}},
    [OP_WHERE] = {{"(%0 ? %1 : %2)", "(%0 ? %1 : %2)", "(%0 ? %1 : %2)"}},
};

/* Helpers, by name; %T etc. as above. Emitted once per (helper, dtype). */
typedef struct {
  const char *name, *fl, *in;
} Helper;

static const Helper helpers[] = {
    {"abs", NULL, "static inline %T mlg_abs_%S(%T a) { return a < 0 ? (%T)(0u - (%W)a) : a; }"},
    {"sign", "static inline %T mlg_sign_%S(%T a) { return a > 0 ? (%T)1 : a < 0 ? (%T)-1 : a; }",
     "static inline %T mlg_sign_%S(%T a) { return (%T)((a > 0) - (a < 0)); }"},
    {"max", "static inline %T mlg_max_%S(%T a, %T b) { return (a > b || a != a) ? a : b; }",
     "static inline %T mlg_max_%S(%T a, %T b) { return a > b ? a : b; }"},
    {"min", "static inline %T mlg_min_%S(%T a, %T b) { return (a < b || a != a) ? a : b; }",
     "static inline %T mlg_min_%S(%T a, %T b) { return a < b ? a : b; }"},
    {"mod",
     "static inline %T mlg_mod_%S(%T a, %T b) {\n  %T r = fmod%f(a, b);\n"
     "  if (r != 0 && ((r < 0) != (b < 0))) r += b;\n  if (r == 0) r = copysign%f(r, b);\n  return r;\n}",
     "static inline %T mlg_mod_%S(%T a, %T b) {\n  if (b == 0 || b == -1) return 0;\n  %T r = (%T)(a %% b);\n"
     "  return (r != 0 && ((r < 0) != (b < 0))) ? (%T)(r + b) : r;\n}"},
    {"fmod", NULL, "static inline %T mlg_fmod_%S(%T a, %T b) { return (b == 0 || b == (%T)-1) ? 0 : (%T)(a %% b); }"},
    {"div", NULL,
     "static inline %T mlg_div_%S(%T a, %T b) { return b == 0 ? 0 : b == (%T)-1 ? (%T)(0u - (%W)a) : (%T)(a / b); }"},
    {"pow", NULL,
     "static inline %T mlg_pow_%S(%T a, %T b) {\n  %W r = 1, x = (%W)a;\n  if (b < 0) return a == 1 ? 1 : a == (%T)-1 ? "
     "(%T)((b & 1) ? -1 : 1) : 0;\n  while (b) {\n    if (b & 1) r *= x;\n    x *= x;\n    b = (%T)(b / 2);\n  }\n"
     "  return (%T)r;\n}"},
    /* (%W)b >= %B also catches b < 0, without -Wtype-limits on unsigned b */
    {"shl", NULL, "static inline %T mlg_shl_%S(%T a, %T b) { return (%W)b >= %B ? 0 : (%T)((%W)a << b); }"},
    {"shr", NULL, "static inline %T mlg_shr_%S(%T a, %T b) { return (%W)b >= %B ? 0 : (%T)((%W)a >> b); }"},
    /* unsigned div/mod/pow: no -1 divisor or negative exponent to special-case
     * (b == (T)-1 is the largest value there, not minus one) */
    {"udiv", NULL, "static inline %T mlg_udiv_%S(%T a, %T b) { return b == 0 ? 0 : (%T)(a / b); }"},
    {"umod", NULL, "static inline %T mlg_umod_%S(%T a, %T b) { return b == 0 ? 0 : (%T)(a %% b); }"},
    /* a select whose operands are evaluated first (they are arguments), so
     * the compiler may use a conditional move instead of a branch */
    {"sel", "static inline %T mlg_sel_%S(int c, %T a, %T b) { return c ? a : b; }",
     "static inline %T mlg_sel_%S(int c, %T a, %T b) { return c ? a : b; }"},
    {"upow", NULL,
     "static inline %T mlg_upow_%S(%T a, %T b) {\n  %W r = 1, x = (%W)a;\n  while (b) {\n    if (b & 1) r *= x;\n"
     "    x *= x;\n    b = (%T)(b / 2);\n  }\n  return (%T)r;\n}"},
};
#define NHELP (int)(sizeof helpers / sizeof helpers[0])

/* fixed helpers (not per dtype) */
enum { FX_H2F, FX_F2H, FX_BF2F, FX_F2BF, FX_F2I, FX_F2U, FX_STREQ, FX_COUNT };
static const char *const fixed_src[FX_COUNT] = {
    "static inline float mlg_h2f(uint16_t h) {\n"
    "  uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31u, m = h & 1023u;\n"
    "  union { uint32_t u; float f; } v;\n"
    "  if (e == 0) { float f = (float)m * (1.0f / 16777216.0f); return s ? -f : f; }\n"
    "  v.u = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13));\n"
    "  return v.f;\n}",
    "static inline uint16_t mlg_f2h(float f) {\n"
    "  union { uint32_t u; float f; } v;\n  uint32_t x, s, e, m, h, rem;\n  int ex;\n"
    "  v.f = f;\n  x = v.u;\n  s = (x >> 16) & 0x8000u;\n  e = (x >> 23) & 255u;\n  m = x & 0x7fffffu;\n"
    "  if (e == 255) return (uint16_t)(s | 0x7c00u | (m ? 0x200u : 0));\n"
    "  ex = (int)e - 112;\n"
    "  if (ex >= 31) return (uint16_t)(s | 0x7c00u);\n"
    "  if (ex <= 0) {\n    int sh;\n    if (ex < -10) return (uint16_t)s;\n    m |= 0x800000u;\n    sh = 14 - ex;\n"
    "    h = m >> sh;\n    rem = m & ((1u << sh) - 1);\n"
    "    if (rem > (1u << (sh - 1)) || (rem == (1u << (sh - 1)) && (h & 1))) h++;\n    return (uint16_t)(s | h);\n  }\n"
    "  h = ((uint32_t)ex << 10) | (m >> 13);\n  rem = m & 0x1fffu;\n"
    "  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;\n  return (uint16_t)(s | h);\n}",
    "static inline float mlg_bf2f(uint16_t h) {\n  union { uint32_t u; float f; } v;\n  v.u = (uint32_t)h << 16;\n"
    "  return v.f;\n}",
    "static inline uint16_t mlg_f2bf(float f) {\n  union { uint32_t u; float f; } v;\n  v.f = f;\n"
    "  if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40u);\n"
    "  return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);\n}",
    "static inline int64_t mlg_f2i(double x) {\n"
    "  return x != x ? 0 : x >= 9223372036854775807.0 ? INT64_MAX : x <= -9223372036854775808.0 ? INT64_MIN : "
    "(int64_t)x;\n}",
    "static inline uint64_t mlg_f2u(double x) {\n"
    "  return x != x ? 0 : x >= 18446744073709551615.0 ? UINT64_MAX : x >= 9223372036854775808.0 ? (uint64_t)x : "
    "(uint64_t)(x <= -9223372036854775808.0 ? INT64_MIN : (int64_t)x);\n}",
    /* string equality without <string.h>: generated code needs no libc */
    "static inline int mlg_streq(const char *a, const char *b) {\n  if (!a || !b) return a == b;\n"
    "  while (*a && *a == *b) {\n    a++;\n    b++;\n  }\n  return *a == *b;\n}",
};

/* ------------------------------------------------------------- renderer */
typedef struct {
  W w; /* first: the walker's hooks get &r->w */
  Program *p;
  Arena *a;
  bool used[NHELP][DT_COUNT];
  bool fixed[FX_COUNT];
  const char *idx_t;
  Map names; /* identifier -> taken */
  const char **ident; /* by value id */
  Diags *d;
} R;

static bool is_f(DType dt) { return dtype_info[dt].is_float; }
static bool is_u(DType dt) { return dt == DT_U8 || dt == DT_U16 || dt == DT_U32 || dt == DT_U64 || dt == DT_BOOL; }

/* C type a value of dtype is computed in */
static const char *ctype(DType dt) {
  switch (dt) {
  case DT_F16: case DT_BF16: case DT_F32: return "float";
  case DT_F64: return "double";
  case DT_BOOL: return "int";
  default: return dtype_info[dt].ctype;
  }
}

static const char *wtype(DType dt) { return dtype_info[dt].size == 8 ? "uint64_t" : "uint32_t"; }

static const char *suffix(DType dt) {
  switch (dt) {
  case DT_F16: case DT_BF16: return "f32";
  case DT_BOOL: return "i32";
  default: return dtype_info[dt].name;
  }
}

/* ---------------------------------------------------------- target hooks */
/* C types are DTypes: C converts operands implicitly, so conversion is the
 * identity and a value's type is its dtype. */
static int c_type_of(W *w, const Expr *e) { (void)w; return e->dt; }
static int c_cls(int t) { return is_f((DType)t) ? CL_F : is_u((DType)t) ? CL_U : CL_S; }
static const char *c_type_name(W *w, int t) {
  R *r = (R *)w;
  if (t == DT_UNDEF) return r->idx_t;
  return ctype((DType)t);
}
static const char *c_conv(W *w, const char *s, int from, int to) { (void)w, (void)from, (void)to; return s; }

static void c_placeholder(W *w, Buf *b, char c, int ty) {
  DType dt = (DType)ty;
  (void)w;
  if (c == 'T') buf_puts(b, dt == DT_BOOL ? "int" : ctype(dt));
  else if (c == 'W') buf_puts(b, wtype(dt));
  else if (c == 'S') buf_puts(b, suffix(dt));
  else if (c == 'B') buf_printf(b, "%d", dtype_info[dt].size * 8);
  else if (c == 'f') buf_puts(b, dt == DT_F64 ? "" : "f");
}

static void render_float(Buf *b, double v, DType dt) {
  bool f = dt != DT_F64;
  if (isnan(v)) {
    buf_puts(b, f ? "((float)NAN)" : "((double)NAN)");
    return;
  }
  if (isinf(v)) {
    buf_puts(b, v < 0 ? (f ? "(-HUGE_VALF)" : "(-HUGE_VAL)") : (f ? "HUGE_VALF" : "HUGE_VAL"));
    return;
  }
  char tmp[64];
  if (f) snprintf(tmp, sizeof tmp, "%.9g", (double)(float)v);
  else snprintf(tmp, sizeof tmp, "%.17g", v);
  bool dot = strpbrk(tmp, ".e") != NULL;
  buf_printf(b, "%s%s%s", tmp, dot ? "" : ".0", f ? "f" : "");
}

static void render_int(Buf *b, int64_t v, DType dt) {
  if (dt == DT_U64) {
    buf_printf(b, "UINT64_C(%llu)", (unsigned long long)v);
  } else if (v == INT64_MIN) {
    buf_puts(b, "INT64_MIN");
  } else if (v > 2147483647 || v < -2147483647) {
    buf_printf(b, "INT64_C(%lld)", (long long)v);
  } else if (v < 0) {
    buf_printf(b, "(%lld)", (long long)v);
  } else {
    buf_printf(b, "%lld", (long long)v);
  }
}

static const char *c_lit(W *w, const Expr *e, int want) {
  Buf b = {0};
  (void)want;
  if (is_f(e->dt)) render_float(&b, e->f, e->dt);
  else render_int(&b, e->i, e->dt);
  char *s = arena_strdup(w->a, b.s ? b.s : "0");
  buf_free(&b);
  return s;
}

static const char *c_cast(W *w, const Expr *e, int *t) {
  R *r = (R *)w;
  DType to = e->dt, from = e->a[0]->dt;
  const char *x = w_as(w, e->a[0], from);
  *t = to;
  if (to == DT_BOOL) return arena_printf(w->a, "(%s != 0)", x);
  if (is_f(to)) {
    if (to == DT_F16) {
      r->fixed[FX_H2F] = r->fixed[FX_F2H] = true;
      return arena_printf(w->a, "mlg_h2f(mlg_f2h((float)%s))", x);
    }
    if (to == DT_BF16) {
      r->fixed[FX_BF2F] = r->fixed[FX_F2BF] = true;
      return arena_printf(w->a, "mlg_bf2f(mlg_f2bf((float)%s))", x);
    }
    return arena_printf(w->a, "((%s)%s)", ctype(to), x);
  }
  if (is_f(from)) {
    if (to == DT_U64) {
      r->fixed[FX_F2U] = true;
      return arena_printf(w->a, "mlg_f2u((double)%s)", x);
    }
    r->fixed[FX_F2I] = true;
    return arena_printf(w->a, "((%s)mlg_f2i((double)%s))", ctype(to), x);
  }
  return arena_printf(w->a, "((%s)%s)", ctype(to), x);
}

static const char *c_load(W *w, const Expr *e, int *t) {
  R *r = (R *)w;
  const char *i = w_as(w, ex_flat(w->a, e->buf, e->idx), DT_UNDEF);
  const char *name = r->ident[e->buf->id];
  *t = e->buf->dt;
  if (e->buf->dt == DT_F16) {
    r->fixed[FX_H2F] = true;
    return arena_printf(w->a, "mlg_h2f(%s[%s])", name, i);
  }
  if (e->buf->dt == DT_BF16) {
    r->fixed[FX_BF2F] = true;
    return arena_printf(w->a, "mlg_bf2f(%s[%s])", name, i);
  }
  return arena_printf(w->a, "%s[%s]", name, i);
}

/* e may be evaluated whether or not it is needed: every load's index is
 * provably in bounds (integer division and shifts go through total
 * helpers). Loads a WHERE guards with a bounds test are not. */
static bool total(const Expr *e, int depth) {
  if (depth > 24) return false;
  if (e->kind == E_LOAD)
    for (int d = 0; d < e->nidx; d++)
      if (e->idx[d]->lo < 0 || e->idx[d]->hi >= e->buf->shape[d] || !total(e->idx[d], depth + 1)) return false;
  if (e->kind == E_ALU)
    for (int i = 0; i < 3; i++)
      if (e->a[i] && !total(e->a[i], depth + 1)) return false;
  return true;
}

static bool loads(const Expr *e) {
  if (e->kind == E_LOAD) return true;
  if (e->kind != E_ALU) return false;
  for (int i = 0; i < 3; i++)
    if (e->a[i] && loads(e->a[i])) return true;
  return false;
}

/* A WHERE choosing between two table lookups (a tree walk's next node):
 * with both lookups unconditional, a conditional move replaces a branch
 * that mispredicts on half the rows. */
static bool select_eagerly(const Expr *e) {
  DType dt = e->a[1]->dt;
  if (dt == DT_F16 || dt == DT_BF16) return false;
  return (loads(e->a[1]) || loads(e->a[2])) && total(e->a[1], 0) && total(e->a[2], 0);
}

static int c_operand_type(W *w, const Expr *e) {
  (void)w;
  return e->a[e->op == OP_WHERE ? 1 : 0]->dt; /* comparisons produce bool */
}

static const char *c_helper(W *w, const char *name, Op op, int t, const char **args, int nargs) {
  R *r = (R *)w;
  DType odt = (DType)t;
  int h;
  for (h = 0; h < NHELP; h++)
    if (!strcmp(helpers[h].name, name)) break;
  if (h == NHELP || !(is_f(odt) ? helpers[h].fl : helpers[h].in)) {
    w_refuse(w, "%s on %s", op_name[op], dtype_info[odt].name);
    return "0";
  }
  DType hd = odt == DT_F16 || odt == DT_BF16 ? DT_F32 : odt == DT_BOOL ? DT_I32 : odt;
  r->used[h][hd] = true;
  Buf b = {0};
  buf_printf(&b, "mlg_%s_%s(%s", name, suffix(hd), args[0]);
  for (int i = 1; i < nargs; i++) buf_printf(&b, ", %s", args[i]);
  buf_puts(&b, ")");
  char *s = arena_strdup(w->a, b.s);
  buf_free(&b);
  return s;
}

static const char *c_special(W *w, const Expr *e, const char **args, int ot, int *t) {
  R *r = (R *)w;
  *t = e->dt;
  if (ot == DT_STRING) { /* pointers: WHERE selects (its template), CMPEQ compares the text */
    if (e->op == OP_CMPEQ) {
      r->fixed[FX_STREQ] = true;
      return arena_printf(w->a, "mlg_streq(%s, %s)", args[0], args[1]);
    }
    if (e->op != OP_WHERE) {
      w_refuse(w, "%s on string tensors", op_name[e->op]);
      return "0";
    }
  }
  /* index arithmetic on known non-negative values needs no wrapping */
  if (e->dt == DT_I64 && (e->op == OP_DIV || e->op == OP_MOD) && e->a[1]->kind == E_CONST && e->a[1]->i > 0 &&
      e->a[0]->lo >= 0)
    return arena_printf(w->a, "(%s %s %s)", args[0], e->op == OP_DIV ? "/" : "%", args[1]);
  if (e->dt == DT_I64 && (e->op == OP_ADD || e->op == OP_MUL) && e->lo > INT32_MIN && e->hi < INT32_MAX &&
      e->lo != e->hi)
    return arena_printf(w->a, "(%s %s %s)", args[0], e->op == OP_ADD ? "+" : "*", args[1]);
  if (e->op == OP_WHERE && select_eagerly(e)) return c_helper(w, "sel", e->op, ot, args, 3);
  return NULL;
}

static const char *c_result(W *w, const Expr *e, int ot, const char *s, int *t) {
  (void)w, (void)ot;
  *t = e->dt;
  return s;
}

static int c_var_type(W *w, int v) { (void)w, (void)v; return DT_UNDEF; /* the index type */ }

static int c_local_type(W *w, int slot) { return w->n->locals[slot].dt; }

static void c_loop(W *w, const Stmt *l) {
  R *r = (R *)w;
  const char *v = w_var(w, l->var);
  w_line(w, "for (%s %s = %lld; %s < %lld; %s++) {", r->idx_t, v, (long long)l->lo, v, (long long)l->hi, v);
}

static const char *c_elem(W *w, const Value *buf, const Expr *flat) {
  R *r = (R *)w;
  return arena_printf(w->a, "%s[%s]", r->ident[buf->id], w_as(w, flat, DT_UNDEF));
}

static void c_store(W *w, const Stmt *s, const char *val, int t) {
  R *r = (R *)w;
  const char *dst = c_elem(w, s->buf, s->idx);
  (void)t;
  if (s->buf->dt == DT_F16) {
    r->fixed[FX_F2H] = true;
    w_line(w, "%s = mlg_f2h(%s);", dst, val);
  } else if (s->buf->dt == DT_BF16) {
    r->fixed[FX_F2BF] = true;
    w_line(w, "%s = mlg_f2bf(%s);", dst, val);
  } else if (s->buf->dt == DT_BOOL) {
    w_line(w, "%s = (uint8_t)(%s);", dst, val);
  } else {
    w_line(w, "%s = %s;", dst, val);
  }
}

static const Target c_target = {
    .name = "c",
    .ops = tmpl,
    .bool_t = DT_BOOL,
    .index_t = DT_UNDEF,
    .type_of = c_type_of,
    .cls = c_cls,
    .type_name = c_type_name,
    .conv = c_conv,
    .lit = c_lit,
    .load = c_load,
    .cast = c_cast,
    .operand_type = c_operand_type,
    .special = c_special,
    .helper = c_helper,
    .result = c_result,
    .placeholder = c_placeholder,
    .var_type = c_var_type,
    .local_type = c_local_type,
    .loop = c_loop,
    .store = c_store,
    .elem = c_elem,
    .def_kw = "const ",
};

/* buffers a kernel takes as parameters: every non-constant it loads, in
 * order of first use, then its output */
static void params_of(const Expr *e, Value **seen, int *n, const Value *out) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    if (e->buf->kind != VK_CONST && e->buf != out) {
      int i;
      for (i = 0; i < *n; i++)
        if (seen[i] == e->buf) break;
      if (i == *n && *n < 250) seen[(*n)++] = e->buf;
    }
    for (int i = 0; i < e->nidx; i++) params_of(e->idx[i], seen, n, out);
  }
  for (int i = 0; i < 3; i++) params_of(e->a[i], seen, n, out);
}

/* Names a tensor must not take: the generated code's own (loop variables
 * i<N> r<N>, temporaries v<N>, locals acc best v, kernels k<N>_*, helpers
 * and locals mlg_*) and what <math.h> <stdint.h>
 * <stddef.h> declare, with f/l suffixes; POSIX/GNU math.h too (gamma, j0,
 * y0, ...), as weights are file-scope names and firmware builds with gnu99. */
static bool own_name(const char *id) {
  static const char *const lib[] = {
      "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "acosh", "asinh", "atanh", "cosh", "sinh", "tanh",
      "exp", "exp2", "expm1", "frexp", "ilogb", "ldexp", "log", "log10", "log1p", "log2", "logb", "modf",
      "scalbn", "scalbln", "cbrt", "fabs", "hypot", "pow", "sqrt", "erf", "erfc", "lgamma", "tgamma", "ceil",
      "floor", "nearbyint", "rint", "lrint", "llrint", "round", "lround", "llround", "trunc", "fmod",
      "remainder", "remquo", "copysign", "nan", "nextafter", "nexttoward", "fdim", "fmax", "fmin", "fma",
      "isnan", "isinf", "isfinite", "isnormal", "signbit", "fpclassify", "gamma", "signgam", "j0", "j1", "jn",
      "y0", "y1", "yn", "drem", "finite", "scalb", "significand", "exp10", "pow10", "sincos", "size_t",
      "uintptr_t", "intptr_t", "ptrdiff_t", "offsetof", "wchar_t", "max_align_t", "NULL", "NAN", "INFINITY",
      "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "float_t", "double_t", "acc", "best", "v", NULL};
  size_t n = strlen(id);
  if ((id[0] == 'i' || id[0] == 'r' || id[0] == 'v') && n > 1 && strspn(id + 1, "0123456789") == n - 1) return true;
  if (id[0] == 'k' && n > 1 && id[1 + strspn(id + 1, "0123456789")] == '_' && id[1] != '_') return true;
  if (!strncmp(id, "mlg_", 4) || (n > 2 && !strcmp(id + n - 2, "_t") && strstr(id, "int"))) return true;
  for (int i = 0; lib[i]; i++) {
    size_t m = strlen(lib[i]);
    if (!strncmp(id, lib[i], m) && (!id[m] || !strcmp(id + m, "f") || !strcmp(id + m, "l"))) return true;
  }
  return false;
}

static const char *unique(R *r, const char *base) {
  const char *id = c_ident(r->a, base);
  if (own_name(id)) id = arena_printf(r->a, "t_%s", id);
  return map_unique(r->a, &r->names, id);
}

/* A C string literal holding the bytes of s exactly: printable ASCII as is,
 * \" and \\, everything else (control bytes, UTF-8, '?' which could start a
 * trigraph under -std=c99) as a three-digit octal escape; an octal escape
 * takes at most three digits, so a digit after it stays a digit. */
void c_str_lit(Buf *b, const char *s) {
  buf_puts(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') buf_printf(b, "\\%c", c);
    else if (c < 32 || c > 126 || c == '?') buf_printf(b, "\\%03o", c);
    else buf_printf(b, "%c", c);
  }
  buf_puts(b, "\"");
}

/* The element type of a read-only array: "const float"; a string array
 * holds constant pointers to constant text. */
static const char *ro_type(R *r, DType dt) {
  return dt == DT_STRING ? "const char *const" : arena_printf(r->a, "const %s", dtype_info[dt].ctype);
}

/* "float *", "const char **": a pointer to elements of type elem */
static const char *ptr_to(R *r, const char *elem) {
  return arena_printf(r->a, "%s%s*", elem, elem[strlen(elem) - 1] == '*' ? "" : " ");
}

static void render_weights(R *r, Buf *b, const Value *v) {
  int64_t n = shape_numel(v->rank, v->shape);
  buf_printf(b, "/* %s: %s %s */\nstatic %s %s[%lld] = {", v->name, dtype_info[v->dt].name,
             shape_str(r->a, v->rank, v->shape), ro_type(r, v->dt), r->ident[v->id], (long long)(n ? n : 1));
  for (int64_t i = 0; i < (n ? n : 1); i++) {
    buf_puts(b, i % 8 && v->dt != DT_STRING ? " " : "\n  ");
    if (!n) {
      buf_puts(b, "0");
    } else if (v->dt == DT_STRING) {
      c_str_lit(b, str_at(v->cdata, i));
    } else if (v->dt == DT_F32 || v->dt == DT_F64) {
      render_float(b, raw_get_f(v->dt, v->cdata, i), v->dt);
    } else if (v->dt == DT_F16 || v->dt == DT_BF16) {
      buf_printf(b, "0x%04x", (unsigned)raw_get_i(DT_U16, v->cdata, i));
    } else {
      render_int(b, raw_get_i(v->dt, v->cdata, i), v->dt);
    }
    buf_puts(b, ",");
  }
  buf_puts(b, "\n};\n\n");
}

static const char *upper(Arena *a, const char *s) {
  char *u = arena_strdup(a, s);
  for (char *c = u; c && *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
  return u;
}

static void tensor_desc(Buf *b, const char *name, const Value *v) {
  int64_t n = shape_numel(v->rank, v->shape);
  buf_printf(b, "  {\"%s\", \"%s\", %d, {", name, dtype_info[v->dt].name, v->rank);
  for (int i = 0; i < v->rank; i++) buf_printf(b, "%s%lld", i ? ", " : "", (long long)v->shape[i]);
  if (!v->rank) buf_puts(b, "0");
  if (v->dt == DT_STRING) /* an array of pointers, whatever their size on the target */
    buf_printf(b, "}, %lld, %lld * (int64_t)sizeof(const char *)},\n", (long long)n, (long long)n);
  else
    buf_printf(b, "}, %lld, %lld},\n", (long long)n, (long long)n * dtype_info[v->dt].size);
}

static bool has_str_io(const Program *p) {
  for (int i = 0; i < p->inputs.n; i++)
    if (((Value *)p->inputs.v[i])->dt == DT_STRING) return true;
  for (int i = 0; i < p->outputs.n; i++)
    if (((Value *)p->outputs.v[i])->dt == DT_STRING) return true;
  return false;
}

int cg_c(Program *p, Output *o, Diags *d) {
  R r = {.p = p, .a = p->a, .d = d};
  r.w = (W){.p = p, .a = p->a, .d = d, .t = &c_target};
  const char *nm = p->name, *NM = upper(p->a, p->name);
  int64_t maxn = p->plan.arena_size;
  for (int i = 0; i < p->values.n; i++) {
    Value *v = p->values.v[i];
    int64_t n = shape_numel(v->rank, v->shape);
    if (n > maxn) maxn = n;
  }
  r.idx_t = maxn < ((int64_t)1 << 31) ? "int32_t" : "int64_t";
  r.ident = arena_alloc(p->a, sizeof(char *) * (size_t)(p->values.n + 1));
  bool *used = arena_alloc(p->a, (size_t)p->values.n + 1);
  if (!r.ident || !used) return -1;
  /* names: inputs, outputs, then weights and temporaries */
  static const char *const reserved[] = {"acc", "best", "v", "mem", "arena", "inputs", "outputs", NULL};
  for (int i = 0; reserved[i]; i++) map_put(p->a, &r.names, reserved[i], (void *)1);
  for (int i = 0; i < p->inputs.n; i++) {
    Value *v = p->inputs.v[i];
    r.ident[v->id] = unique(&r, v->name);
  }
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    r.ident[v->id] = unique(&r, p->out_names.v[i]);
  }
  ir_mark_consts(p, used);
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (!r.ident[k->out->id]) r.ident[k->out->id] = unique(&r, k->out->name);
  }
  for (int i = 0; i < p->values.n; i++)
    if (used[i]) r.ident[i] = unique(&r, ((Value *)p->values.v[i])->name);

  /* ---- header */
  Buf *h = out_file(o, arena_printf(p->a, "%s.h", nm));
  Buf *c = out_file(o, arena_printf(p->a, "%s.c", nm));
  if (!h || !c) return -1;
  /* the model's base name only: output must not depend on where the tree
   * lives (byte-for-byte reproducible builds), and "*" "/" cannot end the comment */
  const char *src = !p->file ? "(model)" : safe_base_name(p->a, p->file);
  buf_printf(h, "/* %s.h: generated by mlgen %s from %s. Do not edit.\n *\n", nm, MLG_VERSION, src);
  buf_printf(h, " * Call %s_run() with caller-owned memory: the inputs, the outputs and an\n", nm);
  buf_printf(h, " * arena of %s_ARENA_SIZE bytes aligned to %s_ARENA_ALIGN. Nothing is\n", NM, NM);
  buf_printf(h, " * allocated; the buffers must not overlap. Returns 0, or 1 when a pointer\n"
                " * is NULL or the arena is misaligned.%s */\n", has_str_io(p) ?
                "\n * String tensors are arrays of pointers to NUL-terminated UTF-8 text. An\n"
                " * output string points at a constant of this file or at one of the\n"
                " * caller's input strings: keep the inputs alive while you read it." : "");
  buf_printf(h, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n", NM, NM);
  buf_puts(h, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  buf_printf(h, "#define %s_ARENA_SIZE %lld\n#define %s_ARENA_ALIGN %lld\n", NM, (long long)p->plan.arena_size, NM,
             (long long)p->plan.arena_align);
  buf_printf(h, "#define %s_WEIGHTS_SIZE %lld /* bytes of constant data */\n", NM, (long long)p->plan.weights_size);
  buf_printf(h, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n\n", NM, p->inputs.n, NM, p->outputs.n);
  for (int pass = 0; pass < 2; pass++) {
    PtrVec *vs = pass ? &p->outputs : &p->inputs;
    for (int i = 0; i < vs->n; i++) {
      Value *v = vs->v[i];
      const char *id = r.ident[v->id], *ID = upper(p->a, id);
      buf_printf(h, "/* %s %s: %s %s */\n", pass ? "output" : "input", pass ? (const char *)p->out_names.v[i] : v->name,
                 dtype_info[v->dt].name, shape_str(p->a, v->rank, v->shape));
      buf_printf(h, "#define %s_%s_SIZE %lld /* elements */\n#define %s_%s_RANK %d\n", NM, ID,
                 (long long)shape_numel(v->rank, v->shape), NM, ID, v->rank);
      for (int dd = 0; dd < v->rank; dd++)
        buf_printf(h, "#define %s_%s_DIM%d %lld\n", NM, ID, dd, (long long)v->shape[dd]);
    }
  }
  buf_printf(h, "\ntypedef struct {\n  const char *name;\n  const char *dtype; /* f32 f64 f16 i8 ... bool */\n"
                "  int rank;\n  int64_t shape[8];\n  int64_t size;  /* elements */\n  int64_t bytes;\n} %s_tensor_info;\n\n",
             nm);
  /* ISO C has no zero-size arrays: a model without inputs gets one empty entry */
  const char *nin = p->inputs.n ? arena_printf(p->a, "%s_NUM_INPUTS", NM) : "1";
  buf_printf(h, "extern const %s_tensor_info %s_inputs[%s];\n", nm, nm, nin);
  buf_printf(h, "extern const %s_tensor_info %s_outputs[%s_NUM_OUTPUTS];\n\n", nm, nm, NM);
  buf_printf(h, "int %s_run(", nm);
  Buf sig = {0};
  for (int i = 0; i < p->inputs.n; i++) {
    Value *v = p->inputs.v[i];
    buf_printf(&sig, "%s%s, ", ptr_to(&r, ro_type(&r, v->dt)), r.ident[v->id]);
  }
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    buf_printf(&sig, "%s%s, ", ptr_to(&r, dtype_info[v->dt].ctype), r.ident[v->id]);
  }
  buf_puts(&sig, "void *arena)");
  buf_printf(h, "%s;\n", sig.s);
  buf_printf(h, "/* inputs[i] / outputs[i] in the order of %s_inputs / %s_outputs */\n", nm, nm);
  buf_printf(h, "int %s_run_generic(const void *const *inputs, void *const *outputs, void *arena);\n\n", nm);
  buf_printf(h, "#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s_H */\n", NM);

  /* ---- source: kernels first (to learn which helpers are used) */
  Buf kb = {0};
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    Value *ps[256];
    int np = 0;
    for (int j = 0; j < kernel_nroots(k); j++) params_of(kernel_root(k, j), ps, &np, k->out);
    buf_printf(&kb, "/* %s: %s -> %s %s%s%s */\nstatic void %s(", k->origin, k->out->name, dtype_info[k->out->dt].name,
               shape_str(p->a, k->out->rank, k->out->shape), k->sched.vec ? ", " : "",
               k->sched.vec ? "accumulated in place" : "", k->name);
    for (int j = 0; j < np; j++)
      buf_printf(&kb, "%srestrict %s, ", ptr_to(&r, ro_type(&r, ps[j]->dt)), r.ident[ps[j]->id]);
    buf_printf(&kb, "%srestrict %s) {\n", ptr_to(&r, dtype_info[k->out->dt].ctype), r.ident[k->out->id]);
    r.w.k = k;
    r.w.n = k->nest;
    r.w.b = &kb;
    r.w.dep = 1;
    if (!k->nest || render_nest(&r.w)) r.w.err = true;
    buf_puts(&kb, "}\n\n");
  }
  buf_printf(c, "/* %s.c: generated by mlgen %s from %s. Do not edit. */\n", nm, MLG_VERSION, src);
  buf_printf(c, "#include \"%s.h\"\n\n#include <math.h>\n\n", nm);
  for (int f = 0; f < FX_COUNT; f++)
    if (r.fixed[f]) buf_printf(c, "%s\n\n", fixed_src[f]);
  for (int hh = 0; hh < NHELP; hh++)
    for (int dt = 0; dt < DT_COUNT; dt++)
      if (r.used[hh][dt]) {
        const char *t = is_f((DType)dt) ? helpers[hh].fl : helpers[hh].in;
        const char *none[3] = {"", "", ""};
        if (!t) continue;
        w_expand(&r.w, c, t, dt, none);
        buf_puts(c, "\n\n");
      }
  for (int i = 0; i < p->values.n; i++)
    if (used[i]) render_weights(&r, c, p->values.v[i]);
  buf_puts(c, kb.s ? kb.s : "");
  buf_free(&kb);
  buf_printf(c, "const %s_tensor_info %s_inputs[%s] = {\n", nm, nm, nin);
  for (int i = 0; i < p->inputs.n; i++) tensor_desc(c, ((Value *)p->inputs.v[i])->name, p->inputs.v[i]);
  if (!p->inputs.n) buf_puts(c, "  {\"\", \"\", 0, {0}, 0, 0},\n");
  buf_puts(c, "};\n\n");
  buf_printf(c, "const %s_tensor_info %s_outputs[%s_NUM_OUTPUTS] = {\n", nm, nm, NM);
  for (int i = 0; i < p->outputs.n; i++) tensor_desc(c, p->out_names.v[i], p->outputs.v[i]);
  buf_puts(c, "};\n\n");
  buf_printf(c, "int %s_run(%s {\n", nm, sig.s);
  buf_free(&sig);
  buf_puts(c, "  unsigned char *mem = (unsigned char *)arena;\n");
  for (int i = 0; i < p->inputs.n; i++) buf_printf(c, "  if (!%s) return 1;\n", r.ident[((Value *)p->inputs.v[i])->id]);
  for (int i = 0; i < p->outputs.n; i++) buf_printf(c, "  if (!%s) return 1;\n", r.ident[((Value *)p->outputs.v[i])->id]);
  if (p->plan.arena_size)
    buf_printf(c, "  if (!mem || ((uintptr_t)mem & (%s_ARENA_ALIGN - 1))) return 1;\n", NM);
  else
    buf_puts(c, "  (void)mem;\n");
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->out_index >= 0) continue;
    const char *pt = ptr_to(&r, dtype_info[k->out->dt].ctype);
    buf_printf(c, "  %s%s = (%s)(void *)(mem + %lld);\n", pt, r.ident[k->out->id], pt, (long long)k->out->offset);
  }
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    Value *ps[256];
    int np = 0;
    for (int j = 0; j < kernel_nroots(k); j++) params_of(kernel_root(k, j), ps, &np, k->out);
    buf_printf(c, "  %s(", k->name);
    for (int j = 0; j < np; j++) buf_printf(c, "%s, ", r.ident[ps[j]->id]);
    buf_printf(c, "%s);\n", r.ident[k->out->id]);
  }
  buf_puts(c, "  return 0;\n}\n\n");
  buf_printf(c, "int %s_run_generic(const void *const *inputs, void *const *outputs, void *arena) {\n", nm);
  buf_printf(c, "  if (!inputs || !outputs) return 1;\n  return %s_run(", nm);
  for (int i = 0; i < p->inputs.n; i++)
    buf_printf(c, "(%s)inputs[%d], ", ptr_to(&r, ro_type(&r, ((Value *)p->inputs.v[i])->dt)), i);
  for (int i = 0; i < p->outputs.n; i++)
    buf_printf(c, "(%s)outputs[%d], ", ptr_to(&r, dtype_info[((Value *)p->outputs.v[i])->dt].ctype), i);
  buf_puts(c, "arena);\n}\n");
  if (h->oom || c->oom) {
    diag_error(d, (Loc){0}, "out of memory while rendering C");
    return -1;
  }
  return r.w.err ? -1 : 0;
}
