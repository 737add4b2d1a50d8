/* onnx.c: the ONNX reader, ModelProto -> Graph.
 *
 * The file is unpacked once by protobuf-c, with an allocator that takes its
 * memory from the compilation's Arena: the unpacked message lives exactly as
 * long as the Graph, so initializer bytes (raw_data, and float_data & co when
 * their element type already matches) are referenced in place, never copied
 * per element. protobuf-c recurses once per nested message without a limit,
 * so a short walk over the wire format bounds the nesting first.
 *
 * One recursive walk then converts GraphProto -> Graph: initializers
 * (validated: rank, dims, dtype, data size, external files), inputs minus
 * initializers, outputs, value_info, and nodes with their attributes;
 * subgraph attributes become child Graphs. A node calling a model-local
 * function is replaced by the function body: formal inputs/outputs take the
 * caller's tensor names, every other tensor becomes "<caller>/<name>", and
 * ref_attr_name attributes take the caller's values (or the defaults).
 *
 * Requires: nothing. Provides: a Graph with names as in the file; the graph's
 * structure (definitions, cycles) is checked later by ir_check_graph.
 */
#define _XOPEN_SOURCE 700
#include "onnx.h"
#include "frontend.h"

#include "onnx.pb-c.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef MlgenOnnx__ModelProto ModelP;
typedef MlgenOnnx__GraphProto GraphP;
typedef MlgenOnnx__NodeProto NodeP;
typedef MlgenOnnx__AttributeProto AttrP;
typedef MlgenOnnx__TensorProto TensorP;
typedef MlgenOnnx__ValueInfoProto ValueP;
typedef MlgenOnnx__FunctionProto FuncP;
typedef MlgenOnnx__OperatorSetIdProto OpsetP;

#define MAX_MSG_DEPTH 100          /* protobuf message nesting (3 per subgraph level) */
#define MAX_FN_DEPTH 32            /* nested function calls */
#define MAX_NUMEL ((int64_t)1 << 40)

/* AttributeProto.AttributeType */
enum { A_UNDEF, A_FLOAT, A_INT, A_STRING, A_TENSOR, A_GRAPH, A_FLOATS, A_INTS, A_STRINGS,
       A_TENSORS, A_GRAPHS, A_SPARSE_TENSOR, A_SPARSE_TENSORS, A_TYPE_PROTO, A_TYPE_PROTOS };
enum { ONNX_STRING = 8 };

typedef struct {
  Arena *a;
  Diags *d;
  const char *path;  /* Loc.file */
  const char *dir;   /* folder of the file: external data lives there */
  Map fns;           /* "domain\nname\noverload" -> FuncP */
  Map fndomains;     /* domain of some local function -> non-NULL */
  Map callers;       /* names given to expanded calls, kept unique across subgraphs */
  Map fnsize;        /* fn_key -> int64_t*: nodes once expanded (-1 while being counted) */
  int opset, opset_ml;
  const ModelP *model; /* its opset_import gives the preview domains' versions */
  int64_t nnodes;
  bool oom, too_many;
  bool named; /* the message's field 1 is text: a name, not TensorProto.dims */
} Ctx;

/* A function body being expanded. */
typedef struct Scope Scope;
typedef struct {
  const char *name;   /* the caller's attribute name */
  const AttrP *ap;    /* its value */
  const Scope *sc;    /* where that value is interpreted */
} Bound;
struct Scope {
  const FuncP *fn;
  const char *prefix; /* "<caller>/" */
  Map rename;         /* formal input/output -> the caller's name */
  int nbound;
  Bound *bound;
  int depth;
};

static const char *S(const char *s) { return s ? s : ""; }
static Loc loc_at(Ctx *c, const char *node) { return (Loc){c->path, 0, 0, node ? node : ""}; }

static void *alloc(Ctx *c, size_t n) {
  void *p = arena_alloc(c->a, n);
  if (!p) c->oom = true;
  return p;
}

static const char *fmt(Ctx *c, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(NULL, 0, f, ap);
  va_end(ap);
  char *p = n < 0 ? NULL : alloc(c, (size_t)n + 1);
  if (!p) return "";
  va_start(ap, f);
  vsnprintf(p, (size_t)n + 1, f, ap);
  va_end(ap);
  return p;
}

static const char *bytes_str(Ctx *c, ProtobufCBinaryData b) {
  char *p = alloc(c, b.len + 1);
  if (!p) return "";
  if (b.len) memcpy(p, b.data, b.len);
  return p;
}

static const char *onnx_type_name(int t) {
  static const char *const names[] = {
      "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
      "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
      "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2",
      "float8e5m2fnuz", "uint4", "int4", "float4e2m1", "float8e8m0", "uint2", "int2",
      "float6e2m3", "float6e3m2"};
  return t >= 0 && t < (int)(sizeof names / sizeof *names) ? names[t] : "unknown";
}

