/* regex.c: RegexFullMatch's patterns, compiled at build time.
 *
 * The subset of RE2 syntax (docs/architecture.md, "Strings"): literals
 * (UTF-8 code points), `.` (any code point but \n), classes `[...]` and
 * `[^...]` with ranges and the escapes below, `\d \D \w \W \s \S` (ASCII, as
 * RE2: \w = [0-9A-Za-z_], \s = [\t\n\f\r ]), escaped punctuation, `\n \t \r
 * \f \v`, `* + ? {m} {m,} {m,n}` (a trailing `?`, lazy, is accepted: it does
 * not change a full match), `|`, groups `(...)` and `(?:...)`, anchors `^ $
 * \A \z` (of the whole text: no multi-line mode) and `\b \B` (ASCII word
 * boundaries). Anything else (flags, named groups, back-references, \p{..},
 * POSIX classes, \x, \Q...) is refused with "unsupported".
 *
 * A pattern becomes a Thompson NFA (ReInst: classes, splits, jumps,
 * assertions, match), repetitions expanded, at most RE_MAX_INST
 * instructions. re_full_match runs it as a Pike VM over the code points of
 * the text: linear in the text times the program, no backtracking, no
 * allocation (the caller's work area). The interpreter matches with it; the C
 * target writes the same program as tables (codegen/c.c) run by its own copy
 * of the loop (mlg_rematch, templates/c_helpers.c): the two must agree, and
 * ops.strings checks that they do. */
#include "regex.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ UTF-8 */
/* the code point at s (NUL: 0), its length in *len; an invalid byte is
 * U+FFFD of length 1 */
static uint32_t utf8_at(const unsigned char *s, int *len) {
  unsigned c = s[0];
  int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) n = 0;
    if (!n) break;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (!n) {
    *len = 1;
    return 0xFFFD;
  }
  *len = n;
  return cp;
}

/* ------------------------------------------------------------ parser */
typedef enum { N_CLASS, N_ANY, N_ASSERT, N_CAT, N_ALT, N_REP, N_EMPTY } NKind;
typedef struct Node {
  NKind k;
  int x, y;         /* CLASS: first range, count; ASSERT: kind; REP: min, max (-1: none) */
  bool neg;
  struct Node *a, *b; /* CAT/ALT: a, b; REP: a */
} Node;

typedef struct {
  Arena *a;
  const unsigned char *s;
  int pos;
  char *err;
  size_t errcap;
  bool failed;
  uint32_t (*r)[2];
  int nr, cap;
  int depth;
} P;

static Node *fail(P *p, const char *msg) {
  if (!p->failed) snprintf(p->err, p->errcap, "%s at offset %d", msg, p->pos);
  p->failed = true;
  return NULL;
}

static Node *mk(P *p, NKind k, Node *a, Node *b) {
  Node *n = arena_alloc(p->a, sizeof *n);
  if (!n) return fail(p, "out of memory");
  n->k = k, n->a = a, n->b = b;
  return n;
}

static bool add_range(P *p, uint32_t lo, uint32_t hi) {
  if (p->nr == p->cap) {
    int cap = p->cap ? 2 * p->cap : 16;
    uint32_t(*r)[2] = arena_alloc(p->a, sizeof(uint32_t[2]) * (size_t)cap);
    if (!r) return fail(p, "out of memory"), false;
    if (p->nr) memcpy(r, p->r, sizeof(uint32_t[2]) * (size_t)p->nr);
    p->r = r, p->cap = cap;
  }
  p->r[p->nr][0] = lo, p->r[p->nr][1] = hi;
  p->nr++;
  return true;
}

/* the ranges of \d \w \s (upper case: their complement) */
static bool add_perl(P *p, int c) {
  static const uint32_t d[][2] = {{'0', '9'}}, w[][2] = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}},
                        s[][2] = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};
  int lc = c | 0x20, n = lc == 'd' ? 1 : lc == 'w' ? 4 : 3;
  const uint32_t(*t)[2] = lc == 'd' ? d : lc == 'w' ? w : s;
  if (c == lc) {
    for (int i = 0; i < n; i++)
      if (!add_range(p, t[i][0], t[i][1])) return false;
    return true;
  }
  uint32_t lo = 0;
  for (int i = 0; i < n; i++) {
    if (t[i][0] > lo && !add_range(p, lo, t[i][0] - 1)) return false;
    lo = t[i][1] + 1;
  }
  return add_range(p, lo, 0x10FFFF);
}

