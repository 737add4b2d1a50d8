/* test_strops.c: the string operators (ir/decompose_str.c) and the regular
 * expressions of RegexFullMatch (ir/regex.c) against values worked out by
 * hand (Python's str.split and RE2's full-match semantics): the matcher on
 * a table of patterns and texts, the refusals of syntax outside the subset,
 * and StringConcat / StringSplit / StringNormalizer / RegexFullMatch folded
 * on constants, including the refusals when the text is known only at run
 * time. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"
#include "regex.h"

#include "check.h"

static char dir[] = "/tmp/mlgen-strops-XXXXXX";

static void test_regex(void) {
  static const struct {
    const char *pat, *text;
    bool want;
  } t[] = {
      {"abc", "abc", true},         {"abc", "abcd", false},       {"abc", "xabc", false},
      {"a.c", "a\xc3\xa9" "c", true}, /* . is one code point */
      {"a.c", "a\nc", false},       {"a*", "", true},             {"a+", "", false},
      {"a?b", "b", true},           {"a{2,3}", "aaa", true},      {"a{2,3}", "aaaa", false},
      {"a{2}", "aa", true},         {"a{2,}", "aaaaa", true},     {"(ab|cd)+", "abcdab", true},
      {"(?:ab|cd)+", "abce", false}, {"[a-c]+x", "cabx", true},    {"[^a-c]", "d", true},
      {"[^a-c]", "b", false},       {"[^a]", "\n", true},         {"\\d+\\.\\d*", "12.", true},
      {"\\D", "5", false},          {"\\w+", "a_Z9", true},       {"\\W", "_", false},
      {"\\s\\S", "\tx", true},      {"\\s", "\v", false},         /* RE2's \s has no \v */
      {"[\\d\\s]+", "1 2", true},   {"[.]", "x", false},          {"a\\b", "a", true},
      {"\\ba\\b", "a", true},       {"a\\Bb", "ab", true},        {"a\\bb", "ab", false},
      {"^ab$", "ab", true},         {"(^|x)a", "a", true},        {"a(b|$)", "a", true},
      {"\\Aab\\z", "ab", true},     {"a|b|", "", true},           {"a|b|", "c", false},
      {"\xe6\x97\xa5+", "\xe6\x97\xa5\xe6\x97\xa5", true},
      {"[\xe6\x97\xa5-\xe6\x97\xa6]", "\xe6\x97\xa6", true},
      {"www\\.[\\w.-]+\\.\\bcom\\b", "www.google.com", true},
      {"www\\.[\\w.-]+\\.\\bcom\\b", "www.bbc.co.uk", false},
      {"(\\W|^)[\\w.\\-]{0,25}@(yahoo|gmail)\\.com(\\W|$)", "account@gmail.com", true},
      {"(\\W|^)[\\w.\\-]{0,25}@(yahoo|gmail)\\.com(\\W|$)", "account@hotmail.com", false},
      {"(a*)*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false}, /* no backtracking blow-up */
      {"\\.\\[\\]\\(\\)\\*", ".[]()*", true},
  };
  Arena *a = arena_new();
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    Re re;
    char err[160];
    if (re_compile(a, t[i].pat, &re, err, sizeof err)) {
      CHECK(false, "pattern %s compiles: %s", t[i].pat, err);
      continue;
    }
    int *w = arena_alloc(a, sizeof(int) * (size_t)(4 * re.n));
    CHECK(re_full_match(&re, t[i].text, w) == t[i].want, "%s on \"%s\" is %d", t[i].pat, t[i].text, t[i].want);
  }
  static const char *const bad[] = {"(?i)a", "a{,2}", "\\p{L}", "\\1", "[[:alpha:]]", "\\x41", "(?P<n>a)", "a{1001}",
                                    "(a", "a)", "a**", "*a", "[a", "[z-a]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Re re;
    char err[160] = "";
    CHECK(re_compile(a, bad[i], &re, err, sizeof err) == -1 && *err, "pattern %s is refused (%s)", bad[i], err);
  }
  Re re;
  char err[160] = "";
  CHECK(re_compile(a, "(a{1000}){1000}", &re, err, sizeof err) == -1 && strstr(err, "unsupported"),
        "a pattern past the instruction limit is unsupported (%s)", err);
  arena_free(a);
}

