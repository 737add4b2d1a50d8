/* llvm.c: native objects through LLVM-C, as a target of the walker
 * (codegen/render.c) that builds IR instead of text.
 *
 * The walker walks the same loop nests as for C and hands this file every
 * statement (IrHooks: loops, guards, locals, stores) and every expression
 * piece (literals, loads, casts, ops); the `const char *` values it passes
 * around are LLVMValueRefs here (V/S below). Variables and locals are
 * allocas in the entry block, which the O3 pipeline promotes to registers.
 * Each kernel is an internal function with noalias pointers (C's restrict);
 * `<name>_run`, `<name>_run_generic` and the descriptor tables are built in
 * IR to the ABI of the C target's <name>.h (c_api.c writes that header, the
 * same bytes as for C). Weights are private constant globals initialized
 * from their bytes (a read-only data section), never through text. The
 * module is verified, optimized with LLVMRunPasses("default<O3>") for the
 * target machine and emitted as one ELF object: deterministic, as nothing
 * in it depends on time, path or host (but the "host" machine's CPU).
 *
 * Semantics follow the C target's templates and helpers exactly (wrapping
 * integers, ONNX division and modulo, NaN-propagating max/min, saturating
 * float -> int through double, f16/bf16 rounding). Refused, with
 * "unsupported on llvm: ...": string tensors and a big-endian machine.
 * docs/llvm.md has the targets and the rest.
 */
#include "llvm.h"
#include "c_target.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "render.h"

/* the walker's values are LLVMValueRefs in this target */
#define V(s) ((LLVMValueRef)(void *)(uintptr_t)(s))
#define S(v) ((const char *)(void *)(v))

typedef struct {
  LLVMBasicBlockRef cond, end;
  LLVMValueRef var; /* loops: the variable's alloca */
} Frame;

typedef struct {
  W w; /* first: the hooks get &l->w */
  LLVMContextRef cx;
  LLVMModuleRef m;
  LLVMBuilderRef b, eb; /* eb: allocas, at the end of the entry block */
  LLVMTargetDataRef td;
  LLVMValueRef fn;
  LLVMBasicBlockRef allocas;
  LLVMValueRef *vars, *locs; /* by nest variable / local: its alloca */
  LLVMTypeRef *loct;         /* by local: the alloca's type */
  LLVMValueRef *ptr;         /* by value id: the buffer in the current function */
  LLVMValueRef *glob;        /* by value id: a constant's global */
  Frame fr[256];
  int nfr;
  DType idx; /* loop variables and flat indices: i32 when every size fits */
  bool vfp;  /* hard-float ARM: libm called with the VFP convention, by name */
  int nglob;
} L;

static LLVMValueRef dummy(L *l) { return LLVMConstInt(LLVMInt32TypeInContext(l->cx), 0, 0); }
#define GUARD(w) \
  if ((w)->err) return S(dummy((L *)(w)))

static bool isf(int t) { return dtype_info[t].is_float; }
static bool isu(int t) { return t == DT_U8 || t == DT_U16 || t == DT_U32 || t == DT_U64 || t == DT_BOOL; }

/* the register type of a dtype (f16/bf16 are computed in float, as in C) */
static LLVMTypeRef ty(L *l, int t) {
  switch (t) {
  case DT_F16: case DT_BF16: case DT_F32: return LLVMFloatTypeInContext(l->cx);
  case DT_F64: return LLVMDoubleTypeInContext(l->cx);
  case DT_BOOL: return LLVMInt1TypeInContext(l->cx);
  case DT_I8: case DT_U8: return LLVMInt8TypeInContext(l->cx);
  case DT_I16: case DT_U16: return LLVMInt16TypeInContext(l->cx);
  case DT_I32: case DT_U32: return LLVMInt32TypeInContext(l->cx);
  default: return LLVMInt64TypeInContext(l->cx);
  }
}

/* ... and in memory */
static LLVMTypeRef mty(L *l, int t) {
  if (t == DT_BOOL) return LLVMInt8TypeInContext(l->cx);
  if (t == DT_F16 || t == DT_BF16) return LLVMInt16TypeInContext(l->cx);
  return ty(l, t);
}

static LLVMValueRef call(L *l, const char *name, LLVMTypeRef rt, LLVMValueRef *args, int n) {
  LLVMTypeRef ps[3];
  for (int i = 0; i < n; i++) ps[i] = LLVMTypeOf(args[i]);
  LLVMTypeRef ft = LLVMFunctionType(rt, ps, (unsigned)n, 0);
  LLVMValueRef f = LLVMGetNamedFunction(l->m, name);
  if (!f) f = LLVMAddFunction(l->m, name, ft);
  LLVMValueRef c = LLVMBuildCall2(l->b, ft, f, args, (unsigned)n, "");
  if (l->vfp) { /* LLVM-C leaves the float ABI soft: floats go in s0/d0 only when the call says so */
    LLVMSetFunctionCallConv(f, LLVMARMAAPCSVFPCallConv);
    LLVMSetInstructionCallConv(c, LLVMARMAAPCSVFPCallConv);
  }
  return c;
}

/* an overloaded intrinsic on the types of its arguments (or `over`) */
static LLVMValueRef intrin(L *l, const char *name, LLVMTypeRef *over, int nover, LLVMValueRef *args, int n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef ot[2] = {n ? LLVMTypeOf(args[0]) : NULL, NULL};
  if (!over) over = ot, nover = 1;
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(l->m, id, over, (size_t)nover);
  return LLVMBuildCall2(l->b, LLVMGlobalGetValueType(f), f, args, (unsigned)n, "");
}

/* floor, ceil, nearbyint, sqrt: an intrinsic, which becomes an instruction
 * where the machine has one, but a libm call by name on hard-float ARM,
 * where LLVM would call libm with the soft-float convention */
static LLVMValueRef rounding(L *l, const char *intrinsic, const char *fn, LLVMValueRef a, bool d64) {
  LLVMValueRef r;
  if (l->vfp && (d64 || strcmp(fn, "sqrt"))) r = call(l, d64 ? fn : arena_printf(l->w.a, "%sf", fn), LLVMTypeOf(a), &a, 1);
  else r = intrin(l, intrinsic, NULL, 0, &a, 1);
  return r;
}