static bool host_le(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* --------------------------------------------------------------- files */
static char *dir_of(Arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return arena_strdup(a, ".");
  if (slash == path) return arena_strdup(a, "/");
  char *d = arena_alloc(a, (size_t)(slash - path) + 1);
  if (d) memcpy(d, path, (size_t)(slash - path));
  return d;
}

/* The whole file in a malloc'd buffer (freed by the caller after unpacking). */
static uint8_t *read_file(Ctx *c, size_t *len) {
  const char *why = NULL;
  FILE *f = fe_fopen_regular(c->path, &why);
  struct stat st;
  uint8_t *buf = NULL;
  errno = 0;
  if (!f || fstat(fileno(f), &st) != 0) goto fail;
  buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
  if (!buf) goto fail;
  *len = fread(buf, 1, (size_t)st.st_size, f);
  if (*len != (size_t)st.st_size) goto fail;
  fclose(f);
  return buf;
fail:
  diag_error(c->d, loc_at(c, ""), "cannot read the file: %s", why ? why : errno ? strerror(errno) : "short read");
  free(buf);
  if (f) fclose(f);
  return NULL;
}

/* ------------------------------------------------------- wire-format guard */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t r = 0;
  for (int s = 0; s < 64 && *p < end; s += 7) {
    uint8_t b = *(*p)++;
    r |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

/* False when messages nest deeper than MAX_MSG_DEPTH. Malformed input just
 * ends the walk: protobuf-c reports it. */
static bool depth_ok(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *md, int depth) {
  if (depth > MAX_MSG_DEPTH) return false;
  while (p < end) {
    uint64_t tag, v;
    if (!varint(&p, end, &tag)) return true;
    switch (tag & 7) {
    case 0: if (!varint(&p, end, &v)) return true; break;
    case 1: if (end - p < 8) return true; p += 8; break;
    case 5: if (end - p < 4) return true; p += 4; break;
    case 2: {
      if (!varint(&p, end, &v) || v > (uint64_t)(end - p)) return true;
      const ProtobufCFieldDescriptor *f =
          (tag >> 3) <= UINT_MAX ? protobuf_c_message_descriptor_get_field(md, (unsigned)(tag >> 3)) : NULL;
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && !depth_ok(p, p + v, f->descriptor, depth + 1)) return false;
      p += v;
      break;
    }
    default: return true;
    }
  }
  return true;
}

/* Whether top-level field 1 is a length-delimited printable string: the name
 * of a SequenceProto, OptionalProto or MapProto rather than packed dims. */
static bool field1_text(const uint8_t *p, const uint8_t *end) {
  uint64_t tag, v;
  while (p < end && varint(&p, end, &tag)) {
    switch (tag & 7) {
    case 0: if (!varint(&p, end, &v)) return false; break;
    case 1: if (end - p < 8) return false; p += 8; break;
    case 5: if (end - p < 4) return false; p += 4; break;
    case 2:
      if (!varint(&p, end, &v) || v > (uint64_t)(end - p)) return false;
      if (tag >> 3 == 1) {
        for (uint64_t i = 0; i < v; i++)
          if (p[i] < 0x20 || p[i] > 0x7e) return false;
        return v > 0;
      }
      p += v;
      break;
    default: return false;
    }
  }
  return false;
}

static void *pb_alloc(void *arena, size_t n) { return arena_alloc(arena, n); }
static void pb_free(void *arena, void *p) { (void)arena, (void)p; } /* freed with the arena */

/* Reads and unpacks c->path as message md; NULL after reporting. */
static ProtobufCMessage *unpack_file(Ctx *c, const ProtobufCMessageDescriptor *md, const char *what) {
  size_t len = 0;
  uint8_t *buf = read_file(c, &len);
  if (!buf) return NULL;
  ProtobufCMessage *m = NULL;
  if (!depth_ok(buf, buf + len, md, 1)) {
    diag_error(c->d, loc_at(c, ""), "cannot parse ONNX protobuf: messages nested deeper than %d", MAX_MSG_DEPTH);
  } else {
    c->named = field1_text(buf, buf + len);
    ProtobufCAllocator al = {pb_alloc, pb_free, c->a};
    m = protobuf_c_message_unpack(md, &al, len, buf);
    if (!m) diag_error(c->d, loc_at(c, ""), "cannot parse ONNX %s (truncated or corrupt file?)", what);
  }
  free(buf);
  return m;
}

/* --------------------------------------------------------------- tensors */
static bool parse_i64(const char *s, int64_t *v) {
  if (!s || !*s || !isdigit((unsigned char)*s)) return false;
  errno = 0;
  char *end;
  long long x = strtoll(s, &end, 10);
  if (errno || *end) return false;
  *v = x;
  return true;
}

/* nbytes of external data of tensor tp, read from the file named by its
 * external_data entries, relative to c->dir and never outside it. */
static const void *read_external(Ctx *c, const TensorP *tp, int64_t nbytes, Loc loc, const char *what) {
  const char *where = NULL;
  int64_t offset = 0, length = -1;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const char *k = S(tp->external_data[i]->key), *v = S(tp->external_data[i]->value);
    if (!strcmp(k, "location")) {
      where = v;
    } else if ((!strcmp(k, "offset") && !parse_i64(v, &offset)) || (!strcmp(k, "length") && !parse_i64(v, &length))) {
      diag_error(c->d, loc, "%s: bad external data %s '%s'", what, k, v);
      return NULL;
    }
  }
  if (!where || !*where) {
    diag_error(c->d, loc, "%s: external data without a location", what);
    return NULL;
  }
  bool up = false;
  for (const char *s = where; *s;) {
    size_t n = strcspn(s, "/\\");
    if (n == 2 && s[0] == '.' && s[1] == '.') up = true;
    s += n + (s[n] != 0);
  }
  if (where[0] == '/' || where[0] == '\\' || (isalpha((unsigned char)where[0]) && where[1] == ':') || up) {
    diag_error(c->d, loc, "%s: external data location '%s' is outside the model's folder", what, where);
    return NULL;
  }
  if (length >= 0 && length != nbytes) {
    diag_error(c->d, loc, "%s: external data length %lld, its dims need %lld bytes", what, (long long)length,
               (long long)nbytes);
    return NULL;
  }
  const void *res = NULL;
  char *full = NULL, *rdir = realpath(c->dir, NULL);
  const char *file = fmt(c, "%s/%s", c->dir, where);
  full = realpath(file, NULL);
  int fd = -1;
  struct stat st;
  if (!rdir || !full) {
    diag_error(c->d, loc, "%s: cannot open external data file '%s': %s", what, where, strerror(errno));
    goto done;
  }
  size_t n = strlen(rdir);
  if (strncmp(full, rdir, n) != 0 || (full[n] != '/' && rdir[n - 1] != '/')) {
    diag_error(c->d, loc, "%s: external data file '%s' resolves outside the model's folder", what, where);
    goto done;
  }
  const char *why = NULL;
  if ((fd = fe_open_regular(full, O_NOFOLLOW, &why)) < 0 || fstat(fd, &st) != 0) {
    diag_error(c->d, loc, "%s: cannot open external data file '%s': %s", what, where, why ? why : strerror(errno));
    goto done;
  }
  if (offset > (int64_t)st.st_size || nbytes > (int64_t)st.st_size - offset) {
    diag_error(c->d, loc, "%s: external data file '%s' is too short (needs %lld bytes at offset %lld, has %lld)",
               what, where, (long long)nbytes, (long long)offset, (long long)st.st_size);
    goto done;
  }
  char *buf = alloc(c, (size_t)nbytes);
  if (!buf) goto done;
  for (int64_t got = 0; got < nbytes;) {
    ssize_t r = pread(fd, buf + got, (size_t)(nbytes - got), (off_t)(offset + got));
    if (r <= 0) {
      diag_error(c->d, loc, "%s: cannot read external data file '%s': %s", what, where,
                 r < 0 ? strerror(errno) : "short read");
      goto done;
    }
    got += r;
  }
  res = buf;
done:
  if (fd >= 0) close(fd);
  free(full);
  free(rdir);
  return res;
}

