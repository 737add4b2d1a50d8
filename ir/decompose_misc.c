/* decompose_misc.c: the remaining ai.onnx operators with one rewrite each:
 * Einsum, Col2Im, MaxUnpool, Det, STFT, MelWeightMatrix, TfIdfVectorizer,
 * and two extra outputs of the dense ops in decompose_nn.c: MaxPool's
 * Indices and BatchNormalization's training mode. Registered in d_more_ops
 * (decompose_more.c).
 *
 * Einsum multiplies every operand, broadcast over the union of its labels,
 * and sums the labels the output lacks (repeated labels take a diagonal
 * first). Col2Im and MaxUnpool are matrix products / matches against
 * build-time index maps; Det is the Leibniz sum over permutations (small
 * matrices only). */
#include "decompose_more.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ Einsum */
#define ELL 128 /* labels of ellipsis dims: ELL + k, right-aligned */

/* term (letters and at most one "...") into labels for a rank-`rank` operand */
static int parse_term(B *b, const char *s, size_t n, int rank, int *lab, int *nell) {
  int letters = 0, k = 0;
  bool ell = false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') {
      if (ell || i + 2 >= n || s[i + 1] != '.' || s[i + 2] != '.') goto bad;
      ell = true;
      i += 2;
    } else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
      letters++;
    } else {
      goto bad;
    }
  }
  int e = ell ? rank - letters : 0;
  if (rank >= 0 && (e < 0 || (!ell && letters != rank))) {
    diag_error(b->d, d_attr_loc(b, "equation"), "Einsum: term '%.*s' does not match an operand of rank %d", (int)n, s,
               rank);
    return -1;
  }
  *nell = e;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') {
      for (int j = 0; j < e; j++) lab[k++] = ELL + j; /* right-aligned by the caller */
      i += 2;
    } else {
      lab[k++] = (unsigned char)s[i];
    }
  }
  return k;
bad:
  diag_error(b->d, d_attr_loc(b, "equation"), "Einsum: bad term '%.*s'", (int)n, s);
  return -1;
}

/* x's diagonal over dims p < q (same label): dim q removed */
static Value *diagonal(B *b, Value *x, int p, int q) {
  int perm[MAX_RANK], k = 0;
  for (int i = 0; i < x->rank; i++)
    if (i != p && i != q) perm[k++] = i;
  perm[k++] = p;
  perm[k++] = q;
  Value *y = b_permute(b, x, perm);
  if (!y) return NULL;
  int64_t n = x->shape[p], s[MAX_RANK], st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
  for (int i = 0; i < x->rank - 2; i++) s[i] = y->shape[i];
  s[x->rank - 2] = n * n;
  y = b_reshape(b, y, x->rank - 1, s);
  for (int i = 0; i < x->rank - 1; i++) sp[i] = 1, sh[i] = s[i];
  sp[x->rank - 2] = n + 1;
  sh[x->rank - 2] = n;
  y = b_slice(b, y, st, sp, sh);
  /* back to the original order with p in place: y holds the kept dims in
   * order, then the diagonal */
  int inv[MAX_RANK];
  for (int i = 0, j = 0; i < x->rank; i++) {
    if (i == q) continue;
    if (i == p) inv[j++] = x->rank - 2;
    else {
      int pos = 0;
      for (int t = 0; t < i; t++) pos += t != p && t != q;
      inv[j++] = pos;
    }
  }
  return b_permute(b, y, inv);
}

