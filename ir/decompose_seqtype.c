/* decompose_seqtype.c: ONNX sequences and optionals, known at build time.
 *
 * A sequence (or optional) is a build-time list of tensor Values (VK_SEQ,
 * Value.seq): its length and its elements' shapes are fixed when the
 * program is built, its tensors are ordinary Values. So the sequence
 * operators are bookkeeping on that list (SequenceConstruct, Insert, At,
 * Erase, Length, SplitToSequence, ConcatFromSequence, SequenceMap run once
 * per element, Optional, OptionalHasElement, OptionalGetElement; Identity,
 * If with a build-time condition and Loop pass the lists through), and
 * positions must be build-time constants. A VK_SEQ never becomes a
 * primitive: any other operator given one is refused (d_takes_seq).
 *
 * At the program's edges the lists are flattened (docs/c-api.md, "Sequences
 * and optionals"): a sequence input `x` of n elements is n tensor inputs
 * `x.0` ... `x.<n-1>`, an optional input that holds a tensor is that tensor
 * as input `x`, one that holds nothing is no input at all; n and the shapes
 * come from BuildOpts.seq_* (--input-shape x=[AxB,C]; mlgen run: the input's
 * SequenceProto or OptionalProto file; --freeze makes them constants). Outputs the same way,
 * described by Program.gout. */
#include "decompose_more.h"

#include <string.h>

static Value *seq_new(B *b, bool opt, int n, Value **v, DType dt) {
  SeqV *s = arena_alloc(b->p->a, sizeof *s);
  Value *x = arena_alloc(b->p->a, sizeof *x);
  if (!s || !x) return NULL;
  s->opt = opt, s->n = n, s->dt = dt, s->none = opt && n == 0;
  s->v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(n + 1));
  if (!s->v) return NULL;
  if (n) memcpy(s->v, v, sizeof(Value *) * (size_t)n);
  x->id = -1, x->kind = VK_SEQ, x->dt = dt, x->rank = -1, x->seq = s, x->out_index = x->in_index = -1;
  return x;
}

static bool is_seq(const Value *v) { return v && v->kind == VK_SEQ && !v->seq->opt; }
static bool is_opt(const Value *v) { return v && v->kind == VK_SEQ && v->seq->opt; }

static bool need_seq(B *b, Value *v, int k) {
  if (is_seq(v)) return true;
  diag_error(b->d, b->loc, "%s: input %d must be a sequence%s", b->n->op, k + 1,
             is_opt(v) ? ", not an optional" : v ? ", not a tensor" : "");
  return false;
}

static bool need_tensor(B *b, Value *v, int k) {
  if (v && v->kind != VK_SEQ) return true;
  diag_error(b->d, b->loc, "%s: input %d must be a tensor", b->n->op, k + 1);
  return false;
}

/* a build-time position in [-n, n] (or [-n, n - 1] unless end_ok), normalized */
static int seq_pos(B *b, Value *p, int n, bool end_ok, int *out) {
  int64_t v;
  if (!b_is_const(p)) {
    diag_error(b->d, b->loc, "unsupported: %s at a position computed at run time (a sequence's structure is fixed "
                             "at build time)", b->n->op);
    return -1;
  }
  if (m_const_int(b, p, &v, "position")) return -1;
  int64_t hi = end_ok ? n : n - 1;
  if (v < -n || v > hi) {
    diag_error(b->d, b->loc, "%s: position %lld is out of range for a sequence of %d", b->n->op, (long long)v, n);
    return -1;
  }
  *out = (int)(v < 0 ? v + n : v);
  return 0;
}

static bool same_dt(B *b, DType a, DType c) {
  if (a == DT_UNDEF || c == DT_UNDEF || a == c) return true;
  diag_error(b->d, b->loc, "%s: a sequence of %s cannot hold %s", b->n->op, dtype_info[a].name, dtype_info[c].name);
  return false;
}

/* ------------------------------------------------------------- the ops */
static int d_seqconstruct(B *b, Value **in, int nin, Value **out) {
  DType dt = DT_UNDEF;
  for (int i = 0; i < nin; i++) {
    if (!need_tensor(b, in[i], i) || !same_dt(b, dt, in[i]->dt)) return -1;
    dt = in[i]->dt;
  }
  return (out[0] = seq_new(b, false, nin, in, dt)) ? 0 : -1;
}