static Node *class_node(P *p, int first, bool neg) {
  Node *n = mk(p, N_CLASS, NULL, NULL);
  if (n) n->x = first, n->y = p->nr - first, n->neg = neg;
  return n;
}

static uint32_t next_cp(P *p) {
  int len;
  uint32_t c = utf8_at(p->s + p->pos, &len);
  p->pos += len;
  return c;
}

/* an escape's literal code point, or -1 (reported) */
static int64_t escape_literal(P *p, int c) {
  switch (c) {
  case 'n': return '\n';
  case 't': return '\t';
  case 'r': return '\r';
  case 'f': return '\f';
  case 'v': return '\v';
  default: break;
  }
  if (c > 0 && c < 0x80 && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9')) return c;
  char m[64];
  snprintf(m, sizeof m, "unsupported escape \\%c", c > 0x20 && c < 0x7f ? c : '?');
  fail(p, m);
  return -1;
}

static Node *parse_class(P *p) {
  int first = p->nr;
  bool neg = p->s[p->pos] == '^';
  if (neg) p->pos++;
  bool start = true;
  for (;;) {
    unsigned c = p->s[p->pos];
    if (!c) return fail(p, "missing ]");
    if (c == ']' && !start) break;
    start = false;
    if (c == '[' && p->s[p->pos + 1] == ':') return fail(p, "unsupported POSIX class [:...:]");
    int64_t lo;
    if (c == '\\') {
      p->pos++;
      int e = p->s[p->pos];
      if (!e) return fail(p, "trailing \\");
      if (strchr("dDwWsS", e)) {
        p->pos++;
        if (!add_perl(p, e)) return NULL;
        continue;
      }
      p->pos++;
      if ((lo = escape_literal(p, e)) < 0) return NULL;
    } else {
      lo = next_cp(p);
    }
    int64_t hi = lo;
    if (p->s[p->pos] == '-' && p->s[p->pos + 1] && p->s[p->pos + 1] != ']') {
      p->pos++;
      if (p->s[p->pos] == '\\') {
        p->pos++;
        int e = p->s[p->pos];
        if (!e || strchr("dDwWsS", e)) return fail(p, "bad class range");
        p->pos++;
        if ((hi = escape_literal(p, e)) < 0) return NULL;
      } else {
        hi = next_cp(p);
      }
      if (hi < lo) return fail(p, "bad class range");
    }
    if (!add_range(p, (uint32_t)lo, (uint32_t)hi)) return NULL;
  }
  p->pos++;
  return class_node(p, first, neg);
}

static Node *parse_alt(P *p);

static Node *parse_atom(P *p) {
  unsigned c = p->s[p->pos];
  switch (c) {
  case '(': {
    p->pos++;
    if (p->s[p->pos] == '?') {
      if (p->s[p->pos + 1] != ':') return fail(p, "unsupported group syntax (?...)");
      p->pos += 2;
    }
    if (++p->depth > 100) return fail(p, "unsupported: groups nested deeper than 100");
    Node *n = parse_alt(p);
    p->depth--;
    if (!n) return NULL;
    if (p->s[p->pos] != ')') return fail(p, "missing )");
    p->pos++;
    return n;
  }
  case '[': p->pos++; return parse_class(p);
  case '.': p->pos++; return mk(p, N_ANY, NULL, NULL);
  case '^':
  case '$': {
    p->pos++;
    Node *n = mk(p, N_ASSERT, NULL, NULL);
    if (n) n->x = c == '^' ? RA_BOT : RA_EOT;
    return n;
  }
  case '\\': {
    p->pos++;
    int e = p->s[p->pos];
    if (!e) return fail(p, "trailing \\");
    p->pos++;
    if (strchr("dDwWsS", e)) {
      int first = p->nr;
      return add_perl(p, e) ? class_node(p, first, false) : NULL;
    }
    if (strchr("bBAz", e)) {
      Node *n = mk(p, N_ASSERT, NULL, NULL);
      if (n) n->x = e == 'b' ? RA_WORDB : e == 'B' ? RA_NWORDB : e == 'A' ? RA_BOT : RA_EOT;
      return n;
    }
    int64_t l = escape_literal(p, e);
    if (l < 0) return NULL;
    int first = p->nr;
    return add_range(p, (uint32_t)l, (uint32_t)l) ? class_node(p, first, false) : NULL;
  }
  case '*':
  case '+':
  case '?': return fail(p, "missing argument to repetition operator");
  case '{': return fail(p, "unsupported: a literal {");
  default: {
    uint32_t l = next_cp(p);
    int first = p->nr;
    return add_range(p, l, l) ? class_node(p, first, false) : NULL;
  }
  }
}

static int parse_int(P *p) {
  int v = -1;
  while (p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
    v = (v < 0 ? 0 : v) * 10 + (p->s[p->pos++] - '0');
    if (v > 1000) return -2;
  }
  return v;
}

static Node *parse_rep(P *p) {
  Node *n = parse_atom(p);
  bool quantified = false;
  while (n) {
    unsigned c = p->s[p->pos];
    int lo, hi;
    if (c == '*') lo = 0, hi = -1;
    else if (c == '+') lo = 1, hi = -1;
    else if (c == '?') lo = 0, hi = 1;
    else if (c == '{') {
      p->pos++;
      lo = parse_int(p);
      hi = lo;
      if (p->s[p->pos] == ',') {
        p->pos++;
        hi = p->s[p->pos] == '}' ? -1 : parse_int(p);
        if (hi == -1 && p->s[p->pos] != '}') return fail(p, "unsupported repetition {...}");
      }
      if (lo < 0 || hi < -1 || p->s[p->pos] != '}') return fail(p, "unsupported repetition {...} (or a count past 1000)");
      if (hi >= 0 && hi < lo) return fail(p, "bad repetition {m,n} with n < m");
    } else
      break;
    if (quantified) return fail(p, "bad repetition operator (two in a row)");
    p->pos++;
    if (p->s[p->pos] == '?') p->pos++; /* lazy: the same full match */
    if (n->k == N_ASSERT || n->k == N_EMPTY) return fail(p, "unsupported: repetition of an empty-width pattern");
    Node *r = mk(p, N_REP, n, NULL);
    if (!r) return NULL;
    r->x = lo, r->y = hi;
    n = r;
    quantified = true;
  }
  return n;
}

static Node *parse_cat(P *p) {
  Node *n = mk(p, N_EMPTY, NULL, NULL);
  while (n && p->s[p->pos] && p->s[p->pos] != '|' && p->s[p->pos] != ')') {
    Node *r = parse_rep(p);
    n = r ? (n->k == N_EMPTY ? r : mk(p, N_CAT, n, r)) : NULL;
  }
  return n;
}

static Node *parse_alt(P *p) {
  Node *n = parse_cat(p);
  while (n && p->s[p->pos] == '|') {
    p->pos++;
    Node *r = parse_cat(p);
    n = r ? mk(p, N_ALT, n, r) : NULL;
  }
  return n;
}

/* ------------------------------------------------------------ code */
typedef struct {
  ReInst *v;
  int n;
  bool over;
} Code;

static int emit(Code *c, ReOp op, int x, int y, bool neg) {
  if (c->n >= RE_MAX_INST) {
    c->over = true;
    return c->n;
  }
  c->v[c->n] = (ReInst){op, x, y, neg};
  return c->n++;
}

static void gen(Code *c, const Node *n) {
  if (c->over) return;
  switch (n->k) {
  case N_CLASS: emit(c, RI_CLASS, n->x, n->y, n->neg); break;
  case N_ANY: emit(c, RI_ANY, 0, 0, false); break;
  case N_ASSERT: emit(c, RI_ASSERT, n->x, 0, false); break;
  case N_EMPTY: break;
  case N_CAT:
    gen(c, n->a);
    gen(c, n->b);
    break;
  case N_ALT: {
    int s = emit(c, RI_SPLIT, 0, 0, false);
    gen(c, n->a);
    int j = emit(c, RI_JMP, 0, 0, false);
    int b = c->n;
    gen(c, n->b);
    if (c->over) return;
    c->v[s].x = s + 1, c->v[s].y = b, c->v[j].x = c->n;
    break;
  }
  case N_REP: {
    for (int i = 0; i < n->x && !c->over; i++) gen(c, n->a);
    if (n->y < 0) { /* L: split L+1, end; a; jmp L */
      int s = emit(c, RI_SPLIT, 0, 0, false);
      gen(c, n->a);
      emit(c, RI_JMP, s, 0, false);
      if (!c->over) c->v[s].x = s + 1, c->v[s].y = c->n;
      break;
    }
    int opt = n->y - n->x, skip[1000], ns = 0; /* each optional copy: split next, end; a */
    for (int i = 0; i < opt && !c->over; i++) {
      skip[ns++] = emit(c, RI_SPLIT, 0, 0, false);
      gen(c, n->a);
    }
    for (int i = 0; i < ns && !c->over; i++) c->v[skip[i]].x = skip[i] + 1, c->v[skip[i]].y = c->n;
    break;
  }
  }
}

int re_compile(Arena *a, const char *pat, Re *out, char *err, size_t errcap) {
  P p = {.a = a, .s = (const unsigned char *)pat, .err = err, .errcap = errcap};
  Node *n = parse_alt(&p);
  if (n && p.s[p.pos] == ')') n = fail(&p, "unmatched )");
  if (!n) return -1;
  Code c = {.v = arena_alloc(a, sizeof(ReInst) * RE_MAX_INST)};
  if (!c.v) return snprintf(err, errcap, "out of memory"), -1;
  gen(&c, n);
  emit(&c, RI_MATCH, 0, 0, false);
  if (c.over) {
    snprintf(err, errcap, "unsupported: the pattern compiles to more than %d instructions", RE_MAX_INST);
    return -1;
  }
  *out = (Re){c.v, c.n, p.r, p.nr};
  return 0;
}

/* ------------------------------------------------------------ matching */
static bool is_word(int64_t c) {
  return c >= 0 && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_');
}

static bool class_has(const Re *re, const ReInst *in, uint32_t c) {
  bool hit = false;
  for (int k = in->x; k < in->x + in->y && !hit; k++) hit = c >= re->ranges[k][0] && c <= re->ranges[k][1];
  return hit != in->neg;
}

/* adds pc's closure to list (n entries) at a position between prev and next
 * (-1: the text's edge); mark[] holds the generation that reached a pc, so
 * each is pushed once and the stack needs re->n entries */
static void add(const Re *re, int pc, int *list, int *n, int *mark, int gen, int *stack, int64_t prev, int64_t next) {
  int sp = 0;
#define PUSH(t)                                                                                                  \
  do {                                                                                                           \
    int t_ = (t);                                                                                                \
    if (mark[t_] != gen) mark[t_] = gen, stack[sp++] = t_;                                                       \
  } while (0)
  PUSH(pc);
  while (sp) {
    pc = stack[--sp];
    const ReInst *in = &re->prog[pc];
    switch (in->op) {
    case RI_JMP: PUSH(in->x); break;
    case RI_SPLIT:
      PUSH(in->y);
      PUSH(in->x);
      break;
    case RI_ASSERT: {
      bool ok = in->x == RA_BOT ? prev < 0 : in->x == RA_EOT ? next < 0 : (is_word(prev) != is_word(next)) == (in->x == RA_WORDB);
      if (ok) PUSH(pc + 1);
      break;
    }
    default: list[(*n)++] = pc; break;
    }
  }
#undef PUSH
}

bool re_full_match(const Re *re, const char *text, int *work) {
  int *cl = work, *nl = work + re->n, *mark = work + 2 * re->n, *stack = work + 3 * re->n, nc = 0, nn;
  for (int i = 0; i < re->n; i++) mark[i] = -1;
  const unsigned char *s = (const unsigned char *)text;
  int gen = 0, len;
  int64_t prev = -1, cur = *s ? (int64_t)utf8_at(s, &len) : -1;
  add(re, 0, cl, &nc, mark, gen, stack, prev, cur);
  while (cur >= 0) {
    utf8_at(s, &len);
    s += len;
    int64_t next = *s ? (int64_t)utf8_at(s, &len) : -1;
    nn = 0;
    gen++;
    for (int i = 0; i < nc; i++) {
      const ReInst *in = &re->prog[cl[i]];
      bool hit = in->op == RI_ANY ? cur != '\n' : in->op == RI_CLASS && class_has(re, in, (uint32_t)cur);
      if (hit) add(re, cl[i] + 1, nl, &nn, mark, gen, stack, cur, next);
    }
    int *t = cl;
    cl = nl, nl = t, nc = nn;
    if (!nc) return false;
    prev = cur, cur = next;
  }
  for (int i = 0; i < nc; i++)
    if (re->prog[cl[i]].op == RI_MATCH) return true;
  return false;
}
