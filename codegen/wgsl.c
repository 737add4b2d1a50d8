/* wgsl.c: WGSL as a target of the walker (codegen/render.c), the WebGPU
 * target's first step; webgpu.c makes each kernel's shader and the folder
 * (webgpu.h).
 *
 * A kernel's nest arrives mapped to GPU ids and narrowed (ir/gpu.c), as for
 * Vulkan. This file says how WGSL spells it: value types (f32 f16 bf16 ->
 * f32, f16/bf16 rounded on store with bit-exact integer code; i8..i32 -> i32
 * and u8..u32 -> u32, re-wrapped to their width after arithmetic; bool;
 * i64/u64 -> vec2<u32> (low, high), every op on them a helper: typed_op;
 * f64 refused naming the kernel), the op
 * templates below (WGSL has no ?: : WHERE is select(), which evaluates both
 * arms, harmless in WGSL, where no load or division can fault), typed
 * declarations (let / var / array<T, N>), and helpers
 * (templates/wgsl_lib.wgsl) named per type, since WGSL has no overloading.
 */
#include "webgpu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const wt_name[WT_COUNT] = {"bool", "i32", "u32", "f32", "vec2<u32>", "vec2<u32>"};
static const char *const wt_sfx[WT_COUNT] = {"bool", "i32", "u32", "f32", "i64", "u64"}; /* in helper names */
static bool wide(WT t) { return t == WT_I64 || t == WT_U64; }

/* ------------------------------------------------------------ templates */
/* Operand mini-language (as codegen/glsl.c): %0 %1 %2 the operands, already
 * converted to the operand type; %T that type's WGSL name. "@name" calls the
 * helper mlg_name_<type>(operands). Columns by operand class. */
static const OpTmpl tmpl[OP_COUNT] = {
    /* op          float              signed int          unsigned int        bool */
    [OP_NEG] = {{"(-%0)", "(-%0)", "(0u - %0)", NULL}},
    [OP_ABS] = {{"abs(%0)", "abs(%0)", "%0", NULL}},
    [OP_ATANH] = {{"@atanh", NULL, NULL, NULL}},
    [OP_ROUND] = {{"round(%0)", "%0", "%0", NULL}}, /* WGSL's round is half to even */
    [OP_SIGN] = {{"@sign", "sign(%0)", "%T(%0 != 0u)", NULL}},
    [OP_ADD] = {{"(%0 + %1)", "(%0 + %1)", "(%0 + %1)", NULL}},
    [OP_SUB] = {{"(%0 - %1)", "(%0 - %1)", "(%0 - %1)", NULL}},
    [OP_MUL] = {{"(%0 * %1)", "(%0 * %1)", "(%0 * %1)", NULL}},
    [OP_XOR] = {{NULL, NULL, NULL, "(%0 != %1)"}},
    [OP_WHERE] = {{"select(%2, %1, %0)", "select(%2, %1, %0)", "select(%2, %1, %0)", "select(%2, %1, %0)"}},
};

static bool is_f(DType dt) { return dtype_info[dt].is_float; }

/* the WGSL type of an IR dtype; 64-bit ones are refused (once per kernel) */
static WT dt_wt(WG *g, DType dt) {
  switch (dt) {
  case DT_F32: case DT_F16: case DT_BF16: return WT_F32;
  case DT_I8: case DT_I16: case DT_I32: return WT_I32;
  case DT_U8: case DT_U16: case DT_U32: return WT_U32;
  case DT_BOOL: return WT_BOOL;
  case DT_I64: return WT_I64;
  case DT_U64: return WT_U64;
  default: {
    char what[96];
    snprintf(what, sizeof what, "%s values (WGSL has no 64-bit types)", dtype_info[dt].name);
    wgsl_unsupported(g, what);
    return WT_I32;
  }
  }
}

static char cls_of(WT t) {
  return t == WT_F32 ? 'f' : t == WT_I32 ? 's' : t == WT_BOOL ? 'b' : t == WT_I64 ? 'l' : t == WT_U64 ? 'L' : 'u';
}

static char hs_cls(int t) { return cls_of((WT)t); }

HelperSet wgsl_helper_set(WG *g) {
  return (HelperSet){wgsl_helpers, wgsl_nhelpers, WT_COUNT, &g->help[0][0], hs_cls, WT_F32, -1};
}

