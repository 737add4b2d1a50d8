/* yaml.c: mlgen's YAML model description -> Graph (or a wrapper spec).
 *
 * Two steps. First libyaml's event parser builds a small tree of YNodes in a
 * scratch arena, each node keeping its 1-based line:col; aliases, multiple
 * documents, nesting past MAX_DEPTH and more than the yaml_nodes limit of nodes are refused
 * here, so nothing later can blow up on hostile input. Then the tree is
 * walked against the schema in docs/yaml.md, building the Graph in the
 * caller's arena. Every error is a diagnostic at the offending node and the
 * load stops at the first one.
 *
 * Provides: Graph with inputs, initializers (inline data or .npy), outputs
 * and nodes (ONNX op names, attributes typed from their YAML spelling), all
 * with locations. Does not check op names, arity, or the graph's wiring:
 * ir_check_graph does, at GNode.loc.
 */
#include "frontend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64
#define MAX_NAME 64 /* model name: a C prefix */

enum { Y_SCALAR, Y_SEQ, Y_MAP };

typedef struct YNode {
  int kind;
  int line, col;
  bool plain;          /* unquoted, untagged scalar: may be a number, bool or null */
  const char *s;       /* scalar text */
  int n, cap;          /* seq: items; map: key/value pairs (kids while building) */
  struct YNode **kid;  /* seq: n items; map: 2n, key then value */
} YNode;

typedef struct {
  Arena *a;          /* result memory */
  Arena *t;          /* scratch: the tree, duplicate-key maps */
  const char *file;  /* as given, in a */
  Diags *d;
  long nnodes;
} P;

static Loc at(P *p, const YNode *n) { return (Loc){.file = p->file, .line = n->line, .col = n->col}; }

static int err(P *p, const YNode *n, const char *fmt, ...) {
  Buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  diag_error(p->d, at(p, n), "%s", b.s ? b.s : "out of memory");
  buf_free(&b);
  return -1;
}

static int oom(P *p, const YNode *n) { return err(p, n, "out of memory"); }

/* ------------------------------------------------------------ the tree */
static int add_kid(P *p, YNode *parent, YNode *kid) {
  if (parent->n >= parent->cap) {
    int cap = parent->cap ? parent->cap * 2 : 4;
    YNode **k = arena_alloc(p->t, sizeof *k * (size_t)cap);
    if (!k) return -1;
    if (parent->n) memcpy(k, parent->kid, sizeof *k * (size_t)parent->n);
    parent->kid = k;
    parent->cap = cap;
  }
  parent->kid[parent->n++] = kid;
  return 0;
}

/* libyaml's reader (encoding errors) gives a byte offset only: count it out. */
static void offset_to_mark(FILE *f, size_t off, YNode *where) {
  where->line = where->col = 1;
  rewind(f);
  for (size_t i = 0; i < off; i++) {
    int c = getc(f);
    if (c == EOF) break;
    if (c == '\n') where->line++, where->col = 1;
    else if ((c & 0xC0) != 0x80) where->col++;
  }
}

static int yaml_problem(P *p, yaml_parser_t *ps, FILE *f) {
  yaml_mark_t m = ps->problem_mark;
  YNode where = {.line = (int)m.line + 1, .col = (int)m.column + 1};
  if (ps->error == YAML_READER_ERROR) offset_to_mark(f, ps->problem_offset, &where);
  if (ps->context)
    return err(p, &where, "malformed YAML: %s (%s at line %d)", ps->problem ? ps->problem : "syntax error",
               ps->context, (int)ps->context_mark.line + 1);
  return err(p, &where, "malformed YAML: %s", ps->problem ? ps->problem : "syntax error");
}