static LLVMValueRef to_bool(L *l, LLVMValueRef v, int from) {
  if (isf(from)) return LLVMBuildFCmp(l->b, LLVMRealUNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
  if (LLVMTypeOf(v) == LLVMInt1TypeInContext(l->cx)) return v;
  return LLVMBuildICmp(l->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
}

/* v of type from as type to, as C converts implicitly */
static LLVMValueRef convert(L *l, LLVMValueRef v, int from, int to) {
  LLVMTypeRef tt = ty(l, to), ft = LLVMTypeOf(v);
  if (to == DT_BOOL) return to_bool(l, v, from);
  if (isf(to)) {
    if (ft == tt) return v;
    if (isf(from)) return LLVMBuildFPCast(l->b, v, tt, "");
    return isu(from) ? LLVMBuildUIToFP(l->b, v, tt, "") : LLVMBuildSIToFP(l->b, v, tt, "");
  }
  if (isf(from)) return isu(to) ? LLVMBuildFPToUI(l->b, v, tt, "") : LLVMBuildFPToSI(l->b, v, tt, "");
  if (ft == tt) return v;
  unsigned fw = LLVMGetIntTypeWidth(ft), tw = LLVMGetIntTypeWidth(tt);
  if (fw > tw) return LLVMBuildTrunc(l->b, v, tt, "");
  return isu(from) ? LLVMBuildZExt(l->b, v, tt, "") : LLVMBuildSExt(l->b, v, tt, "");
}

/* ---------------------------------------------------------- target hooks */
static int l_type_of(W *w, const Expr *e) { (void)w; return e->dt; }
static int l_cls(int t) { return t == DT_BOOL ? CL_B : isf(t) ? CL_F : isu(t) ? CL_U : CL_S; }
static const char *l_type_name(W *w, int t) { (void)w; return dtype_info[t].name; }

static const char *l_conv(W *w, const char *s, int from, int to) {
  GUARD(w);
  return S(convert((L *)w, V(s), from, to));
}

static const char *l_lit(W *w, const Expr *e, int want) {
  L *l = (L *)w;
  LLVMTypeRef t = ty(l, want);
  if (isf(want)) {
    double v = isf(e->dt) ? e->f : e->dt == DT_U64 ? (double)(uint64_t)e->i : (double)e->i;
    return S(LLVMConstReal(t, v));
  }
  if (want == DT_BOOL) return S(LLVMConstInt(t, isf(e->dt) ? e->f != 0 : e->i != 0, 0));
  int64_t v = isf(e->dt) ? (int64_t)e->f : e->i;
  return S(LLVMConstInt(t, (unsigned long long)v, 1));
}

static LLVMValueRef glob_of(L *l, const Value *v) {
  if (l->glob[v->id]) return l->glob[v->id];
  int64_t n = shape_numel(v->rank, v->shape), size = dtype_info[v->dt].size, bytes = (n ? n : 1) * size;
  LLVMValueRef init;
  if (n && v->cdata) {
    init = LLVMConstStringInContext2(l->cx, (const char *)v->cdata, (size_t)bytes, 1);
  } else {
    LLVMTypeRef at = LLVMArrayType2(LLVMInt8TypeInContext(l->cx), (uint64_t)bytes);
    init = LLVMConstNull(at);
  }
  LLVMValueRef g = LLVMAddGlobal(l->m, LLVMTypeOf(init), arena_printf(l->w.a, "w%d", l->nglob++));
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(g, bytes >= 16 ? 16 : (unsigned)size);
  return l->glob[v->id] = g;
}

static LLVMValueRef buf_ptr(L *l, const Value *v) {
  return v->kind == VK_CONST ? glob_of(l, v) : l->ptr[v->id];
}

static LLVMValueRef elem_ptr(L *l, const Value *buf, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(l->b, mty(l, buf->dt), buf_ptr(l, buf), &idx, 1, "");
}

static bool refuse_dt(W *w, DType dt) {
  if (dt == DT_STRING) {
    w_refuse(w, "string tensors");
    return true;
  }
  return false;
}

/* f16/bf16 <-> float, bit for bit C's mlg_h2f mlg_f2h mlg_bf2f mlg_f2bf
 * (templates/c_helpers.c), without branches */
#define I32(v) LLVMConstInt(i32, (unsigned long long)(v), 0)
static LLVMValueRef ir_h2f(L *l, LLVMValueRef h, bool bf) {
  LLVMBuilderRef b = l->b;
  LLVMTypeRef i32 = LLVMInt32TypeInContext(l->cx), f32 = LLVMFloatTypeInContext(l->cx);
  LLVMValueRef x = LLVMBuildZExt(b, h, i32, "");
  if (bf) return LLVMBuildBitCast(b, LLVMBuildShl(b, x, I32(16), ""), f32, "");
  LLVMValueRef s = LLVMBuildShl(b, LLVMBuildLShr(b, x, I32(15), ""), I32(31), "");
  LLVMValueRef e = LLVMBuildAnd(b, LLVMBuildLShr(b, x, I32(10), ""), I32(31), ""), m = LLVMBuildAnd(b, x, I32(1023), "");
  LLVMValueRef sub = LLVMBuildFMul(b, LLVMBuildUIToFP(b, m, f32, ""), LLVMConstReal(f32, 1.0 / 16777216.0), "");
  sub = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntNE, s, I32(0), ""), LLVMBuildFNeg(b, sub, ""), sub, "");
  LLVMValueRef m13 = LLVMBuildShl(b, m, I32(13), "");
  LLVMValueRef inf = LLVMBuildOr(b, LLVMBuildOr(b, s, I32(0x7f800000u), ""), m13, "");
  LLVMValueRef nrm = LLVMBuildOr(b, LLVMBuildOr(b, s, LLVMBuildShl(b, LLVMBuildAdd(b, e, I32(112), ""), I32(23), ""), ""), m13, "");
  LLVMValueRef bits = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, I32(31), ""), inf, nrm, "");
  return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, I32(0), ""), sub, LLVMBuildBitCast(b, bits, f32, ""), "");
}

/* round half to even: h + (rem > half || (rem == half && (h & 1))) */
static LLVMValueRef round_even(L *l, LLVMValueRef h, LLVMValueRef rem, LLVMValueRef half) {
  LLVMBuilderRef b = l->b;
  LLVMTypeRef i32 = LLVMInt32TypeInContext(l->cx);
  LLVMValueRef odd = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, h, I32(1), ""), I32(0), "");
  LLVMValueRef up = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntUGT, rem, half, ""),
                                LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntEQ, rem, half, ""), odd, ""), "");
  return LLVMBuildAdd(b, h, LLVMBuildZExt(b, up, i32, ""), "");
}

static LLVMValueRef ir_f2h(L *l, LLVMValueRef f, bool bf) {
  LLVMBuilderRef b = l->b;
  LLVMTypeRef i32 = LLVMInt32TypeInContext(l->cx), i16 = LLVMInt16TypeInContext(l->cx);
  LLVMValueRef x = LLVMBuildBitCast(b, f, i32, ""), r;
  if (bf) {
    LLVMValueRef nan = LLVMBuildICmp(b, LLVMIntUGT, LLVMBuildAnd(b, x, I32(0x7fffffffu), ""), I32(0x7f800000u), "");
    LLVMValueRef q = LLVMBuildOr(b, LLVMBuildLShr(b, x, I32(16), ""), I32(0x40), "");
    LLVMValueRef odd = LLVMBuildAnd(b, LLVMBuildLShr(b, x, I32(16), ""), I32(1), "");
    LLVMValueRef rn = LLVMBuildLShr(b, LLVMBuildAdd(b, LLVMBuildAdd(b, x, I32(0x7fff), ""), odd, ""), I32(16), "");
    return LLVMBuildTrunc(b, LLVMBuildSelect(b, nan, q, rn, ""), i16, "");
  }
  LLVMValueRef s = LLVMBuildAnd(b, LLVMBuildLShr(b, x, I32(16), ""), I32(0x8000), "");
  LLVMValueRef e = LLVMBuildAnd(b, LLVMBuildLShr(b, x, I32(23), ""), I32(255), ""), m = LLVMBuildAnd(b, x, I32(0x7fffff), "");
  LLVMValueRef ex = LLVMBuildSub(b, e, I32(112), "");
  /* e == 255: inf, or a quiet NaN */
  LLVMValueRef nan = LLVMBuildOr(b, LLVMBuildOr(b, s, I32(0x7c00), ""),
                                 LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntNE, m, I32(0), ""), I32(0x200), I32(0), ""), "");
  LLVMValueRef inf = LLVMBuildOr(b, s, I32(0x7c00), "");
  /* ex <= 0: subnormal, shifted by 14 - ex (clamped: the result is s past 24) */
  LLVMValueRef sh = LLVMBuildSub(b, I32(14), ex, "");
  sh = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, sh, I32(25), ""), I32(25), sh, "");
  sh = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, sh, I32(1), ""), I32(1), sh, "");
  LLVMValueRef mm = LLVMBuildOr(b, m, I32(0x800000), "");
  LLVMValueRef one = LLVMBuildShl(b, I32(1), sh, "");
  LLVMValueRef hs = round_even(l, LLVMBuildLShr(b, mm, sh, ""), LLVMBuildAnd(b, mm, LLVMBuildSub(b, one, I32(1), ""), ""),
                               LLVMBuildLShr(b, one, I32(1), ""));
  LLVMValueRef subn = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, ex, I32((unsigned)-10), ""), s,
                                      LLVMBuildOr(b, s, hs, ""), "");
  LLVMValueRef hn = round_even(l, LLVMBuildOr(b, LLVMBuildShl(b, ex, I32(10), ""), LLVMBuildLShr(b, m, I32(13), ""), ""),
                               LLVMBuildAnd(b, m, I32(0x1fff), ""), I32(0x1000));
  r = LLVMBuildOr(b, s, hn, "");
  r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLE, ex, I32(0), ""), subn, r, "");
  r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGE, ex, I32(31), ""), inf, r, "");
  r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, I32(255), ""), nan, r, "");
  return LLVMBuildTrunc(b, r, i16, "");
}
#undef I32

