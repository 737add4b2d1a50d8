/* fsout.c: atomic output folders. A build either leaves a complete new
 * folder or leaves the old one (or nothing) untouched. */
#define _XOPEN_SOURCE 700
#include "cli.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

int cli_write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = n ? fwrite(data, 1, n, f) : 0;
  return (fclose(f) || w != n) ? -1 : 0;
}

int cli_read_file(const char *path, void *data, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t r = n ? fread(data, 1, n, f) : 0;
  int extra = fgetc(f);
  fclose(f);
  return r == n && extra == EOF ? 0 : -1;
}

char *cli_slurp(Arena *a, const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  long len = -1;
  char *s = NULL;
  if (f && !fseek(f, 0, SEEK_END) && (len = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
      (s = arena_alloc(a, (size_t)len + 1)) && fread(s, 1, (size_t)len, f) != (size_t)len)
    s = NULL;
  if (f) fclose(f);
  if (s) *n = (size_t)len;
  return s;
}

int remove_tree(const char *dir) { return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static int mkdirs(char *path) {
  for (char *s = path + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    int r = mkdir(path, 0777);
    *s = '/';
    if (r && errno != EEXIST) return -1;
  }
  return 0;
}

/* dir without trailing slashes, malloc'd with room for a suffix */
static char *base_of(const char *dir, size_t *n) {
  *n = strlen(dir);
  while (*n > 1 && dir[*n - 1] == '/') (*n)--;
  char *base = malloc(*n + 32);
  if (base) memcpy(base, dir, *n), base[*n] = 0;
  return base;
}

char *out_tmp_dir(const char *dir, char *err, size_t errlen) {
  size_t n;
  char *base = base_of(dir, &n), *tmp = malloc(n + 32);
  if (!base || !tmp) {
    snprintf(err, errlen, "out of memory");
    free(base), free(tmp);
    return NULL;
  }
  snprintf(tmp, n + 32, "%s.tmp-XXXXXX", base);
  free(base);
  if (!mkdtemp(tmp)) {
    snprintf(err, errlen, "cannot create a folder next to '%.*s': %s", (int)n, dir, strerror(errno));
    free(tmp);
    return NULL;
  }
  return tmp;
}

int out_commit(const char *tmp, const char *dir, char *err, size_t errlen) {
  size_t n;
  char *base = base_of(dir, &n), *old = malloc(n + 32);
  int rc = -1;
  if (!base || !old) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  struct stat st;
  if (lstat(base, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      snprintf(err, errlen, "'%s' exists and is not a folder", base);
      goto fail;
    }
    snprintf(old, n + 32, "%s.old-XXXXXX", base);
    if (!mkdtemp(old) || rmdir(old) || rename(base, old)) {
      snprintf(err, errlen, "cannot replace '%s': %s", base, strerror(errno));
      goto fail;
    }
    if (rename(tmp, base)) {
      snprintf(err, errlen, "cannot rename into '%s': %s", base, strerror(errno));
      rename(old, base);
      goto fail;
    }
    remove_tree(old);
  } else if (rename(tmp, base)) {
    snprintf(err, errlen, "cannot create '%s': %s", base, strerror(errno));
    goto fail;
  }
  rc = 0;
  goto done;
fail:
  remove_tree(tmp);
done:
  free(base), free(old);
  return rc;
}

int write_output_atomic(const char *dir, const Output *o, char *err, size_t errlen) {
  char *tmp = out_tmp_dir(dir, err, errlen);
  if (!tmp) return -1;
  for (int i = 0; i < o->n; i++) {
    char *path = malloc(strlen(tmp) + strlen(o->f[i].name) + 2);
    if (!path) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    sprintf(path, "%s/%s", tmp, o->f[i].name);
    if (mkdirs(path)) {
      snprintf(err, errlen, "cannot create folders for '%s': %s", o->f[i].name, strerror(errno));
      free(path);
      goto fail;
    }
    FILE *f = fopen(path, "wb");
    free(path);
    size_t len = o->f[i].text.len;
    if (!f || (len && fwrite(o->f[i].text.s, 1, len, f) != len) || fclose(f)) {
      snprintf(err, errlen, "cannot write '%s': %s", o->f[i].name, strerror(errno));
      goto fail;
    }
  }
  int rc = out_commit(tmp, dir, err, errlen);
  free(tmp);
  return rc;
fail:
  remove_tree(tmp);
  free(tmp);
  return -1;
}

int cli_put(Arena *a, const char *dir, const char *name, const Buf *b) {
  char *path = arena_printf(a, "%s/%s", dir, name);
  if (!path) return -1;
  for (char *s = path + strlen(dir) + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    int r = mkdir(path, 0777);
    *s = '/';
    if (r && errno != EEXIST) return -1;
  }
  return cli_write_file(path, b->s ? b->s : "", b->len);
}

const char *cli_cc(void) {
  return getenv("MLGEN_CC") ? getenv("MLGEN_CC") : getenv("CC") ? getenv("CC") : "cc";
}

const char *cli_cflags(const char *dflt) { return getenv("MLGEN_CFLAGS") ? getenv("MLGEN_CFLAGS") : dflt; }

size_t cli_value_bytes(const Value *v) {
  return (size_t)shape_numel(v->rank, v->shape) * (size_t)dtype_info[v->dt].size;
}

int cli_run_stage(Arena *a, const char *tag, const Output *o, const char *drv_path, const Buf *drv, char dir[64]) {
  snprintf(dir, 64, "/tmp/mlgen-%s-XXXXXX", tag);
  if (!mkdtemp(dir)) {
    fprintf(stderr, "mlgen: cannot create a temporary folder: %s\n", strerror(errno));
    return -1;
  }
  for (int i = 0; i < o->n; i++)
    if (cli_put(a, dir, o->f[i].name, &o->f[i].text)) goto io;
  if (drv && cli_put(a, dir, drv_path, drv)) goto io;
  return 0;
io:
  fprintf(stderr, "mlgen: I/O error writing %s\n", dir);
  remove_tree(dir);
  return -1;
}

int cli_checks_failed(const Program *p, Diags *d) {
  for (int i = 0; i < p->checks.n; i++) {
    const Value *c = p->checks.v[i];
    diag_error(d, c->src ? c->src->loc : (Loc){.file = p->file}, "%s run-time check: %s",
               i ? "or its" : "the model failed its", c->check);
  }
  return 1;
}

int cli_run_exec(Arena *a, const char *dir, const char *prog, Program *p, void **ins, void **outs, int *status) {
  Buf run = {0};
  buf_puts(&run, prog);
  for (int i = 0; i < p->inputs.n; i++) {
    const char *path = arena_printf(a, "%s/in%d.bin", dir, i);
    if (cli_write_file(path, ins[i], cli_value_bytes(p->inputs.v[i]))) goto io;
    buf_printf(&run, " %s", path);
  }
  for (int i = 0; i < p->outputs.n; i++) buf_printf(&run, " %s/out%d.bin", dir, i);
  int st = system(run.s);
  buf_free(&run);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (*status) return 0;
  for (int i = 0; i < p->outputs.n; i++)
    if (cli_read_file(arena_printf(a, "%s/out%d.bin", dir, i), outs[i], cli_value_bytes(p->outputs.v[i]))) goto io;
  return 0;
io:
  buf_free(&run);
  fprintf(stderr, "mlgen: I/O error in %s\n", dir);
  return -1;
}