/* Typed fields -> little-endian storage, or the field itself when it
 * already is exactly that. */
static const void *typed_data(Ctx *c, const TensorP *tp, DType dt, int64_t numel, Loc loc, const char *what) {
  const char *field;
  size_t n;
  const void *same = NULL; /* the field's array when its C type is dt's */
  switch (dt) {
  case DT_F32: field = "float_data", n = tp->n_float_data, same = tp->float_data; break;
  case DT_F64: field = "double_data", n = tp->n_double_data, same = tp->double_data; break;
  case DT_I64: field = "int64_data", n = tp->n_int64_data, same = tp->int64_data; break;
  case DT_U64: field = "uint64_data", n = tp->n_uint64_data, same = tp->uint64_data; break;
  case DT_U32: field = "uint64_data", n = tp->n_uint64_data; break;
  case DT_I32: field = "int32_data", n = tp->n_int32_data, same = tp->int32_data; break;
  default: field = "int32_data", n = tp->n_int32_data; break;
  }
  if ((int64_t)n != numel) {
    if (n == 0)
      diag_error(c->d, loc, "%s: no data (neither raw_data nor %s), its dims need %lld values", what, field,
                 (long long)numel);
    else
      diag_error(c->d, loc, "%s: %s has %zu values, its dims need %lld", what, field, n, (long long)numel);
    return NULL;
  }
  if (numel == 0) return alloc(c, 1);
  if (same && host_le()) return same;
  int size = dtype_info[dt].size;
  uint8_t *p = alloc(c, (size_t)numel * (size_t)size);
  if (!p) return NULL;
  for (int64_t i = 0; i < numel; i++) {
    uint64_t v;
    switch (dt) {
    case DT_F32: { uint32_t u; memcpy(&u, &tp->float_data[i], 4); v = u; break; }
    case DT_F64: memcpy(&v, &tp->double_data[i], 8); break;
    case DT_I64: v = (uint64_t)tp->int64_data[i]; break;
    case DT_U32: case DT_U64: v = tp->uint64_data[i]; break;
    case DT_BOOL: v = tp->int32_data[i] != 0; break;
    default: v = (uint64_t)(int64_t)tp->int32_data[i]; break; /* f16/bf16: the bits */
    }
    for (int b = 0; b < size; b++) p[i * size + b] = (uint8_t)(v >> (8 * b));
  }
  return p;
}

/* what names the tensor in messages: "initializer 'w'", "attribute 'value'". */
static TensorData *conv_tensor(Ctx *c, const TensorP *tp, Loc loc, const char *what) {
  if (tp->n_dims > MAX_RANK) {
    diag_error(c->d, loc, "%s: rank %zu is more than the supported %d", what, tp->n_dims, MAX_RANK);
    return NULL;
  }
  TensorData *t = alloc(c, sizeof *t);
  if (!t) return NULL;
  t->rank = (int)tp->n_dims;
  int64_t numel = 1, nz = 1; /* nz: product of the nonzero dims */
  for (int i = 0; i < t->rank; i++) {
    int64_t d = tp->dims[i];
    if (d < 0) {
      diag_error(c->d, loc, "%s: negative dim %lld", what, (long long)d);
      return NULL;
    }
    if (d && d > MAX_NUMEL / nz) {
      diag_error(c->d, loc, "%s: dims %s: more than 2^40 elements", what, shape_str(c->a, t->rank, tp->dims));
      return NULL;
    }
    if (d) nz *= d;
    numel *= d;
    t->dims[i] = d;
  }
  int odt = tp->has_data_type ? tp->data_type : 0;
  if (tp->has_segment) {
    diag_error(c->d, loc, "%s: segmented tensors are unsupported", what);
    return NULL;
  }
  if (odt == 0) {
    diag_error(c->d, loc, "%s: no data_type (a SequenceProto/MapProto/OptionalProto? those are unsupported)", what);
    return NULL;
  }
  if (odt == ONNX_STRING) {
    if (tp->has_data_location && tp->data_location == 1) {
      diag_error(c->d, loc, "%s: external string data is unsupported", what);
      return NULL;
    }
    if (numel > mlg_limits.strings) {
      diag_limit(c->d, loc, "strings", "%s: %lld strings", what, (long long)numel);
      return NULL;
    }
    if ((int64_t)tp->n_string_data != numel) {
      diag_error(c->d, loc, "%s: string_data has %zu values, its dims need %lld", what, tp->n_string_data,
                 (long long)numel);
      return NULL;
    }
    t->dt = DT_STRING;
    void *slots = alloc(c, (size_t)(numel + 1) * (size_t)dtype_info[DT_STRING].size);
    if (!slots) return NULL;
    for (int64_t i = 0; i < numel; i++) {
      if (tp->string_data[i].len && memchr(tp->string_data[i].data, 0, tp->string_data[i].len)) {
        diag_error(c->d, loc, "%s: unsupported: string #%lld holds a NUL byte (mlgen strings are NUL-terminated)",
                   what, (long long)i);
        return NULL;
      }
      str_put(slots, i, bytes_str(c, tp->string_data[i]));
    }
    t->data = slots;
    return t;
  }
  t->dt = dtype_from_onnx(odt);
  if (t->dt == DT_UNDEF) {
    diag_error(c->d, loc, "%s: unsupported dtype %s (%d)", what, onnx_type_name(odt), odt);
    return NULL;
  }
  /* 4- and 2-bit types are packed (two or four a byte, low bits first) and
   * stay so: TensorData holds ONNX's bytes (lowbit.c unpacks them) */
  int64_t size = dtype_info[t->dt].size, nbytes = dtype_nbytes(t->dt, numel);
  if (tp->has_data_location && tp->data_location == 1) {
    t->data = read_external(c, tp, nbytes, loc, what);
  } else if (tp->has_data_location && tp->data_location != 0) {
    diag_error(c->d, loc, "%s: unknown data_location %d", what, (int)tp->data_location);
  } else if (tp->has_raw_data) {
    if ((int64_t)tp->raw_data.len != nbytes) {
      diag_error(c->d, loc, "%s: raw_data has %zu bytes, dims %s of %s need %lld", what, tp->raw_data.len,
                 shape_str(c->a, t->rank, t->dims), dtype_info[t->dt].name, (long long)nbytes);
      return NULL;
    }
    const uint8_t *p = tp->raw_data.data;
    if (nbytes == 0) {
      p = alloc(c, 1);
    } else if ((uintptr_t)p % (uintptr_t)size) { /* never with the arena allocator, but cheap to handle */
      uint8_t *q = alloc(c, (size_t)nbytes);
      if (q) memcpy(q, p, (size_t)nbytes);
      p = q;
    }
    t->data = p;
  } else {
    t->data = typed_data(c, tp, t->dt, nbytes / size, loc, what); /* packed: an int32_data value a byte */
  }
  return t->data ? t : NULL;
}