static LLVMValueRef load_elem(L *l, const Value *buf, LLVMValueRef idx) {
  LLVMValueRef v = LLVMBuildLoad2(l->b, mty(l, buf->dt), elem_ptr(l, buf, idx), "");
  if (buf->dt == DT_F16 || buf->dt == DT_BF16) return ir_h2f(l, v, buf->dt == DT_BF16);
  return buf->dt == DT_BOOL ? to_bool(l, v, DT_U8) : v;
}

static const char *l_load(W *w, const Expr *e, int *t) {
  L *l = (L *)w;
  *t = e->buf->dt;
  if (refuse_dt(w, e->buf->dt)) return S(dummy(l));
  const char *i = w_as(w, ex_flat(w->a, e->buf, e->idx), l->idx);
  GUARD(w);
  return S(load_elem(l, e->buf, V(i)));
}

static const char *l_elem_get(W *w, const Stmt *s, int *t) {
  L *l = (L *)w;
  *t = s->buf->dt;
  if (refuse_dt(w, s->buf->dt)) return S(dummy(l));
  const char *i = w_as(w, s->idx, l->idx);
  GUARD(w);
  return S(load_elem(l, s->buf, V(i)));
}

static void l_store(W *w, const Stmt *s, const char *val, int t) {
  L *l = (L *)w;
  if (refuse_dt(w, s->buf->dt)) return;
  const char *i = w_as(w, s->idx, l->idx);
  if (w->err) return;
  LLVMValueRef v = convert(l, V(val), t, s->buf->dt);
  if (s->buf->dt == DT_BOOL) v = LLVMBuildZExt(l->b, v, mty(l, DT_BOOL), "");
  if (s->buf->dt == DT_F16 || s->buf->dt == DT_BF16) v = ir_f2h(l, v, s->buf->dt == DT_BF16);
  LLVMBuildStore(l->b, v, elem_ptr(l, s->buf, V(i)));
}

static const char *l_cast(W *w, const Expr *e, int *t) {
  L *l = (L *)w;
  DType to = e->dt, from = e->a[0]->dt;
  *t = to;
  if (refuse_dt(w, to) || refuse_dt(w, from)) return S(dummy(l));
  const char *xs = w_as(w, e->a[0], from);
  GUARD(w);
  LLVMValueRef x = V(xs);
  if (e->op == OP_BITCAST) return S(LLVMBuildBitCast(l->b, x, ty(l, to), "")); /* same width (ops.def) */
  if (to == DT_F16 || to == DT_BF16) { /* rounded to the half type, computed in float */
    x = convert(l, x, from, DT_F32);
    return S(ir_h2f(l, ir_f2h(l, x, to == DT_BF16), to == DT_BF16));
  }
  if (to == DT_BOOL || isf(to) || !isf(from)) return S(convert(l, x, from, to));
  /* float -> integer saturates through double (C's mlg_f2i / mlg_f2u) */
  LLVMTypeRef d = LLVMDoubleTypeInContext(l->cx), i64 = LLVMInt64TypeInContext(l->cx);
  if (from != DT_F64) x = LLVMBuildFPExt(l->b, x, d, "");
  LLVMTypeRef ov[2] = {i64, d};
  LLVMValueRef si = intrin(l, "llvm.fptosi.sat", ov, 2, &x, 1);
  if (to == DT_U64) {
    LLVMValueRef ui = intrin(l, "llvm.fptoui.sat", ov, 2, &x, 1);
    LLVMValueRef big = LLVMBuildFCmp(l->b, LLVMRealOGE, x, LLVMConstReal(d, 9223372036854775808.0), "");
    return S(LLVMBuildSelect(l->b, big, ui, si, ""));
  }
  return S(convert(l, si, DT_I64, to));
}

/* an i64 expression of the loop variables and constants alone whose value
 * and operands' fit 32 bits (their ranges are exact there) */
static bool fits32(const Expr *e) { return e->lo >= INT32_MIN && e->hi <= INT32_MAX; }
static bool index32(const Expr *e, int depth) {
  if (depth > 12 || !fits32(e)) return false;
  if (e->kind == E_VAR || e->kind == E_CONST) return true;
  if (e->kind != E_ALU || e->dt != DT_I64) return false;
  if (e->op != OP_ADD && e->op != OP_SUB && e->op != OP_MUL && e->op != OP_DIV && e->op != OP_MOD) return false;
  if ((e->op == OP_DIV || e->op == OP_MOD) && (e->a[0]->lo < 0 || e->a[1]->kind != E_CONST || e->a[1]->i <= 0))
    return false;
  return index32(e->a[0], depth + 1) && index32(e->a[1], depth + 1);
}

static int l_operand_type(W *w, const Expr *e) {
  L *l = (L *)w;
  DType dt = e->a[e->op == OP_WHERE ? 1 : 0]->dt;
  if (dt == DT_I64 && l->idx == DT_I32 && index32(e, 0)) return DT_I32;
  return dt;
}

static const char *l_helper(W *w, const char *name, Op op, int t, const char **args, int nargs) {
  (void)name, (void)args, (void)nargs;
  w_refuse(w, "%s on %s", op_name[op], dtype_info[t].name);
  return S(dummy((L *)w));
}

static const char *l_result(W *w, const Expr *e, int ot, const char *s, int *t) {
  L *l = (L *)w;
  GUARD(w);
  LLVMValueRef v = V(s);
  *t = e->dt;
  if (LLVMTypeOf(v) == LLVMInt1TypeInContext(l->cx) && e->dt != DT_BOOL)
    return S(LLVMBuildZExt(l->b, v, ty(l, e->dt), ""));
  if (LLVMTypeOf(v) != ty(l, e->dt)) *t = ot; /* narrowed index arithmetic */
  return s;
}

static void l_placeholder(W *w, Buf *b, char c, int t) { (void)w, (void)b, (void)c, (void)t; }
static int l_var_type(W *w, int v) { (void)v; return ((L *)w)->idx; }
static int l_local_type(W *w, int slot) { return w->n->locals[slot].dt; }

/* integer pow by squaring, as mlg_pow / mlg_upow: a loop of its own blocks;
 * a negative exponent gives 1 for a == 1, +-1 for a == -1, else 0 */
static LLVMValueRef int_pow(L *l, LLVMValueRef a, LLVMValueRef e, bool u) {
  LLVMBuilderRef b = l->b;
  LLVMTypeRef T = LLVMTypeOf(a);
  LLVMValueRef zero = LLVMConstNull(T), one = LLVMConstInt(T, 1, 0), neg = NULL, nv = NULL;
  if (!u) {
    LLVMValueRef oddexp = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, e, one, ""), zero, "");
    LLVMValueRef m1 = LLVMBuildSelect(b, oddexp, LLVMConstAllOnes(T), one, "");
    nv = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, a, one, ""), one,
                         LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, a, LLVMConstAllOnes(T), ""), m1, zero, ""), "");
    neg = LLVMBuildICmp(b, LLVMIntSLT, e, zero, "");
    e = LLVMBuildSelect(b, neg, zero, e, "");
  }
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(l->cx, l->fn, "pow");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(l->cx, l->fn, "pow.step");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(l->cx, l->fn, "pow.done");
  LLVMBuildBr(b, loop);
  LLVMPositionBuilderAtEnd(b, loop);
  LLVMValueRef r = LLVMBuildPhi(b, T, ""), x = LLVMBuildPhi(b, T, ""), k = LLVMBuildPhi(b, T, "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, k, zero, ""), body, done);
  LLVMPositionBuilderAtEnd(b, body);
  LLVMValueRef odd = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, k, one, ""), zero, "");
  LLVMValueRef r2 = LLVMBuildSelect(b, odd, LLVMBuildMul(b, r, x, ""), r, ""), x2 = LLVMBuildMul(b, x, x, "");
  LLVMValueRef k2 = LLVMBuildLShr(b, k, one, "");
  LLVMBuildBr(b, loop);
  LLVMValueRef rv[2] = {one, r2}, xv[2] = {a, x2}, kv[2] = {e, k2};
  LLVMBasicBlockRef from[2] = {pre, body};
  LLVMAddIncoming(r, rv, from, 2);
  LLVMAddIncoming(x, xv, from, 2);
  LLVMAddIncoming(k, kv, from, 2);
  LLVMPositionBuilderAtEnd(b, done);
  return u ? r : LLVMBuildSelect(b, neg, nv, r, "");
}

