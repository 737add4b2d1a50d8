/* npy.c: NumPy .npy files, the one array format mlgen reads and writes.
 *
 * A .npy file is the magic "\x93NUMPY", a version (1.0: u16 header length;
 * 2.0/3.0: u32), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a newline, then the raw array bytes in C order.
 * We accept only what maps onto a DType without conversion: little-endian
 * (or single-byte) numeric types in C order. The file size is checked
 * against the header before anything is allocated, so a hostile header
 * cannot make us allocate more than the file holds.
 */
#include "frontend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ----------------------------------------------------------------- read */
int npy_read(Arena *a, const char *path, Loc loc, TensorData **out, Diags *d) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return npy_fail(d, loc, path, "cannot open: ", strerror(errno));
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
  if (dt == DT_UNDEF && descr[0] == '|') { /* "|i1" written as "<i1" etc. */
    descr[0] = '<';
    dt = dtype_from_npy(descr);
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
  int size = dtype_info[dt].size;
  if (numel < 0 || numel > INT64_MAX / size || (uint64_t)numel * (uint64_t)size > (uint64_t)SIZE_MAX / 2) {
    npy_fail(d, loc, path, "shape is too large", NULL);
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

int npy_write(const char *path, DType dt, int rank, const int64_t *dims, const void *data, char *err,
              size_t errlen) {
  if (dt <= DT_UNDEF || dt >= DT_COUNT || !dtype_info[dt].npy[0])
    return werr(err, errlen, path, "dtype has no .npy equivalent");
  if (rank < 0 || rank > MAX_RANK) return werr(err, errlen, path, "rank out of range");
  int64_t numel = shape_numel(rank, dims);
  int size = dtype_info[dt].size;
  if (numel < 0 || numel > INT64_MAX / size) return werr(err, errlen, path, "invalid shape");
  if ((uint64_t)numel * (uint64_t)size > (uint64_t)SIZE_MAX) return werr(err, errlen, path, "too large");
  size_t nbytes = (size_t)numel * (size_t)size;
  if (nbytes && !data) return werr(err, errlen, path, "no data");

  /* header: magic(6) version(2) len(2) dict, padded so the data starts at a multiple of 64 */
  char hdr[512];
  int k = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", dtype_info[dt].npy);
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
  if (!f) return werr(err, errlen, path, strerror(errno));
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)k, f) == (size_t)k &&
           (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
  if (fclose(f)) ok = 0;
  if (!ok) {
    remove(path);
    return werr(err, errlen, path, "write failed");
  }
  return 0;
}
