/* carve.c: `mlgen carve MODEL --input NAME=FILE ... -o DIR [--target LIST]`:
 * a standalone test suite cut from a real run (docs/bring-up.md).
 *
 * The reference interpreter runs the model on the given inputs and keeps
 * every kernel's tensor. Each kernel then becomes a one-kernel program
 * (ir_carve with one kernel chosen, fed), built for every target in LIST
 * (default c,vulkan,webgpu,metal) with the driver `mlgen run --target`
 * uses for it, so the suite runs exactly what mlgen runs. DIR holds, per
 * kernel kN/: the inputs (.bin for the drivers, .npy for people), the
 * expected output, tolerance.txt (verify's rule for the kernel), the
 * target folders; and at the top a CMakeLists.txt (one ctest per kernel and
 * target), run_case.cmake, check.c and a README.md. Nothing in it needs
 * mlgen. DIR is written atomically, as build does.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codegen/templates.h"
#include "cli.h"

static const char *const usage_carve =
    "usage: mlgen carve MODEL --input NAME=FILE ... -o DIR [--target c,vulkan,webgpu,metal]\n"
    "                   [--input-shape ...] [--freeze ...]\n\n"
    "Runs MODEL on the reference interpreter and writes DIR: per kernel, its inputs and expected output\n"
    "(.npy and raw .bin), its tolerance, and a program per target; CMakeLists.txt makes one ctest per kernel\n"
    "and target (cmake -S DIR -B DIR/build && cmake --build DIR/build && ctest --test-dir DIR/build).\n";

static const char *upper(Arena *a, const char *s) {
  char *u = arena_strdup(a, s);
  for (char *c = u; c && *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
  return u;
}

/* model text in a Markdown table cell: printable ASCII, '|' escaped */
static const char *md(Arena *a, const char *s) {
  Buf b = {0};
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c == '|' || *c == '\\' || *c == '`' || *c == '*' || *c == '_' || *c == '<') buf_printf(&b, "\\%c", *c);
    else buf_printf(&b, "%c", *c >= 32 && *c < 127 ? *c : '?');
  }
  return buf_take(a, &b, NULL);
}

/* the driver `mlgen run --target t` compiles for p, at its path in the folder */
static int driver(Arena *a, const char *t, Program *p, Buf *drv, const char **path, Diags *d) {
  const char *kv[] = {"name", p->name, "NAME", upper(a, p->name), NULL, NULL, NULL, NULL, NULL};
  if (!strcmp(t, "c")) *path = "driver.c";
  else if (!strcmp(t, "vulkan")) *path = "vulkan/driver.c";
  else if (!strcmp(t, "webgpu")) *path = "webgpu/driver.mjs";
  else {
    Buf inc = {0}, fns = {0};
    for (int i = 0; i < p->kernels.n; i++) {
      const char *k = ((Kernel *)p->kernels.v[i])->name;
      buf_printf(&inc, "namespace mk%d {\n#include \"kernels/%s.metal\"\n}\n", i, k);
      buf_printf(&fns, "    mk%d::%s,\n", i, k);
    }
    kv[4] = "includes", kv[5] = buf_take(a, &inc, NULL), kv[6] = "functions", kv[7] = buf_take(a, &fns, NULL);
    *path = "metal/driver.cpp";
  }
  const char *tmpl = !strcmp(t, "c") ? "run_c_driver.c" : !strcmp(t, "vulkan") ? "run_vk_driver.c"
                     : !strcmp(t, "webgpu") ? "run_webgpu_driver.mjs" : "run_metal_driver.cpp";
  return tmpl_expand(drv, tmpl, kv, d);
}

static int put(Arena *a, const char *dir, const char *name, const void *data, size_t n) {
  Buf b = {(char *)data, n, n, false};
  return cli_put(a, dir, name, &b);
}

/* a tensor as name.bin and name.npy in dir */
static int put_tensor(Arena *a, const char *dir, const char *name, const Value *v, const void *data) {
  /* name: "kN/x" (the folder made by the .bin) */
  char err[256];
  if (put(a, dir, arena_printf(a, "%s.bin", name), data, cli_value_bytes(v))) return -1;
  if (npy_write(arena_printf(a, "%s/%s.npy", dir, name), v->dt, v->rank, v->shape, data, err, sizeof err)) {
    fprintf(stderr, "mlgen: %s\n", err);
    return -1;
  }
  return 0;
}

