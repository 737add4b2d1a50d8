/* webgpu.c: the WebGPU target's shaders and output folder (webgpu.h).
 *
 * Requires: a planned Program. Provides, in the Output, webgpu/:
 *   <name>_webgpu.js     an ES module: the io layout, buffer sizes, the
 *                        weights' size and FNV-1a hash, the dispatch table
 *                        (kernel -> WGSL, workgroup size, invocations)
 *   <name>_weights.bin   the weights buffer, byte for byte
 *   shaders/K.wgsl       each kernel's WGSL, for reading (the module holds
 *                        the same text)
 *   mlgen-webgpu.js      runtime-min/webgpu: createModel(device, model,
 *                        weights) -> {run, destroy}
 * The fixed text is templates/wgsl_kernel.wgsl and webgpu_model.js; this file
 * computes what varies with the model and fills their placeholders.
 */
#include "webgpu.h"
#include "templates.h"

#include <string.h>

void wgsl_unsupported(WG *g, const char *what) { w_refuse(&g->w, "%s", what); /* once per kernel: w.err */ }

static const char *const bind_var[GB_COUNT] = {"A", "W", "IO"};
static const char *const bind_access[GB_COUNT] = {"read_write", "read", "read_write"};

/* ------------------------------------------------------------- buffers */
const char *wgsl_use(WG *g, const Value *v) {
  for (int i = 0; i < g->nuses; i++)
    if (g->uses[i].v == v) return g->uses[i].name;
  if (g->nuses == 256) {
    wgsl_unsupported(g, "more than 256 tensors in one kernel");
    return "t_";
  }
  int bind;
  int64_t off;
  gpu_locate(g->lay, v, &bind, &off);
  int size = dtype_info[v->dt].size;
  if (size == 1) g->sub8[bind] = true;
  if (size == 2) g->sub16[bind] = true;
  g->bind[bind] = true;
  g->uses[g->nuses] = (WUse){v, gpu_tensor_ident(g->a, &g->names, v->name ? v->name : "tensor")};
  return g->uses[g->nuses++].name;
}

/* the functions through which the kernel reads tensor u (and writes it when
 * it is the output): t_x(i) the element i, t_x_set(i, v), t_x_word(w, bits) */
static void tensor_fns(WG *g, Buf *b, const WUse *u, bool out) {
  const Value *v = u->v;
  int bind, sz = dtype_info[v->dt].size;
  int64_t off;
  gpu_locate(g->lay, v, &bind, &off);
  const char *B = bind_var[bind], *what = v->kind == VK_CONST ? "weights" : v->kind == VK_INPUT ? "input"
                                          : v->out_index >= 0 ? "output" : "arena";
  buf_printf(b, "// %s: %s %s, %s@%lld\n", comment_text(g->a, v->name), dtype_info[v->dt].name,
             shape_str(g->a, v->rank, v->shape), what, (long long)off);
  if (sz < 4) {
    buf_printf(b, "fn %s(i: i32) -> u32 { return ld%d_%s(%lldi + i); }\n", u->name, sz * 8, B, (long long)(off / sz));
    if (out)
      buf_printf(b, "fn %s_word(w: i32, bits: u32) { %s[%lldi + w] = bits; }\n", u->name, B, (long long)(off / 4));
    return;
  }
  if (sz == 8) { /* i64/u64 as vec2<u32>: two words (f64 is refused before) */
    buf_printf(b, "fn %s(i: i32) -> vec2<u32> { let k = %lldi + 2i * i; return vec2<u32>(%s[k], %s[k + 1i]); }\n",
               u->name, (long long)(off / 4), B, B);
    if (out)
      buf_printf(b, "fn %s_set(i: i32, v: vec2<u32>) { let k = %lldi + 2i * i; %s[k] = v.x; %s[k + 1i] = v.y; }\n",
                 u->name, (long long)(off / 4), B, B);
    return;
  }
  const char *T = v->dt == DT_F32 ? "f32" : v->dt == DT_I32 ? "i32" : "u32";
  buf_printf(b, "fn %s(i: i32) -> %s { return bitcast<%s>(%s[%lldi + i]); }\n", u->name, T, T, B, (long long)(off / 4));
  if (out) buf_printf(b, "fn %s_set(i: i32, v: %s) { %s[%lldi + i] = bitcast<u32>(v); }\n", u->name, T, B, (long long)(off / 4));
}

