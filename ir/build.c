/* build.c: primitive constructors with shape/dtype inference and eager
 * constant folding.
 *
 * Requires: input Values with known shapes. Provides: a new PNode appended
 * to the Program in topological order (or a VK_CONST Value when folded).
 * Folding runs the node through the reference interpreter (interp_node), so
 * build-time constants are computed by the same oracle the tests trust.
 */
#include "build.h"

#include <stdlib.h>
#include <string.h>

int64_t b_numel(const Value *v) { return shape_numel(v->rank, v->shape); }
bool b_is_const(const Value *v) { return v && v->kind == VK_CONST; }

#define MAX_NUMEL ((int64_t)1 << 40) /* elements, and strides, of one tensor */

Value *b_value(B *b, DType dt, int rank, const int64_t *shape) {
  Program *p = b->p;
  Value *v = arena_alloc(p->a, sizeof *v);
  if (!v) return NULL;
  v->id = p->values.n;
  v->dt = dt;
  v->rank = rank;
  for (int i = 0; i < rank; i++) v->shape[i] = shape[i];
  v->out_index = v->in_index = -1;
  v->name = b->vname ? b->vname : arena_printf(p->a, "t%d", v->id);
  b->vname = NULL;
  /* the product of the dims with zeros counted as 1 bounds every stride and
   * flat index (ex_flat), so [0, 2^62, 2^62], which has no elements, cannot
   * overflow them either */
  int64_t extent = 1;
  for (int i = 0; i < rank && extent >= 0; i++) {
    int64_t d = shape[i] ? shape[i] : 1;
    extent = d < 0 || d > MAX_NUMEL / extent ? -1 : extent * d;
  }
  if (extent < 0 || extent > MAX_NUMEL) {
    diag_error(b->d, b->loc, "tensor shape %s is too large", shape_str(p->a, rank, shape));
    return NULL;
  }
  if (vec_push(p->a, &p->values, v)) return NULL;
  return v;
}

Value *b_const(B *b, DType dt, int rank, const int64_t *shape, const void *data) {
  Value *v = b_value(b, dt, rank, shape);
  if (!v) return NULL;
  v->kind = VK_CONST;
  size_t n = (size_t)b_numel(v) * (size_t)dtype_info[dt].size;
  void *c = arena_alloc(b->p->a, n ? n : 1);
  if (!c) return NULL;
  if (n) memcpy(c, data, n);
  v->cdata = c;
  return v;
}

Value *b_const_strs(B *b, int rank, const int64_t *shape, const char *const *strs) {
  int64_t n = shape_numel(rank, shape);
  void *slots = n > 0 ? malloc((size_t)n * (size_t)dtype_info[DT_STRING].size) : NULL;
  if (n > 0 && !slots) return NULL;
  for (int64_t i = 0; i < n; i++) str_put(slots, i, strs[i]);
  Value *v = b_const(b, DT_STRING, rank, shape, slots);
  free(slots);
  return v;
}

Value *b_scalar(B *b, DType dt, double x) {
  unsigned char tmp[8];
  raw_set_f(dt, tmp, 0, x);
  return b_const(b, dt, 0, NULL, tmp);
}

double b_const_scalar(const Value *v) { return raw_get_f(v->dt, v->cdata, 0); }

