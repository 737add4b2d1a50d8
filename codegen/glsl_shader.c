/* glsl_shader.c: the Vulkan target's shader per kernel (glsl_target.h).
 *
 * Memory (docs/vulkan.md): three storage buffers, the same in every shader:
 * binding 0 the arena, 1 the weights, 2 the io buffer, placed by
 * ir/gpu_layout.c. A shader reads a binding through typed views (float
 * A_f32[], int A_i32[], ...) and names every tensor with a macro: `t_x(i)`
 * is element i of tensor x. 8- and 16-bit tensors load from the uint view;
 * their kernels store a whole word per item (ir/gpu.c packs them). The
 * shader's fixed text is templates/glsl_kernel.comp.
 */
#include "glsl_target.h"
#include "templates.h"

#include <string.h>

void glsl_unsupported(G *g, const char *what) {
  if (g->err) return;
  diag_error(g->d, (Loc){.file = g->p->file}, "unsupported on vulkan: %s at kernel %s (%s)", what, g->k->name,
             g->k->origin);
  g->err = true;
}

char *glsl_str(G *g, Buf *b) { return (char *)buf_take(g->a, b, NULL); }

static const char *const bind_var[NBIND] = {"A", "W", "IO"};
static const char *const bind_block[NBIND] = {"Arena", "Weights", "Io"};

static const char *const vw_sfx[VW_COUNT] = {"u32", "i32", "f32", "i64", "u64", "f64"};
static const char *const vw_type[VW_COUNT] = {"uint", "int", "float", "int64_t", "uint64_t", "double"};

/* ------------------------------------------------------------- buffers */
static View view_of(DType dt) {
  switch (dt) {
  case DT_F32: return VW_F32;
  case DT_I32: return VW_I32;
  case DT_I64: return VW_I64;
  case DT_U64: return VW_U64;
  case DT_F64: return VW_F64;
  default: return VW_U32;
  }
}

/* the macro naming tensor v in this shader */
const char *glsl_use(G *g, const Value *v) {
  for (int i = 0; i < g->nuses; i++)
    if (g->uses[i].v == v) return g->uses[i].name;
  if (g->nuses == 256) {
    glsl_unsupported(g, "more than 256 tensors in one kernel");
    return "t_";
  }
  int bind;
  int64_t off;
  gpu_locate(&g->g->lay, v, &bind, &off);
  int size = dtype_info[v->dt].size;
  if (size < 4) (size == 1 ? g->sub8 : g->sub16)[bind] = true;
  g->view[bind][view_of(v->dt)] = true;
  if (v->dt == DT_I64 || v->dt == DT_U64) g->i64 = true;
  if (v->dt == DT_F64) g->f64 = true;
  g->uses[g->nuses] = (Use){v, gpu_tensor_ident(g->a, &g->names, v->name ? v->name : "tensor")};
  return g->uses[g->nuses++].name;
}

static const char *dstr(DType dt) { return dtype_info[dt].name; }

/* model text for a comment: printable ASCII, no comment delimiter (ir/util.c) */
static const char *safe(G *g, const char *s) { return comment_text(g->a, s); }

