/* ir.h: the data structures every layer of mlgen shares.
 *
 * Three levels, one direction:
 *   Graph   what a frontend read: ONNX-level nodes over named tensors, with
 *           source locations. Built by frontend/yaml.c and frontend/onnx.c.
 *   Program the primitive graph (ops.def) with every shape and dtype known,
 *           then the kernels (loop programs over Expr trees) and the memory
 *           plan. Built by ir/decompose.c, lowered by ir/lower.c.
 *   text    rendered by one codegen/ renderer per target.
 *
 * Errors never abort: a stage returns a status and appends located messages
 * to a Diags. All memory of one compilation comes from one Arena.
 */
#ifndef MLG_IR_H
#define MLG_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MLG_VERSION "0.1.0"
#define MAX_RANK 8

/* ---------------------------------------------------------------- memory */
typedef struct Arena Arena;
Arena *arena_new(void);
/* an arena that refuses allocations past `limit` bytes in all (the memory
 * budget of one build); arena_over tells whether it did */
Arena *arena_new_limited(size_t limit);
bool arena_over(const Arena *a);
size_t arena_limit(const Arena *a);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t n); /* zeroed, 16-aligned; NULL on OOM */
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...);

/* Growable array of pointers kept in an arena. */
typedef struct {
  void **v;
  int n, cap;
} PtrVec;
int vec_push(Arena *a, PtrVec *v, void *p); /* 0 ok, -1 OOM */

/* String -> pointer map (open addressing), keys owned by the caller. */
typedef struct {
  const char **keys;
  void **vals;
  int cap, n;
} Map;
void *map_get(const Map *m, const char *key);
int map_put(Arena *a, Map *m, const char *key, void *val);
const char *map_unique(Arena *a, Map *taken, const char *id); /* id, id_2, ... not yet taken */

/* Growable text buffer (malloc-backed; used by renderers and diagnostics). */
typedef struct {
  char *s;
  size_t len, cap;
  bool oom;
} Buf;
void buf_printf(Buf *b, const char *fmt, ...);
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
void buf_puts(Buf *b, const char *s);
void buf_putn(Buf *b, const char *s, size_t n); /* n bytes of s */
/* room for n more bytes and a NUL at b->s + b->len (returned), NULL when out
 * of memory; the caller writes them and adds n to len */
char *buf_room(Buf *b, size_t n);
void buf_free(Buf *b);
/* b's text in the arena ("" when empty) and b freed; a failed allocation
 * (or b's own) marks into->oom when into is set */
const char *buf_take(Arena *a, Buf *b, Buf *into);

/* ----------------------------------------------------------- diagnostics */
/* Where something came from: a YAML position (1-based line/col) or an ONNX
 * node/tensor name. Any field may be empty. */
typedef struct {
  const char *file;
  int line, col;
  const char *node; /* ONNX node or tensor name, "" if none */
} Loc;

typedef struct {
  Buf text; /* every message, one per line */
  int nerr;
} Diags;
void diag_error(Diags *d, Loc loc, const char *fmt, ...);
void diag_note(Diags *d, Loc loc, const char *fmt, ...);
void diag_free(Diags *d);

/* --------------------------------------------------------------- budgets */
/* Limits that make hostile input cheap to refuse (docs/security.md). One
 * process-wide table with these defaults; the CLI applies $MLGEN_LIMITS
 * ("unroll=100000,tree_depth=5000") through limits_set before a build. A
 * refusal goes through diag_limit, which names the limit and how to raise it. */
#define MLG_LIMITS(X)                                                                     \
  X(nodes, 2000000, "ONNX nodes after expanding functions, subgraphs included")          \
  X(unroll, 65536, "Loop and Scan iterations unrolled in all, nested ones included")     \
  X(tree_nodes, 16000000, "tree nodes (splits and leaves) in one model")                 \
  X(tree_depth, 1000, "levels of one decision tree")                                     \
  X(strings, 16000000, "strings in one attribute or tensor")                             \
  X(yaml_nodes, 10000000, "YAML nodes (scalars, lists, maps) in one YAML model file")    \
  X(memory_mib, 8192, "MiB one build may allocate (its arena; mlgen --max-memory too)")
typedef struct {
#define X(name, dflt, what) int64_t name;
  MLG_LIMITS(X)
#undef X
} Limits;
extern Limits mlg_limits;
/* spec: comma-separated name=N (N > 0); 0 ok, -1 with an error in d */
int limits_set(const char *spec, Diags *d);
/* an error at loc: the message, then "; the limit <name> is N (raise it with
 * MLGEN_LIMITS=<name>=M)" */
void diag_limit(Diags *d, Loc loc, const char *name, const char *fmt, ...);