/* Evaluates a node whose inputs are all constants. */
static Value *fold(B *b, PNode *n) {
  IBuf *bufs[8] = {0}, **ins = bufs, out = {0};
  int ok = -1;
  if (n->nin > 8) ins = calloc((size_t)n->nin, sizeof *ins);
  if (!ins) return NULL;
  for (int i = 0; i < n->nin; i++) {
    Value *v = n->in[i];
    int64_t m = b_numel(v);
    ins[i] = calloc(1, sizeof(IBuf));
    if (!ins[i]) goto done;
    ins[i]->dt = v->dt;
    ins[i]->n = m;
    ins[i]->u.f = malloc((size_t)(m ? m : 1) * 8);
    if (!ins[i]->u.f) goto done;
    for (int64_t k = 0; k < m; k++) {
      if (dtype_info[v->dt].is_float)
        ins[i]->u.f[k] = raw_get_f(v->dt, v->cdata, k);
      else
        ins[i]->u.i[k] = raw_get_i(v->dt, v->cdata, k);
    }
  }
  Value *o = n->out;
  int64_t m = b_numel(o);
  out.dt = o->dt;
  out.n = m;
  out.u.f = malloc((size_t)(m ? m : 1) * 8);
  if (!out.u.f) goto done;
  if (interp_node(n, ins, &out, b->d)) goto done;
  void *c = arena_alloc(b->p->a, (size_t)(m ? m : 1) * (size_t)dtype_info[o->dt].size);
  if (!c) goto done;
  for (int64_t k = 0; k < m; k++) {
    if (dtype_info[o->dt].is_float)
      raw_set_f(o->dt, c, k, out.u.f[k]);
    else
      raw_set_i(o->dt, c, k, out.u.i[k]);
  }
  o->kind = VK_CONST;
  o->cdata = c;
  if (o->name[0] == 't' && n->nin && n->in[0]->name[0] != 't') /* a default name: say where it came from */
  {
    char *nm = arena_printf(b->p->a, "%s_%s", n->in[0]->name, op_name[n->op]);
    for (char *c = nm + strlen(n->in[0]->name); nm && *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    o->name = nm;
  }
  o->src = NULL;
  ok = 0;
done:
  for (int i = 0; i < n->nin; i++)
    if (ins[i]) {
      free(ins[i]->u.f);
      free(ins[i]);
    }
  if (ins != bufs) free(ins);
  free(out.u.f);
  return ok ? NULL : n->out;
}

/* Strings are pointers: they may only be moved, selected and compared. */
static bool strings_ok(B *b, Op op, int nin, Value **in, DType dt, const Params *pr) {
  bool str = dt == DT_STRING;
  for (int i = 0; i < nin; i++) str |= in[i]->dt == DT_STRING;
  if (!str || op_takes_strings(op, pr ? pr->pad_mode : PAD_CONSTANT)) return true;
  diag_error(b->d, b->loc, "%s: unsupported on string tensors (%s; strings can only be moved, selected and compared "
             "for equality)", b->n ? b->n->op : op_name[op], op_name[op]);
  return false;
}

/* The dtypes column of ops.def: the value operands' dtype (WHERE's branches,
 * GATHER's data; IOTA's result) must be of an accepted class. Strings are
 * strings_ok's. */
static bool classes_ok(B *b, Op op, int nin, Value **in, DType dt) {
  DType x = nin ? in[op == OP_WHERE]->dt : dt;
  if (x == DT_STRING || op_accepts(op, x)) return true;
  unsigned m = op_info[op].dtypes;
  Buf words = {0}, list = {0};
  if (m & DTC_F) buf_puts(&words, "float");
  if (m & (DTC_S | DTC_U))
    buf_printf(&words, "%s%s", words.len ? " or " : "",
               (m & DTC_S) && (m & DTC_U) ? "integer" : m & DTC_S ? "signed integer" : "unsigned integer");
  if (m & DTC_B) buf_printf(&words, "%sbool", words.len ? " or " : "");
  for (int t = 0; t < DT_COUNT; t++)
    if (op_accepts(op, (DType)t)) buf_printf(&list, " %s", dtype_info[t].name);
  const char *w = words.s ? words.s : "";
  diag_error(b->d, b->loc, "%s: unsupported dtype %s (%s needs %s%s tensor%s:%s)", b->n ? b->n->op : op_name[op],
             dtype_info[x].name, op_name[op], nin > 1 ? "" : w[0] && strchr("aeiou", w[0]) ? "an " : "a ", w,
             nin > 1 ? "s" : "", list.s ? list.s : "");
  buf_free(&words);
  buf_free(&list);
  return false;
}

static Value *node(B *b, Op op, int nin, Value **in, DType dt, int rank, const int64_t *shape, const Params *pr) {
  Program *p = b->p;
  for (int i = 0; i < nin; i++)
    if (!in[i]) return NULL;
  if (!strings_ok(b, op, nin, in, dt, pr) || !classes_ok(b, op, nin, in, dt)) return NULL;
  PNode *n = arena_alloc(p->a, sizeof *n);
  if (!n) return NULL;
  n->op = op;
  n->nin = nin;
  n->in = arena_alloc(p->a, sizeof(Value *) * (size_t)(nin ? nin : 1));
  if (!n->in) return NULL;
  for (int i = 0; i < nin; i++) n->in[i] = in[i];
  if (pr) n->pr = *pr;
  n->loc = b->loc;
  n->origin = b->origin;
  n->out = b_value(b, dt, rank, shape);
  if (!n->out) return NULL;
  n->out->src = n;
  bool all_const = true;
  for (int i = 0; i < nin; i++) all_const &= in[i]->kind == VK_CONST;
  /* Movement of a large constant is not folded: it costs nothing as an index
   * map, and keeps one copy of the weights in their original layout. */
  bool big_move = op_index_map(op) && b_numel(n->out) > 256 && !b->force_fold;
  if (all_const && !big_move && b_numel(n->out) <= p->fold_limit) return fold(b, n);
  n->id = p->nodes.n;
  if (vec_push(p->a, &p->nodes, n)) return NULL;
  for (int i = 0; i < nin; i++) in[i]->nuses++;
  return n->out;
}

/* where a bad axis was written: the node's axis/axes attribute holding that
 * value when there is one, else the node */
static Loc axis_loc(B *b, int64_t axis) {
  const Attr *a = b->n ? attr_find(b->n, "axis") : NULL;
  if (a && a->type == AT_INT && a->i == axis && a->loc.file) return a->loc;
  a = b->n ? attr_find(b->n, "axes") : NULL;
  for (int i = 0; a && a->type == AT_INTS && a->loc.file && i < a->n; i++)
    if (a->ints[i] == axis) return a->loc;
  return b->loc;
}

int b_axis(B *b, int64_t axis, int rank, const char *what) {
  if (axis < -rank || axis >= (rank ? rank : 1)) {
    diag_error(b->d, axis_loc(b, axis), "%s %lld out of range for rank %d", what, (long long)axis, rank);
    return -1;
  }
  return (int)(axis < 0 ? axis + rank : axis);
}

bool b_broadcast(B *b, int ra, const int64_t *sa, int rb, const int64_t *sb, int *rr, int64_t *r) {
  int n = ra > rb ? ra : rb;
  for (int i = 0; i < n; i++) {
    int64_t x = i < n - ra ? 1 : sa[i - (n - ra)];
    int64_t y = i < n - rb ? 1 : sb[i - (n - rb)];
    if (x != y && x != 1 && y != 1) {
      diag_error(b->d, b->loc, "cannot broadcast %s with %s", shape_str(b->p->a, ra, sa),
                 shape_str(b->p->a, rb, sb));
      return false;
    }
    r[i] = x == 1 ? y : x;
  }
  *rr = n;
  return true;
}

static bool same_dt(B *b, Value *x, Value *y, const char *what) {
  if (x->dt == y->dt) return true;
  diag_error(b->d, b->loc, "%s: operand dtypes differ (%s vs %s)", what, dtype_info[x->dt].name,
             dtype_info[y->dt].name);
  return false;
}

Value *b_unary(B *b, Op op, Value *x) {
  if (!x) return NULL;
  return node(b, op, 1, &x, op_result_dt(op, x->dt, x->dt), x->rank, x->shape, NULL);
}

Value *b_cast(B *b, Value *x, DType dt) {
  if (!x) return NULL;
  if (x->dt == dt) return x;
  return node(b, OP_CAST, 1, &x, dt, x->rank, x->shape, NULL);
}

/* The same bits read as dt (BitCast). Integers of one size convert modulo
 * 2^bits, which keeps the bits: a CAST. f32 <-> i32/u32 and f64 <-> i64/u64
 * are the primitive BITCAST; 16-bit floats (computed in f32) and bool are
 * refused. */
Value *b_bitcast(B *b, Value *x, DType dt) {
  if (!x) return NULL;
  DType f = x->dt;
  if (f == dt) return x;
  if (dtype_info[f].size != dtype_info[dt].size || f == DT_STRING || dt == DT_STRING) {
    diag_error(b->d, b->loc, "%s: BitCast from %s to %s: the sizes differ", b->n ? b->n->op : "BitCast",
               dtype_info[f].name, dtype_info[dt].name);
    return NULL;
  }
  bool ff = dtype_info[f].is_float, tf = dtype_info[dt].is_float;
  if (f == DT_F16 || f == DT_BF16 || dt == DT_F16 || dt == DT_BF16 || dt == DT_BOOL) {
    diag_error(b->d, b->loc, "unsupported: BitCast from %s to %s", dtype_info[f].name, dtype_info[dt].name);
    return NULL;
  }
  if (!ff && !tf) return b_cast(b, x, dt);
  if (ff && tf) return b_bitcast(b, b_bitcast(b, x, dtype_info[f].size == 8 ? DT_U64 : DT_U32), dt);
  return node(b, OP_BITCAST, 1, &x, dt, x->rank, x->shape, NULL);
}

Value *b_binary(B *b, Op op, Value *x, Value *y) {
  if (!x || !y) return NULL;
  if (!same_dt(b, x, y, op_name[op])) return NULL;
  int r;
  int64_t s[MAX_RANK];
  if (!b_broadcast(b, x->rank, x->shape, y->rank, y->shape, &r, s)) return NULL;
  Value *in[2] = {x, y};
  return node(b, op, 2, in, op_result_dt(op, x->dt, x->dt), r, s, NULL);
}

Value *b_where(B *b, Value *c, Value *x, Value *y) {
  if (!c || !x || !y) return NULL;
  if (c->dt != DT_BOOL) c = b_cast(b, c, DT_BOOL);
  if (!c || !same_dt(b, x, y, "Where")) return NULL;
  int r1, r2;
  int64_t s1[MAX_RANK], s2[MAX_RANK];
  if (!b_broadcast(b, c->rank, c->shape, x->rank, x->shape, &r1, s1)) return NULL;
  if (!b_broadcast(b, r1, s1, y->rank, y->shape, &r2, s2)) return NULL;
  Value *in[3] = {c, x, y};
  return node(b, OP_WHERE, 3, in, x->dt, r2, s2, NULL);
}

Value *b_reduce(B *b, Op op, Value *x, unsigned axes, bool keepdims) {
  if (!x) return NULL;
  int64_t s[MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++) {
    if (axes & (1u << i)) {
      if (keepdims) s[r++] = 1;
    } else {
      s[r++] = x->shape[i];
    }
  }
  if (!axes) return x;
  Params pr = {.axes = axes, .keepdims = keepdims};
  return node(b, op, 1, &x, x->dt, r, s, &pr);
}

Value *b_argred(B *b, Op op, Value *x, int axis, bool keepdims, bool select_last) {
  if (!x) return NULL;
  int64_t s[MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++) {
    if (i == axis) {
      if (keepdims) s[r++] = 1;
    } else {
      s[r++] = x->shape[i];
    }
  }
  if (x->shape[axis] == 0) {
    diag_error(b->d, b->loc, "%s over an empty axis", op_name[op]);
    return NULL;
  }
  Params pr = {.axis = axis, .keepdims = keepdims, .select_last = select_last, .axes = 1u << axis};
  return node(b, op, 1, &x, op_result_dt(op, x->dt, x->dt), r, s, &pr);
}

Value *b_reshape(B *b, Value *x, int rank, const int64_t *shape) {
  if (!x) return NULL;
  if (shape_numel(rank, shape) != b_numel(x)) {
    diag_error(b->d, b->loc, "cannot reshape %s into %s", shape_str(b->p->a, x->rank, x->shape),
               shape_str(b->p->a, rank, shape));
    return NULL;
  }
  if (rank == x->rank && (rank == 0 || !memcmp(shape, x->shape, sizeof(int64_t) * (size_t)rank))) return x;
  return node(b, OP_RESHAPE, 1, &x, x->dt, rank, shape, NULL);
}

Value *b_permute(B *b, Value *x, const int *perm) {
  if (!x) return NULL;
  Params pr = {0};
  int64_t s[MAX_RANK];
  unsigned seen = 0;
  bool ident = true;
  for (int i = 0; i < x->rank; i++) {
    if (perm[i] < 0 || perm[i] >= x->rank || (seen & (1u << perm[i]))) {
      diag_error(b->d, b->loc, "invalid permutation for rank %d", x->rank);
      return NULL;
    }
    seen |= 1u << perm[i];
    pr.perm[i] = perm[i];
    s[i] = x->shape[perm[i]];
    ident &= perm[i] == i;
  }
  if (ident) return x;
  return node(b, OP_PERMUTE, 1, &x, x->dt, x->rank, s, &pr);
}

Value *b_expand(B *b, Value *x, int rank, const int64_t *shape) {
  if (!x) return NULL;
  int r;
  int64_t s[MAX_RANK];
  if (!b_broadcast(b, x->rank, x->shape, rank, shape, &r, s)) return NULL;
  if (r == x->rank && !memcmp(s, x->shape, sizeof(int64_t) * (size_t)r)) return x;
  return node(b, OP_EXPAND, 1, &x, x->dt, r, s, NULL);
}

Value *b_slice(B *b, Value *x, const int64_t *start, const int64_t *step, const int64_t *shape) {
  if (!x) return NULL;
  Params pr = {0};
  bool ident = true;
  for (int i = 0; i < x->rank; i++) {
    pr.start[i] = start[i];
    pr.step[i] = step[i];
    ident &= start[i] == 0 && step[i] == 1 && shape[i] == x->shape[i];
  }
  if (ident) return x;
  return node(b, OP_SLICE, 1, &x, x->dt, x->rank, shape, &pr);
}

Value *b_pad(B *b, Value *x, const int64_t *lo, const int64_t *hi, PadMode mode, double fill) {
  if (!x) return NULL;
  Params pr = {.pad_mode = mode, .fill = fill};
  int64_t s[MAX_RANK];
  bool ident = true;
  for (int i = 0; i < x->rank; i++) {
    if (lo[i] < 0 || hi[i] < 0) {
      diag_error(b->d, b->loc, "negative padding must be expressed as a slice");
      return NULL;
    }
    if (lo[i] > MAX_NUMEL || hi[i] > MAX_NUMEL) { /* x->shape[i] + lo + hi cannot overflow */
      diag_error(b->d, b->loc, "padding %lld/%lld is too large", (long long)lo[i], (long long)hi[i]);
      return NULL;
    }
    if ((mode == PAD_REFLECT && (lo[i] >= x->shape[i] || hi[i] >= x->shape[i]) && (lo[i] || hi[i])) ||
        (mode != PAD_CONSTANT && x->shape[i] == 0 && (lo[i] || hi[i]))) {
      diag_error(b->d, b->loc, "padding %lld/%lld too large for dimension %lld in this mode", (long long)lo[i],
                 (long long)hi[i], (long long)x->shape[i]);
      return NULL;
    }
    pr.lo[i] = lo[i];
    pr.hi[i] = hi[i];
    s[i] = x->shape[i] + lo[i] + hi[i];
    ident &= !lo[i] && !hi[i];
  }
  if (ident) return x;
  return node(b, OP_PAD, 1, &x, x->dt, x->rank, s, &pr);
}

Value *b_concat(B *b, int n, Value **xs, int axis) {
  if (n == 1) return xs[0];
  int64_t s[MAX_RANK];
  for (int i = 0; i < n; i++)
    if (!xs[i]) return NULL;
  memcpy(s, xs[0]->shape, sizeof s);
  s[axis] = 0;
  for (int i = 0; i < n; i++) {
    if (xs[i]->rank != xs[0]->rank || !same_dt(b, xs[0], xs[i], "Concat")) {
      if (xs[i]->rank != xs[0]->rank) diag_error(b->d, b->loc, "Concat: inputs have different ranks");
      return NULL;
    }
    for (int d = 0; d < xs[0]->rank; d++)
      if (d != axis && xs[i]->shape[d] != xs[0]->shape[d]) {
        diag_error(b->d, b->loc, "Concat: shapes %s and %s differ outside axis %d",
                   shape_str(b->p->a, xs[0]->rank, xs[0]->shape), shape_str(b->p->a, xs[i]->rank, xs[i]->shape),
                   axis);
        return NULL;
      }
    s[axis] += xs[i]->shape[axis];
  }
  Params pr = {.axis = axis};
  return node(b, OP_CONCAT, n, xs, xs[0]->dt, xs[0]->rank, s, &pr);
}

static bool is_int(DType dt) { return !dtype_info[dt].is_float && dt != DT_BOOL && dt != DT_STRING; }

Value *b_gather(B *b, Value *data, Value *idx, int axis) {
  if (!data || !idx) return NULL;
  if (!is_int(idx->dt)) {
    diag_error(b->d, b->loc, "Gather indices must be integers, not %s", dtype_info[idx->dt].name);
    return NULL;
  }
  int r = 0;
  int64_t s[MAX_RANK];
  if (data->rank - 1 + idx->rank > MAX_RANK) {
    diag_error(b->d, b->loc, "Gather result rank exceeds %d", MAX_RANK);
    return NULL;
  }
  for (int i = 0; i < axis; i++) s[r++] = data->shape[i];
  for (int i = 0; i < idx->rank; i++) s[r++] = idx->shape[i];
  for (int i = axis + 1; i < data->rank; i++) s[r++] = data->shape[i];
  if (data->shape[axis] == 0 && shape_numel(idx->rank, idx->shape) > 0) {
    diag_error(b->d, b->loc, "Gather from an empty axis");
    return NULL;
  }
  Params pr = {.axis = axis};
  Value *in[2] = {data, idx};
  return node(b, OP_GATHER, 2, in, data->dt, r, s, &pr);
}

Value *b_gatherelem(B *b, Value *data, Value *idx, int axis) {
  if (!data || !idx) return NULL;
  if (!is_int(idx->dt) || idx->rank != data->rank) {
    diag_error(b->d, b->loc, "GatherElements needs integer indices of the data's rank");
    return NULL;
  }
  Params pr = {.axis = axis};
  Value *in[2] = {data, idx};
  return node(b, OP_GATHERELEM, 2, in, data->dt, idx->rank, idx->shape, &pr);
}

Value *b_iota(B *b, DType dt, int rank, const int64_t *shape, int axis, double start, double delta) {
  Params pr = {.axis = axis, .fill = start, .delta = delta};
  return node(b, OP_IOTA, 0, NULL, dt, rank, shape, &pr);
}

Value *b_matmul(B *b, Value *x, Value *y) {
  if (!x || !y) return NULL;
  if (!same_dt(b, x, y, "MatMul")) return NULL;
  if (x->rank < 2 || y->rank < 2) {
    diag_error(b->d, b->loc, "MatMul primitive needs rank >= 2 operands");
    return NULL;
  }
  int64_t K = x->shape[x->rank - 1];
  if (y->shape[y->rank - 2] != K) {
    diag_error(b->d, b->loc, "MatMul: inner dimensions differ: %s x %s", shape_str(b->p->a, x->rank, x->shape),
               shape_str(b->p->a, y->rank, y->shape));
    return NULL;
  }
  int r;
  int64_t s[MAX_RANK];
  if (!b_broadcast(b, x->rank - 2, x->shape, y->rank - 2, y->shape, &r, s)) return NULL;
  s[r++] = x->shape[x->rank - 2];
  s[r++] = y->shape[y->rank - 1];
  Value *in[2] = {x, y};
  return node(b, OP_MATMUL, 2, in, x->dt, r, s, NULL);
}

Value *b_conv(B *b, Value *x, Value *w, const Params *pr, int rank, const int64_t *oshape) {
  if (!x || !w) return NULL;
  if (!same_dt(b, x, w, "Conv")) return NULL;
  Value *in[2] = {x, w};
  return node(b, OP_CONV, 2, in, x->dt, rank, oshape, pr);
}

Value *b_pool(B *b, Value *x, const Params *pr, int rank, const int64_t *oshape) {
  if (!x) return NULL;
  return node(b, OP_POOL, 1, &x, x->dt, rank, oshape, pr);
}

int b_check(B *b, Value *ok, const char *what) {
  if (!(ok = b_all(b, ok))) return -1;
  if (b_is_const(ok)) {
    if (raw_get_i(DT_BOOL, ok->cdata, 0)) return 0;
    diag_error(b->d, b->loc, "%s: the model contradicts itself: %s does not hold", b->n ? b->n->op : "node", what);
    return -1;
  }
  if (ok->kind != VK_TEMP || ok->check || ok->out_index >= 0) { /* a value of its own */
    Value *one = b_const(b, DT_BOOL, 0, NULL, (unsigned char[]){1});
    Value *in[2] = {ok, one};
    ok = node(b, OP_AND, 2, in, DT_BOOL, 0, NULL, NULL);
    if (!ok) return -1;
  }
  const char *at = b->n && b->n->name && b->n->name[0] ? b->n->name : b->n ? b->n->op : "?";
  ok->check = arena_printf(b->p->a, "%s (%s)", what, at);
  return ok->check ? vec_push(b->p->a, &b->p->checks, ok) : -1;
}

static const GTensor *declared_in(const Graph *g, const char *name) {
  for (; g; g = g->parent) {
    for (int i = 0; i < g->outputs.n; i++) {
      const GTensor *t = g->outputs.v[i];
      if (!strcmp(t->name, name)) return t;
    }
    for (int i = 0; i < g->values.n; i++) {
      const GTensor *t = g->values.v[i];
      if (!strcmp(t->name, name)) return t;
    }
  }
  return NULL;
}

/* ops whose output has the shape of their first input (elementwise, one
 * tensor operand): a shape declared after one of them holds before it too */
static bool same_shape_op(const GNode *n) {
  static const char *const ops[] = {"Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cast", "CastLike", "Ceil",
                                    "Cos", "Cosh", "Elu", "Erf", "Exp", "Floor", "Gelu", "HardSigmoid", "HardSwish",
                                    "Identity", "IsInf", "IsNaN", "LeakyRelu", "Log", "Mish", "Neg", "Not", "Reciprocal",
                                    "Relu", "Round", "Selu", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Softsign",
                                    "Sqrt", "Tan", "Tanh", "ThresholdedRelu", NULL};
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) return false;
  for (int i = 0; ops[i]; i++)
    if (!strcmp(n->op, ops[i])) return true;
  return false;
}