/* builds YAML text; output k's strings joined by '|' (or its numbers), or the diagnostics */
static const char *run(Arena *a, const char *text, int k) {
  char path[256];
  snprintf(path, sizeof path, "%s/m.yaml", dir);
  FILE *f = fopen(path, "w");
  if (!f) return "no file";
  fputs(text, f);
  fclose(f);
  Diags d = {0};
  ModelSpec spec = {0};
  Program *p = arena_alloc(a, sizeof *p);
  p->a = a;
  const char *r;
  if (yaml_load(a, path, &spec, &d) || !spec.g || ir_build_prims(spec.g, NULL, p, &d) || k >= p->outputs.n) {
    r = arena_strdup(a, d.text.s ? d.text.s : "error");
  } else {
    const Value *v = p->outputs.v[k];
    Buf b = {0};
    buf_printf(&b, "%s:", shape_str(a, v->rank, v->shape));
    if (v->kind != VK_CONST) {
      buf_puts(&b, "run-time");
    } else {
      for (int64_t i = 0; i < shape_numel(v->rank, v->shape); i++) {
        if (i) buf_puts(&b, "|");
        if (v->dt == DT_STRING) buf_puts(&b, str_at(v->cdata, i));
        else buf_printf(&b, "%g", raw_get_f(v->dt, v->cdata, i));
      }
    }
    r = arena_strdup(a, b.s ? b.s : "");
    buf_free(&b);
  }
  diag_free(&d);
  return r;
}