/* ---------------------------------------------------------------- dtypes */
typedef enum {
  DT_UNDEF, DT_F32, DT_F64, DT_F16, DT_BF16,
  DT_I8, DT_I16, DT_I32, DT_I64,
  DT_U8, DT_U16, DT_U32, DT_U64,
  DT_BOOL,
  DT_STRING, /* a pointer to a NUL-terminated UTF-8 string; moved and compared, never computed on */
  /* ONNX-only element types (docs/architecture.md, Dtypes): graph tensors and
   * files may have them, a Program Value never does. In the program a float8,
   * float4 or e8m0 tensor is its uint8 bit patterns, an int4/int2 tensor its
   * values unpacked to int8/uint8 (dtype_storage), with Value.sem naming the
   * type; inputs and outputs keep the ONNX layout (Value.io_dt). */
  DT_F8E4M3FN, DT_F8E4M3FNUZ, DT_F8E5M2, DT_F8E5M2FNUZ, DT_F8E8M0, DT_F4E2M1,
  DT_I4, DT_U4, DT_I2, DT_U2,
  DT_COUNT
} DType;

typedef struct {
  const char *name;  /* "f32" (YAML spelling) */
  const char *ctype; /* C storage type in generated code */
  const char *npy;   /* numpy descr, little endian */
  int onnx;          /* TensorProto.DataType */
  int size;          /* bytes (ONNX-only types: of one element in the program) */
  bool is_float, is_signed;
  int bits;          /* ONNX-only types: bits of an element as ONNX stores it (4, 2: packed, first element in
                      * the low bits); 0 for the rest */
} DTypeInfo;
extern const DTypeInfo dtype_info[DT_COUNT];
DType dtype_from_name(const char *s);
DType dtype_from_onnx(int onnx);
DType dtype_from_npy(const char *descr);
/* An ONNX-only type (above): never the dtype of a Value. */
static inline bool dtype_onnx_only(DType dt) { return dt > DT_STRING && dt < DT_COUNT; }
/* What holds one element of dt in a program: dt itself, or u8 (float8,
 * float4, e8m0 bits; uint4, uint2) or i8 (int4, int2) for the ONNX-only types. */
DType dtype_storage(DType dt);
/* Bytes of n elements of dt as ONNX and the C API store them: packed for
 * 4- and 2-bit types (ceil(n*bits/8)), n*size for the rest. */
int64_t dtype_nbytes(DType dt, int64_t n);
/* Element i of packed 4/2-bit data (low bits first), sign-extended for
 * int4/int2; for other dtypes 0. */
int64_t packed_get(DType dt, const void *data, int64_t i);

/* Scalar conversions between storage bytes and the interpreter's
 * representation (double for floats, int64 for integers and bool).
 * DT_STRING storage on the host (constants, interpreter, CLI buffers) is one
 * 8-byte slot per element holding the string's address as an int64 (via
 * intptr_t); raw_get_i/raw_set_i move that slot. str_at/str_put are the
 * readable spellings. Generated C holds plain `const char *` arrays. */
double raw_get_f(DType dt, const void *p, int64_t i);
int64_t raw_get_i(DType dt, const void *p, int64_t i);
void raw_set_f(DType dt, void *p, int64_t i, double v);
void raw_set_i(DType dt, void *p, int64_t i, int64_t v);
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_bf16(float f);
const char *str_at(const void *data, int64_t i);
void str_put(void *data, int64_t i, const char *s);

/* Element count, or -1 when it overflows or a dim is negative. */
int64_t shape_numel(int rank, const int64_t *dims);
/* "[1,3,224,224]" into an arena string. */
const char *shape_str(Arena *a, int rank, const int64_t *dims);

/* ------------------------------------------------- front-end graph (ONNX level) */
typedef enum { AT_INT, AT_FLOAT, AT_STRING, AT_INTS, AT_FLOATS, AT_STRINGS, AT_TENSOR, AT_GRAPH } AttrType;

struct Graph;
typedef struct TensorData {
  DType dt;
  int rank;
  int64_t dims[MAX_RANK];
  const void *data; /* little-endian storage bytes, numel*size (DT_STRING: slots, see str_at) */
} TensorData;

typedef struct {
  const char *name;
  AttrType type;
  int64_t i;
  double f;
  const char *s;
  int n; /* element count of ints/floats/strs */
  int64_t *ints;
  double *floats;
  const char **strs;
  TensorData *t;
  struct Graph *g;
  Loc loc;
} Attr;

/* The ONNX type of a graph input or output: a tensor, a sequence of
 * tensors, an optional tensor or an optional sequence of tensors (dt, rank
 * and dims then describe the tensors). A sequence's length is known only
 * from its data (docs/c-api.md, "Sequences and optionals"). */
typedef enum { GK_TENSOR, GK_SEQ, GK_OPT, GK_OPTSEQ } GKind;

typedef struct {
  const char *name;
  DType dt;
  int rank;         /* -1 when unknown */
  int64_t dims[MAX_RANK]; /* -1 for a dynamic dim */
  const char *sym[MAX_RANK]; /* names of dynamic dims, or NULL */
  TensorData *init; /* initializer data, or NULL */
  Loc loc;
  GKind kind;
} GTensor;

/* The data of a sequence or optional (a SequenceProto / OptionalProto file):
 * n tensors; none: an optional without a value. */
typedef struct {
  GKind kind;
  bool none;
  int n;
  TensorData **t;
} SeqData;