/* ALU ops, by the dtype of their operands: the C target's templates and
 * helpers (c.c, templates/c_helpers.c) as instructions. NULL: refused. */
static const char *l_typed_op(W *w, Op op, int t, const char **as) {
  L *l = (L *)w;
  GUARD(w);
  LLVMBuilderRef b = l->b;
  LLVMValueRef a = V(as[0]), c = op_arity[op] > 1 ? V(as[1]) : NULL, r = NULL;
  LLVMTypeRef T = ty(l, t);
  LLVMValueRef zero = LLVMConstNull(T), one = isf(t) ? LLVMConstReal(T, 1) : LLVMConstInt(T, 1, 0);
  bool f = isf(t), u = isu(t), d64 = t == DT_F64;
  if (t == DT_STRING) return NULL;
  if (f) {
    static const struct { Op op; const char *fn; } libm[] = {
        {OP_EXP, "exp"}, {OP_LOG, "log"}, {OP_ERF, "erf"}, {OP_TANH, "tanh"}, {OP_SIN, "sin"}, {OP_COS, "cos"},
        {OP_TAN, "tan"}, {OP_ASIN, "asin"}, {OP_ACOS, "acos"}, {OP_ATAN, "atan"}, {OP_SINH, "sinh"},
        {OP_COSH, "cosh"}, {OP_ASINH, "asinh"}, {OP_ACOSH, "acosh"}, {OP_ATANH, "atanh"}, {OP_POW, "pow"},
        {OP_FMOD, "fmod"}};
    for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++)
      if (libm[i].op == op) {
        LLVMValueRef args[2] = {a, c};
        return S(call(l, arena_printf(w->a, "%s%s", libm[i].fn, d64 ? "" : "f"), T, args, c ? 2 : 1));
      }
  }
  LLVMValueRef nz;
  switch (op) {
  case OP_NEG: r = f ? LLVMBuildFNeg(b, a, "") : LLVMBuildNeg(b, a, ""); break;
  case OP_ABS:
    if (f) r = intrin(l, "llvm.fabs", NULL, 0, &a, 1);
    else if (u) r = a;
    else r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, a, zero, ""), LLVMBuildNeg(b, a, ""), a, "");
    break;
  case OP_SQRT: if (f) r = rounding(l, "llvm.sqrt", "sqrt", a, d64); break;
  case OP_RECIP: if (f) r = LLVMBuildFDiv(b, one, a, ""); break;
  case OP_FLOOR: r = f ? rounding(l, "llvm.floor", "floor", a, d64) : a; break;
  case OP_CEIL: r = f ? rounding(l, "llvm.ceil", "ceil", a, d64) : a; break;
  case OP_ROUND: r = f ? rounding(l, "llvm.nearbyint", "nearbyint", a, d64) : a; break;
  case OP_SIGN:
    if (f) {
      LLVMValueRef neg = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, a, zero, ""), LLVMConstReal(T, -1), a, "");
      r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, a, zero, ""), one, neg, "");
    } else if (u) {
      r = LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntNE, a, zero, ""), T, "");
    } else {
      r = LLVMBuildSub(b, LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSGT, a, zero, ""), T, ""),
                       LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntSLT, a, zero, ""), T, ""), "");
    }
    break;
  case OP_NOT: if (!f) r = LLVMBuildICmp(b, LLVMIntEQ, a, zero, ""); break;
  case OP_BITNOT: if (!f && t != DT_BOOL) r = LLVMBuildNot(b, a, ""); break;
  case OP_ISNAN: r = f ? LLVMBuildFCmp(b, LLVMRealUNO, a, a, "") : LLVMConstInt(LLVMInt1TypeInContext(l->cx), 0, 0); break;
  case OP_ISINF:
    r = f ? LLVMBuildFCmp(b, LLVMRealOEQ, intrin(l, "llvm.fabs", NULL, 0, &a, 1), LLVMConstReal(T, HUGE_VAL), "")
          : LLVMConstInt(LLVMInt1TypeInContext(l->cx), 0, 0);
    break;
  case OP_ADD: r = f ? LLVMBuildFAdd(b, a, c, "") : LLVMBuildAdd(b, a, c, ""); break;
  case OP_SUB: r = f ? LLVMBuildFSub(b, a, c, "") : LLVMBuildSub(b, a, c, ""); break;
  case OP_MUL: r = f ? LLVMBuildFMul(b, a, c, "") : LLVMBuildMul(b, a, c, ""); break;
  case OP_DIV:
  case OP_MOD:
  case OP_FMOD: {
    if (f && op == OP_DIV) {
      r = LLVMBuildFDiv(b, a, c, "");
      break;
    }
    if (f) { /* MOD: fmod, then the sign of the divisor (mlg_mod_f*) */
      LLVMValueRef args[2] = {a, c};
      LLVMValueRef m = call(l, d64 ? "fmod" : "fmodf", T, args, 2);
      LLVMValueRef fix = LLVMBuildAnd(b, LLVMBuildFCmp(b, LLVMRealUNE, m, zero, ""),
                                      LLVMBuildXor(b, LLVMBuildFCmp(b, LLVMRealOLT, m, zero, ""),
                                                   LLVMBuildFCmp(b, LLVMRealOLT, c, zero, ""), ""), "");
      m = LLVMBuildSelect(b, fix, LLVMBuildFAdd(b, m, c, ""), m, "");
      LLVMValueRef cs[2] = {m, c};
      r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, m, zero, ""), intrin(l, "llvm.copysign", NULL, 0, cs, 2),
                          m, "");
      break;
    }
    if (t == DT_BOOL) break;
    /* integers: a divisor of 0 (and -1, signed) never reaches the instruction */
    LLVMValueRef z = LLVMBuildICmp(b, LLVMIntEQ, c, zero, "");
    LLVMValueRef m1 = u ? LLVMConstInt(LLVMInt1TypeInContext(l->cx), 0, 0)
                        : LLVMBuildICmp(b, LLVMIntEQ, c, LLVMConstAllOnes(T), "");
    LLVMValueRef bad = LLVMBuildOr(b, z, m1, ""), safe = LLVMBuildSelect(b, bad, one, c, "");
    if (op == OP_DIV) {
      LLVMValueRef q = u ? LLVMBuildUDiv(b, a, safe, "") : LLVMBuildSDiv(b, a, safe, "");
      r = LLVMBuildSelect(b, z, zero, LLVMBuildSelect(b, m1, LLVMBuildNeg(b, a, ""), q, ""), "");
      break;
    }
    LLVMValueRef rem = u ? LLVMBuildURem(b, a, safe, "") : LLVMBuildSRem(b, a, safe, "");
    if (op == OP_MOD && !u) {
      LLVMValueRef fix = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntNE, rem, zero, ""),
                                      LLVMBuildXor(b, LLVMBuildICmp(b, LLVMIntSLT, rem, zero, ""),
                                                   LLVMBuildICmp(b, LLVMIntSLT, c, zero, ""), ""), "");
      rem = LLVMBuildSelect(b, fix, LLVMBuildAdd(b, rem, c, ""), rem, "");
    }
    r = LLVMBuildSelect(b, bad, zero, rem, "");
    break;
  }
  case OP_MAX:
  case OP_MIN:
    if (f) { /* (a > b || a != a) ? a : b */
      nz = LLVMBuildFCmp(b, op == OP_MAX ? LLVMRealOGT : LLVMRealOLT, a, c, "");
      r = LLVMBuildSelect(b, LLVMBuildOr(b, nz, LLVMBuildFCmp(b, LLVMRealUNO, a, a, ""), ""), a, c, "");
    } else {
      LLVMIntPredicate p = op == OP_MAX ? (u ? LLVMIntUGT : LLVMIntSGT) : (u ? LLVMIntULT : LLVMIntSLT);
      r = LLVMBuildSelect(b, LLVMBuildICmp(b, p, a, c, ""), a, c, "");
    }
    break;
  case OP_CMPLT: case OP_CMPLE: case OP_CMPEQ:
    if (f) {
      LLVMRealPredicate p = op == OP_CMPLT ? LLVMRealOLT : op == OP_CMPLE ? LLVMRealOLE : LLVMRealOEQ;
      r = LLVMBuildFCmp(b, p, a, c, "");
    } else {
      LLVMIntPredicate p = op == OP_CMPLT ? (u ? LLVMIntULT : LLVMIntSLT)
                           : op == OP_CMPLE ? (u ? LLVMIntULE : LLVMIntSLE) : LLVMIntEQ;
      r = LLVMBuildICmp(b, p, a, c, "");
    }
    break;
  case OP_AND: case OP_OR: case OP_XOR:
    if (f) break;
    a = LLVMBuildICmp(b, LLVMIntNE, a, zero, ""), c = LLVMBuildICmp(b, LLVMIntNE, c, zero, "");
    r = op == OP_AND ? LLVMBuildAnd(b, a, c, "") : op == OP_OR ? LLVMBuildOr(b, a, c, "") : LLVMBuildXor(b, a, c, "");
    break;
  case OP_BITAND: if (!f) r = LLVMBuildAnd(b, a, c, ""); break;
  case OP_BITOR: if (!f) r = LLVMBuildOr(b, a, c, ""); break;
  case OP_BITXOR: if (!f) r = LLVMBuildXor(b, a, c, ""); break;
  case OP_SHL:
  case OP_SHR: {
    if (f || t == DT_BOOL) break;
    /* in the wrap type (at least 32 bits, C's %W), a count >= its width gives 0 */
    unsigned wb = dtype_info[t].size == 8 ? 64 : 32, bits = (unsigned)dtype_info[t].size * 8;
    LLVMTypeRef W = LLVMIntTypeInContext(l->cx, wb);
    LLVMValueRef x = a, n = c;
    if (wb != bits) {
      x = u ? LLVMBuildZExt(b, a, W, "") : LLVMBuildSExt(b, a, W, "");
      n = u ? LLVMBuildZExt(b, c, W, "") : LLVMBuildSExt(b, c, W, "");
    }
    LLVMValueRef big = LLVMBuildICmp(b, LLVMIntUGE, n, LLVMConstInt(W, bits, 0), "");
    LLVMValueRef sn = LLVMBuildSelect(b, big, LLVMConstNull(W), n, "");
    LLVMValueRef s = op == OP_SHL ? LLVMBuildShl(b, x, sn, "") : LLVMBuildLShr(b, x, sn, "");
    r = LLVMBuildSelect(b, big, zero, wb == bits ? s : LLVMBuildTrunc(b, s, T, ""), "");
    break;
  }
  case OP_POW: if (!f && t != DT_BOOL) r = int_pow(l, a, c, u); break;
  case OP_WHERE: r = LLVMBuildSelect(b, a, c, V(as[2]), ""); break;
  default: break;
  }
  return r ? S(r) : NULL;
}

