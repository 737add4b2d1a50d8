/* decompose_ctl.c: control flow (If, Loop, Scan) and the quantization
 * operators of ai.onnx. Registered in d_more_ops (decompose_more.c).
 *
 * There is no control flow in the primitive program: a subgraph is
 * decomposed inline by d_nodes with its inputs bound to Values.
 *   If    a build-time condition picks its branch; a run-time one computes
 *         both and selects with WHERE (the branches must agree in shape).
 *   Loop  unrolled; the trip count and the condition of every iteration
 *         known at build time, or, given at run time, the iteration count
 *         fixed by a declared scan output shape and checked at run time.
 *   Scan  unrolled over the (static) scan length.
 * Names defined inside a body are restored afterwards, so an iteration or
 * a branch never leaks its tensors into the enclosing graph. */
#include "decompose_more.h"

#include <string.h>

/* Unrolling is bounded by one total over the whole build (mlg_limits.unroll,
 * in B.unrolled), so nested Loops cannot multiply their trip counts. */

/* counts n more unrolled iterations; -1 with an error past the limit */
static int unroll_budget(B *b, int64_t n, const char *what) {
  if (n > mlg_limits.unroll - b->unrolled) {
    diag_limit(b->d, b->loc, "unroll", "unsupported: %s of %lld more iterations would unroll more than %lld in all",
               what, (long long)n, (long long)mlg_limits.unroll);
    return -1;
  }
  b->unrolled += n;
  return 0;
}

/* --------------------------------------------------------- subgraph runs */
typedef struct {
  const GNode *n;
  Loc loc;
  const char *origin;
  int nout;
  int nsaved;
  const char **names;
  void **vals;
} Saved;

/* remembers the bindings a body may overwrite (its inputs and node outputs) */
static int save_scope(B *b, Graph *g, Saved *s) {
  s->n = b->n;
  s->loc = b->loc;
  s->origin = b->origin;
  s->nout = b->nout;
  int cnt = g->inputs.n;
  for (int i = 0; i < g->nodes.n; i++) cnt += ((GNode *)g->nodes.v[i])->nout;
  s->names = arena_alloc(b->p->a, sizeof(char *) * (size_t)(cnt + 1));
  s->vals = arena_alloc(b->p->a, sizeof(void *) * (size_t)(cnt + 1));
  if (!s->names || !s->vals) return -1;
  s->nsaved = 0;
  for (int i = 0; i < g->inputs.n; i++) s->names[s->nsaved++] = ((GTensor *)g->inputs.v[i])->name;
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.v[i];
    for (int k = 0; k < n->nout; k++)
      if (n->out[k][0]) s->names[s->nsaved++] = n->out[k];
  }
  for (int i = 0; i < s->nsaved; i++) s->vals[i] = map_get(&b->names, s->names[i]);
  return 0;
}

static int restore_scope(B *b, Saved *s) {
  b->n = s->n;
  b->loc = s->loc;
  b->origin = s->origin;
  b->nout = s->nout;
  for (int i = 0; i < s->nsaved; i++)
    if (map_put(b->p->a, &b->names, s->names[i], s->vals[i])) return -1;
  return 0;
}

/* decomposes body g with its inputs bound to in[], its outputs into out[] */
static int run_body(B *b, Graph *g, Value **in, int nin, Value **out, int nout) {
  if (g->inputs.n != nin || g->outputs.n != nout) {
    diag_error(b->d, b->loc, "%s: the body has %d inputs and %d outputs, expected %d and %d", b->n->op, g->inputs.n,
               g->outputs.n, nin, nout);
    return -1;
  }
  for (int i = 0; i < nin; i++)
    if (map_put(b->p->a, &b->names, ((GTensor *)g->inputs.v[i])->name, in[i])) return -1;
  for (int i = 0; i < g->inits.n; i++) {
    GTensor *t = g->inits.v[i];
    Value *v = d_tensor(b, t->init);
    if (!v || map_put(b->p->a, &b->names, t->name, v)) return -1;
  }
  if (ir_check_graph(g, b->d) || d_nodes(b, g)) return -1;
  for (int i = 0; i < nout; i++) {
    const char *name = ((GTensor *)g->outputs.v[i])->name;
    out[i] = map_get(&b->names, name);
    if (!out[i]) {
      diag_error(b->d, b->loc, "%s: body output '%s' is not produced", b->n->op, name);
      return -1;
    }
  }
  return 0;
}