static void mark_helper(WG *g, const char *name, WT t) {
  HelperSet hs = wgsl_helper_set(g);
  if (w_helper_mark(&hs, name, t)) return;
  char what[64];
  snprintf(what, sizeof what, "%s on %s", name, wt_sfx[t]);
  wgsl_unsupported(g, what);
}

/* value conversion that keeps the value (or truncates integers, as C does;
 * i32 <-> u32 reinterprets the bits) */
static char *conv(WG *g, char *s, WT from, WT to) {
  if (from == to || (wide(from) && wide(to))) return s;
  if (to == WT_BOOL) {
    if (wide(from)) return arena_printf(g->a, "any(%s != vec2<u32>(0u, 0u))", s);
    static const char *const zero[WT_COUNT] = {"false", "0i", "0u", "0.0f"};
    return arena_printf(g->a, "(%s != %s)", s, zero[from]);
  }
  if (wide(from)) {
    if (to == WT_F32) return mark_helper(g, "i2f", from), arena_printf(g->a, "mlg_i2f_%s(%s)", wt_sfx[from], s);
    return arena_printf(g->a, to == WT_I32 ? "bitcast<i32>((%s).x)" : "(%s).x", s);
  }
  if (wide(to)) {
    mark_helper(g, "w64", WT_F32);
    switch (from) {
    case WT_I32: return arena_printf(g->a, "mlg_sext64(%s)", s);
    case WT_U32: return arena_printf(g->a, "vec2<u32>(%s, 0u)", s);
    case WT_BOOL: return arena_printf(g->a, "vec2<u32>(select(0u, 1u, %s), 0u)", s);
    default: /* a value conversion of a float: truncating, as a cast */
      mark_helper(g, to == WT_I64 ? "f2l" : "f2ul", WT_F32);
      return arena_printf(g->a, "mlg_%s_f32(%s)", to == WT_I64 ? "f2l" : "f2ul", s);
    }
  }
  return arena_printf(g->a, "%s(%s)", wt_name[to], s);
}

/* NaN and infinities are not constants in WGSL: private variables hold them */
static char *lit_float(WG *g, double v) {
  if (isnan(v)) return mark_helper(g, "nan", WT_F32), "mlg_nan_f32()";
  float f = (float)v;
  if (isinf(f)) return mark_helper(g, "inf", WT_F32), f < 0 ? "(-mlg_inf_f32())" : "mlg_inf_f32()";
  char t[64];
  snprintf(t, sizeof t, "%.9g", (double)f);
  bool dot = strpbrk(t, ".e") != NULL;
  return arena_printf(g->a, "%s%s%sf%s", f < 0 || (f == 0 && signbit(f)) ? "(" : "", t, dot ? "" : ".0",
                      f < 0 || (f == 0 && signbit(f)) ? ")" : "");
}

static char *lit_int(WG *g, int64_t v, WT t) {
  switch (t) {
  case WT_BOOL: return v ? "true" : "false";
  case WT_F32: return lit_float(g, (double)v);
  case WT_U32: return arena_printf(g->a, "%lluu", (unsigned long long)(uint32_t)v);
  case WT_I64: case WT_U64:
    return arena_printf(g->a, "vec2<u32>(%lluu, %lluu)", (unsigned long long)((uint64_t)v & 0xffffffffu),
                        (unsigned long long)((uint64_t)v >> 32));
  default:
    if (v == INT32_MIN) return "(-2147483647i - 1i)";
    return arena_printf(g->a, v < 0 ? "(%lldi)" : "%lldi", (long long)v);
  }
}

static WT wt_of(WG *g, const Expr *e) {
  if (e->kind == E_ACC) return (WT)g->w.ltype[g->w.n->acc];
  if (e->kind == E_TMP) return (WT)g->w.ltype[e->i];
  if (e->kind == E_VAR) return g->w.vuint[e->i] ? WT_U32 : WT_I32;
  return dt_wt(g, e->dt);
}

/* ----------------------------------------------------------- expressions */
static int t_type_of(W *w, const Expr *e) { return wt_of((WG *)w, e); }
static int t_cls(int t) {
  char c = cls_of((WT)t);
  return c == 'f' ? CL_F : c == 's' ? CL_S : c == 'b' ? CL_B : CL_U;
}
static const char *t_type_name(W *w, int t) { (void)w; return wt_name[t]; }
static const char *t_conv(W *w, const char *s, int from, int to) { return conv((WG *)w, (char *)s, (WT)from, (WT)to); }

