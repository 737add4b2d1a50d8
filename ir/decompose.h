/* decompose.h: shared by the front-end op rewrites (decompose_*.c). */
#ifndef MLG_DECOMPOSE_H
#define MLG_DECOMPOSE_H

#include "build.h"

/* A rewrite: in[k] is NULL for an omitted optional input; it fills out[k]
 * for each output the node names. Returns 0, or -1 after a diagnostic. */
typedef int (*DecFn)(B *b, Value **in, int nin, Value **out);

typedef struct {
  const char *domain; /* "" = ai.onnx */
  const char *name;
  int min_in, max_in; /* max_in -1: variadic */
  int max_out;
  DecFn fn;
} DecOp;

const DecOp *d_find(const char *domain, const char *name);
extern const DecOp d_more_ops[]; /* decompose_more.c */
extern const int d_more_nops;
extern const DecOp d_ml_ops[];   /* decompose_ml.c */
extern const int d_ml_nops;
extern const DecOp d_preview_ops[]; /* decompose_preview.c */
extern const int d_preview_nops;
extern const DecOp d_random_ops[]; /* decompose_random.c */
extern const int d_random_nops;
extern const DecOp d_str_ops[]; /* decompose_str.c */
extern const int d_str_nops;
int m_dropout_train(B *b, Value **in, int nin, Value **out); /* Dropout drawing its mask */
extern const DecOp d_seqtype_ops[]; /* decompose_seqtype.c: sequences and optionals */
extern const int d_seqtype_nops;
bool d_takes_seq(const DecOp *op);
int d_bind_seq_input(B *b, const GTensor *t, const BuildOpts *o);
int d_seq_output(B *b, const GTensor *t, Value *v, struct GOut *g);
int d_nodes(B *b, Graph *g);
/* fold_bn.c: out = g with each Conv/ConvTranspose -> BatchNormalization pair
 * of constant f32 parameters as one conv; 0, or -1 out of memory */
int ir_fold_bn(Arena *a, const Graph *g, Graph *out);

/* attributes of the node being decomposed; errors are reported, callers
 * check b->d->nerr (the driver does after every rewrite) */
int64_t d_int(B *b, const char *name, int64_t def);
double d_float(B *b, const char *name, double def);
const char *d_str(B *b, const char *name, const char *def);
int d_ints(B *b, const char *name, int64_t *out, int max);   /* -1 absent */
int d_floats(B *b, const char *name, double *out, int max); /* -1 absent */
Loc d_attr_loc(B *b, const char *name);
Value *d_tensor(B *b, const TensorData *t);

/* lowbit.c: the ONNX-only element types (float8, float4, e8m0, int4, int2) */
Value *lb_input_value(B *b, DType dt, int rank, const int64_t *shape); /* a graph input's storage Value */
Value *lb_input(B *b, Value *in, DType dt, int rank, const int64_t *shape); /* -> its elements, sem dt */
Value *lb_const(B *b, const TensorData *t);                  /* an initializer of such a type, unpacked */
Value *lb_output(B *b, Value *v);                             /* v (sem set) as ONNX stores it, io_dt set */
Value *lb_to_float(B *b, Value *x, DType fdt);                /* x's values as fdt (decoded when sem is set) */
Value *lb_cast(B *b, Value *x, DType to, bool saturate, const char *round_mode); /* Cast, either side such a type */
Value *lb_requant(B *b, Value *v, Value *zp, DType dt);       /* QuantizeLinear into int4/int2 */
Value *lb_requant_float(B *b, Value *v, Value *zp, DType dt, bool saturate); /* ... into float8/float4 */
int lb_check_inputs(B *b, const GNode *n, Value **in);        /* refuse such inputs where an op cannot read them */
void lb_pass_on(const GNode *n, Value **in, Value **out, int first); /* movement keeps the type */
int d_bitcast(B *b, Value **in, int nin, Value **out);

#endif