/* Parses the whole file into a tree; *root NULL for an empty document. */
static int load_tree(P *p, FILE *f, YNode **root) {
  yaml_parser_t ps;
  if (!yaml_parser_initialize(&ps)) return err(p, &(YNode){.line = 1, .col = 1}, "out of memory");
  yaml_parser_set_input_file(&ps, f);
  YNode *stack[MAX_DEPTH];
  int depth = 0, ndocs = 0, rc = 0;
  *root = NULL;
  for (bool done = false; !done && rc == 0;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&ps, &ev)) {
      rc = yaml_problem(p, &ps, f);
      break;
    }
    YNode here = {.line = (int)ev.start_mark.line + 1, .col = (int)ev.start_mark.column + 1};
    YNode *n = NULL;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = true; break;
    case YAML_DOCUMENT_START_EVENT:
      if (ndocs++) rc = err(p, &here, "only one YAML document is allowed per file");
      break;
    case YAML_ALIAS_EVENT: rc = err(p, &here, "YAML aliases (*name) are not supported"); break;
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      if (++p->nnodes > mlg_limits.yaml_nodes) {
        diag_limit(p->d, at(p, &here), "yaml_nodes", "file too large (over %lld YAML nodes); put large weights in .npy files",
                   (long long)mlg_limits.yaml_nodes);
        rc = -1;
        break;
      }
      {
        /* anchors serve only aliases, which are refused; a tag would change
         * a value's type behind the schema's back (`!b` on nothing is "") */
        const yaml_char_t *anchor = ev.type == YAML_SCALAR_EVENT           ? ev.data.scalar.anchor
                                    : ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                                           : ev.data.mapping_start.anchor;
        const yaml_char_t *tag = ev.type == YAML_SCALAR_EVENT           ? ev.data.scalar.tag
                                 : ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.tag
                                                                        : ev.data.mapping_start.tag;
        if (anchor) {
          rc = err(p, &here, "YAML anchors (&name) are not supported");
          break;
        }
        if (tag) {
          rc = err(p, &here, "YAML tags (!tag) are not supported; quote the value for a string");
          break;
        }
      }
      n = arena_alloc(p->t, sizeof *n);
      if (!n) {
        rc = oom(p, &here);
        break;
      }
      *n = here;
      if (ev.type == YAML_SCALAR_EVENT) {
        n->kind = Y_SCALAR;
        size_t len = ev.data.scalar.length;
        if (memchr(ev.data.scalar.value, 0, len)) {
          rc = err(p, &here, "NUL character in a string");
          break;
        }
        char *s = arena_alloc(p->t, len + 1);
        if (!s) {
          rc = oom(p, &here);
          break;
        }
        memcpy(s, ev.data.scalar.value, len);
        n->s = s;
        n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev.data.scalar.plain_implicit;
      } else {
        n->kind = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
      }
      if (depth == 0) *root = n;
      else if (add_kid(p, stack[depth - 1], n)) rc = oom(p, &here);
      if (rc == 0 && n->kind != Y_SCALAR) {
        if (depth == MAX_DEPTH) rc = err(p, &here, "nesting deeper than %d levels", MAX_DEPTH);
        else stack[depth++] = n;
      }
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (depth > 0 && stack[--depth]->kind == Y_MAP) stack[depth]->n /= 2; /* kids -> pairs */
      break;
    default: break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&ps);
  return rc;
}

/* ------------------------------------------------------------- scalars */
static bool is_null(const YNode *n) {
  return n->kind == Y_SCALAR && n->plain &&
         (!*n->s || !strcmp(n->s, "~") || !strcmp(n->s, "null") || !strcmp(n->s, "Null") || !strcmp(n->s, "NULL"));
}

static int is_bool(const YNode *n) { /* 1 true, 0 false, -1 neither */
  if (n->kind != Y_SCALAR || !n->plain) return -1;
  if (!strcmp(n->s, "true") || !strcmp(n->s, "True") || !strcmp(n->s, "TRUE")) return 1;
  if (!strcmp(n->s, "false") || !strcmp(n->s, "False") || !strcmp(n->s, "FALSE")) return 0;
  return -1;
}

enum { N_STR, N_INT, N_UINT, N_FLOAT, N_RANGE };
typedef struct {
  int kind; /* N_UINT: an integer above INT64_MAX, in u */
  int64_t i;
  uint64_t u;
  double f;
} Num;

/* Classifies a scalar: decimal integers, floats (with '.', 'e', inf or nan),
 * or a string. Quoted scalars are always strings. */
