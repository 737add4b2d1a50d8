/* decompose_str.c: the string operators of ai.onnx: StringConcat,
 * StringSplit, StringNormalizer, RegexFullMatch.
 *
 * The generated code never allocates, and these make new text (or, for
 * StringSplit and StringNormalizer with stop words, an output shape that
 * depends on the text). So they are evaluated here, at build time, when
 * their inputs are constants (initializers, or graph inputs made constant
 * with --freeze), the new strings living in the compilation's arena and
 * written as literals by the C target. Known only at run time they are
 * refused as unsupported, except what needs no new text: StringNormalizer
 * without stop words or case change (the identity) and RegexFullMatch, the
 * primitive STRMATCH against its pattern (compiled at build time, ir/regex.c;
 * the C target writes it as a table and a matcher). Registered in
 * d_str_ops, searched by d_find (decompose_ops.c).
 *
 * Text is UTF-8. Where the ONNX reference applies Unicode rules that mlgen
 * does not implement (case mapping and accent stripping beyond ASCII), the
 * node is refused rather than answered differently. */
#include "decompose_more.h"
#include "regex.h"

#include <stdio.h>
#include <string.h>

static const char *sat(const Value *v, int64_t i) { return str_at(v->cdata, i); }

static char *strndup_a(Arena *a, const char *s, size_t n) {
  char *c = arena_alloc(a, n + 1);
  if (c) memcpy(c, s, n), c[n] = 0;
  return c;
}

static bool strings_in(B *b, Value **in, int nin) {
  for (int i = 0; i < nin; i++)
    if (in[i] && in[i]->dt != DT_STRING) {
      diag_error(b->d, b->loc, "%s: input %d is %s, a string tensor is expected", b->n->op, i + 1,
                 dtype_info[in[i]->dt].name);
      return false;
    }
  return true;
}

static bool const_in(B *b, Value **in, int nin, const char *why) {
  for (int i = 0; i < nin; i++)
    if (in[i] && !b_is_const(in[i])) {
      diag_error(b->d, b->loc,
                 "unsupported: %s of strings known only at run time (%s; it is evaluated at build time when its "
                 "inputs are constants, e.g. with --freeze)",
                 b->n->op, why);
      return false;
    }
  return true;
}

static const char *NEWTEXT = "the generated code never allocates new text";

/* the flat index into v (broadcast to rank/shape) of output element e */
static int64_t bidx(const Value *v, int rank, const int64_t *shape, int64_t e) {
  int64_t idx = 0, stride = 1;
  for (int d = rank - 1, dv = v->rank - 1; d >= 0; d--, dv--) {
    int64_t i = e % shape[d];
    e /= shape[d];
    if (dv < 0) continue;
    idx += (v->shape[dv] == 1 ? 0 : i) * stride;
    stride *= v->shape[dv];
  }
  return idx;
}

/* ------------------------------------------------------------- StringConcat */
static int d_stringconcat(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0], *y = in[1];
  int rank;
  int64_t shape[MAX_RANK];
  if (!strings_in(b, in, 2) || !b_broadcast(b, x->rank, x->shape, y->rank, y->shape, &rank, shape) ||
      !const_in(b, in, 2, NEWTEXT))
    return -1;
  int64_t n = shape_numel(rank, shape);
  const char **s = arena_alloc(b->p->a, sizeof(char *) * (size_t)(n + 1));
  if (!s) return -1;
  for (int64_t e = 0; e < n; e++) {
    const char *a = sat(x, bidx(x, rank, shape, e)), *c = sat(y, bidx(y, rank, shape, e));
    s[e] = arena_printf(b->p->a, "%s%s", a, c);
    if (!s[e]) return -1;
  }
  out[0] = b_const_strs(b, rank, shape, s);
  return out[0] ? 0 : -1;
}

/* -------------------------------------------------------------- StringSplit */
/* Python's str.isspace() on the code point at s (its length in *len) */
static bool uspace(const unsigned char *s, int *len) {
  unsigned c = s[0];
  *len = 1;
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  uint32_t cp = 0;
  int n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return false;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  *len = n;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* splits s as Python's s.split(delim or None, maxsplit); the pieces (arena
 * copies) into v[] (when not NULL); returns their count */