static char *render_kernel(WG *g, const Kernel *k, int64_t *items, int *wgp) {
  g->k = k;
  memset(g->help, 0, sizeof g->help);
  memset(g->bind, 0, sizeof g->bind);
  memset(g->sub8, 0, sizeof g->sub8);
  memset(g->sub16, 0, sizeof g->sub16);
  g->nuses = 0;
  memset(&g->names, 0, sizeof g->names);
  int64_t n = shape_numel(k->nout, k->oshape);
  int pack = gpu_pack(k);
  *wgp = k->sched.wg > 0 ? k->sched.wg : 64;
  *items = (n + pack - 1) / pack;

  Nest *nest = gpu_nest(g->a, k, g->p->rewrites, g->d); /* the nest every GPU target gets (ir/gpu.c) */
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
  wgsl_use(g, k->out);

  Buf bufs = {0}, lib = {0}, ts = {0};
  for (int bnd = 0; bnd < GB_COUNT; bnd++) {
    if (!g->bind[bnd]) continue;
    const char *B = bind_var[bnd];
    buf_printf(&bufs, "@group(0) @binding(%d) var<storage, %s> %s: array<u32>;\n", bnd, bind_access[bnd], B);
    if (g->sub8[bnd])
      buf_printf(&lib, "fn ld8_%s(i: i32) -> u32 { return (%s[i >> 2u] >> (u32(i & 3i) * 8u)) & 0xffu; }\n", B, B);
    if (g->sub16[bnd])
      buf_printf(&lib, "fn ld16_%s(i: i32) -> u32 { return (%s[i >> 1u] >> (u32(i & 1i) * 16u)) & 0xffffu; }\n", B, B);
  }
  HelperSet hs = wgsl_helper_set(g);
  w_helper_emit(&g->w, &hs, &lib);
  for (int i = 0; i < g->nuses; i++) tensor_fns(g, &ts, &g->uses[i], g->uses[i].v == k->out);
  const Value *o = k->out;
  const char *what = arena_printf(g->a, "%s -> %s %s%s", comment_text(g->a, k->origin), dtype_info[o->dt].name,
                                  shape_str(g->a, o->rank, o->shape),
                                  k->nred ? arena_printf(g->a, ", %s over %s", op_name[k->rop], shape_str(g->a, k->nred, k->rshape)) : "");
  const char *kv[] = {"kernel", k->name, "what", what, "version", MLG_VERSION,
                      "unit", pack > 1 ? arena_printf(g->a, "word (%d elements)", pack) : "element",
                      "wg", arena_printf(g->a, "%d", *wgp), "buffers", buf_take(g->a, &bufs, NULL),
                      "library", buf_take(g->a, &lib, NULL), "tensors", buf_take(g->a, &ts, NULL),
                      "body", buf_take(g->a, &body, NULL), NULL};
  Buf s = {0};
  if (tmpl_expand(&s, "wgsl_kernel.wgsl", kv, g->d)) {
    buf_free(&s);
    return NULL;
  }
  return (char *)buf_take(g->a, &s, NULL);
}

/* --------------------------------------------------------------- program */
/* a JavaScript string literal holding s: UTF-8 decoded to \u escapes, any
 * byte that is not valid UTF-8 as U+FFFD */
static void js_str(Buf *b, const char *s) {
  buf_puts(b, "\"");
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c;) {
    unsigned u = *c, n = u < 0x80 ? 0 : (u & 0xe0) == 0xc0 ? 1 : (u & 0xf0) == 0xe0 ? 2 : (u & 0xf8) == 0xf0 ? 3 : 9;
    unsigned cp = n == 0 ? u : n == 1 ? u & 0x1f : n == 2 ? u & 0x0f : u & 0x07;
    unsigned k = 1;
    for (; n != 9 && k <= n && (c[k] & 0xc0) == 0x80; k++) cp = cp << 6 | (c[k] & 0x3f);
    if (n == 9 || k <= n || (n && cp < (n == 1 ? 0x80u : n == 2 ? 0x800u : 0x10000u)) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp < 0xe000))
      cp = 0xfffd, k = 1;
    c += k;
    if (cp == '"' || cp == '\\') buf_printf(b, "\\%c", (char)cp);
    else if (cp >= 32 && cp < 127) buf_printf(b, "%c", (char)cp);
    else if (cp < 0x10000) buf_printf(b, "\\u%04x", cp);
    else buf_printf(b, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
  }
  buf_puts(b, "\"");
}