int d_einsum(B *b, Value **in, int nin, Value **out) {
  const char *eq = d_str(b, "equation", "");
  char buf[512];
  size_t L = 0;
  for (const char *c = eq; *c && L < sizeof buf - 1; c++)
    if (*c != ' ') buf[L++] = *c;
  buf[L] = 0;
  const char *arrow = strstr(buf, "->");
  size_t lhs = arrow ? (size_t)(arrow - buf) : L;
  int lab[64][MAX_RANK], nl[64], nell[64], maxell = 0;
  if (nin > 64) return -1;
  size_t pos = 0;
  for (int t = 0; t < nin; t++) {
    size_t e = pos;
    while (e < lhs && buf[e] != ',') e++;
    if (t < nin - 1 && e >= lhs) {
      diag_error(b->d, d_attr_loc(b, "equation"), "Einsum: %d operands but fewer terms in '%s'", nin, eq);
      return -1;
    }
    if ((nl[t] = parse_term(b, buf + pos, e - pos, in[t]->rank, lab[t], &nell[t])) < 0) return -1;
    if (nell[t] > maxell) maxell = nell[t];
    pos = e + 1;
  }
  /* ellipsis labels right-aligned: the k-th of e dims is ELL + maxell - e + k */
  for (int t = 0; t < nin; t++)
    for (int i = 0; i < nl[t]; i++)
      if (lab[t][i] >= ELL) lab[t][i] += maxell - nell[t];
  /* output labels */
  int ol[MAX_RANK + 8], no = 0;
  if (arrow) {
    int e;
    no = parse_term(b, arrow + 2, strlen(arrow + 2), -1, ol, &e);
    if (no < 0) return -1;
    /* "..." in the output stands for all ellipsis dims */
    int tmp[MAX_RANK + 8], k = 0;
    for (int i = 0; i < no; i++) {
      if (ol[i] >= ELL) continue;
      tmp[k++] = ol[i];
    }
    const char *dots = strstr(arrow + 2, "...");
    if (dots) {
      int before = 0;
      for (const char *c = arrow + 2; c < dots; c++) before++;
      k = 0;
      for (int i = 0; i < before; i++) tmp[k++] = (unsigned char)arrow[2 + i];
      for (int j = 0; j < maxell; j++) tmp[k++] = ELL + j;
      for (const char *c = dots + 3; *c; c++) tmp[k++] = (unsigned char)*c;
    }
    no = k;
    memcpy(ol, tmp, sizeof(int) * (size_t)k);
  } else { /* implicit: ellipsis dims, then letters seen once, sorted */
    for (int j = 0; j < maxell; j++) ol[no++] = ELL + j;
    for (int c = 'A'; c <= 'z'; c++) {
      int cnt = 0;
      for (int t = 0; t < nin; t++)
        for (int i = 0; i < nl[t]; i++) cnt += lab[t][i] == c;
      if (cnt == 1) ol[no++] = c;
    }
  }
  /* the union of labels in order of appearance, with their sizes */
  int U[MAX_RANK * 2 + 8], nu = 0;
  int64_t usz[MAX_RANK * 2 + 8];
  Value *ops[64];
  for (int t = 0; t < nin; t++) {
    Value *x = in[t];
    int *lt = lab[t], n = nl[t];
    /* repeated labels in one operand: take the diagonal */
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        if (lt[i] == lt[j]) {
          if (x->shape[i] != x->shape[j]) {
            diag_error(b->d, b->loc, "Einsum: repeated label of unequal sizes");
            return -1;
          }
          x = diagonal(b, x, i, j);
          if (!x) return -1;
          for (int k = j; k < n - 1; k++) lt[k] = lt[k + 1];
          n--;
          j--;
        }
    nl[t] = n;
    for (int i = 0; i < n; i++) {
      int u;
      for (u = 0; u < nu && U[u] != lt[i]; u++)
        ;
      if (u == nu) {
        if (nu == MAX_RANK) {
          diag_error(b->d, b->loc, "unsupported: Einsum over more than %d labels", MAX_RANK);
          return -1;
        }
        U[nu] = lt[i];
        usz[nu++] = x->shape[i];
      } else if (usz[u] != x->shape[i]) {
        if (usz[u] == 1) usz[u] = x->shape[i];
        else if (x->shape[i] != 1) {
          diag_error(b->d, b->loc, "Einsum: label sizes %lld and %lld differ", (long long)usz[u], (long long)x->shape[i]);
          return -1;
        }
      }
    }
    ops[t] = x;
  }
  for (int i = 0; i < no; i++) {
    int u;
    for (u = 0; u < nu && U[u] != ol[i]; u++)
      ;
    if (u == nu) {
      diag_error(b->d, d_attr_loc(b, "equation"), "Einsum: output label not in any input");
      return -1;
    }
  }
  int64_t total = 1;
  for (int u = 0; u < nu; u++) total *= usz[u];
  if (total > ((int64_t)1 << 24)) {
    diag_error(b->d, b->loc, "unsupported: Einsum whose product space has %lld elements", (long long)total);
    return -1;
  }
  /* each operand permuted into union order, 1 for the labels it lacks */
  Value *prod = NULL;
  for (int t = 0; t < nin; t++) {
    int perm[MAX_RANK], k = 0;
    int64_t s[MAX_RANK];
    for (int u = 0; u < nu; u++) {
      s[u] = 1;
      for (int i = 0; i < nl[t]; i++)
        if (lab[t][i] == U[u]) {
          perm[k++] = i;
          s[u] = ops[t]->shape[i];
        }
    }
    Value *x = b_reshape(b, b_permute(b, ops[t], perm), nu, s);
    prod = prod ? b_binary(b, OP_MUL, prod, x) : x;
    if (!prod) return -1;
  }
  if (prod->rank < nu) prod = b_expand(b, prod, nu, usz);
  unsigned mask = 0;
  int keep[MAX_RANK], nk = 0;
  for (int u = 0; u < nu; u++) {
    bool in_out = false;
    for (int i = 0; i < no; i++) in_out |= ol[i] == U[u];
    if (!in_out) mask |= 1u << u;
    else keep[nk++] = U[u];
  }
  Value *r = b_reduce(b, OP_RSUM, prod, mask, false);
  int perm[MAX_RANK];
  for (int i = 0; i < no; i++)
    for (int k = 0; k < nk; k++)
      if (keep[k] == ol[i]) perm[i] = k;
  /* broadcast dims of size 1 stay as the operands had them */
  out[0] = b_permute(b, r, perm);
  if (out[0] && out[0]->rank == no) {
    int64_t s[MAX_RANK];
    for (int i = 0; i < no; i++)
      for (int u = 0; u < nu; u++)
        if (U[u] == ol[i]) s[i] = usz[u];
    out[0] = b_expand(b, out[0], no, s);
  }
  return out[0] ? 0 : -1;
}

/* ------------------------------------------------------------------ Col2Im */
/* the Col2Im of x for build-time image and block shapes */
static Value *col2im(B *b, Value *x, int k, const int64_t *img, const int64_t *blk, const int64_t *dl,
                     const int64_t *st, const int64_t *pd) {
  int64_t Kb = 1, P = 1, Lb = 1, nb[MAX_RANK];
  for (int i = 0; i < k; i++) {
    Kb *= blk[i];
    P *= img[i];
    nb[i] = (img[i] + pd[i] + pd[i + k] - dl[i] * (blk[i] - 1) - 1) / st[i] + 1;
    Lb *= nb[i];
  }
  if (x->rank != 3 || k < 1 || Kb < 1 || x->shape[1] % Kb || x->shape[2] != Lb || !m_isf(x)) {
    diag_error(b->d, b->loc, "Col2Im: input %s does not fit the image and block shapes", shape_str(b->p->a, x->rank, x->shape));
    return NULL;
  }
  if (Kb * Lb * P > ((int64_t)1 << 24)) {
    diag_error(b->d, b->loc, "unsupported: Col2Im this large (its map has %lld entries)", (long long)(Kb * Lb * P));
    return NULL;
  }
  int64_t N = x->shape[0], C = x->shape[1] / Kb;
  void *m = arena_alloc(b->p->a, (size_t)(Kb * Lb * P) * (size_t)dtype_info[x->dt].size + 1);
  if (!m) return NULL;
  for (int64_t o = 0; o < Kb; o++)
    for (int64_t l = 0; l < Lb; l++) {
      int64_t ro = o, rl = l, p = 0;
      bool ok = true;
      int64_t off[MAX_RANK], bl[MAX_RANK];
      for (int i = k - 1; i >= 0; i--) off[i] = ro % blk[i], ro /= blk[i], bl[i] = rl % nb[i], rl /= nb[i];
      for (int i = 0; i < k; i++) {
        int64_t q = bl[i] * st[i] - pd[i] + off[i] * dl[i];
        ok &= q >= 0 && q < img[i];
        p = p * img[i] + q;
      }
      if (ok) raw_set_f(x->dt, m, (o * Lb + l) * P + p, raw_get_f(x->dt, m, (o * Lb + l) * P + p) + 1);
    }
  Value *M = b_const(b, x->dt, 2, (int64_t[]){Kb * Lb, P}, m);
  Value *y = b_matmul(b, b_reshape(b, x, 3, (int64_t[]){N, C, Kb * Lb}), M);
  int64_t os[MAX_RANK];
  os[0] = N, os[1] = C;
  for (int i = 0; i < k; i++) os[2 + i] = img[i];
  return b_reshape(b, y, k + 2, os);
}