static Num scalar_num(const YNode *n) {
  Num r = {N_STR, 0, 0, 0};
  if (n->kind != Y_SCALAR || !n->plain || !*n->s) return r;
  const char *s = n->s, *q = s + (*s == '+' || *s == '-');
  if (*q && strspn(q, "0123456789") == strlen(q)) {
    errno = 0;
    r.i = strtoll(s, NULL, 10);
    if (errno != ERANGE) return r.kind = N_INT, r;
    if (*s != '-') {
      errno = 0;
      r.u = strtoull(s, NULL, 10);
      if (errno != ERANGE) return r.kind = N_UINT, r;
    }
    return r.kind = N_RANGE, r;
  }
  if (!strcmp(q, ".inf") || !strcmp(q, ".Inf") || !strcmp(q, ".INF") || !strcmp(q, "inf")) {
    r.f = *s == '-' ? -HUGE_VAL : HUGE_VAL;
    return r.kind = N_FLOAT, r;
  }
  if (q == s && (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN") || !strcmp(s, "nan"))) {
    r.f = NAN;
    return r.kind = N_FLOAT, r;
  }
  if (strspn(s, "0123456789+-.eE") != strlen(s)) return r;
  char *end;
  errno = 0;
  r.f = strtod(s, &end);
  if (*end || end == s) return r;
  if (errno == ERANGE && fabs(r.f) == HUGE_VAL) return r.kind = N_RANGE, r;
  return r.kind = N_FLOAT, r;
}

/* A name or other string value: any scalar, not empty unless allowed. */
static int get_str(P *p, const YNode *n, const char *what, bool allow_empty, const char **out) {
  if (n->kind != Y_SCALAR) return err(p, n, "%s must be a string", what);
  const char *s = is_null(n) ? "" : n->s;
  if (!allow_empty && !*s) return err(p, n, "%s must not be empty", what);
  *out = arena_strdup(p->a, s);
  return *out ? 0 : oom(p, n);
}

static int get_int(P *p, const YNode *n, const char *what, int64_t lo, int64_t hi, int64_t *out) {
  Num v = scalar_num(n);
  if (v.kind == N_RANGE || v.kind == N_UINT || (v.kind == N_INT && (v.i < lo || v.i > hi)))
    return err(p, n, "%s %.40s is out of range [%lld, %lld]", what, n->s, (long long)lo, (long long)hi);
  if (v.kind != N_INT) return err(p, n, "%s must be an integer", what);
  *out = v.i;
  return 0;
}

/* ------------------------------------------------------------ mappings */
static const YNode *key_of(const YNode *m, int i) { return m->kid[2 * i]; }
static const YNode *val_of(const YNode *m, int i) { return m->kid[2 * i + 1]; }

static const YNode *get(const YNode *m, const char *key) {
  for (int i = 0; i < m->n; i++)
    if (!strcmp(key_of(m, i)->s, key)) return val_of(m, i);
  return NULL;
}

/* Keys are scalars, unique, and (with `allowed`) one of the allowed names. */
static int check_keys(P *p, const YNode *m, const char *const *allowed, const char *what) {
  Map seen = {0};
  for (int i = 0; i < m->n; i++) {
    const YNode *k = key_of(m, i);
    if (k->kind != Y_SCALAR) return err(p, k, "keys must be plain strings");
    if (allowed) {
      int j = 0;
      while (allowed[j] && strcmp(allowed[j], k->s)) j++;
      if (!allowed[j]) {
        Buf b = {0};
        for (j = 0; allowed[j]; j++) buf_printf(&b, "%s%s", j ? ", " : "", allowed[j]);
        err(p, k, "unknown key '%.80s' in %s (expected one of: %s)", k->s, what, b.s ? b.s : "");
        buf_free(&b);
        return -1;
      }
    }
    bool dup = false;
    if (m->n <= 32) {
      for (int j = 0; j < i && !dup; j++) dup = !strcmp(key_of(m, j)->s, k->s);
    } else {
      dup = map_get(&seen, k->s) != NULL;
      if (!dup && map_put(p->t, &seen, k->s, (void *)k)) return oom(p, k);
    }
    if (dup) return err(p, k, "duplicate key '%.80s' in %s", k->s, what);
  }
  return 0;
}

/* A mapping, or null read as an empty one. */
static int want_map(P *p, const YNode *n, const char *what) {
  if (n->kind == Y_MAP || is_null(n)) return 0;
  return err(p, n, "%s must be a mapping (name: value, ...)", what);
}

static int want_seq(P *p, const YNode *n, const char *what) {
  if (n->kind == Y_SEQ || is_null(n)) return 0;
  return err(p, n, "%s must be a list", what);
}

static int count(const YNode *n) { return n->kind == Y_SCALAR ? 0 : n->n; }

/* ------------------------------------------------------------------ paths */
static bool is_abs(const char *s) {
#ifdef _WIN32
  if (((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':') return true;
  if (s[0] == '\\') return true;
#endif
  return s[0] == '/';
}

/* rel resolved against the folder of the YAML file. */
static const char *resolve(P *p, const char *rel) {
  if (is_abs(rel)) return arena_strdup(p->a, rel);
  const char *slash = strrchr(p->file, '/');
#ifdef _WIN32
  const char *bs = strrchr(p->file, '\\');
  if (bs && (!slash || bs > slash)) slash = bs;
#endif
  if (!slash) return arena_strdup(p->a, rel);
  return arena_printf(p->a, "%.*s/%s", (int)(slash - p->file), p->file, rel);
}

/* ---------------------------------------------------------------- shapes */
/* A shape list: ints >= 0, or (when syms != NULL) names for dynamic dims. */
static int get_shape(P *p, const YNode *n, int *rank, int64_t *dims, const char **syms, const char *hint) {
  if (n->kind != Y_SEQ) return err(p, n, "shape must be a list, e.g. [1, 3] ([] for a scalar)");
  if (n->n > MAX_RANK) return err(p, n, "rank %d exceeds the maximum of %d", n->n, MAX_RANK);
  int64_t prod = 1;
  for (int i = 0; i < n->n; i++) {
    const YNode *e = n->kid[i];
    Num v = scalar_num(e);
    if (syms) syms[i] = NULL;
    if (v.kind == N_INT || v.kind == N_UINT || v.kind == N_RANGE) {
      if (v.kind == N_INT && v.i < 0) return err(p, e, "negative dimension %lld", (long long)v.i);
      if (v.kind != N_INT) return err(p, e, "dimension %.40s is too large", e->s);
      dims[i] = v.i;
      if (v.i && prod > INT64_MAX / v.i) return err(p, e, "shape has too many elements (overflow)");
      prod *= v.i;
    } else if (e->kind == Y_SCALAR && v.kind == N_STR && *e->s && !is_null(e) && syms) {
      dims[i] = -1;
      syms[i] = arena_strdup(p->a, e->s);
      if (!syms[i]) return oom(p, e);
    } else {
      return err(p, e, "dimension must be %s", hint);
    }
  }
  *rank = n->n;
  return 0;
}

static int get_dtype(P *p, const YNode *n, DType *dt) {
  if (n->kind == Y_SCALAR) {
    *dt = dtype_from_name(n->s);
    if (*dt != DT_UNDEF) return 0;
  }
  return err(p, n, "unknown dtype '%.40s' (expected f32 f64 f16 bf16 i8 i16 i32 i64 u8 u16 u32 u64 bool str, or "
                   "f8e4m3fn f8e4m3fnuz f8e5m2 f8e5m2fnuz f8e8m0 f4e2m1 i4 u4 i2 u2)",
             n->kind == Y_SCALAR ? n->s : "?");
}

/* ----------------------------------------------------------- tensor data */
/* Counts the numbers in a data value: a scalar or (nested) lists of scalars. */
static int64_t data_count(const YNode *n) {
  if (n->kind == Y_SCALAR) return 1;
  if (n->kind == Y_MAP) return -1;
  int64_t c = 0;
  for (int i = 0; i < n->n; i++) {
    int64_t k = data_count(n->kid[i]); /* depth bounded by MAX_DEPTH */
    if (k < 0) return -1;
    c += k;
  }
  return c;
}

static int put_value(P *p, const YNode *e, DType dt, void *data, int64_t i) {
  const DTypeInfo *di = &dtype_info[dt];
  if (dt == DT_STRING) { /* the scalar's text, kept with the model */
    const char *s = arena_strdup(p->a, e->s);
    if (!s) return oom(p, e);
    str_put(data, i, s);
    return 0;
  }
  Num v = scalar_num(e);
  if (dt == DT_BOOL) {
    int b = is_bool(e);
    if (b < 0 && v.kind == N_INT && (v.i == 0 || v.i == 1)) b = (int)v.i;
    if (b < 0) return err(p, e, "expected true, false, 0 or 1 for bool, got '%.40s'", e->s);
    raw_set_i(dt, data, i, b);
    return 0;
  }
  if (v.kind == N_STR) return err(p, e, "not a number: '%.40s'", e->s);
  if (v.kind == N_RANGE) return err(p, e, "number %.40s is out of range", e->s);
  if (di->is_float) {
    double f = v.kind == N_INT ? (double)v.i : v.kind == N_UINT ? (double)v.u : v.f;
    raw_set_f(dt, data, i, f);
    if (isinf(raw_get_f(dt, data, i)) && !isinf(f))
      return err(p, e, "value %.40s is out of range for %s", e->s, di->name);
    return 0;
  }
  if (v.kind == N_FLOAT) return err(p, e, "expected an integer for %s, got '%.40s'", di->name, e->s);
  if (dt == DT_U64) {
    if (v.kind == N_INT && v.i < 0) return err(p, e, "value %.40s is out of range for u64", e->s);
    uint64_t u = v.kind == N_UINT ? v.u : (uint64_t)v.i;
    memcpy((char *)data + i * 8, &u, 8);
    return 0;
  }
  if (v.kind == N_UINT) return err(p, e, "value %.40s is out of range for %s", e->s, di->name);
  int bits = di->size * 8;
  int64_t lo = di->is_signed ? (bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1))) : 0;
  int64_t hi = bits == 64 ? INT64_MAX : di->is_signed ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << bits) - 1;
  if (v.i < lo || v.i > hi) return err(p, e, "value %.40s is out of range for %s", e->s, di->name);
  raw_set_i(dt, data, i, v.i);
  return 0;
}

