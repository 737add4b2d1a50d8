/* c_api.c: the C target's files. <name>.h is the API (sizes and shapes as
 * macros, descriptor tables, <name>_run and <name>_run_generic); <name>.c
 * holds one static function per kernel (rendered by c.c through the
 * walker) and the run function binding arena offsets; <name>_weights.c
 * holds the numeric constants as bytes (render_weights), which <name>.c
 * declares. Generated code uses no malloc and no stdio, only <math.h>, and
 * is deterministic byte for byte. The fixed text is templates/c_model.h,
 * c_model.c and c_weights.c; this file renders the rows and fills them in.
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

void c_kernel_params(const Kernel *k, Value **ps, int *np) {
  for (int j = 0; j < kernel_nroots(k); j++) params_of(kernel_root(k, j), ps, np, k->out);
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

/* A string table stays in <name>.c as literals (static, internal). */
static void render_strings(R *r, Buf *b, const Value *v) {
  int64_t n = shape_numel(v->rank, v->shape);
  buf_printf(b, "/* %s: %s %s */\nstatic %s %s[%lld] = {", comment(r->a, v->name), dtype_info[v->dt].name,
             shape_str(r->a, v->rank, v->shape), ro_type(r, v->dt), r->ident[v->id], (long long)(n ? n : 1));
  for (int64_t i = 0; i < (n ? n : 1); i++) {
    buf_puts(b, "\n  ");
    if (!n) buf_puts(b, "0");
    else c_str_lit(b, str_at(v->cdata, i));
    buf_puts(b, ",");
  }
  buf_puts(b, "\n};\n\n");
}

/* Numeric constants live in <name>_weights.c, never as decimal text: each is
 * a union of its bytes (little-endian) as rows of string literals, which
 * compilers read far faster than lists of numbers, and an array of its
 * element type that <name>.c's kernels read (reading another member of a
 * union reinterprets the bytes: C99 6.5.2.3, no aliasing rule broken).
 * A row is at most WROW bytes, the longest string C99 promises, one literal
 * on one line (adjacent literals on shorter lines compile 15% slower); rows
 * are of equal length, the last one short by less than the number of rows. */
#define WROW 4095

static int64_t w_bytes(const Value *v) {
  int64_t n = shape_numel(v->rank, v->shape);
  return (n ? n : 1) * dtype_info[v->dt].size;
}

/* "union <sym> { unsigned char b[R][W]; float v[N]; } <sym>" */
static void w_decl(Buf *b, const Value *v, const char *sym) {
  int64_t n = shape_numel(v->rank, v->shape), bytes = w_bytes(v), rows = (bytes + WROW - 1) / WROW;
  buf_printf(b, "union %s { unsigned char b[%lld][%lld]; %s v[%lld]; } %s", sym, (long long)rows,
             (long long)((bytes + rows - 1) / rows), dtype_info[v->dt].ctype, (long long)(n ? n : 1), sym);
}

/* The escape of each byte in a literal: as is when printable (but " \ and
 * ?, which could start a trigraph), else the shortest octal escape; a digit
 * 0-7 after a short escape is escaped too, or it would extend it. */
typedef struct {
  char s[5];
  unsigned char n;
  bool open; /* a 1- or 2-digit octal escape */
} Esc;

#define NESC (256 + 8) /* and the 3-digit escapes of '0'-'7', closed */

static void esc_table(Esc *t) {
  memset(t, 0, sizeof(Esc) * NESC);
  for (int c = 0; c < 256; c++) {
    if (c >= 32 && c < 127 && c != '"' && c != '\\' && c != '?') t[c].s[0] = (char)c, t[c].n = 1;
    else t[c].n = (unsigned char)snprintf(t[c].s, sizeof t[c].s, "\\%o", (unsigned)c), t[c].open = c < 64;
  }
  for (int c = '0'; c <= '7'; c++) t[256 + c - '0'].n = (unsigned char)snprintf(t[256 + c - '0'].s, 5, "\\%03o", (unsigned)c);
}