/* elementwise ops of two operands (broadcasting) */
static bool binary_op(const GNode *n) {
  static const char *const ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", NULL};
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) return false;
  for (int i = 0; ops[i]; i++)
    if (!strcmp(n->op, ops[i])) return n->nin == 2;
  return false;
}

static bool in_set(const char *const *set, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(set[i], name)) return true;
  return false;
}

/* the declared shape of tensor `name` of graph g, or of a tensor that has
 * its shape for certain: the closure of `name` under the shape-keeping ops
 * (same_shape_op, first operand) and the binary elementwise ops whose
 * operands are all in the closure or rank-0 values already built (a scalar
 * broadcast keeps the shape). A shape declared anywhere in it holds here. */
static const GTensor *declared_or_after(B *b, const Graph *g, const char *name) {
  const char *set[64];
  int n = 0;
  set[n++] = name;
  for (int i = 0; i < g->nodes.n && n < 64; i++) {
    const GNode *u = g->nodes.v[i];
    if (u->nout < 1 || !u->out[0][0] || u->nin < 1) continue;
    bool keeps = false;
    if (same_shape_op(u)) keeps = in_set(set, n, u->in[0]);
    else if (binary_op(u)) {
      int hit = 0, ok = 0;
      for (int j = 0; j < 2; j++) {
        const Value *v = map_get(&b->names, u->in[j]);
        if (in_set(set, n, u->in[j])) hit++, ok++;
        else if (v && v->rank == 0) ok++;
      }
      keeps = hit && ok == 2;
    }
    if (keeps) set[n++] = u->out[0];
  }
  for (int i = 0; i < n; i++) {
    const GTensor *t = declared_in(g, set[i]);
    if (t && t->rank >= 0) return t;
  }
  return NULL;
}