static int fill_data(P *p, const YNode *n, DType dt, void *data, int64_t *i) {
  if (n->kind == Y_SCALAR) return put_value(p, n, dt, data, (*i)++);
  for (int k = 0; k < n->n; k++)
    if (fill_data(p, n->kid[k], dt, data, i)) return -1;
  return 0;
}

static const char *const tensor_keys[] = {"file", "dtype", "shape", "data", NULL};

/* The data of an ONNX-only type (int4, float8, ...: ir.h), read as int64:
 * values for the integer types, codes (bit patterns) for the float ones, in
 * ONNX's bytes (4- and 2-bit ones packed, low bits first). */
static int pack_data(P *p, const YNode *dan, DType dt, int64_t cnt, const void *vals, void **out) {
  const int64_t *v = vals;
  int bits = dtype_info[dt].bits;
  bool codes = dtype_info[dt].is_float, sign = dtype_info[dt].is_signed && !codes;
  int64_t lo = sign ? -(1 << (bits - 1)) : 0, hi = sign ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  unsigned char *b = arena_alloc(p->a, (size_t)(dtype_nbytes(dt, cnt) + 1));
  if (!b) return oom(p, dan);
  for (int64_t i = 0; i < cnt; i++) {
    if (v[i] < lo || v[i] > hi)
      return err(p, dan, "%s data: element %lld is %lld, outside %lld..%lld (%s)", dtype_info[dt].name, (long long)i,
                 (long long)v[i], (long long)lo, (long long)hi, codes ? "the codes, bit patterns" : "its values");
    unsigned u = (unsigned)(v[i] & ((1 << bits) - 1));
    if (bits == 8) b[i] = (unsigned char)u;
    else b[i / (8 / bits)] |= (unsigned char)(u << (bits * (int)(i % (8 / bits))));
  }
  *out = b;
  return 0;
}

/* {file: x.npy [, dtype, shape]} or {dtype, shape, data}: initializers and
 * tensor attributes. */
