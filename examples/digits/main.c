/*
 * digits_demo: driver for the mlgen-generated "digits" model.
 *
 * This file is the user's application, not generated code. It links
 * against digits.c / digits.h produced by `mlgen build digits.yaml`.
 *
 * Usage:
 *   digits_demo X.npy Y.npy            run the compiled model on every row
 *                                      of X (float32 [N,64]) and score it
 *                                      against Y (int64 [N])
 *   digits_demo --score PROBS.npy Y.npy
 *                                      score precomputed probabilities
 *                                      (float32 [N,10]) against Y
 *   digits_demo --count Y.npy          print N, the number of labels in Y
 *
 * The .npy reader below is deliberately tiny: format versions 1 and 2,
 * dtypes '<f4' and '<i8' only, C order only. Anything else is rejected
 * with an error message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

#define N_FEATURES 64
#define N_CLASSES 10

#ifdef DIGITS_ARENA_ALIGN
_Static_assert(DIGITS_ARENA_ALIGN <= 16, "arena below is only 16-byte aligned");
#endif

static _Alignas(16) unsigned char arena[DIGITS_ARENA_SIZE > 0 ? DIGITS_ARENA_SIZE : 1];

/* ------------------------------------------------------------------ */
/* Minimal .npy reader                                                 */
/* ------------------------------------------------------------------ */

#define NPY_MAX_DIMS 8
#define NPY_MAX_HEADER (1u << 20)

typedef enum { NPY_F32, NPY_I64 } npy_dtype;

typedef struct {
    npy_dtype dtype;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    size_t count; /* product of shape */
    void *data;   /* float * or int64_t *, native byte order */
} npy_array;

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void byteswap_items(unsigned char *p, size_t count, size_t size)
{
    for (size_t i = 0; i < count; i++, p += size) {
        for (size_t a = 0, z = size - 1; a < z; a++, z--) {
            unsigned char t = p[a];
            p[a] = p[z];
            p[z] = t;
        }
    }
}

/* Find 'key' in the header dict and return a pointer just past its ':'. */
static const char *npy_find_value(const char *hdr, const char *key)
{
    char quoted[32];
    const char *p;
    snprintf(quoted, sizeof quoted, "'%s'", key);
    p = strstr(hdr, quoted);
    if (!p) {
        snprintf(quoted, sizeof quoted, "\"%s\"", key);
        p = strstr(hdr, quoted);
    }
    if (!p)
        return NULL;
    p += strlen(quoted);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static int npy_parse_header(const char *path, const char *hdr, npy_array *a)
{
    const char *p;
    char descr[16];
    size_t n = 0;

    /* descr */
    p = npy_find_value(hdr, "descr");
    if (!p || (*p != '\'' && *p != '"')) {
        fprintf(stderr, "%s: .npy header has no 'descr'\n", path);
        return -1;
    }
    {
        char q = *p++;
        while (*p && *p != q && n + 1 < sizeof descr)
            descr[n++] = *p++;
        descr[n] = '\0';
        if (*p != q) {
            fprintf(stderr, "%s: malformed 'descr' in .npy header\n", path);
            return -1;
        }
    }
    if (strcmp(descr, "<f4") == 0) {
        a->dtype = NPY_F32;
    } else if (strcmp(descr, "<i8") == 0) {
        a->dtype = NPY_I64;
    } else {
        fprintf(stderr,
                "%s: unsupported dtype '%s' (only '<f4' float32 and '<i8' "
                "int64 are supported)\n",
                path, descr);
        return -1;
    }

    /* fortran_order */
    p = npy_find_value(hdr, "fortran_order");
    if (!p) {
        fprintf(stderr, "%s: .npy header has no 'fortran_order'\n", path);
        return -1;
    }
    if (strncmp(p, "True", 4) == 0) {
        fprintf(stderr, "%s: Fortran-order arrays are not supported (save "
                        "with C order)\n", path);
        return -1;
    }
    if (strncmp(p, "False", 5) != 0) {
        fprintf(stderr, "%s: malformed 'fortran_order' in .npy header\n", path);
        return -1;
    }

    /* shape */
    p = npy_find_value(hdr, "shape");
    if (!p || *p != '(') {
        fprintf(stderr, "%s: .npy header has no 'shape' tuple\n", path);
        return -1;
    }
    p++;
    a->ndim = 0;
    a->count = 1;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        if (*p < '0' || *p > '9') {
            fprintf(stderr, "%s: malformed 'shape' in .npy header\n", path);
            return -1;
        }
        if (a->ndim == NPY_MAX_DIMS) {
            fprintf(stderr, "%s: too many dimensions (max %d)\n", path,
                    NPY_MAX_DIMS);
            return -1;
        }
        {
            size_t d = 0;
            while (*p >= '0' && *p <= '9') {
                size_t digit = (size_t)(*p - '0');
                if (d > (SIZE_MAX - digit) / 10) {
                    fprintf(stderr, "%s: dimension too large\n", path);
                    return -1;
                }
                d = d * 10 + digit;
                p++;
            }
            if (d != 0 && a->count > SIZE_MAX / 16 / d) {
                fprintf(stderr, "%s: array too large\n", path);
                return -1;
            }
            a->shape[a->ndim++] = d;
            a->count *= d;
        }
    }
    return 0;
}

