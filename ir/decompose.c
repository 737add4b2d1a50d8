/* decompose.c: ONNX-level graph -> primitive program.
 *
 * Requires: a Graph checked by ir_check_graph (topological, names defined).
 * Provides: Program.values/nodes/inputs/outputs with every shape and dtype
 * known, constants folded.
 *
 * The driver binds input shapes (pins from --input-shape / the YAML wrapper),
 * turns initializers and frozen inputs into constants, then walks the nodes
 * and calls one rewrite per front-end op. The rewrites live in
 * decompose_*.c and are registered in the table at the bottom of
 * decompose_ops.c; each is a few lines over the b_* builder.
 */
#include "decompose.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------ attribute access */
static const Attr *attr_typed(B *b, const char *name, AttrType t1, AttrType t2) {
  const Attr *a = attr_find(b->n, name);
  if (!a) return NULL;
  if (a->type != t1 && a->type != t2) {
    static const char *const tn[] = {"an int", "a float", "a string", "a list of ints", "a list of floats",
                                     "a list of strings", "a tensor", "a graph"};
    Loc l = a->loc.file ? a->loc : b->loc;
    diag_error(b->d, l, "%s: attribute '%s' must be %s", b->n->op, name, tn[t1]);
    return NULL;
  }
  return a;
}

int64_t d_int(B *b, const char *name, int64_t def) {
  const Attr *a = attr_typed(b, name, AT_INT, AT_INT);
  return a ? a->i : def;
}

double d_float(B *b, const char *name, double def) {
  const Attr *a = attr_typed(b, name, AT_FLOAT, AT_INT);
  if (!a) return def;
  return a->type == AT_INT ? (double)a->i : a->f;
}

const char *d_str(B *b, const char *name, const char *def) {
  const Attr *a = attr_typed(b, name, AT_STRING, AT_STRING);
  return a ? a->s : def;
}

int d_ints(B *b, const char *name, int64_t *out, int max) {
  const Attr *a = attr_typed(b, name, AT_INTS, AT_INT);
  if (!a) return -1;
  if (a->type == AT_INT) {
    out[0] = a->i;
    return 1;
  }
  if (a->n > max) {
    diag_error(b->d, a->loc.file ? a->loc : b->loc, "%s: attribute '%s' has %d values, at most %d allowed",
               b->n->op, name, a->n, max);
    return -2;
  }
  for (int i = 0; i < a->n; i++) out[i] = a->ints[i];
  return a->n;
}

int d_floats(B *b, const char *name, double *out, int max) {
  const Attr *a = attr_typed(b, name, AT_FLOATS, AT_FLOAT);
  if (!a) return -1;
  if (a->type == AT_FLOAT) {
    out[0] = a->f;
    return 1;
  }
  int n = a->n < max ? a->n : max;
  for (int i = 0; i < n; i++) out[i] = a->floats[i];
  return n;
}

Loc d_attr_loc(B *b, const char *name) {
  const Attr *a = attr_find(b->n, name);
  return a && a->loc.file ? a->loc : b->loc;
}

/* Value for a TensorData (initializer, attribute). */
Value *d_tensor(B *b, const TensorData *t) {
  if (t->dt == DT_UNDEF) {
    diag_error(b->d, b->loc, "unsupported: a tensor without a dtype");
    return NULL;
  }
  if (dtype_onnx_only(t->dt)) return lb_const(b, t);
  return b_const(b, t->dt, t->rank, t->dims, t->data);
}