typedef struct {
  const char *op, *domain, *name;
  int opset; /* of the node's domain */
  int nin, nout;
  const char **in;  /* "" for an omitted optional input */
  const char **out;
  Loc *in_loc;      /* per input (YAML), may be NULL */
  int nattr;
  Attr *attrs;
  Loc loc;
  Loc op_loc;       /* the op name itself (YAML); line 0 when unknown */
} GNode;

typedef struct Graph {
  const char *name;
  const char *file;
  PtrVec inputs;  /* GTensor*: graph inputs (without initializers) */
  PtrVec inits;   /* GTensor*: initializers */
  PtrVec outputs; /* GTensor*: graph outputs (name, maybe declared type) */
  PtrVec values;  /* GTensor*: value_info, for checking */
  PtrVec nodes;   /* GNode* */
  int opset, opset_ml;
  struct Graph *parent; /* for subgraphs */
} Graph;

const Attr *attr_find(const GNode *n, const char *name);

/* ------------------------------------------------------------ primitives */
typedef enum {
#define OP(name, ...) OP_##name,
#include "ops.def"
#undef OP
  OP_COUNT,
  OP_NONE = OP_COUNT
} Op;
typedef enum { K_UNARY, K_BINARY, K_TERNARY, K_REDUCE, K_MOVE, K_COMPUTE } OpKind;
/* The columns of ops.def (documented there), one row per primitive. */
typedef enum { R_SAME, R_BOOL, R_LOGIC, R_I64, R_OUTDT } OpResult;
enum { DTC_F = 1, DTC_S = 2, DTC_U = 4, DTC_B = 8, DTC_STR = 16 }; /* dtype classes */
enum { OPF_COMM = 1, OPF_IMAP = 2 };                               /* flags */
typedef struct {
  const char *name; /* "ADD" */
  int arity;        /* -1: one or more */
  OpKind kind;
  OpResult result;
  unsigned dtypes;  /* DTC_* of the value operands */
  unsigned flags;   /* OPF_* */
} OpInfo;
extern const OpInfo op_info[OP_COUNT];
/* the same columns as plain arrays */
extern const char *const op_name[OP_COUNT];
extern const int op_arity[OP_COUNT];
extern const OpKind op_kind[OP_COUNT];

/* Predicates over op_info: what code asks instead of listing ops. */
static inline unsigned dtype_class(DType dt) {
  if (dt == DT_BOOL) return DTC_B;
  if (dt == DT_STRING) return DTC_STR;
  if (dt == DT_UNDEF || (unsigned)dt >= DT_COUNT || dtype_onnx_only(dt)) return 0;
  return dtype_info[dt].is_float ? DTC_F : dtype_info[dt].is_signed ? DTC_S : DTC_U;
}
/* May op's value operands have dtype dt? (PAD takes strings only in its
 * non-constant modes: op_takes_strings.) */
static inline bool op_accepts(Op op, DType dt) { return (op_info[op].dtypes & dtype_class(dt)) != 0; }
/* Is the result a truth value, 0 or 1 (BOOL and LOGIC rows)? */
static inline bool op_bool_result(Op op) { return op_info[op].result == R_BOOL || op_info[op].result == R_LOGIC; }
/* The output dtype for value operands of dtype `operand`; `given` is the
 * node's own choice, used by OUTDT rows (CAST, IOTA). */
static inline DType op_result_dt(Op op, DType operand, DType given) {
  switch (op_info[op].result) {
  case R_BOOL: return DT_BOOL;
  case R_I64: return DT_I64;
  case R_OUTDT: return given;
  default: return operand;
  }
}
static inline bool op_commutative(Op op) { return (op_info[op].flags & OPF_COMM) != 0; }
static inline bool op_index_map(Op op) { return (op_info[op].flags & OPF_IMAP) != 0; }

/* VK_SEQ: a sequence or optional while decomposing (Value.seq); it never
 * reaches the primitive program (ir/decompose_seqtype.c) */
typedef enum { VK_TEMP, VK_INPUT, VK_CONST, VK_SEQ } ValueKind;
typedef enum { PAD_CONSTANT, PAD_EDGE, PAD_REFLECT, PAD_WRAP } PadMode;
typedef enum { POOL_MAX, POOL_AVG, POOL_LP } PoolKind;
/* Whether a primitive may read or write string tensors: the STR rows of
 * ops.def (movement, WHERE, CMPEQ), PAD only in its non-constant modes. */
bool op_takes_strings(Op op, PadMode pad);