static int64_t split(Arena *a, const char *s, const char *delim, int64_t maxsplit, const char **v) {
  int64_t k = 0;
  const unsigned char *p = (const unsigned char *)s;
  int len;
  if (delim) {
    size_t dl = strlen(delim);
    for (;;) {
      const char *q = maxsplit < 0 || k < maxsplit ? strstr((const char *)p, delim) : NULL;
      size_t l = q ? (size_t)(q - (const char *)p) : strlen((const char *)p);
      if (v && !(v[k] = strndup_a(a, (const char *)p, l))) return -1;
      k++;
      if (!q) return k;
      p = (const unsigned char *)q + dl;
    }
  }
  for (;;) {
    while (*p && uspace(p, &len)) p += len;
    if (!*p) return k;
    const unsigned char *st = p;
    if (maxsplit >= 0 && k == maxsplit) { /* the rest, trailing space kept */
      if (v && !(v[k] = arena_strdup(a, (const char *)st))) return -1;
      return k + 1;
    }
    while (*p && !uspace(p, &len)) p += len;
    if (v && !(v[k] = strndup_a(a, (const char *)st, (size_t)(p - st)))) return -1;
    k++;
  }
}

static int d_stringsplit(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (!strings_in(b, in, 1) || !const_in(b, in, 1, "its output shape depends on the text")) return -1;
  const char *delim = attr_find(b->n, "delimiter") ? d_str(b, "delimiter", "") : "";
  int64_t maxsplit = attr_find(b->n, "maxsplit") ? d_int(b, "maxsplit", -1) : -1;
  if (!*delim) delim = NULL;
  if (x->rank >= MAX_RANK) {
    diag_error(b->d, b->loc, "unsupported: StringSplit of rank %d (at most %d)", x->rank, MAX_RANK - 1);
    return -1;
  }
  int64_t n = b_numel(x), m = 0;
  int64_t *cnt = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(n + 1));
  if (!cnt) return -1;
  for (int64_t i = 0; i < n; i++) {
    if ((cnt[i] = split(b->p->a, sat(x, i), delim, maxsplit, NULL)) < 0) return -1;
    m = cnt[i] > m ? cnt[i] : m;
  }
  if (n * m > b->p->fold_limit) {
    diag_error(b->d, b->loc, "unsupported: StringSplit into %lld strings (more than %lld)", (long long)(n * m),
               (long long)b->p->fold_limit);
    return -1;
  }
  const char **s = arena_alloc(b->p->a, sizeof(char *) * (size_t)(n * m + 1));
  if (!s) return -1;
  for (int64_t i = 0; i < n; i++) {
    if (split(b->p->a, sat(x, i), delim, maxsplit, s + i * m) < 0) return -1;
    for (int64_t k = cnt[i]; k < m; k++) s[i * m + k] = "";
  }
  int64_t shape[MAX_RANK];
  memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->rank);
  shape[x->rank] = m;
  out[0] = b_const_strs(b, x->rank + 1, shape, s);
  if (b->nout > 1) out[1] = b_const(b, DT_I64, x->rank, x->shape, cnt);
  return out[0] && (b->nout < 2 || out[1]) ? 0 : -1;
}

/* --------------------------------------------------------- StringNormalizer */
static bool ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80) return false;
  return true;
}

static bool ascii_eq_fold(const char *a, const char *c) {
  for (; *a && *c; a++, c++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a, y = *c >= 'A' && *c <= 'Z' ? (char)(*c + 32) : *c;
    if (x != y) return false;
  }
  return *a == *c;
}

/* Stop words are removed (compared byte for byte, or ASCII case-folded when
 * is_case_sensitive is 0), then the case changed (ASCII); with nothing left
 * the output is one empty string. Non-ASCII text under a case change or a
 * case-insensitive comparison, empty input strings (the reference drops
 * them, the operator's text keeps them) and locales other than English are
 * refused. */