/* ------------------------------------------------------------- the driver */
static int bind_input(B *b, GTensor *t, const BuildOpts *o) {
  if (t->kind != GK_TENSOR) return d_bind_seq_input(b, t, o); /* decompose_seqtype.c */
  int rank = t->rank;
  int64_t dims[MAX_RANK];
  for (int i = 0; i < MAX_RANK; i++) dims[i] = i < rank ? t->dims[i] : 0;
  Loc loc = t->loc;
  if (!loc.node) loc.node = "";
  b->loc = loc; /* errors of the Value built below name the input */
  for (int k = 0; o && k < o->nfreeze; k++)
    if (!strcmp(o->freeze_name[k], t->name)) {
      TensorData *f = o->freeze_data[k];
      if (f->dt != t->dt && t->dt != DT_UNDEF) {
        diag_error(b->d, loc, "--freeze %s: file holds %s, the input is %s", t->name, dtype_info[f->dt].name,
                   dtype_info[t->dt].name);
        return -1;
      }
      b->vname = t->name;
      Value *v = d_tensor(b, f);
      return v && !map_put(b->p->a, &b->names, t->name, v) ? 0 : -1;
    }
  for (int k = 0; o && k < o->nshape; k++)
    if (!strcmp(o->shape_name[k], t->name)) {
      if (rank >= 0 && o->shape_rank[k] != rank) {
        diag_error(b->d, loc, "input '%s' has rank %d; the pinned shape %s has rank %d", t->name, rank,
                   shape_str(b->p->a, o->shape_rank[k], o->shape_dims[k]), o->shape_rank[k]);
        return -1;
      }
      for (int i = 0; i < o->shape_rank[k]; i++) {
        if (rank >= 0 && dims[i] >= 0 && dims[i] != o->shape_dims[k][i] && !t->sym[i]) {
          /* a fixed dim may be re-pinned only in its leading (batch) position */
          if (i != 0) {
            diag_error(b->d, loc, "input '%s' dim %d is fixed at %lld; cannot pin it to %lld", t->name, i,
                       (long long)dims[i], (long long)o->shape_dims[k][i]);
            return -1;
          }
        }
        dims[i] = o->shape_dims[k][i];
      }
      rank = o->shape_rank[k];
    }
  if (rank < 0) {
    diag_error(b->d, loc, "input '%s' has no shape; pin it with --input-shape %s=AxBx...", t->name, t->name);
    return -1;
  }
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0) {
      diag_error(b->d, loc, "input '%s' has a dynamic dimension '%s' (dim %d); pin it with --input-shape %s=...",
                 t->name, t->sym[i] ? t->sym[i] : "?", i, t->name);
      return -1;
    }
  if (t->dt == DT_UNDEF) {
    diag_error(b->d, loc, "input '%s' has an unsupported dtype", t->name);
    return -1;
  }
  b->vname = t->name;
  Value *v = dtype_onnx_only(t->dt) ? lb_input_value(b, t->dt, rank, dims) : b_value(b, t->dt, rank, dims);
  if (!v) return -1;
  v->kind = VK_INPUT;
  v->in_index = b->p->inputs.n;
  if (vec_push(b->p->a, &b->p->inputs, v)) return -1;
  if (dtype_onnx_only(t->dt) && !(v = lb_input(b, v, t->dt, rank, dims))) return -1; /* unpacked (lowbit.c) */
  return map_put(b->p->a, &b->names, t->name, v);
}

static int check_declared(B *b, const GTensor *t, const Value *v) {
  DType vdt = v->sem ? v->sem : v->dt;
  if (t->dt != DT_UNDEF && t->dt != vdt) {
    diag_error(b->d, t->loc, "output '%s' is declared %s but computes %s", t->name, dtype_info[t->dt].name,
               dtype_info[vdt].name);
    return -1;
  }
  if (t->rank >= 0 && t->rank != v->rank) {
    diag_error(b->d, t->loc, "output '%s' is declared with rank %d but computes %s", t->name, t->rank,
               shape_str(b->p->a, v->rank, v->shape));
    return -1;
  }
  for (int i = 0; t->rank >= 0 && i < t->rank; i++)
    if (t->dims[i] >= 0 && t->dims[i] != v->shape[i] && !t->sym[i]) {
      diag_error(b->d, t->loc, "output '%s' is declared %s but computes %s", t->name,
                 shape_str(b->p->a, t->rank, t->dims), shape_str(b->p->a, v->rank, v->shape));
      return -1;
    }
  return 0;
}

/* bit k: input k of op may be omitted ("") although k < min_in */
static unsigned required_but_omissible(const DecOp *op) {
  static const struct {
    const char *name;
    unsigned mask;
  } tab[] = {{"Loop", 0x3u} /* M, cond */, {"Scan", 0x1u} /* Scan-8's sequence_lens */};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (!strcmp(op->name, tab[i].name) && !*op->domain) return tab[i].mask;
  return 0;
}