static void test_ops(void) {
  Arena *a = arena_new();
  const char *r;
  r = run(a, "mlgen: 1\nname: t\ninputs: {}\noutputs: [y]\ninitializers:\n"
             "  x: {dtype: str, shape: [3], data: [cat, \"\", \"\\u65e5\"]}\n  s: {dtype: str, shape: [1], data: [s]}\n"
             "nodes:\n  - {op: StringConcat, in: [x, s], out: [y]}\n",
          0);
  CHECK(!strcmp(r, "[3]:cats|s|\xe6\x97\xa5s"), "StringConcat broadcast: %s", r);
  const char *split = "mlgen: 1\nname: t\ninputs: {}\noutputs: [y, n]\ninitializers:\n"
                      "  x: {dtype: str, shape: [3], data: [\" a  b \", \"o-n--x-\", \"\"]}\n"
                      "nodes:\n  - {op: StringSplit, in: [x], out: [y, n]%s}\n";
  r = run(a, arena_printf(a, split, ""), 0);
  CHECK(!strcmp(r, "[3,2]:a|b|o-n--x-|||"), "StringSplit on whitespace: %s", r);
  r = run(a, arena_printf(a, split, ""), 1);
  CHECK(!strcmp(r, "[3]:2|1|0"), "StringSplit counts: %s", r);
  r = run(a, arena_printf(a, split, ", delimiter: \"-\""), 0);
  CHECK(!strcmp(r, "[3,5]: a  b |||||o|n||x||||||"), "StringSplit on '-': %s", r);
  r = run(a, arena_printf(a, split, ", delimiter: \"-\", maxsplit: 2"), 0);
  CHECK(!strcmp(r, "[3,3]: a  b |||o|n|-x-|||"), "StringSplit maxsplit 2: %s", r);
  r = run(a, arena_printf(a, split, ", maxsplit: 1"), 0);
  CHECK(!strcmp(r, "[3,2]:a|b |o-n--x-|||"), "StringSplit on whitespace, maxsplit 1: %s", r);
  const char *norm = "mlgen: 1\nname: t\ninputs: {}\noutputs: [y]\ninitializers:\n"
                     "  x: {dtype: str, shape: [1, 4], data: [Monday, tuesday, MONDAY, Wed]}\n"
                     "nodes:\n  - {op: StringNormalizer, in: [x], out: [y]%s}\n";
  r = run(a, arena_printf(a, norm, ", stopwords: [monday], case_change_action: UPPER"), 0);
  CHECK(!strcmp(r, "[1,2]:TUESDAY|WED"), "StringNormalizer case-insensitive stop words, upper: %s", r);
  r = run(a, arena_printf(a, norm, ", stopwords: [Monday], is_case_sensitive: 1, case_change_action: LOWER"), 0);
  CHECK(!strcmp(r, "[1,3]:tuesday|monday|wed"), "StringNormalizer case-sensitive, lower: %s", r);
  r = run(a, arena_printf(a, norm, ", stopwords: [monday, tuesday, wed]"), 0);
  CHECK(!strcmp(r, "[1,1]:"), "StringNormalizer removing everything: %s", r);
  r = run(a, arena_printf(a, norm, ", locale: tr_TR, case_change_action: UPPER"), 0);
  CHECK(strstr(r, "unsupported") && strstr(r, "tr_TR"), "a Turkish locale is refused: %s", r);
  r = run(a, "mlgen: 1\nname: t\ninputs: {}\noutputs: [y]\ninitializers:\n"
             "  x: {dtype: str, shape: [2], data: [\"\\u00c9t\\u00e9\", a]}\n"
             "nodes:\n  - {op: StringNormalizer, in: [x], out: [y], case_change_action: LOWER}\n",
          0);
  CHECK(strstr(r, "unsupported") && strstr(r, "non-ASCII"), "a non-ASCII case change is refused: %s", r);
  r = run(a, "mlgen: 1\nname: t\ninputs: {}\noutputs: [y]\ninitializers:\n"
             "  x: {dtype: str, shape: [2, 2], data: [\"www.a.com\", \"www.b.org\", \"\", \"www..com\"]}\n"
             "nodes:\n  - {op: RegexFullMatch, in: [x], out: [y], pattern: \"www\\\\.\\\\w*\\\\.com\"}\n",
          0);
  CHECK(!strcmp(r, "[2,2]:1|0|0|1"), "RegexFullMatch on constants: %s", r);
  /* run-time text: refused, but for what needs no new text */
  const char *rt = "mlgen: 1\nname: t\ninputs: {x: {dtype: str, shape: [2]}}\noutputs: [y]\n"
                   "nodes:\n  - {op: %s, in: [x%s], out: [y]%s}\n";
  r = run(a, arena_printf(a, rt, "StringConcat", ", x", ""), 0);
  CHECK(strstr(r, "unsupported: StringConcat of strings known only at run time"), "run-time StringConcat: %s", r);
  r = run(a, arena_printf(a, rt, "StringSplit", "", ""), 0);
  CHECK(strstr(r, "unsupported: StringSplit"), "run-time StringSplit: %s", r);
  r = run(a, arena_printf(a, rt, "StringNormalizer", "", ", case_change_action: UPPER"), 0);
  CHECK(strstr(r, "unsupported: StringNormalizer"), "run-time StringNormalizer with a case change: %s", r);
  r = run(a, arena_printf(a, rt, "StringNormalizer", "", ""), 0);
  CHECK(!strcmp(r, "[2]:run-time"), "run-time StringNormalizer without stop words or case change is the identity: %s",
        r);
  r = run(a, arena_printf(a, rt, "RegexFullMatch", "", ", pattern: \"a+|b\""), 0);
  CHECK(!strcmp(r, "[2]:run-time"), "run-time RegexFullMatch is matched at run time (STRMATCH): %s", r);
  r = run(a, arena_printf(a, rt, "RegexFullMatch", "", ", pattern: \"a(?i)\""), 0);
  CHECK(strstr(r, "unsupported group syntax"), "an unsupported pattern is refused first: %s", r);
  arena_free(a);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_regex();
  test_ops();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) nfail++;
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
