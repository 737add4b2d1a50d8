/* render.h: the one walker over loop nests (render.c), and what a target
 * gives it.
 *
 * A target is a table and a few hooks. The walker owns the structure: the
 * statements of the nest (loops, guards, bindings, definitions, locals,
 * reductions with arg-max/min, stores), the expression walk (operands,
 * per-op templates by operand class, helper calls, the mini-language of
 * templates) and the names of variables and locals. A target says how its
 * types are named and converted, how literals, loads, casts and stores are
 * spelled, and may take over an ALU op it spells specially. Types are the
 * target's own small integers (C: a DType; GLSL: its value types).
 *
 * How to add a target: docs/architecture.md, "Renderers".
 */
#ifndef MLG_RENDER_H
#define MLG_RENDER_H

#include "codegen.h"

/* An op's templates, by operand class: float, signed, unsigned, bool.
 * NULL: not defined for that class (a refusal naming the kernel). A
 * template is text with %0 %1 %2 (the operands) and target placeholders
 * (Target.placeholder), or "@name": the target's helper `name`. */
typedef struct {
  const char *c[4];
} OpTmpl;
enum { CL_F, CL_S, CL_U, CL_B };

typedef struct W W;

/* The statements of a target that builds IR instead of text (llvm.c): the
 * walker still decides the structure and walks the expressions, and hands
 * every statement to these hooks instead of writing lines. Values (the
 * `const char *` of every hook) are then the target's opaque handles, not
 * text; a variable is var >= 0, else local `slot` (elem: the element of a
 * local array, or NULL). */
typedef struct {
  /* the body of an ST_LOOP (cond NULL) or ST_IF begins; s NULL: the guard of an
   * arg-max/min update, on cond */
  void (*open)(W *, const Stmt *s, const char *cond);
  void (*close)(W *, const Stmt *s);
  const char *(*get)(W *, int var, int slot, const char *elem, int *t);
  void (*set)(W *, int var, int slot, const char *elem, const char *v, int t);
  /* a local declared (ST_LOCAL, ST_DEF): kind DECL_*, init NULL: zero or undefined (array) */
  void (*declare)(W *, int slot, int kind, int t, const char *init, long long n);
  /* buf[s->idx] of an update into memory */
  const char *(*elem_get)(W *, const Stmt *s, int *t);
  /* a WHERE whose branches must not both be evaluated (a guarded load), or NULL */
  const char *(*where)(W *, const Expr *e, int *t);
} IrHooks;

typedef struct Target {
  const char *name;
  const OpTmpl *ops; /* [OP_COUNT] */
  const OpTmpl *base; /* [OP_COUNT]: the rows ops leaves out (all four NULL) come from here; NULL: none */
  int bool_t, index_t; /* the types of conditions and of flat indices */
  int (*type_of)(W *, const Expr *e);          /* the type e renders in */
  int (*cls)(int t);                           /* CL_* of a type */
  const char *(*type_name)(W *, int t);
  const char *(*conv)(W *, const char *s, int from, int to);
  const char *(*lit)(W *, const Expr *e, int want); /* a constant in type want */
  const char *(*load)(W *, const Expr *e, int *t);
  const char *(*cast)(W *, const Expr *e, int *t);
  int (*operand_type)(W *, const Expr *e);     /* the type an ALU op computes in */
  /* an op the target spells itself (args already rendered in ot), or NULL */
  const char *(*special)(W *, const Expr *e, const char **args, int ot, int *t);
  const char *(*helper)(W *, const char *name, Op op, int ot, const char **args, int nargs);
  /* the op's text (in ot) as the value of e, with its type */
  const char *(*result)(W *, const Expr *e, int ot, const char *s, int *t);
  void (*placeholder)(W *, Buf *b, char c, int t);
  int (*var_type)(W *, int var);
  int (*local_type)(W *, int slot);            /* accumulators, arrays, words */
  void (*loop)(W *, const Stmt *l);            /* the loop's opening line(s), ending in '{' */
  void (*store)(W *, const Stmt *s, const char *v, int t); /* into a buffer */
  const char *(*elem)(W *, const Value *buf, const Expr *flat); /* an element as an lvalue, or NULL */
  const char *def_kw;                          /* before a definition's type: "const " or "" */
  /* a declaration in the target's syntax (NULL: C's, `[def_kw]type name = init;`):
   * DECL_LET a value never assigned again, DECL_VAR a variable (init NULL:
   * zero), DECL_ARRAY n elements (contents undefined until stored) */
  void (*decl)(W *, int kind, int t, const char *name, const char *init, long long n);
  /* op on operands of type t when the target spells it for t itself (a type
   * the language lacks, emulated), else NULL: consulted before the table by
   * every ALU op, reduction update and arg-max comparison */
  const char *(*typed_op)(W *, Op op, int t, const char **args);
  const IrHooks *ir; /* NULL: a text target (the walker writes lines) */
} Target;
enum { DECL_LET, DECL_VAR, DECL_ARRAY };

