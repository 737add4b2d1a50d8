/* c_api.c: the C target's files. <name>.h is the API (sizes and shapes as
 * macros, descriptor tables, <name>_run and <name>_run_generic); <name>.c
 * holds the weights as static const arrays, one static function per kernel
 * (rendered by c.c through the walker) and the run function binding arena
 * offsets. Generated code uses no malloc and no stdio, only <math.h>, and
 * is deterministic byte for byte. The fixed text is templates/c_model.h
 * and c_model.c; this file renders the rows and fills them in.
 */
#include "c_target.h"
#include "templates.h"

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

/* model text for a comment (ir/util.c) */
static const char *comment(Arena *a, const char *s) { return comment_text(a, s); }

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
      c_float_lit(b, raw_get_f(v->dt, v->cdata, i), v->dt);
    } else if (v->dt == DT_F16 || v->dt == DT_BF16) {
      buf_printf(b, "0x%04x", (unsigned)raw_get_i(DT_U16, v->cdata, i));
    } else {
      c_int_lit(b, raw_get_i(v->dt, v->cdata, i), v->dt);
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
  const char *kernels = buf_take(p->a, &kb, c), *calls_s = buf_take(p->a, &calls, c), *binds_s = buf_take(p->a, &binds, c);
  c_emit_helpers(&r, &b);
  const char *helpers_s = buf_take(p->a, &b, c);
  for (int i = 0; i < p->values.n; i++)
    if (used[i]) render_weights(&r, &b, p->values.v[i]);
  const char *weights = buf_take(p->a, &b, c);
  bool strs = io_rows(&r, io, NM);
  const char *rows[IO_COUNT];
  for (int i = 0; i < IO_COUNT; i++) rows[i] = buf_take(p->a, &io[i], i == IO_MACROS ? h : c);

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
