/* vulkan.c: the Vulkan target's output folder.
 *
 * Requires: a planned Program. Provides, in the Output, vulkan/:
 *   <name>_vk.h      sizes as macros, the model table, typed run wrappers
 *   <name>_vk.c      SPIR-V per kernel as uint32_t arrays, the weights, the
 *                    dispatch table (kernel -> SPIR-V, workgroup size,
 *                    invocations, barrier) and the io layout
 *   shaders/K.comp   the GLSL each array was compiled from, for reading
 *   mlg_vk.h/.c      runtime-min/vulkan, so the folder builds on its own
 *   CMakeLists.txt   a static library of the above linked to Vulkan::Vulkan
 * No push constants: every size is a constant in the shader, the runtime
 * only chooses the dispatch shape (docs/vulkan.md).
 * The fixed text of the .h, .c and CMakeLists.txt is templates/vk_*; this
 * file computes what varies with the model and fills their placeholders.
 */
#include "vulkan.h"

#include <string.h>

#ifndef MLGEN_HAVE_SPIRV
int spirv_compile(Program *p, GlslProgram *g, Diags *d) {
  (void)g;
  diag_error(d, (Loc){.file = p->file}, "this mlgen was built without glslang/SPIRV-Tools: no vulkan backend");
  return -1;
}
#endif

int gpu_features_parse(const char *s, GpuFeatures *f) {
  memset(f, 0, sizeof *f);
  if (!strcmp(s, "none")) return 0;
  if (!strcmp(s, "all")) {
    f->int64 = f->float64 = true;
    return 0;
  }
  while (*s) {
    size_t n = strcspn(s, ",");
    if (n == 5 && !strncmp(s, "int64", 5)) f->int64 = true;
    else if (n == 7 && !strncmp(s, "float64", 7)) f->float64 = true;
    else return -1;
    s += n + (s[n] == ',');
  }
  return 0;
}

