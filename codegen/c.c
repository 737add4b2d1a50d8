/* c.c: C99 as a target of the walker (codegen/render.c); c_api.c writes
 * the files around the kernels (c_target.h).
 *
 * Expressions render as nested C expressions. ALU ops come from the
 * template table below; integer arithmetic goes through unsigned types so
 * wrap-around is defined, and anything that would evaluate an operand twice
 * or could trap (division, shifts, float->int casts, NaN-propagating
 * max/min) calls a small static inline helper that is emitted only when
 * used (their text: templates/c_helpers.c, tables built by cmake/embed.cmake).
 */
#include "c_target.h"
#include "../ir/regex.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
_Static_assert(sizeof helpers / sizeof helpers[0] <= C_MAX_HELPERS, "raise C_MAX_HELPERS");
_Static_assert(FX_COUNT <= C_MAX_FIXED, "raise C_MAX_FIXED");

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

void c_float_lit(Buf *b, double v, DType dt) {
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

void c_int_lit(Buf *b, int64_t v, DType dt) {
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
  if (is_f(e->dt)) c_float_lit(&b, e->f, e->dt);
  else c_int_lit(&b, e->i, e->dt);
  char *s = arena_strdup(w->a, b.s ? b.s : "0");
  buf_free(&b);
  return s;
}

static const char *c_cast(W *w, const Expr *e, int *t) {
  R *r = (R *)w;
  DType to = e->dt, from = e->a[0]->dt;
  const char *x = w_as(w, e->a[0], from);
  *t = to;
  if (e->op == OP_BITCAST) { /* f32 <-> 32-bit, f64 <-> 64-bit integers (ops.def) */
    int bits = dtype_info[to].size * 8;
    r->fixed[is_f(from) ? (bits == 32 ? FX_F32BITS : FX_F64BITS) : (bits == 32 ? FX_BITSF32 : FX_BITSF64)] = true;
    if (is_f(from)) return arena_printf(w->a, "((%s)mlg_f%d_bits(%s))", ctype(to), bits, x);
    return arena_printf(w->a, "mlg_bits_f%d((uint%d_t)%s)", bits, bits, x);
  }
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

/* STRMATCH: the pattern (a constant) compiled now (ir/regex.c), its table
 * and matcher mlg_re<k> written by c_emit_helpers */
static const char *c_strmatch(R *r, const Expr *e, const char *text, const char *pattern) {
  W *w = &r->w;
  const Expr *pe = e->a[1];
  if (pe->kind != E_LOAD || pe->buf->kind != VK_CONST || shape_numel(pe->buf->rank, pe->buf->shape) != 1) {
    w_refuse(w, "RegexFullMatch with a pattern known only at run time");
    return "0";
  }
  const char *pat = str_at(pe->buf->cdata, 0);
  int k = 0;
  while (k < r->nre && strcmp(r->re_pat[k], pat)) k++;
  if (k == r->nre) {
    Re *re = arena_alloc(r->a, sizeof *re);
    char err[160];
    if (k == C_MAX_RE) {
      w_refuse(w, "more than %d RegexFullMatch patterns", C_MAX_RE);
      return "0";
    }
    if (!re || re_compile(r->a, pat, re, err, sizeof err)) {
      w_refuse(w, "RegexFullMatch pattern: %s", re ? err : "out of memory");
      return "0";
    }
    if (re->n > C_MAX_RE_INST) {
      w_refuse(w, "a RegexFullMatch pattern of %d instructions (at most %d in generated code)", re->n, C_MAX_RE_INST);
      return "0";
    }
    r->re_pat[k] = pat, r->re[k] = re, r->nre++;
  }
  r->fixed[FX_REMATCH] = true;
  return arena_printf(w->a, "mlg_re%d(%s, %s)", k, text, pattern);
}

static const char *c_special(W *w, const Expr *e, const char **args, int ot, int *t) {
  R *r = (R *)w;
  *t = e->dt;
  if (ot == DT_STRING) { /* pointers: WHERE selects (its template), CMPEQ compares the text, STRMATCH matches it */
    if (e->op == OP_CMPEQ) {
      r->fixed[FX_STREQ] = true;
      return arena_printf(w->a, "mlg_streq(%s, %s)", args[0], args[1]);
    }
    if (e->op == OP_STRMATCH) return c_strmatch(r, e, args[0], args[1]);
    if (e->op != OP_WHERE) {
      w_refuse(w, "%s on string tensors", op_name[e->op]);
      return "0";
    }
  }
  /* index arithmetic in int32 range needs no wrapping */
  if (e->dt == DT_I64 && (e->op == OP_ADD || e->op == OP_MUL) && e->lo > INT32_MIN && e->hi < INT32_MAX &&
      e->lo != e->hi)
    return arena_printf(w->a, "(%s %s %s)", args[0], e->op == OP_ADD ? "+" : "*", args[1]);
  if (e->op == OP_WHERE && select_eagerly(e)) return c_helper(w, "sel", e->op, ot, args, 3);
  if (e->op == OP_EXP && c_exp_inline((DType)ot)) { /* vectorizable (c_helpers.c) */
    r->fixed[FX_EXPF] = true;
    return arena_printf(w->a, "mlg_expf(%s)", args[0]);
  }
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

const Target c_target = {
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


/* pattern k's instruction and range tables and its matcher mlg_re<k> */
static void emit_re(R *r, Buf *b, int k) {
  const Re *re = r->re[k];
  buf_printf(b, "/* RegexFullMatch pattern %s */\nstatic const mlg_reinst mlg_re%d_prog[%d] = {", comment_text(r->a, r->re_pat[k]),
             k, re->n);
  for (int i = 0; i < re->n; i++) {
    const ReInst *in = &re->prog[i];
    buf_printf(b, "%s{%d, %d, %d, %d}", i % 8 ? ", " : i ? ",\n    " : "\n    ", (int)in->op, in->neg, in->x, in->y);
  }
  int nr = re->nranges ? re->nranges : 1; /* C has no empty arrays */
  buf_printf(b, "};\nstatic const uint32_t mlg_re%d_cls[%d][2] = {", k, nr);
  for (int i = 0; i < nr; i++)
    buf_printf(b, "%s{%luu, %luu}", i % 8 ? ", " : i ? ",\n    " : "\n    ",
               re->nranges ? (unsigned long)re->ranges[i][0] : 0ul, re->nranges ? (unsigned long)re->ranges[i][1] : 0ul);
  /* pattern: the text it was compiled from (a constant of the model), unused */
  buf_printf(b, "};\nstatic int mlg_re%d(const char *s, const char *pattern) {\n  int work[%d];\n  (void)pattern;\n"
                "  return mlg_rematch(mlg_re%d_prog, mlg_re%d_cls, s, work, %d);\n}\n\n",
             k, 4 * re->n, k, k, re->n);
}

void c_emit_helpers(R *r, Buf *b) {
  for (int f = 0; f < FX_COUNT; f++)
    if (r->fixed[f]) buf_printf(b, "%s\n\n", fixed_src[f]);
  for (int k = 0; k < r->nre; k++) emit_re(r, b, k);
  for (int hh = 0; hh < NHELP; hh++)
    for (int dt = 0; dt < DT_COUNT; dt++) {
      const char *t = is_f((DType)dt) ? helpers[hh].fl : helpers[hh].in, *none[3] = {"", "", ""};
      if (!r->used[hh][dt] || !t) continue;
      w_expand(&r->w, b, t, dt, none);
      buf_puts(b, "\n\n");
    }
}