/* the block shapes of k dims whose product is Kb and that give L blocks
 * over img (at most 8, beyond: -1) */
static int col2im_blocks(int k, int64_t Kb, int64_t L, const int64_t *img, const int64_t *dl, const int64_t *st,
                         const int64_t *pd, int64_t (*cand)[MAX_RANK]) {
  int nc = 0;
  int64_t c[MAX_RANK];
  for (int i = 0; i < k; i++) c[i] = 1;
  for (;;) {
    int64_t prod = 1, nb = 1;
    for (int i = 0; i < k; i++) prod *= c[i];
    if (prod == Kb) {
      for (int i = 0; i < k; i++) {
        int64_t span = img[i] + pd[i] + pd[i + k] - dl[i] * (c[i] - 1) - 1;
        nb *= span < 0 ? 0 : span / st[i] + 1;
      }
      if (nb == L) {
        if (nc == 8) return -1;
        for (int i = 0; i < k; i++) cand[nc][i] = c[i];
        nc++;
      }
    }
    int i = 0; /* next divisor vector */
    while (i < k) {
      do c[i]++;
      while (c[i] <= Kb && Kb % c[i]);
      if (c[i] <= Kb) break;
      c[i++] = 1;
    }
    if (i == k) return nc;
  }
}

/* Col2Im; an image_shape given at run time is the declared output shape
 * (checked), a block_shape given at run time one of the shapes that fit the
 * input (one result each, selected at run time, checked). */
int d_col2im(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int64_t img[MAX_RANK], blk[MAX_RANK], dl[MAX_RANK], pd[2 * MAX_RANK], st[MAX_RANK], v[2 * MAX_RANK], D[MAX_RANK];
  bool rimg = !b_is_const(in[1]), rblk = !b_is_const(in[2]);
  int k = rimg ? (int)b_numel(in[1]) : b_const_ints(b, in[1], img, MAX_RANK, "Col2Im image_shape");
  if (k < 0 || k > MAX_RANK - 2) {
    if (k >= 0) diag_error(b->d, b->loc, "Col2Im: image_shape of %d dims", k);
    return -1;
  }
  if (b_numel(in[2]) != k || (!rblk && b_const_ints(b, in[2], blk, MAX_RANK, "Col2Im block_shape") != k)) {
    if (!b->d->nerr) diag_error(b->d, b->loc, "Col2Im: image_shape and block_shape must have equal lengths");
    return -1;
  }
  for (int i = 0; i < k; i++) dl[i] = st[i] = 1, pd[i] = pd[i + k] = 0;
  if (d_ints(b, "dilations", v, MAX_RANK) == k)
    for (int i = 0; i < k; i++) dl[i] = v[i];
  if (d_ints(b, "strides", v, MAX_RANK) == k)
    for (int i = 0; i < k; i++) st[i] = v[i];
  if (d_ints(b, "pads", v, 2 * MAX_RANK) == 2 * k)
    for (int i = 0; i < 2 * k; i++) pd[i] = v[i];
  for (int i = 0; i < k; i++)
    if (st[i] < 1 || dl[i] < 1) {
      diag_error(b->d, b->loc, "Col2Im: strides and dilations must be >= 1");
      return -1;
    }
  if (rimg || rblk) {
    if (!b_declared_for(b, 0, k + 2, D, rimg ? "Col2Im image_shape" : "Col2Im block_shape")) return -1;
    if (x->rank != 3 || D[0] != x->shape[0] || D[1] < 1 || x->shape[1] % D[1]) {
      diag_error(b->d, b->loc, "Col2Im: input %s does not fit the declared output shape %s",
                 shape_str(b->p->a, x->rank, x->shape), shape_str(b->p->a, k + 2, D));
      return -1;
    }
  }
  Value *ok = b_scalar(b, DT_BOOL, 1);
  if (rimg) {
    for (int i = 0; i < k; i++) img[i] = D[2 + i];
    ok = b_all(b, b_eq_ints(b, in[1], k, img));
  }
  if (!rblk) {
    Value *y = col2im(b, x, k, img, blk, dl, st, pd);
    if (rimg && b_check(b, ok, arena_printf(b->p->a, "image_shape is the declared %s", shape_str(b->p->a, k + 2, D))))
      return -1;
    out[0] = y;
    return y ? 0 : -1;
  }
  int64_t cand[8][MAX_RANK];
  int nc = col2im_blocks(k, x->shape[1] / D[1], x->shape[2], img, dl, st, pd, cand);
  if (nc <= 0) {
    diag_error(b->d, b->loc, nc ? "unsupported: Col2Im block_shape computed at run time, and more than 8 fit the input "
                                  "(use --freeze)"
                                : "Col2Im: no block_shape fits the input and the declared output shape");
    return -1;
  }
  Value *sel[8], *res[8], *any = NULL;
  for (int c = 0; c < nc; c++) {
    sel[c] = b_all(b, b_eq_ints(b, in[2], k, cand[c]));
    any = any ? b_binary(b, OP_OR, any, sel[c]) : sel[c];
    if (!(res[c] = col2im(b, x, k, img, cand[c], dl, st, pd))) return -1;
  }
  if (b_check(b, b_binary(b, OP_AND, ok, any),
              arena_printf(b->p->a, "image_shape and block_shape give the declared output shape %s",
                           shape_str(b->p->a, k + 2, D))))
    return -1;
  out[0] = b_select(b, nc, sel, res);
  return out[0] ? 0 : -1;
}

