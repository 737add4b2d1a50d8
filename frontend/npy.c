/* npy.c: NumPy .npy files, the one array format mlgen reads and writes.
 *
 * A .npy file is the magic "\x93NUMPY", a version (1.0: u16 header length;
 * 2.0/3.0: u32), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a newline, then the raw array bytes in C order.
 * We accept what maps onto a DType without conversion: little-endian (or
 * single-byte) numeric types in C order; and numpy's unicode strings '<U<w>'
 * (w UTF-32LE code points per element, NUL-padded), which become DT_STRING
 * tensors of UTF-8 arena strings and are written back with w = the longest
 * string. Object arrays ('|O': pickled Python objects) and zero-width strings
 * ('<U0', elements with no bytes in the file) are refused. The file size is
 * checked against the header (overflow-safe) before anything is allocated,
 * so a hostile header cannot make us allocate more than a small multiple of
 * what the file holds.
 */
#define _XOPEN_SOURCE 700 /* O_NOFOLLOW, fdopen */
#include "frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_MAX_HEADER (1 << 20) /* numpy itself refuses headers past 10 KiB by default */

/* Reports at loc; the message always names the .npy file. */
static int npy_fail(Diags *d, Loc loc, const char *path, const char *msg, const char *arg) {
  if (loc.file)
    diag_error(d, loc, "%s: %s%s", path, msg, arg ? arg : "");
  else
    diag_error(d, (Loc){.file = path}, "%s%s", msg, arg ? arg : "");
  return -1;
}

/* ------------------------------------------------------- header parsing */
typedef struct {
  const char *s, *end;
  char descr[32];
  int fortran; /* -1 unseen */
  int rank;    /* -1 unseen */
  int64_t dims[MAX_RANK];
  const char *why; /* what was wrong */
} Hdr;

static void skip_ws(Hdr *h) {
  while (h->s < h->end && (*h->s == ' ' || *h->s == '\t' || *h->s == '\n' || *h->s == '\r')) h->s++;
}

static int eat(Hdr *h, char c) {
  skip_ws(h);
  if (h->s < h->end && *h->s == c) {
    h->s++;
    return 1;
  }
  return 0;
}

/* A quoted Python string into buf (no escapes: none occur in valid headers). */
static int parse_str(Hdr *h, char *buf, size_t n) {
  skip_ws(h);
  if (h->s >= h->end || (*h->s != '\'' && *h->s != '"')) return -1;
  char q = *h->s++;
  size_t k = 0;
  while (h->s < h->end && *h->s != q) {
    if (k + 1 >= n || *h->s == '\\') return -1;
    buf[k++] = *h->s++;
  }
  if (h->s >= h->end) return -1;
  h->s++;
  buf[k] = 0;
  return 0;
}

static int parse_shape(Hdr *h) {
  if (!eat(h, '(')) return h->why = "malformed shape", -1;
  h->rank = 0;
  for (;;) {
    if (eat(h, ')')) return 0;
    skip_ws(h);
    if (h->s >= h->end || *h->s < '0' || *h->s > '9') return h->why = "malformed shape", -1;
    int64_t v = 0;
    while (h->s < h->end && *h->s >= '0' && *h->s <= '9') {
      int dgt = *h->s++ - '0';
      if (v > (INT64_MAX - dgt) / 10) return h->why = "dimension too large in shape", -1;
      v = v * 10 + dgt;
    }
    if (h->s < h->end && *h->s == 'L') h->s++; /* Python 2 long */
    if (h->rank == MAX_RANK) return h->why = "rank exceeds the maximum of 8", -1;
    h->dims[h->rank++] = v;
    if (!eat(h, ',')) {
      if (eat(h, ')')) return 0;
      return h->why = "malformed shape", -1;
    }
  }
}