/* --------------------------------------------------------- statements */
static LLVMValueRef entry_alloca(L *l, LLVMTypeRef t) { return LLVMBuildAlloca(l->eb, t, ""); }

static LLVMValueRef var_slot(L *l, int var) {
  if (!l->vars[var]) l->vars[var] = entry_alloca(l, ty(l, l->idx));
  return l->vars[var];
}

static void l_loop(W *w, const Stmt *s) {
  L *l = (L *)w;
  if (l->nfr == (int)(sizeof l->fr / sizeof l->fr[0])) {
    w_refuse(w, "loops nested this deep");
    return;
  }
  LLVMTypeRef it = ty(l, l->idx);
  LLVMValueRef v = var_slot(l, s->var);
  LLVMBasicBlockRef cond = LLVMAppendBasicBlockInContext(l->cx, l->fn, "loop");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(l->cx, l->fn, "body");
  LLVMBasicBlockRef end = LLVMAppendBasicBlockInContext(l->cx, l->fn, "done");
  LLVMBuildStore(l->b, LLVMConstInt(it, (unsigned long long)s->lo, 1), v);
  LLVMBuildBr(l->b, cond);
  LLVMPositionBuilderAtEnd(l->b, cond);
  LLVMValueRef i = LLVMBuildLoad2(l->b, it, v, "");
  LLVMBuildCondBr(l->b, LLVMBuildICmp(l->b, LLVMIntSLT, i, LLVMConstInt(it, (unsigned long long)s->hi, 1), ""), body,
                  end);
  LLVMPositionBuilderAtEnd(l->b, body);
  l->fr[l->nfr++] = (Frame){cond, end, v};
}

static void l_open(W *w, const Stmt *s, const char *cond) {
  L *l = (L *)w;
  (void)s;
  if (w->err) return;
  if (l->nfr == (int)(sizeof l->fr / sizeof l->fr[0])) {
    w_refuse(w, "guards nested this deep");
    return;
  }
  LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(l->cx, l->fn, "then");
  LLVMBasicBlockRef end = LLVMAppendBasicBlockInContext(l->cx, l->fn, "endif");
  LLVMBuildCondBr(l->b, V(cond), then, end);
  LLVMPositionBuilderAtEnd(l->b, then);
  l->fr[l->nfr++] = (Frame){NULL, end, NULL};
}

static void l_close(W *w, const Stmt *s) {
  L *l = (L *)w;
  (void)s;
  if (w->err || !l->nfr) return;
  Frame f = l->fr[--l->nfr];
  if (f.cond) {
    LLVMTypeRef it = ty(l, l->idx);
    LLVMValueRef i = LLVMBuildLoad2(l->b, it, f.var, "");
    LLVMBuildStore(l->b, LLVMBuildNSWAdd(l->b, i, LLVMConstInt(it, 1, 0), ""), f.var);
    LLVMBuildBr(l->b, f.cond);
  } else {
    LLVMBuildBr(l->b, f.end);
  }
  LLVMPositionBuilderAtEnd(l->b, f.end);
}

static LLVMValueRef local_ptr(L *l, int slot, const char *elem, LLVMTypeRef *et) {
  *et = l->loct[slot];
  if (!elem) return l->locs[slot];
  LLVMValueRef ix[2] = {LLVMConstInt(LLVMInt32TypeInContext(l->cx), 0, 0), V(elem)};
  *et = LLVMGetElementType(l->loct[slot]);
  return LLVMBuildInBoundsGEP2(l->b, l->loct[slot], l->locs[slot], ix, 2, "");
}

static const char *l_get(W *w, int var, int slot, const char *elem, int *t) {
  L *l = (L *)w;
  GUARD(w);
  if (var >= 0) {
    *t = l->idx;
    return S(LLVMBuildLoad2(l->b, ty(l, l->idx), var_slot(l, var), ""));
  }
  LLVMTypeRef et;
  if (!l->locs[slot]) { /* never declared: verify_nest forbids it */
    w_refuse(w, "a local read before it is defined");
    return S(dummy(l));
  }
  LLVMValueRef p = local_ptr(l, slot, elem, &et);
  *t = w->ltype[slot];
  return S(LLVMBuildLoad2(l->b, et, p, ""));
}

static void l_set(W *w, int var, int slot, const char *elem, const char *v, int t) {
  L *l = (L *)w;
  if (w->err) return;
  if (var >= 0) {
    LLVMBuildStore(l->b, convert(l, V(v), t, l->idx), var_slot(l, var));
    return;
  }
  LLVMTypeRef et;
  if (!l->locs[slot]) {
    w_refuse(w, "a local stored before it is declared");
    return;
  }
  LLVMValueRef p = local_ptr(l, slot, elem, &et);
  LLVMBuildStore(l->b, convert(l, V(v), t, w->ltype[slot]), p);
}