static const char *t_lit(W *w, const Expr *e, int want) {
  WG *g = (WG *)w;
  if (!is_f(e->dt) && want != WT_F32) return lit_int(g, e->i, (WT)want);
  if (is_f(e->dt) && want == WT_F32) return lit_float(g, e->f);
  WT r = wt_of(g, e);
  char *s = is_f(e->dt) ? lit_float(g, e->f) : lit_int(g, e->i, r);
  return conv(g, s, r, (WT)want);
}

static const char *t_load(W *w, const Expr *e, int *t) {
  WG *g = (WG *)w;
  const char *n = wgsl_use(g, e->buf);
  Expr *flat = gpu_index((Nest *)w->n, e->buf, e->idx);
  if (!flat) {
    w_refuse(w, "out of memory");
    return "0i";
  }
  const char *i = w_as(w, flat, WT_I32);
  *t = dt_wt(g, e->buf->dt);
  switch (e->buf->dt) {
  case DT_BOOL: return arena_printf(g->a, "(%s(%s) != 0u)", n, i);
  case DT_I8: case DT_I16:
    return arena_printf(g->a, "extractBits(i32(%s(%s)), 0u, %du)", n, i, dtype_info[e->buf->dt].size * 8);
  case DT_F16: mark_helper(g, "h2f", WT_F32); return arena_printf(g->a, "mlg_h2f(%s(%s))", n, i);
  case DT_BF16: mark_helper(g, "bf2f", WT_F32); return arena_printf(g->a, "mlg_bf2f(%s(%s))", n, i);
  default: return arena_printf(g->a, "%s(%s)", n, i);
  }
}

/* keep an 8/16-bit integer in its width after arithmetic */
static char *wrap(WG *g, char *s, DType dt) {
  switch (dt) {
  case DT_I8: case DT_I16: return arena_printf(g->a, "extractBits(%s, 0u, %du)", s, dtype_info[dt].size * 8);
  case DT_U8: return arena_printf(g->a, "(%s & 0xffu)", s);
  case DT_U16: return arena_printf(g->a, "(%s & 0xffffu)", s);
  default: return s;
  }
}

static const char *t_cast(W *w, const Expr *e, int *tp) {
  WG *g = (WG *)w;
  DType to = e->dt, from = e->a[0]->dt;
  int xi;
  char *x = (char *)w_expr(w, e->a[0], &xi);
  WT xt = (WT)xi, t = wt_of(g, e);
  *tp = t;
  if (e->op == OP_BITCAST) { /* f32 <-> 32-bit integers; 64-bit ones refused */
    if (dtype_info[to].size != 4) {
      w_refuse(w, "BitCast of 64-bit values");
      return "0";
    }
    if (is_f(from)) return conv(g, arena_printf(g->a, "bitcast<u32>(%s)", conv(g, x, xt, WT_F32)), WT_U32, t);
    return arena_printf(g->a, "bitcast<f32>(%s)", conv(g, x, xt, WT_U32));
  }
  if (to == DT_BOOL) return conv(g, x, xt, WT_BOOL);
  if (is_f(to)) {
    char *f = conv(g, x, xt, t);
    const char *in = to == DT_F16 ? "h2f" : "bf2f", *out = to == DT_F16 ? "f2h" : "f2bf";
    if (to != DT_F16 && to != DT_BF16) return f;
    mark_helper(g, in, WT_F32);
    mark_helper(g, out, WT_F32);
    return arena_printf(g->a, "mlg_%s(mlg_%s(%s))", in, out, f);
  }
  char *i;
  if (is_f(from) && wide(t)) return conv(g, x, xt, t);
  if (is_f(from)) {
    mark_helper(g, "f2i", xt);
    i = arena_printf(g->a, "mlg_f2i_f32(%s)", x);
    if (t == WT_U32) i = conv(g, i, WT_I32, WT_U32);
  } else {
    i = conv(g, x, xt, t);
  }
  return wrap(g, i, to);
}

/* the operand type: logic ops work on bool, WHERE's condition is bool;
 * the other operands convert to the first's type */
static int t_operand_type(W *w, const Expr *e) {
  WG *g = (WG *)w;
  Op op = e->op;
  int n = op_arity[op], first = op == OP_WHERE ? 1 : 0;
  if (op == OP_AND || op == OP_OR || op == OP_XOR || op == OP_NOT) return WT_BOOL;
  (void)n;
  WT ot = wt_of(g, e->a[first]); /* the others are converted to it */
  if ((e->dt == DT_I64 || e->narrowed) && !op_bool_result(op)) ot = wt_of(g, e);
  return ot;
}