bool b_declared(B *b, int k, int *rank, int64_t *dims) {
  if (!b->n || k >= b->n->nout || !b->n->out[k][0]) return false;
  for (int j = 0; b->opts && j < b->opts->nshape; j++) /* --input-shape NAME=... of a tensor that is not an input */
    if (!strcmp(b->opts->shape_name[j], b->n->out[k])) {
      *rank = b->opts->shape_rank[j];
      for (int i = 0; i < *rank; i++) dims[i] = b->opts->shape_dims[j][i];
      return true;
    }
  const GTensor *t = declared_or_after(b, b->g, b->n->out[k]);
  if (!t || t->rank < 0 || t->rank > MAX_RANK) return false;
  for (int i = 0; i < t->rank; i++)
    if (t->dims[i] < 0) return false;
  *rank = t->rank;
  for (int i = 0; i < t->rank; i++) dims[i] = t->dims[i];
  return true;
}

bool b_declared_for(B *b, int k, int rank, int64_t *dims, const char *what) {
  int r = -1;
  if (b_declared(b, k, &r, dims) && r == rank) return true;
  diag_error(b->d, b->loc,
             "unsupported: %s computed at run time, and the model does not declare the shape of output '%s' (declare it "
             "in value_info or the graph outputs or with --input-shape NAME=AxB, or pin the graph input it comes from "
             "with --freeze)",
             what, b->n && k < b->n->nout ? b->n->out[k] : "?");
  return false;
}