/* --------------------------------------------------------------- MaxUnpool */
int d_maxunpool(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *idx = in[1];
  int k = x->rank - 2;
  int64_t ks[3], st[3] = {1, 1, 1}, pd[6] = {0}, v[6], os[MAX_RANK];
  if (k < 1 || k > 3 || d_ints(b, "kernel_shape", ks, 3) != k || idx->rank != x->rank) {
    diag_error(b->d, b->loc, "MaxUnpool: kernel_shape must have %d values and indices the input's shape", k);
    return -1;
  }
  if (d_ints(b, "strides", v, 3) == k)
    for (int i = 0; i < k; i++) st[i] = v[i];
  if (d_ints(b, "pads", v, 6) == 2 * k)
    for (int i = 0; i < 2 * k; i++) pd[i] = v[i];
  os[0] = x->shape[0], os[1] = x->shape[1];
  for (int i = 0; i < k; i++) os[2 + i] = (x->shape[2 + i] - 1) * st[i] - (pd[i] + pd[k + i]) + ks[i];
  int64_t P = shape_numel(x->rank, os), Q = b_numel(x), fs[MAX_RANK];
  if (P < 0 || P * Q > ((int64_t)1 << 24)) {
    diag_error(b->d, b->loc, "unsupported: MaxUnpool this large");
    return -1;
  }
  /* y[p] = x[q] where indices[q] == p (flat over the inferred shape) */
  Value *iq = b_reshape(b, b_cast(b, idx, DT_I64), 2, (int64_t[]){1, Q});
  Value *match = b_binary(b, OP_CMPEQ, iq, b_iota(b, DT_I64, 2, (int64_t[]){P, 1}, 0, 0, 1));
  Value *xq = b_reshape(b, x, 2, (int64_t[]){1, Q});
  Value *y = b_reduce(b, OP_RSUM, b_where(b, match, xq, m_sc(b, x, 0)), 2, false);
  y = b_reshape(b, y, x->rank, os);
  if (nin > 2 && in[2]) { /* output_shape: zero-padded at the end */
    bool rt = !b_is_const(in[2]); /* given at run time: the declared shape, checked */
    int n = rt ? (b_declared_for(b, 0, x->rank, fs, "MaxUnpool output_shape") ? (int)b_numel(in[2]) : -1)
               : b_const_ints(b, in[2], fs, MAX_RANK, "MaxUnpool output_shape");
    if (rt && n == x->rank &&
        b_check(b, b_eq_ints(b, in[2], n, fs),
                arena_printf(b->p->a, "output_shape is the declared %s", shape_str(b->p->a, n, fs))))
      return -1;
    if (n != x->rank) {
      if (n >= 0) diag_error(b->d, b->loc, "MaxUnpool: output_shape must have rank %d", x->rank);
      return -1;
    }
    int64_t lo[MAX_RANK] = {0}, hi[MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
      hi[i] = fs[i] - os[i];
      if (hi[i] < 0) {
        diag_error(b->d, b->loc, "MaxUnpool: output_shape smaller than the inferred shape");
        return -1;
      }
    }
    y = b_pad(b, y, lo, hi, PAD_CONSTANT, 0);
  }
  out[0] = y;
  return y ? 0 : -1;
}

/* --------------------------------------------------------------------- Det */
int d_det(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  int r = x->rank;
  if (r < 2 || x->shape[r - 1] != x->shape[r - 2] || !m_isf(x)) {
    diag_error(b->d, b->loc, "Det needs float [.., M, M]");
    return -1;
  }
  int64_t M = x->shape[r - 1];
  if (M > 6) {
    diag_error(b->d, b->loc, "unsupported: Det of %lldx%lld matrices (at most 6x6)", (long long)M, (long long)M);
    return -1;
  }
  /* entries a[i][j] as [..] values */
  Value *a[6][6];
  int64_t st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
  for (int i = 0; i < r; i++) sp[i] = 1, sh[i] = x->shape[i];
  sh[r - 1] = sh[r - 2] = 1;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) {
      st[r - 2] = i, st[r - 1] = j;
      a[i][j] = b_reshape(b, b_slice(b, x, st, sp, sh), r - 2, x->shape);
      if (!a[i][j]) return -1;
    }
  /* Leibniz: sum over permutations (Heap's order) of sign * prod a[i][p(i)] */
  int p[6], c[6] = {0}, sign = 1;
  for (int i = 0; i < M; i++) p[i] = i;
  Value *sum = NULL;
  for (;;) {
    Value *t = a[0][p[0]];
    for (int i = 1; i < M; i++) t = b_binary(b, OP_MUL, t, a[i][p[i]]);
    sum = !sum ? (sign > 0 ? t : b_unary(b, OP_NEG, t)) : b_binary(b, sign > 0 ? OP_ADD : OP_SUB, sum, t);
    if (!sum) return -1;
    int i = 1;
    while (i < M && c[i] >= i) c[i++] = 0;
    if (i >= M) break;
    int j = i % 2 ? c[i] : 0, tmp = p[j];
    p[j] = p[i];
    p[i] = tmp;
    c[i]++;
    sign = -sign;
  }
  out[0] = M == 0 ? b_expand(b, m_sc(b, x, 1), r - 2, x->shape) : sum;
  return out[0] ? 0 : -1;
}

/* -------------------------------------------------------------------- STFT */
/* STFT: frames at f*step + j, windowed, DFT'd. A frame_step given at run
 * time is used as given (gather positions computed from it, clamped) with
 * the frame count checked against the declared shape; a frame_length given
 * at run time is one of the (at most 2) lengths that give the declared
 * shape, one result per length, selected at run time. */