/* Decomposes the nodes of g (also used for subgraphs: If branches). */
int d_nodes(B *b, Graph *g) {
  for (int i = 0; i < g->nodes.n; i++) {
    GNode *n = g->nodes.v[i];
    b->n = n;
    b->loc = n->loc;
    if (!b->loc.node) b->loc.node = "";
    b->origin = n->name && *n->name ? arena_printf(b->p->a, "%s %s", n->op, n->name)
                                    : arena_printf(b->p->a, "%s", n->op);
    const DecOp *op = d_find(n->domain, n->op);
    if (!op) {
      diag_error(b->d, n->op_loc.line ? n->op_loc : b->loc, "unsupported: %s opset %d (no such operator in mlgen)", n->op,
                 n->opset ? n->opset : g->opset);
      return -1;
    }
    if (n->nin < op->min_in || (op->max_in >= 0 && n->nin > op->max_in)) {
      if (op->max_in == op->min_in)
        diag_error(b->d, b->loc, "%s expects %d input%s, got %d", n->op, op->min_in, op->min_in == 1 ? "" : "s",
                   n->nin);
      else if (op->max_in < 0)
        diag_error(b->d, b->loc, "%s expects at least %d inputs, got %d", n->op, op->min_in, n->nin);
      else
        diag_error(b->d, b->loc, "%s expects %d to %d inputs, got %d", n->op, op->min_in, op->max_in, n->nin);
      return -1;
    }
    if (n->nout < 1 || n->nout > op->max_out) {
      diag_error(b->d, b->loc, "unsupported: %s with %d outputs (mlgen computes at most %d here)", n->op, n->nout,
                 op->max_out);
      return -1;
    }
    Value *in[64] = {0}, *out[8] = {0};
    if (n->nin > 64) {
      diag_error(b->d, b->loc, "%s: too many inputs (%d)", n->op, n->nin);
      return -1;
    }
    for (int k = 0; k < n->nin; k++) {
      if (!n->in[k][0]) {
        /* omitted ("") is for optional inputs: those past min_in of an op
         * with a fixed count, and the few below it the spec lets go; the
         * first min_in and a variadic op's list (Concat, Sum, ...) are
         * required */
        bool optional = k < op->min_in ? k < 32 && (required_but_omissible(op) >> k & 1u) : op->max_in >= 0;
        if (!optional) {
          Loc l = n->in_loc ? n->in_loc[k] : b->loc;
          if (!l.node) l.node = "";
          diag_error(b->d, l, "%s input %d is required, but its name is empty (omitted)", n->op, k + 1);
          return -1;
        }
        continue;
      }
      in[k] = map_get(&b->names, n->in[k]);
      if (!in[k]) {
        Loc l = n->in_loc ? n->in_loc[k] : b->loc;
        if (!l.node) l.node = "";
        diag_error(b->d, l, "tensor '%s' is not defined", n->in[k]);
        return -1;
      }
      if (in[k]->kind == VK_SEQ && !d_takes_seq(op)) {
        diag_error(b->d, b->loc, "unsupported: %s of a%s ('%s')", n->op, in[k]->seq->opt ? "n optional" : " sequence",
                   n->in[k]);
        return -1;
      }
    }
    int first = b->p->values.n, nerr = b->d->nerr;
    b->nout = n->nout;
    if (lb_check_inputs(b, n, in)) return -1;
    if (op->fn(b, in, n->nin, out) || b->d->nerr != nerr) {
      if (b->d->nerr == nerr) diag_error(b->d, b->loc, "%s: cannot decompose", n->op);
      return -1;
    }
    lb_pass_on(n, in, out, first);
    for (int k = 0; k < n->nout; k++) {
      if (!n->out[k][0]) continue;
      if (!out[k]) {
        diag_error(b->d, b->loc, "unsupported: %s output %d ('%s')", n->op, k, n->out[k]);
        return -1;
      }
      if (out[k]->id >= first && out[k]->kind != VK_INPUT) out[k]->name = n->out[k];
      if (map_put(b->p->a, &b->names, n->out[k], out[k])) return -1;
    }
  }
  return 0;
}

