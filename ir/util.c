/* util.c: arena, vectors, string map, text buffers, diagnostics and the
 * dtype table. Nothing here knows about models. */
#include "ir.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- arena */
typedef struct Chunk {
  struct Chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char mem[];
} Chunk;

struct Arena {
  Chunk *head;
  size_t total, limit; /* bytes taken from malloc; the budget (0: none) */
  bool over;           /* an allocation was refused for the budget */
};

Arena *arena_new(void) { return calloc(1, sizeof(Arena)); }

Arena *arena_new_limited(size_t limit) {
  Arena *a = arena_new();
  if (a) a->limit = limit;
  return a;
}

bool arena_over(const Arena *a) { return a && a->over; }
size_t arena_limit(const Arena *a) { return a ? a->limit : 0; }

void arena_free(Arena *a) {
  if (!a) return;
  for (Chunk *c = a->head, *n; c; c = n) {
    n = c->next;
    free(c);
  }
  free(a);
}

void *arena_alloc(Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  Chunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > (1u << 20) ? n : (1u << 20);
    if (a->limit && (cap > a->limit || a->total > a->limit - cap)) {
      a->over = true; /* the caller reports out of memory; the CLI names the budget */
      return NULL;
    }
    c = malloc(sizeof(Chunk) + cap);
    if (!c) return NULL;
    c->used = 0;
    c->cap = cap;
    a->total += cap;
    if (n >= (1u << 20) && a->head) { /* big block: keep the current chunk on top */
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = c->mem + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strdup(Arena *a, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = arena_alloc(a, n);
  if (p) memcpy(p, s, n);
  return p;
}

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *p = arena_alloc(a, (size_t)n + 1);
  if (!p) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

int vec_push(Arena *a, PtrVec *v, void *p) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 8;
    void **nv = arena_alloc(a, sizeof(void *) * (size_t)cap);
    if (!nv) return -1;
    if (v->n) memcpy(nv, v->v, sizeof(void *) * (size_t)v->n);
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = p;
  return 0;
}

/* ------------------------------------------------------------------ map */
static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

void *map_get(const Map *m, const char *key) {
  if (!m->cap) return NULL;
  for (uint32_t i = hash_str(key) & (uint32_t)(m->cap - 1);; i = (i + 1) & (uint32_t)(m->cap - 1)) {
    if (!m->keys[i]) return NULL;
    if (!strcmp(m->keys[i], key)) return m->vals[i];
  }
}

int map_put(Arena *a, Map *m, const char *key, void *val) {
  if ((m->n + 1) * 2 > m->cap) {
    Map nm = {0};
    nm.cap = m->cap ? m->cap * 2 : 64;
    nm.keys = arena_alloc(a, sizeof(char *) * (size_t)nm.cap);
    nm.vals = arena_alloc(a, sizeof(void *) * (size_t)nm.cap);
    if (!nm.keys || !nm.vals) return -1;
    for (int i = 0; i < m->cap; i++)
      if (m->keys[i]) map_put(a, &nm, m->keys[i], m->vals[i]);
    *m = nm;
  }
  uint32_t i = hash_str(key) & (uint32_t)(m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (uint32_t)(m->cap - 1);
  if (!m->keys[i]) m->n++;
  m->keys[i] = key;
  m->vals[i] = val;
  return 0;
}

/* ------------------------------------------------------------------ buf */
char *buf_room(Buf *b, size_t n) {
  if (b->oom) return NULL;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->oom = true;
      return NULL;
    }
    b->s = s;
    b->cap = cap;
  }
  return b->s + b->len;
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap) {
  if (b->oom) return;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || !buf_room(b, (size_t)n)) return;
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void buf_putn(Buf *b, const char *s, size_t n) {
  char *d = buf_room(b, n);
  if (!d) return;
  memcpy(d, s, n);
  d[n] = 0;
  b->len += n;
}