int d_stft(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *win = nin > 2 && in[2] && b_numel(in[2]) ? in[2] : NULL;
  Value *rstep = b_is_const(in[1]) ? NULL : in[1], *rfl = nin > 3 && in[3] && !b_is_const(in[3]) ? in[3] : NULL;
  bool one = d_int(b, "onesided", 1) != 0;
  int64_t step = 1, fl = -1, D[MAX_RANK];
  if (!rstep && m_const_int(b, in[1], &step, "STFT frame_step")) return -1;
  if (nin > 3 && in[3] && !rfl && m_const_int(b, in[3], &fl, "STFT frame_length")) return -1;
  if ((rstep && b_numel(rstep) != 1) || (rfl && b_numel(rfl) != 1)) {
    diag_error(b->d, b->loc, "STFT: frame_step and frame_length must have one element");
    return -1;
  }
  if (x->rank != 3 || (x->shape[2] != 1 && x->shape[2] != 2) || step < 1 || !m_isf(x)) {
    diag_error(b->d, b->loc, "STFT: signal must be [batch, length, 1 or 2] and frame_step >= 1");
    return -1;
  }
  if ((rstep || rfl) && !b_declared_for(b, 0, 4, D, rstep ? "STFT frame_step" : "STFT frame_length")) return -1;
  int64_t len = x->shape[1], cand[2] = {-1, -1};
  if (fl < 0 && win) fl = win->shape[0];
  if (fl < 0 && !rfl) fl = len;
  if (fl >= 0) cand[0] = fl;
  else if (one) cand[0] = 2 * (D[2] - 1), cand[1] = 2 * D[2] - 1;
  else cand[0] = D[2];
  Value *sel[2], *res[2], *any = NULL, *ok = b_scalar(b, DT_BOOL, 1), *sv = NULL;
  if (rstep) {
    sv = b_elem(b, rstep, 0, DT_I64);
    ok = b_binary(b, OP_CMPLE, b_scalar(b, DT_I64, 1), sv);
    sv = b_clamp(b, sv, 1, (double)(len > 1 ? len : 1));
  }
  int nc = 0;
  for (int c = 0; c < 2; c++) {
    int64_t l = cand[c];
    if (l < 1 || l > len) continue;
    int64_t nf = rstep ? D[1] : (len - l) / step + 1;
    bool fits = !(rstep || rfl) || (D[0] == x->shape[0] && D[1] == nf && D[2] == (one ? l / 2 + 1 : l) && D[3] == 2);
    if (!fits || nf < 1 || nf * l > (1 << 22)) continue;
    Value *ix;
    if (!rstep) {
      int64_t *t = arena_alloc(b->p->a, sizeof(int64_t) * (size_t)(nf * l));
      if (!t) return -1;
      for (int64_t f = 0; f < nf; f++)
        for (int64_t j = 0; j < l; j++) t[f * l + j] = f * step + j;
      ix = b_const(b, DT_I64, 2, (int64_t[]){nf, l}, t);
    } else {
      Value *f = b_iota(b, DT_I64, 2, (int64_t[]){nf, 1}, 0, 0, 1), *j = b_iota(b, DT_I64, 2, (int64_t[]){1, l}, 1, 0, 1);
      ix = b_index(b, b_binary(b, OP_ADD, b_binary(b, OP_MUL, f, sv), j), len);
    }
    Value *frames = b_gather(b, x, ix, 1); /* [B, nf, fl, c] */
    if (win) frames = b_binary(b, OP_MUL, frames, b_reshape(b, b_cast(b, win, x->dt), 2, (int64_t[]){l, 1}));
    if (!frames) return -1;
    res[nc] = m_dft(b, frames, 2, l, false, one);
    if (!res[nc]) return -1;
    Value *t = rstep ? b_binary(b, OP_CMPEQ,
                                b_binary(b, OP_ADD, b_binary(b, OP_DIV, b_scalar(b, DT_I64, (double)(len - l)), sv),
                                         b_scalar(b, DT_I64, 1)),
                                b_scalar(b, DT_I64, (double)nf))
                     : b_scalar(b, DT_BOOL, 1);
    if (rfl) t = b_binary(b, OP_AND, t, b_binary(b, OP_CMPEQ, b_elem(b, rfl, 0, DT_I64), b_scalar(b, DT_I64, (double)l)));
    sel[nc] = t;
    any = any ? b_binary(b, OP_OR, any, t) : t;
    nc++;
  }
  if (!nc) {
    if (rstep || rfl)
      diag_error(b->d, b->loc, "STFT: no frame length gives the declared output shape %s", shape_str(b->p->a, 4, D));
    else
      diag_error(b->d, b->loc, "STFT: frame_length %lld does not fit a signal of %lld", (long long)fl, (long long)len);
    return -1;
  }
  if ((rstep || rfl) && b_check(b, b_binary(b, OP_AND, ok, any),
                                arena_printf(b->p->a, "frame_step and frame_length give the declared output shape %s",
                                             shape_str(b->p->a, 4, D))))
    return -1;
  out[0] = b_select(b, nc, sel, res);
  return out[0] ? 0 : -1;
}

/* ---------------------------------------------------------- MelWeightMatrix */
/* the arguments at run time: num_mel_bins and dft_length / 2 + 1 from the
 * declared output shape [nspec, nmel] (checked), the bin edges computed in
 * f64 like the ONNX reference (log10, then a power of 10 and a floor
 * division), the triangles on a [nspec, nmel] grid, and a check that the
 * edges fall inside the spectrum */