static void l_declare(W *w, int slot, int kind, int t, const char *init, long long n) {
  L *l = (L *)w;
  if (w->err) return;
  LLVMTypeRef et = ty(l, t), at = kind == DECL_ARRAY ? LLVMArrayType2(et, (uint64_t)(n > 0 ? n : 1)) : et;
  if (!l->locs[slot] || l->loct[slot] != at) l->locs[slot] = entry_alloca(l, at), l->loct[slot] = at;
  if (kind == DECL_ARRAY) return;
  LLVMBuildStore(l->b, init ? V(init) : LLVMConstNull(et), l->locs[slot]);
}

/* e may be evaluated whether or not it is needed: every load's index is
 * provably in bounds (as c.c's total) */
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

/* a WHERE guarding a load that may be out of bounds: branches, as C's ?: */
static const char *l_where(W *w, const Expr *e, int *t) {
  L *l = (L *)w;
  if (total(e->a[1], 0) && total(e->a[2], 0)) return NULL;
  int ot = l_operand_type(w, e);
  const char *c = w_as(w, e->a[0], DT_BOOL);
  GUARD(w);
  LLVMBasicBlockRef bt = LLVMAppendBasicBlockInContext(l->cx, l->fn, "sel.a");
  LLVMBasicBlockRef bf = LLVMAppendBasicBlockInContext(l->cx, l->fn, "sel.b");
  LLVMBasicBlockRef end = LLVMAppendBasicBlockInContext(l->cx, l->fn, "sel");
  LLVMBuildCondBr(l->b, V(c), bt, bf);
  LLVMPositionBuilderAtEnd(l->b, bt);
  const char *x = w_as(w, e->a[1], ot);
  GUARD(w);
  LLVMBasicBlockRef xb = LLVMGetInsertBlock(l->b);
  LLVMBuildBr(l->b, end);
  LLVMPositionBuilderAtEnd(l->b, bf);
  const char *y = w_as(w, e->a[2], ot);
  GUARD(w);
  LLVMBasicBlockRef yb = LLVMGetInsertBlock(l->b);
  LLVMBuildBr(l->b, end);
  LLVMPositionBuilderAtEnd(l->b, end);
  LLVMValueRef phi = LLVMBuildPhi(l->b, ty(l, ot), "");
  LLVMValueRef vals[2] = {V(x), V(y)};
  LLVMBasicBlockRef bbs[2] = {xb, yb};
  LLVMAddIncoming(phi, vals, bbs, 2);
  *t = ot;
  return S(phi);
}

static const OpTmpl no_tmpl[OP_COUNT]; /* every op through l_typed_op */

static const IrHooks llvm_ir = {
    .open = l_open,
    .close = l_close,
    .get = l_get,
    .set = l_set,
    .declare = l_declare,
    .elem_get = l_elem_get,
    .where = l_where,
};

static const Target llvm_target = {
    .name = "llvm",
    .ops = no_tmpl,
    .bool_t = DT_BOOL,
    .index_t = DT_I64, /* replaced per build: L.idx */
    .type_of = l_type_of,
    .cls = l_cls,
    .type_name = l_type_name,
    .conv = l_conv,
    .lit = l_lit,
    .load = l_load,
    .cast = l_cast,
    .operand_type = l_operand_type,
    .helper = l_helper,
    .result = l_result,
    .placeholder = l_placeholder,
    .var_type = l_var_type,
    .local_type = l_local_type,
    .loop = l_loop,
    .store = l_store,
    .def_kw = "",
    .typed_op = l_typed_op,
    .ir = &llvm_ir,
};

/* ------------------------------------------------------------- machines */
/* name, triple, cpu, features, hard-float ARM (Tag_ABI_VFP_args) */
static const struct {
  const char *name, *triple, *cpu, *features;
  bool vfp_args;
} machines[] = {
    {"x86_64", "x86_64-unknown-linux-gnu", "x86-64", "", false},
    {"aarch64", "aarch64-unknown-linux-gnu", "generic", "", false},
    {"cortex-m4", "thumbv7em-none-eabihf", "cortex-m4", "", true},
    {"cortex-m7", "thumbv7em-none-eabihf", "cortex-m7", "", true},
    {"cortex-m3", "thumbv7m-none-eabi", "cortex-m3", "", false},
    {"cortex-m0", "thumbv6m-none-eabi", "cortex-m0", "", false},
    {"riscv32", "riscv32-unknown-elf", "generic-rv32", "+m,+c", false},
    {"riscv64", "riscv64-unknown-linux-gnu", "generic-rv64", "+m,+a,+f,+d,+c", false},
};

const char *llvm_machine_names(void) { return "host, x86_64, aarch64, cortex-m4, cortex-m7, cortex-m3, cortex-m0, riscv32, riscv64"; }

static LLVMTargetMachineRef make_machine(Program *p, const char *name, bool small, bool *vfp, Diags *d) {
  static bool init;
  if (!init) {
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
    LLVMInitializeAllAsmParsers();
    init = true;
  }
  char *triple = NULL, *cpu = NULL, *feat = NULL;
  const char *tr = NULL, *cp = "generic", *ft = "";
  *vfp = false;
  if (!name || !strcmp(name, "host")) {
    triple = LLVMGetDefaultTargetTriple(), cpu = LLVMGetHostCPUName(), feat = LLVMGetHostCPUFeatures();
    tr = triple, cp = cpu, ft = feat;
  } else {
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++)
      if (!strcmp(machines[i].name, name))
        tr = machines[i].triple, cp = machines[i].cpu, ft = machines[i].features, *vfp = machines[i].vfp_args;
    if (!tr && strchr(name, '-')) tr = name; /* a raw triple */
    if (!tr) {
      diag_error(d, (Loc){.file = p->file}, "unknown machine '%s' for the llvm target (named: %s; or an LLVM triple such as armv7m-none-eabi)",
                 comment_text(p->a, name), llvm_machine_names());
      return NULL;
    }
    *vfp = *vfp || (strstr(tr, "eabihf") && (!strncmp(tr, "arm", 3) || !strncmp(tr, "thumb", 5)));
  }
  LLVMTargetRef target;
  char *err = NULL;
  LLVMTargetMachineRef tm = NULL;
  if (LLVMGetTargetFromTriple(tr, &target, &err)) {
    diag_error(d, (Loc){.file = p->file}, "unsupported on llvm: machine '%s': %s", comment_text(p->a, tr),
               err ? err : "unknown triple");
  } else {
    /* position-independent for an OS (the host links PIE), static for bare metal */
    LLVMRelocMode rm = strstr(tr, "linux") || strstr(tr, "darwin") ? LLVMRelocPIC : LLVMRelocStatic;
    tm = LLVMCreateTargetMachine(target, tr, cp, ft, small ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive, rm,
                                 LLVMCodeModelDefault);
    if (!tm) diag_error(d, (Loc){.file = p->file}, "unsupported on llvm: no target machine for '%s'", tr);
  }
  LLVMDisposeMessage(err);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(feat);
  return tm;
}

/* ------------------------------------------------------------- program */
static LLVMValueRef cstr(L *l, const char *s) {
  LLVMValueRef init = LLVMConstStringInContext2(l->cx, s, strlen(s), 0);
  LLVMValueRef g = LLVMAddGlobal(l->m, LLVMTypeOf(init), "s");
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  return g;
}

