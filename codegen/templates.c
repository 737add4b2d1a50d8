/* templates.c: {{key}} substitution over the embedded templates/ files.
 *
 * The syntax is in templates.h, the files and their placeholders in
 * templates/README.md. A template that names a placeholder its caller does
 * not fill is mlgen's bug, not the model's: it is reported as an internal
 * error at the template's line and column, never silently left empty.
 */
#include "templates.h"

#include <stdio.h>
#include <string.h>

#define KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

static const char *value_of(const char *const *kv, const char *key, size_t n) {
  for (; kv && kv[0]; kv += 2)
    if (strlen(kv[0]) == n && !strncmp(kv[0], key, n)) return kv[1];
  return NULL;
}

int tmpl_expand_text(Buf *out, const char *file, const char *text, const char *const *kv, Diags *d) {
  const char *s = text;
  int line = 1;
  while (s[0] == '#' && s[1] == '#') { /* the documentation */
    s = strchr(s, '\n');
    if (!s) return 0;
    s++;
    line++;
  }
  const char *bol = s; /* beginning of the current line */
  for (;;) {
    const char *t = strstr(s, "{{");
    size_t n = t ? (size_t)(t - s) : strlen(s);
    buf_printf(out, "%.*s", (int)n, s);
    for (const char *c = s; c < s + n; c++)
      if (*c == '\n') line++, bol = c + 1;
    if (!t) return 0;
    for (; t[2] == '{'; t++) buf_puts(out, "{");
    const char *key = t + 2, *end = strstr(key, "}}");
    size_t kn = end ? (size_t)(end - key) : 0;
    Loc at = {.file = file, .line = line, .col = (int)(t - bol) + 1};
    if (!kn || strspn(key, KEY_CHARS) < kn) {
      diag_error(d, at, "internal: malformed template placeholder (expected {{name}})");
      return -1;
    }
    const char *v = value_of(kv, key, kn);
    if (!v) {
      diag_error(d, at, "internal: template placeholder {{%.*s}} has no value", (int)kn, key);
      return -1;
    }
    s = end + 2;
    if (t == bol && (*s == '\n' || !*s)) { /* alone on its line: whole lines */
      size_t vn = strlen(v);
      if (vn && v[vn - 1] != '\n') {
        diag_error(d, at, "internal: template placeholder {{%.*s}} stands for whole lines, its value ends mid-line",
                   (int)kn, key);
        return -1;
      }
      if (*s) s++, line++;
      bol = s;
    }
    buf_puts(out, v);
  }
}

int tmpl_expand(Buf *out, const char *name, const char *const *kv, Diags *d) {
  char file[256]; /* diagnostics are formatted at once: a local name will do */
  snprintf(file, sizeof file, "templates/%s", name);
  for (int i = 0; i < mlg_templates_n; i++)
    if (!strcmp(mlg_templates[i].name, name)) return tmpl_expand_text(out, file, mlg_templates[i].text, kv, d);
  diag_error(d, (Loc){0}, "internal: no template named '%s'", name);
  return -1;
}