struct W {
  Program *p;
  Arena *a;
  Diags *d;
  const Target *t;
  const Kernel *k;
  const Nest *n;
  Buf *b;
  int dep;
  int *ltype;  /* by local: its type once declared */
  bool *vuint; /* by variable: held unsigned (GPU ids) */
  const Expr *cur; /* the ALU expression being rendered (for helpers) */
  bool err;
};

/* the op rows the GPU languages share (GLSL, WGSL, MSL: render.c) */
extern const OpTmpl gpu_ops[OP_COUNT];

/* GPU helper tables: the functions a GPU language's kernels call (GLSL,
 * WGSL, MSL: templates/<lang>_lib.*, made into tables by cmake/embed.cmake).
 * A kernel marks the ones it calls, per type; they are emitted once each, in
 * table order (dependencies first). */
#define GLSL_MAX_HELPERS 128
typedef struct {
  const char *name;
  char cls;         /* f float/double, F float, D double, s signed, u unsigned, l i64, L u64 (emulated), x fixed */
  const char *deps; /* helpers it calls, comma separated */
  const char *src;  /* %T the type, %U its unsigned counterpart, %N the type's suffix for names */
} GlslHelper;
typedef struct {
  const GlslHelper *tab;
  int n;
  int ntypes;          /* the target's type count; marks is [GLSL_MAX_HELPERS][ntypes] */
  bool *marks;
  char (*cls)(int t);  /* the table's class letter of a type */
  int float_t, double_t; /* the types classes F and D mean (-1: none); x helpers take float_t */
} HelperSet;
/* marks helper `name` for type t and what it calls; false when the table has
 * none for t (the caller refuses) */
bool w_helper_mark(const HelperSet *hs, const char *name, int t);
/* appends the marked helpers, each expanded for its type, a line apart */
void w_helper_emit(W *w, const HelperSet *hs, Buf *b);
/* a unique identifier "t_<name>" for a tensor in one shader (no "__": WGSL
 * and C++ reserve such names) */
const char *gpu_tensor_ident(Arena *a, Map *names, const char *base);

/* Renders the nest's statements into w->b (w->k, w->n set by the caller). */
int render_nest(W *w);
const char *w_expr(W *w, const Expr *e, int *t);
const char *w_as(W *w, const Expr *e, int want);
/* op applied to rendered operands of type t (templates and helpers) */
const char *w_apply(W *w, Op op, int t, const char **args, const Expr *e);
void w_line(W *w, const char *fmt, ...);
void w_refuse(W *w, const char *fmt, ...);
const char *w_var(W *w, int v);
const char *w_local(W *w, int slot);
/* expands t's %0 %1 %2 %% and hands every other %c to Target.placeholder */
void w_expand(W *w, Buf *b, const char *tmpl, int t, const char **args);

#endif
