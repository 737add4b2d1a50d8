/* json.c: a recursive-descent JSON reader.
 *
 * Builds a tree of JVal in the caller's arena. Strings are unescaped
 * (\uXXXX, surrogate pairs to UTF-8); numbers go through strtod; nesting is
 * limited to 256 levels so hostile input cannot exhaust the stack. Every
 * error names file:line:col of the offending character.
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  Arena *a;
  const char *s, *end, *file;
  int line, col;
  Diags *d;
  int depth;
} P;

static int err(P *p, const char *fmt, const char *what) {
  diag_error(p->d, (Loc){.file = p->file, .line = p->line, .col = p->col}, fmt, what);
  return -1;
}

static void adv(P *p) {
  if (*p->s == '\n') p->line++, p->col = 1;
  else p->col++;
  p->s++;
}

static void ws(P *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) adv(p);
}

static JVal *node(P *p, JType t) {
  JVal *v = arena_alloc(p->a, sizeof *v);
  if (v) v->t = t, v->line = p->line, v->col = p->col;
  return v;
}

static int hex4(P *p, unsigned *u) {
  *u = 0;
  for (int i = 0; i < 4; i++) {
    if (p->s >= p->end) return err(p, "%s", "unterminated \\u escape");
    char c = *p->s;
    unsigned h = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
               : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
    if (h == 99) return err(p, "%s", "bad hex digit in \\u escape");
    *u = *u * 16 + h;
    adv(p);
  }
  return 0;
}

static int utf8(char *o, unsigned u) {
  if (u < 0x80) return o[0] = (char)u, 1;
  if (u < 0x800) return o[0] = (char)(0xc0 | (u >> 6)), o[1] = (char)(0x80 | (u & 63)), 2;
  if (u < 0x10000)
    return o[0] = (char)(0xe0 | (u >> 12)), o[1] = (char)(0x80 | ((u >> 6) & 63)), o[2] = (char)(0x80 | (u & 63)), 3;
  o[0] = (char)(0xf0 | (u >> 18)), o[1] = (char)(0x80 | ((u >> 12) & 63));
  o[2] = (char)(0x80 | ((u >> 6) & 63)), o[3] = (char)(0x80 | (u & 63));
  return 4;
}

/* at the opening quote */
static int string(P *p, const char **out) {
  adv(p);
  const char *q = p->s;
  size_t n = 0;
  while (q < p->end && *q != '"') q += *q == '\\' ? 2 : 1, n++;
  char *o = arena_alloc(p->a, n * 4 + 1), *w = o;
  if (!o) return -1;
  while (1) {
    if (p->s >= p->end) return err(p, "%s", "unterminated string");
    char c = *p->s;
    if (c == '"') break;
    if ((unsigned char)c < 0x20) return err(p, "%s", "control character in a string");
    if (c != '\\') {
      *w++ = c;
      adv(p);
      continue;
    }
    adv(p);
    if (p->s >= p->end) return err(p, "%s", "unterminated string");
    c = *p->s;
    adv(p);
    switch (c) {
    case '"': case '\\': case '/': *w++ = c; break;
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u': {
      unsigned u, v;
      if (hex4(p, &u)) return -1;
      if (u >= 0xd800 && u < 0xdc00 && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
        adv(p), adv(p);
        if (hex4(p, &v)) return -1;
        if (v >= 0xdc00 && v < 0xe000) u = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
      }
      w += utf8(w, u);
      break;
    }
    default: return err(p, "bad escape '\\%s' in a string", (char[]){c, 0});
    }
  }
  adv(p);
  *w = 0;
  *out = o;
  return 0;
}

static int value(P *p, JVal **out);

/* elements of an array or object, collected in a growable malloc'd list */
typedef struct {
  JVal **v;
  const char **k;
  int n, cap;
} List;

static int push(List *l, JVal *v, const char *k) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    JVal **nv = realloc(l->v, sizeof *nv * (size_t)cap);
    if (!nv) return -1;
    l->v = nv;
    const char **nk = realloc(l->k, sizeof *nk * (size_t)cap);
    if (!nk) return -1;
    l->k = nk;
    l->cap = cap;
  }
  l->v[l->n] = v;
  l->k[l->n++] = k;
  return 0;
}