void buf_printf(Buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void buf_puts(Buf *b, const char *s) { buf_putn(b, s, strlen(s)); }

void buf_free(Buf *b) {
  free(b->s);
  memset(b, 0, sizeof *b);
}

const char *buf_take(Arena *a, Buf *b, Buf *into) {
  char *s = arena_strdup(a, b->s ? b->s : "");
  if (into) into->oom |= b->oom || !s;
  buf_free(b);
  return s ? s : "";
}

/* ---------------------------------------------------------- diagnostics */
/* A message at a text position is followed by that line of the source and a
 * caret under the column, as chibicc's verror_at does:
 *
 *   bad.yaml:3:21: error: unknown dtype 'c64'
 *       inputs: {x: {dtype: c64, shape: [4]}}
 *                           ^
 *
 * The line is read again from loc.file; when that fails (unreadable, a NUL
 * byte before the line: not text) the snippet is left out, never the message.
 * Columns count characters (libyaml's marks do), so a UTF-8 sequence prints
 * as one '?', as does any other non-printable byte; a tab becomes the spaces
 * to the next multiple of 8, in the line and before the caret alike. At most
 * SNIPPET_W characters are shown, a window around the column on long lines
 * (a one-line JSON model). */
enum { SNIPPET_W = 200 };

static void snippet(Buf *out, const char *file, int line, int col) {
  FILE *f = fopen(file, "rb");
  if (!f) return;
  int c = '\n';
  for (int l = 1; l < line && c != EOF && c != 0; l++)
    while ((c = getc(f)) != EOF && c != '\n' && c != 0) {}
  if (c == EOF || c == 0) {
    fclose(f);
    return;
  }
  /* characters before the window: keep the column at most SNIPPET_W/2 in */
  int skip = col > SNIPPET_W / 2 ? col - SNIPPET_W / 4 : 0, ch = 0, disp = 0, caret = -1;
  char text[SNIPPET_W * 8 + 8];
  size_t n = 0;
  bool more = false;
  if (skip) n += (size_t)sprintf(text, "...");
  while ((c = getc(f)) != EOF && c != '\n' && c != '\r') {
    if (c == 0) {
      fclose(f);
      return;
    }
    if (c >= 0x80 && c < 0xc0) continue; /* UTF-8 continuation: its lead byte printed the '?' */
    ch++;
    if (ch <= skip) continue;
    if (ch - skip > SNIPPET_W) {
      more = true;
      break;
    }
    if (ch == col) caret = (int)n;
    if (c == '\t') {
      do text[n++] = ' ';
      while (++disp % 8);
    } else {
      text[n++] = c >= 32 && c < 127 ? (char)c : '?';
      disp++;
    }
  }
  fclose(f);
  if (more) n += (size_t)sprintf(text + n, "...");
  if (col > 0 && caret < 0 && ch + 1 == col) caret = (int)n; /* just past the end: a missing token */
  text[n] = 0;
  buf_printf(out, "    %s\n", text);
  if (caret >= 0) buf_printf(out, "    %*s^\n", caret, "");
}

static void diag_v(Diags *d, Loc loc, const char *kind, const char *fmt, va_list ap) {
  if (loc.file && loc.line > 0)
    buf_printf(&d->text, "%s:%d:%d: ", loc.file, loc.line, loc.col);
  else if (loc.file)
    buf_printf(&d->text, "%s: ", loc.file);
  if (loc.node && *loc.node) buf_printf(&d->text, "node '%s': ", loc.node);
  buf_printf(&d->text, "%s: ", kind);
  buf_vprintf(&d->text, fmt, ap);
  buf_puts(&d->text, "\n");
  if (loc.file && loc.line > 0) snippet(&d->text, loc.file, loc.line, loc.col);
}

void diag_error(Diags *d, Loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_v(d, loc, "error", fmt, ap);
  va_end(ap);
  d->nerr++;
}

void diag_note(Diags *d, Loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_v(d, loc, "note", fmt, ap);
  va_end(ap);
}

void diag_free(Diags *d) { buf_free(&d->text); }

/* -------------------------------------------------------------- budgets */
Limits mlg_limits = {
#define X(name, dflt, what) .name = dflt,
    MLG_LIMITS(X)
#undef X
};

static const struct {
  const char *name, *what;
  size_t off;
} limit_info[] = {
#define X(name, dflt, what) {#name, what, offsetof(Limits, name)},
    MLG_LIMITS(X)
#undef X
};
enum { NLIMITS = sizeof limit_info / sizeof limit_info[0] };

int limits_set(const char *spec, Diags *d) {
  Loc at = {.file = "MLGEN_LIMITS", .node = ""};
  for (const char *s = spec; s && *s;) {
    size_t n = strcspn(s, ",");
    const char *eq = memchr(s, '=', n);
    int k = 0;
    while (eq && k < NLIMITS && (strlen(limit_info[k].name) != (size_t)(eq - s) ||
                                 memcmp(limit_info[k].name, s, (size_t)(eq - s))))
      k++;
    char *end = NULL;
    long long v = eq ? strtoll(eq + 1, &end, 10) : 0;
    if (!eq || k == NLIMITS || end != s + n || v <= 0) {
      Buf known = {0};
      for (int i = 0; i < NLIMITS; i++) buf_printf(&known, "%s%s (%s)", i ? ", " : "", limit_info[i].name, limit_info[i].what);
      diag_error(d, at, "'%.*s' is not NAME=N with N > 0 and NAME one of: %s", (int)n, s, known.oom ? "?" : known.s);
      buf_free(&known);
      return -1;
    }
    *(int64_t *)((char *)&mlg_limits + limit_info[k].off) = v;
    s += n;
    if (*s) s++;
  }
  return 0;
}

void diag_limit(Diags *d, Loc loc, const char *name, const char *fmt, ...) {
  Buf msg = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&msg, fmt, ap);
  va_end(ap);
  long long v = -1;
  for (int i = 0; i < NLIMITS; i++)
    if (!strcmp(limit_info[i].name, name)) v = (long long)*(const int64_t *)((const char *)&mlg_limits + limit_info[i].off);
  diag_error(d, loc, "%s; the limit %s is %lld (raise it with MLGEN_LIMITS=%s=N)", msg.oom || !msg.s ? "?" : msg.s,
             name, v, name);
  buf_free(&msg);
}