static int d_seqempty(B *b, Value **in, int nin, Value **out) {
  (void)in, (void)nin;
  DType dt = DT_F32;
  if (attr_find(b->n, "dtype") && (dt = dtype_from_onnx((int)d_int(b, "dtype", 1))) == DT_UNDEF) {
    diag_error(b->d, d_attr_loc(b, "dtype"), "unsupported: SequenceEmpty dtype %lld", (long long)d_int(b, "dtype", 1));
    return -1;
  }
  return (out[0] = seq_new(b, false, 0, NULL, dt)) ? 0 : -1;
}

static int d_seqinsert(B *b, Value **in, int nin, Value **out) {
  if (!need_seq(b, in[0], 0) || !need_tensor(b, in[1], 1)) return -1;
  SeqV *s = in[0]->seq;
  int at = s->n;
  if (nin > 2 && in[2] && seq_pos(b, in[2], s->n, true, &at)) return -1;
  if (!same_dt(b, s->dt, in[1]->dt)) return -1;
  Value **v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(s->n + 1));
  if (!v) return -1;
  memcpy(v, s->v, sizeof(Value *) * (size_t)at);
  v[at] = in[1];
  memcpy(v + at + 1, s->v + at, sizeof(Value *) * (size_t)(s->n - at));
  return (out[0] = seq_new(b, false, s->n + 1, v, in[1]->dt)) ? 0 : -1;
}

static int d_seqerase(B *b, Value **in, int nin, Value **out) {
  if (!need_seq(b, in[0], 0)) return -1;
  SeqV *s = in[0]->seq;
  int at = s->n - 1;
  if (!s->n) {
    diag_error(b->d, b->loc, "SequenceErase: the sequence is empty");
    return -1;
  }
  if (nin > 1 && in[1] && seq_pos(b, in[1], s->n, false, &at)) return -1;
  Value **v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(s->n + 1));
  if (!v) return -1;
  memcpy(v, s->v, sizeof(Value *) * (size_t)at);
  memcpy(v + at, s->v + at + 1, sizeof(Value *) * (size_t)(s->n - at - 1));
  return (out[0] = seq_new(b, false, s->n - 1, v, s->dt)) ? 0 : -1;
}

static int d_seqat(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  int at;
  if (!need_seq(b, in[0], 0) || seq_pos(b, in[1], in[0]->seq->n, false, &at)) return -1;
  out[0] = in[0]->seq->v[at];
  return 0;
}

static int d_seqlength(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  if (!need_seq(b, in[0], 0)) return -1;
  return (out[0] = b_scalar(b, DT_I64, in[0]->seq->n)) ? 0 : -1;
}

/* SplitToSequence: split along axis into equal parts of `split` (a scalar),
 * the sizes a 1-D split gives, or (no split) parts of 1 with keepdims */