static int get_tensor(P *p, const YNode *n, const char *what, TensorData **out) {
  if (n->kind != Y_MAP)
    return err(p, n, "%s must be a mapping {file: ...} or {dtype: ..., shape: [...], data: [...]}", what);
  if (check_keys(p, n, tensor_keys, what)) return -1;
  const YNode *file = get(n, "file"), *dtn = get(n, "dtype"), *shn = get(n, "shape"), *dan = get(n, "data");
  DType dt = DT_F32;
  int rank = -1;
  int64_t dims[MAX_RANK];
  if (dtn && get_dtype(p, dtn, &dt)) return -1;
  if (shn && get_shape(p, shn, &rank, dims, NULL, "a non-negative integer")) return -1;
  if (file && dan) return err(p, dan, "%s has both 'file' and 'data'; use one", what);
  if (file) {
    const char *rel;
    if (get_str(p, file, "'file'", false, &rel)) return -1;
    const char *path = resolve(p, rel);
    if (!path) return oom(p, file);
    if (npy_read(p->a, path, at(p, file), out, p->d)) return -1;
    if (dtn && dt != (*out)->dt)
      return err(p, dtn, "dtype %s does not match the file's %s", dtype_info[dt].name, dtype_info[(*out)->dt].name);
    if (shn && (rank != (*out)->rank || memcmp(dims, (*out)->dims, sizeof(int64_t) * (size_t)rank)))
      return err(p, shn, "shape %s does not match the file's %s", shape_str(p->a, rank, dims),
                 shape_str(p->a, (*out)->rank, (*out)->dims));
    return 0;
  }
  if (!dan) return err(p, n, "%s needs 'file' (a .npy) or 'data'", what);
  int64_t cnt = data_count(dan);
  if (cnt < 0) return err(p, dan, "data must be a number or a list of numbers");
  if (rank < 0) { /* no shape: a list is 1-D, a lone number a scalar */
    rank = dan->kind == Y_SCALAR ? 0 : 1;
    dims[0] = cnt;
  }
  int64_t numel = shape_numel(rank, dims);
  if (numel != cnt)
    return err(p, dan, "data has %lld values but shape %s needs %lld", (long long)cnt, shape_str(p->a, rank, dims),
               (long long)numel);
  TensorData *t = arena_alloc(p->a, sizeof *t);
  void *data = arena_alloc(p->a, (size_t)cnt * (size_t)(dtype_onnx_only(dt) ? 8 : dtype_info[dt].size));
  if (!t || !data) return oom(p, dan);
  int64_t i = 0;
  if (fill_data(p, dan, dtype_onnx_only(dt) ? DT_I64 : dt, data, &i)) return -1;
  if (dtype_onnx_only(dt) && pack_data(p, dan, dt, cnt, data, &data)) return -1;
  t->dt = dt;
  t->rank = rank;
  memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
  t->data = data;
  *out = t;
  return 0;
}

/* ----------------------------------------------------------- attributes */
static int get_attr(P *p, const YNode *k, const YNode *v, Attr *at_) {
  Attr *r = at_;
  r->name = arena_strdup(p->a, k->s);
  r->loc = at(p, v);
  if (!r->name) return oom(p, k);
  if (v->kind == Y_MAP) {
    r->type = AT_TENSOR;
    return get_tensor(p, v, "a tensor attribute", &r->t);
  }
  if (v->kind == Y_SCALAR) {
    if (is_null(v)) return err(p, v, "attribute '%.80s' has no value", k->s);
    Num x = scalar_num(v);
    int b = is_bool(v);
    if (x.kind == N_RANGE || x.kind == N_UINT) return err(p, v, "number %.40s is out of range", v->s);
    if (b >= 0) r->type = AT_INT, r->i = b;
    else if (x.kind == N_INT) r->type = AT_INT, r->i = x.i;
    else if (x.kind == N_FLOAT) r->type = AT_FLOAT, r->f = x.f;
    else {
      r->type = AT_STRING;
      r->s = arena_strdup(p->a, v->s);
      if (!r->s) return oom(p, v);
    }
    return 0;
  }
  /* a list: ints, floats (any float makes it floats), or strings, not mixed */
  int nint = 0, nflt = 0, nstr = 0;
  for (int i = 0; i < v->n; i++) {
    const YNode *e = v->kid[i];
    if (e->kind != Y_SCALAR) return err(p, e, "attribute lists must hold numbers or strings, not nested lists");
    Num x = scalar_num(e);
    if (x.kind == N_RANGE || x.kind == N_UINT) return err(p, e, "number %.40s is out of range", e->s);
    if (x.kind == N_INT) nint++;
    else if (x.kind == N_FLOAT) nflt++;
    else nstr++;
  }
  if (nstr && (nint || nflt)) return err(p, v, "attribute list mixes numbers and strings");
  if (nstr > mlg_limits.strings) {
    diag_limit(p->d, at(p, v), "strings", "an attribute of %d strings", nstr);
    return -1;
  }
  r->n = v->n;
  r->type = nstr ? AT_STRINGS : nflt ? AT_FLOATS : AT_INTS;
  size_t cnt = (size_t)(v->n ? v->n : 1);
  if (r->type == AT_INTS) r->ints = arena_alloc(p->a, sizeof(int64_t) * cnt);
  if (r->type == AT_FLOATS) r->floats = arena_alloc(p->a, sizeof(double) * cnt);
  if (r->type == AT_STRINGS) r->strs = arena_alloc(p->a, sizeof(char *) * cnt);
  if (!r->ints && !r->floats && !r->strs) return oom(p, v);
  for (int i = 0; i < v->n; i++) {
    const YNode *e = v->kid[i];
    Num x = scalar_num(e);
    if (r->ints) r->ints[i] = x.i;
    else if (r->floats) r->floats[i] = x.kind == N_INT ? (double)x.i : x.f;
    else if (!(r->strs[i] = arena_strdup(p->a, e->s))) return oom(p, e);
  }
  return 0;
}

