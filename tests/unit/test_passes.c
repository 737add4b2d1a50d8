/* test_passes.c: unit tests of the IR passes: the index simplifier, graph
 * checks and ordering, folding, fusion, scheduling, the memory plan and the
 * verifier; string constants folded through moves and their C literals;
 * ir_carve.
 * Models are small YAML texts written to a temp folder. Expected figures are
 * worked out by hand in the comments. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen.h"
#include "frontend.h"

#include "check.h"

static char dir[] = "/tmp/mlgen-passes-XXXXXX";

/* Compiles YAML text; returns the program (arena owned by caller) or NULL. */
static Program *compile_text(Arena *a, const char *text, Diags *d, bool full) {
  char path[256];
  snprintf(path, sizeof path, "%s/m.yaml", dir);
  FILE *f = fopen(path, "w");
  if (!f) return NULL;
  fputs(text, f);
  fclose(f);
  ModelSpec spec = {0};
  if (yaml_load(a, path, &spec, d) || !spec.g) return NULL;
  spec.g->name = spec.name;
  Program *p = arena_alloc(a, sizeof *p);
  p->a = a;
  if (full ? ir_compile(spec.g, NULL, p, d) : ir_build_prims(spec.g, NULL, p, d)) return NULL;
  return p;
}

static void test_simplifier(void) {
  Arena *a = arena_new();
  Expr *i0 = ex_var(a, 0, 4), *i1 = ex_var(a, 1, 8);
  /* flat = i0*8 + i1; flat / 8 == i0 and flat % 8 == i1 exactly */
  Expr *flat = ex_add(a, ex_mul(a, i0, ex_const_i(a, 8)), i1);
  Expr *q = ex_div(a, flat, 8), *r = ex_mod(a, flat, 8);
  CHECK(q->kind == E_VAR && q->i == 0, "flat/8 should simplify to i0");
  CHECK(r->kind == E_VAR && r->i == 1, "flat%%8 should simplify to i1");
  CHECK(flat->lo == 0 && flat->hi == 31, "range of i0*8+i1 is [0,31], got [%lld,%lld]", (long long)flat->lo,
        (long long)flat->hi);
  /* (i0*8 + i1) / 4 keeps a division of the remainder: i0*2 + i1/4 */
  Expr *q4 = ex_div(a, flat, 4);
  CHECK(q4->kind == E_ALU && q4->op == OP_ADD, "flat/4 should split into i0*2 + i1/4");
  /* ranges decide comparisons: i0 < 4 is always true, i1 < 0 never */
  Expr *t = ex_lt(a, i0, ex_const_i(a, 4)), *fa = ex_lt(a, i1, ex_const_i(a, 0));
  CHECK(t->kind == E_CONST && t->i == 1, "i0 < 4 should fold to true");
  CHECK(fa->kind == E_CONST && fa->i == 0, "i1 < 0 should fold to false");
  /* a variable of extent 1 is the constant 0 */
  Expr *one = ex_var(a, 2, 1);
  CHECK(one->kind == E_CONST && one->i == 0, "extent-1 variable should be 0");
  /* where(true, x, y) == x; substitution re-simplifies */
  Expr *w = ex_where(a, t, i0, i1);
  CHECK(w == i0, "where(true, a, b) should be a");
  Expr *sub[2] = {ex_const_i(a, 3), NULL};
  Expr *s = ex_subst(a, flat, sub, NULL);
  CHECK(s->lo == 24 && s->hi == 31, "flat with i0=3 has range [24,31]");
  arena_free(a);
}

static void test_graph_checks(void) {
  Arena *a = arena_new();
  Diags d = {0};
  /* nodes listed out of order are reordered and compile */
  Program *p = compile_text(a,
                            "mlgen: 1\nname: m\ninputs: {x: {shape: [4]}}\noutputs: [z]\nnodes:\n"
                            "  - {op: Relu, in: [y], out: [z]}\n"
                            "  - {op: Neg, in: [x], out: [y]}\n",
                            &d, true);
  CHECK(p != NULL, "out-of-order nodes should be sorted: %s", d.text.s ? d.text.s : "");
  diag_free(&d);
  memset(&d, 0, sizeof d);
  p = compile_text(a,
                   "mlgen: 1\nname: m\ninputs: {x: {shape: [4]}}\noutputs: [z]\nnodes:\n"
                   "  - {op: Add, in: [x, z], out: [y]}\n"
                   "  - {op: Relu, in: [y], out: [z]}\n",
                   &d, true);
  CHECK(!p && d.text.s && strstr(d.text.s, "cycle") && strstr(d.text.s, "m.yaml:6:5"),
        "a cycle should be reported at the first node on it: %s", d.text.s ? d.text.s : "");
  diag_free(&d);
  arena_free(a);
}