/* a subgraph run as a function of its inputs (FlexAttention's score_mod,
 * ...): its names are restored afterwards */
int m_subgraph(B *b, Graph *g, Value **in, int nin, Value **out, int nout) {
  Saved s;
  if (save_scope(b, g, &s) || run_body(b, g, in, nin, out, nout)) return -1;
  return restore_scope(b, &s);
}

static Graph *body_attr(B *b, const char *name) {
  const Attr *a = attr_find(b->n, name);
  if (!a || a->type != AT_GRAPH || !a->g) {
    diag_error(b->d, b->loc, "%s: missing graph attribute '%s'", b->n->op, name);
    return NULL;
  }
  return a->g;
}

/* ---------------------------------------------------------------------- If */
int d_if(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Graph *gt = body_attr(b, "then_branch"), *ge = body_attr(b, "else_branch");
  if (!gt || !ge) return -1;
  Value *c = in[0];
  int nout = b->nout;
  if (b_numel(c) != 1) {
    diag_error(b->d, b->loc, "If: the condition must have one element");
    return -1;
  }
  Value *vt[64], *ve[64];
  if (nout > 64) return -1;
  Saved s;
  if (b_is_const(c)) {
    Graph *g = b_const_scalar(c) != 0 ? gt : ge;
    if (save_scope(b, g, &s) || run_body(b, g, NULL, 0, vt, nout)) return -1;
    for (int i = 0; i < nout; i++) out[i] = vt[i];
    return restore_scope(b, &s);
  }
  if (save_scope(b, gt, &s) || run_body(b, gt, NULL, 0, vt, nout) || restore_scope(b, &s)) return -1;
  if (save_scope(b, ge, &s) || run_body(b, ge, NULL, 0, ve, nout) || restore_scope(b, &s)) return -1;
  Value *cs = b_reshape(b, b_cast(b, c, DT_BOOL), 0, NULL);
  for (int i = 0; i < nout; i++) {
    if (vt[i]->kind == VK_SEQ || ve[i]->kind == VK_SEQ) {
      diag_error(b->d, b->loc, "unsupported: If with a run-time condition whose branches give sequences or optionals "
                               "(their structure is fixed at build time)");
      return -1;
    }
    bool same = vt[i]->rank == ve[i]->rank && vt[i]->dt == ve[i]->dt;
    for (int k = 0; same && k < vt[i]->rank; k++) same = vt[i]->shape[k] == ve[i]->shape[k];
    if (!same) {
      diag_error(b->d, b->loc, "unsupported: If with a run-time condition whose branches give %s %s and %s %s",
                 dtype_info[vt[i]->dt].name, shape_str(b->p->a, vt[i]->rank, vt[i]->shape), dtype_info[ve[i]->dt].name,
                 shape_str(b->p->a, ve[i]->rank, ve[i]->shape));
      return -1;
    }
    out[i] = b_where(b, cs, vt[i], ve[i]);
    if (!out[i]) return -1;
  }
  return 0;
}

/* stacks k >= 1 values of equal shape along a new axis at `axis` */
static Value *stack(B *b, Value **v, int k, int axis) {
  Value **u = arena_alloc(b->p->a, sizeof(Value *) * (size_t)k);
  if (!u) return NULL;
  for (int i = 0; i < k; i++) {
    u[i] = m_unsq(b, v[i], axis);
    if (!u[i]) return NULL;
    if (u[i]->rank != u[0]->rank || u[i]->dt != u[0]->dt) {
      diag_error(b->d, b->loc, "unsupported: %s scan outputs that change shape between iterations", b->n->op);
      return NULL;
    }
  }
  return b_concat(b, k, u, axis);
}

/* -------------------------------------------------------------------- Loop */
/* A trip count or condition given at run time: the declared shape of the
 * first scan output fixes the iteration count T. T iterations unrolled,
 * each body given cond = true, and a check that the loop runs exactly T:
 * the condition holds before each of them, the trip count is at least T,
 * and it is T or the condition fails after the last. Without a condition
 * input (a for loop, whose body condition ONNX ignores) the trip count must
 * be T and, to agree with either reading, the body's condition true until
 * the last iteration. */
