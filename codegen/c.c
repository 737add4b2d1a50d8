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
 *
 * The fixed text lives in templates/: the helpers in c_helpers.c (tables
 * built by cmake/embed.cmake), the files around the per-model rows in
 * c_model.h and c_model.c; this file renders the rows and fills them in.
 */
#include "render.h"
#include "templates.h"

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

/* Helpers, by name (float and integer source; %T etc. as above), emitted
 * once per (helper, dtype), and fixed helpers (not per dtype, FX_*): from
 * templates/c_helpers.c, turned into these tables by cmake/embed.cmake. */
typedef struct {
  const char *name, *fl, *in;
} Helper;
#include "embed_c_helpers.h"
#define NHELP (int)(sizeof helpers / sizeof helpers[0])

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

/* model text for a comment: printable ASCII, no comment terminator */
static const char *comment(Arena *a, const char *s) {
  char *r = arena_strdup(a, s ? s : "");
  for (char *c = r; c && *c; c++) {
    if (*c < 32 || *c > 126) *c = '?';
    if (c > r && c[-1] == '*' && *c == '/') *c = '|';
  }
  return r ? r : "";
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
  buf_printf(b, "/* %s: %s %s */\nstatic %s %s[%lld] = {", comment(r->a, v->name), dtype_info[v->dt].name,
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

/* a Buf's text in the arena (its memory freed), "" when empty; an
 * allocation failure marks `into`, the file it is for */
static const char *take(Arena *a, Buf *b, Buf *into) {
  char *s = arena_strdup(a, b->s ? b->s : "");
  into->oom |= b->oom || !s;
  buf_free(b);
  return s ? s : "";
}

/* The rows of <name>.h and <name>.c that repeat per input and output:
 * macros, descriptors, _run's parameters and checks, _run_generic's
 * arguments. Model names enter comments through comment() and C strings
 * through c_str_lit, C names are r->ident (c_ident, unique). */
enum { IO_MACROS, IO_IN_DESCS, IO_OUT_DESCS, IO_PARAMS, IO_CHECKS, IO_ARGS, IO_COUNT };

static bool io_rows(R *r, Buf *b, const char *NM) {
  Program *p = r->p;
  bool strs = false;
  for (int i = 0; i < p->inputs.n + p->outputs.n; i++) {
    bool out = i >= p->inputs.n;
    int j = out ? i - p->inputs.n : i;
    Value *v = out ? p->outputs.v[j] : p->inputs.v[j];
    const char *name = out ? p->out_names.v[j] : v->name, *id = r->ident[v->id], *ID = upper(r->a, id);
    const char *pt = ptr_to(r, out ? dtype_info[v->dt].ctype : ro_type(r, v->dt));
    int64_t n = shape_numel(v->rank, v->shape);
    strs |= v->dt == DT_STRING;
    buf_printf(&b[IO_MACROS], "/* %s %s: %s %s */\n", out ? "output" : "input", comment(r->a, name),
               dtype_info[v->dt].name, shape_str(r->a, v->rank, v->shape));
    buf_printf(&b[IO_MACROS], "#define %s_%s_SIZE %lld /* elements */\n#define %s_%s_RANK %d\n", NM, ID,
               (long long)n, NM, ID, v->rank);
    for (int d = 0; d < v->rank; d++)
      buf_printf(&b[IO_MACROS], "#define %s_%s_DIM%d %lld\n", NM, ID, d, (long long)v->shape[d]);
    Buf *desc = &b[out ? IO_OUT_DESCS : IO_IN_DESCS];
    buf_puts(desc, "  {");
    c_str_lit(desc, name);
    buf_printf(desc, ", \"%s\", %d, {", dtype_info[v->dt].name, v->rank);
    for (int d = 0; d < v->rank; d++) buf_printf(desc, "%s%lld", d ? ", " : "", (long long)v->shape[d]);
    if (v->dt == DT_STRING) /* an array of pointers, whatever their size on the target */
      buf_printf(desc, "%s}, %lld, %lld * (int64_t)sizeof(const char *)},\n", v->rank ? "" : "0", (long long)n,
                 (long long)n);
    else
      buf_printf(desc, "%s}, %lld, %lld},\n", v->rank ? "" : "0", (long long)n, (long long)n * dtype_info[v->dt].size);
    buf_printf(&b[IO_PARAMS], "%s%s, ", pt, id);
    buf_printf(&b[IO_CHECKS], "  if (!%s) return 1;\n", id);
    buf_printf(&b[IO_ARGS], "(%s)%s[%d], ", pt, out ? "outputs" : "inputs", j);
  }
  if (!p->inputs.n) buf_puts(&b[IO_IN_DESCS], "  {\"\", \"\", 0, {0}, 0, 0},\n");
  if (p->plan.arena_size)
    buf_printf(&b[IO_CHECKS], "  if (!mem || ((uintptr_t)mem & (%s_ARENA_ALIGN - 1))) return 1;\n", NM);
  else
    buf_puts(&b[IO_CHECKS], "  (void)mem;\n");
  return strs;
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

  Buf *h = out_file(o, arena_printf(p->a, "%s.h", nm));
  Buf *c = out_file(o, arena_printf(p->a, "%s.c", nm));
  if (!h || !c) return -1;
  /* kernels first (to learn which helpers are used), with their calls and
   * the arena bindings of temporaries */
  Buf kb = {0}, calls = {0}, binds = {0}, b = {0}, io[IO_COUNT] = {{0}};
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    Value *ps[256];
    int np = 0;
    for (int j = 0; j < kernel_nroots(k); j++) params_of(kernel_root(k, j), ps, &np, k->out);
    const char *pt = ptr_to(&r, dtype_info[k->out->dt].ctype), *out = r.ident[k->out->id];
    buf_printf(&kb, "/* %s: %s -> %s %s%s */\nstatic void %s(", comment(p->a, k->origin), comment(p->a, k->out->name),
               dtype_info[k->out->dt].name, shape_str(p->a, k->out->rank, k->out->shape),
               k->sched.vec ? ", accumulated in place" : "", k->name);
    buf_printf(&calls, "  %s(", k->name);
    for (int j = 0; j < np; j++) {
      buf_printf(&kb, "%srestrict %s, ", ptr_to(&r, ro_type(&r, ps[j]->dt)), r.ident[ps[j]->id]);
      buf_printf(&calls, "%s, ", r.ident[ps[j]->id]);
    }
    buf_printf(&kb, "%srestrict %s) {\n", pt, out);
    buf_printf(&calls, "%s);\n", out);
    if (k->out->out_index < 0)
      buf_printf(&binds, "  %s%s = (%s)(void *)(mem + %lld);\n", pt, out, pt, (long long)k->out->offset);
    r.w.k = k;
    r.w.n = k->nest;
    r.w.b = &kb;
    r.w.dep = 1;
    if (!k->nest || render_nest(&r.w)) r.w.err = true;
    buf_puts(&kb, "}\n\n");
  }
  const char *kernels = take(p->a, &kb, c), *calls_s = take(p->a, &calls, c), *binds_s = take(p->a, &binds, c);
  for (int f = 0; f < FX_COUNT; f++)
    if (r.fixed[f]) buf_printf(&b, "%s\n\n", fixed_src[f]);
  for (int hh = 0; hh < NHELP; hh++)
    for (int dt = 0; dt < DT_COUNT; dt++) {
      const char *t = is_f((DType)dt) ? helpers[hh].fl : helpers[hh].in, *none[3] = {"", "", ""};
      if (!r.used[hh][dt] || !t) continue;
      w_expand(&r.w, &b, t, dt, none);
      buf_puts(&b, "\n\n");
    }
  const char *helpers_s = take(p->a, &b, c);
  for (int i = 0; i < p->values.n; i++)
    if (used[i]) render_weights(&r, &b, p->values.v[i]);
  const char *weights = take(p->a, &b, c);
  bool strs = io_rows(&r, io, NM);
  const char *rows[IO_COUNT];
  for (int i = 0; i < IO_COUNT; i++) rows[i] = take(p->a, &io[i], i == IO_MACROS ? h : c);

  /* the model's base name only: output must not depend on where the tree
   * lives (byte-for-byte reproducible builds), and "*" "/" cannot end the comment */
  const char *src = !p->file ? "(model)" : safe_base_name(p->a, p->file);
  const char *kv[] = {"name", nm, "NAME", NM, "version", MLG_VERSION, "source", src,
      "string_note", strs ? "\n * String tensors are arrays of pointers to NUL-terminated UTF-8 text. An\n"
                            " * output string points at a constant of this file or at one of the\n"
                            " * caller's input strings: keep the inputs alive while you read it." : "",
      "arena_size", arena_printf(p->a, "%lld", (long long)p->plan.arena_size),
      "arena_align", arena_printf(p->a, "%lld", (long long)p->plan.arena_align),
      "weights_size", arena_printf(p->a, "%lld", (long long)p->plan.weights_size),
      "ninputs", arena_printf(p->a, "%d", p->inputs.n), "noutputs", arena_printf(p->a, "%d", p->outputs.n),
      "inputs_len", p->inputs.n ? arena_printf(p->a, "%s_NUM_INPUTS", NM) : "1",
      "io_macros", rows[IO_MACROS], "input_descs", rows[IO_IN_DESCS], "output_descs", rows[IO_OUT_DESCS],
      "params", rows[IO_PARAMS], "checks", rows[IO_CHECKS], "generic_args", rows[IO_ARGS],
      "helpers", helpers_s, "weights", weights, "kernels", kernels, "binds", binds_s, "calls", calls_s, NULL};
  if (tmpl_expand(h, "c_model.h", kv, d) || tmpl_expand(c, "c_model.c", kv, d)) return -1;
  if (h->oom || c->oom) {
    diag_error(d, (Loc){0}, "out of memory while rendering C");
    return -1;
  }
  return r.w.err ? -1 : 0;
}