static int mel_runtime(B *b, Value **in, DType dt, Value **out) {
  int64_t D[2];
  if (!b_declared_for(b, 0, 2, D, "MelWeightMatrix arguments")) return -1;
  int64_t nspec = D[0], nmel = D[1], nb = nmel + 2;
  if (nmel < 1 || nspec < 1 || nmel > 4096 || nspec > (1 << 15)) {
    diag_error(b->d, b->loc, "MelWeightMatrix: the declared output shape [%lld, %lld] is out of range", (long long)nspec,
               (long long)nmel);
    return -1;
  }
  Value *a[5];
  static const char *const names[5] = {"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
                                       "upper_edge_hertz"};
  for (int i = 0; i < 5; i++)
    if (!(a[i] = b_scalar_of(b, in[i], DT_F64, names[i]))) return -1;
  Value *one = b_scalar(b, DT_F64, 1), *ln10 = b_scalar(b, DT_F64, log(10.0)), *s2595 = b_scalar(b, DT_F64, 2595);
  Value *s700 = b_scalar(b, DT_F64, 700);
  Value *half = b_unary(b, OP_FLOOR, b_binary(b, OP_DIV, a[1], b_scalar(b, DT_F64, 2)));
  Value *ok = b_binary(b, OP_CMPEQ, a[0], b_scalar(b, DT_F64, (double)nmel));
  ok = b_binary(b, OP_AND, ok, b_binary(b, OP_CMPEQ, b_binary(b, OP_ADD, half, one), b_scalar(b, DT_F64, (double)nspec)));
  ok = b_binary(b, OP_AND, ok, b_binary(b, OP_AND, b_binary(b, OP_CMPLE, one, a[1]), b_binary(b, OP_CMPLE, one, a[2])));
  Value *mel[2];
  for (int i = 0; i < 2; i++) /* 2595 log10(1 + f / 700) */
    mel[i] = b_binary(b, OP_MUL, s2595,
                      b_binary(b, OP_DIV, b_unary(b, OP_LOG, b_binary(b, OP_ADD, one, b_binary(b, OP_DIV, a[3 + i], s700))), ln10));
  Value *step = b_binary(b, OP_DIV, b_binary(b, OP_SUB, mel[1], mel[0]), b_scalar(b, DT_F64, (double)nb));
  Value *m = b_binary(b, OP_ADD, b_binary(b, OP_MUL, b_iota(b, DT_F64, 1, &nb, 0, 0, 1), step), mel[0]);
  Value *f = b_binary(b, OP_MUL, s700, b_binary(b, OP_SUB, b_binary(b, OP_POW, b_scalar(b, DT_F64, 10), b_binary(b, OP_DIV, m, s2595)), one));
  Value *fb = b_unary(b, OP_FLOOR, b_binary(b, OP_DIV, b_binary(b, OP_MUL, b_binary(b, OP_ADD, a[1], one), f), a[2]));
  Value *e[3];
  for (int k = 0; k < 3; k++)
    e[k] = b_reshape(b, b_slice(b, fb, (int64_t[]){k}, (int64_t[]){1}, &nmel), 2, (int64_t[]){1, nmel});
  Value *l = e[0], *c = e[1], *h = e[2], *z = b_scalar(b, DT_F64, 0);
  if (!l || !c || !h) return -1;
  Value *in_sp = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, z, l),
                          b_binary(b, OP_AND, b_binary(b, OP_CMPLT, h, b_scalar(b, DT_F64, (double)nspec + 1)),
                                   b_binary(b, OP_CMPLT, c, b_scalar(b, DT_F64, (double)nspec))));
  ok = b_binary(b, OP_AND, ok, b_all(b, in_sp));
  if (b_check(b, ok, arena_printf(b->p->a, "the arguments give the declared [%lld, %lld] and bin edges inside the "
                                           "spectrum", (long long)nspec, (long long)nmel)))
    return -1;
  Value *j = b_iota(b, DT_F64, 2, (int64_t[]){nspec, 1}, 0, 0, 1);
  Value *cl = b_binary(b, OP_SUB, c, l), *hc = b_binary(b, OP_SUB, h, c);
  Value *up = b_where(b, b_binary(b, OP_CMPEQ, cl, z), one, b_binary(b, OP_DIV, b_binary(b, OP_SUB, j, l), b_where(b, b_binary(b, OP_CMPEQ, cl, z), one, cl)));
  Value *down = b_binary(b, OP_DIV, b_binary(b, OP_SUB, h, j), b_where(b, b_binary(b, OP_CMPEQ, hc, z), one, hc));
  Value *in_up = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, l, j), b_binary(b, OP_CMPLE, j, c));
  Value *in_down = b_binary(b, OP_AND, b_binary(b, OP_CMPLE, c, j), b_binary(b, OP_CMPLT, j, h));
  Value *w = b_where(b, in_down, down, b_where(b, in_up, up, z));
  out[0] = b_cast(b, w, dt);
  return out[0] ? 0 : -1;
}