/* ---------------------------------------------------------- value types */
/* role "input"/"output" reports unsupported types; NULL (value_info) just
 * leaves them unknown. */
static void conv_type(Ctx *c, const ValueP *vp, GTensor *t, const char *role) {
  static const char *const kinds[] = {[4] = "sequence", [5] = "map", [7] = "opaque", [8] = "sparse tensor",
                                      [9] = "optional"};
  const MlgenOnnx__TypeProto *tp = vp->type;
  t->dt = DT_UNDEF;
  t->rank = -1;
  t->kind = GK_TENSOR;
  if (!tp || tp->value_case == MLGEN_ONNX__TYPE_PROTO__VALUE__NOT_SET) return;
  /* a sequence of tensors, an optional tensor or optional sequence of
   * tensors: the element's tensor type below (decompose binds the length) */
  if (tp->value_case == MLGEN_ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ||
      tp->value_case == MLGEN_ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
    bool opt = tp->value_case == MLGEN_ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
    const MlgenOnnx__TypeProto *e = opt ? tp->optional_type->elem_type : tp->sequence_type->elem_type;
    GKind k = opt ? GK_OPT : GK_SEQ;
    if (opt && e && e->value_case == MLGEN_ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE) {
      e = e->sequence_type->elem_type;
      k = GK_OPTSEQ;
    }
    if (!e || e->value_case != MLGEN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
      int ek = e ? (int)e->value_case : 0;
      const char *what = ek == 9 ? "optional" : ek > 0 && ek < 10 && kinds[ek] ? kinds[ek] : "unknown type";
      /* a sequence of maps output is reported by the node that makes it
       * (ZipMap says to use the tensor output instead) */
      if (role && (opt || strcmp(role, "output")))
        diag_error(c->d, loc_at(c, ""), "unsupported type %s of %s for %s '%s' (only of tensors)",
                   opt ? "optional" : "sequence", what, role, t->name);
      return;
    }
    tp = e;
    t->kind = k;
  }
  if (tp->value_case != MLGEN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
    int k = (int)tp->value_case;
    /* a sequence/map output is reported by the node that makes it (ZipMap
     * says to use the tensor output instead); no mlgen op produces one */
    bool deferred = role && !strcmp(role, "output") && (k == 4 || k == 5);
    if (role && !deferred)
      diag_error(c->d, loc_at(c, ""), "unsupported type %s for %s '%s'",
                 k > 0 && k < 10 && kinds[k] ? kinds[k] : "?", role, t->name);
    return;
  }
  const MlgenOnnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (tt->has_elem_type && tt->elem_type) {
    t->dt = dtype_from_onnx(tt->elem_type);
    if (t->dt == DT_UNDEF && role)
      diag_error(c->d, loc_at(c, ""), "unsupported dtype %s for %s '%s'", onnx_type_name(tt->elem_type), role, t->name);
  }
  const MlgenOnnx__TensorShapeProto *sh = tt->shape;
  if (!sh) return;
  if (sh->n_dim > MAX_RANK) {
    if (role) diag_error(c->d, loc_at(c, ""), "%s '%s' has rank %zu, more than the supported %d", role, t->name, sh->n_dim,
                         MAX_RANK);
    return;
  }
  t->rank = (int)sh->n_dim;
  for (int i = 0; i < t->rank; i++) {
    const MlgenOnnx__TensorShapeProto__Dimension *d = sh->dim[i];
    if (d->value_case == MLGEN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0) {
      t->dims[i] = d->dim_value;
    } else {
      t->dims[i] = -1;
      t->sym[i] = d->value_case == MLGEN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && *S(d->dim_param)
                      ? d->dim_param : "?";
    }
  }
}

