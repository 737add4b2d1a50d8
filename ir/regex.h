/* regex.h: the regular expressions of RegexFullMatch (ir/regex.c). */
#ifndef MLG_REGEX_H
#define MLG_REGEX_H

#include "ir.h"

/* One instruction of a compiled pattern (a Thompson NFA, run as a Pike VM). */
typedef enum { RI_CLASS, RI_ANY, RI_SPLIT, RI_JMP, RI_ASSERT, RI_MATCH } ReOp;
typedef enum { RA_BOT, RA_EOT, RA_WORDB, RA_NWORDB } ReAssert;
typedef struct {
  ReOp op;
  int x, y;   /* SPLIT: both targets (x preferred); JMP: x; CLASS: ranges [x, x + y) of Re.ranges; ASSERT: x */
  bool neg;   /* CLASS: negated */
} ReInst;
typedef struct Re {
  ReInst *prog;
  int n;
  uint32_t (*ranges)[2]; /* inclusive code point ranges of the classes */
  int nranges;
} Re;

enum { RE_MAX_INST = 2000 };

/* Compiles pat (UTF-8, the RE2 subset of docs/architecture.md); 0, or -1
 * with a message in err ("unsupported ..." for syntax outside the subset). */
int re_compile(Arena *a, const char *pat, Re *out, char *err, size_t errcap);
/* Does re match all of s (UTF-8 text, NUL-terminated)? work holds 4 * re->n ints. */
bool re_full_match(const Re *re, const char *s, int *work);

#endif