static void test_folding_and_fusion(void) {
  Arena *a = arena_new();
  Diags d = {0};
  /* Shape -> Gather -> Unsqueeze -> Concat feeds Reshape: all folded, and
   * the reshape + relu become one kernel */
  Program *p = compile_text(a,
                            "mlgen: 1\nname: m\ninputs: {x: {shape: [2, 3, 4]}}\noutputs: [y]\n"
                            "initializers:\n  i0: {dtype: i64, shape: [], data: [0]}\n"
                            "  m1: {dtype: i64, shape: [1], data: [-1]}\n"
                            "nodes:\n"
                            "  - {op: Shape, in: [x], out: [s]}\n"
                            "  - {op: Gather, in: [s, i0], out: [n]}\n"
                            "  - {op: Unsqueeze, in: [n], out: [n1], axes: [0]}\n"
                            "  - {op: Concat, in: [n1, m1], out: [shp], axis: 0}\n"
                            "  - {op: Reshape, in: [x, shp], out: [r]}\n"
                            "  - {op: Relu, in: [r], out: [y]}\n",
                            &d, true);
  CHECK(p != NULL, "shape arithmetic should fold: %s", d.text.s ? d.text.s : "");
  if (p) {
    Value *y = p->outputs.v[0];
    CHECK(y->rank == 2 && y->shape[0] == 2 && y->shape[1] == 12, "y should be [2,12]");
    CHECK(p->kernels.n == 1, "reshape+relu should fuse into 1 kernel, got %d", p->kernels.n);
    CHECK(p->plan.arena_size == 0, "no temporaries expected, arena %lld", (long long)p->plan.arena_size);
  }
  diag_free(&d);
  memset(&d, 0, sizeof d);
  /* Gemm + Relu: the matmul absorbs bias and relu as its epilogue */
  p = compile_text(a,
                   "mlgen: 1\nname: m\ninputs: {x: {shape: [3, 5]}}\noutputs: [y]\n"
                   "initializers:\n  w: {dtype: f32, shape: [5, 2], data: [1,2,3,4,5,6,7,8,9,10]}\n"
                   "  b: {dtype: f32, shape: [2], data: [1, -1]}\n"
                   "nodes:\n"
                   "  - {op: Gemm, in: [x, w, b], out: [h]}\n"
                   "  - {op: Relu, in: [h], out: [y]}\n",
                   &d, true);
  CHECK(p && p->kernels.n == 1, "Gemm+Relu should be one kernel, got %d", p ? p->kernels.n : -1);
  if (p && p->kernels.n == 1) {
    Kernel *k = p->kernels.v[0];
    CHECK(k->nred == 1 && k->rshape[0] == 5 && k->rop == OP_RSUM && k->post, "one sum over K=5 with an epilogue");
  }
  diag_free(&d);
  arena_free(a);
}

static int count_op(const Expr *e, Op op) {
  if (!e) return 0;
  int n = e->kind == E_ALU && e->op == op;
  if (e->kind == E_LOAD)
    for (int i = 0; i < e->nidx; i++) n += count_op(e->idx[i], op);
  for (int i = 0; i < 3; i++) n += count_op(e->a[i], op);
  return n;
}

/* Temporaries: a producer its only reader loads several times at one
 * index becomes a temporary (not a buffer, not a copy per load); a chain
 * of them stays linear. Constant tables bound their loads' ranges. */
