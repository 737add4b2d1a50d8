/* test_targets.c: the two tables the rest of mlgen iterates, checked against
 * the code that has to agree with them.
 *
 *   registry   every target has a unique name that target_find returns, a
 *              description, and something to do (build, run or both);
 *   ops.def    for every primitive and every dtype, one node built on graph
 *              inputs and one built on constants (folded at once through the
 *              interpreter, whose loops know nothing of the table): both are
 *              accepted exactly when the dtypes column says so, with the
 *              result column's dtype;
 *   targets    every registered renderer, for every primitive on one dtype of
 *              each class the primitive takes: the one-node program is
 *              rendered into files in the target's folder, or refused with a
 *              diagnostic. Never a crash, never silence.
 *
 * A primitive added to ops.def without a case in one_node() fails here.
 */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "targets.h"

#include "check.h"

static const char *const strs[15] = {"a", "b", "a", "", "c", "b", "a", "d", "e", "a", "b", "c", "a", "f", "b"};

/* a [3,5] (or any shape) operand of dtype dt: a graph input, or a constant */
static Value *operand(B *b, DType dt, int rank, const int64_t *shape, bool cst) {
  if (!cst) {
    Value *v = b_value(b, dt, rank, shape);
    if (v) {
      v->kind = VK_INPUT;
      v->in_index = b->p->inputs.n;
      vec_push(b->p->a, &b->p->inputs, v);
    }
    return v;
  }
  int64_t n = shape_numel(rank, shape);
  if (n > 45) return NULL;
  if (dt == DT_STRING) {
    const char *text[45];
    for (int64_t i = 0; i < n; i++) text[i] = strs[i % 15];
    return b_const_strs(b, rank, shape, text);
  }
  unsigned char data[45 * 8] = {0};
  for (int64_t i = 0; i < n; i++) {
    if (dtype_info[dt].is_float) raw_set_f(dt, data, i, 0.25 + (double)(i % 7) / 4);
    else raw_set_i(dt, data, i, dt == DT_BOOL ? i & 1 : i % 3); /* also in range as gather indices */
  }
  return b_const(b, dt, rank, shape, data);
}

/* BITCAST's partner of dt: a float and an integer of 32 or 64 bits (the
 * builder's b_bitcast makes other same-size pairs CASTs, ops.def) */
static DType bitcast_to(DType dt) {
  if (dtype_info[dt].is_float) return dtype_info[dt].size == 8 ? DT_U64 : DT_U32;
  return dtype_info[dt].size == 8 ? DT_F64 : DT_F32;
}
static bool bitcast_sized(DType dt) {
  return (dtype_info[dt].size == 4 || dtype_info[dt].size == 8) && dt != DT_STRING;
}

/* One node of primitive op whose value operands have dtype dt; NULL when the
 * builder refuses it (diagnostics in b->d). *known: op has a case here. */
static Value *one_node(B *b, Op op, DType dt, bool cst, bool *known) {
  static const int64_t s35[2] = {3, 5}, s57[2] = {5, 7}, s2[1] = {2}, s25[2] = {2, 5};
  Value *x = operand(b, dt, 2, s35, cst);
  *known = true;
  switch (op_kind[op]) {
  case K_UNARY:
    if (op == OP_CAST) return b_cast(b, x, dt == DT_F32 ? DT_I32 : DT_F32);
    if (op == OP_BITCAST) return b_bitcast(b, x, bitcast_to(dt));
    return b_unary(b, op, x);
  case K_BINARY: return b_binary(b, op, x, operand(b, dt, 2, s35, cst));
  case K_TERNARY: return b_where(b, operand(b, DT_BOOL, 2, s35, cst), x, operand(b, dt, 2, s35, cst));
  case K_REDUCE:
    if (op == OP_ARGMAX || op == OP_ARGMIN) return b_argred(b, op, x, 1, false, false);
    return b_reduce(b, op, x, 2u, true);
  default: break;
  }
  switch (op) {
  case OP_RESHAPE: return b_reshape(b, x, 1, (const int64_t[]){15});
  case OP_PERMUTE: return b_permute(b, x, (const int[]){1, 0});
  case OP_EXPAND: return b_expand(b, x, 3, (const int64_t[]){2, 3, 5});
  case OP_SLICE: return b_slice(b, x, (const int64_t[]){1, 0}, (const int64_t[]){1, 2}, (const int64_t[]){2, 3});
  case OP_PAD: /* edge mode: the one every dtype class may take */
    return b_pad(b, x, (const int64_t[]){1, 0}, (const int64_t[]){0, 2}, PAD_EDGE, 0);
  case OP_CONCAT: return b_concat(b, 2, (Value *[]){x, operand(b, dt, 2, s35, cst)}, 1);
  case OP_GATHER: return b_gather(b, x, operand(b, DT_I64, 1, s2, cst), 0);
  case OP_GATHERELEM: return b_gatherelem(b, x, operand(b, DT_I64, 2, s25, cst), 0);
  case OP_IOTA: return b_iota(b, dt, 2, s35, 1, 1, 2);
  case OP_MATMUL: return b_matmul(b, x, operand(b, dt, 2, s57, cst));
  case OP_CONV: {
    /* [1,2,7] * [3,2,3], padding 1: [1,3,7] */
    Params pr = {.nsp = 1, .kernel = {3}, .stride = {1}, .dil = {1}, .plo = {1}, .phi = {1}, .group = 1};
    Value *xi = operand(b, dt, 3, (const int64_t[]){1, 2, 7}, cst), *w = operand(b, dt, 3, (const int64_t[]){3, 2, 3}, cst);
    return b_conv(b, xi, w, &pr, 3, (const int64_t[]){1, 3, 7});
  }
  case OP_POOL: {
    /* max over windows of 3, stride 2: [1,2,7] -> [1,2,3] */
    Params pr = {.nsp = 1, .kernel = {3}, .stride = {2}, .dil = {1}, .pool = POOL_MAX};
    return b_pool(b, operand(b, dt, 3, (const int64_t[]){1, 2, 7}, cst), &pr, 3, (const int64_t[]){1, 2, 3});
  }
  default: *known = false; return NULL;
  }
}