int d_melweightmatrix(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int64_t nmel, dft, rate;
  DType odt = dtype_from_onnx((int)d_int(b, "output_datatype", 1));
  for (int i = 0; i < 5; i++)
    if (!b_is_const(in[i])) {
      if (odt == DT_UNDEF || !dtype_info[odt].is_float) {
        diag_error(b->d, b->loc, "MelWeightMatrix: arguments out of range");
        return -1;
      }
      return mel_runtime(b, in, odt, out);
    }
  if (m_const_int(b, in[0], &nmel, "num_mel_bins") || m_const_int(b, in[1], &dft, "dft_length") ||
      m_const_int(b, in[2], &rate, "sample_rate"))
    return -1;
  if (!b_is_const(in[3]) || !b_is_const(in[4])) {
    diag_error(b->d, b->loc, "unsupported: MelWeightMatrix edges computed at run time (use --freeze)");
    return -1;
  }
  double lo = b_const_scalar(in[3]), hi = b_const_scalar(in[4]);
  DType dt = dtype_from_onnx((int)d_int(b, "output_datatype", 1));
  if (nmel < 1 || dft < 1 || rate < 1 || nmel > 4096 || dft > 1 << 16 || dt == DT_UNDEF || !dtype_info[dt].is_float) {
    diag_error(b->d, b->loc, "MelWeightMatrix: arguments out of range");
    return -1;
  }
  int64_t nspec = dft / 2 + 1, nb = nmel + 2;
  int64_t *fb = malloc(sizeof(int64_t) * (size_t)nb);
  double *w = calloc((size_t)(nspec * nmel), sizeof(double));
  if (!fb || !w) {
    free(fb);
    free(w);
    return -1;
  }
  double lm = 2595 * log1p(lo / 700) / log(10), hm = 2595 * log1p(hi / 700) / log(10), step = (hm - lm) / (double)nb;
  for (int64_t i = 0; i < nb; i++) {
    double f = 700 * expm1(((double)i * step + lm) / 2595 * log(10));
    fb[i] = (int64_t)floor((double)(dft + 1) * f / (double)rate);
  }
  int rc = 0;
  for (int64_t i = 0; i < nmel && !rc; i++) {
    int64_t l = fb[i], c = fb[i + 1], h = fb[i + 2];
    if (l < 0 || h >= nspec + 1 || c >= nspec) rc = -1;
    else if (c == l) w[c * nmel + i] = 1;
    else
      for (int64_t j = l; j <= c; j++) w[j * nmel + i] = (double)(j - l) / (double)(c - l);
    for (int64_t j = c; !rc && j < h; j++)
      if (j < nspec) w[j * nmel + i] = (double)(h - j) / (double)(h - c);
  }
  void *d = rc ? NULL : arena_alloc(b->p->a, (size_t)(nspec * nmel) * (size_t)dtype_info[dt].size);
  for (int64_t i = 0; d && i < nspec * nmel; i++) raw_set_f(dt, d, i, w[i]);
  free(fb);
  free(w);
  if (!d) {
    if (rc) diag_error(b->d, b->loc, "MelWeightMatrix: the frequency edges fall outside the spectrum");
    return -1;
  }
  out[0] = b_const(b, dt, 2, (int64_t[]){nspec, nmel}, d);
  return out[0] ? 0 : -1;
}

/* ------------------------------------------- MaxPool Indices, BatchNorm train */
/* the flat input index (over N, C, spatial; the spatial dims column-major
 * with storage_order 1) of each window's first maximum:
 * every kernel tap is a strided slice of the -inf padded input, compared in
 * row-major tap order */
Value *m_pool_indices(B *b, Value *x, const Params *pr, const int64_t *os) {
  int k = pr->nsp, r = x->rank;
  int64_t lo[MAX_RANK] = {0}, hi[MAX_RANK] = {0}, taps = 1, P = 1;
  for (int i = 0; i < k; i++) {
    lo[2 + i] = pr->plo[i];
    int64_t need = (os[2 + i] - 1) * pr->stride[i] + (pr->kernel[i] - 1) * pr->dil[i] + 1 - x->shape[2 + i] - pr->plo[i];
    hi[2 + i] = need > 0 ? need : 0;
    taps *= pr->kernel[i];
    P *= x->shape[2 + i];
  }
  Value *xp = b_pad(b, x, lo, hi, PAD_CONSTANT, -INFINITY), *bv = NULL, *bi = NULL;
  if (!xp || !m_isf(x)) {
    if (xp) diag_error(b->d, b->loc, "unsupported: MaxPool Indices of %s", dtype_info[x->dt].name);
    return NULL;
  }
  /* base index (n*C + c)*P over the output grid */
  Value *nc = b_binary(b, OP_ADD, b_binary(b, OP_MUL, b_iota(b, DT_I64, r, os, 0, 0, 1), b_scalar(b, DT_I64, (double)x->shape[1])),
                       b_iota(b, DT_I64, r, os, 1, 0, 1));
  nc = b_binary(b, OP_MUL, nc, b_scalar(b, DT_I64, (double)P));
  for (int64_t t = 0; t < taps; t++) {
    int64_t st[MAX_RANK] = {0}, sp[MAX_RANK], rem = t, kk[3];
    for (int i = k - 1; i >= 0; i--) kk[i] = rem % pr->kernel[i], rem /= pr->kernel[i];
    for (int i = 0; i < r; i++) sp[i] = 1;
    Value *idx = nc;
    bool colmajor = d_int(b, "storage_order", 0) != 0;
    for (int i = 0; i < k; i++) {
      int64_t stride = 1;
      for (int j = colmajor ? 0 : i + 1; j < (colmajor ? i : k); j++) stride *= x->shape[2 + j];
      st[2 + i] = kk[i] * pr->dil[i];
      sp[2 + i] = pr->stride[i];
      /* input position o*s - plo + k*d along dim i */
      Value *pos = b_binary(b, OP_ADD, b_iota(b, DT_I64, r, os, 2 + i, 0, (double)pr->stride[i]),
                            b_scalar(b, DT_I64, (double)(kk[i] * pr->dil[i] - pr->plo[i])));
      idx = b_binary(b, OP_ADD, idx, b_binary(b, OP_MUL, pos, b_scalar(b, DT_I64, (double)stride)));
    }
    Value *v = b_slice(b, xp, st, sp, os);
    if (!bv) {
      bv = v, bi = idx;
    } else {
      Value *upd = b_binary(b, OP_CMPLT, bv, v);
      bv = b_where(b, upd, v, bv);
      bi = b_where(b, upd, idx, bi);
    }
    if (!bv || !bi) return NULL;
  }
  return bi;
}

/* training mode: normalize with the batch statistics, and update the
 * running ones with momentum (opset >= 14 outputs: Y, mean, var) */