static int d_stringnormalizer(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (!strings_in(b, in, 1)) return -1;
  if (!(x->rank == 1 || (x->rank == 2 && x->shape[0] == 1))) {
    diag_error(b->d, b->loc, "StringNormalizer: the input must be [C] or [1, C], not %s",
               shape_str(b->p->a, x->rank, x->shape));
    return -1;
  }
  const char *act = d_str(b, "case_change_action", "NONE"), *loc = d_str(b, "locale", "");
  bool sens = d_int(b, "is_case_sensitive", 0) != 0;
  int change = !strcmp(act, "LOWER") ? 1 : !strcmp(act, "UPPER") ? 2 : !strcmp(act, "NONE") ? 0 : -1;
  if (change < 0) {
    diag_error(b->d, d_attr_loc(b, "case_change_action"),
               "StringNormalizer: unknown case_change_action '%s' (LOWER, UPPER or NONE)", act);
    return -1;
  }
  const Attr *sw = attr_find(b->n, "stopwords");
  int nstop = sw && sw->type == AT_STRINGS ? sw->n : 0;
  if (sw && sw->type != AT_STRINGS) {
    diag_error(b->d, d_attr_loc(b, "stopwords"), "StringNormalizer: attribute 'stopwords' must be a list of strings");
    return -1;
  }
  if (*loc && strncmp(loc, "en", 2) && strcmp(loc, "C") && strcmp(loc, "POSIX")) {
    diag_error(b->d, d_attr_loc(b, "locale"), "unsupported: StringNormalizer locale '%s' (mlgen's case rules are "
                                              "English/ASCII)", loc);
    return -1;
  }
  if (!nstop && !change) { /* the identity, also at run time */
    out[0] = x;
    return 0;
  }
  if (!const_in(b, in, 1, nstop ? "its output shape depends on the text" : NEWTEXT)) return -1;
  int64_t n = b_numel(x), k = 0;
  const char **s = arena_alloc(b->p->a, sizeof(char *) * (size_t)(n + 1));
  if (!s) return -1;
  for (int64_t i = 0; i < n; i++) {
    const char *t = sat(x, i);
    if (!*t) {
      diag_error(b->d, b->loc, "unsupported: StringNormalizer of an empty string (element %lld): the ONNX "
                               "reference drops it, the operator's documentation does not", (long long)i);
      return -1;
    }
    bool fold = nstop && !sens, stop = false;
    if ((change || fold) && !ascii(t)) {
      diag_error(b->d, b->loc, "unsupported: StringNormalizer %s of non-ASCII text (element %lld; mlgen has no "
                               "Unicode case tables)", change ? "case change" : "case-insensitive stop words",
                 (long long)i);
      return -1;
    }
    for (int w = 0; w < nstop && !stop; w++) stop = fold ? ascii_eq_fold(t, sw->strs[w]) : !strcmp(t, sw->strs[w]);
    if (stop) continue;
    char *c = arena_strdup(b->p->a, t);
    if (!c) return -1;
    for (char *q = c; change && *q; q++) {
      if (change == 1 && *q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
      if (change == 2 && *q >= 'a' && *q <= 'z') *q = (char)(*q - 32);
    }
    s[k++] = c;
  }
  if (!k) s[k++] = "";
  int64_t shape[2] = {1, k};
  out[0] = x->rank == 1 ? b_const_strs(b, 1, &k, s) : b_const_strs(b, 2, shape, s);
  return out[0] ? 0 : -1;
}

/* ----------------------------------------------------------- RegexFullMatch */
static int d_regexfullmatch(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  if (!strings_in(b, in, 1)) return -1;
  if (!attr_find(b->n, "pattern")) {
    diag_error(b->d, b->loc, "RegexFullMatch: missing attribute 'pattern'");
    return -1;
  }
  const char *pat = d_str(b, "pattern", "");
  Re re;
  char err[160];
  if (re_compile(b->p->a, pat, &re, err, sizeof err)) {
    diag_error(b->d, d_attr_loc(b, "pattern"), "RegexFullMatch: %s, in the pattern \"%s\"", err, pat);
    return -1;
  }
  /* STRMATCH against the pattern as a constant: folded on constant text,
   * else matched at run time (the C target writes the compiled pattern) */
  const char *pc = arena_strdup(b->p->a, pat);
  out[0] = pc ? b_binary(b, OP_STRMATCH, x, b_const_strs(b, 0, NULL, &pc)) : NULL;
  return out[0] ? 0 : -1;
}

const DecOp d_str_ops[] = {
    /* domain, name               min max out  rewrite */
    {"", "RegexFullMatch", 1, 1, 1, d_regexfullmatch},
    {"", "StringConcat", 2, 2, 1, d_stringconcat},
    {"", "StringNormalizer", 1, 1, 1, d_stringnormalizer},
    {"", "StringSplit", 1, 1, 2, d_stringsplit},
};
const int d_str_nops = (int)(sizeof d_str_ops / sizeof d_str_ops[0]);