Value *b_ints(B *b, int n, const int64_t *v) {
  int64_t s = n;
  return b_const(b, DT_I64, 1, &s, v);
}

Value *b_eq_ints(B *b, Value *v, int n, const int64_t *c) {
  if (!v) return NULL;
  if (b_numel(v) != n) {
    diag_error(b->d, b->loc, "%s has %lld elements, expected %d", v->name, (long long)b_numel(v), n);
    return NULL;
  }
  Value *x = b_cast(b, v, DT_I64);
  if (x && x->rank != 1) x = b_reshape(b, x, 1, (int64_t[]){n});
  return b_binary(b, OP_CMPEQ, x, b_ints(b, n, c));
}

Value *b_axes_present(B *b, Value *axes, int rank, Value **valid) {
  *valid = NULL;
  if (!axes) return NULL;
  int64_t m = b_numel(axes);
  if (!is_int(axes->dt) || axes->rank > 1) {
    diag_error(b->d, b->loc, "axes must be a 1-D integer tensor, not %s %s", dtype_info[axes->dt].name,
               shape_str(b->p->a, axes->rank, axes->shape));
    return NULL;
  }
  Value *a = b_reshape(b, b_cast(b, axes, DT_I64), 2, (int64_t[]){m, 1});
  Value *zero = b_scalar(b, DT_I64, 0), *r = b_scalar(b, DT_I64, (double)rank);
  Value *an = b_where(b, b_binary(b, OP_CMPLT, a, zero), b_binary(b, OP_ADD, a, r), a);
  Value *hit = b_binary(b, OP_CMPEQ, an, b_iota(b, DT_I64, 2, (int64_t[]){1, rank}, 1, 0, 1)); /* [m, rank] */
  Value *n = b_cast(b, hit, DT_I64);
  Value *per_axis = b_reduce(b, OP_RSUM, n, 2u, false), *per_pos = b_reduce(b, OP_RSUM, n, 1u, false);
  Value *one = b_scalar(b, DT_I64, 1);
  *valid = b_binary(b, OP_AND, b_all(b, b_binary(b, OP_CMPEQ, per_axis, one)), b_all(b, b_binary(b, OP_CMPLE, per_pos, one)));
  Value *present = b_reduce(b, OP_RMAX, hit, 1u, false);
  return *valid ? present : NULL;
}