/* ---------------------------------------------------------------- nodes */
static int get_names(P *p, const YNode *n, const char *what, bool is_in, int *cnt, const char ***names, Loc **locs) {
  if (want_seq(p, n, what)) return -1;
  *cnt = count(n);
  *names = arena_alloc(p->a, sizeof(char *) * (size_t)(*cnt + 1));
  if (locs) *locs = arena_alloc(p->a, sizeof(Loc) * (size_t)(*cnt + 1));
  if (!*names || (locs && !*locs)) return oom(p, n);
  for (int i = 0; i < *cnt; i++) {
    const YNode *e = n->kid[i];
    if (e->kind != Y_SCALAR) return err(p, e, "%s must be a list of tensor names", what);
    (*names)[i] = arena_strdup(p->a, is_in && is_null(e) ? "" : e->s);
    if (!(*names)[i]) return oom(p, e);
    if (locs) (*locs)[i] = at(p, e);
  }
  return 0;
}

static int get_node(P *p, const YNode *n, GNode **out) {
  if (n->kind != Y_MAP) return err(p, n, "each entry of 'nodes' must be a mapping {op: ..., in: [...], out: [...]}");
  if (check_keys(p, n, NULL, "a node")) return -1;
  GNode *g = arena_alloc(p->a, sizeof *g);
  if (!g) return oom(p, n);
  g->loc = at(p, n);
  g->domain = "";
  const YNode *op = get(n, "op"), *in = get(n, "in"), *outs = get(n, "out"), *nm = get(n, "name"),
              *dom = get(n, "domain");
  if (!op) return err(p, n, "node has no 'op'");
  if (get_str(p, op, "'op'", false, &g->op)) return -1;
  g->op_loc = at(p, op);
  if (!outs) return err(p, n, "node has no 'out' list");
  if (in && get_names(p, in, "'in'", true, &g->nin, &g->in, &g->in_loc)) return -1;
  if (!in && !(g->in = arena_alloc(p->a, sizeof(char *)))) return oom(p, n);
  if (get_names(p, outs, "'out'", false, &g->nout, &g->out, NULL)) return -1;
  if (nm && get_str(p, nm, "'name'", true, &g->name)) return -1;
  if (dom && get_str(p, dom, "'domain'", true, &g->domain)) return -1;
  if (!strcmp(g->domain, "ai.onnx")) g->domain = "";
  int nattr = n->n - !!op - !!in - !!outs - !!nm - !!dom;
  g->attrs = arena_alloc(p->a, sizeof(Attr) * (size_t)(nattr ? nattr : 1));
  if (!g->attrs) return oom(p, n);
  for (int i = 0; i < n->n; i++) {
    const char *k = key_of(n, i)->s;
    if (!strcmp(k, "op") || !strcmp(k, "in") || !strcmp(k, "out") || !strcmp(k, "name") || !strcmp(k, "domain"))
      continue;
    if (get_attr(p, key_of(n, i), val_of(n, i), &g->attrs[g->nattr++])) return -1;
  }
  *out = g;
  return 0;
}

/* ----------------------------------------------------- tensors by name */
static int declare(P *p, Map *names, const YNode *key, GTensor **out) {
  if (key->kind != Y_SCALAR || !*key->s) return err(p, key, "tensor names must be non-empty strings");
  GTensor *prev = map_get(names, key->s);
  if (prev) {
    err(p, key, "tensor '%.80s' is declared twice", key->s);
    diag_note(p->d, prev->loc, "first declared here");
    return -1;
  }
  GTensor *t = arena_alloc(p->a, sizeof *t);
  if (!t || !(t->name = arena_strdup(p->a, key->s))) return oom(p, key);
  t->loc = at(p, key);
  t->rank = -1;
  *out = t;
  return map_put(p->t, names, t->name, t) ? oom(p, key) : 0;
}

static const char *const io_keys[] = {"dtype", "shape", NULL};

/* inputs / outputs entries: {dtype, shape} (shape required for inputs). */
static int get_io(P *p, const YNode *v, GTensor *t, bool need_shape) {
  t->dt = need_shape ? DT_F32 : DT_UNDEF;
  if (is_null(v) && !need_shape) return 0;
  if (v->kind != Y_MAP) return err(p, v, "'%.80s' must be a mapping {dtype: ..., shape: [...]}", t->name);
  if (check_keys(p, v, io_keys, "a tensor declaration")) return -1;
  const YNode *dtn = get(v, "dtype"), *shn = get(v, "shape");
  if (dtn && get_dtype(p, dtn, &t->dt)) return -1;
  if (!shn && need_shape) return err(p, v, "input '%.80s' needs a 'shape'", t->name);
  if (shn && get_shape(p, shn, &t->rank, t->dims, t->sym, "a non-negative integer or a name")) return -1;
  return 0;
}