static int parse_header(Hdr *h) {
  h->fortran = h->rank = -1;
  h->descr[0] = 0;
  if (!eat(h, '{')) return h->why = "header is not a dict", -1;
  for (;;) {
    if (eat(h, '}')) break;
    char key[32];
    if (parse_str(h, key, sizeof key) || !eat(h, ':')) return h->why = "malformed header", -1;
    if (!strcmp(key, "descr")) {
      skip_ws(h);
      if (h->s < h->end && *h->s == '[') return h->why = "structured dtypes are not supported", -1;
      if (parse_str(h, h->descr, sizeof h->descr)) return h->why = "malformed 'descr'", -1;
    } else if (!strcmp(key, "fortran_order")) {
      skip_ws(h);
      size_t left = (size_t)(h->end - h->s);
      if (left >= 4 && !memcmp(h->s, "True", 4)) h->fortran = 1, h->s += 4;
      else if (left >= 5 && !memcmp(h->s, "False", 5)) h->fortran = 0, h->s += 5;
      else return h->why = "malformed 'fortran_order'", -1;
    } else if (!strcmp(key, "shape")) {
      if (parse_shape(h)) return -1;
    } else {
      return h->why = "unexpected key in header", -1;
    }
    if (!eat(h, ',')) {
      if (eat(h, '}')) break;
      return h->why = "malformed header", -1;
    }
  }
  if (!h->descr[0] || h->fortran < 0 || h->rank < 0) return h->why = "header lacks descr, fortran_order or shape", -1;
  return 0;
}

static int host_little_endian(void) {
  const uint16_t one = 1;
  unsigned char c;
  memcpy(&c, &one, 1);
  return c == 1;
}

/* ------------------------------------------------------ unicode strings */
/* UTF-8 of code point c into o (4 bytes room); returns the byte count. */
static int utf8_put(char *o, uint32_t c) {
  if (c < 0x80) return o[0] = (char)c, 1;
  if (c < 0x800) return o[0] = (char)(0xc0 | c >> 6), o[1] = (char)(0x80 | (c & 63)), 2;
  if (c < 0x10000)
    return o[0] = (char)(0xe0 | c >> 12), o[1] = (char)(0x80 | (c >> 6 & 63)), o[2] = (char)(0x80 | (c & 63)), 3;
  o[0] = (char)(0xf0 | c >> 18), o[1] = (char)(0x80 | (c >> 12 & 63));
  o[2] = (char)(0x80 | (c >> 6 & 63)), o[3] = (char)(0x80 | (c & 63));
  return 4;
}

/* The next code point of UTF-8 text at *s (not at its NUL); -1 when the
 * bytes are not UTF-8 (overlong forms and surrogates included). */
static int utf8_next(const unsigned char **s, uint32_t *c) {
  const unsigned char *p = *s;
  int n = p[0] < 0x80 ? 0 : (p[0] & 0xe0) == 0xc0 ? 1 : (p[0] & 0xf0) == 0xe0 ? 2 : (p[0] & 0xf8) == 0xf0 ? 3 : -1;
  if (n < 0) return -1;
  uint32_t v = n ? p[0] & (0x3fu >> n) : p[0];
  for (int i = 1; i <= n; i++) {
    if ((p[i] & 0xc0) != 0x80) return -1;
    v = v << 6 | (p[i] & 63u);
  }
  static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
  if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return -1;
  *c = v;
  *s = p + n + 1;
  return 0;
}

/* width of '<U<w>', or -1 for another descr */
static int64_t unicode_width(const char *descr) {
  if (descr[0] != '<' || descr[1] != 'U' || !descr[2] || strspn(descr + 2, "0123456789") != strlen(descr + 2))
    return -1;
  return strlen(descr + 2) > 9 ? -1 : strtoll(descr + 2, NULL, 10);
}