static const char *upper(Arena *a, const char *s) {
  char *u = arena_strdup(a, s);
  for (char *c = u; c && *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
  return u;
}

/* a C string literal of model text (names, origins) */
static const char *cstr(Arena *a, const char *s) {
  Buf b = {0};
  c_str_lit(&b, s ? s : "");
  char *r = arena_strdup(a, b.s);
  buf_free(&b);
  return r;
}

/* the model file for the header comments: its base name, as the C target's
 * (output must not depend on where the model lives, and no "*" "/" can end
 * the comment), printable ASCII only */
static const char *source_name(const Program *p) {
  return p->file ? safe_base_name(p->a, p->file) : "(model)";
}

static const char *num(Arena *a, long long v) { return arena_printf(a, "%lld", v); }

/* 32-bit words, eight a line, as lines of an initializer */
static void words(Buf *b, const uint32_t *w, size_t n) {
  for (size_t i = 0; i < n; i++) buf_printf(b, "%s0x%08x,", !i ? "  " : i % 8 ? " " : "\n  ", (unsigned)w[i]);
  buf_puts(b, n ? "\n" : "  0,\n");
}

static void tensor(Buf *b, Arena *a, const char *name, const Value *v, int64_t off) {
  int64_t n = shape_numel(v->rank, v->shape);
  buf_printf(b, "  {%s, \"%s\", %d, {", cstr(a, name), dtype_info[v->dt].name, v->rank);
  for (int i = 0; i < v->rank; i++) buf_printf(b, "%s%lld", i ? ", " : "", (long long)v->shape[i]);
  if (!v->rank) buf_puts(b, "0");
  buf_printf(b, "}, %lld, %lld, %lld},\n", (long long)n, (long long)(n * dtype_info[v->dt].size), (long long)off);
}

/* <name>_vk.h from templates/vk_model.h */
static int write_header(Program *p, GlslProgram *g, Output *o, const char **in_id, const char **out_id, Diags *d) {
  const char *nm = p->name, *NM = upper(p->a, nm);
  Buf *h = out_file(o, arena_printf(p->a, "vulkan/%s_vk.h", nm));
  if (!h) return -1;
  Buf sizes = {0}, params = {0}, binds = {0};
  for (int pass = 0; pass < 2; pass++) {
    PtrVec *vs = pass ? &p->outputs : &p->inputs;
    for (int i = 0; i < vs->n; i++) {
      Value *v = vs->v[i];
      const char *ID = upper(p->a, pass ? out_id[i] : in_id[i]);
      buf_printf(&sizes, "/* %s %s: %s %s */\n#define %s_VK_%s_SIZE %lld /* elements */\n",
                 pass ? "output" : "input", pass ? out_id[i] : in_id[i], dtype_info[v->dt].name,
                 shape_str(p->a, v->rank, v->shape), NM, ID, (long long)shape_numel(v->rank, v->shape));
    }
  }
  for (int i = 0; i < p->inputs.n; i++) {
    buf_printf(&params, ", const %s *%s", dtype_info[((Value *)p->inputs.v[i])->dt].ctype, in_id[i]);
    buf_printf(&binds, "  mlg_in[%d] = %s;\n", i, in_id[i]);
  }
  for (int i = 0; i < p->outputs.n; i++) {
    buf_printf(&params, ", %s *%s", dtype_info[((Value *)p->outputs.v[i])->dt].ctype, out_id[i]);
    buf_printf(&binds, "  mlg_out[%d] = %s;\n", i, out_id[i]);
  }
  const char *features = g->int64 && g->float64 ? "MLG_VK_NEED_INT64 | MLG_VK_NEED_FLOAT64"
                         : g->int64             ? "MLG_VK_NEED_INT64"
                         : g->float64           ? "MLG_VK_NEED_FLOAT64"
                                                : "0u";
  const char *kv[] = {"name", nm, "NAME", NM, "version", MLG_VERSION, "source", source_name(p),
                      "nk", num(p->a, g->nk), "arena_size", num(p->a, g->lay.arena_size),
                      "weights_size", num(p->a, g->lay.weights_size), "io_size", num(p->a, g->lay.io_size),
                      "features", features, "ninputs", num(p->a, p->inputs.n), "noutputs", num(p->a, p->outputs.n),
                      "nchecks", num(p->a, p->checks.n), "io_sizes", buf_take(p->a, &sizes, h), "run_params", buf_take(p->a, &params, h),
                      "run_binds", buf_take(p->a, &binds, h), NULL};
  if (tmpl_expand(h, "vk_model.h", kv, d)) return -1;
  return h->oom ? -1 : 0;
}

/* <name>_vk.c from templates/vk_model.c */
static int write_source(Program *p, GlslProgram *g, Output *o, Diags *d) {
  const char *nm = p->name;
  Buf *c = out_file(o, arena_printf(p->a, "vulkan/%s_vk.c", nm));
  if (!c) return -1;
  Buf spirv = {0}, weights = {0}, kernels = {0}, ins = {0}, outs = {0};
  for (int i = 0; i < g->nk; i++) {
    GlslKernel *k = &g->ks[i];
    /* the origin in a comment: comment_text, not a C string (whose escapes could hold a star-slash) */
    buf_printf(&spirv, "/* %s: \"%s\" (shaders/%s.comp) */\nstatic const uint32_t %s_spv[%zu] = {\n", k->k->name,
               comment_text(p->a, k->k->origin), k->k->name, k->k->name, k->nspv ? k->nspv : 1);
    words(&spirv, k->spv, k->nspv);
    buf_puts(&spirv, "};\n\n");
  }
  size_t nw = (size_t)(g->lay.weights_size / 4);
  uint32_t *w = arena_alloc(p->a, (nw ? nw : 1) * 4);
  if (!w) return -1;
  for (size_t i = 0; i < nw; i++)
    w[i] = (uint32_t)g->lay.weights[4 * i] | (uint32_t)g->lay.weights[4 * i + 1] << 8 | (uint32_t)g->lay.weights[4 * i + 2] << 16 |
           (uint32_t)g->lay.weights[4 * i + 3] << 24;
  words(&weights, w, nw);
  for (int i = 0; i < g->nk; i++) {
    GlslKernel *k = &g->ks[i];
    buf_printf(&kernels, "  {\"%s\", %s, %s_spv, %zu, %d, %lld, %d},\n", k->k->name, cstr(p->a, k->k->origin),
               k->k->name, k->nspv, k->wg, (long long)k->items, k->barrier);
  }
  if (!g->nk) buf_puts(&kernels, "  {\"\", \"\", 0, 0, 1, 0, 0},\n");
  for (int i = 0; i < p->inputs.n; i++) {
    Value *v = p->inputs.v[i];
    tensor(&ins, p->a, v->name, v, g->lay.in_off[i]);
  }
  if (!p->inputs.n) buf_puts(&ins, "  {\"\", \"\", 0, {0}, 0, 0, 0},\n");
  for (int i = 0; i < p->outputs.n; i++) tensor(&outs, p->a, p->out_names.v[i], p->outputs.v[i], g->lay.out_off[i]);
  if (!p->outputs.n) buf_puts(&outs, "  {\"\", \"\", 0, {0}, 0, 0, 0},\n");
  Buf chks = {0};
  for (int i = 0; i < g->lay.nchecks; i++)
    buf_printf(&chks, "  %lldu, /* %s */\n", (long long)g->lay.chk_off[i], comment_text(p->a, g->lay.chk_val[i]->check));
  if (!g->lay.nchecks) buf_puts(&chks, "  0u,\n");
  const char *kv[] = {"name", nm, "NAME", upper(p->a, nm), "version", MLG_VERSION,
                      "source", source_name(p), "spirv_arrays", buf_take(p->a, &spirv, c),
                      "weights_words", num(p->a, (long long)(nw ? nw : 1)), "weights", buf_take(p->a, &weights, c),
                      "nk_dim", num(p->a, g->nk ? g->nk : 1), "ninputs_dim", num(p->a, p->inputs.n ? p->inputs.n : 1),
                      "noutputs_dim", num(p->a, p->outputs.n ? p->outputs.n : 1),
                      "kernel_rows", buf_take(p->a, &kernels, c), "input_rows", buf_take(p->a, &ins, c),
                      "output_rows", buf_take(p->a, &outs, c), "check_rows", buf_take(p->a, &chks, c),
                      "nchecks_dim", num(p->a, g->lay.nchecks ? g->lay.nchecks : 1), NULL};
  if (tmpl_expand(c, "vk_model.c", kv, d)) return -1;
  return c->oom ? -1 : 0;
}

/* C identifiers for the typed run wrapper, unique among themselves */
static const char **c_names(Program *p, PtrVec *vs, bool outs, Map *taken) {
  const char **id = arena_alloc(p->a, sizeof(char *) * (size_t)(vs->n + 1));
  if (!id) return NULL;
  for (int i = 0; i < vs->n; i++) {
    const char *base = c_ident(p->a, outs ? (const char *)p->out_names.v[i] : ((Value *)vs->v[i])->name);
    const char *n = base;
    for (int k = 2; map_get(taken, n); k++) n = arena_printf(p->a, "%s_%d", base, k);
    map_put(p->a, taken, n, (void *)1);
    id[i] = n;
  }
  return id;
}

int cg_vulkan(Program *p, const GpuFeatures *f, Output *o, Diags *d) {
  int nerr0 = d->nerr;
  GlslProgram g;
  if (gpu_refuse(p, "vulkan", true, d) || cg_glsl(p, f, &g, d)) return -1;
  if (spirv_compile(p, &g, d)) return -1;
  Map taken = {0};
  static const char *const reserved[] = {"mlg_m", "mlg_in", "mlg_out", NULL};
  for (int i = 0; reserved[i]; i++) map_put(p->a, &taken, reserved[i], (void *)1);
  const char **in_id = c_names(p, &p->inputs, false, &taken), **out_id = c_names(p, &p->outputs, true, &taken);
  if (!in_id || !out_id) return -1;
  if (write_header(p, &g, o, in_id, out_id, d) || write_source(p, &g, o, d)) goto full;
  for (int i = 0; i < g.nk; i++) {
    Buf *s = out_file(o, arena_printf(p->a, "vulkan/shaders/%s.comp", g.ks[i].k->name));
    if (!s) goto full;
    buf_puts(s, g.ks[i].glsl);
  }
  for (int i = 0; i < mlg_runtime_vulkan_n; i++) {
    Buf *s = out_file(o, arena_printf(p->a, "vulkan/%s", mlg_runtime_vulkan[i].name));
    if (!s) goto full;
    buf_puts(s, mlg_runtime_vulkan[i].text);
  }
  Buf *cm = out_file(o, "vulkan/CMakeLists.txt");
  if (!cm) goto full;
  const char *kv[] = {"name", p->name, "version", MLG_VERSION, NULL};
  if (tmpl_expand(cm, "vk_CMakeLists.txt", kv, d)) goto full;
  for (int i = 0; i < o->n; i++)
    if (o->f[i].text.oom) goto full;
  return 0;
full:
  if (d->nerr == nerr0) /* else a template's internal error, already reported */
    diag_error(d, (Loc){.file = p->file}, "out of memory (or more than %d output files) writing vulkan/", MAX_FILES);
  return -1;
}