int m_batchnorm_train(B *b, Value **in, Value **out) {
  Value *x = in[0];
  if (m_opset(b) < 14 || x->rank < 2 || !m_isf(x)) {
    diag_error(b->d, b->loc, "unsupported: BatchNormalization training mode before opset 14");
    return -1;
  }
  int64_t C = x->shape[1], cnt = b_numel(x) / (C ? C : 1), cs[MAX_RANK];
  unsigned m = ((1u << x->rank) - 1) & ~2u;
  for (int i = 0; i < x->rank - 1; i++) cs[i] = i ? 1 : C;
  double eps = d_float(b, "epsilon", 1e-5), mom = d_float(b, "momentum", 0.9);
  Value *n = m_sc(b, x, (double)cnt);
  Value *mean = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, x, m, true), n);
  Value *dx = b_binary(b, OP_SUB, x, mean);
  Value *var = b_binary(b, OP_DIV, b_reduce(b, OP_RSUM, b_binary(b, OP_MUL, dx, dx), m, true), n);
  Value *y = b_binary(b, OP_DIV, dx, b_unary(b, OP_SQRT, b_binary(b, OP_ADD, var, m_sc(b, x, eps))));
  y = b_binary(b, OP_ADD, b_binary(b, OP_MUL, y, b_reshape(b, in[1], x->rank - 1, cs)), b_reshape(b, in[2], x->rank - 1, cs));
  out[0] = y;
  Value *m1 = b_reshape(b, mean, 1, &C), *v1 = b_reshape(b, var, 1, &C);
  if (b->nout > 1)
    out[1] = b_binary(b, OP_ADD, b_binary(b, OP_MUL, in[3], m_sc(b, x, mom)), b_binary(b, OP_MUL, m1, m_sc(b, x, 1 - mom)));
  if (b->nout > 2)
    out[2] = b_binary(b, OP_ADD, b_binary(b, OP_MUL, in[4], m_sc(b, x, mom)), b_binary(b, OP_MUL, v1, m_sc(b, x, 1 - mom)));
  return y ? 0 : -1;
}

/* ---------------------------------------------------------- TfIdfVectorizer */
/* count[g] = how often pool n-gram g occurs with its items d apart, for
 * every skip distance d (unigrams once), as sums of ANDed comparisons of
 * shifted slices of the input rows against g's items */
int d_tfidf(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = in[0];
  const Attr *pool = attr_find(b->n, "pool_int64s");
  int64_t minl = d_int(b, "min_gram_length", 1), maxl = d_int(b, "max_gram_length", 1), skip = d_int(b, "max_skip_count", 0);
  const char *mode = d_str(b, "mode", "TF");
  int m = !strcmp(mode, "TF") ? 0 : !strcmp(mode, "IDF") ? 1 : !strcmp(mode, "TFIDF") ? 2 : -1;
  const Attr *cnt = attr_find(b->n, "ngram_counts"), *idx = attr_find(b->n, "ngram_indexes");
  if (!pool || pool->type != AT_INTS || !cnt || cnt->type != AT_INTS || !idx || idx->type != AT_INTS) {
    diag_error(b->d, b->loc, "unsupported: TfIdfVectorizer without pool_int64s, ngram_counts and ngram_indexes");
    return -1;
  }
  if (m < 0 || (x->rank != 1 && x->rank != 2) || dtype_info[x->dt].is_float || minl < 1 || maxl < minl || skip < 0) {
    diag_error(b->d, b->loc, "TfIdfVectorizer: bad mode, gram lengths or input");
    return -1;
  }
  double w[4096];
  int nw = d_floats(b, "weights", w, 4096);
  int64_t osz = 0;
  for (int i = 0; i < idx->n; i++) osz = idx->ints[i] + 1 > osz ? idx->ints[i] + 1 : osz;
  bool one = x->rank == 1;
  Value *X = one ? b_reshape(b, x, 2, (int64_t[]){1, x->shape[0]}) : x;
  X = b_cast(b, X, DT_I64);
  if (!X || osz > 4096) return -1;
  int64_t Bn = X->shape[0], L = X->shape[1];
  Value **col = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(osz + 1));
  if (!col) return -1;
  int64_t id = 0;
  for (int c = 0; c < cnt->n; c++) {
    int64_t n = c + 1, st = cnt->ints[c], en = c + 1 < cnt->n ? cnt->ints[c + 1] : pool->n;
    for (int64_t g = st; g + n <= en; g += n, id++) {
      if (n < minl || n > maxl) continue;
      if (id >= idx->n) {
        diag_error(b->d, b->loc, "TfIdfVectorizer: more n-grams than ngram_indexes");
        return -1;
      }
      Value *sum = NULL;
      int64_t dmax = n == 1 ? 1 : skip + 1;
      for (int64_t d = 1; d <= dmax; d++) {
        int64_t len = L - d * (n - 1);
        if (len <= 0) continue;
        Value *hit = NULL;
        for (int64_t j = 0; j < n; j++) {
          Value *s = b_slice(b, X, (int64_t[]){0, j * d}, (int64_t[]){1, 1}, (int64_t[]){Bn, len});
          Value *e = b_binary(b, OP_CMPEQ, s, b_scalar(b, DT_I64, (double)pool->ints[g + j]));
          hit = hit ? b_binary(b, OP_AND, hit, e) : e;
        }
        Value *c1 = b_reduce(b, OP_RSUM, b_cast(b, hit, DT_F32), 2, true); /* [B, 1] */
        sum = sum ? b_binary(b, OP_ADD, sum, c1) : c1;
      }
      int64_t o = idx->ints[id];
      if (!sum) continue;
      col[o] = col[o] ? b_binary(b, OP_ADD, col[o], sum) : sum;
      if (!col[o]) return -1;
    }
  }
  for (int64_t o = 0; o < osz; o++) {
    if (!col[o]) col[o] = b_expand(b, b_scalar(b, DT_F32, 0), 2, (int64_t[]){Bn, 1});
    if (m == 1) col[o] = b_cast(b, b_binary(b, OP_CMPLT, b_scalar(b, DT_F32, 0), col[o]), DT_F32);
    if (m > 0 && nw > o) col[o] = b_binary(b, OP_MUL, col[o], b_scalar(b, DT_F32, w[o]));
    if (!col[o]) return -1;
  }
  Value *y = b_concat(b, (int)osz, col, 1);
  out[0] = one ? b_reshape(b, y, 1, &osz) : y;
  return out[0] ? 0 : -1;
}