/* numel elements of w UTF-32LE code units -> string slots; NULL with *why */
static void *ucs4_to_slots(Arena *a, const unsigned char *raw, int64_t numel, int64_t w, const char **why) {
  void *slots = arena_alloc(a, (size_t)numel * 8 + 8);
  if (!slots) return *why = "out of memory", NULL;
  for (int64_t i = 0; i < numel; i++) {
    const unsigned char *e = raw + i * 4 * w;
    int64_t len = w;
    while (len && !(e[4 * len - 4] | e[4 * len - 3] | e[4 * len - 2] | e[4 * len - 1])) len--; /* numpy's padding */
    char *s = arena_alloc(a, (size_t)len * 4 + 1);
    if (!s) return *why = "out of memory", NULL;
    size_t k = 0;
    for (int64_t j = 0; j < len; j++) {
      const unsigned char *u = e + 4 * j;
      uint32_t c = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
      if (c == 0) return *why = "a string holds a NUL character (unsupported: mlgen strings are NUL-terminated)", NULL;
      if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return *why = "a string holds an invalid code point", NULL;
      k += (size_t)utf8_put(s + k, c);
    }
    s[k] = 0;
    str_put(slots, i, s);
  }
  return slots;
}

/* ----------------------------------------------------------------- open */
static PtrVec *track_into;
static Arena *track_arena;

void fe_track_opens(PtrVec *into, Arena *a) {
  track_into = into;
  track_arena = a;
}

int fe_open_regular(const char *path, int extra_flags, const char **why) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | extra_flags);
  if (fd >= 0 && track_into) vec_push(track_arena, track_into, arena_strdup(track_arena, path));
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    *why = strerror(errno);
    if (fd >= 0) close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = S_ISFIFO(st.st_mode)  ? "not a regular file (a named pipe)"
           : S_ISDIR(st.st_mode) ? "not a regular file (a folder)"
           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "not a regular file (a device)"
           : S_ISSOCK(st.st_mode) ? "not a regular file (a socket)"
                                  : "not a regular file";
    close(fd);
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
    *why = strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

FILE *fe_fopen_regular(const char *path, const char **why) {
  int fd = fe_open_regular(path, 0, why);
  if (fd < 0) return NULL;
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    *why = strerror(errno);
    close(fd);
  }
  return f;
}