static const char *t_helper(W *w, const char *name, Op op, int ot, const char **arg, int n) {
  WG *g = (WG *)w;
  mark_helper(g, name, (WT)ot);
  Buf b = {0};
  buf_printf(&b, "mlg_%s_%s(%s", name, wt_sfx[ot], arg[0]);
  for (int i = 1; i < n; i++) buf_printf(&b, ", %s", arg[i]);
  if ((op == OP_SHL || op == OP_SHR) && w->cur) buf_printf(&b, ", %di", dtype_info[w->cur->dt].size * 8);
  buf_puts(&b, ")");
  return buf_take(g->a, &b, NULL);
}

/* i64/u64 (vec2<u32>): every op a helper of wgsl_lib.wgsl, or the vector's own */
static const char *t_typed_op(W *w, Op op, int t, const char **a) {
  WG *g = (WG *)w;
  if (!wide((WT)t)) return NULL;
  static const char *const name[OP_COUNT] = {
      [OP_ADD] = "add", [OP_SUB] = "sub", [OP_MUL] = "mul", [OP_NEG] = "neg", [OP_DIV] = "div",
      [OP_MOD] = "mod", [OP_FMOD] = "fmod", [OP_POW] = "pow", [OP_MAX] = "max", [OP_MIN] = "min",
      [OP_CMPLT] = "lt", [OP_CMPLE] = "le", [OP_CMPEQ] = "eq", [OP_ABS] = "abs", [OP_SIGN] = "sign",
      [OP_SHL] = "shl", [OP_SHR] = "shr"};
  switch (op) {
  case OP_FLOOR: case OP_CEIL: case OP_ROUND: return a[0];
  case OP_ISNAN: case OP_ISINF: return "false";
  case OP_BITAND: return arena_printf(g->a, "(%s & %s)", a[0], a[1]);
  case OP_BITOR: return arena_printf(g->a, "(%s | %s)", a[0], a[1]);
  case OP_BITXOR: return arena_printf(g->a, "(%s ^ %s)", a[0], a[1]);
  case OP_BITNOT: return arena_printf(g->a, "(~%s)", a[0]);
  case OP_WHERE: return arena_printf(g->a, "select(%s, %s, %s)", a[2], a[1], a[0]);
  case OP_ABS:
    if (t == WT_U64) return a[0];
    break;
  default: break;
  }
  if (!name[op]) {
    char what[64];
    snprintf(what, sizeof what, "%s on %s", op_name[op], wt_sfx[t]);
    wgsl_unsupported(g, what);
    return "vec2<u32>(0u, 0u)";
  }
  mark_helper(g, name[op], (WT)t);
  int n = op_arity[op];
  Buf b = {0};
  buf_printf(&b, "mlg_%s_%s(%s", name[op], wt_sfx[t], a[0]);
  for (int i = 1; i < n; i++) buf_printf(&b, ", %s", a[i]);
  if (op == OP_SHL || op == OP_SHR) buf_puts(&b, ", 64i");
  buf_puts(&b, ")");
  return buf_take(g->a, &b, NULL);
}

static const char *t_result(W *w, const Expr *e, int ot, const char *s, int *t) {
  WG *g = (WG *)w;
  Op op = e->op;
  WT res = op_bool_result(op) ? WT_BOOL : (WT)ot;
  *t = wt_of(g, e);
  char *r = conv(g, (char *)s, res, (WT)*t);
  bool arith = !op_bool_result(op) && op != OP_WHERE && op != OP_MAX && op != OP_MIN;
  return arith ? wrap(g, r, e->dt) : r;
}

static void t_placeholder(W *w, Buf *b, char c, int t) {
  (void)w;
  if (c == 'T') buf_puts(b, wt_name[t]);
  else if (c == 'N') buf_puts(b, wt_sfx[t]);
  else if (c == 'U') buf_puts(b, wide((WT)t) ? "vec2<u32>" : "u32");
  else if (c == 'B') buf_puts(b, "32");
}

static int t_var_type(W *w, int v) { return w->vuint[v] ? WT_U32 : WT_I32; }

static int t_local_type(W *w, int slot) {
  WG *g = (WG *)w;
  const Local *l = &w->n->locals[slot];
  switch (l->kind) {
  case LV_BEST: return l->dt == DT_BOOL ? WT_I32 : dt_wt(g, l->dt); /* compared with > */
  case LV_WORD: return WT_U32;
  default: return dt_wt(g, l->dt);
  }
}