struct PNode;
typedef struct Value {
  int id;
  ValueKind kind;
  DType dt;
  int rank;
  int64_t shape[MAX_RANK];
  const char *name;      /* model tensor name, for comments and C names */
  const void *cdata;     /* VK_CONST: storage bytes */
  struct PNode *src;     /* producer (VK_TEMP) */
  int nuses;             /* consumers in the primitive graph */
  int out_index;         /* >= 0 when it is graph output #k */
  int in_index;          /* >= 0 when it is graph input #k */
  /* filled by lowering and planning */
  struct Kernel *kernel; /* kernel that writes it, if materialized */
  int64_t offset;        /* arena offset, weights index, ... */
  bool materialized;
  /* An ONNX-only element type (DT_F8E4M3FN ... DT_U2) these elements stand
   * for, DT_UNDEF for none: dt is then dtype_storage(sem) and every element
   * one value of sem (float8: its bits; int4: its value). Set and read by
   * the decomposition only (ir/lowbit.c); renderers never see it. */
  DType sem;
  /* Graph inputs and outputs of an ONNX-only type: that type and the
   * tensor's shape as the caller passes it (io_dt DT_UNDEF otherwise). The
   * Value itself is the storage: the same bytes (float8: one per element;
   * int4: ceil(n/2) packed, a 1-D u8 Value). */
  DType io_dt;
  int io_rank;
  int64_t io_shape[MAX_RANK];
  /* VK_CONST integers: [rlo, rhi] holds every element (set on first use by
   * ex_load, so a table lookup's result has a value range) */
  bool ranged;
  int64_t rlo, rhi;
  /* a run-time check (b_check): a bool scalar that must be true, else the
   * run fails with MLG_STATUS_VALUE; the text says what it checks */
  const char *check;
  struct SeqV *seq; /* VK_SEQ only */
} Value;

/* A sequence (opt false: its n tensors) or an optional (opt: none, or n = 1
 * holding a tensor or a sequence) known at build time; dt: the tensors'
 * dtype (DT_UNDEF for an empty sequence of unknown type). */
typedef struct SeqV {
  bool opt, none;
  int n;
  Value **v;
  DType dt;
} SeqV;

/* Parameters of a primitive; which fields matter depends on the op. */
typedef struct {
  unsigned axes;               /* REDUCE: bit per reduced axis */
  bool keepdims;
  int axis;                    /* CONCAT GATHER ARGMAX IOTA */
  int perm[MAX_RANK];          /* PERMUTE: out dim d = in dim perm[d] */
  int64_t start[MAX_RANK], step[MAX_RANK]; /* SLICE */
  int64_t lo[MAX_RANK], hi[MAX_RANK];      /* PAD (>= 0) */
  PadMode pad_mode;
  double fill;                 /* PAD constant, IOTA start */
  double delta;                /* IOTA step */
  bool select_last;            /* ARGMAX/ARGMIN select_last_index */
  /* CONV / POOL over the trailing nsp spatial dims of NC... */
  int nsp;
  int64_t kernel[3], stride[3], dil[3], plo[3], phi[3];
  int group;
  PoolKind pool;
  bool count_pad;              /* average pool counts padding */
  double p;                    /* LP pool */
} Params;

typedef struct PNode {
  int id;
  Op op;
  int nin;
  Value **in;
  Value *out;
  Params pr;
  Loc loc;
  const char *origin; /* "Gemm fc1" : source op and node, for comments */
  bool dead;
} PNode;

/* ------------------------------------------------------------ kernel IR */
/* A kernel computes one buffer. Its loop variables are v0..v(nout-1) over the
 * output shape, then v(nout)..v(nout+nred-1) over the reduce shape. `body` is
 * evaluated at every point; with a reduction it is folded into an
 * accumulator by `rop`, and `post` (which may use E_ACC) gives the stored
 * value. Index expressions are E_* trees of dtype DT_I64.
 * `lets` are named temporaries of the body, evaluated in order at every
 * point before it: an E_TMP node is a leaf that reads lets[i], whose
 * definition (`def`, in terms of the body's variables and earlier lets) is
 * not one of its operands, so walking the operands never re-walks a shared
 * definition. Fusion makes them (ir/fuse.c); lets belong to the body, never
 * to `post`. */
typedef enum { E_CONST, E_VAR, E_LOAD, E_ACC, E_ALU, E_TMP } ExprKind;

typedef struct Expr {
  ExprKind kind;
  Op op;             /* E_ALU: an UNARY/BINARY/TERNARY op */
  DType dt;          /* result dtype */
  struct Expr *a[3];
  double f;          /* E_CONST float */
  int64_t i;         /* E_CONST integer/bool; E_VAR: variable number */
  Value *buf;        /* E_LOAD */
  int nidx;
  struct Expr **idx; /* E_LOAD: one index per dim of buf */
  int64_t lo, hi;    /* value range of integer expressions */
  struct Expr *def;  /* E_TMP: its definition (i = its slot in Kernel.lets) */
  bool narrowed;     /* gpu_narrow: an i64 value computed as i32 (its lo/hi are sound) */
} Expr;

/* PANELS: rows x columns over an operand that varies with the columns (packed when constant: what a tuning
 * file chooses); LANES: lanes along the output's rows, rows along the weights' channels; WINDOW: rows x
 * columns of a window sum (depthwise convs, pools) */
enum { SCHED_TILE_NONE, SCHED_TILE_PANELS, SCHED_TILE_LANES, SCHED_TILE_WINDOW };

typedef struct {
  int vec;            /* C: innermost output loop made the inner loop (reduce into memory) */
  int unroll;         /* unroll factor of the innermost loop, 1 = none */
  int wg;             /* GPU workgroup size */
  int block;          /* C: innermost output loop blocked by this many, under the reduction */
  int tile;           /* SCHED_TILE_*: the register tile the kernel took, if any */
  const char *why;    /* one-line reason, shown by inspect */
} Schedule;