/* A fresh one-node program; p->nodes stays empty when the node was folded. */
static Value *program(Arena *a, Program *p, Diags *d, Op op, DType dt, bool cst, bool *known) {
  memset(p, 0, sizeof *p);
  p->a = a;
  p->name = "m";
  p->file = "test_targets";
  p->fold_limit = cst ? 1 << 20 : 0; /* inputs: IOTA, with none, stays a node too */
  B b = {.p = p, .d = d, .loc = {.node = op_name[op]}, .origin = op_name[op]};
  Value *y = one_node(&b, op, dt, cst, known);
  if (y) {
    if (y->kind == VK_INPUT) return NULL; /* an identity: the test case is wrong */
    y->out_index = 0;
    vec_push(a, &p->outputs, y);
    vec_push(a, &p->out_names, (void *)"y");
  }
  return y;
}

static void test_registry(void) {
  CHECK(mlg_ntargets > 0 && mlg_ntargets <= 32, "%d targets (manifest.json keeps a 32-bit set)", mlg_ntargets);
  for (int i = 0; i < mlg_ntargets; i++) {
    const TargetInfo *t = &mlg_targets[i];
    CHECK(t->name && t->name[0] && !strpbrk(t->name, ",| "), "target %d: a name usable in --backend a,b", i);
    CHECK(target_find(t->name) == t, "target_find(\"%s\") finds its own row (names are unique)", t->name);
    CHECK(t->desc && t->desc[0], "target %s has a description", t->name);
    CHECK(t->build || t->runnable, "target %s neither builds nor runs", t->name);
    CHECK(!t->dir || (t->dir[0] && !strchr(t->dir, '/')), "target %s: dir is one folder name", t->name);
  }
  CHECK(!target_find("no-such-target") && !target_find(""), "unknown names are not found");
  Buf b = {0};
  target_names(&b, TARGETS_BUILD | TARGETS_RUN, ",");
  int commas = 0;
  for (const char *c = b.s ? b.s : ""; *c; c++) commas += *c == ',';
  CHECK(commas == mlg_ntargets - 1, "target_names lists every target once: %s", b.s ? b.s : "");
  buf_free(&b);
}