static void t_decl(W *w, int kind, int t, const char *name, const char *init, long long n) {
  WG *g = (WG *)w;
  if (kind == DECL_ARRAY) w_line(w, "var %s: array<%s, %lld>;", name, wt_name[t], n);
  else w_line(w, "%s %s: %s = %s;", kind == DECL_LET ? "let" : "var", name, wt_name[t], init ? init : lit_int(g, 0, (WT)t));
}

/* --------------------------------------------------------------- kernels */
/* the bits a stored 8/16-bit value contributes to its word */
static char *store_bits(WG *g, char *v, WT vt, DType dt) {
  switch (dt) {
  case DT_F16: mark_helper(g, "f2h", WT_F32); return arena_printf(g->a, "mlg_f2h(%s)", conv(g, v, vt, WT_F32));
  case DT_BF16: mark_helper(g, "f2bf", WT_F32); return arena_printf(g->a, "mlg_f2bf(%s)", conv(g, v, vt, WT_F32));
  default:
    return arena_printf(g->a, "(%s & %s)", conv(g, v, vt, WT_U32), dtype_info[dt].size == 1 ? "0xffu" : "0xffffu");
  }
}

static void t_store(W *w, const Stmt *s, const char *v, int vt) {
  WG *g = (WG *)w;
  const Value *o = s->buf;
  const char *n = wgsl_use(g, o);
  if (s->slot >= 0 && !s->arg) { /* the packed word, whole */
    w_line(w, "%s_word(%s, word);", n, w_as(w, s->idx, WT_I32));
  } else if (s->slot >= 0) {
    int bits = dtype_info[o->dt].size * 8;
    w_line(w, "word |= %s << u32(%d * %s);", store_bits(g, (char *)v, (WT)vt, o->dt), bits, w_as(w, s->arg, WT_I32));
  } else {
    w_line(w, "%s_set(%s, %s);", n, w_as(w, s->idx, WT_I32), conv(g, (char *)v, (WT)vt, dt_wt(g, o->dt)));
  }
}

static void t_loop(W *w, const Stmt *l) {
  WG *g = (WG *)w;
  const char *v = w_var(w, l->var);
  int wg = g->k->sched.wg > 0 ? g->k->sched.wg : 64;
  long long hi = (long long)l->hi;
  if (l->lk == LK_GPU_GLOBAL && l->n && l->s[0]->kind == ST_LOOP && l->s[0]->lk == LK_GPU_LOCAL) { /* over groups */
    w_line(w, "for (var %s: u32 = wid.y * nwg.x + wid.x; %s < %lldu; %s += nwg.x * nwg.y) {", v, v, hi, v);
  } else if (l->lk == LK_GPU_LOCAL) { /* one iteration per thread of the group */
    w_line(w, "for (var %s: u32 = lid.x; %s < %lldu; %s += %du) {", v, v, hi, v, wg);
  } else if (l->lk == LK_GPU_GLOBAL) { /* a grid-stride loop: any 1-D or 2-D dispatch covers it */
    w_line(w, "let stride = nwg.x * nwg.y * %du;", wg);
    w_line(w, "for (var %s: u32 = gid.y * nwg.x * %du + gid.x; %s < %lldu; %s += stride) {", v, wg, v, hi, v);
  } else {
    w_line(w, "for (var %s: i32 = %s; %s < %s; %s++) {", v, lit_int(g, l->lo, WT_I32), v, lit_int(g, l->hi, WT_I32), v);
  }
}

const Target wgsl_target = {
    .name = "webgpu",
    .ops = tmpl,
    .base = gpu_ops,
    .bool_t = WT_BOOL,
    .index_t = WT_I32,
    .type_of = t_type_of,
    .cls = t_cls,
    .type_name = t_type_name,
    .conv = t_conv,
    .lit = t_lit,
    .load = t_load,
    .cast = t_cast,
    .operand_type = t_operand_type,
    .special = NULL,
    .helper = t_helper,
    .result = t_result,
    .placeholder = t_placeholder,
    .var_type = t_var_type,
    .local_type = t_local_type,
    .loop = t_loop,
    .store = t_store,
    .elem = NULL,
    .def_kw = "",
    .decl = t_decl,
    .typed_op = t_typed_op,
};