static int loop_runtime(B *b, Graph *g, Value **in, int nin, Value **out) {
  int nv = nin - 2, nout = b->nout, nscan = nout - nv;
  int64_t D[MAX_RANK], T = -1;
  int rank;
  for (int i = 0; i < nscan && T < 0; i++)
    if (b_declared(b, nv + i, &rank, D) && rank >= 1) T = D[0];
  if (T < 0) {
    diag_error(b->d, b->loc, "unsupported: Loop trip count or condition computed at run time, and no scan output "
                             "declares its shape (declare one in value_info or the graph outputs, or pin the graph "
                             "input with --freeze)");
    return -1;
  }
  if (T == 0) {
    diag_error(b->d, b->loc, "unsupported: Loop scan output of zero iterations (its shape is unknown)");
    return -1;
  }
  if (unroll_budget(b, T, "Loop")) return -1;
  Value *cond = in[1], *go = cond ? b_scalar_of(b, cond, DT_BOOL, "the condition") : NULL;
  Value *ok = go ? go : b_scalar(b, DT_BOOL, 1), *state[64], *bin[66], *bout[130];
  Value **scans = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(T * (nscan ? nscan : 1)));
  if (!scans || !ok) return -1;
  for (int i = 0; i < nv; i++) state[i] = in[2 + i];
  Saved s;
  if (save_scope(b, g, &s)) return -1;
  for (int64_t it = 0; it < T; it++) {
    bin[0] = b_scalar(b, DT_I64, (double)it);
    bin[1] = b_scalar(b, DT_BOOL, 1);
    for (int i = 0; i < nv; i++) bin[2 + i] = state[i];
    if (run_body(b, g, bin, 2 + nv, bout, 1 + nv + nscan)) return -1;
    b->n = s.n, b->loc = s.loc, b->origin = s.origin, b->nout = s.nout;
    go = b_scalar_of(b, bout[0], DT_BOOL, "the condition");
    if (it + 1 < T) ok = b_binary(b, OP_AND, ok, go);
    for (int i = 0; i < nv; i++) state[i] = bout[1 + i];
    for (int i = 0; i < nscan; i++) scans[it * nscan + i] = bout[1 + nv + i];
  }
  if (restore_scope(b, &s)) return -1;
  Value *stop = cond ? b_unary(b, OP_NOT, go) : b_scalar(b, DT_BOOL, 0); /* after the last iteration */
  if (in[0]) {
    Value *m = b_scalar_of(b, in[0], DT_I64, "the trip count"), *t = b_scalar(b, DT_I64, (double)T);
    ok = b_binary(b, OP_AND, ok, b_binary(b, OP_CMPLE, t, m));
    stop = b_binary(b, OP_OR, stop, b_binary(b, OP_CMPEQ, t, m));
  }
  if (b_check(b, b_binary(b, OP_AND, ok, stop),
              arena_printf(b->p->a, "the loop runs the %lld iterations of the declared scan output", (long long)T)))
    return -1;
  for (int i = 0; i < nv; i++) out[i] = state[i];
  for (int i = 0; i < nscan; i++) {
    Value **v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)T);
    if (!v) return -1;
    for (int64_t k = 0; k < T; k++) v[k] = scans[k * nscan + i];
    out[nv + i] = stack(b, v, (int)T, 0);
    if (!out[nv + i]) return -1;
  }
  return 0;
}