/* --------------------------------------------------------------- dtypes */
const DTypeInfo dtype_info[DT_COUNT] = {
    /*            name    ctype       npy    onnx size float  signed bits (ONNX-only) */
    [DT_UNDEF] = {"undef", "void", "", 0, 0, false, false, 0},
    [DT_F32] = {"f32", "float", "<f4", 1, 4, true, true, 0},
    [DT_F64] = {"f64", "double", "<f8", 11, 8, true, true, 0},
    [DT_F16] = {"f16", "uint16_t", "<f2", 10, 2, true, true, 0},
    [DT_BF16] = {"bf16", "uint16_t", "", 16, 2, true, true, 0},
    [DT_I8] = {"i8", "int8_t", "|i1", 3, 1, false, true, 0},
    [DT_I16] = {"i16", "int16_t", "<i2", 5, 2, false, true, 0},
    [DT_I32] = {"i32", "int32_t", "<i4", 6, 4, false, true, 0},
    [DT_I64] = {"i64", "int64_t", "<i8", 7, 8, false, true, 0},
    [DT_U8] = {"u8", "uint8_t", "|u1", 2, 1, false, false, 0},
    [DT_U16] = {"u16", "uint16_t", "<u2", 4, 2, false, false, 0},
    [DT_U32] = {"u32", "uint32_t", "<u4", 12, 4, false, false, 0},
    [DT_U64] = {"u64", "uint64_t", "<u8", 13, 8, false, false, 0},
    [DT_BOOL] = {"bool", "uint8_t", "|b1", 9, 1, false, false, 0},
    /* a pointer slot; .npy holds strings as '<U<width>' (frontend/npy.c) */
    [DT_STRING] = {"str", "const char *", "", 8, 8, false, false, 0},
    /* ONNX-only (ir.h): the ctype and size of one element in the program */
    [DT_F8E4M3FN] = {"f8e4m3fn", "uint8_t", "", 17, 1, true, true, 8},
    [DT_F8E4M3FNUZ] = {"f8e4m3fnuz", "uint8_t", "", 18, 1, true, true, 8},
    [DT_F8E5M2] = {"f8e5m2", "uint8_t", "", 19, 1, true, true, 8},
    [DT_F8E5M2FNUZ] = {"f8e5m2fnuz", "uint8_t", "", 20, 1, true, true, 8},
    [DT_F8E8M0] = {"f8e8m0", "uint8_t", "", 24, 1, true, false, 8},
    [DT_F4E2M1] = {"f4e2m1", "uint8_t", "", 23, 1, true, true, 4},
    [DT_I4] = {"i4", "int8_t", "", 22, 1, false, true, 4},
    [DT_U4] = {"u4", "uint8_t", "", 21, 1, false, false, 4},
    [DT_I2] = {"i2", "int8_t", "", 26, 1, false, true, 2},
    [DT_U2] = {"u2", "uint8_t", "", 25, 1, false, false, 2},
};