/* ------------------------------------------------------------- top level */
static int get_opset(P *p, const YNode *n, Graph *g) {
  if (n->kind == Y_SCALAR) {
    int64_t v = 0; /* set by get_int on success; gcc -O3 cannot see it */
    if (get_int(p, n, "opset", 1, 1000, &v)) return -1;
    g->opset = (int)v;
    return 0;
  }
  static const char *const keys[] = {"ai.onnx", "ai.onnx.ml", NULL};
  if (n->kind != Y_MAP) return err(p, n, "opset must be an integer or {ai.onnx: N, ai.onnx.ml: M}");
  if (check_keys(p, n, keys, "opset")) return -1;
  for (int i = 0; i < n->n; i++) {
    int64_t v = 0;
    if (get_int(p, val_of(n, i), "opset", 1, 1000, &v)) return -1;
    if (!strcmp(key_of(n, i)->s, "ai.onnx")) g->opset = (int)v;
    else g->opset_ml = (int)v;
  }
  return 0;
}

static int get_build(P *p, const YNode *n, ModelSpec *s) {
  static const char *const keys[] = {"backends", "target", "tree_strategy", NULL};
  if (n->kind != Y_MAP) return err(p, n, "'build' must be a mapping {backends: [...], target: ...}");
  if (check_keys(p, n, keys, "'build'")) return -1;
  const YNode *b = get(n, "backends"), *t = get(n, "target"), *ts = get(n, "tree_strategy");
  if (b) {
    if (b->kind != Y_SEQ) return err(p, b, "'backends' must be a list, e.g. [c, vulkan]");
    s->backend_loc = arena_alloc(p->a, sizeof(Loc) * (size_t)(b->n ? b->n : 1));
    if (!s->backend_loc) return oom(p, b);
    for (int i = 0; i < b->n; i++) {
      const char *name;
      if (get_str(p, b->kid[i], "a backend", false, &name)) return -1;
      s->backend_loc[i] = at(p, b->kid[i]);
      if (vec_push(p->a, &s->backends, (void *)name)) return oom(p, b);
    }
  }
  if (t && get_str(p, t, "'target'", false, &s->target)) return -1;
  if (t) s->target_loc = at(p, t);
  if (ts && get_str(p, ts, "'tree_strategy'", false, &s->tree_strategy)) return -1;
  if (ts) s->tree_strategy_loc = at(p, ts);
  return 0;
}

/* Wrapper form: inputs only pin shapes of the wrapped model's inputs. */
static int get_pins(P *p, const YNode *n, BuildOpts *o) {
  static const char *const keys[] = {"shape", NULL};
  int cnt = count(n);
  o->shape_name = arena_alloc(p->a, sizeof(char *) * (size_t)(cnt + 1));
  o->shape_rank = arena_alloc(p->a, sizeof(int) * (size_t)(cnt + 1));
  o->shape_dims = arena_alloc(p->a, sizeof(int64_t[MAX_RANK]) * (size_t)(cnt + 1));
  if (!o->shape_name || !o->shape_rank || !o->shape_dims) return oom(p, n);
  for (int i = 0; i < cnt; i++) {
    const YNode *k = key_of(n, i), *v = val_of(n, i);
    if (v->kind != Y_MAP) return err(p, v, "'%.80s' must be a mapping {shape: [...]}", k->s);
    if (check_keys(p, v, keys, "an input of a wrapped model")) return -1;
    const YNode *sh = get(v, "shape");
    if (!sh) return err(p, v, "input '%.80s' needs a 'shape'", k->s);
    if (get_shape(p, sh, &o->shape_rank[i], o->shape_dims[i], NULL, "a non-negative integer (pinned shapes are static)"))
      return -1;
    if (!(o->shape_name[i] = arena_strdup(p->a, k->s))) return oom(p, k);
    o->nshape++;
  }
  return 0;
}

static const char *const top_keys[] = {"mlgen", "name", "opset", "inputs", "outputs", "initializers",
                                       "nodes", "model", "build", NULL};