static GTensor *new_tensor(Ctx *c, const char *name) {
  GTensor *t = alloc(c, sizeof *t);
  if (!t) return NULL;
  t->name = name;
  t->rank = -1;
  t->loc = loc_at(c, name);
  return t;
}

/* ----------------------------------------------------------- attributes */
static const char *scoped(Ctx *c, const Scope *sc, const char *name) {
  if (!sc || !*name) return name;
  const char *r = map_get(&sc->rename, name);
  return r ? r : fmt(c, "%s%s", sc->prefix, name);
}

static int attr_kind(const AttrP *ap) {
  if (ap->has_type && ap->type != A_UNDEF) return ap->type;
  /* old models: infer from the field that is set */
  return ap->has_f ? A_FLOAT : ap->has_i ? A_INT : ap->has_s ? A_STRING : ap->t ? A_TENSOR : ap->g ? A_GRAPH
       : ap->n_floats ? A_FLOATS : ap->n_ints ? A_INTS : ap->n_strings ? A_STRINGS : ap->n_tensors ? A_TENSORS
       : ap->n_graphs ? A_GRAPHS : ap->has_sparse_tensor ? A_SPARSE_TENSOR
       : ap->n_sparse_tensors ? A_SPARSE_TENSORS : ap->has_tp ? A_TYPE_PROTO
       : ap->n_type_protos ? A_TYPE_PROTOS : A_INTS;
}

static Graph *conv_graph(Ctx *c, const GraphP *gp, Graph *parent, const Scope *sc);

/* An attribute value (already resolved), named name, into *out. */
static int conv_attr(Ctx *c, Graph *g, const AttrP *ap, const char *name, const Scope *sc, Loc loc, Attr *out) {
  static const char *const kinds[] = {"undefined", "float", "int", "string", "tensor", "graph", "floats",
                                      "ints", "strings", "tensors", "graphs", "sparse_tensor",
                                      "sparse_tensors", "type_proto", "type_protos"};
  int k = attr_kind(ap);
  out->name = name;
  out->loc = loc;
  switch (k) {
  case A_FLOAT: out->type = AT_FLOAT, out->f = ap->f; return 0;
  case A_INT: out->type = AT_INT, out->i = ap->i; return 0;
  case A_STRING: /* n: byte length, for binary-safe use */
    out->type = AT_STRING, out->s = bytes_str(c, ap->s), out->n = (int)ap->s.len;
    return 0;
  case A_INTS:
    if (ap->n_ints > INT_MAX) break;
    out->type = AT_INTS, out->n = (int)ap->n_ints, out->ints = ap->ints;
    return 0;
  case A_FLOATS:
    if (ap->n_floats > INT_MAX) break;
    out->type = AT_FLOATS, out->n = (int)ap->n_floats;
    if (!(out->floats = alloc(c, sizeof(double) * ap->n_floats))) return -1;
    for (size_t i = 0; i < ap->n_floats; i++) out->floats[i] = ap->floats[i];
    return 0;
  case A_STRINGS:
    if (ap->n_strings > INT_MAX) break;
    if ((int64_t)ap->n_strings > mlg_limits.strings) {
      diag_limit(c->d, loc, "strings", "attribute '%s': %zu strings", name, ap->n_strings);
      return -1;
    }
    out->type = AT_STRINGS, out->n = (int)ap->n_strings;
    if (!(out->strs = alloc(c, sizeof(char *) * (ap->n_strings + 1)))) return -1;
    for (size_t i = 0; i < ap->n_strings; i++) out->strs[i] = bytes_str(c, ap->strings[i]);
    return 0;
  case A_TENSOR:
    out->type = AT_TENSOR;
    if (!ap->t) break;
    return (out->t = conv_tensor(c, ap->t, loc, fmt(c, "attribute '%s'", name))) ? 0 : -1;
  case A_GRAPH:
    out->type = AT_GRAPH;
    if (!ap->g) break;
    return (out->g = conv_graph(c, ap->g, g, sc)) ? 0 : -1;
  default:
    diag_error(c->d, loc, "unsupported attribute type %s for attribute '%s'",
               k > 0 && k <= A_TYPE_PROTOS ? kinds[k] : "unknown", name);
    return -1;
  }
  diag_error(c->d, loc, "attribute '%s' of type %s has no value", name, kinds[k]);
  return -1;
}

/* The attribute a node in scope *sc really gets: itself, or for a reference
 * the caller's attribute (interpreted in the caller's scope: *sc is updated)
 * or the function's default. NULL: nobody set it, the node goes without. */
static const AttrP *resolve(Ctx *c, const AttrP *ap, const Scope **sc, Loc loc) {
  const char *ref = S(ap->ref_attr_name);
  if (!*ref) return ap;
  const Scope *s = *sc;
  if (!s) {
    diag_error(c->d, loc, "attribute '%s' refers to '%s' outside a function", S(ap->name), ref);
    return NULL;
  }
  for (int i = 0; i < s->nbound; i++)
    if (!strcmp(s->bound[i].name, ref)) {
      *sc = s->bound[i].sc;
      return s->bound[i].ap;
    }
  for (size_t i = 0; i < s->fn->n_attribute_proto; i++)
    if (!strcmp(S(s->fn->attribute_proto[i]->name), ref)) return s->fn->attribute_proto[i];
  return NULL;
}

/* ---------------------------------------------------------------- nodes */
static const char *norm_domain(const char *d) { return strcmp(S(d), "ai.onnx") ? S(d) : ""; }

static const char *fn_key(Ctx *c, const char *dom, const char *name, const char *overload) {
  return fmt(c, "%s\n%s\n%s", norm_domain(dom), S(name), S(overload));
}

