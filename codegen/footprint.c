/* footprint.c: the footprint model of footprint.h.
 *
 * Operations: each statement of a kernel's loop nest counts once per
 * iteration of the loops around it (a guard counts as taken, so a border
 * piece is an upper bound); a float ALU operation or a float accumulate is
 * a flop, any other ALU operation of a value (not of an index) an integer
 * op. Flash is .text + .rodata + .data of <name>.o and <name>_weights.o:
 * rodata from the layout cg_c writes (each weight union, descriptor rows,
 * io names and dtype strings, string tables, the CRC table), .text as
 * base + sum of feature x cost. RAM is .data + .bss (none: generated code
 * has no mutable globals) + the arena + a stack estimate (the largest
 * kernel's local arrays plus a fixed frame). The costs are least squares
 * fits (scripts/footprint_fit.py) over the op test cases' objects. */
#include "footprint.h"

#include <string.h>

/* the features, as manifest.json names them */
const char *const fp_feat_name[FP_NFEAT] = {"kernels", "loops",  "statements", "float_ops", "int_ops",
                                            "loads",   "calls",  "io",         "temporaries", "wide",
                                            "guards",  "half",   "separate",   "exp"};

/* bytes of .text per feature and a base, per profile (fitted) */
static const struct {
  const char *name, *how;
  int ptr, str_align, arr_align;
  double base, cost[FP_NFEAT];
  int frame;  /* stack bytes besides local arrays */
} profiles[FP_NTARGETS] = {
    /* fitted by scripts/footprint_fit.py (464 models: the op cases, digits, trees, 54 of them again with
     * --weights-separate), least squares relative to each model's flash; a cost the fit made negative is
     * dropped and the rest refitted, so every cost is >= 0.
     * The exp cost is not fitted: each float Exp inlines mlg_expf (templates/c_helpers.c), measured as
     * the .text of a loop of mlg_expf less the same loop calling expf, per profile (2026-12-08).
     * name            how                                                            ptr sa aa base
     *                 kern loop stmt falu ialu load call io temp wide guard half sep exp     frame */
    {"host-O2", "gcc 12 -O2, x86_64", 8, 1, 32, 198, {0, 28, 0, 10, 4, 2, 69, 5, 29, 0, 0, 304, 162, 328}, 96},
    {"cortex-m4-O2", "arm-none-eabi-gcc 12.2 -O2 -mcpu=cortex-m4 -mfloat-abi=hard", 4, 4, 4, 57,
     {0, 18, 3, 8, 1, 4, 4, 3, 5, 5, 0, 177, 77, 248}, 48},
    {"cortex-m4-Os", "arm-none-eabi-gcc 12.2 -Os -mcpu=cortex-m4 -mfloat-abi=hard", 4, 4, 4, 14,
     {0, 17, 5, 6, 1, 2, 3, 5, 15, 4, 0, 139, 154, 248}, 48},
    {"cortex-m3-O2", "arm-none-eabi-gcc 12.2 -O2 -mcpu=cortex-m3 -mfloat-abi=soft", 4, 4, 4, 55,
     {0, 21, 3, 13, 1, 5, 0, 3, 0, 4, 0, 162, 77, 272}, 48},
    {"cortex-m3-Os", "arm-none-eabi-gcc 12.2 -Os -mcpu=cortex-m3 -mfloat-abi=soft", 4, 4, 4, 12,
     {0, 20, 5, 9, 1, 3, 0, 4, 6, 3, 0, 134, 154, 264}, 48},
};

static bool is_call(Op op) {
  switch (op) {
  case OP_EXP: case OP_LOG: case OP_ERF: case OP_TANH: case OP_SIN: case OP_COS: case OP_TAN: case OP_ASIN:
  case OP_ACOS: case OP_ATAN: case OP_SINH: case OP_COSH: case OP_ASINH: case OP_ACOSH: case OP_ATANH:
  case OP_POW: case OP_FMOD: case OP_SQRT: case OP_ROUND:
    return true;
  default:
    return false;
  }
}