/* ----------------------------------------------------------------- read */
int npy_read(Arena *a, const char *path, Loc loc, TensorData **out, Diags *d) {
  *out = NULL;
  const char *why;
  FILE *f = fe_fopen_regular(path, &why);
  if (!f) return npy_fail(d, loc, path, "cannot open: ", why);
  int rc = -1;
  char *hbuf = NULL;
  unsigned char pre[12];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
    npy_fail(d, loc, path, "not a .npy file (bad magic)", NULL);
    goto done;
  }
  int major = pre[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (fread(pre + 10, 1, 2, f) != 2) {
      npy_fail(d, loc, path, "truncated header", NULL);
      goto done;
    }
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    hstart = 12;
  } else {
    char v[16];
    snprintf(v, sizeof v, "%d", major);
    npy_fail(d, loc, path, "unsupported .npy format version ", v);
    goto done;
  }
  if (hlen > NPY_MAX_HEADER) {
    npy_fail(d, loc, path, "header too large", NULL);
    goto done;
  }
  hbuf = malloc(hlen + 1);
  if (!hbuf) {
    npy_fail(d, loc, path, "out of memory", NULL);
    goto done;
  }
  if (fread(hbuf, 1, hlen, f) != hlen) {
    npy_fail(d, loc, path, "truncated header", NULL);
    goto done;
  }
  Hdr h = {.s = hbuf, .end = hbuf + hlen};
  if (parse_header(&h)) {
    npy_fail(d, loc, path, "bad header: ", h.why);
    goto done;
  }
  char descr[32];
  memcpy(descr, h.descr, sizeof descr);
  if (descr[0] == '=' && host_little_endian()) descr[0] = '<';
  if (descr[0] == '>' && descr[1] && descr[2] == '1' && !descr[3]) descr[0] = '|'; /* one byte: no order */
  if (descr[0] == '>') {
    npy_fail(d, loc, path, "big-endian data is not supported (save it with .astype(dtype.newbyteorder('<')))", NULL);
    goto done;
  }
  DType dt = dtype_from_npy(descr);
  int64_t width = unicode_width(descr); /* code points per string, or -1 */
  if (width >= 0) dt = DT_STRING;
  if (dt == DT_UNDEF && descr[0] == '|') { /* "|i1" written as "<i1" etc. */
    descr[0] = '<';
    dt = dtype_from_npy(descr);
  }
  if (dt == DT_UNDEF && !strcmp(descr + 1, "O")) {
    npy_fail(d, loc, path, "unsupported dtype object ('|O': pickled Python objects); save strings as a unicode array "
             "(x.astype(str))", NULL);
    goto done;
  }
  if (dt == DT_UNDEF) {
    npy_fail(d, loc, path, "unsupported dtype ", h.descr);
    goto done;
  }
  if (h.fortran) {
    npy_fail(d, loc, path, "fortran_order arrays are not supported (save np.ascontiguousarray(x))", NULL);
    goto done;
  }
  int64_t numel = shape_numel(h.rank, h.dims);
  int64_t size = width >= 0 ? 4 * width : dtype_info[dt].size; /* bytes per element in the file */
  /* from here on every allocation is bounded by the bytes in the file: each
   * element takes at least one byte there, none of which '<U0' has */
  if (size <= 0 && numel > 0) {
    npy_fail(d, loc, path, width == 0 ? "zero-width strings ('<U0') are not supported: each element needs at least "
                                        "one code point of storage (numpy writes '<U1' for empty strings)"
                                      : "zero-size elements are not supported", NULL);
    goto done;
  }
  if (numel < 0 || (size && numel > INT64_MAX / size) || (uint64_t)numel * (uint64_t)size > (uint64_t)SIZE_MAX / 2 ||
      (width >= 0 && numel > INT64_MAX / 16)) {
    npy_fail(d, loc, path, "shape is too large", NULL);
    goto done;
  }
  if (width >= 0 && numel > mlg_limits.strings) {
    if (loc.file) diag_limit(d, loc, "strings", "%s: %lld strings", path, (long long)numel);
    else diag_limit(d, (Loc){.file = path}, "strings", "%lld strings", (long long)numel);
    goto done;
  }
  size_t nbytes = (size_t)numel * (size_t)size;
  if (fseek(f, 0, SEEK_END)) {
    npy_fail(d, loc, path, "cannot seek: ", strerror(errno));
    goto done;
  }
  long fsize = ftell(f);
  if (fsize < 0 || (unsigned long)fsize < hstart + hlen) {
    npy_fail(d, loc, path, "cannot determine file size", NULL);
    goto done;
  }
  size_t have = (size_t)fsize - hstart - hlen;
  if (have != nbytes) {
    char m[160];
    snprintf(m, sizeof m, "%s: shape %s needs %llu bytes of data, the file has %llu",
             have < nbytes ? "truncated data" : "trailing bytes after the data", shape_str(a, h.rank, h.dims),
             (unsigned long long)nbytes, (unsigned long long)have);
    npy_fail(d, loc, path, m, NULL);
    goto done;
  }
  TensorData *t = arena_alloc(a, sizeof *t);
  void *data = arena_alloc(a, nbytes);
  if (!t || !data) {
    npy_fail(d, loc, path, "out of memory", NULL);
    goto done;
  }
  if (fseek(f, (long)(hstart + hlen), SEEK_SET) || fread(data, 1, nbytes, f) != nbytes) {
    npy_fail(d, loc, path, "read error", NULL);
    goto done;
  }
  if (width >= 0) {
    const char *why = NULL;
    if (!(data = ucs4_to_slots(a, data, numel, width, &why))) {
      npy_fail(d, loc, path, why, NULL);
      goto done;
    }
  }
  t->dt = dt;
  t->rank = h.rank;
  memcpy(t->dims, h.dims, sizeof t->dims);
  t->data = data;
  *out = t;
  rc = 0;
done:
  free(hbuf);
  fclose(f);
  return rc;
}

/* ---------------------------------------------------------------- write */
static int werr(char *err, size_t errlen, const char *path, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s: %s", path, msg);
  return -1;
}