static int node_opset(Ctx *c, const Scope *sc, const char *dom, Loc loc) {
  if (sc)
    for (size_t i = 0; i < sc->fn->n_opset_import; i++) {
      const OpsetP *o = sc->fn->opset_import[i];
      if (!strcmp(norm_domain(o->domain), dom) && o->version > 0 && o->version <= INT_MAX) return (int)o->version;
    }
  int v = *dom ? c->opset_ml : c->opset;
  if (*dom && strcmp(dom, "ai.onnx.ml") && c->model) /* a preview domain */
    for (size_t i = 0; i < c->model->n_opset_import; i++) {
      const OpsetP *o = c->model->opset_import[i];
      if (!strcmp(norm_domain(o->domain), dom) && o->version > 0 && o->version <= INT_MAX) v = (int)o->version;
    }
  if (v <= 0) diag_error(c->d, loc, "domain '%s' is not in the model's opset_import", *dom ? dom : "ai.onnx");
  return v;
}

static void emit_nodes(Ctx *c, Graph *g, NodeP *const *nodes, size_t n, const Scope *sc);

static GNode *new_node(Ctx *c, Graph *g, const char *op, const char *dom, const char *name, int nin, int nout,
                       Loc loc) {
  GNode *n = alloc(c, sizeof *n);
  if (!n) return NULL;
  n->op = op, n->domain = dom, n->name = name, n->loc = loc;
  n->nin = nin, n->nout = nout;
  n->in = alloc(c, sizeof(char *) * (size_t)(nin + 1));
  n->out = alloc(c, sizeof(char *) * (size_t)(nout + 1));
  if (!n->in || !n->out || vec_push(c->a, &g->nodes, n)) return c->oom = true, NULL;
  return n;
}

/* Replaces caller node np (named callname) by the body of fn. */
static void expand(Ctx *c, Graph *g, const NodeP *np, const FuncP *fn, const char *callname, Loc loc,
                   const Scope *sc) {
  int depth = sc ? sc->depth + 1 : 1;
  if (depth > MAX_FN_DEPTH) {
    diag_error(c->d, loc, "function calls nested deeper than %d (recursive function '%s'?)", MAX_FN_DEPTH,
               S(fn->name));
    return;
  }
  if (np->n_input > fn->n_input || np->n_output > fn->n_output) {
    diag_error(c->d, loc, "%zu inputs and %zu outputs given, function '%s' has %zu and %zu", np->n_input,
               np->n_output, S(fn->name), fn->n_input, fn->n_output);
    return;
  }
  Scope *in = alloc(c, sizeof *in);
  Bound *bound = alloc(c, sizeof(Bound) * (np->n_attribute + 1));
  const char **pass = alloc(c, sizeof(char *) * (fn->n_output + 1)); /* outputs that are formal inputs */
  if (!in || !bound || !pass) return;
  in->fn = fn;
  const char *un = callname; /* the same name in two subgraphs must not give the same tensors */
  for (int k = 1; map_get(&c->callers, un) && !c->oom; k++) un = fmt(c, "%s~%d", callname, k);
  if (map_put(c->a, &c->callers, un, (void *)un)) c->oom = true;
  in->prefix = fmt(c, "%s/", un);
  in->depth = depth;
  in->bound = bound;
  for (size_t i = 0; i < fn->n_input; i++)
    if (map_put(c->a, &in->rename, fn->input[i], (void *)(i < np->n_input ? scoped(c, sc, np->input[i]) : "")))
      c->oom = true;
  for (size_t i = 0; i < fn->n_output; i++) {
    const char *actual = i < np->n_output && *np->output[i] ? scoped(c, sc, np->output[i])
                                                            : fmt(c, "%s%s", in->prefix, fn->output[i]);
    if (map_get(&in->rename, fn->output[i]))
      pass[i] = actual;
    else if (map_put(c->a, &in->rename, fn->output[i], (void *)actual))
      c->oom = true;
  }
  for (size_t i = 0; i < np->n_attribute; i++) {
    const Scope *s = sc;
    const AttrP *r = resolve(c, np->attribute[i], &s, loc);
    if (r) bound[in->nbound++] = (Bound){S(np->attribute[i]->name), r, s};
  }
  emit_nodes(c, g, fn->node, fn->n_node, in);
  for (size_t i = 0; i < fn->n_output; i++) { /* an output that is an input: copy it */
    if (!pass[i]) continue;
    GNode *n = new_node(c, g, "Identity", "", fmt(c, "%s%s", in->prefix, fn->output[i]), 1, 1, loc);
    if (!n) return;
    n->in[0] = map_get(&in->rename, fn->output[i]);
    n->out[0] = pass[i];
    n->opset = node_opset(c, in, "", loc);
  }
}

/* Nodes fn becomes once expanded, its calls included, counted before
 * anything is expanded: a function calling another 10 times, 20 levels
 * deep, is refused at once instead of after 2 million nodes. Memoized, so
 * linear in the functions' size; saturates past the limit. A recursive call
 * counts 1 (expanding it reports the recursion). */
static int64_t fn_size(Ctx *c, const FuncP *fn) {
  const char *k = fn_key(c, fn->domain, fn->name, fn->overload);
  int64_t *memo = map_get(&c->fnsize, k);
  if (memo) return *memo < 0 ? 1 : *memo;
  if (!(memo = alloc(c, sizeof *memo)) || map_put(c->a, &c->fnsize, k, memo)) return c->oom = true, 0;
  *memo = -1;
  int64_t n = 0, cap = mlg_limits.nodes + 1;
  for (size_t i = 0; i < fn->n_node && n < cap; i++) {
    const NodeP *np = fn->node[i];
    const FuncP *callee = map_get(&c->fns, fn_key(c, norm_domain(np->domain), np->op_type, np->overload));
    n += 1 + (callee ? fn_size(c, callee) : 0);
  }
  return *memo = n < cap ? n : cap;
}

/* the domains whose operators ir/decompose*.c rewrite (besides ai.onnx) */
static bool known_domain(const char *dom) {
  static const char *const known[] = {"ai.onnx.ml", "ai.onnx.preview", "ai.onnx.preview.training"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(dom, known[i])) return true;
  return false;
}