/* <name>_inputs / _outputs: the rows of c_model.h's <name>_tensor_info */
static void descriptors(L *l, Program *p, bool out) {
  LLVMTypeRef i64 = LLVMInt64TypeInContext(l->cx), pt = LLVMPointerTypeInContext(l->cx, 0);
  LLVMTypeRef f[6] = {pt, pt, LLVMInt32TypeInContext(l->cx), LLVMArrayType2(i64, MAX_RANK), i64, i64};
  LLVMTypeRef st = LLVMStructTypeInContext(l->cx, f, 6, 0);
  int n = out ? p->outputs.n : p->inputs.n;
  LLVMValueRef *rows = arena_alloc(p->a, sizeof(LLVMValueRef) * (size_t)(n + 1));
  if (!rows) return;
  for (int i = 0; i < (n ? n : 1); i++) {
    Value *v = n ? (out ? p->outputs.v[i] : p->inputs.v[i]) : NULL;
    LLVMValueRef dims[MAX_RANK];
    /* an ONNX-only type: its type and shape, the storage's bytes (as c_api.c) */
    bool io = v && v->io_dt;
    int rank = !v ? 0 : io ? v->io_rank : v->rank;
    const int64_t *sh = !v ? NULL : io ? v->io_shape : v->shape;
    for (int k = 0; k < MAX_RANK; k++) dims[k] = LLVMConstInt(i64, k < rank ? (unsigned long long)sh[k] : 0, 0);
    int64_t ne = v ? shape_numel(rank, sh) : 0, nb = v ? shape_numel(v->rank, v->shape) * dtype_info[v->dt].size : 0;
    LLVMValueRef fs[6] = {cstr(l, v ? (out ? (const char *)p->out_names.v[i] : v->name) : ""),
                          cstr(l, v ? dtype_info[io ? v->io_dt : v->dt].name : ""),
                          LLVMConstInt(f[2], (unsigned long long)rank, 0), LLVMConstArray2(i64, dims, MAX_RANK),
                          LLVMConstInt(i64, (unsigned long long)ne, 0), LLVMConstInt(i64, (unsigned long long)nb, 0)};
    rows[i] = LLVMConstStructInContext(l->cx, fs, 6, 0);
  }
  LLVMValueRef arr = LLVMConstArray2(st, rows, (uint64_t)(n ? n : 1));
  LLVMValueRef g = LLVMAddGlobal(l->m, LLVMTypeOf(arr), arena_printf(p->a, "%s_%s", p->name, out ? "outputs" : "inputs"));
  LLVMSetInitializer(g, arr);
  LLVMSetGlobalConstant(g, 1);
}

static void kernel_fn(L *l, Program *p, Kernel *k, Value **ps, int np) {
  LLVMTypeRef pt = LLVMPointerTypeInContext(l->cx, 0), args[256];
  for (int j = 0; j <= np; j++) args[j] = pt;
  LLVMValueRef fn = LLVMAddFunction(l->m, k->name, LLVMFunctionType(LLVMVoidTypeInContext(l->cx), args, (unsigned)np + 1, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  unsigned na = LLVMGetEnumAttributeKindForName("noalias", 7), nu = LLVMGetEnumAttributeKindForName("nounwind", 8);
  for (int j = 0; j <= np; j++) {
    LLVMAddAttributeAtIndex(fn, (unsigned)j + 1, LLVMCreateEnumAttribute(l->cx, na, 0));
    l->ptr[j < np ? ps[j]->id : k->out->id] = LLVMGetParam(fn, (unsigned)j);
  }
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(l->cx, nu, 0));
  l->fn = fn;
  l->allocas = LLVMAppendBasicBlockInContext(l->cx, fn, "entry");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(l->cx, fn, "start");
  LLVMPositionBuilderAtEnd(l->eb, l->allocas);
  LLVMPositionBuilderAtEnd(l->b, body);
  const Nest *n = k->nest;
  l->vars = arena_alloc(p->a, sizeof(LLVMValueRef) * (size_t)(n->nvars + 1));
  l->locs = arena_alloc(p->a, sizeof(LLVMValueRef) * (size_t)(n->nlocals + 1));
  l->loct = arena_alloc(p->a, sizeof(LLVMTypeRef) * (size_t)(n->nlocals + 1));
  l->nfr = 0;
  l->w.k = k, l->w.n = n;
  if (!l->vars || !l->locs || !l->loct || render_nest(&l->w)) {
    l->w.err = true;
    return;
  }
  LLVMBuildRetVoid(l->b);
  LLVMBuildBr(l->eb, body);
}

/* <name>_run: the checks of c_model.c, the arena bindings, the kernel calls */
static void run_fn(L *l, Program *p) {
  LLVMTypeRef pt = LLVMPointerTypeInContext(l->cx, 0), i32 = LLVMInt32TypeInContext(l->cx);
  int nio = p->inputs.n + p->outputs.n;
  LLVMTypeRef *args = arena_alloc(p->a, sizeof(LLVMTypeRef) * (size_t)(nio + 1));
  if (!args) return;
  for (int i = 0; i <= nio; i++) args[i] = pt;
  LLVMTypeRef ft = LLVMFunctionType(i32, args, (unsigned)nio + 1, 0);
  LLVMValueRef fn = LLVMAddFunction(l->m, arena_printf(p->a, "%s_run", p->name), ft);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(l->cx, fn, "entry");
  LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(l->cx, fn, "bad");
  LLVMBasicBlockRef go = LLVMAppendBasicBlockInContext(l->cx, fn, "go");
  LLVMPositionBuilderAtEnd(l->b, bad);
  LLVMBuildRet(l->b, LLVMConstInt(i32, 1, 0));
  LLVMPositionBuilderAtEnd(l->b, entry);
  LLVMValueRef mem = LLVMGetParam(fn, (unsigned)nio), nul = LLVMConstNull(pt), any = NULL;
  for (int i = 0; i < nio; i++) {
    LLVMValueRef x = LLVMGetParam(fn, (unsigned)i), z = LLVMBuildICmp(l->b, LLVMIntEQ, x, nul, "");
    any = any ? LLVMBuildOr(l->b, any, z, "") : z;
    Value *v = i < p->inputs.n ? p->inputs.v[i] : p->outputs.v[i - p->inputs.n];
    l->ptr[v->id] = x;
  }
  if (p->plan.arena_size) {
    LLVMTypeRef ip = LLVMIntPtrTypeInContext(l->cx, l->td);
    LLVMValueRef z = LLVMBuildICmp(l->b, LLVMIntEQ, mem, nul, "");
    LLVMValueRef mis = LLVMBuildAnd(l->b, LLVMBuildPtrToInt(l->b, mem, ip, ""),
                                    LLVMConstInt(ip, (unsigned long long)(p->plan.arena_align - 1), 0), "");
    z = LLVMBuildOr(l->b, z, LLVMBuildICmp(l->b, LLVMIntNE, mis, LLVMConstNull(ip), ""), "");
    any = any ? LLVMBuildOr(l->b, any, z, "") : z;
  }
  if (any) LLVMBuildCondBr(l->b, any, bad, go);
  else LLVMBuildBr(l->b, go);
  LLVMPositionBuilderAtEnd(l->b, go);
  LLVMTypeRef i64 = LLVMInt64TypeInContext(l->cx), i8 = LLVMInt8TypeInContext(l->cx);
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->out_index < 0) {
      LLVMValueRef off = LLVMConstInt(i64, (unsigned long long)k->out->offset, 0);
      l->ptr[k->out->id] = LLVMBuildInBoundsGEP2(l->b, i8, mem, &off, 1, "");
    }
  }
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    Value *ps[256];
    int np = 0;
    c_kernel_params(k, ps, &np);
    LLVMValueRef cargs[257];
    LLVMTypeRef cts[257];
    for (int j = 0; j < np; j++) cargs[j] = l->ptr[ps[j]->id], cts[j] = pt;
    cargs[np] = l->ptr[k->out->id], cts[np] = pt;
    LLVMValueRef kf = LLVMGetNamedFunction(l->m, k->name);
    LLVMBuildCall2(l->b, LLVMFunctionType(LLVMVoidTypeInContext(l->cx), cts, (unsigned)np + 1, 0), kf, cargs,
                   (unsigned)np + 1, "");
    if (k->out->check) { /* a run-time check: stop at the first that fails, as the C target */
      LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(l->cx, fn, "check_failed");
      LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(l->cx, fn, "checked");
      LLVMValueRef ok = LLVMBuildLoad2(l->b, i8, l->ptr[k->out->id], "");
      LLVMBuildCondBr(l->b, LLVMBuildICmp(l->b, LLVMIntEQ, ok, LLVMConstNull(i8), ""), fail, next);
      LLVMPositionBuilderAtEnd(l->b, fail);
      LLVMBuildRet(l->b, LLVMConstInt(i32, MLG_STATUS_VALUE, 0));
      LLVMPositionBuilderAtEnd(l->b, next);
    }
  }
  LLVMBuildRet(l->b, LLVMConstInt(i32, 0, 0));

  /* <name>_run_generic(inputs, outputs, arena) */
  LLVMTypeRef gt[3] = {pt, pt, pt};
  LLVMValueRef g = LLVMAddFunction(l->m, arena_printf(p->a, "%s_run_generic", p->name), LLVMFunctionType(i32, gt, 3, 0));
  LLVMBasicBlockRef ge = LLVMAppendBasicBlockInContext(l->cx, g, "entry");
  LLVMBasicBlockRef gbad = LLVMAppendBasicBlockInContext(l->cx, g, "bad");
  LLVMBasicBlockRef ggo = LLVMAppendBasicBlockInContext(l->cx, g, "go");
  LLVMPositionBuilderAtEnd(l->b, gbad);
  LLVMBuildRet(l->b, LLVMConstInt(i32, 1, 0));
  LLVMPositionBuilderAtEnd(l->b, ge);
  LLVMValueRef in = LLVMGetParam(g, 0), out = LLVMGetParam(g, 1);
  LLVMBuildCondBr(l->b, LLVMBuildOr(l->b, LLVMBuildICmp(l->b, LLVMIntEQ, in, nul, ""),
                                    LLVMBuildICmp(l->b, LLVMIntEQ, out, nul, ""), ""), gbad, ggo);
  LLVMPositionBuilderAtEnd(l->b, ggo);
  LLVMValueRef *cargs = arena_alloc(p->a, sizeof(LLVMValueRef) * (size_t)(nio + 1));
  if (!cargs) return;
  for (int i = 0; i < nio; i++) {
    bool o = i >= p->inputs.n;
    LLVMValueRef ix = LLVMConstInt(i64, (unsigned long long)(o ? i - p->inputs.n : i), 0);
    cargs[i] = LLVMBuildLoad2(l->b, pt, LLVMBuildInBoundsGEP2(l->b, pt, o ? out : in, &ix, 1, ""), "");
  }
  cargs[nio] = LLVMGetParam(g, 2);
  LLVMBuildRet(l->b, LLVMBuildCall2(l->b, ft, fn, cargs, (unsigned)nio + 1, ""));
}