static int npy_load(const char *path, npy_array *a)
{
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    unsigned char pre[8], lenbuf[4];
    size_t hlen, itemsize, nbytes;
    char *hdr = NULL;
    FILE *f;

    memset(a, 0, sizeof *a);
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open file\n", path);
        return -1;
    }
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, magic, 6) != 0) {
        fprintf(stderr, "%s: not a .npy file (bad magic)\n", path);
        goto fail;
    }
    if (pre[6] == 1) {
        if (fread(lenbuf, 1, 2, f) != 2)
            goto truncated;
        hlen = (size_t)lenbuf[0] | ((size_t)lenbuf[1] << 8);
    } else if (pre[6] == 2) {
        if (fread(lenbuf, 1, 4, f) != 4)
            goto truncated;
        hlen = (size_t)lenbuf[0] | ((size_t)lenbuf[1] << 8) |
               ((size_t)lenbuf[2] << 16) | ((size_t)lenbuf[3] << 24);
    } else {
        fprintf(stderr, "%s: unsupported .npy format version %u.%u (only 1.x "
                        "and 2.x)\n", path, pre[6], pre[7]);
        goto fail;
    }
    if (hlen == 0 || hlen > NPY_MAX_HEADER) {
        fprintf(stderr, "%s: implausible .npy header length %zu\n", path, hlen);
        goto fail;
    }
    hdr = malloc(hlen + 1);
    if (!hdr) {
        fprintf(stderr, "%s: out of memory\n", path);
        goto fail;
    }
    if (fread(hdr, 1, hlen, f) != hlen)
        goto truncated;
    hdr[hlen] = '\0';
    if (npy_parse_header(path, hdr, a) != 0)
        goto fail;

    itemsize = a->dtype == NPY_F32 ? 4 : 8;
    nbytes = a->count * itemsize;
    a->data = malloc(nbytes > 0 ? nbytes : 1);
    if (!a->data) {
        fprintf(stderr, "%s: out of memory (%zu bytes)\n", path, nbytes);
        goto fail;
    }
    if (fread(a->data, 1, nbytes, f) != nbytes)
        goto truncated;
    if (fgetc(f) != EOF) {
        fprintf(stderr, "%s: file is larger than its header's shape implies "
                        "(%zu elements)\n", path, a->count);
        goto fail;
    }
    if (!host_is_little_endian())
        byteswap_items(a->data, a->count, itemsize);

    free(hdr);
    fclose(f);
    return 0;

truncated:
    fprintf(stderr, "%s: file is truncated\n", path);
fail:
    free(hdr);
    free(a->data);
    a->data = NULL;
    fclose(f);
    return -1;
}

static void npy_free(npy_array *a)
{
    free(a->data);
    a->data = NULL;
}