static void test_lets_and_ranges(void) {
  Arena *a = arena_new();
  Diags d = {0};
  Program *p = compile_text(a,
                            "mlgen: 1\nname: m\ninputs: {x: {shape: [16]}}\noutputs: [y]\n"
                            "nodes:\n"
                            "  - {op: Exp, in: [x], out: [h1]}\n"
                            "  - {op: Mul, in: [h1, h1], out: [h2]}\n"
                            "  - {op: Tanh, in: [h2], out: [h3]}\n"
                            "  - {op: Mul, in: [h3, h3], out: [h4]}\n"
                            "  - {op: Sin, in: [h4], out: [h5]}\n"
                            "  - {op: Mul, in: [h5, h5], out: [y]}\n",
                            &d, true);
  CHECK(p != NULL, "chain: %s", d.text.s ? d.text.s : "");
  if (p) {
    CHECK(p->kernels.n == 1, "the chain should be one kernel, got %d", p->kernels.n);
    Kernel *k = p->kernels.v[0];
    CHECK(k->nlets >= 2, "squares of expensive values should be temporaries, got %d", k->nlets);
    for (int i = 0; i < k->nlets; i++) CHECK(k->lets[i]->i == i, "temporary %d numbered %lld", i, (long long)k->lets[i]->i);
    CHECK(ir_verify_pass(p, "test", &d) == 0, "verifier: %s", d.text.s ? d.text.s : "");
  }
  diag_free(&d);
  memset(&d, 0, sizeof d);
  /* i -> tbl[i] (clamped: i is an input) -> data[tbl[i]]: the second gather's
   * index comes from a table whose values are all in [0, 3], so no clamp */
  p = compile_text(a,
                   "mlgen: 1\nname: m\ninputs: {i: {dtype: i64, shape: [5]}}\noutputs: [y]\n"
                   "initializers:\n  tbl: {dtype: i32, shape: [6], data: [3, 0, 2, 1, 1, 0]}\n"
                   "  data: {dtype: f32, shape: [4], data: [0.5, 1.5, 2.5, 3.5]}\n"
                   "nodes:\n"
                   "  - {op: Gather, in: [tbl, i], out: [j]}\n"
                   "  - {op: Gather, in: [data, j], out: [y]}\n",
                   &d, true);
  CHECK(p && p->kernels.n == 1, "gather chain should be one kernel: %s", d.text.s ? d.text.s : "");
  if (p && p->kernels.n == 1) {
    Kernel *k = p->kernels.v[0];
    int clamps = count_op(k->body, OP_MIN);
    CHECK(clamps == 1, "only the input-indexed gather needs a clamp, found %d", clamps);
  }
  diag_free(&d);
  arena_free(a);
}

static void test_plan(void) {
  Arena *a = arena_new();
  Diags d = {0};
  /* four matmuls in a chain: [1,64] temporaries h1 h2 h3 (256 bytes each);
   * h1 is dead once h2 is written, so h3 reuses it: arena 512, not 768 */
  char text[2048];
  snprintf(text, sizeof text,
           "mlgen: 1\nname: m\ninputs: {x: {shape: [1, 64]}}\noutputs: [y]\n"
           "initializers:\n  w: {dtype: f32, shape: [64, 64], data: [%s]}\n"
           "nodes:\n"
           "  - {op: MatMul, in: [x, w], out: [h1]}\n"
           "  - {op: MatMul, in: [h1, w], out: [h2]}\n"
           "  - {op: MatMul, in: [h2, w], out: [h3]}\n"
           "  - {op: MatMul, in: [h3, w], out: [y]}\n",
           "0");
  /* inline data must match the shape: write 4096 zeros */
  char *big = malloc(4096 * 3 + 1024);
  char *s = big;
  for (int i = 0; i < 4096; i++) s += sprintf(s, i ? ",0" : "0");
  char *full = malloc(strlen(text) + 4096 * 3);
  char *pos = strstr(text, "data: [0]");
  sprintf(full, "%.*sdata: [%s]%s", (int)(pos - text), text, big, pos + strlen("data: [0]"));
  Program *p = compile_text(a, full, &d, true);
  CHECK(p != NULL, "matmul chain: %s", d.text.s ? d.text.s : "");
  if (p) {
    CHECK(p->kernels.n == 4, "4 kernels, got %d", p->kernels.n);
    CHECK(p->plan.ntemps == 3, "3 temporaries, got %d", p->plan.ntemps);
    CHECK(p->plan.arena_size == 512, "arena should be 512 bytes with reuse, got %lld", (long long)p->plan.arena_size);
    /* no two temporaries alive at once overlap: h1 and h2, h2 and h3 */
    Value *h[3];
    for (int i = 0; i < 3; i++) h[i] = ((Kernel *)p->kernels.v[i])->out;
    CHECK(h[0]->offset != h[1]->offset && h[1]->offset != h[2]->offset, "live buffers must not overlap");
    CHECK(h[0]->offset == h[2]->offset, "h3 should reuse h1's space");
    CHECK(((Kernel *)p->kernels.v[0])->sched.vec == 1, "x @ W with W [K,N] should accumulate in place");
  }
  free(big);
  free(full);
  diag_free(&d);
  arena_free(a);
}