static int d_splittoseq(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *sp = nin > 1 ? in[1] : NULL;
  if (!need_tensor(b, x, 0)) return -1;
  int axis = b_axis(b, d_int(b, "axis", 0), x->rank ? x->rank : 1, "axis");
  if (axis < 0 || !x->rank) {
    if (!x->rank) diag_error(b->d, b->loc, "SplitToSequence: the input must have rank >= 1");
    return -1;
  }
  int64_t len = x->shape[axis], sizes[4096];
  int n = 0;
  bool keep = true;
  if (!sp) {
    keep = d_int(b, "keepdims", 1) != 0;
    if (len > 4096) goto too_many;
    for (n = 0; n < len; n++) sizes[n] = 1;
  } else {
    if (!b_is_const(sp)) {
      diag_error(b->d, b->loc, "unsupported: SplitToSequence with split sizes computed at run time");
      return -1;
    }
    if (sp->rank == 0) {
      int64_t c;
      if (m_const_int(b, sp, &c, "split")) return -1;
      if (c < 1) {
        diag_error(b->d, b->loc, "SplitToSequence: split %lld must be positive", (long long)c);
        return -1;
      }
      if ((len + c - 1) / c > 4096) goto too_many;
      for (int64_t at = 0; at < len; at += c) sizes[n++] = at + c <= len ? c : len - at;
    } else {
      int64_t k = b_numel(sp), sum = 0;
      if (k > 4096) goto too_many;
      if (b_const_ints(b, sp, sizes, 4096, "split") < 0) return -1;
      for (int i = 0; i < k; i++) sum += sizes[i];
      if (sum != len) {
        diag_error(b->d, b->loc, "SplitToSequence: split sizes add up to %lld, the axis has %lld", (long long)sum,
                   (long long)len);
        return -1;
      }
      n = (int)k;
    }
  }
  Value **v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(n + 1));
  if (!v) return -1;
  int64_t at = 0;
  for (int i = 0; i < n; i++) {
    int64_t start[MAX_RANK] = {0}, step[MAX_RANK], shape[MAX_RANK];
    for (int d = 0; d < x->rank; d++) step[d] = 1, shape[d] = x->shape[d];
    start[axis] = at, shape[axis] = sizes[i];
    at += sizes[i];
    v[i] = b_slice(b, x, start, step, shape);
    if (v[i] && !keep) {
      int64_t s2[MAX_RANK];
      int r = 0;
      for (int d = 0; d < x->rank; d++)
        if (d != axis) s2[r++] = x->shape[d];
      v[i] = b_reshape(b, v[i], r, s2);
    }
    if (!v[i]) return -1;
  }
  return (out[0] = seq_new(b, false, n, v, x->dt)) ? 0 : -1;
too_many:
  diag_error(b->d, b->loc, "unsupported: SplitToSequence into more than 4096 tensors");
  return -1;
}

/* ConcatFromSequence: Concat along axis, or (new_axis) stacked */
static int d_concatfromseq(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  if (!need_seq(b, in[0], 0)) return -1;
  SeqV *s = in[0]->seq;
  if (!s->n) {
    diag_error(b->d, b->loc, "unsupported: ConcatFromSequence of an empty sequence (no shape)");
    return -1;
  }
  bool newax = d_int(b, "new_axis", 0) != 0;
  int r = s->v[0]->rank + (newax ? 1 : 0);
  int axis = b_axis(b, d_int(b, "axis", 0), r, "axis");
  if (axis < 0) return -1;
  Value **v = s->v;
  if (newax) {
    v = arena_alloc(b->p->a, sizeof(Value *) * (size_t)s->n);
    if (!v) return -1;
    for (int i = 0; i < s->n; i++)
      if (!(v[i] = m_unsq(b, s->v[i], axis))) return -1;
  }
  return (out[0] = b_concat(b, s->n, v, axis)) ? 0 : -1;
}

/* SequenceMap: the body once per position; sequence inputs give their
 * element, tensor inputs themselves; each output collects a sequence */
static int d_seqmap(B *b, Value **in, int nin, Value **out) {
  const Attr *a = attr_find(b->n, "body");
  if (!a || a->type != AT_GRAPH || !a->g) {
    diag_error(b->d, b->loc, "SequenceMap: missing graph attribute 'body'");
    return -1;
  }
  if (!need_seq(b, in[0], 0)) return -1;
  int n = in[0]->seq->n, nout = b->nout;
  for (int i = 1; i < nin; i++)
    if (is_seq(in[i]) && in[i]->seq->n != n) {
      diag_error(b->d, b->loc, "SequenceMap: sequences of %d and %d elements", n, in[i]->seq->n);
      return -1;
    } else if (is_opt(in[i]) || !in[i]) {
      diag_error(b->d, b->loc, "SequenceMap: input %d must be a sequence or a tensor", i + 1);
      return -1;
    }
  Value **res = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(nout * n + 1)), *bin[64], *bout[8];
  if (!res || nin > 64 || nout > 8) return -1;
  if (n > mlg_limits.unroll - b->unrolled) { /* the Loop/Scan unrolling budget (decompose_ctl.c) */
    diag_limit(b->d, b->loc, "unroll", "unsupported: SequenceMap of %d more bodies would unroll more than %lld in all", n,
               (long long)mlg_limits.unroll);
    return -1;
  }
  b->unrolled += n;
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < nin; i++) bin[i] = is_seq(in[i]) ? in[i]->seq->v[j] : in[i];
    if (m_subgraph(b, a->g, bin, nin, bout, nout)) return -1;
    for (int k = 0; k < nout; k++) {
      if (!need_tensor(b, bout[k], k)) return -1;
      res[k * n + j] = bout[k];
    }
  }
  for (int k = 0; k < nout; k++)
    if (!(out[k] = seq_new(b, false, n, res + k * n, n ? res[k * n]->dt : DT_UNDEF))) return -1;
  return 0;
}