int d_loop(B *b, Value **in, int nin, Value **out) {
  Graph *g = body_attr(b, "body");
  if (!g) return -1;
  int nv = nin - 2, nout = b->nout, nscan = nout - nv;
  if (nv < 0 || nscan < 0 || nv > 64 || nscan > 64) {
    diag_error(b->d, b->loc, "Loop: %d inputs and %d outputs do not fit", nin, nout);
    return -1;
  }
  int64_t trip = -1;
  Value *cond = in[1];
  if ((in[0] && !b_is_const(in[0])) || (cond && !b_is_const(cond))) return loop_runtime(b, g, in, nin, out);
  if (in[0] && m_const_int(b, in[0], &trip, "Loop trip count")) return -1;
  bool go = !cond || b_const_scalar(cond) != 0;
  if (trip < 0 && !cond) {
    diag_error(b->d, b->loc, "unsupported: Loop without a trip count or condition");
    return -1;
  }
  Value *state[64], *bin[66], *bout[130];
  /* a trip count (and no condition) past the budget: refused before the first iteration */
  if (go && !cond && trip > mlg_limits.unroll - b->unrolled) return unroll_budget(b, trip, "Loop");
  int64_t cap = 16;
  Value **scans = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(cap * (nscan ? nscan : 1)));
  if (!scans) return -1;
  for (int i = 0; i < nv; i++) state[i] = in[2 + i];
  Saved s;
  if (save_scope(b, g, &s)) return -1;
  int64_t it = 0;
  for (; go && (trip < 0 || it < trip); it++) {
    if (unroll_budget(b, 1, "Loop")) {
      restore_scope(b, &s);
      return -1;
    }
    if (it == cap) { /* the scan outputs so far, in a twice larger array */
      Value **more = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(2 * cap * (nscan ? nscan : 1)));
      if (!more) return -1;
      memcpy(more, scans, sizeof(Value *) * (size_t)(cap * nscan));
      scans = more, cap *= 2;
    }
    bin[0] = b_scalar(b, DT_I64, (double)it);
    bin[1] = b_scalar(b, DT_BOOL, 1);
    for (int i = 0; i < nv; i++) bin[2 + i] = state[i];
    if (run_body(b, g, bin, 2 + nv, bout, 1 + nv + nscan)) return -1;
    b->n = s.n, b->loc = s.loc, b->origin = s.origin;
    if (!b_is_const(bout[0])) {
      diag_error(b->d, b->loc, "unsupported: Loop condition computed at run time in iteration %lld", (long long)it);
      return -1;
    }
    go = b_const_scalar(bout[0]) != 0;
    for (int i = 0; i < nv; i++) state[i] = bout[1 + i];
    for (int i = 0; i < nscan; i++) scans[it * nscan + i] = bout[1 + nv + i];
    for (int i = 0; i < nscan; i++)
      if (bout[1 + nv + i]->kind == VK_SEQ) {
        diag_error(b->d, b->loc, "unsupported: Loop scan output of sequences or optionals");
        return -1;
      }
  }
  if (restore_scope(b, &s)) return -1;
  for (int i = 0; i < nv; i++) out[i] = state[i];
  for (int i = 0; i < nscan; i++) {
    Value **v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(it + 1));
    if (!v) return -1;
    for (int64_t k = 0; k < it; k++) v[k] = scans[k * nscan + i];
    if (it == 0) {
      diag_error(b->d, b->loc, "unsupported: Loop scan output of zero iterations (its shape is unknown)");
      return -1;
    }
    out[nv + i] = stack(b, v, (int)it, 0);
    if (!out[nv + i]) return -1;
  }
  return 0;
}

/* -------------------------------------------------------------------- Scan */
/* one Scan over states st[ns] and scan inputs xs[nx] (no batch axis) */
static int scan_once(B *b, Graph *g, Value **st, int ns, Value **xs, int nx, int nscan, Value **out, Saved *s) {
  int64_t ax[64] = {0}, dir[64] = {0}, oax[64] = {0}, odir[64] = {0};
  int opset = m_opset(b);
  if (d_ints(b, "scan_input_axes", ax, 64) == -2 || d_ints(b, opset < 9 ? "directions" : "scan_input_directions", dir, 64) == -2 ||
      d_ints(b, "scan_output_axes", oax, 64) == -2 || d_ints(b, "scan_output_directions", odir, 64) == -2)
    return -1;
  int64_t T = -1;
  for (int i = 0; i < nx; i++) {
    int a = b_axis(b, ax[i], xs[i]->rank, "Scan input axis");
    if (a < 0) return -1;
    ax[i] = a;
    if (T >= 0 && xs[i]->shape[a] != T) {
      diag_error(b->d, b->loc, "Scan: scan inputs differ in length");
      return -1;
    }
    T = xs[i]->shape[a];
  }
  if (T < 0) {
    diag_error(b->d, b->loc, "unsupported: Scan over %lld steps", (long long)T);
    return -1;
  }
  if (unroll_budget(b, T, "Scan")) return -1;
  Value *state[64], *bin[128], *bout[128];
  Value **ys = arena_alloc(b->p->a, sizeof(Value *) * (size_t)((T ? T : 1) * (nscan ? nscan : 1)));
  if (!ys) return -1;
  for (int i = 0; i < ns; i++) state[i] = st[i];
  for (int64_t t = 0; t < T; t++) {
    for (int i = 0; i < ns; i++) bin[i] = state[i];
    for (int i = 0; i < nx; i++) {
      Value *x = xs[i];
      int64_t pos = dir[i] ? T - 1 - t : t, st0[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK], rs[MAX_RANK];
      for (int k = 0, j = 0; k < x->rank; k++) {
        sp[k] = 1;
        sh[k] = k == ax[i] ? 1 : x->shape[k];
        if (k != ax[i]) rs[j++] = x->shape[k];
      }
      st0[ax[i]] = pos;
      bin[ns + i] = b_reshape(b, b_slice(b, x, st0, sp, sh), x->rank - 1, rs);
      if (!bin[ns + i]) return -1;
    }
    if (run_body(b, g, bin, ns + nx, bout, ns + nscan)) return -1;
    b->n = s->n, b->loc = s->loc, b->origin = s->origin;
    for (int i = 0; i < ns; i++) state[i] = bout[i];
    for (int i = 0; i < nscan; i++) ys[t * nscan + i] = bout[ns + i];
  }
  for (int i = 0; i < ns; i++) out[i] = state[i];
  for (int i = 0; i < nscan; i++) {
    Value **v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(T + 1));
    if (!v) return -1;
    for (int64_t t = 0; t < T; t++) v[odir[i] ? T - 1 - t : t] = ys[t * nscan + i];
    if (T == 0) {
      diag_error(b->d, b->loc, "unsupported: Scan of length 0");
      return -1;
    }
    int a = b_axis(b, oax[i], v[0]->rank + 1, "Scan output axis");
    if (a < 0 || !(out[ns + i] = stack(b, v, (int)T, a))) return -1;
  }
  return 0;
}