static bool host_le(void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

static unsigned w_byte(const unsigned char *data, int64_t i, int64_t size, bool le) {
  return !data ? 0 : le ? data[i] : data[i - i % size + size - 1 - i % size];
}

/* the characters render_weights writes for v, but for its two comment and
 * declaration lines (at most W_SLACK): the file's buffer is sized once */
#define W_SLACK (4 * WROW + 1024)
static size_t w_text_len(const Value *v, const Esc *esc) {
  int64_t n = shape_numel(v->rank, v->shape), bytes = w_bytes(v), rows = (bytes + WROW - 1) / WROW;
  int64_t row = (bytes + rows - 1) / rows, size = dtype_info[v->dt].size;
  const unsigned char *data = n ? (const unsigned char *)v->cdata : NULL;
  bool le = host_le();
  size_t len = (size_t)rows * 5;
  for (int64_t r0 = 0; r0 < bytes; r0 += row) {
    bool open = false;
    for (int64_t i = r0; i < bytes && i < r0 + row; i++) {
      unsigned c = w_byte(data, i, size, le);
      const Esc *e = open && c >= '0' && c <= '7' ? &esc[256 + c - '0'] : &esc[c];
      len += e->n, open = e->open;
    }
  }
  return len;
}

static void render_weights(R *r, Buf *b, const Value *v, const char *sym, const Esc *esc, bool stat) {
  int64_t n = shape_numel(v->rank, v->shape), bytes = w_bytes(v), rows = (bytes + WROW - 1) / WROW;
  int64_t row = (bytes + rows - 1) / rows;
  int64_t size = dtype_info[v->dt].size;
  const unsigned char *data = n ? (const unsigned char *)v->cdata : NULL;
  bool le = host_le();
  buf_printf(b, "/* %s: %s %s */\n%sconst ", comment(r->a, v->name), dtype_info[v->dt].name,
             shape_str(r->a, v->rank, v->shape), stat ? "static " : "");
  w_decl(b, v, sym);
  buf_puts(b, " = {{");
  for (int64_t r0 = 0; r0 < bytes; r0 += row) {
    int64_t end = r0 + row < bytes ? r0 + row : bytes;
    char *d = buf_room(b, (size_t)(end - r0) * 4 + 8), *s = d;
    if (!d) return;
    if (r0) *s++ = ',';
    *s++ = '\n', *s++ = ' ', *s++ = ' ', *s++ = '"';
    bool open = false;
    for (int64_t i = r0; i < end; i++) {
      unsigned c = w_byte(data, i, size, le);
      const Esc *e = open && c >= '0' && c <= '7' ? &esc[256 + c - '0'] : &esc[c];
      memcpy(s, e->s, 4); /* fixed size: a move of one word (the room has slack) */
      s += e->n, open = e->open;
    }
    *s++ = '"';
    *s = 0;
    b->len += (size_t)(s - d);
  }
  buf_puts(b, "\n}};\n\n");
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
    /* an ONNX-only type (float8, int4, ...: ir.h) is passed in ONNX's bytes:
     * the tables and macros give its type and shape, the pointer is the
     * storage (uint8_t bit patterns; int4/int2/float4 packed), _BYTES its size */
    DType dt = v->io_dt ? v->io_dt : v->dt;
    int rank = v->io_dt ? v->io_rank : v->rank;
    const int64_t *dims = v->io_dt ? v->io_shape : v->shape;
    int64_t n = shape_numel(rank, dims), nbytes = shape_numel(v->rank, v->shape) * dtype_info[v->dt].size;
    strs |= v->dt == DT_STRING;
    buf_printf(&b[IO_MACROS], "/* %s %s: %s %s%s */\n", out ? "output" : "input", comment(r->a, name),
               dtype_info[dt].name, shape_str(r->a, rank, dims),
               !v->io_dt                        ? ""
               : dtype_info[v->io_dt].bits < 8 ? ", packed: the first element in the low bits of byte 0"
               : dtype_info[v->io_dt].is_float ? ", as uint8_t bit patterns"
                                                : "");
    buf_printf(&b[IO_MACROS], "#define %s_%s_SIZE %lld /* elements */\n#define %s_%s_RANK %d\n", NM, ID,
               (long long)n, NM, ID, rank);
    if (v->io_dt) buf_printf(&b[IO_MACROS], "#define %s_%s_BYTES %lld\n", NM, ID, (long long)nbytes);
    for (int d = 0; d < rank; d++)
      buf_printf(&b[IO_MACROS], "#define %s_%s_DIM%d %lld\n", NM, ID, d, (long long)dims[d]);
    Buf *desc = &b[out ? IO_OUT_DESCS : IO_IN_DESCS];
    buf_puts(desc, "  {");
    c_str_lit(desc, name);
    buf_printf(desc, ", \"%s\", %d, {", dtype_info[dt].name, rank);
    for (int d = 0; d < rank; d++) buf_printf(desc, "%s%lld", d ? ", " : "", (long long)dims[d]);
    if (v->dt == DT_STRING) /* an array of pointers, whatever their size on the target */
      buf_printf(desc, "%s}, %lld, %lld * (int64_t)sizeof(const char *)},\n", rank ? "" : "0", (long long)n,
                 (long long)n);
    else
      buf_printf(desc, "%s}, %lld, %lld},\n", rank ? "" : "0", (long long)n, (long long)nbytes);
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

/* --weights-separate: the floating-point constants leave the code for one
 * blob, <name>_weights.bin (docs/firmware.md): a 64-byte header (magic
 * "MLGW", format 1, header size, payload alignment, the model hash, the
 * payload's size and CRC-32, the tensor count), then each tensor at a
 * 16-aligned offset. Only float tables go: the code never depends on their
 * values, while an integer table's range can remove a clamp (ir/expr.c,
 * const_range), so integer and bool tables, like scalars (literals) and
 * strings, stay in the code, and the model hash covers them. The model hash
 * is FNV-1a 64 over the code that reads the blob: identical code accepts
 * any blob of the same layout, other code refuses it. */
#define WB_HDR 64
#define WB_ALIGN 16

static uint64_t fnv64(uint64_t h, const char *s) {
  for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static uint32_t crc32_ieee(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

static void put32(unsigned char *b, uint64_t v) {
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
}

/* the blob: header, then each tensor (value order) at its offset */
static int write_blob(Program *p, Buf *f, const bool *blob, const int64_t *off, int64_t payload, int ntensors,
                      uint64_t hash) {
  unsigned char *d = (unsigned char *)buf_room(f, (size_t)(WB_HDR + payload) + 1);
  if (!d) return -1;
  memset(d, 0, (size_t)(WB_HDR + payload));
  unsigned char *pl = d + WB_HDR;
  bool le = host_le();
  for (int i = 0; i < p->values.n; i++) {
    const Value *v = p->values.v[i];
    if (!blob[i]) continue;
    int64_t n = shape_numel(v->rank, v->shape), size = dtype_info[v->dt].size;
    const unsigned char *data = n ? (const unsigned char *)v->cdata : NULL;
    for (int64_t k = 0; k < n * size; k++) pl[off[i] + k] = (unsigned char)w_byte(data, k, size, le);
  }
  memcpy(d, "MLGW", 4);
  put32(d + 4, 1);
  put32(d + 8, WB_HDR);
  put32(d + 12, WB_ALIGN);
  put32(d + 16, hash & 0xFFFFFFFFu);
  put32(d + 20, hash >> 32);
  put32(d + 24, (uint64_t)payload);
  put32(d + 28, (uint64_t)payload >> 32);
  put32(d + 32, crc32_ieee(pl, (size_t)payload));
  put32(d + 36, (uint64_t)ntensors);
  f->len = (size_t)(WB_HDR + payload);
  return 0;
}

/* hdr: only <name>.h, into hdr (the llvm target's header); else all the files into o */
static int c_files(Program *p, const COpts *opt, Output *o, Buf *hdr, Diags *d) {
  R r = {.p = p, .a = p->a, .d = d};
  bool sep = opt && opt->weights_separate;
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
  bool *blob = sep ? arena_alloc(p->a, (size_t)p->values.n + 1) : NULL; /* in the weights blob */
  int64_t *woff = sep ? arena_alloc(p->a, sizeof(int64_t) * (size_t)(p->values.n + 1)) : NULL;
  if (!r.ident || !used || (sep && (!blob || !woff))) return -1;
  /* names: inputs, outputs, then weights and temporaries */
  static const char *const reserved[] = {"acc", "best", "v", "mem", "arena", "inputs", "outputs", NULL};
  for (int i = 0; reserved[i]; i++) map_put(p->a, &r.names, reserved[i], (void *)1);
  if (sep) map_put(p->a, &r.names, "weights", (void *)1), map_put(p->a, &r.names, "wp", (void *)1);
  for (int i = 0; i < p->inputs.n; i++) {
    Value *v = p->inputs.v[i];
    r.ident[v->id] = unique(&r, v->name);
  }
  for (int i = 0; i < p->outputs.n; i++) {
    Value *v = p->outputs.v[i];
    r.ident[v->id] = unique(&r, p->out_names.v[i]);
  }
  ir_mark_consts_nest(p, used);
  for (int i = 0; i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    if (!r.ident[k->out->id]) r.ident[k->out->id] = unique(&r, k->out->name);
  }
  /* numeric constants: <name>_w_<tensor>, external (<name>_weights.c), read as .v */
  const char **wsym = arena_alloc(p->a, sizeof(char *) * (size_t)(p->values.n + 1));
  if (!wsym) return -1;
  for (int i = 0; i < p->values.n; i++) {
    Value *v = p->values.v[i];
    if (!used[i]) continue;
    if (v->dt == DT_STRING) {
      r.ident[i] = unique(&r, v->name);
    } else if (sep && dtype_info[v->dt].is_float) { /* a pointer into the blob, a kernel parameter */
      blob[i] = true;
      r.ident[i] = unique(&r, v->name);
    } else {
      wsym[i] = unique(&r, arena_printf(p->a, "%s_w_%s", nm, v->name));
      r.ident[i] = unique(&r, v->name); /* in a kernel: its parameter, the call passes wsym.v */
    }
  }

  Buf scratch[2] = {{0}};
  Buf *h = hdr ? hdr : out_file(o, arena_printf(p->a, "%s.h", nm));
  Buf *c = hdr ? &scratch[0] : out_file(o, arena_printf(p->a, "%s.c", nm));
  Buf *wf = hdr ? &scratch[1] : out_file(o, arena_printf(p->a, sep ? "%s_weights.bin" : "%s_weights.c", nm));
  if (!h || !c || !wf) return -1;
  /* the blob's layout, and the run's pointers into it */
  Buf wbinds = {0};
  int64_t payload = 0;
  int nblob = 0;
  for (int i = 0; sep && i < p->values.n; i++) {
    Value *v = p->values.v[i];
    if (!blob[i]) continue;
    if (!nblob++) buf_puts(&wbinds, "  const unsigned char *wp = weights->payload;\n");
    woff[i] = payload;
    payload += (w_bytes(v) + WB_ALIGN - 1) / WB_ALIGN * WB_ALIGN;
    const char *pt = ptr_to(&r, ro_type(&r, v->dt));
    buf_printf(&wbinds, "  %s%s = (%s)(const void *)(wp + %lld); /* %s: %s %s */\n", pt, r.ident[i], pt,
               (long long)woff[i], comment(p->a, v->name), dtype_info[v->dt].name, shape_str(p->a, v->rank, v->shape));
  }
  if (payload >= ((int64_t)1 << 32)) {
    diag_error(d, (Loc){.file = p->file}, "--weights-separate: %lld bytes of weights, the blob holds at most 4 GiB",
               (long long)payload);
    return -1;
  }
  /* kernels first (to learn which helpers are used), with their calls and
   * the arena bindings of temporaries */
  Buf kb = {0}, calls = {0}, binds = wbinds, b = {0}, io[IO_COUNT] = {{0}};
  for (int i = 0; !hdr && i < p->kernels.n; i++) {
    Kernel *k = p->kernels.v[i];
    Value *ps[256];
    int np = 0;
    c_kernel_params(k, ps, &np);
    /* then the numeric constants the nest reads (blob tensors included), as restrict pointers
     * (read through the global union, gcc builds a vector load of a
     * packed panel from scalar inserts) */
    int nb = np;
    if (k->nest) nest_consts(k->nest, ps, &np, 250);
    const char *pt = ptr_to(&r, dtype_info[k->out->dt].ctype), *out = r.ident[k->out->id];
    buf_printf(&kb, "/* %s: %s -> %s %s%s */\nstatic void %s(", comment(p->a, k->origin), comment(p->a, k->out->name),
               dtype_info[k->out->dt].name, shape_str(p->a, k->out->rank, k->out->shape),
               k->sched.vec ? ", accumulated in place" : "", k->name);
    buf_printf(&calls, "  MLG_PROF(%d, 0);\n  %s(", i, k->name);
    for (int j = 0; j < np; j++) {
      buf_printf(&kb, "%srestrict %s, ", ptr_to(&r, ro_type(&r, ps[j]->dt)), r.ident[ps[j]->id]);
      if (j < nb || (blob && blob[ps[j]->id])) buf_printf(&calls, "%s, ", r.ident[ps[j]->id]); /* a blob pointer */
      else buf_printf(&calls, "%s.v, ", wsym[ps[j]->id]);
    }
    buf_printf(&kb, "%srestrict %s) {\n", pt, out);
    buf_printf(&calls, "%s);\n", out);
    if (k->out->check) /* a run-time check: stop at the first that fails */
      buf_printf(&calls, "  if (!*%s) return %d; /* %s */\n", out, MLG_STATUS_VALUE, comment(p->a, k->out->check));
    buf_printf(&calls, "  MLG_PROF(%d, 1);\n", i);
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
  Esc esc[NESC];
  esc_table(esc);
  for (int i = 0; i < p->values.n; i++) {
    Value *v = p->values.v[i];
    if (!used[i]) continue;
    if (v->dt == DT_STRING) {
      render_strings(&r, &b, v);
      continue;
    }
    if (sep && blob[i]) continue;
    if (sep) { /* an integer table: its values are part of the code */
      render_weights(&r, &b, v, wsym[i], esc, true);
      continue;
    }
    buf_printf(&b, "/* %s: %s %s */\nextern const ", comment(p->a, v->name), dtype_info[v->dt].name,
               shape_str(p->a, v->rank, v->shape));
    w_decl(&b, v, wsym[i]);
    buf_puts(&b, ";\n");
  }
  if (b.len && b.s[b.len - 2] == ';') buf_puts(&b, "\n");
  const char *weights = buf_take(p->a, &b, c);
  if (sep) buf_puts(&io[IO_CHECKS], "  if (!weights || !weights->payload) return 1;\n");
  bool strs = io_rows(&r, io, NM);
  const char *rows[IO_COUNT];
  for (int i = 0; i < IO_COUNT; i++) rows[i] = buf_take(p->a, &io[i], i == IO_MACROS ? h : c);

  /* the model's base name only: output must not depend on where the tree
   * lives (byte-for-byte reproducible builds), and "*" "/" cannot end the comment */
  const char *src = !p->file ? "(model)" : safe_base_name(p->a, p->file);
  /* --weights-separate: the model hash, over the code that reads the blob */
  const char *wapi = "", *wload = "", *wparam = "", *warg = "";
  uint64_t hash = 0xcbf29ce484222325ull;
  if (sep) {
    const char *parts[] = {nm, helpers_s, weights, kernels, binds_s, calls_s, rows[IO_PARAMS], rows[IO_CHECKS],
                           rows[IO_ARGS], rows[IO_MACROS]};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) hash = fnv64(fnv64(hash, parts[i]), "\n");
    const char *hx = arena_printf(p->a, "%016llx", (unsigned long long)hash);
    const char *hkv[] = {"name", nm, "NAME", NM, "blob_size", arena_printf(p->a, "%lld", (long long)(WB_HDR + payload)),
                         "payload_size", arena_printf(p->a, "%lld", (long long)payload),
                         "ntensors", arena_printf(p->a, "%d", nblob), "model_hash", hx,
                         "hash_lo", arena_printf(p->a, "%.8s", hx + 8), "hash_hi", arena_printf(p->a, "%.8s", hx), NULL};
    Buf t = {0};
    if (tmpl_expand(&t, "c_wload_h.h", hkv, d)) return -1;
    wapi = buf_take(p->a, &t, c);
    if (tmpl_expand(&t, "c_wload.c", hkv, d)) return -1;
    wload = buf_take(p->a, &t, c);
    wparam = arena_printf(p->a, "const %s_weights *weights, ", nm);
    warg = "weights, ";
  }
  Buf ck = {0};
  if (p->checks.n) {
    buf_printf(&ck, "/* _run returns %s_EVALUE when a value given at run time disagrees with the shapes\n"
                    " * this code was built for (the outputs are then unspecified). It checks:\n", NM);
    for (int i = 0; i < p->checks.n; i++)
      buf_printf(&ck, " *   %s\n", comment(p->a, ((Value *)p->checks.v[i])->check));
    buf_printf(&ck, " */\n#define %s_EVALUE %d\n", NM, MLG_STATUS_VALUE);
  }
  const char *checks_api = buf_take(p->a, &ck, h);
  const char *kv[] = {"checks_api", checks_api, "weights_api", wapi, "weights_load", wload, "wparam", wparam, "warg", warg,"name", nm, "NAME", NM, "version", MLG_VERSION, "source", src,
      "string_note", strs ? "\n * String tensors are arrays of pointers to NUL-terminated UTF-8 text. An\n"
                            " * output string points at a constant of this file or at one of the\n"
                            " * caller's input strings: keep the inputs alive while you read it." : "",
      "files", sep ? arena_printf(p->a, "%s.c; the weights are a blob (below)", nm)
                   : arena_printf(p->a, "%s.c and %s_weights.c", nm, nm),
      "arena_size", arena_printf(p->a, "%lld", (long long)p->plan.arena_size),
      "arena_align", arena_printf(p->a, "%lld", (long long)p->plan.arena_align),
      "weights_size", arena_printf(p->a, "%lld", (long long)p->plan.weights_size),
      "ninputs", arena_printf(p->a, "%d", p->inputs.n), "noutputs", arena_printf(p->a, "%d", p->outputs.n),
      "inputs_len", p->inputs.n ? arena_printf(p->a, "%s_NUM_INPUTS", NM) : "1",
      "io_macros", rows[IO_MACROS], "input_descs", rows[IO_IN_DESCS], "output_descs", rows[IO_OUT_DESCS],
      "params", rows[IO_PARAMS], "checks", rows[IO_CHECKS], "generic_args", rows[IO_ARGS],
      "helpers", helpers_s, "weights", weights, "kernels", kernels, "binds", binds_s, "calls", calls_s, NULL};
  int rc = tmpl_expand(h, "c_model.h", kv, d);
  if (hdr) {
    buf_free(&scratch[0]);
    buf_free(&scratch[1]);
    return rc || h->oom ? -1 : 0;
  }
  rc = rc || tmpl_expand(c, "c_model.c", kv, d);
  /* The weights' text is most of a big model's output: rendered straight
   * into the file's buffer, sized once, after the template's text (whose
   * last line is {{weights}}), never copied (3x less peak memory) */
  const char *wkv[] = {"name", nm, "version", MLG_VERSION, "source", src, "weights", "", NULL};
  if (sep) rc = rc || write_blob(p, wf, blob, woff, payload, nblob, hash);
  else rc = rc || tmpl_expand(wf, "c_weights.c", wkv, d);
  if (rc) return -1;
  size_t total = 0;
  for (int i = 0; !sep && i < p->values.n; i++)
    if (used[i] && ((Value *)p->values.v[i])->dt != DT_STRING) total += w_text_len(p->values.v[i], esc) + W_SLACK;
  if (total && buf_room(wf, total))
    for (int i = 0; i < p->values.n; i++)
      if (used[i] && ((Value *)p->values.v[i])->dt != DT_STRING) render_weights(&r, wf, p->values.v[i], wsym[i], esc, false);
  if (h->oom || c->oom || wf->oom) {
    diag_error(d, (Loc){0}, "out of memory while rendering C");
    return -1;
  }
  return r.w.err ? -1 : 0;
}

int cg_c_opts(Program *p, const COpts *opt, Output *o, Diags *d) { return c_files(p, opt, o, NULL, d); }

int cg_c(Program *p, Output *o, Diags *d) { return c_files(p, &(COpts){0}, o, NULL, d); }

int cg_c_header(Program *p, Buf *h, Diags *d) { return c_files(p, &(COpts){0}, NULL, h, d); }