int cg_llvm(Program *p, const char *machine, const char *level, Output *o, Diags *d) {
  bool vfp;
  if (!level) level = "O3";
  static const char *const levels[] = {"O1", "O2", "O3", "Os", "Oz"};
  bool known = false;
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) known = known || !strcmp(level, levels[i]);
  if (!known) {
    diag_error(d, (Loc){.file = p->file}, "llvm: optimization level '%s' is not one of O1, O2, O3, Os, Oz",
               comment_text(p->a, level));
    return -1;
  }
  bool small = level[1] == 's' || level[1] == 'z';
  LLVMTargetMachineRef tm = make_machine(p, machine, small, &vfp, d);
  if (!tm) return -1;
  L l = {0};
  l.w = (W){.p = p, .a = p->a, .d = d, .t = &llvm_target};
  l.cx = LLVMContextCreate();
  l.m = LLVMModuleCreateWithNameInContext(p->name, l.cx);
  LLVMSetSourceFileName(l.m, p->name, strlen(p->name));
  l.td = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(l.m, l.td);
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(l.m, triple);
  LLVMDisposeMessage(triple);
  l.vfp = vfp;
  if (vfp) { /* LLVM-C cannot set the float ABI: the attribute arm-none-eabi-ld checks */
    static const char vfp_asm[] = ".eabi_attribute 28, 1";
    LLVMSetModuleInlineAsm2(l.m, vfp_asm, sizeof vfp_asm - 1);
  }
  l.b = LLVMCreateBuilderInContext(l.cx);
  l.eb = LLVMCreateBuilderInContext(l.cx);
  l.ptr = arena_alloc(p->a, sizeof(LLVMValueRef) * (size_t)(p->values.n + 1));
  l.glob = arena_alloc(p->a, sizeof(LLVMValueRef) * (size_t)(p->values.n + 1));
  int64_t maxn = p->plan.arena_size;
  for (int i = 0; i < p->values.n; i++) {
    Value *v = p->values.v[i];
    int64_t n = shape_numel(v->rank, v->shape);
    if (n > maxn) maxn = n;
  }
  l.idx = maxn < ((int64_t)1 << 31) ? DT_I32 : DT_I64;
  Target tg = llvm_target;
  tg.index_t = l.idx;
  l.w.t = &tg;
  int rc = 0;
  if (!l.ptr || !l.glob) rc = -1;
  if (!rc && LLVMByteOrder(l.td) != LLVMLittleEndian) {
    diag_error(d, (Loc){.file = p->file}, "unsupported on llvm: a big-endian machine (the weights are little-endian)");
    rc = -1;
  }
  for (int i = 0; !rc && i < p->inputs.n + p->outputs.n; i++) {
    Value *v = i < p->inputs.n ? p->inputs.v[i] : p->outputs.v[i - p->inputs.n];
    if (v->dt == DT_STRING) {
      diag_error(d, (Loc){.file = p->file}, "unsupported on llvm: string tensors ('%s')", comment_text(p->a, v->name));
      rc = -1;
    }
  }
  for (int i = 0; !rc && i < p->kernels.n && !l.w.err; i++) {
    Kernel *k = p->kernels.v[i];
    Value *ps[256];
    int np = 0;
    c_kernel_params(k, ps, &np);
    if (!k->nest) l.w.err = true;
    else kernel_fn(&l, p, k, ps, np);
  }
  if (l.w.err) rc = -1;
  if (!rc) {
    run_fn(&l, p);
    descriptors(&l, p, false);
    descriptors(&l, p, true);
    char *msg = NULL;
    if (LLVMVerifyModule(l.m, LLVMReturnStatusAction, &msg)) {
      diag_error(d, (Loc){.file = p->file}, "internal: the llvm module does not verify: %.400s", msg ? msg : "");
      rc = -1;
    }
    LLVMDisposeMessage(msg);
  }
  if (!rc) {
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    char pipeline[16];
    snprintf(pipeline, sizeof pipeline, "default<%s>", level);
    LLVMErrorRef e = LLVMRunPasses(l.m, pipeline, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
      char *m = LLVMGetErrorMessage(e);
      diag_error(d, (Loc){.file = p->file}, "internal: llvm passes: %s", m);
      LLVMDisposeErrorMessage(m);
      rc = -1;
    }
  }
  if (!rc) {
    char *err = NULL;
    LLVMMemoryBufferRef mb = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, l.m, LLVMObjectFile, &err, &mb)) {
      diag_error(d, (Loc){.file = p->file}, "unsupported on llvm: emitting the object: %s", err ? err : "?");
      rc = -1;
    } else {
      Buf *ob = out_file(o, arena_printf(p->a, "%s.o", p->name));
      if (!ob) rc = -1;
      else buf_putn(ob, LLVMGetBufferStart(mb), LLVMGetBufferSize(mb));
      if (ob && ob->oom) rc = -1;
      LLVMDisposeMemoryBuffer(mb);
    }
    LLVMDisposeMessage(err);
  }
  /* the header of the C target, byte for byte (once when both are built) */
  const char *hn = arena_printf(p->a, "%s.h", p->name);
  bool have = false;
  for (int i = 0; i < o->n; i++) have |= !strcmp(o->f[i].name, hn);
  if (!rc && !have) {
    Buf *h = out_file(o, hn);
    if (!h || cg_c_header(p, h, d)) rc = -1;
  }
  LLVMDisposeBuilder(l.b);
  LLVMDisposeBuilder(l.eb);
  LLVMDisposeModule(l.m);
  LLVMDisposeTargetData(l.td);
  LLVMContextDispose(l.cx);
  LLVMDisposeTargetMachine(tm);
  return rc;
}