DType dtype_storage(DType dt) {
  if (!dtype_onnx_only(dt)) return dt;
  return dt == DT_I4 || dt == DT_I2 ? DT_I8 : DT_U8;
}

int64_t dtype_nbytes(DType dt, int64_t n) {
  int bits = dtype_info[dt].bits;
  return bits && bits < 8 ? (n * bits + 7) / 8 : n * dtype_info[dt].size;
}

int64_t packed_get(DType dt, const void *data, int64_t i) {
  int bits = dtype_info[dt].bits;
  if (!bits || bits >= 8) return 0;
  int per = 8 / bits;
  unsigned v = (unsigned)(((const uint8_t *)data)[i / per] >> (bits * (int)(i % per))) & ((1u << bits) - 1);
  if (dtype_info[dt].is_signed && !dtype_info[dt].is_float && (v >> (bits - 1))) return (int64_t)v - (1 << bits);
  return (int64_t)v;
}

DType dtype_from_name(const char *s) {
  for (int i = 1; i < DT_COUNT; i++)
    if (!strcmp(dtype_info[i].name, s)) return (DType)i;
  /* a few common aliases */
  if (!strcmp(s, "float") || !strcmp(s, "float32")) return DT_F32;
  if (!strcmp(s, "double") || !strcmp(s, "float64")) return DT_F64;
  if (!strcmp(s, "float16")) return DT_F16;
  if (!strcmp(s, "int64")) return DT_I64;
  if (!strcmp(s, "int32")) return DT_I32;
  if (!strcmp(s, "int8")) return DT_I8;
  if (!strcmp(s, "uint8")) return DT_U8;
  if (!strcmp(s, "string")) return DT_STRING;
  return DT_UNDEF;
}

DType dtype_from_onnx(int onnx) {
  for (int i = 1; i < DT_COUNT; i++)
    if (dtype_info[i].onnx == onnx) return (DType)i;
  return DT_UNDEF;
}

DType dtype_from_npy(const char *descr) {
  for (int i = 1; i < DT_COUNT; i++)
    if (dtype_info[i].npy[0] && !strcmp(dtype_info[i].npy, descr)) return (DType)i;
  /* numpy writes single-byte types with '|', accept '<' too */
  if (!strcmp(descr, "<i1")) return DT_I8;
  if (!strcmp(descr, "<u1")) return DT_U8;
  if (!strcmp(descr, "<b1")) return DT_BOOL;
  return DT_UNDEF;
}

float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, man = h & 1023, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal */
      float f = (float)man * (1.0f / 16777216.0f);
      return sign ? -f : f;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t exp = (x >> 23) & 255, man = x & 0x7fffffu;
  if (exp == 255) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) { /* subnormal or zero, round to nearest even */
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000u;
    int shift = 14 - e;
    uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++; /* may carry into exp: still right */
  return (uint16_t)(sign | h);
}

float bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
  uint32_t r = x + 0x7fffu + ((x >> 16) & 1);
  return (uint16_t)(r >> 16);
}

double raw_get_f(DType dt, const void *p, int64_t i) {
  switch (dt) {
  case DT_F32: { float v; memcpy(&v, (const char *)p + i * 4, 4); return v; }
  case DT_F64: { double v; memcpy(&v, (const char *)p + i * 8, 8); return v; }
  case DT_F16: { uint16_t v; memcpy(&v, (const char *)p + i * 2, 2); return half_to_float(v); }
  case DT_BF16: { uint16_t v; memcpy(&v, (const char *)p + i * 2, 2); return bf16_to_float(v); }
  case DT_U64: { uint64_t v; memcpy(&v, (const char *)p + i * 8, 8); return (double)v; }
  default: return (double)raw_get_i(dt, p, i);
  }
}