int ir_decompose(Graph *g, const BuildOpts *o, Program *p, Diags *d) {
  p->name = g->name;
  p->file = g->file;
  if (!p->fold_limit) p->fold_limit = (int64_t)1 << 22;
  Graph folded; /* BatchNorm folded into the conv before it (fold_bn.c) */
  if (!(o && o->no_graph_folds)) {
    if (ir_fold_bn(p->a, g, &folded)) {
      diag_error(d, (Loc){.file = g->file, .node = ""}, "out of memory");
      return -1;
    }
    g = &folded;
  }
  B b = {.p = p, .d = d, .g = g, .opts = o};
  for (int i = 0; i < g->inputs.n; i++)
    if (bind_input(&b, g->inputs.v[i], o)) return -1;
  for (int i = 0; i < g->inits.n; i++) {
    GTensor *t = g->inits.v[i];
    b.loc = t->loc;
    if (!b.loc.node) b.loc.node = "";
    b.vname = t->name;
    Value *v = d_tensor(&b, t->init);
    if (!v || map_put(p->a, &b.names, t->name, v)) return -1;
  }
  /* a pin that names no input declares the shape of that tensor (b_declared):
   * it must name a node's output, which must come out with that shape */
  for (int k = 0; o && k < o->nshape; k++) {
    bool found = false;
    for (int i = 0; i < g->inputs.n && !found; i++) found = !strcmp(((GTensor *)g->inputs.v[i])->name, o->shape_name[k]);
    for (int i = 0; i < g->nodes.n && !found; i++) {
      const GNode *n = g->nodes.v[i];
      for (int j = 0; j < n->nout && !found; j++) found = !strcmp(n->out[j], o->shape_name[k]);
    }
    if (!found) {
      diag_error(d, (Loc){.file = g->file, .node = ""}, "--input-shape %s: the model has no tensor of that name",
                 o->shape_name[k]);
      return -1;
    }
  }
  if (d_nodes(&b, g)) return -1;
  for (int k = 0; o && k < o->nshape; k++) {
    bool input = false;
    for (int i = 0; i < g->inputs.n; i++) input |= !strcmp(((GTensor *)g->inputs.v[i])->name, o->shape_name[k]);
    if (input) continue;
    Value *v = map_get(&b.names, o->shape_name[k]);
    Loc l = {.file = g->file, .node = ""};
    if (!v || v->kind == VK_SEQ) continue; /* not computed (a dead branch), or a sequence */
    bool same = v->rank == o->shape_rank[k];
    for (int i = 0; same && i < v->rank; i++) same = v->shape[i] == o->shape_dims[k][i];
    if (!same) {
      diag_error(d, l, "--input-shape %s=%s: the model computes %s", o->shape_name[k],
                 shape_str(p->a, o->shape_rank[k], o->shape_dims[k]), shape_str(p->a, v->rank, v->shape));
      return -1;
    }
  }
  /* sequences and optionals are flattened (Program.gout, decompose_seqtype.c) */
  bool flat = false;
  for (int i = 0; i < g->outputs.n; i++) {
    GTensor *t = g->outputs.v[i];
    Value *v = map_get(&b.names, t->name);
    flat |= t->kind != GK_TENSOR || (v && v->kind == VK_SEQ);
  }
  if (flat && !(p->gout = arena_alloc(p->a, sizeof(struct GOut) * (size_t)(g->outputs.n + 1)))) return -1;
  p->ngout = flat ? g->outputs.n : 0;
  for (int i = 0; i < g->outputs.n; i++) {
    GTensor *t = g->outputs.v[i];
    Value *v = map_get(&b.names, t->name);
    if (!v) {
      Loc l = t->loc;
      if (!l.node) l.node = "";
      diag_error(d, l, "output '%s' is not produced by any node", t->name);
      return -1;
    }
    if (flat) {
      if (d_seq_output(&b, t, v, &p->gout[i])) return -1;
      if (i == g->outputs.n - 1 && !p->outputs.n) {
        diag_error(d, (Loc){.file = g->file, .node = ""}, "unsupported: outputs that hold no tensor at all (empty "
                                                          "sequences and optionals)");
        return -1;
      }
      continue;
    }
    if (check_declared(&b, t, v)) return -1;
    if (v->sem) { /* as ONNX stores it: packed, or the bits (lowbit.c) */
      b.loc = (Loc){.file = g->file, .node = t->name};
      if (!(v = lb_output(&b, v))) return -1;
    }
    if (v->out_index < 0) v->out_index = p->outputs.n;
    if (vec_push(p->a, &p->outputs, v) || vec_push(p->a, &p->out_names, (void *)t->name)) return -1;
  }
  return 0;
}