static int d_optional(B *b, Value **in, int nin, Value **out) {
  if (nin > 0 && in[0]) return (out[0] = seq_new(b, true, 1, in, in[0]->dt)) ? 0 : -1;
  return (out[0] = seq_new(b, true, 0, NULL, DT_UNDEF)) ? 0 : -1;
}

/* an omitted input, or an optional without a value: false; else true */
static int d_opthas(B *b, Value **in, int nin, Value **out) {
  bool has = nin > 0 && in[0] && !(is_opt(in[0]) && in[0]->seq->none);
  return (out[0] = b_scalar(b, DT_BOOL, has)) ? 0 : -1;
}

static int d_optget(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  if (!is_opt(in[0])) { /* a tensor or sequence is its own element */
    out[0] = in[0];
    return 0;
  }
  if (in[0]->seq->none) {
    diag_error(b->d, b->loc, "OptionalGetElement: the optional holds no value");
    return -1;
  }
  out[0] = in[0]->seq->v[0];
  return 0;
}

const DecOp d_seqtype_ops[] = {
    /* domain, name               min max out  rewrite */
    {"", "ConcatFromSequence", 1, 1, 1, d_concatfromseq},
    {"", "Optional", 0, 1, 1, d_optional},
    {"", "OptionalGetElement", 1, 1, 1, d_optget},
    {"", "OptionalHasElement", 0, 1, 1, d_opthas},
    {"", "SequenceAt", 2, 2, 1, d_seqat},
    {"", "SequenceConstruct", 1, -1, 1, d_seqconstruct},
    {"", "SequenceEmpty", 0, 0, 1, d_seqempty},
    {"", "SequenceErase", 1, 2, 1, d_seqerase},
    {"", "SequenceInsert", 2, 3, 1, d_seqinsert},
    {"", "SequenceLength", 1, 1, 1, d_seqlength},
    {"", "SequenceMap", 1, -1, 8, d_seqmap},
    {"", "SplitToSequence", 1, 2, 1, d_splittoseq},
};
const int d_seqtype_nops = (int)(sizeof d_seqtype_ops / sizeof d_seqtype_ops[0]);

/* the operators that may take a VK_SEQ: the table above, and those that
 * only pass values along */
bool d_takes_seq(const DecOp *op) {
  if (op >= d_seqtype_ops && op < d_seqtype_ops + d_seqtype_nops) return true;
  return !*op->domain && (!strcmp(op->name, "Identity") || !strcmp(op->name, "If") || !strcmp(op->name, "Loop"));
}