typedef struct Kernel {
  int id;
  const char *name;   /* C identifier */
  const char *origin; /* source ops, for the comment */
  const char *where;  /* provenance: ONNX node names or YAML file:line, " + "-joined when fused */
  Value *out;
  int nout;
  int64_t oshape[MAX_RANK];
  int nred;
  int64_t rshape[MAX_RANK];
  Op rop;             /* OP_NONE, OP_RSUM, OP_RMAX, OP_RMIN, OP_RPROD, OP_ARGMAX, OP_ARGMIN */
  bool select_last;
  DType accdt;
  Expr *body;
  Expr *post;         /* NULL: the accumulator itself */
  int nlets;
  Expr **lets;        /* E_TMP nodes, in evaluation order (lets[i]->i == i) */
  Schedule sched;
  struct Nest *nest;  /* the loop nest after scheduling (ir/nest.c, ir/schedule.c) */
  bool dead;          /* fused away */
} Kernel;

/* Every expression tree of a kernel, for whoever visits its loads: root 0
 * is the body, 1 the post expression (may be NULL), then each temporary's
 * definition. */
static inline int kernel_nroots(const Kernel *k) { return 2 + k->nlets; }
static inline const Expr *kernel_root(const Kernel *k, int i) {
  return i == 0 ? k->body : i == 1 ? k->post : k->lets[i - 2]->def;
}


/* ------------------------------------------------------------ loop nest */
/* What renderers walk (ir/nest.c): per kernel, an explicit tree of loops
 * over statements. ir_nest builds the plain nest of a Kernel (output loops,
 * then the reduction loops around the body); schedules are rewrites of the
 * tree (split, reorder, unroll, vectorize, guard hoisting, staging a tile
 * into a local buffer, expanding the accumulator, GPU mapping), each
 * followed by nest_verify. Renderers never know which rewrite made what
 * they render.
 *
 * Variables: Nest.vars[v] for v = 0..nvars-1; the kernel's own are
 * v0..v(nout-1) (outputs, named i<d>) and v(nout).. (reduction, r<d>);
 * rewrites add more (j<v>). An E_VAR's [lo, hi] lies inside its loop's.
 * Locals: slots 0..nlets-1 are the kernel's temporaries (E_TMP i, defined
 * by ST_DEF); rewrites add accumulators, best values, packed words and
 * arrays. An E_TMP whose a[0] is set reads element a[0] of an array local
 * (ex_local). E_ACC reads the local Nest.acc. */
typedef enum { LK_SERIAL, LK_UNROLL, LK_VECTOR, LK_GPU_GLOBAL, LK_GPU_LOCAL, LK_COUNT } LoopKind;
extern const char *const loop_kind_name[LK_COUNT];
typedef enum {
  ST_SEQ,    /* s[0..n): in order; `scope` makes it a block of its own */
  ST_LOOP,   /* for var in [lo, hi) of kind lk: s[0..n) */
  ST_IF,     /* if e: s[0..n) */
  ST_BIND,   /* var = e (an index the loops do not run, e.g. split from a flat GPU id) */
  ST_DEF,    /* local slot = e (a temporary, defined once in its scope) */
  ST_LOCAL,  /* declare local slot (array of Local.n when n > 0), initialized to e if set */
  ST_UPDATE, /* slot[idx] (or buf[idx]) = rop(itself, e); arg reductions: best/slot by arg */
  ST_STORE,  /* buf[idx] = e, or local array slot[idx] = e when buf is NULL */
} StmtKind;

typedef struct Stmt {
  StmtKind kind;
  int n, cap;
  struct Stmt **s;  /* SEQ LOOP IF: the body */
  bool scope;       /* SEQ */
  int var;          /* LOOP BIND */
  int64_t lo, hi;   /* LOOP */
  LoopKind lk;      /* LOOP */
  int slot;         /* DEF LOCAL UPDATE STORE: the local (-1: buf) */
  Expr *e;          /* IF: condition; BIND DEF UPDATE STORE: value; LOCAL: initial value or NULL */
  Expr *idx;        /* UPDATE STORE: flat element index (NULL: a scalar local) */
  Value *buf;       /* UPDATE STORE into a buffer */
  Op rop;           /* UPDATE: OP_RSUM OP_RPROD OP_RMAX OP_RMIN OP_ARGMAX OP_ARGMIN */
  bool select_last; /* UPDATE arg reductions */
  Expr *arg;        /* UPDATE arg reductions: the position; slot receives it */
  int best;         /* UPDATE arg reductions: the local holding the best value */
} Stmt;

typedef enum { LV_LET, LV_ACC, LV_BEST, LV_ARRAY, LV_WORD } LocalKind;
typedef struct {
  LocalKind kind;
  DType dt;
  int64_t n; /* LV_ARRAY: elements */
} Local;

typedef struct {
  int64_t lo, hi; /* every value the variable takes, inclusive */
} NVar;

typedef struct Nest {
  const Kernel *k;
  Arena *a;
  int nvars, capv;
  NVar *vars;
  int nlocals, capl;
  Local *locals;
  int acc;    /* the local E_ACC reads (-1 none) */
  Stmt *root;
  const char *log; /* the rewrites applied, one per line (inspect), arena text */
} Nest;