int64_t raw_get_i(DType dt, const void *p, int64_t i) {
  const char *c = (const char *)p;
  switch (dt) {
  case DT_I8: { int8_t v; memcpy(&v, c + i, 1); return v; }
  case DT_U8: { uint8_t v; memcpy(&v, c + i, 1); return v; }
  case DT_BOOL: { uint8_t v; memcpy(&v, c + i, 1); return v != 0; }
  case DT_I16: { int16_t v; memcpy(&v, c + i * 2, 2); return v; }
  case DT_U16: { uint16_t v; memcpy(&v, c + i * 2, 2); return v; }
  case DT_I32: { int32_t v; memcpy(&v, c + i * 4, 4); return v; }
  case DT_U32: { uint32_t v; memcpy(&v, c + i * 4, 4); return v; }
  case DT_I64: case DT_STRING: { int64_t v; memcpy(&v, c + i * 8, 8); return v; }
  case DT_U64: { uint64_t v; memcpy(&v, c + i * 8, 8); return (int64_t)v; }
  default: {
    double f = raw_get_f(dt, p, i);
    return isnan(f) ? 0 : (int64_t)f;
  }
  }
}

void raw_set_f(DType dt, void *p, int64_t i, double v) {
  char *c = (char *)p;
  switch (dt) {
  case DT_F32: { float x = (float)v; memcpy(c + i * 4, &x, 4); return; }
  case DT_F64: memcpy(c + i * 8, &v, 8); return;
  case DT_F16: { uint16_t x = float_to_half((float)v); memcpy(c + i * 2, &x, 2); return; }
  case DT_BF16: { uint16_t x = float_to_bf16((float)v); memcpy(c + i * 2, &x, 2); return; }
  case DT_BOOL: raw_set_i(dt, p, i, v != 0); return;
  case DT_STRING: str_put(p, i, ""); return; /* no number is a string: never a wild pointer */
  case DT_U64: {
    uint64_t x = v <= 0 || isnan(v) ? 0 : v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
    memcpy(c + i * 8, &x, 8);
    return;
  }
  default:
    raw_set_i(dt, p, i, isnan(v) ? 0 : v >= 9223372036854775807.0 ? INT64_MAX
                                  : v <= -9223372036854775808.0 ? INT64_MIN : (int64_t)v);
  }
}

void raw_set_i(DType dt, void *p, int64_t i, int64_t v) {
  char *c = (char *)p;
  switch (dt) {
  case DT_I8: { int8_t x = (int8_t)v; memcpy(c + i, &x, 1); return; }
  case DT_U8: { uint8_t x = (uint8_t)v; memcpy(c + i, &x, 1); return; }
  case DT_BOOL: { uint8_t x = v != 0; memcpy(c + i, &x, 1); return; }
  case DT_I16: { int16_t x = (int16_t)v; memcpy(c + i * 2, &x, 2); return; }
  case DT_U16: { uint16_t x = (uint16_t)v; memcpy(c + i * 2, &x, 2); return; }
  case DT_I32: { int32_t x = (int32_t)v; memcpy(c + i * 4, &x, 4); return; }
  case DT_U32: { uint32_t x = (uint32_t)v; memcpy(c + i * 4, &x, 4); return; }
  case DT_I64: case DT_U64: case DT_STRING: memcpy(c + i * 8, &v, 8); return;
  default: raw_set_f(dt, p, i, (double)v);
  }
}

const char *str_at(const void *data, int64_t i) {
  return (const char *)(intptr_t)raw_get_i(DT_STRING, data, i);
}

void str_put(void *data, int64_t i, const char *s) { raw_set_i(DT_STRING, data, i, (int64_t)(intptr_t)s); }

bool op_takes_strings(Op op, PadMode pad) {
  if (op == OP_PAD && pad == PAD_CONSTANT) return false; /* a constant fill is a number */
  return op_accepts(op, DT_STRING);
}

int64_t shape_numel(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return -1;
    if (dims[i] && n > INT64_MAX / dims[i]) return -1;
    n *= dims[i];
  }
  return n;
}

const char *shape_str(Arena *a, int rank, const int64_t *dims) {
  char tmp[MAX_RANK * 24 + 4];
  int k = 0;
  tmp[k++] = '[';
  for (int i = 0; i < rank; i++)
    k += snprintf(tmp + k, sizeof tmp - (size_t)k, "%s%lld", i ? "," : "", (long long)dims[i]);
  tmp[k++] = ']';
  tmp[k] = 0;
  return arena_strdup(a, tmp);
}