int cmd_carve(int argc, char **argv) {
  const char *targets = NULL;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_carve, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--target") && i + 1 < argc) targets = argv[i + 1];
  }
  /* the build is for every target carved (f64 sums in f32 when one lacks f64) */
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) return 3;
  memcpy(args, argv, sizeof *args * (size_t)argc);
  int nargs = argc;
  if (!targets) {
    targets = "c,vulkan,webgpu,metal";
    args[nargs++] = "--target";
    args[nargs++] = (char *)targets;
  }
  CliModel m;
  int rc = cli_load(nargs, args, &m);
  free(args);
  if (rc) {
    if (m.a) arena_free(m.a);
    return rc;
  }
  Arena *a = m.a;
  Program *p = &m.p;
  Diags *d = &m.d;
  PtrVec ts = {0};
  Buf tlist = {0}, tcomma = {0};
  for (const char *s = targets; *s;) {
    size_t n = strcspn(s, ",");
    const char *t = arena_printf(a, "%.*s", (int)n, s);
    if (strcmp(t, "c") && strcmp(t, "vulkan") && strcmp(t, "webgpu") && strcmp(t, "metal")) {
      fprintf(stderr, "mlgen: carve: target '%s' (carve writes c, vulkan, webgpu and metal suites)\n", t);
      rc = 2;
      goto out;
    }
    vec_push(a, &ts, (void *)t);
    buf_printf(&tlist, "%s%s", ts.n > 1 ? ";" : "", t);
    buf_printf(&tcomma, "%s%s", ts.n > 1 ? ", " : "", t);
    s += n + (s[n] == ',');
  }
  if (!m.out) {
    fprintf(stderr, "mlgen: carve needs -o DIR\n");
    rc = 2;
    goto out;
  }
  /* the reference: the interpreter, every kernel's tensor kept */
  int nk = p->kernels.n;
  Program ip = *p;
  memset(&ip.outputs, 0, sizeof ip.outputs);
  void **ref = arena_alloc(a, sizeof(void *) * (size_t)(nk + 1));
  int *kof = arena_alloc(a, sizeof(int) * (size_t)(p->values.n + 1));
  int *in_src = arena_alloc(a, sizeof(int) * (size_t)(p->values.n + 1));
  bool *sel = arena_alloc(a, (size_t)nk + 1);
  if (!ref || !kof || !in_src || !sel) goto oom;
  for (int i = 0; i < nk; i++) {
    Kernel *k = p->kernels.v[i];
    if (k->out->dt == DT_STRING) {
      diag_error(d, (Loc){.file = m.model}, "unsupported: kernel %d (%s) writes a string tensor, which cannot be carved",
                 i, k->origin);
      rc = 1;
      goto out;
    }
    kof[k->out->id] = i;
    if (vec_push(a, &ip.outputs, k->out) || !(ref[i] = arena_alloc(a, cli_value_bytes(k->out) + 8))) goto oom;
  }
  if (interp_run(&ip, (const void *const *)m.ins, ref, d)) {
    rc = 1;
    goto out;
  }
  char err[512];
  char *dir = out_tmp_dir(m.out, err, sizeof err);
  if (!dir) {
    fprintf(stderr, "mlgen: %s\n", err);
    rc = 3;
    goto out;
  }
  Buf cases = {0}, rows = {0};
  rc = 1;
  for (int i = 0; i < nk; i++) {
    Kernel *k = p->kernels.v[i];
    const char *kd = arena_printf(a, "k%d", i);
    memset(sel, 0, (size_t)nk);
    sel[i] = true;
    Program one;
    if (ir_carve(p, sel, true, -1, PERTURB_NONE, &one, in_src, d)) goto fail;
    Tol tol;
    kernel_tolerance(k, ref[i], &tol);
    Buf info = {0};
    buf_printf(&info, "kernel %s\nops %s\nwhere %s\ndtype %s\nshape %s\nelements %lld\natol %.6g\nrtol %.6g\nrule %s\n",
               k->name, comment_text(a, k->origin), comment_text(a, k->where), dtype_info[k->out->dt].name,
               shape_str(a, k->out->rank, k->out->shape), (long long)shape_numel(k->out->rank, k->out->shape),
               tol.atol, tol.rtol, tol.rule);
    for (int j = 0; j < one.inputs.n; j++) {
      const Value *sv = p->values.v[in_src[j]];
      const void *data = sv->kind == VK_INPUT ? m.ins[sv->in_index] : ref[kof[sv->id]];
      buf_printf(&info, "in%d %s %s %s\n", j, comment_text(a, sv->name ? sv->name : "?"), dtype_info[sv->dt].name,
                 shape_str(a, sv->rank, sv->shape));
      if (put_tensor(a, dir, arena_printf(a, "%s/in%d", kd, j), one.inputs.v[j], data)) goto io;
    }
    if (put_tensor(a, dir, arena_printf(a, "%s/expected", kd), k->out, ref[i]) ||
        put(a, dir, arena_printf(a, "%s/tolerance.txt", kd), info.s, info.len))
      goto io;
    buf_free(&info);
    for (int t = 0; t < ts.n; t++) {
      const char *tn = ts.v[t];
      int kind, bad = test_perturb(p, tn, &kind);
      Program broken, *use = &one;
      if (bad == i) { /* test-only: this target's copy of the kernel broken */
        if (ir_carve(p, sel, true, i, kind, &broken, NULL, d)) goto fail;
        use = &broken;
      }
      Output o = {0};
      Buf drv = {0};
      const char *dpath;
      if (target_find(tn)->build(use, &(TargetOpts){.for_run = true}, &o, d) || driver(a, tn, use, &drv, &dpath, d)) {
        out_free(&o);
        buf_free(&drv);
        goto fail;
      }
      int bad_io = 0;
      for (int f = 0; f < o.n && !bad_io; f++) bad_io = cli_put(a, dir, arena_printf(a, "%s/%s", kd, o.f[f].name), &o.f[f].text);
      bad_io |= cli_put(a, dir, arena_printf(a, "%s/%s", kd, dpath), &drv);
      out_free(&o);
      buf_free(&drv);
      if (bad_io) goto io;
    }
    buf_printf(&cases, "mlg_case(%s %s %d %s %lld %.6g %.6g)\n", k->name, kd, one.inputs.n, dtype_info[k->out->dt].name,
               (long long)shape_numel(k->out->rank, k->out->shape), tol.atol, tol.rtol);
    buf_printf(&rows, "| `<target>.%s` | %s | %s | %s | %s %s | atol %.3g, rtol %.3g (%s) |\n", k->name, kd,
               md(a, k->origin), md(a, *k->where ? k->where : "-"), dtype_info[k->out->dt].name,
               shape_str(a, k->out->rank, k->out->shape), tol.atol, tol.rtol, tol.rule);
  }
  {
    const char *kv[] = {"version", MLG_VERSION, "name", p->name, "targets", tlist.s ? tlist.s : "",
                        "cases", cases.s ? cases.s : "", "model", md(a, safe_base_name(a, m.model)),
                        "kernels", rows.s ? rows.s : "", NULL};
    const char *kv_t[] = {"version", MLG_VERSION, "name", p->name, "targets", tcomma.s ? tcomma.s : "",
                          "model", kv[9], "kernels", rows.s ? rows.s : "", NULL};
    static const char *const files[][2] = {{"carve_CMakeLists.txt", "CMakeLists.txt"},
                                           {"carve_run_case.cmake", "run_case.cmake"},
                                           {"carve_check.c", "check.c"},
                                           {"carve_README.md", "README.md"}};
    for (int f = 0; f < 4; f++) {
      Buf t = {0};
      if (tmpl_expand(&t, files[f][0], f == 3 ? kv_t : kv, d)) goto fail;
      int bad_io = put(a, dir, files[f][1], t.s, t.len);
      buf_free(&t);
      if (bad_io) goto io;
    }
  }
  if (out_commit(dir, m.out, err, sizeof err)) {
    fprintf(stderr, "mlgen: %s\n", err);
    rc = 3;
  } else {
    fprintf(stderr, "mlgen: wrote %s/ (%d kernels x %s; cmake -S %s -B %s/build && cmake --build %s/build && ctest --test-dir %s/build)\n",
            m.out, nk, tcomma.s ? tcomma.s : "", m.out, m.out, m.out, m.out);
    rc = 0;
  }
  free(dir);
  goto done;
io:
  fprintf(stderr, "mlgen: carve: I/O error writing %s\n", dir);
  rc = 3;
fail:
  remove_tree(dir);
  free(dir);
done:
  buf_free(&cases);
  buf_free(&rows);
  goto out;
oom:
  fprintf(stderr, "mlgen: out of memory\n");
  rc = 3;
out:
  if (d->text.len) fputs(d->text.s, stderr);
  diag_free(d);
  buf_free(&tlist);
  buf_free(&tcomma);
  arena_free(a);
  return rc;
}
