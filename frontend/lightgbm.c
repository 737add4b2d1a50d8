/* lightgbm.c: LightGBM text models (Booster.save_model("m.txt"), format
 * v3/v4) as a Graph; see treemodels.h.
 *
 * LightGBM's semantics (Tree::NumericalDecision / CategoricalDecision in
 * LightGBM 4), as the reader maps them:
 *   numerical  x <= threshold goes left (mode LEQ, true = left). The
 *              threshold is a double; the f32 input is compared in double,
 *              which ir/ml_trees.c reproduces by rounding the threshold
 *              down to f32.
 *   missing    decision_type bits 2-3: None: NaN counts as 0.0, so it
 *              goes left iff 0 <= threshold; Zero: NaN and |x| <= 1e-35 take
 *              the default direction (bit 1); NaN: NaN takes the default
 *              direction.
 *   category   decision_type bit 0: left iff (int)x is in the bitset
 *              cat_threshold[cat_boundaries[t] .. cat_boundaries[t+1]) with
 *              t = (int)threshold; NaN and negative values go right.
 *   classes    num_tree_per_iteration trees per round, tree i -> class i % K.
 *   output     binary: sigmoid(s * margin), multiclass: softmax,
 *              multiclassova / cross_entropy: sigmoid per class, poisson /
 *              gamma / tweedie: exp, the rest: the margin. average_output
 *              (random forest mode) averages the rounds.
 * The init score is already inside the first trees' leaves. Linear trees
 * are refused. Every number used as an index (features, children, bitsets)
 * is checked against what it indexes; without max_feature_idx, features
 * stop at LGB_MAX_FEATURES.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "treemodels.h"

#define LGB_MAX_FEATURES (1 << 24)

typedef struct {
  const char *file;
  char *s;   /* text, modified in place (lines NUL-terminated) */
  int line;  /* of the current tree header */
  Diags *d;
} R;

/* value of "key=" among the lines [from, to), or NULL */
static char *field(char **lines, int from, int to, const char *key) {
  size_t k = strlen(key);
  for (int i = from; i < to; i++)
    if (!strncmp(lines[i], key, k) && lines[i][k] == '=') return lines[i] + k + 1;
  return NULL;
}

static int nums(R *r, char *s, const char *what, int want, double *out) {
  int n = 0;
  while (s && *s) {
    char *e;
    double v = strtod(s, &e);
    if (e == s) break;
    if (n == want) break;
    out[n++] = v;
    s = e;
  }
  if (n != want) {
    diag_error(r->d, (Loc){.file = r->file, .line = r->line, .node = ""}, "LightGBM tree: '%s' has %d values, expected %d",
               what, n, want);
    return -1;
  }
  return 0;
}