static void emit_node(Ctx *c, Graph *g, const NodeP *np, size_t idx, const Scope *sc) {
  const char *op = S(np->op_type), *dom = norm_domain(np->domain);
  const char *own = *S(np->name) ? np->name : fmt(c, "%s#%zu", op, idx);
  const char *where = sc ? fmt(c, "%s%s", sc->prefix, own) : own; /* Loc.node */
  Loc loc = loc_at(c, where);
  if (++c->nnodes > mlg_limits.nodes) {
    if (!c->too_many)
      diag_limit(c->d, loc, "nodes", "more than %lld nodes after expanding functions", (long long)mlg_limits.nodes);
    c->too_many = true;
    return;
  }
  const FuncP *fn = c->fns.n ? map_get(&c->fns, fn_key(c, dom, op, np->overload)) : NULL;
  if (fn) {
    int64_t size = fn_size(c, fn);
    if (size > mlg_limits.nodes - c->nnodes) {
      diag_limit(c->d, loc, "nodes", "a call of function '%s' expands to %s%lld nodes", S(fn->name),
                 size > mlg_limits.nodes ? "more than " : "", (long long)(size > mlg_limits.nodes ? mlg_limits.nodes : size));
      c->too_many = true;
      return;
    }
    expand(c, g, np, fn, where, loc, sc);
    return;
  }
  if (*dom && !known_domain(dom)) {
    if (map_get(&c->fndomains, dom))
      diag_error(c->d, loc, "no function '%s' in domain '%s'", op, dom);
    else
      diag_error(c->d, loc, "unsupported domain '%s' at node '%s'", dom, where);
    return;
  }
  if (np->n_input > INT_MAX / 2 || np->n_output > INT_MAX / 2 || np->n_attribute > INT_MAX / 2) {
    diag_error(c->d, loc, "too many inputs, outputs or attributes");
    return;
  }
  GNode *n = new_node(c, g, op, dom, sc || *S(np->name) ? where : "", (int)np->n_input, (int)np->n_output, loc);
  if (!n) return;
  n->opset = node_opset(c, sc, dom, loc);
  for (size_t i = 0; i < np->n_input; i++) n->in[i] = scoped(c, sc, np->input[i]);
  for (size_t i = 0; i < np->n_output; i++) n->out[i] = scoped(c, sc, np->output[i]);
  if (!(n->attrs = alloc(c, sizeof(Attr) * (np->n_attribute + 1)))) return;
  for (size_t i = 0; i < np->n_attribute; i++) {
    const Scope *s = sc;
    const AttrP *r = resolve(c, np->attribute[i], &s, loc);
    /* Optional's 'type' (a TypeProto) names an empty optional's type, which
     * mlgen takes from where the value goes (decompose_seqtype.c) */
    if (r && !*dom && !strcmp(op, "Optional") && attr_kind(r) == A_TYPE_PROTO) continue;
    if (r && conv_attr(c, g, r, S(np->attribute[i]->name), s, loc, &n->attrs[n->nattr]) == 0) n->nattr++;
  }
}

static void emit_nodes(Ctx *c, Graph *g, NodeP *const *nodes, size_t n, const Scope *sc) {
  for (size_t i = 0; i < n && !c->oom && !c->too_many; i++) emit_node(c, g, nodes[i], i, sc);
}

/* ---------------------------------------------------------------- graphs */
static Graph *conv_graph(Ctx *c, const GraphP *gp, Graph *parent, const Scope *sc) {
  Graph *g = alloc(c, sizeof *g);
  if (!g) return NULL;
  g->name = S(gp->name);
  g->file = c->path;
  g->opset = c->opset;
  g->opset_ml = c->opset_ml;
  g->parent = parent;
  Loc at = loc_at(c, "");
  if (gp->n_sparse_initializer) diag_error(c->d, at, "sparse initializers are unsupported");
  Map inits = {0}; /* file names of the initializers */
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const TensorP *tp = gp->initializer[i];
    const char *name = S(tp->name);
    if (!*name) {
      diag_error(c->d, at, "initializer #%zu has no name", i);
      continue;
    }
    GTensor *t = new_tensor(c, scoped(c, sc, name));
    TensorData *td = conv_tensor(c, tp, at, fmt(c, "initializer '%s'", name));
    if (!t || !td) continue;
    t->dt = td->dt;
    t->rank = td->rank;
    memcpy(t->dims, td->dims, sizeof t->dims);
    t->init = td;
    if (vec_push(c->a, &g->inits, t) || map_put(c->a, &inits, name, t)) c->oom = true;
  }
  struct { size_t n; ValueP **v; PtrVec *to; const char *role; } lists[] = {
      {gp->n_input, gp->input, &g->inputs, "input"},
      {gp->n_output, gp->output, &g->outputs, "output"},
      {gp->n_value_info, gp->value_info, &g->values, NULL},
  };
  for (int l = 0; l < 3; l++)
    for (size_t i = 0; i < lists[l].n; i++) {
      const ValueP *vp = lists[l].v[i];
      const char *name = S(vp->name);
      if (!*name) {
        diag_error(c->d, at, "graph %s #%zu has no name", lists[l].role ? lists[l].role : "value_info", i);
        continue;
      }
      if (l == 0 && map_get(&inits, name)) continue; /* an initializer listed as input (IR < 4) */
      GTensor *t = new_tensor(c, scoped(c, sc, name));
      if (!t) continue;
      conv_type(c, vp, t, lists[l].role);
      if (vec_push(c->a, lists[l].to, t)) c->oom = true;
    }
  emit_nodes(c, g, gp->node, gp->n_node, sc);
  return g;
}

/* ------------------------------------------------------------------ API */
static int finish(Ctx *c, int nerr0) {
  if (c->oom) diag_error(c->d, loc_at(c, ""), "out of memory");
  return c->d->nerr > nerr0 ? -1 : 0;
}