Value *b_mask_is(B *b, Value *mask, int rank, unsigned m, unsigned care) {
  unsigned char bits[MAX_RANK] = {0}, dont[MAX_RANK] = {0};
  if (!rank) return b_const(b, DT_BOOL, 0, NULL, (unsigned char[]){1});
  for (int j = 0; j < rank; j++) bits[j] = (m >> j) & 1, dont[j] = !((care >> j) & 1);
  int64_t s = rank;
  Value *eq = b_binary(b, OP_CMPEQ, mask, b_const(b, DT_BOOL, 1, &s, bits));
  return b_all(b, b_binary(b, OP_OR, eq, b_const(b, DT_BOOL, 1, &s, dont)));
}

Value *b_scalar_of(B *b, Value *v, DType dt, const char *what) {
  if (!v) return NULL;
  if (b_numel(v) != 1) {
    diag_error(b->d, b->loc, "%s: %s must have one element, not %s", b->n ? b->n->op : "node", what,
               shape_str(b->p->a, v->rank, v->shape));
    return NULL;
  }
  return b_reshape(b, v->dt == dt ? v : b_cast(b, v, dt), 0, NULL);
}

int b_check_ints(B *b, Value *v, int n, const int64_t *c, const char *what) {
  if (!v) return -1;
  if (!is_int(v->dt)) {
    diag_error(b->d, b->loc, "%s: %s must be an integer tensor, not %s", b->n ? b->n->op : "node", what,
               dtype_info[v->dt].name);
    return -1;
  }
  return b_check(b, b_eq_ints(b, v, n, c),
                 arena_printf(b->p->a, "%s %s the declared output shape needs", what, shape_str(b->p->a, n, c)));
}