int d_scan(B *b, Value **in, int nin, Value **out) {
  Graph *g = body_attr(b, "body");
  if (!g) return -1;
  int opset = m_opset(b), nx = (int)d_int(b, "num_scan_inputs", 0);
  int first = opset < 9 ? 1 : 0, ns = nin - first - nx, nscan = b->nout - ns;
  if (nx < 1 || ns < 0 || nscan < 0 || ns > 64 || nx > 64 || nscan > 64) {
    diag_error(b->d, b->loc, "Scan: num_scan_inputs %d does not fit %d inputs and %d outputs", nx, nin, b->nout);
    return -1;
  }
  Saved s;
  if (save_scope(b, g, &s)) return -1;
  int rc;
  if (opset >= 9) {
    rc = scan_once(b, g, in, ns, in + ns, nx, nscan, out, &s);
  } else { /* opset 8: a leading batch axis, scanned per batch entry */
    if (in[0]) {
      diag_error(b->d, b->loc, "unsupported: Scan (opset 8) with sequence_lens");
      restore_scope(b, &s);
      return -1;
    }
    Value **xs = in + 1;
    int64_t Bn = xs[0]->shape[0];
    Value *per[64][64], *st[64], *sx[64], *o[128];
    if (Bn > 64) {
      restore_scope(b, &s);
      diag_error(b->d, b->loc, "unsupported: Scan (opset 8) over a batch of %lld", (long long)Bn);
      return -1;
    }
    rc = 0;
    for (int64_t bi = 0; bi < Bn && !rc; bi++) {
      for (int i = 0; i < ns + nx; i++) {
        Value *x = xs[i];
        int64_t st0[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
        for (int k = 0; k < x->rank; k++) sp[k] = 1, sh[k] = k ? x->shape[k] : 1;
        st0[0] = bi;
        Value *v = b_reshape(b, b_slice(b, x, st0, sp, sh), x->rank - 1, x->shape + 1);
        if (i < ns) st[i] = v;
        else sx[i - ns] = v;
      }
      /* opset 8 scans axis 0 of each (unbatched) input */
      rc = scan_once(b, g, st, ns, sx, nx, nscan, o, &s);
      for (int i = 0; i < ns + nscan && !rc; i++) per[i][bi] = o[i];
    }
    for (int i = 0; i < ns + nscan && !rc; i++) {
      out[i] = stack(b, per[i], (int)Bn, 0);
      if (!out[i]) rc = -1;
    }
  }
  if (restore_scope(b, &s)) return -1;
  return rc;
}

/* ------------------------------------------------------------ quantization */
/* a scale or zero point made broadcastable to x: scalar, per-axis (1-D) or
 * blocked (repeated block_size times along axis, cropped) */
static Value *qparam(B *b, Value *v, const Value *x, int axis, int64_t bs) {
  if (!v) return NULL;
  if (b_numel(v) == 1) return b_reshape(b, v, 0, NULL);
  int64_t s[MAX_RANK];
  if (axis < 0 || axis >= x->rank) {
    diag_error(b->d, b->loc, "%s: axis %d out of range for rank %d", b->n->op, axis, x->rank);
    return NULL;
  }
  if (!bs) {
    if (v->rank != 1 || v->shape[0] != x->shape[axis]) {
      diag_error(b->d, b->loc, "%s: a per-axis parameter %s does not match axis %d of %s", b->n->op,
                 shape_str(b->p->a, v->rank, v->shape), axis, shape_str(b->p->a, x->rank, x->shape));
      return NULL;
    }
    for (int i = 0; i < x->rank; i++) s[i] = i == axis ? x->shape[i] : 1;
    return b_reshape(b, v, x->rank, s);
  }
  if (v->rank != x->rank || bs < 1) {
    diag_error(b->d, b->loc, "%s: a blocked parameter must have the input's rank", b->n->op);
    return NULL;
  }
  int64_t nb = v->shape[axis], e[MAX_RANK], st[MAX_RANK] = {0}, sp[MAX_RANK], sh[MAX_RANK];
  Value *u = m_unsq(b, v, axis + 1);
  if (!u) return NULL;
  for (int i = 0; i < u->rank; i++) e[i] = i == axis + 1 ? bs : u->shape[i];
  for (int i = 0; i < v->rank; i++) s[i] = i == axis ? nb * bs : v->shape[i];
  u = b_reshape(b, b_expand(b, u, u->rank, e), v->rank, s);
  for (int i = 0; i < v->rank; i++) sp[i] = 1, sh[i] = i == axis ? x->shape[i] : v->shape[i];
  if (nb * bs < x->shape[axis]) {
    diag_error(b->d, b->loc, "%s: %lld blocks of %lld do not cover axis %d", b->n->op, (long long)nb, (long long)bs, axis);
    return NULL;
  }
  return b_slice(b, u, st, sp, sh);
}

static bool quant_type(DType t, double *lo, double *hi) {
  switch (t) {
  case DT_U8: *lo = 0, *hi = 255; return true;
  case DT_I8: *lo = -128, *hi = 127; return true;
  case DT_U16: *lo = 0, *hi = 65535; return true;
  case DT_I16: *lo = -32768, *hi = 32767; return true;
  default: return false;
  }
}

/* saturate(round(v) + zp) into dt, v a float tensor */
static Value *requant(B *b, Value *v, Value *zp, DType dt) {
  double lo = 0, hi = 0;
  if (!quant_type(dt, &lo, &hi)) return NULL;
  Value *r = b_unary(b, OP_ROUND, v);
  if (zp) r = b_binary(b, OP_ADD, r, b_cast(b, zp, r->dt));
  r = b_binary(b, OP_MIN, b_binary(b, OP_MAX, r, m_sc(b, r, lo)), m_sc(b, r, hi));
  return b_cast(b, r, dt);
}

int d_quantizelinear(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *zp0 = nin > 2 ? in[2] : NULL;
  int axis = (int)d_int(b, "axis", 1); /* checked by qparam where it matters */
  int64_t bs = d_int(b, "block_size", 0);
  if (axis < 0) axis += x->rank;
  DType dt = zp0 ? (zp0->sem ? zp0->sem : zp0->dt)
                 : attr_find(b->n, "output_dtype") ? dtype_from_onnx((int)d_int(b, "output_dtype", 2)) : DT_U8;
  double lo, hi;
  if ((!quant_type(dt, &lo, &hi) && !dtype_onnx_only(dt)) || dt == DT_F8E8M0) { /* e8m0: no quantized type in ONNX */
    diag_error(b->d, b->loc, "unsupported: QuantizeLinear to %s (2- to 16-bit integers, float8 and float4 only)",
               dt == DT_UNDEF ? "this type" : dtype_info[dt].name);
    return -1;
  }
  Value *s = qparam(b, in[1], x, axis, bs), *zp = qparam(b, zp0, x, axis, bs);
  if (!s || (zp0 && !zp)) return -1;
  if (zp) zp->sem = zp0->sem; /* reshaped, still of its type (lowbit.c) */
  Value *xs = x;
  if (attr_find(b->n, "precision")) {
    DType p = dtype_from_onnx((int)d_int(b, "precision", 1));
    if (p == DT_UNDEF || !dtype_info[p].is_float) {
      diag_error(b->d, b->loc, "unsupported: QuantizeLinear precision");
      return -1;
    }
    xs = b_cast(b, x, p);
    s = b_cast(b, s, p);
  } else if (s->dt != x->dt) {
    DType p = dtype_info[s->dt].size > dtype_info[x->dt].size ? s->dt : x->dt;
    xs = b_cast(b, x, p);
    s = b_cast(b, s, p);
  }
  Value *v = b_binary(b, OP_DIV, xs, s);
  if (dtype_onnx_only(dt) && dtype_info[dt].is_float) /* float8, float4 (lowbit.c) */
    out[0] = lb_requant_float(b, v, zp, dt, d_int(b, "saturate", 1) != 0);
  else if (dtype_onnx_only(dt))
    out[0] = lb_requant(b, v, zp, dt);
  else
    out[0] = requant(b, v, zp, dt);
  return out[0] ? 0 : -1;
}

int d_dequantizelinear(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *zp0 = nin > 2 ? in[2] : NULL;
  int axis = (int)d_int(b, "axis", 1); /* checked by qparam where it matters */
  if (axis < 0) axis += x->rank;
  if (((m_isf(x) || x->dt == DT_BOOL) && !x->sem) || x->sem == DT_F8E8M0) {
    diag_error(b->d, b->loc, "unsupported: DequantizeLinear of %s", dtype_info[x->sem ? x->sem : x->dt].name);
    return -1;
  }
  int64_t bs = d_int(b, "block_size", 0);
  Value *s = qparam(b, in[1], x, axis, bs), *zp = qparam(b, zp0, x, axis, bs);
  if (!s || (zp0 && !zp)) return -1;
  if (zp) zp->sem = zp0->sem; /* reshaped, still of its type (lowbit.c) */
  DType odt = attr_find(b->n, "output_dtype") ? dtype_from_onnx((int)d_int(b, "output_dtype", 1)) : s->dt;
  if (odt == DT_UNDEF || !dtype_info[odt].is_float) {
    diag_error(b->d, b->loc, "unsupported: DequantizeLinear output_dtype");
    return -1;
  }
  Value *dx = lb_to_float(b, x, DT_F32); /* float8: decoded (lowbit.c) */
  if (zp) dx = b_binary(b, OP_SUB, dx, lb_to_float(b, zp, DT_F32));
  out[0] = b_cast(b, b_binary(b, OP_MUL, dx, b_cast(b, s, DT_F32)), odt);
  return out[0] ? 0 : -1;
}

int d_dynamicquantizelinear(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *x = b_cast(b, in[0], DT_F32);
  if (!x) return -1;
  unsigned all = x->rank ? (1u << x->rank) - 1 : 0;
  Value *zero = m_sc(b, x, 0);
  Value *mx = b_binary(b, OP_MAX, zero, b_reduce(b, OP_RMAX, x, all, false));
  Value *mn = b_binary(b, OP_MIN, zero, b_reduce(b, OP_RMIN, x, all, false));
  Value *rng = b_where(b, b_binary(b, OP_CMPEQ, mx, mn), m_sc(b, x, 1), b_binary(b, OP_SUB, mx, mn));
  Value *scale = b_binary(b, OP_DIV, rng, m_sc(b, x, 255));
  Value *zp = b_binary(b, OP_SUB, zero, b_binary(b, OP_DIV, mn, scale));
  zp = b_unary(b, OP_ROUND, b_binary(b, OP_MIN, b_binary(b, OP_MAX, zp, zero), m_sc(b, x, 255)));
  out[0] = requant(b, b_binary(b, OP_DIV, x, scale), zp, DT_U8);
  if (b->nout > 1) out[1] = b_cast(b, scale, in[0]->dt);
  if (b->nout > 2) out[2] = b_cast(b, zp, DT_U8);
  return out[0] ? 0 : -1;
}

/* x - zp in int32 (zp scalar, or per row / per column as `zshape` says) */
static Value *sub_zp(B *b, Value *x, Value *zp, int rank, const int64_t *zshape) {
  Value *r = b_cast(b, x, DT_I32);
  if (!zp) return r;
  Value *z = b_numel(zp) == 1 ? b_reshape(b, zp, 0, NULL) : b_reshape(b, zp, rank, zshape);
  return b_binary(b, OP_SUB, r, b_cast(b, z, DT_I32));
}

int d_matmulinteger(B *b, Value **in, int nin, Value **out) {
  Value *A = in[0], *Bm = in[1];
  if (A->rank < 2 || Bm->rank < 2) {
    diag_error(b->d, b->loc, "unsupported: MatMulInteger of 1-D operands");
    return -1;
  }
  Value *a = sub_zp(b, A, nin > 2 ? in[2] : NULL, 2, (int64_t[]){A->shape[A->rank - 2], 1});
  Value *c = sub_zp(b, Bm, nin > 3 ? in[3] : NULL, 1, (int64_t[]){Bm->shape[Bm->rank - 1]});
  out[0] = b_matmul(b, a, c);
  return out[0] ? 0 : -1;
}

int d_qlinearmatmul(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *a = in[0], *as = in[1], *az = in[2], *bm = in[3], *bs = in[4], *bz = in[5], *ys = in[6], *yz = in[7];
  if (a->rank < 2 || bm->rank < 2 || b_numel(as) != 1 || b_numel(bs) != 1 || b_numel(ys) != 1) {
    diag_error(b->d, b->loc, "unsupported: QLinearMatMul with per-axis scales or 1-D operands");
    return -1;
  }
  Value *A = sub_zp(b, a, az, 0, NULL), *Bq = sub_zp(b, bm, bz, 0, NULL);
  Value *C = b_cast(b, b_matmul(b, A, Bq), DT_F64);
  Value *k = b_binary(b, OP_DIV, b_binary(b, OP_MUL, b_reshape(b, as, 0, NULL), b_reshape(b, bs, 0, NULL)), b_reshape(b, ys, 0, NULL));
  DType dt = yz ? yz->dt : a->dt;
  double lo, hi;
  if (!quant_type(dt, &lo, &hi)) {
    diag_error(b->d, b->loc, "unsupported: QLinearMatMul to %s", dtype_info[dt].name);
    return -1;
  }
  out[0] = requant(b, b_binary(b, OP_MUL, C, b_cast(b, k, DT_F64)), yz ? b_reshape(b, yz, 0, NULL) : NULL, dt);
  return out[0] ? 0 : -1;
}

/* ConvInteger / QLinearConv: the Conv rewrite over int32 operands */
int d_convinteger(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *w = in[1], *wz = nin > 3 ? in[3] : NULL, *cin[2];
  int64_t zs[MAX_RANK];
  for (int i = 0; i < w->rank; i++) zs[i] = i ? 1 : w->shape[0];
  cin[0] = sub_zp(b, x, nin > 2 ? in[2] : NULL, 0, NULL);
  cin[1] = sub_zp(b, w, wz, w->rank, zs);
  if (!cin[0] || !cin[1]) return -1;
  return d_conv(b, cin, 2, out);
}

int d_qlinearconv(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *xs = in[1], *xz = in[2], *w = in[3], *ws = in[4], *wz = in[5], *ys = in[6], *yz = in[7];
  Value *bias = nin > 8 ? in[8] : NULL, *cin[3], *r;
  int64_t zs[MAX_RANK];
  for (int i = 0; i < w->rank; i++) zs[i] = i ? 1 : w->shape[0];
  cin[0] = sub_zp(b, x, xz, 0, NULL);
  cin[1] = sub_zp(b, w, wz, w->rank, zs);
  cin[2] = bias ? b_cast(b, bias, DT_I32) : NULL;
  if (!cin[0] || !cin[1] || d_conv(b, cin, bias ? 3 : 2, &r)) return -1;
  Value *wsc = b_numel(ws) == 1 ? b_reshape(b, ws, 0, NULL) : b_reshape(b, ws, w->rank - 1, zs);
  Value *k = b_binary(b, OP_DIV, b_binary(b, OP_MUL, b_reshape(b, xs, 0, NULL), wsc), b_reshape(b, ys, 0, NULL));
  DType dt = yz ? yz->dt : x->dt;
  double lo, hi;
  if (!quant_type(dt, &lo, &hi)) {
    diag_error(b->d, b->loc, "unsupported: QLinearConv to %s", dtype_info[dt].name);
    return -1;
  }
  out[0] = requant(b, b_binary(b, OP_MUL, b_cast(b, r, DT_F64), b_cast(b, k, DT_F64)), yz ? b_reshape(b, yz, 0, NULL) : NULL, dt);
  return out[0] ? 0 : -1;
}