static int seq(P *p, JVal *v, bool obj) {
  char close = obj ? '}' : ']';
  List l = {0};
  int rc = -1;
  adv(p);
  ws(p);
  if (p->s < p->end && *p->s == close) {
    adv(p);
    rc = 0;
    goto done;
  }
  while (1) {
    const char *key = NULL;
    ws(p);
    if (obj) {
      if (p->s >= p->end || *p->s != '"') {
        err(p, "%s", "expected a member name in quotes");
        goto done;
      }
      if (string(p, &key)) goto done;
      ws(p);
      if (p->s >= p->end || *p->s != ':') {
        err(p, "%s", "expected ':' after the member name");
        goto done;
      }
      adv(p);
    }
    JVal *e;
    if (value(p, &e) || push(&l, e, key)) goto done;
    ws(p);
    if (p->s < p->end && *p->s == ',') {
      adv(p);
      continue;
    }
    if (p->s < p->end && *p->s == close) {
      adv(p);
      break;
    }
    err(p, obj ? "expected ',' or '}'%s" : "expected ',' or ']'%s", "");
    goto done;
  }
  v->n = l.n;
  v->items = arena_alloc(p->a, sizeof(JVal *) * (size_t)l.n);
  v->keys = obj ? arena_alloc(p->a, sizeof(char *) * (size_t)l.n) : NULL;
  if (!v->items || (obj && !v->keys)) goto done;
  memcpy(v->items, l.v, sizeof(JVal *) * (size_t)l.n);
  if (obj) memcpy(v->keys, l.k, sizeof(char *) * (size_t)l.n);
  rc = 0;
done:
  free(l.v);
  free(l.k);
  return rc;
}

static bool word(P *p, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n)) return false;
  for (size_t i = 0; i < n; i++) adv(p);
  return true;
}

static int value(P *p, JVal **out) {
  ws(p);
  if (p->s >= p->end) return err(p, "%s", "unexpected end of input");
  if (++p->depth > 256) return err(p, "%s", "nesting deeper than 256 levels");
  char c = *p->s;
  JVal *v = NULL;
  int rc = 0;
  if (c == '{' || c == '[') {
    v = node(p, c == '{' ? J_OBJ : J_ARR);
    rc = v ? seq(p, v, c == '{') : -1;
  } else if (c == '"') {
    v = node(p, J_STR);
    rc = v ? string(p, &v->str) : -1;
  } else if (c == 't' || c == 'f' || c == 'n') {
    v = node(p, c == 'n' ? J_NULL : J_BOOL);
    if (v) v->num = c == 't';
    if (!v || !word(p, c == 't' ? "true" : c == 'f' ? "false" : "null")) rc = err(p, "%s", "unknown literal");
  } else if (c == 'N' || c == 'I' || (c == '-' && p->s + 1 < p->end && p->s[1] == 'I')) {
    v = node(p, J_NUM);
    bool neg = c == '-';
    if (neg) adv(p);
    if (v && word(p, "NaN")) v->num = NAN;
    else if (v && word(p, "Infinity")) v->num = neg ? -INFINITY : INFINITY;
    else rc = err(p, "%s", "unknown literal");
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    v = node(p, J_NUM);
    char buf[64];
    size_t n = 0;
    while (p->s + n < p->end && n < sizeof buf - 1 && strchr("0123456789+-.eE", p->s[n])) n++;
    memcpy(buf, p->s, n);
    buf[n] = 0;
    char *e;
    if (v) v->num = strtod(buf, &e);
    if (!v || e != buf + n || !n) rc = err(p, "%s", "malformed number");
    else
      for (size_t i = 0; i < n; i++) adv(p);
  } else {
    rc = err(p, "unexpected character '%s'", (char[]){c, 0});
  }
  p->depth--;
  *out = v;
  return rc || !v ? -1 : 0;
}

int json_parse(Arena *a, const char *text, size_t len, const char *file, JVal **out, Diags *d) {
  P p = {.a = a, .s = text, .end = text + len, .file = file, .line = 1, .col = 1, .d = d};
  *out = NULL;
  if (value(&p, out)) return -1;
  ws(&p);
  if (p.s != p.end) return err(&p, "%s", "trailing characters after the JSON value");
  return 0;
}

const JVal *json_get(const JVal *v, const char *key) {
  if (!v || v->t != J_OBJ) return NULL;
  for (int i = 0; i < v->n; i++)
    if (!strcmp(v->keys[i], key)) return v->items[i];
  return NULL;
}

const JVal *json_path(const JVal *v, ...) {
  va_list ap;
  va_start(ap, v);
  const char *k;
  while (v && (k = va_arg(ap, const char *)) != NULL) v = json_get(v, k);
  va_end(ap);
  return v;
}