int onnx_load(Arena *a, const char *path, Graph **out, Diags *d) {
  int nerr0 = d->nerr;
  Ctx c = {.a = a, .d = d, .path = arena_strdup(a, path), .dir = dir_of(a, path)};
  *out = NULL;
  if (!c.dir || !c.path) return diag_error(d, (Loc){path, 0, 0, ""}, "out of memory"), -1;
  const ModelP *m = (const ModelP *)unpack_file(&c, &mlgen_onnx__model_proto__descriptor, "protobuf");
  if (!m) return -1;
  if (!m->graph) {
    diag_error(d, loc_at(&c, ""), "no graph in the file (not an ONNX model?)");
    return -1;
  }
  bool has_default = false;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const OpsetP *o = m->opset_import[i];
    int v = o->version > 0 && o->version <= INT_MAX ? (int)o->version : 0;
    const char *dom = norm_domain(o->domain);
    if (!*dom) c.opset = v, has_default = true;
    else if (!strcmp(dom, "ai.onnx.ml")) c.opset_ml = v;
  }
  c.model = m;
  if (!has_default && m->has_ir_version && m->ir_version < 3) c.opset = 1; /* before opset_import */
  for (size_t i = 0; i < m->n_functions; i++) {
    const FuncP *f = m->functions[i];
    const char *dom = norm_domain(f->domain);
    if (map_put(a, &c.fns, fn_key(&c, dom, f->name, f->overload), (void *)f) ||
        map_put(a, &c.fndomains, dom, (void *)f))
      c.oom = true;
  }
  Graph *g = c.oom ? NULL : conv_graph(&c, m->graph, NULL, NULL);
  if (finish(&c, nerr0)) return -1;
  *out = g;
  return 0;
}

/* the tensors of a SequenceProto/OptionalProto message as kind */
static SeqData *conv_seq(Ctx *c, const MlgenOnnx__SequenceProto *sp, GKind kind, Loc loc) {
  SeqData *s = alloc(c, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  if (sp->n_sparse_tensor_values || sp->n_map_values || sp->n_optional_values) {
    diag_error(c->d, loc, "unsupported: a sequence or optional of sparse tensors, maps or optionals");
    return NULL;
  }
  if (kind == GK_OPTSEQ || (kind == GK_OPT && sp->n_sequence_values)) {
    if (sp->n_tensor_values || sp->n_sequence_values > 1) {
      diag_error(c->d, loc, "not an optional sequence: %zu tensors, %zu sequences", sp->n_tensor_values,
                 sp->n_sequence_values);
      return NULL;
    }
    if (!sp->n_sequence_values) {
      s->none = true;
      return s;
    }
    SeqData *in = conv_seq(c, sp->sequence_values[0], GK_SEQ, loc);
    if (!in) return NULL;
    *s = *in;
    s->kind = GK_OPTSEQ;
    return s;
  }
  if (sp->n_sequence_values) {
    diag_error(c->d, loc, "unsupported: a sequence of sequences");
    return NULL;
  }
  if (kind == GK_OPT && sp->n_tensor_values > 1) {
    diag_error(c->d, loc, "not an optional tensor: %zu tensors", sp->n_tensor_values);
    return NULL;
  }
  s->n = (int)sp->n_tensor_values;
  s->none = kind == GK_OPT && !s->n;
  if (!(s->t = alloc(c, sizeof(TensorData *) * (sp->n_tensor_values + 1)))) return NULL;
  for (size_t i = 0; i < sp->n_tensor_values; i++)
    if (!(s->t[i] = conv_tensor(c, sp->tensor_values[i], loc, fmt(c, "element %zu", i)))) return NULL;
  return s;
}

int onnx_load_value(Arena *a, const char *path, GKind kind, SeqData **out, Diags *d) {
  int nerr0 = d->nerr;
  Ctx c = {.a = a, .d = d, .path = arena_strdup(a, path), .dir = dir_of(a, path)};
  *out = NULL;
  if (!c.dir || !c.path) return diag_error(d, (Loc){path, 0, 0, ""}, "out of memory"), -1;
  const MlgenOnnx__SequenceProto *sp =
      (const MlgenOnnx__SequenceProto *)unpack_file(&c, &mlgen_onnx__sequence_proto__descriptor, "SequenceProto");
  if (!sp) return -1;
  SeqData *s = conv_seq(&c, sp, kind, loc_at(&c, ""));
  if (finish(&c, nerr0) || !s) return -1;
  *out = s;
  return 0;
}

int onnx_load_tensor(Arena *a, const char *path, TensorData **out, Diags *d) {
  int nerr0 = d->nerr;
  Ctx c = {.a = a, .d = d, .path = arena_strdup(a, path), .dir = dir_of(a, path)};
  *out = NULL;
  if (!c.dir || !c.path) return diag_error(d, (Loc){path, 0, 0, ""}, "out of memory"), -1;
  const TensorP *tp = (const TensorP *)unpack_file(&c, &mlgen_onnx__tensor_proto__descriptor, "TensorProto");
  if (!tp) return -1;
  Diags scratch = {0}; /* its messages are moot if the file is no TensorProto */
  c.d = &scratch;
  TensorData *t = conv_tensor(&c, tp, loc_at(&c, ""), *S(tp->name) ? fmt(&c, "tensor '%s'", tp->name) : "tensor");
  c.d = d;
  if (!t && c.named) {
    diag_error(d, loc_at(&c, ""), "not a TensorProto (a SequenceProto, OptionalProto or MapProto?): unsupported");
  } else if (scratch.text.s) {
    buf_puts(&d->text, scratch.text.s);
    d->nerr += scratch.nerr;
  }
  diag_free(&scratch);
  if (finish(&c, nerr0) || !t) return -1;
  *out = t;
  return 0;
}