static const char *jstr(Arena *a, const char *s) {
  Buf b = {0};
  js_str(&b, s);
  return buf_take(a, &b, NULL);
}

static void tensor_row(Buf *b, Arena *a, const char *name, const Value *v, int64_t off) {
  int64_t n = shape_numel(v->rank, v->shape);
  buf_printf(b, "    {name: %s, dtype: \"%s\", shape: [", jstr(a, name), dtype_info[v->dt].name);
  for (int i = 0; i < v->rank; i++) buf_printf(b, "%s%lld", i ? ", " : "", (long long)v->shape[i]);
  buf_printf(b, "], offset: %lld, bytes: %lld},\n", (long long)off, (long long)(n * dtype_info[v->dt].size));
}

static uint32_t fnv1a(const uint8_t *p, int64_t n) {
  uint32_t h = 2166136261u;
  for (int64_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

int cg_webgpu(Program *p, Output *o, Diags *d) {
  int nerr0 = d->nerr;
  GpuLayout lay;
  if (gpu_refuse(p, "webgpu", false, d) || gpu_layout(p, &lay, "webgpu", d)) return -1;
  WG g = {.p = p, .a = p->a, .d = d, .lay = &lay};
  g.w = (W){.p = p, .a = p->a, .d = d, .t = &wgsl_target};
  Buf rows = {0}, ins = {0}, outs = {0};
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
    Buf *f = out_file(o, arena_printf(p->a, "webgpu/shaders/%s.wgsl", k->name));
    if (!f) goto full;
    buf_puts(f, src);
    buf_printf(&rows, "    {name: \"%s\", origin: %s, wg: %d, items: %lld,\n     code: %s},\n", k->name,
               jstr(p->a, k->origin), wg, (long long)items, jstr(p->a, src));
  }
  if (rc) {
    buf_free(&rows);
    return -1;
  }
  for (int i = 0; i < p->inputs.n; i++) tensor_row(&ins, p->a, ((Value *)p->inputs.v[i])->name, p->inputs.v[i], lay.in_off[i]);
  for (int i = 0; i < p->outputs.n; i++) tensor_row(&outs, p->a, p->out_names.v[i], p->outputs.v[i], lay.out_off[i]);
  const char *nm = p->name;
  const char *kv[] = {"name", nm, "name_js", jstr(p->a, nm), "version", MLG_VERSION,
                      "source", p->file ? safe_base_name(p->a, p->file) : "(model)",
                      "arena_bytes", arena_printf(p->a, "%lld", (long long)lay.arena_size),
                      "weights_bytes", arena_printf(p->a, "%lld", (long long)lay.weights_size),
                      "weights_fnv", arena_printf(p->a, "0x%08x", (unsigned)fnv1a(lay.weights, lay.weights_size)),
                      "io_bytes", arena_printf(p->a, "%lld", (long long)lay.io_size),
                      "inputs", buf_take(p->a, &ins, NULL), "outputs", buf_take(p->a, &outs, NULL),
                      "kernels", buf_take(p->a, &rows, NULL), NULL};
  Buf *m = out_file(o, arena_printf(p->a, "webgpu/%s_webgpu.js", nm));
  if (!m || tmpl_expand(m, "webgpu_model.js", kv, d)) goto full;
  Buf *w = out_file(o, arena_printf(p->a, "webgpu/%s_weights.bin", nm));
  if (!w) goto full;
  buf_putn(w, (const char *)lay.weights, (size_t)lay.weights_size);
  for (int i = 0; i < mlg_runtime_webgpu_n; i++) {
    Buf *s = out_file(o, arena_printf(p->a, "webgpu/%s", mlg_runtime_webgpu[i].name));
    if (!s) goto full;
    buf_puts(s, mlg_runtime_webgpu[i].text);
  }
  for (int i = 0; i < o->n; i++)
    if (o->f[i].text.oom) goto full;
  return 0;
full:
  if (d->nerr == nerr0)
    diag_error(d, (Loc){.file = p->file}, "out of memory (or more than %d output files) writing webgpu/", MAX_FILES);
  return -1;
}