static void test_verifier(void) {
  Arena *a = arena_new();
  Diags d = {0};
  Program *p = compile_text(a,
                            "mlgen: 1\nname: m\ninputs: {x: {shape: [4]}}\noutputs: [z]\nnodes:\n"
                            "  - {op: Exp, in: [x], out: [y]}\n"
                            "  - {op: Add, in: [y, y], out: [z]}\n",
                            &d, false);
  CHECK(p != NULL, "prims: %s", d.text.s ? d.text.s : "");
  if (p && p->nodes.n == 2) {
    /* break it: make the first node read the second's output */
    PNode *n0 = p->nodes.v[0], *n1 = p->nodes.v[1];
    Value *saved = n0->in[0];
    n0->in[0] = n1->out;
    CHECK(ir_verify_pass(p, "test", &d) != 0 && strstr(d.text.s, "before it is computed"),
          "the verifier should catch a use before definition");
    n0->in[0] = saved;
  }
  diag_free(&d);
  arena_free(a);
}

/* Undoes the C escapes c_str_lit writes (\" \\ \ooo) */
static size_t c_unlit(const char *lit, char *out) {
  size_t k = 0;
  for (const char *s = lit + 1; *s && *s != '"'; s++) {
    if (*s != '\\') {
      out[k++] = *s;
    } else if (s[1] >= '0' && s[1] <= '7') { /* at most three octal digits */
      int v = 0, n = 0;
      for (s++; n < 3 && *s >= '0' && *s <= '7'; s++, n++) v = v * 8 + (*s - '0');
      out[k++] = (char)v;
      s--;
    } else {
      out[k++] = *++s;
    }
  }
  out[k] = 0;
  return k;
}

static void test_strings(void) {
  /* a quote, a backslash, a newline, \x01 before a digit, a trigraph start, UTF-8 (U+00E9) */
  const char *s = "q\"\\\n\x01" "7?\?=\xc3\xa9";
  Buf b = {0};
  c_str_lit(&b, s);
  CHECK(b.s && !strcmp(b.s, "\"q\\\"\\\\\\012\\0017\\077\\077=\\303\\251\""), "literal %s", b.s ? b.s : "");
  char back[64];
  CHECK(b.s && c_unlit(b.s, back) == strlen(s) && !strcmp(back, s), "literal %s does not hold the bytes", b.s);
  buf_free(&b);
  /* string constants fold through movement; arithmetic on them is refused at the node */
  Arena *a = arena_new();
  Diags d = {0};
  Program *p = compile_text(a,
                            "mlgen: 1\nname: m\ninputs: {}\noutputs: [y]\ninitializers:\n"
                            "  w: {dtype: str, shape: [2, 2], data: [a, b, \"\", \"\\u00e9\"]}\n"
                            "  i: {dtype: i64, shape: [3], data: [1, 0, 1]}\n"
                            "nodes:\n  - {op: Transpose, in: [w], out: [t]}\n  - {op: Gather, in: [t, i], out: [y]}\n",
                            &d, false);
  Value *y = p && p->outputs.n ? p->outputs.v[0] : NULL;
  CHECK(y && y->kind == VK_CONST && y->dt == DT_STRING && y->rank == 2 && y->shape[0] == 3, "fold: %s",
        d.text.s ? d.text.s : "");
  static const char *const want[6] = {"b", "\xc3\xa9", "a", "", "b", "\xc3\xa9"}; /* rows 1, 0, 1 of [[a,""],[b,é]] */
  for (int k = 0; y && y->kind == VK_CONST && k < 6; k++)
    CHECK(!strcmp(str_at(y->cdata, k), want[k]), "y[%d] = '%s', want '%s'", k, str_at(y->cdata, k), want[k]);
  diag_free(&d);
  memset(&d, 0, sizeof d);
  p = compile_text(a, "mlgen: 1\nname: m\ninputs: {x: {dtype: str, shape: [2]}}\noutputs: [y]\n"
                      "nodes:\n  - {op: Cast, in: [x], out: [y], to: 1}\n", &d, false);
  CHECK(!p && d.text.s && strstr(d.text.s, "m.yaml:6:5: error: Cast: unsupported on string tensors"), "cast: %s",
        d.text.s ? d.text.s : "");
  diag_free(&d);
  arena_free(a);
}

/* loads of non-constant buffers whose kind is k, over every kernel */
static int loads_of_kind(const Expr *e, ValueKind k) {
  if (!e) return 0;
  int n = e->kind == E_LOAD && e->buf->kind == k;
  for (int i = 0; e->kind == E_LOAD && i < e->nidx; i++) n += loads_of_kind(e->idx[i], k);
  for (int i = 0; i < 3; i++) n += loads_of_kind(e->a[i], k);
  return n;
}