/* ------------------------------------------------------------- the edges */
/* binds graph input t (a sequence or optional) from BuildOpts.seq_* */
int d_bind_seq_input(B *b, const GTensor *t, const BuildOpts *o) {
  Loc loc = t->loc;
  if (!loc.node) loc.node = "";
  const SeqData *sd = NULL;
  bool frozen = false;
  for (int k = 0; o && k < o->nseq; k++)
    if (!strcmp(o->seq_name[k], t->name)) sd = o->seq_data[k], frozen = o->seq_frozen[k];
  const char *what = t->kind == GK_SEQ ? "sequence" : "optional";
  if (!sd) {
    diag_error(b->d, loc, "unsupported: %s input '%s' without its length and shapes (mlgen fixes them at build "
                          "time: --input-shape %s=[AxB,...] for mlgen build, its data with mlgen run --input %s=FILE.pb, or "
                          "--freeze)",
               what, t->name, t->name, t->name);
    return -1;
  }
  bool opt = t->kind != GK_SEQ;
  bool ok = opt ? sd->kind == GK_OPT || sd->kind == GK_OPTSEQ : sd->kind == GK_SEQ;
  if (!ok || (t->kind == GK_OPTSEQ && sd->kind == GK_OPT && !sd->none)) {
    diag_error(b->d, loc, "input '%s' is a%s %s, its data is not", t->name, opt ? "n" : "", what);
    return -1;
  }
  if (opt && sd->none) {
    Value *v = seq_new(b, true, 0, NULL, t->dt);
    return v && !map_put(b->p->a, &b->names, t->name, v) ? 0 : -1;
  }
  Value **el = arena_alloc(b->p->a, sizeof(Value *) * (size_t)(sd->n + 1));
  if (!el) return -1;
  b->loc = loc;
  for (int j = 0; j < sd->n; j++) {
    const TensorData *td = sd->t[j];
    bool fits = t->dt == DT_UNDEF || td->dt == t->dt;
    fits = fits && (t->rank < 0 || t->rank == td->rank);
    for (int i = 0; fits && t->rank >= 0 && i < t->rank; i++) fits = t->dims[i] < 0 || t->dims[i] == td->dims[i];
    if (!fits) {
      diag_error(b->d, loc, "input '%s': element %d is %s %s, the model declares %s %s", t->name, j,
                 dtype_info[td->dt].name, shape_str(b->p->a, td->rank, td->dims), dtype_info[t->dt].name,
                 t->rank < 0 ? "(any shape)" : shape_str(b->p->a, t->rank, t->dims));
      return -1;
    }
    b->vname = sd->kind == GK_OPT ? t->name : arena_printf(b->p->a, "%s.%d", t->name, j);
    if (frozen) {
      el[j] = b_const(b, td->dt, td->rank, td->dims, td->data);
    } else if ((el[j] = b_value(b, td->dt, td->rank, td->dims))) {
      el[j]->kind = VK_INPUT;
      el[j]->in_index = b->p->inputs.n;
      if (vec_push(b->p->a, &b->p->inputs, el[j])) return -1;
    }
    if (!el[j]) return -1;
  }
  DType dt = sd->n ? sd->t[0]->dt : t->dt;
  Value *v;
  if (sd->kind == GK_OPTSEQ) {
    Value *s = seq_new(b, false, sd->n, el, dt);
    v = s ? seq_new(b, true, 1, &s, dt) : NULL;
  } else {
    v = seq_new(b, opt, sd->n, el, dt);
  }
  return v && !map_put(b->p->a, &b->names, t->name, v) ? 0 : -1;
}

/* appends graph output t (value v) to the program's outputs, flattened */
int d_seq_output(B *b, const GTensor *t, Value *v, struct GOut *g) {
  Program *p = b->p;
  g->first = p->outputs.n;
  Value *s = v;
  g->kind = GK_TENSOR;
  if (is_opt(v)) {
    g->kind = GK_OPT;
    g->none = v->seq->none;
    s = v->seq->none ? NULL : v->seq->v[0];
    if (is_seq(s)) g->kind = GK_OPTSEQ;
  } else if (is_seq(v)) {
    g->kind = GK_SEQ;
  }
  if (t->kind != GK_TENSOR && t->kind != g->kind && !(t->kind == GK_OPTSEQ && g->kind == GK_OPT && g->none)) {
    static const char *const kn[] = {"a tensor", "a sequence", "an optional tensor", "an optional sequence"};
    diag_error(b->d, t->loc, "output '%s' is declared %s but computes %s", t->name, kn[t->kind], kn[g->kind]);
    return -1;
  }
  int n = !s ? 0 : is_seq(s) ? s->seq->n : 1;
  g->n = n;
  for (int j = 0; j < n; j++) {
    Value *e = is_seq(s) ? s->seq->v[j] : s;
    const char *name = g->kind == GK_SEQ || g->kind == GK_OPTSEQ ? arena_printf(p->a, "%s.%d", t->name, j) : t->name;
    if (e->out_index < 0) e->out_index = p->outputs.n;
    if (vec_push(p->a, &p->outputs, e) || vec_push(p->a, &p->out_names, (void *)name)) return -1;
  }
  return 0;
}