Value *b_prefix_count(B *b, Value *mask) {
  if (!mask) return NULL;
  int64_t n = b_numel(mask), ms[2] = {n, n};
  Value *m = b_reshape(b, b_cast(b, mask, DT_I64), 2, (int64_t[]){1, n});
  Value *le = b_binary(b, OP_CMPLE, b_iota(b, DT_I64, 2, ms, 1, 0, 1), b_iota(b, DT_I64, 2, ms, 0, 0, 1)); /* j <= i */
  return b_reduce(b, OP_RSUM, b_where(b, le, m, b_scalar(b, DT_I64, 0)), 2u, false);
}

Value *b_compact(B *b, Value *mask, int64_t k, const char *what) {
  if (!mask) return NULL;
  int64_t n = b_numel(mask);
  if (n > B_COMPACT_MAX) {
    diag_error(b->d, b->loc, "unsupported: %s over %lld elements computed at run time (at most %d; pin the graph "
                             "input it comes from with --freeze)", b->n ? b->n->op : what, (long long)n, B_COMPACT_MAX);
    return NULL;
  }
  if (k > n) {
    diag_error(b->d, b->loc, "%s: the declared output size %lld is more than the %lld elements of the input", what,
               (long long)k, (long long)n);
    return NULL;
  }
  Value *m = b_reshape(b, mask->dt == DT_BOOL ? mask : b_cast(b, mask, DT_BOOL), 1, &n);
  Value *pos = b_prefix_count(b, m); /* 1 + the output slot of each true element */
  if (!pos) return NULL;
  Value *cnt = b_reduce(b, OP_RSUM, b_cast(b, m, DT_I64), 1u, false);
  if (b_check(b, b_binary(b, OP_CMPEQ, cnt, b_scalar(b, DT_I64, (double)k)),
              arena_printf(b->p->a, "%s gives the declared %lld elements", what, (long long)k)))
    return NULL;
  if (!k) return b_const(b, DT_I64, 1, &k, NULL);
  int64_t ks[2] = {k, n};
  Value *slot = b_reshape(b, b_binary(b, OP_SUB, pos, b_scalar(b, DT_I64, 1)), 2, (int64_t[]){1, n});
  Value *hit = b_binary(b, OP_AND, b_reshape(b, m, 2, (int64_t[]){1, n}),
                        b_binary(b, OP_CMPEQ, slot, b_iota(b, DT_I64, 2, ks, 0, 0, 1))); /* [k, n] */
  Value *idx = b_reduce(b, OP_RSUM, b_where(b, hit, b_iota(b, DT_I64, 2, ks, 1, 0, 1), b_scalar(b, DT_I64, 0)), 2u, false);
  return b_binary(b, OP_MIN, idx, b_scalar(b, DT_I64, (double)(n - 1))); /* in bounds even before the check */
}