static char *render_kernel(G *g, const Kernel *k, GlslKernel *gk) {
  g->k = k;
  memset(g->help, 0, sizeof g->help);
  memset(g->view, 0, sizeof g->view);
  memset(g->sub8, 0, sizeof g->sub8);
  memset(g->sub16, 0, sizeof g->sub16);
  g->i64 = g->f64 = false;
  g->nuses = 0;
  memset(&g->names, 0, sizeof g->names);
  int64_t n = shape_numel(k->nout, k->oshape);
  int pack = gpu_pack(k);
  gk->k = k;
  gk->wg = k->sched.wg > 0 ? k->sched.wg : 64;
  gk->items = (n + pack - 1) / pack;

  /* the kernel's nest as every GPU target gets it (ir/gpu.c) */
  Nest *nest = gpu_nest(g->a, k, g->p->rewrites, g->d);
  if (!nest) {
    g->err = true;
    return NULL;
  }
  Buf body = {0};
  g->w.k = k;
  g->w.n = nest;
  g->w.b = &body;
  g->w.dep = 1;
  g->w.err = false;
  if (render_nest(&g->w)) g->err = true;
  if (g->i64 && !g->f->int64) glsl_unsupported(g, "i64 (needs shaderInt64: build with --vk-features int64)");
  if (g->f64 && !g->f->float64) glsl_unsupported(g, "f64 (needs shaderFloat64: build with --vk-features float64)");
  g->g->int64 |= g->i64;
  g->g->float64 |= g->f64;

  /* the shader: templates/glsl_kernel.comp around the rows of this kernel */
  Buf bufs = {0}, lib = {0}, ts = {0};
  const Value *o = k->out;
  for (int bnd = 0; bnd < NBIND; bnd++) {
    if (g->sub8[bnd] || g->sub16[bnd]) g->view[bnd][VW_U32] = true;
    for (int v = 0; v < VW_COUNT; v++)
      if (g->view[bnd][v])
        buf_printf(&bufs, "layout(std430, set = 0, binding = %d) %sbuffer %s_%s { %s %s_%s[]; };\n", bnd,
                   bnd == B_WEIGHTS ? "readonly " : "", bind_block[bnd], vw_sfx[v], vw_type[v], bind_var[bnd],
                   vw_sfx[v]);
    const char *B = bind_var[bnd];
    if (g->sub8[bnd])
      buf_printf(&lib, "uint ld8_%s(int i) { return (%s_u32[i >> 2] >> (uint(i & 3) * 8u)) & 0xffu; }\n", B, B);
    if (g->sub16[bnd])
      buf_printf(&lib, "uint ld16_%s(int i) { return (%s_u32[i >> 1] >> (uint(i & 1) * 16u)) & 0xffffu; }\n", B, B);
  }
  HelperSet hs = glsl_helper_set(g);
  w_helper_emit(&g->w, &hs, &lib);
  for (int i = 0; i < g->nuses; i++) {
    const Value *v = g->uses[i].v;
    int bind;
    int64_t off;
    gpu_locate(&g->g->lay, v, &bind, &off);
    int sz = dtype_info[v->dt].size;
    const char *B = bind_var[bind];
    const char *what = v->kind == VK_CONST ? "weights" : v->kind == VK_INPUT ? "input"
                       : v->out_index >= 0 ? "output" : "arena";
    if (sz >= 4)
      buf_printf(&ts, "#define %s(i) %s_%s[%lld + (i)]", g->uses[i].name, B, vw_sfx[view_of(v->dt)],
                 (long long)(off / sz));
    else
      buf_printf(&ts, "#define %s(i) ld%d_%s(%lld + (i))", g->uses[i].name, sz * 8, B, (long long)(off / sz));
    buf_printf(&ts, " /* %s: %s %s, %s@%lld */\n", safe(g, v->name), dstr(v->dt), shape_str(g->a, v->rank, v->shape),
               what, (long long)off);
    if (v == o && sz < 4)
      buf_printf(&ts, "#define %s_word(w) %s_u32[%lld + (w)] /* its 32-bit words */\n", g->uses[i].name, B,
                 (long long)(off / 4));
  }
  const char *what = arena_printf(g->a, "%s -> %s %s%s", safe(g, k->origin), dstr(o->dt), shape_str(g->a, o->rank, o->shape),
                                  k->nred ? arena_printf(g->a, ", %s over %s", op_name[k->rop], shape_str(g->a, k->nred, k->rshape)) : "");
  const char *kv[] = {"extensions", g->i64 ? "#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n" : "",
                      "kernel", k->name, "what", what, "version", MLG_VERSION,
                      "unit", pack > 1 ? arena_printf(g->a, "word (%d elements)", pack) : "element",
                      "wg", arena_printf(g->a, "%d", gk->wg), "buffers", glsl_str(g, &bufs), "library", glsl_str(g, &lib),
                      "tensors", glsl_str(g, &ts), "body", glsl_str(g, &body), NULL};
  Buf s = {0};
  if (tmpl_expand(&s, "glsl_kernel.comp", kv, g->d)) g->err = true;
  return glsl_str(g, &s);
}

/* --------------------------------------------------------------- program */
int cg_glsl(Program *p, const GpuFeatures *f, GlslProgram *gp, Diags *d) {
  G g = {.p = p, .a = p->a, .d = d, .f = f, .g = gp};
  g.w = (W){.p = p, .a = p->a, .d = d, .t = &glsl_target};
  memset(gp, 0, sizeof *gp);
  gp->ks = arena_alloc(p->a, sizeof(GlslKernel) * (size_t)(p->kernels.n + 1));
  if (!gp->ks || gpu_layout(p, &gp->lay, "vulkan", d)) return -1;
  int rc = 0;
  for (int i = 0; i < p->kernels.n; i++) {
    GlslKernel *gk = &gp->ks[gp->nk++];
    g.err = false;
    gk->glsl = render_kernel(&g, p->kernels.v[i], gk);
    if (g.err || !gk->glsl) rc = -1;
  }
  int64_t *items = arena_alloc(p->a, sizeof(int64_t) * (size_t)(p->kernels.n + 1));
  bool *bar = arena_alloc(p->a, (size_t)p->kernels.n + 1);
  if (rc || !items || !bar) return -1;
  for (int i = 0; i < gp->nk; i++) items[i] = gp->ks[i].items;
  if (gpu_barriers(p, &gp->lay, items, bar)) return -1;
  for (int i = 0; i < gp->nk; i++) gp->ks[i].barrier = bar[i];
  return 0;
}