/* static features of e; value: not an index (its ops count as operations) */
static void ex_feat(const Expr *e, int *feat, int64_t *fl, int64_t *io, int64_t *ld, int64_t mult, bool value) {
  if (!e) return;
  if (e->kind == E_LOAD) {
    feat[FP_LOAD]++;
    if (dtype_info[e->dt].size == 8) feat[FP_WIDE]++;
    *ld += mult;
    for (int i = 0; i < e->nidx; i++) ex_feat(e->idx[i], feat, fl, io, ld, mult, false);
    return;
  }
  if (e->kind == E_TMP && e->a[0]) ex_feat(e->a[0], feat, fl, io, ld, mult, false); /* an array element */
  if (e->kind != E_ALU) return;
  DType dt = e->a[0] ? e->a[0]->dt : e->dt;
  bool f = dtype_info[dt].is_float || dtype_info[e->dt].is_float;
  if (value && (dtype_info[dt].size == 8 || dtype_info[e->dt].size == 8)) feat[FP_WIDE]++; /* two registers on 32 bits */
  if (e->op == OP_EXP && c_exp_inline(dt)) feat[FP_EXP]++; /* mlg_expf, inlined where it is used */
  else if (is_call(e->op) && f) feat[FP_CALL]++;
  else feat[f ? FP_FALU : FP_IALU]++;
  if (value) *(f ? fl : io) += mult;
  for (int i = 0; i < 3; i++) ex_feat(e->a[i], feat, fl, io, ld, mult, value);
}

static void st_feat(const Stmt *s, FpKernel *k, int64_t mult) {
  if (!s) return;
  switch (s->kind) {
  case ST_SEQ:
    break;
  case ST_LOOP:
    k->feat[FP_LOOP]++;
    mult *= s->hi > s->lo ? s->hi - s->lo : 0;
    break;
  case ST_IF:
    k->feat[FP_GUARD]++;
    ex_feat(s->e, k->feat, &k->flops, &k->int_ops, &k->loads, mult, false);
    break;
  case ST_BIND:
    k->feat[FP_STMT]++;
    ex_feat(s->e, k->feat, &k->flops, &k->int_ops, &k->loads, mult, false);
    break;
  default: /* DEF LOCAL UPDATE STORE */
    k->feat[FP_STMT]++;
    ex_feat(s->e, k->feat, &k->flops, &k->int_ops, &k->loads, mult, true);
    ex_feat(s->idx, k->feat, &k->flops, &k->int_ops, &k->loads, mult, false);
    ex_feat(s->arg, k->feat, &k->flops, &k->int_ops, &k->loads, mult, true);
    if (s->kind == ST_UPDATE) {
      bool f = s->e && dtype_info[s->e->dt].is_float;
      k->feat[f ? FP_FALU : FP_IALU]++;
      *(f ? &k->flops : &k->int_ops) += mult;
    }
    if (s->kind == ST_STORE || (s->kind == ST_UPDATE && s->buf)) k->stores += mult;
    break;
  }
  for (int i = 0; i < s->n; i++) st_feat(s->s[i], k, mult);
}

static int64_t up(int64_t x, int64_t a) { return a > 1 ? (x + a - 1) / a * a : x; }

/* .rodata of a numeric constant as cg_c writes it: a union of rows of at
 * most 4095 bytes and the element array, aligned as the compiler does */
static int64_t w_union(const Value *v, int arr_align) {
  int64_t n = shape_numel(v->rank, v->shape), size = dtype_info[v->dt].size;
  int64_t bytes = (n ? n : 1) * size, rows = (bytes + 4094) / 4095, row = (bytes + rows - 1) / rows;
  int64_t al = size > arr_align ? size : arr_align;
  if (arr_align == 32 && bytes < 32) al = size; /* x86_64 aligns arrays of 32 bytes or more to 32 */
  return up(rows * row > bytes ? rows * row : bytes, al);
}

static int64_t str_bytes(const char *s, int align) { return up((int64_t)strlen(s) + 1, align); }