const Attr *attr_find(const GNode *n, const char *name) {
  for (int i = 0; i < n->nattr; i++)
    if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
  return NULL;
}

/* -------------------------------------------------------------- ops table */
/* the spellings of ops.def's dtypes and flags columns */
#define F DTC_F
#define S DTC_S
#define U DTC_U
#define B DTC_B
#define STR DTC_STR
#define COMM OPF_COMM
#define IMAP OPF_IMAP
const OpInfo op_info[OP_COUNT] = {
#define OP(name, arity, kind, result, dtypes, flags) {#name, arity, K_##kind, R_##result, dtypes, flags},
#include "ops.def"
#undef OP
};
#undef F
#undef S
#undef U
#undef B
#undef STR
#undef COMM
#undef IMAP
const char *const op_name[OP_COUNT] = {
#define OP(name, ...) #name,
#include "ops.def"
#undef OP
};
const int op_arity[OP_COUNT] = {
#define OP(name, arity, ...) arity,
#include "ops.def"
#undef OP
};
const OpKind op_kind[OP_COUNT] = {
#define OP(name, arity, kind, ...) K_##kind,
#include "ops.def"
#undef OP
};

/* id, or id_2, id_3, ... : the first not yet in `taken`, which then holds it */
const char *map_unique(Arena *a, Map *taken, const char *id) {
  for (int n = 1;; n++) {
    const char *c = n == 1 ? id : arena_printf(a, "%s_%d", id, n);
    if (!c) return id;
    if (!map_get(taken, c)) {
      map_put(a, taken, c, (void *)1);
      return c;
    }
  }
}

/* A C identifier from any tensor name: [A-Za-z0-9_], not starting with a
 * digit, never a C keyword or a reserved-looking name. */
const char *c_ident(Arena *a, const char *s) {
  static const char *const kw[] = {"auto", "break", "case", "char", "const", "continue", "default", "do",
                                   "double", "else", "enum", "extern", "float", "for", "goto", "if",
                                   "inline", "int", "long", "register", "restrict", "return", "short",
                                   "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
                                   "unsigned", "void", "volatile", "while", "arena", "main", NULL};
  size_t n = strlen(s);
  char *r = arena_alloc(a, n + 4);
  if (!r) return "t";
  size_t k = 0;
  if (!n || (s[0] >= '0' && s[0] <= '9') || s[0] == '_') {
    r[k++] = 't';
    r[k++] = '_';
  }
  for (size_t i = 0; i < n && k < 60; i++) {
    char c = s[i];
    r[k++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
  }
  r[k] = 0;
  for (int i = 0; kw[i]; i++)
    if (!strcmp(r, kw[i])) return arena_printf(a, "t_%s", r);
  return r;
}

/* Model text for a C or GLSL block comment: printable ASCII only (any other
 * byte, a control byte or part of a UTF-8 sequence, as '?'), and neither
 * comment delimiter: the '/' of a star-slash and the '*' of a slash-star
 * become '|', so the text can neither end the comment nor open a nested one
 * (-Wcomment). */
const char *comment_text(Arena *a, const char *s) {
  char *r = arena_strdup(a, s ? s : "");
  if (!r) return "";
  for (char *c = r; *c; c++) {
    unsigned char u = (unsigned char)*c;
    if (u < 32 || u > 126) *c = '?';
    if (c > r && ((c[-1] == '*' && *c == '/') || (c[-1] == '/' && *c == '*'))) *c = '|';
  }
  return r;
}

/* A path as generated text may name it: the last component only (output must
 * not depend on where the model lives), printable ASCII with any other byte
 * as '?' (a UTF-8 sequence as one). Having no '/', it cannot close a C comment. */
const char *safe_base_name(Arena *a, const char *path) {
  if (!path) return NULL;
  const char *s = strrchr(path, '/');
  s = s ? s + 1 : path;
  char *r = arena_alloc(a, strlen(s) + 1);
  if (!r) return "?";
  size_t k = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if (*c < 0x80 || *c >= 0xc0) r[k++] = *c >= 32 && *c < 127 ? (char)*c : '?';
  r[k] = 0;
  return r;
}