/* ir_carve (bring-up): taps, isolated kernels, one-kernel programs, and the
 * test-only perturbation, on Softmax over [2,3]: RMAX, EXP(x - max), RSUM,
 * DIV as four kernels (k0 reads x; k1 x and the max; k2 the exps; k3 the
 * exps and the sum) */
static void test_carve(void) {
  Arena *a = arena_new();
  Diags d = {0};
  Program *p = compile_text(a,
                            "mlgen: 1\nname: m\ninputs: {x: {shape: [2, 3]}}\noutputs: [y]\n"
                            "nodes:\n  - {op: Softmax, in: [x], out: [y], axis: 1}\n",
                            &d, true);
  CHECK(p && p->kernels.n == 4, "softmax should be 4 kernels, got %d", p ? p->kernels.n : -1);
  if (!p || p->kernels.n != 4) {
    arena_free(a);
    return;
  }
  bool all[4] = {1, 1, 1, 1}, last[4] = {0, 0, 0, 1};
  int in_src[64];
  Value *k0out = ((Kernel *)p->kernels.v[0])->out;
  Program t, iso, one, bad;
  CHECK(!ir_carve(p, all, false, -1, PERTURB_NONE, &t, in_src, &d), "taps: %s", d.text.s ? d.text.s : "");
  CHECK(t.kernels.n == 4 && t.outputs.n == 4 && t.inputs.n == 1, "taps: 4 kernels, 4 outputs, 1 input (%d %d %d)",
        t.kernels.n, t.outputs.n, t.inputs.n);
  CHECK(t.inputs.n == 1 && in_src[0] == ((Value *)p->inputs.v[0])->id, "taps: the input is x");
  CHECK(t.plan.arena_size == 0, "taps: every tensor is an output, no arena (%lld)", (long long)t.plan.arena_size);
  int temps = 0;
  for (int i = 0; i < t.kernels.n; i++)
    for (int r = 0; r < kernel_nroots(t.kernels.v[i]); r++) temps += loads_of_kind(kernel_root(t.kernels.v[i], r), VK_TEMP);
  CHECK(temps > 0, "taps: kernels still read each other's tensors");
  CHECK(!ir_carve(p, all, true, -1, PERTURB_NONE, &iso, in_src, &d), "isolated: %s", d.text.s ? d.text.s : "");
  CHECK(iso.inputs.n == 4 && iso.outputs.n == 4, "isolated: x, max, exps, sum as inputs (%d), 4 outputs (%d)",
        iso.inputs.n, iso.outputs.n);
  temps = 0;
  for (int i = 0; i < iso.kernels.n; i++)
    for (int r = 0; r < kernel_nroots(iso.kernels.v[i]); r++) temps += loads_of_kind(kernel_root(iso.kernels.v[i], r), VK_TEMP);
  CHECK(temps == 0, "isolated: no kernel reads another's output (%d loads)", temps);
  CHECK(iso.inputs.n == 4 && in_src[1] == k0out->id, "isolated: input 1 is kernel 0's max");
  CHECK(!ir_carve(p, last, true, -1, PERTURB_NONE, &one, in_src, &d) && one.kernels.n == 1 && one.inputs.n == 2 &&
            one.outputs.n == 1,
        "one kernel (the divide): 1 kernel, 2 inputs, 1 output");
  CHECK(k0out->kind == VK_TEMP && k0out->out_index < 0 && p->outputs.n == 1 && k0out->kernel == p->kernels.v[0],
        "the source program is unchanged");
  /* the perturbation: kernel 1's copy computes each element at (i1 + 1) % 3 */
  CHECK(!ir_carve(p, all, true, 1, PERTURB_INDEX, &bad, NULL, &d), "perturbed: %s", d.text.s ? d.text.s : "");
  Kernel *k1 = iso.kernels.v[1], *b1 = bad.kernels.v[1], *b0 = bad.kernels.v[0];
  CHECK(count_op(b1->body, OP_MOD) > count_op(k1->body, OP_MOD), "perturbed: kernel 1 indexes mod 3");
  CHECK(count_op(b0->body, OP_MOD) == count_op(((Kernel *)iso.kernels.v[0])->body, OP_MOD), "only kernel 1 changes");
  CHECK(count_op(((Kernel *)p->kernels.v[1])->body, OP_MOD) == count_op(k1->body, OP_MOD), "the source keeps its kernel");
  diag_free(&d);
  arena_free(a);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_carve();
  test_strings();
  test_simplifier();
  test_graph_checks();
  test_folding_and_fusion();
  test_lets_and_ranges();
  test_plan();
  test_verifier();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) nfail++;
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