int c_footprint(Program *p, bool sep, Footprint *f, Diags *d) {
  memset(f, 0, sizeof *f);
  f->nk = p->kernels.n;
  f->k = arena_alloc(p->a, sizeof(FpKernel) * (size_t)(p->kernels.n + 1));
  bool *used = arena_alloc(p->a, (size_t)p->values.n + 1);
  if (!f->k || !used) {
    diag_error(d, (Loc){0}, "out of memory in the footprint report");
    return -1;
  }
  memset(f->k, 0, sizeof(FpKernel) * (size_t)(p->kernels.n + 1));
  f->arena = p->plan.arena_size;
  f->weights = p->plan.weights_size;
  int64_t maxstack = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    const Kernel *kr = p->kernels.v[i];
    FpKernel *k = &f->k[i];
    k->name = kr->name, k->origin = kr->origin;
    k->feat[FP_KERN] = 1;
    if (kr->nest) {
      st_feat(kr->nest->root, k, 1);
      for (int l = 0; l < kr->nest->nlocals; l++) {
        const Local *lc = &kr->nest->locals[l];
        if (lc->kind == LV_ARRAY) k->stack += lc->n * dtype_info[lc->dt].size;
      }
    }
    if (kr->out->out_index < 0) k->feat[FP_TEMP] = 1;
    maxstack = k->stack > maxstack ? k->stack : maxstack;
    for (int j = 0; j < FP_NFEAT; j++) f->feat[j] += k->feat[j];
    f->flops += k->flops, f->int_ops += k->int_ops;
  }
  f->feat[FP_IO] = p->inputs.n + p->outputs.n;
  for (int i = 0; i < p->values.n; i++) { /* the f16/bf16 conversion helpers, once each */
    DType dt = ((const Value *)p->values.v[i])->dt;
    if (dt == DT_F16 && !(f->feat[FP_HALF] & 1)) f->feat[FP_HALF] |= 1;
    if (dt == DT_BF16 && !(f->feat[FP_HALF] & 2)) f->feat[FP_HALF] |= 2;
  }
  f->feat[FP_HALF] = (f->feat[FP_HALF] & 1) + (f->feat[FP_HALF] >> 1);
  f->feat[FP_SEP] = sep; /* <name>_load_weights */
  ir_mark_consts(p, used);
  for (int t = 0; t < FP_NTARGETS; t++) {
    FpTarget *o = &f->t[t];
    o->name = profiles[t].name, o->how = profiles[t].how, o->ptr = profiles[t].ptr;
    double text = profiles[t].base;
    for (int j = 0; j < FP_NFEAT; j++) text += profiles[t].cost[j] * f->feat[j];
    o->text = (int64_t)(text + 0.5);
    /* descriptor rows: {name, dtype, rank, shape[8], size, bytes} */
    int64_t row = up(2 * o->ptr + 4, 8) + 80, ro = row * ((p->inputs.n ? p->inputs.n : 1) + p->outputs.n);
    /* their strings: io names and dtype names, each once */
    const char *seen[512];
    int nseen = 0;
    for (int i = 0; i < p->inputs.n + p->outputs.n; i++) {
      bool out = i >= p->inputs.n;
      const Value *v = out ? p->outputs.v[i - p->inputs.n] : p->inputs.v[i];
      const char *ss[2] = {out ? (const char *)p->out_names.v[i - p->inputs.n] : v->name, dtype_info[v->dt].name};
      for (int s = 0; s < 2; s++) {
        bool dup = false;
        for (int j = 0; j < nseen; j++) dup |= !strcmp(seen[j], ss[s]);
        if (!dup && nseen < 512) seen[nseen++] = ss[s];
        if (!dup) ro += str_bytes(ss[s], profiles[t].str_align);
      }
    }
    for (int i = 0; i < p->values.n; i++) {
      const Value *v = p->values.v[i];
      if (!used[i]) continue;
      int64_t n = shape_numel(v->rank, v->shape);
      if (v->dt == DT_STRING) {
        ro += (n ? n : 1) * o->ptr;
        for (int64_t k = 0; k < n; k++) ro += str_bytes(str_at(v->cdata, k), profiles[t].str_align);
      } else if (!sep || !dtype_info[v->dt].is_float) {
        ro += w_union(v, profiles[t].arr_align);
      }
    }
    if (sep) ro += 64; /* the CRC-32 table */
    o->rodata = ro;
    o->stack = maxstack + profiles[t].frame;
    o->flash = o->text + o->rodata + o->data;
    o->ram = o->data + o->bss + f->arena + o->stack;
  }
  return 0;
}