int b_const_ints(B *b, Value *v, int64_t *out, int max, const char *what) {
  if (!v) return -1;
  if (v->kind != VK_CONST) {
    diag_error(b->d, b->loc,
               "unsupported: %s computed at run time; it must be known at build time (pin the graph input it "
               "comes from with --freeze)",
               what);
    return -1;
  }
  if (!is_int(v->dt)) {
    diag_error(b->d, b->loc, "%s must be an integer tensor, not %s", what, dtype_info[v->dt].name);
    return -1;
  }
  int64_t n = b_numel(v);
  if (n > max) {
    diag_error(b->d, b->loc, "%s has %lld elements, at most %d allowed", what, (long long)n, max);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) out[i] = raw_get_i(v->dt, v->cdata, i);
  return (int)n;
}

Value *b_elem(B *b, Value *v, int64_t i, DType dt) {
  if (!v) return NULL;
  int64_t n = b_numel(v);
  if (i < 0 || i >= n) {
    diag_error(b->d, b->loc, "%s has %lld elements, element %lld asked for", v->name, (long long)n, (long long)i);
    return NULL;
  }
  Value *f = v->rank == 1 ? v : b_reshape(b, v, 1, &n);
  int64_t st = i, sp = 1, one = 1;
  Value *e = b_reshape(b, b_slice(b, f, &st, &sp, &one), 0, NULL);
  return e && e->dt != dt ? b_cast(b, e, dt) : e;
}

Value *b_clamp(B *b, Value *v, double lo, double hi) {
  if (!v) return NULL;
  Value *r = b_binary(b, OP_MAX, v, b_scalar(b, v->dt, lo));
  return b_binary(b, OP_MIN, r, b_scalar(b, v->dt, hi));
}

Value *b_index(B *b, Value *v, int64_t dim) {
  if (!v) return NULL;
  if (dtype_info[v->dt].is_float) { /* no NaN or out-of-range float-to-int cast */
    v = b_where(b, b_binary(b, OP_CMPEQ, v, v), v, b_scalar(b, v->dt, 0));
    v = b_clamp(b, v, -1, (double)dim);
  }
  Value *i = v && v->dt != DT_I64 ? b_cast(b, v, DT_I64) : v;
  return b_clamp(b, i, 0, (double)(dim > 0 ? dim - 1 : 0));
}

Value *b_all(B *b, Value *ok) {
  if (!ok) return NULL;
  if (ok->dt != DT_BOOL) ok = b_cast(b, ok, DT_BOOL);
  if (ok && ok->rank) ok = b_reduce(b, OP_RMIN, ok, (1u << ok->rank) - 1, false);
  return ok;
}

Value *b_select(B *b, int n, Value **sel, Value **res) {
  Value *y = n > 0 ? res[n - 1] : NULL;
  for (int i = n - 2; i >= 0; i--) y = b_where(b, sel[i], res[i], y);
  return y;
}
