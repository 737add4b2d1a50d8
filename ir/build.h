/* build.h: the primitive builder used by the decompositions.
 *
 * Each b_* call creates one primitive node, infers its output shape and
 * dtype (reporting mismatches at the ONNX node being decomposed), and folds
 * it to a constant through the reference interpreter when every input is a
 * constant. They return NULL after reporting an error; callers just
 * propagate NULL. */
#ifndef MLG_BUILD_H
#define MLG_BUILD_H

#include "ir.h"

typedef struct {
  Program *p;
  Diags *d;
  Graph *g;
  const GNode *n;    /* node being decomposed */
  Loc loc;           /* its location */
  const char *origin;
  const char *vname; /* name for the next created value */
  Map names;         /* tensor name -> Value* */
  int tmp;
  int nout;          /* outputs the node asks for */
  bool force_fold;   /* fold even large constant movement (weight relayout) */
  const BuildOpts *opts; /* build options (may be NULL) */
  int64_t unrolled;       /* Loop/Scan iterations unrolled so far, nested ones included (limit unroll) */
  int nrandom;            /* seedless random nodes so far: their stream numbers (decompose_random.c) */
} B;

Value *b_value(B *b, DType dt, int rank, const int64_t *shape);
Value *b_const(B *b, DType dt, int rank, const int64_t *shape, const void *data);
Value *b_scalar(B *b, DType dt, double v);
/* a DT_STRING constant; the strings must live as long as the Program */
Value *b_const_strs(B *b, int rank, const int64_t *shape, const char *const *strs);
Value *b_unary(B *b, Op op, Value *x);
Value *b_cast(B *b, Value *x, DType dt);
Value *b_bitcast(B *b, Value *x, DType dt); /* the same bits as dt (BitCast) */
Value *b_binary(B *b, Op op, Value *x, Value *y);
Value *b_where(B *b, Value *c, Value *x, Value *y);
Value *b_reduce(B *b, Op op, Value *x, unsigned axes, bool keepdims);
Value *b_argred(B *b, Op op, Value *x, int axis, bool keepdims, bool select_last);
Value *b_reshape(B *b, Value *x, int rank, const int64_t *shape);
Value *b_permute(B *b, Value *x, const int *perm);
Value *b_expand(B *b, Value *x, int rank, const int64_t *shape);
Value *b_slice(B *b, Value *x, const int64_t *start, const int64_t *step, const int64_t *shape);
Value *b_pad(B *b, Value *x, const int64_t *lo, const int64_t *hi, PadMode mode, double fill);
Value *b_concat(B *b, int n, Value **xs, int axis);
Value *b_gather(B *b, Value *data, Value *idx, int axis);
Value *b_gatherelem(B *b, Value *data, Value *idx, int axis);
Value *b_iota(B *b, DType dt, int rank, const int64_t *shape, int axis, double start, double delta);
Value *b_matmul(B *b, Value *x, Value *y);
Value *b_conv(B *b, Value *x, Value *w, const Params *pr, int rank, const int64_t *oshape);
Value *b_pool(B *b, Value *x, const Params *pr, int rank, const int64_t *oshape);

/* helpers */
bool b_broadcast(B *b, int ra, const int64_t *a, int rb, const int64_t *sb, int *rr, int64_t *r);
int b_axis(B *b, int64_t axis, int rank, const char *what); /* normalized, -1 on error */
int64_t b_numel(const Value *v);
bool b_is_const(const Value *v);
/* Reads a constant integer tensor (any int dtype) into out[max]; error if not constant. */
int b_const_ints(B *b, Value *v, int64_t *out, int max, const char *what);
double b_const_scalar(const Value *v); /* first element of a constant */

/* Run-time checks (docs/conformance.md, "values given at run time").
 * b_check: every element of the bool tensor `ok` must be true when the model
 * runs, else `<name>_run` returns MLG_STATUS_VALUE (and the interpreter
 * reports the check); `what` says what is checked, e.g. "shape agrees with
 * the declared output [2,3]". A constant `ok` is decided now: true adds
 * nothing, false is an error at the node. 0, or -1 after a diagnostic. */
int b_check(B *b, Value *ok, const char *what);
/* the declared shape of output k of the node being decomposed (graph output
 * or value_info, every dim static), else false */
bool b_declared(B *b, int k, int *rank, int64_t *dims);
/* the declared shape of output k when its rank is rank; reports "unsupported:
 * <what> computed at run time ..." and returns false otherwise */
bool b_declared_for(B *b, int k, int rank, int64_t *dims, const char *what);
/* a constant i64 vector */
Value *b_ints(B *b, int n, const int64_t *v);
/* Axes given at run time (a 1-D integer tensor, negative ones counted from
 * the end) as a bool [rank] mask: element j is set when some axis names j.
 * *valid: a bool scalar, every axis in [-rank, rank) and none repeated. */
Value *b_axes_present(B *b, Value *axes, int rank, Value **valid);
/* a bool scalar: mask (bool [rank]) equals the bits of m wherever care has a bit */
Value *b_mask_is(B *b, Value *mask, int rank, unsigned m, unsigned care);
/* v == c elementwise, v cast to i64 first; a bool tensor */
Value *b_eq_ints(B *b, Value *v, int n, const int64_t *c);
/* the one element of v (else an error naming `what`) as a rank-0 value of dt */
Value *b_scalar_of(B *b, Value *v, DType dt, const char *what);
/* b_check that the integer tensor v (n elements) is c: "<what> [c...] the
 * declared output shape needs"; 0, or -1 after a diagnostic */
int b_check_ints(B *b, Value *v, int n, const int64_t *c, const char *what);
/* i64 [n]: element i counts the true elements of bool mask [n] up to i
 * (inclusive prefix count; O(n^2) work) */
Value *b_prefix_count(B *b, Value *mask);
/* Compaction for outputs whose size depends on the data, built for the
 * declared size k: i64 [k], the positions of the true elements of the bool
 * mask (any shape, flattened) in order, and a b_check that exactly k are
 * true. Refused (unsupported) above B_COMPACT_MAX mask elements: the work
 * is O(n^2 + k n). */
#define B_COMPACT_MAX 1024
Value *b_compact(B *b, Value *mask, int64_t k, const char *what);

/* element i of the tensor v (any shape, read flat) as a scalar of dtype dt */
Value *b_elem(B *b, Value *v, int64_t i, DType dt);
/* min(max(v, lo), hi) with scalar bounds of v's dtype: a run-time value made
 * safe to use as an index (or a count) */
Value *b_clamp(B *b, Value *v, double lo, double hi);
/* a run-time index tensor (any integer or integer-valued float dtype)
 * clamped into [0, dim) and cast to i64: a gather by it never reads out of
 * bounds, in the interpreter as in the generated code */
Value *b_index(B *b, Value *v, int64_t dim);
/* bool scalar: every element of the bool tensor ok is true */
Value *b_all(B *b, Value *ok);
/* one version per candidate value, selected at run time: res[i] for the
 * first sel[i] (bool scalar) that holds, else res[n - 1] (the caller's
 * b_check makes sure one does) */
Value *b_select(B *b, int n, Value **sel, Value **res);

#endif