static int load_top(P *p, const YNode *root, ModelSpec *s) {
  if (root->kind != Y_MAP) return err(p, root, "the top level must be a mapping (mlgen: 1, name: ..., ...)");
  if (check_keys(p, root, top_keys, "the model file")) return -1;
  const YNode *ver = get(root, "mlgen"), *name = get(root, "name"), *model = get(root, "model");
  const YNode *inputs = get(root, "inputs"), *outputs = get(root, "outputs"), *inits = get(root, "initializers");
  const YNode *nodes = get(root, "nodes"), *opset = get(root, "opset"), *build = get(root, "build");
  if (!ver) return err(p, root, "missing required key 'mlgen' (add 'mlgen: 1')");
  if (scalar_num(ver).kind != N_INT || scalar_num(ver).i != 1)
    return err(p, ver, "unsupported schema version '%.40s'; expected 'mlgen: 1'", ver->kind == Y_SCALAR ? ver->s : "?");
  if (!name) return err(p, root, "missing required key 'name'");
  if (get_str(p, name, "'name'", false, &s->name)) return -1;
  size_t ok = strspn(s->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
  if (ok != strlen(s->name) || (s->name[0] >= '0' && s->name[0] <= '9') || ok > MAX_NAME)
    return err(p, name, "name '%.80s' must be a C identifier ([A-Za-z_][A-Za-z0-9_]*, at most %d characters)",
               s->name, MAX_NAME);
  if (build && get_build(p, build, s)) return -1;
  if (inputs && want_map(p, inputs, "'inputs'")) return -1;
  if (inputs && check_keys(p, inputs, NULL, "'inputs'")) return -1;

  if (model) {
    const YNode *bad = nodes ? nodes : inits ? inits : outputs ? outputs : opset;
    if (bad) {
      const YNode *k = NULL;
      for (int i = 0; i < root->n; i++)
        if (val_of(root, i) == bad) k = key_of(root, i);
      return err(p, k, "'%s' cannot be used together with 'model:' (the graph comes from the model file)", k->s);
    }
    const char *rel;
    if (get_str(p, model, "'model'", false, &rel)) return -1;
    if (!(s->model = resolve(p, rel))) return oom(p, model);
    s->model_loc = at(p, model);
    return inputs ? get_pins(p, inputs, &s->pins) : 0;
  }

  Graph *g = arena_alloc(p->a, sizeof *g);
  if (!g) return oom(p, root);
  g->name = s->name;
  g->file = p->file;
  g->opset = 21;
  g->opset_ml = 5;
  if (opset && get_opset(p, opset, g)) return -1;
  Map names = {0};
  for (int i = 0; inputs && i < count(inputs); i++) {
    GTensor *t;
    if (declare(p, &names, key_of(inputs, i), &t) || get_io(p, val_of(inputs, i), t, true) ||
        vec_push(p->a, &g->inputs, t))
      return -1;
  }
  if (inits && want_map(p, inits, "'initializers'")) return -1;
  for (int i = 0; inits && i < count(inits); i++) {
    GTensor *t;
    if (declare(p, &names, key_of(inits, i), &t)) return -1;
    if (get_tensor(p, val_of(inits, i), "an initializer", &t->init)) return -1;
    t->dt = t->init->dt;
    t->rank = t->init->rank;
    memcpy(t->dims, t->init->dims, sizeof t->dims);
    if (vec_push(p->a, &g->inits, t)) return oom(p, key_of(inits, i));
  }
  Map onames = {0};
  if (outputs && outputs->kind == Y_MAP) {
    if (check_keys(p, outputs, NULL, "'outputs'")) return -1;
    for (int i = 0; i < outputs->n; i++) {
      GTensor *t;
      if (declare(p, &onames, key_of(outputs, i), &t) || get_io(p, val_of(outputs, i), t, false) ||
          vec_push(p->a, &g->outputs, t))
        return -1;
    }
  } else if (outputs) {
    if (want_seq(p, outputs, "'outputs'")) return -1;
    for (int i = 0; i < count(outputs); i++) {
      GTensor *t;
      if (declare(p, &onames, outputs->kid[i], &t)) return -1;
      t->dt = DT_UNDEF;
      if (vec_push(p->a, &g->outputs, t)) return oom(p, outputs);
    }
  }
  if (nodes && want_seq(p, nodes, "'nodes'")) return -1;
  for (int i = 0; nodes && i < count(nodes); i++) {
    GNode *nd = NULL;
    if (get_node(p, nodes->kid[i], &nd) || vec_push(p->a, &g->nodes, nd)) return -1;
  }
  /* missing sections last, so errors inside the file come in reading order */
  if (!outputs) return err(p, root, "missing required key 'outputs'");
  if (!nodes) return err(p, root, "missing required key 'nodes' (or 'model:' to wrap another model file)");
  s->g = g;
  return 0;
}

int yaml_load(Arena *a, const char *path, ModelSpec *spec, Diags *d) {
  memset(spec, 0, sizeof *spec);
  P p = {.a = a, .d = d, .file = arena_strdup(a, path)};
  if (!p.file) return diag_error(d, (Loc){.file = path}, "out of memory"), -1;
  const char *why;
  FILE *f = fe_fopen_regular(path, &why);
  if (!f) return diag_error(d, (Loc){.file = p.file}, "cannot open: %s", why), -1;
  p.t = arena_new();
  YNode *root = NULL;
  int rc = -1;
  if (!p.t) diag_error(d, (Loc){.file = p.file}, "out of memory");
  else if (load_tree(&p, f, &root) == 0) {
    if (!root) rc = err(&p, &(YNode){.line = 1, .col = 1}, "empty file; a model starts with 'mlgen: 1'");
    else rc = load_top(&p, root, spec);
  }
  fclose(f);
  arena_free(p.t);
  if (rc) memset(spec, 0, sizeof *spec);
  return rc;
}
