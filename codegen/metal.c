/* metal.c: the Metal target's kernels and output folder (metal.h).
 *
 * Requires: a planned Program. Provides, in the Output, metal/:
 *   kernels/K.metal   one MSL kernel function per kernel, named K
 *   <name>_metal.h    sizes as macros and the model table's declaration
 *   <name>_metal.c    the table: each kernel's source (as C text, compiled by
 *                     the host with newLibraryWithSource, fast math off),
 *                     threads per threadgroup, invocations; the io layout;
 *                     the weights
 *   mlg_metal.h/.m    runtime-min/metal (Objective-C host glue)
 * The fixed text is templates/msl_kernel.metal, metal_model.h and
 * metal_model.c.
 */
#include "metal.h"
#include "templates.h"

#include <string.h>

void msl_unsupported(MG *g, const char *what) { w_refuse(&g->w, "%s", what); /* once per kernel: w.err */ }

static const char *const bind_var[GB_COUNT] = {"A", "W", "IO"};
static const char *const mv_sfx[MV_COUNT] = {"u32", "i32", "f32", "i64", "u64", "u8", "u16"};
static const char *const mv_type[MV_COUNT] = {"uint", "int", "float", "long", "ulong", "uchar", "ushort"};

static MView view_of(DType dt) {
  switch (dt) {
  case DT_F32: return MV_F32;
  case DT_I32: return MV_I32;
  case DT_I64: return MV_I64;
  case DT_U64: return MV_U64;
  case DT_U32: return MV_U32;
  default: return dtype_info[dt].size == 1 ? MV_U8 : MV_U16;
  }
}

const char *msl_use(MG *g, const Value *v) {
  for (int i = 0; i < g->nuses; i++)
    if (g->uses[i].v == v) return g->uses[i].name;
  if (g->nuses == 256) {
    msl_unsupported(g, "more than 256 tensors in one kernel");
    return "t_";
  }
  int bind;
  int64_t off;
  gpu_locate(g->lay, v, &bind, &off);
  g->view[bind][view_of(v->dt)] = true;
  g->uses[g->nuses] = (MUse){v, gpu_tensor_ident(g->a, &g->names, v->name ? v->name : "tensor")};
  return g->uses[g->nuses++].name;
}

static char *render_kernel(MG *g, const Kernel *k, int64_t *items, int *wgp) {
  g->k = k;
  memset(g->help, 0, sizeof g->help);
  memset(g->view, 0, sizeof g->view);
  g->nuses = 0;
  memset(&g->names, 0, sizeof g->names);
  int64_t n = shape_numel(k->nout, k->oshape);
  int pack = gpu_pack(k);
  *wgp = k->sched.wg > 0 ? k->sched.wg : 64;
  *items = (n + pack - 1) / pack;
  Nest *nest = gpu_nest(g->a, k, g->p->rewrites, g->d);
  if (!nest) return NULL;
  Buf body = {0};
  g->w.k = k;
  g->w.n = nest;
  g->w.b = &body;
  g->w.dep = 1;
  g->w.err = false;
  if (render_nest(&g->w)) {
    buf_free(&body);
    return NULL;
  }
  msl_use(g, k->out);

  Buf views = {0}, lib = {0}, ts = {0}, undefs = {0};
  for (int b = 0; b < GB_COUNT; b++)
    for (int v = 0; v < MV_COUNT; v++)
      if (g->view[b][v] && v != MV_U32) /* the u32 view is the buffer itself */
        buf_printf(&views, "  %sdevice %s *%s_%s = (%sdevice %s *)%s;\n", b == GB_WEIGHTS ? "const " : "", mv_type[v],
                   bind_var[b], mv_sfx[v], b == GB_WEIGHTS ? "const " : "", mv_type[v], bind_var[b]);
  HelperSet hs = msl_helper_set(g);
  w_helper_emit(&g->w, &hs, &lib);
  for (int i = 0; i < g->nuses; i++) {
    const Value *v = g->uses[i].v;
    int bind;
    int64_t off;
    gpu_locate(g->lay, v, &bind, &off);
    int sz = dtype_info[v->dt].size;
    MView mv = view_of(v->dt);
    const char *what = v->kind == VK_CONST ? "weights" : v->kind == VK_INPUT ? "input" : v->out_index >= 0 ? "output" : "arena";
    /* the u32 view is the buffer itself */
    buf_printf(&ts, "#define %s(i) %s%s%s[%lld + (i)] /* %s: %s %s, %s@%lld */\n", g->uses[i].name, bind_var[bind],
               mv == MV_U32 ? "" : "_", mv == MV_U32 ? "" : mv_sfx[mv], (long long)(off / sz),
               comment_text(g->a, v->name), dtype_info[v->dt].name, shape_str(g->a, v->rank, v->shape), what,
               (long long)off);
    buf_printf(&undefs, "#undef %s\n", g->uses[i].name);
    if (v == k->out && sz < 4) {
      buf_printf(&ts, "#define %s_word(w) %s[%lld + (w)] /* its 32-bit words */\n", g->uses[i].name, bind_var[bind],
                 (long long)(off / 4));
      buf_printf(&undefs, "#undef %s_word\n", g->uses[i].name);
    }
  }
  const Value *o = k->out;
  const char *what = arena_printf(g->a, "%s -> %s %s%s", comment_text(g->a, k->origin), dtype_info[o->dt].name,
                                  shape_str(g->a, o->rank, o->shape),
                                  k->nred ? arena_printf(g->a, ", %s over %s", op_name[k->rop], shape_str(g->a, k->nred, k->rshape)) : "");
  const char *kv[] = {"kernel", k->name, "what", what, "version", MLG_VERSION,
                      "unit", pack > 1 ? arena_printf(g->a, "word (%d elements)", pack) : "element",
                      "wg", arena_printf(g->a, "%d", *wgp), "library", buf_take(g->a, &lib, NULL),
                      "tensors", buf_take(g->a, &ts, NULL), "views", buf_take(g->a, &views, NULL),
                      "body", buf_take(g->a, &body, NULL), "undefs", buf_take(g->a, &undefs, NULL), NULL};
  Buf s = {0};
  if (tmpl_expand(&s, "msl_kernel.metal", kv, g->d)) {
    buf_free(&s);
    return NULL;
  }
  return (char *)buf_take(g->a, &s, NULL);
}