static void test_ops_table(void) {
  for (int op = 0; op < OP_COUNT; op++) {
    CHECK(!strcmp(op_info[op].name, op_name[op]) && op_info[op].arity == op_arity[op] &&
              op_info[op].kind == op_kind[op],
          "%s: op_info and the plain arrays come from the same row", op_name[op]);
    CHECK(op_info[op].dtypes & (DTC_F | DTC_S | DTC_U | DTC_B) || op == OP_STRMATCH /* text only */,
          "%s accepts no numeric dtype", op_name[op]);
    CHECK(!op_commutative((Op)op) || op_arity[op] == 2, "%s: only binary ops can be commutative", op_name[op]);
    for (int dt = DT_F32; dt < DT_COUNT; dt++) {
      if (dtype_onnx_only((DType)dt)) continue; /* never a Value's dtype (ir.h) */
      if (op == OP_BITCAST && !bitcast_sized((DType)dt)) continue;
      bool want = op_accepts((Op)op, (DType)dt) && (dt != DT_STRING || op_takes_strings((Op)op, PAD_EDGE));
      for (int cst = 0; cst < 2; cst++) {
        Arena *a = arena_new();
        Diags d = {0};
        Program p;
        bool known;
        Value *y = program(a, &p, &d, (Op)op, (DType)dt, cst, &known);
        if (!known) {
          CHECK(false, "%s has no case in one_node()", op_name[op]);
        } else if (want) {
          DType r = op_result_dt((Op)op, (DType)dt,
                                 op == OP_CAST      ? (dt == DT_F32 ? DT_I32 : DT_F32)
                                 : op == OP_BITCAST ? bitcast_to((DType)dt)
                                                    : (DType)dt);
          CHECK(y && !d.nerr, "%s on %s (%s): the table accepts it, the %s refuses: %s", op_name[op],
                dtype_info[dt].name, cst ? "constants" : "inputs", cst ? "interpreter" : "builder",
                d.text.s ? d.text.s : "(no message)");
          CHECK(!y || y->dt == r, "%s on %s: result %s, the table says %s", op_name[op], dtype_info[dt].name,
                y ? dtype_info[y->dt].name : "-", dtype_info[r].name);
          CHECK(!y || (cst ? y->kind == VK_CONST : p.nodes.n == 1), "%s on %s: %s", op_name[op],
                dtype_info[dt].name, cst ? "not folded" : "not one node");
        } else {
          CHECK(!y && d.nerr && strstr(d.text.s, op_name[op]), "%s on %s: the table refuses it, the builder %s",
                op_name[op], dtype_info[dt].name, y ? "accepts it" : "gives no message naming the op");
        }
        diag_free(&d);
        arena_free(a);
      }
    }
  }
}

/* the program through the passes of ir_compile after decompose */
static int passes(Program *p, Diags *d) {
  if (ir_verify_pass(p, "build", d) || ir_lower(p, d) || ir_verify_pass(p, "lower", d) || ir_fuse(p, d) ||
      ir_verify_pass(p, "fuse", d) || ir_schedule(p, d) || ir_plan(p, d))
    return -1;
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    k->name = arena_printf(p->a, "k%d_%s", i, c_ident(p->a, k->out->name));
  }
  return 0;
}

static void test_targets(void) {
  static const DType reps[] = {DT_F32, DT_I32, DT_U8, DT_BOOL, DT_STRING}; /* one per class */
  for (int ti = 0; ti < mlg_ntargets; ti++) {
    const TargetInfo *t = &mlg_targets[ti];
    if (!t->build) continue;
    int rendered = 0, refused = 0;
    for (int op = 0; op < OP_COUNT; op++)
      for (int r = 0; r < (int)(sizeof reps / sizeof reps[0]); r++) {
        DType dt = reps[r];
        if (!op_accepts((Op)op, dt) || (dt == DT_STRING && !op_takes_strings((Op)op, PAD_EDGE))) continue;
        if (op == OP_BITCAST && !bitcast_sized(dt)) continue;
        Arena *a = arena_new();
        Diags d = {0};
        Program p;
        bool known;
        Value *y = program(a, &p, &d, (Op)op, dt, false, &known);
        if (!y || passes(&p, &d)) {
          CHECK(false, "%s on %s: no program to render: %s", op_name[op], dtype_info[dt].name,
                d.text.s ? d.text.s : "");
        } else {
          Output o = {0};
          int rc = t->build(&p, &(TargetOpts){0}, &o, &d);
          if (rc) {
            refused++;
            CHECK(d.nerr && d.text.s && d.text.s[0], "%s: %s on %s refused without a diagnostic", t->name,
                  op_name[op], dtype_info[dt].name);
            /* deliberate: a table entry's refusal, never an internal error */
            char want[64];
            snprintf(want, sizeof want, "unsupported on %s: ", t->name);
            CHECK(d.text.s && strstr(d.text.s, want) && !strstr(d.text.s, "internal"),
                  "%s: %s on %s refused, but not by a table entry: %s", t->name, op_name[op], dtype_info[dt].name,
                  d.text.s ? d.text.s : "");
          } else {
            rendered++;
            CHECK(o.n > 0 && !d.nerr, "%s: %s on %s rendered no files", t->name, op_name[op], dtype_info[dt].name);
            size_t n = t->dir ? strlen(t->dir) : 0;
            for (int i = 0; i < o.n; i++)
              CHECK(t->dir ? !strncmp(o.f[i].name, t->dir, n) && o.f[i].name[n] == '/' : !strchr(o.f[i].name, '/'),
                    "%s: file %s outside the target's folder %s", t->name, o.f[i].name, t->dir ? t->dir : ".");
          }
          out_free(&o);
        }
        diag_free(&d);
        arena_free(a);
      }
    printf("%s: %d primitive x dtype-class programs rendered, %d refused with a diagnostic\n", t->name, rendered,
           refused);
  }
}

int main(void) {
  test_registry();
  test_ops_table();
  test_targets();
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