static void print_shape(FILE *out, const npy_array *a)
{
    fputc('[', out);
    for (int i = 0; i < a->ndim; i++)
        fprintf(out, "%s%zu", i ? "," : "", a->shape[i]);
    fputc(']', out);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int load_labels(const char *path, npy_array *y)
{
    if (npy_load(path, y) != 0)
        return -1;
    if (y->dtype != NPY_I64 || y->ndim != 1) {
        fprintf(stderr, "%s: expected int64 labels of shape [N], got %s ",
                path, y->dtype == NPY_I64 ? "int64" : "float32");
        print_shape(stderr, y);
        fputc('\n', stderr);
        npy_free(y);
        return -1;
    }
    if (y->shape[0] == 0) {
        fprintf(stderr, "%s: no labels\n", path);
        npy_free(y);
        return -1;
    }
    return 0;
}

static int load_matrix(const char *path, size_t cols, size_t rows,
                       npy_array *m)
{
    if (npy_load(path, m) != 0)
        return -1;
    if (m->dtype != NPY_F32 || m->ndim != 2 || m->shape[1] != cols ||
        m->shape[0] != rows) {
        fprintf(stderr, "%s: expected float32 of shape [%zu,%zu], got %s ",
                path, rows, cols, m->dtype == NPY_F32 ? "float32" : "int64");
        print_shape(stderr, m);
        fputc('\n', stderr);
        npy_free(m);
        return -1;
    }
    return 0;
}

static size_t argmax(const float *p, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (p[j] > p[best])
            best = j;
    return best;
}

static void report(const char *who, size_t correct, size_t total)
{
    printf("%s: correct=%zu total=%zu accuracy=%.4f\n", who, correct, total,
           (double)correct / (double)total);
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s X.npy Y.npy\n"
            "       %s --score PROBS.npy Y.npy\n"
            "       %s --count Y.npy\n",
            prog, prog, prog);
    return 2;
}

/* ------------------------------------------------------------------ */
/* Modes                                                               */
/* ------------------------------------------------------------------ */

static int mode_count(const char *ypath)
{
    npy_array y;
    if (load_labels(ypath, &y) != 0)
        return 1;
    printf("%zu\n", y.shape[0]);
    npy_free(&y);
    return 0;
}

static int mode_score(const char *ppath, const char *ypath)
{
    npy_array y, probs;
    const int64_t *labels;
    const float *p;
    size_t n, correct = 0;

    if (load_labels(ypath, &y) != 0)
        return 1;
    n = y.shape[0];
    if (load_matrix(ppath, N_CLASSES, n, &probs) != 0) {
        npy_free(&y);
        return 1;
    }
    labels = y.data;
    p = probs.data;
    for (size_t i = 0; i < n; i++)
        if ((int64_t)argmax(p + i * N_CLASSES, N_CLASSES) == labels[i])
            correct++;
    report("interpreter", correct, n);
    npy_free(&probs);
    npy_free(&y);
    return 0;
}

static int mode_run(const char *xpath, const char *ypath)
{
    npy_array y, x;
    const int64_t *labels;
    const float *xs;
    float probs[N_CLASSES];
    size_t n, correct = 0;

    if (load_labels(ypath, &y) != 0)
        return 1;
    n = y.shape[0];
    if (load_matrix(xpath, N_FEATURES, n, &x) != 0) {
        npy_free(&y);
        return 1;
    }
    labels = y.data;
    xs = x.data;
    for (size_t i = 0; i < n; i++) {
        int rc = digits_run(xs + i * N_FEATURES, probs, arena);
        if (rc != 0) {
            fprintf(stderr, "digits_run failed with code %d on row %zu\n", rc,
                    i);
            npy_free(&x);
            npy_free(&y);
            return 1;
        }
        if ((int64_t)argmax(probs, N_CLASSES) == labels[i])
            correct++;
    }
    report("C target", correct, n);
    npy_free(&x);
    npy_free(&y);
    return 0;
}

int main(int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : "digits_demo";

    if (argc == 3 && strcmp(argv[1], "--count") == 0)
        return mode_count(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--score") == 0)
        return mode_score(argv[2], argv[3]);
    if (argc == 3 && argv[1][0] != '-')
        return mode_run(argv[1], argv[2]);
    return usage(prog);
}
