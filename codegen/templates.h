/* templates.h: the fixed text of generated files, kept as real files in
 * templates/ and compiled into mlgen at build time (cmake/embed.cmake).
 *
 * A template is the file's text with {{key}} placeholders; its leading lines
 * that start with "##" document it (every placeholder it uses) and are not
 * part of the text. tmpl_expand fills the placeholders from a NULL-ended
 * list of key, value pairs. A placeholder alone on its line stands for whole
 * lines: its value (empty, or lines each ending in a newline) replaces that
 * line. "{{{" is a literal "{" then a placeholder; there is no other escape.
 *
 * Values are pasted as they are: the caller escapes model text (a tensor
 * name in a C string, say) before passing it, exactly as if it printed it.
 */
#ifndef MLG_TEMPLATES_H
#define MLG_TEMPLATES_H

#include "../ir/ir.h"

/* embedded files (name, text): templates/ (mlg_templates) and
 * runtime-min/vulkan (mlg_runtime_vulkan, see vulkan.h) */
typedef struct {
  const char *name, *text;
} EmbeddedFile;
extern const EmbeddedFile mlg_templates[];
extern const int mlg_templates_n;

/* Appends templates/<name> to out with its placeholders filled from kv
 * ({"key", value, ..., NULL}). 0, or -1 with an internal-error diagnostic
 * at the template's line when the template is unknown, a placeholder has no
 * key in kv or is malformed, or a whole-line value does not end its line.
 * Out of memory shows as out->oom, as with buf_printf. */
int tmpl_expand(Buf *out, const char *name, const char *const *kv, Diags *d);
/* The same over any text; file names it in diagnostics. */
int tmpl_expand_text(Buf *out, const char *file, const char *text, const char *const *kv, Diags *d);

#endif