/* s (up to a space or the end) is an integer in [lo, hi] */
static bool int_field(const char *s, long long lo, long long hi, long long *out) {
  if (!s) return false;
  char *e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (e == s || errno || (*e && *e != ' ') || v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* an index read as a double: an integer in [lo, hi) (never cast before: 2^32
 * or 1e30 would truncate to a valid one) */
static bool index_ok(double v, double lo, double hi) { return v >= lo && v < hi && v == floor(v); }

static int count(const char *s) {
  int n = 0;
  while (s && *s) {
    while (*s == ' ') s++;
    if (!*s) break;
    n++;
    while (*s && *s != ' ') s++;
  }
  return n;
}

static int tree(TreeModel *m, R *r, char **lines, int from, int to, int cls, double scale) {
  char *nl = field(lines, from, to, "num_leaves");
  long long L = 0;
  Loc loc = {.file = r->file, .line = r->line, .node = ""};
  if (!int_field(nl, 1, INT32_MAX / 8, &L)) {
    diag_error(r->d, loc, "LightGBM tree: num_leaves '%s' is not a count in [1, 2^28)", nl ? nl : "(missing)");
    return -1;
  }
  if (2 * L - 1 > mlg_limits.tree_nodes - (m->n + m->nl)) {
    diag_limit(r->d, loc, "tree_nodes", "LightGBM tree: %lld more nodes make more than %lld in the model",
               2 * L - 1, (long long)mlg_limits.tree_nodes);
    return -1;
  }
  char *lin = field(lines, from, to, "is_linear");
  if (lin && atoi(lin)) {
    diag_error(r->d, loc, "unsupported: LightGBM linear trees (linear_tree=true)");
    return -1;
  }
  char *lv = field(lines, from, to, "leaf_value");
  if (L > count(lv)) { /* checked before allocating for L */
    diag_error(r->d, loc, "LightGBM tree: bad num_leaves (%lld, with %d leaf values)", L, count(lv));
    return -1;
  }
  double *leaf = malloc(sizeof(double) * (size_t)L);
  double *buf = malloc(sizeof(double) * 6 * (size_t)L);
  int *id = malloc(sizeof(int) * (size_t)L);
  double *cb = NULL, *ct = NULL;
  int rc = -1;
  if (!leaf || !buf || !id) goto done;
  if (nums(r, lv, "leaf_value", L, leaf)) goto done;
  if (L == 1) {
    rc = tm_leaf_tree(m, cls, leaf[0] * scale);
    goto done;
  }
  int n = (int)L - 1;
  double *sf = buf, *th = buf + L, *dt = buf + 2 * L, *lc = buf + 3 * L, *rcv = buf + 4 * L;
  if (nums(r, field(lines, from, to, "split_feature"), "split_feature", n, sf) ||
      nums(r, field(lines, from, to, "threshold"), "threshold", n, th) ||
      nums(r, field(lines, from, to, "decision_type"), "decision_type", n, dt) ||
      nums(r, field(lines, from, to, "left_child"), "left_child", n, lc) ||
      nums(r, field(lines, from, to, "right_child"), "right_child", n, rcv))
    goto done;
  char *ncat = field(lines, from, to, "num_cat");
  long long nc = 0;
  if (ncat && !int_field(ncat, 0, n, &nc)) {
    diag_error(r->d, loc, "LightGBM tree: num_cat '%s' is not a count in [0, %d]", ncat, n);
    goto done;
  }
  int ncb = 0, nct = 0;
  if (nc > 0) {
    char *sb = field(lines, from, to, "cat_boundaries"), *st = field(lines, from, to, "cat_threshold");
    ncb = count(sb), nct = count(st);
    cb = malloc(sizeof(double) * (size_t)(ncb + 1));
    ct = malloc(sizeof(double) * (size_t)(nct + 1));
    if (!cb || !ct || ncb != nc + 1 || nums(r, sb, "cat_boundaries", ncb, cb) || nums(r, st, "cat_threshold", nct, ct)) {
      if (cb && ct && ncb != nc + 1) diag_error(r->d, loc, "LightGBM tree: cat_boundaries does not fit num_cat");
      goto done;
    }
    /* every index read from the file is checked against what it indexes */
    for (int k = 0; k < ncb; k++)
      if (!(cb[k] >= (k ? cb[k - 1] : 0) && cb[k] <= nct && cb[k] == floor(cb[k]))) {
        diag_error(r->d, loc, "LightGBM tree: cat_boundaries[%d] = %.17g is outside cat_threshold (%d values)%s", k,
                   cb[k], nct, cb[k] >= 0 && cb[k] <= nct ? " or decreasing" : "");
        goto done;
      }
    for (int k = 0; k < nct; k++)
      if (!(ct[k] >= 0 && ct[k] <= 4294967295.0 && ct[k] == floor(ct[k]))) {
        diag_error(r->d, loc, "LightGBM tree: cat_threshold[%d] = %.17g is not a 32-bit bitset word", k, ct[k]);
        goto done;
      }
  }
  for (int i = 0; i < n; i++) {
    if (!index_ok(sf[i], 0, m->nfeat > 0 ? (double)m->nfeat : LGB_MAX_FEATURES)) {
      diag_error(r->d, loc, "LightGBM tree: split %d tests feature %.17g of %lld", i, sf[i],
                 (long long)(m->nfeat > 0 ? m->nfeat : LGB_MAX_FEATURES));
      goto done;
    }
    if (!index_ok(dt[i], 0, 256)) {
      diag_error(r->d, loc, "LightGBM tree: split %d has a bad decision_type %.17g", i, dt[i]);
      goto done;
    }
    if (!index_ok(lc[i], (double)-L, n) || !index_ok(rcv[i], (double)-L, n)) {
      diag_error(r->d, loc, "LightGBM tree: node %d has a child out of range", i);
      goto done;
    }
    int d = (int)dt[i], miss = (d >> 2) & 3;
    bool cat = d & 1, dleft = (d >> 1) & 1;
    if (cat) {
      if (!index_ok(th[i], 0, (double)nc)) {
        diag_error(r->d, loc, "LightGBM tree: categorical split %d names bitset %.17g of %lld", i, th[i], nc);
        goto done;
      }
      int t = (int)th[i];
      id[i] = tm_node(m, (int64_t)sf[i], 6 /* MEMBER */, 0, false, false);
      for (int w = (int)cb[t]; w < (int)cb[t + 1] && w < nct; w++)
        for (int bit = 0; bit < 32; bit++)
          if (((uint32_t)ct[w] >> bit) & 1u) tm_member(m, (double)(w - (int)cb[t]) * 32 + bit);
      tm_member(m, NAN);
    } else {
      bool nan_left = miss == 0 ? 0.0 <= th[i] : dleft;
      id[i] = tm_node(m, (int64_t)sf[i], 0 /* LEQ */, th[i], nan_left, miss == 1);
    }
    if (id[i] < 0) goto done;
  }
  int *lid = malloc(sizeof(int) * (size_t)L);
  if (!lid) goto done;
  for (int j = 0; j < L; j++) lid[j] = tm_leaf(m, cls, leaf[j] * scale);
  for (int i = 0; i < n; i++) {
    int l = (int)lc[i], rr = (int)rcv[i];
    if (l >= n || rr >= n || ~l >= L || ~rr >= L) {
      diag_error(r->d, loc, "LightGBM tree: node %d has a child out of range", i);
      free(lid);
      goto done;
    }
    m->tn[id[i]] = l >= 0 ? id[l] : lid[~l], m->tl[id[i]] = l < 0;
    m->fn[id[i]] = rr >= 0 ? id[rr] : lid[~rr], m->fl[id[i]] = rr < 0;
  }
  free(lid);
  rc = tm_tree(m, id[0]);
done:
  free(leaf);
  free(buf);
  free(id);
  free(cb);
  free(ct);
  return rc;
}

int lgbm_load(Arena *a, const char *path, Graph **out, Diags *d) {
  size_t len;
  char *text = tm_read_file(a, path, &len, d);
  if (!text) return -1;
  const char *nul = memchr(text, 0, len);
  if (nul) { /* the lines are C strings: the rest would be dropped silently */
    int line = 1, col = 1;
    for (const char *p = text; p < nul; p++) line += *p == '\n', col = *p == '\n' ? 1 : col + 1;
    diag_error(d, (Loc){.file = path, .line = line, .col = col, .node = ""}, "a NUL byte in a LightGBM text model");
    return -1;
  }
  /* split into lines */
  int nlines = 1;
  for (size_t i = 0; i < len; i++) nlines += text[i] == '\n';
  char **lines = malloc(sizeof(char *) * (size_t)nlines);
  if (!lines) return -1;
  int k = 0;
  for (char *s = text; s && k < nlines;) {
    lines[k++] = s;
    char *e = strchr(s, '\n');
    if (e) {
      *e = 0;
      if (e > s && e[-1] == '\r') e[-1] = 0;
      s = e + 1;
    } else {
      s = NULL;
    }
  }
  nlines = k;
  R r = {.file = path, .s = text, .d = d};
  TreeModel m = {.a = a, .file = path, .agg = 1};
  int rc = -1, first = nlines;
  for (int i = 0; i < nlines; i++)
    if (!strncmp(lines[i], "Tree=", 5)) {
      first = i;
      break;
    }
  if (nlines == 0 || strcmp(lines[0], "tree")) {
    diag_error(d, (Loc){.file = path, .line = 1, .col = 1}, "not a LightGBM text model (first line is not 'tree')");
    goto done;
  }
  char *nc = field(lines, 0, first, "num_class"), *ntpi = field(lines, 0, first, "num_tree_per_iteration");
  char *obj = field(lines, 0, first, "objective"), *mfi = field(lines, 0, first, "max_feature_idx");
  long long K = 1, mf = -1;
  if ((ntpi || nc) && !int_field(ntpi ? ntpi : nc, 1, 65536, &K)) {
    diag_error(d, (Loc){.file = path, .node = ""}, "LightGBM: %s '%s' is not a count in [1, 65536]",
               ntpi ? "num_tree_per_iteration" : "num_class", ntpi ? ntpi : nc);
    goto done;
  }
  if (mfi && !int_field(mfi, 0, INT32_MAX - 1, &mf)) {
    diag_error(d, (Loc){.file = path, .node = ""}, "LightGBM: max_feature_idx '%s' is not an index below 2^31", mfi);
    goto done;
  }
  m.ntargets = (int)K;
  m.nfeat = mf + 1;
  bool avg = false;
  for (int i = 0; i < first; i++) avg |= !strcmp(lines[i], "average_output");
  double scale = 1;
  const char *o = obj ? obj : "regression";
  if (!strncmp(o, "binary", 6)) {
    const char *sg = strstr(o, "sigmoid:");
    scale = sg ? atof(sg + 8) : 1; /* sigmoid(s * x) == logistic of the scaled margin */
    m.post = 2;
    m.classify = true;
  } else if (!strncmp(o, "multiclassova", 13) || !strncmp(o, "cross_entropy", 13)) {
    const char *sg = strstr(o, "sigmoid:");
    scale = sg ? atof(sg + 8) : 1;
    m.post = 2;
    m.classify = !strncmp(o, "multiclassova", 13);
  } else if (!strncmp(o, "multiclass", 10)) {
    m.post = 1;
    m.classify = true;
  } else if (!strncmp(o, "poisson", 7) || !strncmp(o, "gamma", 5) || !strncmp(o, "tweedie", 7)) {
    m.post = 5;
  } else if (!strncmp(o, "cross_entropy_lambda", 20) || strstr(o, " sqrt")) {
    diag_error(d, (Loc){.file = path, .node = ""}, "unsupported: LightGBM objective '%s'", o);
    goto done;
  }
  m.squeeze = K == 1;
  int ntrees = 0;
  for (int i = first; i < nlines && strcmp(lines[i], "end of trees"); i++) ntrees += !strncmp(lines[i], "Tree=", 5);
  if (avg && ntrees >= K) scale /= (double)(ntrees / K); /* the mean over rounds, per class */
  for (int i = first, t = 0; i < nlines && strcmp(lines[i], "end of trees"); i++) {
    if (strncmp(lines[i], "Tree=", 5)) continue;
    int j = i + 1;
    while (j < nlines && strncmp(lines[j], "Tree=", 5) && strcmp(lines[j], "end of trees")) j++;
    r.line = i + 1;
    if (tree(&m, &r, lines, i + 1, j, t % K, scale)) goto done;
    t++;
    i = j - 1;
  }
  rc = tm_graph(&m, "lightgbm", out, d);
done:
  free(lines);
  return rc;
}
