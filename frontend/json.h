/* json.h: a small JSON reader (RFC 8259, plus the NaN / Infinity tokens
 * some writers emit) into an arena-allocated tree. Used by the XGBoost model
 * reader; errors name file:line:col. */
#ifndef MLG_JSON_H
#define MLG_JSON_H

#include "../ir/ir.h"

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JType;

typedef struct JVal {
  JType t;
  int line, col;
  double num;            /* J_NUM, J_BOOL (0/1) */
  const char *str;       /* J_STR (UTF-8, NUL-terminated) */
  int n;                 /* J_ARR / J_OBJ: element count */
  struct JVal **items;   /* elements, or member values */
  const char **keys;     /* J_OBJ: member names */
} JVal;

/* Parses text[0..len) into *out. Returns 0, or -1 with a located error. */
int json_parse(Arena *a, const char *text, size_t len, const char *file, JVal **out, Diags *d);
/* Member `key` of an object (NULL if absent or v is not an object). */
const JVal *json_get(const JVal *v, const char *key);
/* Follows a path of member names, e.g. json_path(v, "learner", "objective", NULL). */
const JVal *json_path(const JVal *v, ...);

#endif