/* ir/nest.c */
Nest *ir_nest(Arena *a, const Kernel *k);            /* the plain nest of k; NULL on OOM */
int nest_verify(const Nest *n, const char *after, Diags *d);
void nest_print(Buf *b, const Nest *n, int indent);  /* the loop tree, for inspect */
int nest_var(Nest *n, int64_t lo, int64_t hi);       /* a new variable; -1 on OOM */
Expr *nest_var_expr(Nest *n, int v);                 /* E_VAR v with its range (a constant when lo == hi) */
int nest_local(Nest *n, LocalKind kind, DType dt, int64_t len);
Stmt *st_new(Arena *a, StmtKind kind);
int st_push(Arena *a, Stmt *parent, Stmt *child);
/* Loops of the nest in pre-order (at most max), and the statement list
 * holding each (parent[i]->s[pos[i]] == loops[i]). */
int nest_loops(Nest *n, Stmt **loops, Stmt **parent, int *pos, int max);
/* Rewrites: 0 applied, 1 not applicable here, -1 out of memory. */
int nest_split(Nest *n, Stmt *loop, int64_t factor);      /* v -> vo*f + vi, guarded when f does not divide */
int nest_reorder(Nest *n, Stmt *loop);                    /* swap with the one loop that is its whole body */
int nest_fuse(Nest *n, Stmt *loop);                       /* it and the one loop that is its whole body -> one loop */
int nest_unroll(Nest *n, Stmt *parent, int pos);          /* replace by one scoped copy per iteration */
int nest_vectorize(Nest *n, Stmt *parent, int pos, int lanes); /* split by lanes, peel the tail, lanes innermost */
int nest_hoist_guards(Nest *n, Stmt *parent, int pos);    /* interior range without bounds tests + borders */
int nest_stage(Nest *n, Stmt *parent, int pos);           /* copy a loaded tile into a local array first */
int nest_expand_acc(Nest *n, Stmt *loop, bool into_output); /* accumulators per iteration, reduction outside */
int nest_expand_acc_tile(Nest *n, Stmt *loop, int depth);    /* the same over loop and the depth-1 loops in it */
int nest_register_tile(Nest *n, int vr, int vc, int mr, int nr, bool pad_c, int64_t group); /* mr x nr accumulator tiles over outputs vr, vc; column panels in groups of `group` outermost (0: under the other loops) */
int nest_register_tile_interior(Nest *n, int vr, int vc, int mr, int nr); /* the same, border columns (bounds tests) in tiles of their own */
int nest_replace_load(Nest *n, const Expr *from, Expr *to); /* every use of the node `from` (a load) becomes `to` */
void nest_consts(const Nest *n, Value **seen, int *nseen, int max); /* numeric constants it loads, in order */
int nest_gpu_map(Nest *n, int pack);              /* output loops -> one GPU-global loop (pack per item) */
int nest_gpu_tile(Nest *n, Stmt *loop, int wg);           /* gpu-global items -> groups x gpu-local threads */
void nest_simplify(Nest *n);                              /* fold decided IFs, drop empty loops */
/* ir/gpu.c: what every GPU target does to a kernel before rendering it.
 * gpu_pack: output elements per 32-bit item (4 for 8-bit, 2 for 16-bit
 * outputs: no two invocations write one word). gpu_nest: the plain nest,
 * mapped to GPU ids (nest_gpu_map), forced rewrites of what stays serial,
 * then gpu_narrow: every i64 expression whose value and i64 operands
 * provably fit 32 bits becomes an i32 one (index arithmetic, mostly), and
 * an i64/u64 sum or product accumulator that reaches the output truncated
 * to 32 bits anyway is held in 32 bits (exact: wrap-around arithmetic
 * agrees on the low bits), as is an arg reduction's position. */
int gpu_pack(const Kernel *k);
Nest *gpu_nest(Arena *a, const Kernel *k, const char *rewrites, Diags *d);
int gpu_narrow(Nest *n);
/* the flat element index of buf[idx], narrowed like the rest of n (for
 * loads, which keep one index per dimension in the IR); NULL on OOM */
Expr *gpu_index(Nest *n, const Value *buf, Expr **idx);
/* ir/gpu_layout.c: the three storage buffers every GPU target binds (the
 * arena at its plan offsets; the weights blob: every constant a kernel
 * loads, 16-byte aligned, in value order; the io buffer: inputs then
 * outputs, 16-byte aligned), where each tensor lives, and which kernels
 * need a barrier before them (they read or overwrite memory that a kernel
 * since the last barrier wrote or read). gpu_layout also refuses a tensor
 * of 2^31 or more elements for `target`. */
struct Program;
enum { GB_ARENA, GB_WEIGHTS, GB_IO, GB_COUNT };
typedef struct {
  unsigned char *weights; /* the weights blob */
  int64_t weights_size;
  int64_t *in_off, *out_off; /* io byte offsets, per graph input / output */
  int64_t *chk_off;          /* io byte offsets of the run-time checks (Program.checks), after the outputs */
  const Value **chk_val;     /* the check values, in that order */
  int nchecks;
  int64_t *woff;             /* weights byte offset by value id, -1 unused */
  int64_t io_size, arena_size;
} GpuLayout;
int gpu_layout(struct Program *p, GpuLayout *l, const char *target, Diags *d);
void gpu_locate(const GpuLayout *l, const Value *v, int *bind, int64_t *off);
/* -1 with "unsupported on <target>: string tensors" at the first node or io
 * that holds one, or, unless checks_ok (the target's host glue reads the
 * checks back from the io buffer: vulkan), "...: run-time checks" when the
 * program has one (--freeze the value instead) */