/* --------------------------------------------------------------- program */
static const char *num(Arena *a, long long v) { return arena_printf(a, "%lld", v); }

static const char *cstr(Arena *a, const char *s) {
  Buf b = {0};
  c_str_lit(&b, s ? s : "");
  return buf_take(a, &b, NULL);
}

static const char *upper(Arena *a, const char *s) {
  char *u = arena_strdup(a, s);
  for (char *c = u; c && *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
  return u;
}

static void tensor_row(Buf *b, Arena *a, const char *name, const Value *v, int64_t off) {
  int64_t n = shape_numel(v->rank, v->shape);
  buf_printf(b, "  {%s, \"%s\", %lld, %lld},\n", cstr(a, name), dtype_info[v->dt].name,
             (long long)(n * dtype_info[v->dt].size), (long long)off);
}

int cg_metal(Program *p, Output *o, Diags *d) {
  int nerr0 = d->nerr;
  GpuLayout lay;
  if (gpu_refuse(p, "metal", false, d) || gpu_layout(p, &lay, "metal", d)) return -1;
  MG g = {.p = p, .a = p->a, .d = d, .lay = &lay};
  g.w = (W){.p = p, .a = p->a, .d = d, .t = &msl_target};
  Buf rows = {0}, ins = {0}, outs = {0}, weights = {0};
  int rc = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    const Kernel *k = p->kernels.v[i];
    int64_t items;
    int wg;
    char *src = render_kernel(&g, k, &items, &wg);
    if (!src) {
      rc = -1;
      continue;
    }
    Buf *f = out_file(o, arena_printf(p->a, "metal/kernels/%s.metal", k->name));
    if (!f) goto full;
    buf_puts(f, src);
    buf_printf(&rows, "  {\"%s\", %s, %d, %lld,\n   %s},\n", k->name, cstr(p->a, k->origin), wg, (long long)items,
               cstr(p->a, src));
  }
  if (rc) {
    buf_free(&rows);
    return -1;
  }
  if (!p->kernels.n) buf_puts(&rows, "  {\"\", \"\", 1, 0, \"\"},\n");
  for (int i = 0; i < p->inputs.n; i++) tensor_row(&ins, p->a, ((Value *)p->inputs.v[i])->name, p->inputs.v[i], lay.in_off[i]);
  for (int i = 0; i < p->outputs.n; i++) tensor_row(&outs, p->a, p->out_names.v[i], p->outputs.v[i], lay.out_off[i]);
  if (!p->inputs.n) buf_puts(&ins, "  {\"\", \"\", 0, 0},\n");
  if (!p->outputs.n) buf_puts(&outs, "  {\"\", \"\", 0, 0},\n");
  size_t nw = (size_t)(lay.weights_size / 4);
  for (size_t i = 0; i < nw; i++) {
    const unsigned char *w = lay.weights + 4 * i;
    buf_printf(&weights, "%s0x%08x,", !i ? "  " : i % 8 ? " " : "\n  ",
               (unsigned)(w[0] | w[1] << 8 | w[2] << 16 | (uint32_t)w[3] << 24));
  }
  buf_puts(&weights, nw ? "\n" : "  0,\n");
  const char *nm = p->name;
  const char *kv[] = {"name", nm, "NAME", upper(p->a, nm), "version", MLG_VERSION,
                      "source", p->file ? safe_base_name(p->a, p->file) : "(model)",
                      "arena_bytes", num(p->a, lay.arena_size), "weights_bytes", num(p->a, lay.weights_size),
                      "io_bytes", num(p->a, lay.io_size), "weights_words", num(p->a, (long long)(nw ? nw : 1)),
                      "nk", num(p->a, p->kernels.n), "ninputs", num(p->a, p->inputs.n), "noutputs", num(p->a, p->outputs.n),
                      "kernel_rows", buf_take(p->a, &rows, NULL), "input_rows", buf_take(p->a, &ins, NULL),
                      "output_rows", buf_take(p->a, &outs, NULL), "weights", buf_take(p->a, &weights, NULL), NULL};
  Buf *h = out_file(o, arena_printf(p->a, "metal/%s_metal.h", nm));
  if (!h || tmpl_expand(h, "metal_model.h", kv, d)) goto full;
  Buf *c = out_file(o, arena_printf(p->a, "metal/%s_metal.c", nm));
  if (!c || tmpl_expand(c, "metal_model.c", kv, d)) goto full;
  for (int i = 0; i < mlg_runtime_metal_n; i++) {
    Buf *s = out_file(o, arena_printf(p->a, "metal/%s", mlg_runtime_metal[i].name));
    if (!s) goto full;
    buf_puts(s, mlg_runtime_metal[i].text);
  }
  for (int i = 0; i < o->n; i++)
    if (o->f[i].text.oom) goto full;
  return 0;
full:
  if (d->nerr == nerr0)
    diag_error(d, (Loc){.file = p->file}, "out of memory (or more than %d output files) writing metal/", MAX_FILES);
  return -1;
}