/* String slots as '<U<w>' bytes (w = the longest string in code points, at
 * least 1, as numpy writes), in a malloc'd buffer; NULL with *why. */
static unsigned char *slots_to_ucs4(const void *data, int64_t numel, int64_t *w, const char **why) {
  *w = 1;
  for (int64_t i = 0; i < numel; i++) {
    const unsigned char *s = (const unsigned char *)str_at(data, i);
    int64_t n = 0;
    for (uint32_t c; *s; n++)
      if (utf8_next(&s, &c)) return *why = "a string is not UTF-8 (.npy holds unicode text)", NULL;
    if (n > *w) *w = n;
  }
  if (numel && (*w > INT64_MAX / 4 / numel || (uint64_t)(numel * *w * 4) > (uint64_t)SIZE_MAX))
    return *why = "too large", NULL;
  unsigned char *raw = calloc((size_t)(numel * *w * 4) + 1, 1);
  if (!raw) return *why = "out of memory", NULL;
  for (int64_t i = 0; i < numel; i++) {
    const unsigned char *s = (const unsigned char *)str_at(data, i);
    unsigned char *o = raw + i * *w * 4;
    for (uint32_t c; *s; o += 4) {
      utf8_next(&s, &c);
      o[0] = (unsigned char)c, o[1] = (unsigned char)(c >> 8), o[2] = (unsigned char)(c >> 16), o[3] = 0;
    }
  }
  return raw;
}

int npy_write(const char *path, DType dt, int rank, const int64_t *dims, const void *data, char *err,
              size_t errlen) {
  if (dt <= DT_UNDEF || dt >= DT_COUNT || (!dtype_info[dt].npy[0] && dt != DT_STRING))
    return werr(err, errlen, path, "dtype has no .npy equivalent");
  if (rank < 0 || rank > MAX_RANK) return werr(err, errlen, path, "rank out of range");
  int64_t numel = shape_numel(rank, dims);
  int size = dtype_info[dt].size;
  if (numel < 0 || numel > INT64_MAX / size) return werr(err, errlen, path, "invalid shape");
  if ((uint64_t)numel * (uint64_t)size > (uint64_t)SIZE_MAX) return werr(err, errlen, path, "too large");
  size_t nbytes = (size_t)numel * (size_t)size;
  if (nbytes && !data) return werr(err, errlen, path, "no data");
  char descr[32];
  snprintf(descr, sizeof descr, "%s", dtype_info[dt].npy);
  unsigned char *strs = NULL; /* DT_STRING: the '<U' bytes written instead of data */
  if (dt == DT_STRING) {
    int64_t w;
    const char *why = NULL;
    if (!(strs = slots_to_ucs4(data, numel, &w, &why))) return werr(err, errlen, path, why);
    snprintf(descr, sizeof descr, "<U%lld", (long long)w);
    nbytes = (size_t)(numel * w * 4);
    data = strs;
  }

  /* header: magic(6) version(2) len(2) dict, padded so the data starts at a multiple of 64 */
  char hdr[512];
  int k = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < rank; i++)
    k += snprintf(hdr + k, sizeof hdr - (size_t)k, "%s%lld%s", i ? " " : "", (long long)dims[i],
                  rank == 1 || i + 1 < rank ? "," : "");
  k += snprintf(hdr + k, sizeof hdr - (size_t)k, "), }");
  int total = 10 + k + 1;
  int pad = (64 - total % 64) % 64;
  memset(hdr + k, ' ', (size_t)pad);
  k += pad;
  hdr[k++] = '\n';
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(k & 255), (unsigned char)(k >> 8)};

  FILE *f = fopen(path, "wb");
  if (!f) {
    free(strs);
    return werr(err, errlen, path, strerror(errno));
  }
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)k, f) == (size_t)k &&
           (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
  free(strs);
  if (fclose(f)) ok = 0;
  if (!ok) {
    remove(path);
    return werr(err, errlen, path, "write failed");
  }
  return 0;
}