int gpu_refuse(struct Program *p, const char *target, bool checks_ok, Diags *d);
/* barrier[i] for kernel i of p, given its items (0: never dispatched) */
int gpu_barriers(struct Program *p, const GpuLayout *l, const int64_t *items, bool *barrier);
/* ir/schedule.c: the rewrites named in `list` ("split,reorder,fuse,unroll,vectorize,hoist,stage,expand,tile"),
 * applied to every loop they fit (mlgen --rewrite; tests). */
int sched_force(Nest *n, const char *list, Diags *d);

/* ------------------------------------------------------------- program */
typedef struct {
  int64_t arena_size, arena_align;
  int64_t arena_bound; /* the largest total of temporaries live at one kernel: no plan can do better */
  int64_t weights_size;
  int ntemps;
} Plan;

/* A schedule choice for one kernel (`mlgen tune` measures them, `mlgen build
 * --tuning FILE` applies them): the register tile's rows x columns and the
 * column panels per cache group (-1: the heuristic's, 0: no groups).
 * kernel "*" applies to every kernel without an entry of its own. */
typedef struct {
  const char *kernel; /* "k30_relu246", as `mlgen inspect` names it */
  int mr, nr;
  int group;
} TuneChoice;

typedef struct Program {
  Arena *a;
  const char *name;   /* C prefix */
  const char *file;   /* model file */
  PtrVec values;      /* Value* */
  PtrVec nodes;       /* PNode*, topological */
  PtrVec inputs;      /* Value*, graph inputs in order */
  PtrVec outputs;     /* Value*, graph outputs in order */
  PtrVec out_names;   /* const char*, graph output names (a Value may be shared) */
  PtrVec kernels;     /* Kernel*, execution order */
  Plan plan;
  int64_t fold_limit; /* max elements folded at build time */
  const char *rewrites; /* BuildOpts.rewrites */
  const TuneChoice *tune; /* BuildOpts.tune */
  int ntune;
  PtrVec checks;      /* Value*, run-time checks (Value.check) in program order */
  /* graph output k as program outputs [first, first + n): a tensor (n 1), a
   * sequence of n tensors, an optional (none: n 0); NULL when every graph
   * output is a tensor (then program output k is graph output k) */
  struct GOut {
    GKind kind;
    bool none;
    int first, n;
  } *gout;
  int ngout;
} Program;

/* The status `<name>_run` returns when a run-time check fails: an input value
 * that decides a shape (Reshape's shape, a Reduce's axes, ...) disagrees with
 * the shape the code was built for (docs/c-api.md). 1 is a NULL pointer or a
 * misaligned arena. */
enum { MLG_STATUS_ARG = 1, MLG_STATUS_VALUE = 2 };


/* Build options that reach the IR. */
typedef struct {
  const TuneChoice *tune;    /* schedule choices (--tuning), ntune of them */
  int ntune;
  int nshape;
  const char **shape_name;
  int *shape_rank;
  int64_t (*shape_dims)[MAX_RANK];
  int nfreeze;
  const char **freeze_name;
  TensorData **freeze_data;
  const char *tree_strategy; /* "gemm" "tree" "perfect", or NULL/"auto": heuristic */
  const char *rewrites;      /* forced schedule rewrites (sched_force), NULL: none */
  bool no_f64;               /* a target of this build lacks f64 (webgpu, metal, vulkan without float64):
                              * sums that would run in f64 (over a tree ensemble's trees) run in f32,
                              * in two levels of about sqrt(trees) each */
  bool no_graph_folds;       /* keep BatchNorm after a conv as written (ir/fold_bn.c): the interpreter's run,
                              * so that the oracle computes the model as written */
  int nseq;                  /* sequence/optional inputs: their element counts and shapes (or, frozen, data) */
  const char **seq_name;
  SeqData **seq_data;
  bool *seq_frozen;
} BuildOpts;

/* ---------------------------------------------------------------- passes */
/* ir/graph.c: names unique, every input defined, no cycle, outputs produced;
 * reorders nodes topologically. */
int ir_check_graph(Graph *g, Diags *d);
/* ir/decompose.c: Graph -> primitive Program with shapes and dtypes inferred
 * and constants folded (via the interpreter) as nodes are built. */
int ir_decompose(Graph *g, const BuildOpts *o, Program *p, Diags *d);
/* ir/verify.c: structural invariants of the primitive graph and kernels. */
int ir_verify(Program *p, Diags *d);
/* ir/lower.c: primitives -> kernels (one per node). */
int ir_lower(Program *p, Diags *d);
/* ir/fuse.c: inline cheap producers into consumers, reductions' epilogues. */
int ir_fuse(Program *p, Diags *d);
/* ir/schedule.c: per-kernel loop order / unrolling / workgroup choice. */
int ir_schedule(Program *p, Diags *d);
/* ir/plan.c: liveness-based arena offsets. */
int ir_plan(Program *p, Diags *d);
/* used[v->id] = true for every constant some kernel loads (the weights a
 * renderer must emit); used has p->values.n entries */
