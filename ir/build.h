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

#endif