void ir_mark_consts(const Program *p, bool *used);
void ir_mark_consts_nest(const Program *p, bool *used); /* constants the kernels' nests load (what the C target emits) */
/* ir/compile.c: Graph -> verified primitive program (no kernels yet). */
int ir_build_prims(Graph *g, const BuildOpts *o, Program *p, Diags *d);
int ir_verify_pass(Program *p, const char *pass, Diags *d);
/* The whole pipeline, Graph -> planned Program. */
int ir_compile(Graph *g, const BuildOpts *o, Program *p, Diags *d);

/* ir/carve.c: a new planned program over copies of the kernels of src with
 * sel[i] set (bring-up: docs/bring-up.md). Outputs: every chosen kernel's
 * tensor, in kernel order. feed false (taps): kernels read each other as in
 * src, inputs are src's inputs they read; feed true (isolated): every
 * non-constant tensor a chosen kernel reads is an input, one per source
 * tensor in order of first read. perturb_k >= 0 breaks that kernel's copy
 * (test-only: PERTURB_INDEX each output element computed at the next index
 * along its last dimension longer than 1, wrapping: an off-by-one index;
 * PERTURB_VALUE, and PERTURB_INDEX on a one-element output, the stored
 * value + 0.5, +1, or negated).
 * in_src (NULL, or room for src->values.n ids): the source value id of each
 * input. Constants are copied, src is not changed. 0, or -1 with a diagnostic. */
enum { PERTURB_NONE, PERTURB_INDEX, PERTURB_VALUE };
int ir_carve(const Program *src, const bool *sel, bool feed, int perturb_k, int perturb_kind, Program *dst,
             int *in_src, Diags *d);

/* ir/interp.c: the reference interpreter. Buffers hold numel 8-byte slots:
 * double for float dtypes, int64 for the rest (DT_STRING: the address). */
typedef struct {
  DType dt;
  int64_t n;
  union { double *f; int64_t *i; } u;
} IBuf;
int interp_node(const PNode *n, IBuf *const *in, IBuf *out, Diags *d);
/* Runs the whole program; inputs/outputs as storage bytes of their dtypes. */
int interp_run(Program *p, const void *const *inputs, void *const *outputs, Diags *d);

/* ir/expr.c: kernel-IR construction with simplification. */
Expr *ex_const_i(Arena *a, int64_t v);
Expr *ex_const(Arena *a, DType dt, double f, int64_t i);
Expr *ex_var(Arena *a, int v, int64_t extent);
Expr *ex_load(Arena *a, Value *buf, Expr **idx);
Expr *ex_acc(Arena *a, DType dt); /* a reduction's accumulator, for post expressions */
Expr *ex_alu(Arena *a, Op op, DType dt, Expr *x, Expr *y, Expr *z);
Expr *ex_add(Arena *a, Expr *x, Expr *y);
Expr *ex_mul(Arena *a, Expr *x, Expr *y);
Expr *ex_div(Arena *a, Expr *x, int64_t c);  /* floor division by c > 0 of x >= 0 */
Expr *ex_mod(Arena *a, Expr *x, int64_t c);
Expr *ex_lt(Arena *a, Expr *x, Expr *y);
Expr *ex_and(Arena *a, Expr *x, Expr *y);
Expr *ex_where(Arena *a, Expr *c, Expr *x, Expr *y);
/* Replace variable v by sub[v] (NULL = keep) and the accumulator by acc. */
Expr *ex_subst(Arena *a, Expr *e, Expr **sub, Expr *acc);
/* Flat element offset of a multi-index into buf (row-major). */
Expr *ex_flat(Arena *a, const Value *buf, Expr **idx);
Expr *ex_flat_shape(Arena *a, int rank, const int64_t *shape, Expr **idx); /* the same over any row-major shape */
int ex_count_loads(const Expr *e, const Value *buf);
/* Element idx of array local `slot` (loop nests), an E_TMP with a[0] = idx. */
Expr *ex_local(Arena *a, int slot, DType dt, Expr *idx);
/* e with every occurrence of node `from` replaced by `to` (re-simplified). */
Expr *ex_replace(Arena *a, Expr *e, const Expr *from, Expr *to);
/* A temporary holding def (for Kernel.lets; its slot is set by the caller). */
Expr *ex_tmp(Arena *a, Expr *def);
/* Loads of buf in the kernel's body, lets and post. */
int kernel_count_loads(const Kernel *k, const Value *buf);

/* Names and C identifiers. */
const char *c_ident(Arena *a, const char *s);

/* A path as generated files may show it: base name only, printable ASCII, safe
 * inside a C comment; NULL for NULL (ir/util.c). */
const char *safe_base_name(Arena *a, const char *path);
/* model text for a block comment: printable ASCII, no comment delimiter */
const char *comment_text(Arena *a, const char *s);

#endif
