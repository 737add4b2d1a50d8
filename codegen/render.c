/* render.c: the walker every target renders loop nests with (render.h).
 *
 * It knows the statements and the expression skeleton; a Target knows its
 * types and spellings. Nothing here depends on which schedule produced the
 * nest.
 */
#include "render.h"

#include <stdio.h>
#include <string.h>

void w_line(W *w, const char *fmt, ...) {
  for (int i = 0; i < w->dep; i++) buf_puts(w->b, "  ");
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(w->b, fmt, ap);
  va_end(ap);
  buf_puts(w->b, "\n");
}

/* model text for a message: printable ASCII */
static const char *clean(W *w, const char *s) {
  char *r = arena_strdup(w->a, s ? s : "?");
  for (char *c = r; c && *c; c++)
    if (*c < 32 || *c > 126) *c = '?';
  return r;
}

void w_refuse(W *w, const char *fmt, ...) {
  if (w->err) return;
  Buf m = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&m, fmt, ap);
  va_end(ap);
  const char *origin = w->k ? w->k->origin : NULL;
  diag_error(w->d, (Loc){.file = w->p->file}, "unsupported on %s: %s at kernel %s (%s)", w->t->name, m.s ? m.s : "",
             w->k && w->k->name ? w->k->name : "?", clean(w, origin));
  buf_free(&m);
  w->err = true;
}

const char *w_var(W *w, int v) {
  const Kernel *k = w->k;
  if (v < k->nout) return arena_printf(w->a, "i%d", v);
  if (v < k->nout + k->nred) return arena_printf(w->a, "r%d", v - k->nout);
  return arena_printf(w->a, "j%d", v);
}

const char *w_local(W *w, int slot) {
  switch (w->n->locals[slot].kind) {
  case LV_LET: return arena_printf(w->a, "v%d", slot);
  case LV_ACC: return "acc";
  case LV_BEST: return "best";
  case LV_WORD: return "word";
  default: return arena_printf(w->a, "mlg_t%d", slot);
  }
}

void w_expand(W *w, Buf *b, const char *t, int ty, const char **args) {
  for (const char *s = t; *s; s++) {
    if (*s != '%') {
      buf_printf(b, "%c", *s);
      continue;
    }
    char c = *++s;
    if (c >= '0' && c <= '2') buf_puts(b, args[c - '0']);
    else if (c == '%') buf_puts(b, "%");
    else if (c == 0) break;
    else w->t->placeholder(w, b, c, ty);
  }
}

const char *w_apply(W *w, Op op, int t, const char **args, const Expr *e) {
  if (w->t->typed_op) {
    const char *s = w->t->typed_op(w, op, t, args);
    if (s) return s;
  }
  const OpTmpl *row = &w->t->ops[op];
  if (w->t->base && !row->c[CL_F] && !row->c[CL_S] && !row->c[CL_U] && !row->c[CL_B]) row = &w->t->base[op];
  const char *tm = row->c[w->t->cls(t)];
  if (!tm) {
    w_refuse(w, "%s on %s", op_name[op], e ? dtype_info[e->dt].name : w->t->type_name(w, t));
    return "0";
  }
  if (tm[0] == '@') return w->t->helper(w, tm + 1, op, t, args, op_arity[op] > 0 ? op_arity[op] : 1);
  Buf b = {0};
  w_expand(w, &b, tm, t, args);
  char *s = arena_strdup(w->a, b.s ? b.s : "");
  buf_free(&b);
  return s;
}

const char *w_as(W *w, const Expr *e, int want) {
  if (e->kind == E_CONST) return w->t->lit(w, e, want);
  int t;
  const char *s = w_expr(w, e, &t);
  return w->t->conv(w, s, t, want);
}

/* an index value: i64 in the IR, or i64 computed as i32 (ir/gpu.c); its
 * range is sound */
static bool index_value(const Expr *e) { return e->dt == DT_I64 || e->narrowed; }

static const char *alu(W *w, const Expr *e, int *t) {
  Op op = e->op;
  int n = op_arity[op], ot = w->t->operand_type(w, e);
  const char *args[3] = {"", "", ""};
  for (int i = 0; i < n && i < 3; i++) args[i] = w_as(w, e->a[i], op == OP_WHERE && i == 0 ? w->t->bool_t : ot);
  w->cur = e;
  /* index arithmetic: a non-negative value divided by a positive constant
   * needs no helper in any target */
  if ((op == OP_DIV || op == OP_MOD) && index_value(e) && index_value(e->a[0]) && e->a[0]->lo >= 0 &&
      e->a[1]->kind == E_CONST && e->a[1]->i > 0) {
    *t = ot;
    const char *own = w->t->typed_op ? w->t->typed_op(w, op, ot, args) : NULL; /* an emulated type's own */
    return own ? own : arena_printf(w->a, "(%s %s %s)", args[0], op == OP_DIV ? "/" : "%", args[1]);
  }
  if (w->t->special) {
    const char *s = w->t->special(w, e, args, ot, t);
    if (s) return s;
  }
  const char *s = w_apply(w, op, ot, args, e->a[op == OP_WHERE ? 1 : 0]);
  return w->t->result(w, e, ot, s, t);
}

const char *w_expr(W *w, const Expr *e, int *t) {
  switch (e->kind) {
  case E_CONST:
    *t = w->t->type_of(w, e);
    return w->t->lit(w, e, *t);
  case E_VAR:
    *t = w->t->var_type(w, (int)e->i);
    if (w->t->ir) return w->t->ir->get(w, (int)e->i, -1, NULL, t);
    return w_var(w, (int)e->i);
  case E_ACC:
    *t = w->ltype[w->n->acc];
    if (w->t->ir) return w->t->ir->get(w, -1, w->n->acc, NULL, t);
    return w_local(w, w->n->acc);
  case E_TMP:
    *t = w->ltype[e->i];
    if (w->t->ir) return w->t->ir->get(w, -1, (int)e->i, e->a[0] ? w_as(w, e->a[0], w->t->index_t) : NULL, t);
    if (e->a[0]) return arena_printf(w->a, "%s[%s]", w_local(w, (int)e->i), w_as(w, e->a[0], w->t->index_t));
    return w_local(w, (int)e->i);
  case E_LOAD: return w->t->load(w, e, t);
  case E_ALU: break;
  }
  if (e->op == OP_CAST || e->op == OP_BITCAST) return w->t->cast(w, e, t); /* the hook checks which */
  if (e->op == OP_WHERE && w->t->ir && w->t->ir->where) {
    const char *s = w->t->ir->where(w, e, t);
    if (s) return s;
  }
  return alu(w, e, t);
}

/* ------------------------------------------------------------ statements */
static void decl(W *w, int kind, int t, const char *name, const char *init, long long n) {
  const Target *T = w->t;
  if (T->decl) T->decl(w, kind, t, name, init, n);
  else if (kind == DECL_ARRAY) w_line(w, "%s %s[%lld];", T->type_name(w, t), name, n);
  else w_line(w, "%s%s %s = %s;", kind == DECL_LET ? T->def_kw : "", T->type_name(w, t), name, init ? init : "0");
}

static const char *lhs(W *w, const Stmt *s) {
  if (s->idx) return arena_printf(w->a, "%s[%s]", w_local(w, s->slot), w_as(w, s->idx, w->t->index_t));
  return w_local(w, s->slot);
}

/* an update for an IR target: the walker's text above as ops (w_apply) and
 * the target's get/set/open/close */
static void ir_update(W *w, const Stmt *s) {
  const Target *T = w->t;
  const IrHooks *ir = T->ir;
  if (s->rop == OP_ARGMAX || s->rop == OP_ARGMIN) {
    int bt = w->ltype[s->best], pt = w->ltype[s->slot], bl = T->bool_t, tt;
    const char *v = w_as(w, s->e, bt), *pos = w_as(w, s->arg, pt);
    const char *best = ir->get(w, -1, s->best, NULL, &tt);
    static const Expr zero = {.kind = E_CONST, .dt = DT_I64};
    const char *z[2] = {w_as(w, s->arg, T->index_t), T->lit(w, &zero, T->index_t)};
    const char *first = w_apply(w, OP_CMPEQ, T->index_t, z, NULL);
    bool max = s->rop == OP_ARGMAX;
    /* argmax: v > best (v >= best when the last wins); argmin: v < best (v <= best) */
    const char *vb[2] = {max ? best : v, max ? v : best};
    const char *better = w_apply(w, s->select_last ? OP_CMPLE : OP_CMPLT, bt, vb, NULL);
    if (T->cls(bt) == CL_F) {
      const char *a1[1] = {v}, *a2[1] = {best};
      const char *nv = w_apply(w, OP_ISNAN, bt, a1, NULL);
      if (!s->select_last) {
        const char *nb[1] = {w_apply(w, OP_ISNAN, bt, a2, NULL)};
        const char *both[2] = {nv, w_apply(w, OP_NOT, bl, nb, NULL)};
        nv = w_apply(w, OP_AND, bl, both, NULL);
      }
      const char *o[2] = {better, nv};
      better = w_apply(w, OP_OR, bl, o, NULL);
    }
    const char *o[2] = {first, better};
    ir->open(w, NULL, w_apply(w, OP_OR, bl, o, NULL));
    ir->set(w, -1, s->best, NULL, v, bt);
    ir->set(w, -1, s->slot, NULL, pos, pt);
    ir->close(w, NULL);
    return;
  }
  int at = s->buf ? T->type_of(w, s->e) : w->ltype[s->slot], ct;
  const char *elem = !s->buf && s->idx ? w_as(w, s->idx, T->index_t) : NULL;
  const char *cur = s->buf ? ir->elem_get(w, s, &ct) : ir->get(w, -1, s->slot, elem, &ct);
  const char *args[2] = {T->conv(w, cur, ct, at), w_as(w, s->e, at)};
  Op op = s->rop == OP_RSUM ? OP_ADD : s->rop == OP_RPROD ? OP_MUL : s->rop == OP_RMAX ? OP_MAX : OP_MIN;
  const char *v = w_apply(w, op, at, args, NULL);
  if (s->buf) T->store(w, s, v, at);
  else ir->set(w, -1, s->slot, elem, v, at);
}

static void update(W *w, const Stmt *s) {
  if (w->t->ir) {
    ir_update(w, s);
    return;
  }
  int at = s->buf ? w->t->type_of(w, s->e) : w->ltype[s->slot];
  if (s->rop == OP_ARGMAX || s->rop == OP_ARGMIN) {
    int bt = w->ltype[s->best];
    const char *v = w_as(w, s->e, bt), *pos = w_as(w, s->arg, w->ltype[s->slot]);
    const char *cmp = s->rop == OP_ARGMAX ? (s->select_last ? ">=" : ">") : (s->select_last ? "<=" : "<");
    decl(w, DECL_LET, bt, "v", v, 0);
    const char *vb[2] = {"v", "best"}, *bv[2] = {"best", "v"};
    /* "v CMP best" spelled by the target: > is best < v, >= is !(v < best) */
    const char *better = !w->t->typed_op ? NULL
                         : s->rop == OP_ARGMAX ? w->t->typed_op(w, OP_CMPLT, bt, s->select_last ? vb : bv)
                                               : w->t->typed_op(w, OP_CMPLT, bt, s->select_last ? bv : vb);
    if (better && s->select_last) better = arena_printf(w->a, "!%s", better);
    const char *a1[1] = {"v"}, *a2[1] = {"best"};
    const char *first = w_as(w, s->arg, w->t->index_t);
    if (w->t->cls(bt) == CL_F) {
      const char *nv = w_apply(w, OP_ISNAN, bt, a1, NULL), *nb = w_apply(w, OP_ISNAN, bt, a2, NULL);
      if (s->select_last) w_line(w, "if (%s == 0 || v %s best || %s) {", first, cmp, nv);
      else w_line(w, "if (%s == 0 || v %s best || (%s && !%s)) {", first, cmp, nv, nb);
    } else if (better) {
      w_line(w, "if (%s == 0 || %s) {", first, better);
    } else {
      w_line(w, "if (%s == 0 || v %s best) {", first, cmp);
    }
    w->dep++;
    w_line(w, "best = v;");
    w_line(w, "%s = %s;", w_local(w, s->slot), pos);
    w->dep--;
    w_line(w, "}");
    return;
  }
  const char *dst;
  if (s->buf) {
    if (!w->t->elem) {
      w_refuse(w, "a reduction into memory");
      return;
    }
    dst = w->t->elem(w, s->buf, s->idx);
  } else {
    dst = lhs(w, s);
  }
  const char *v = w_as(w, s->e, at);
  const char *dv[2] = {dst, v};
  const char *own = (s->rop == OP_RSUM || s->rop == OP_RPROD) && w->t->typed_op
                        ? w->t->typed_op(w, s->rop == OP_RSUM ? OP_ADD : OP_MUL, at, dv) : NULL;
  if (own) {
    w_line(w, "%s = %s;", dst, own);
  } else if (s->rop == OP_RSUM || s->rop == OP_RPROD) {
    w_line(w, "%s %s= %s;", dst, s->rop == OP_RSUM ? "+" : "*", v);
  } else {
    const char *args[2] = {dst, v};
    w_line(w, "%s = %s;", dst, w_apply(w, s->rop == OP_RMAX ? OP_MAX : OP_MIN, at, args, NULL));
  }
}

/* a statement for an IR target: what stmt() below writes, as hooks */
static void ir_stmt(W *w, const Stmt *s) {
  const Target *T = w->t;
  const IrHooks *ir = T->ir;
  if (w->err) return;
  switch (s->kind) {
  case ST_SEQ:
    for (int i = 0; i < s->n; i++) ir_stmt(w, s->s[i]);
    return;
  case ST_LOOP: T->loop(w, s); break;
  case ST_IF: ir->open(w, s, w_as(w, s->e, T->bool_t)); break;
  case ST_BIND: ir->set(w, s->var, -1, NULL, w_as(w, s->e, T->index_t), T->index_t); return;
  case ST_DEF: {
    int t;
    const char *v = w_expr(w, s->e, &t);
    if (w->n->locals[s->slot].kind != LV_LET) {
      t = T->local_type(w, s->slot);
      v = w_as(w, s->e, t);
    }
    w->ltype[s->slot] = t;
    ir->declare(w, s->slot, DECL_LET, t, v, 0);
    return;
  }
  case ST_LOCAL: {
    int t = T->local_type(w, s->slot);
    w->ltype[s->slot] = t;
    const Local *l = &w->n->locals[s->slot];
    ir->declare(w, s->slot, l->kind == LV_ARRAY ? DECL_ARRAY : DECL_VAR, t, s->e ? w_as(w, s->e, t) : NULL,
                (long long)l->n);
    return;
  }
  case ST_UPDATE: ir_update(w, s); return;
  case ST_STORE:
    if (!s->buf) {
      int t = w->ltype[s->slot];
      const char *elem = s->idx ? w_as(w, s->idx, T->index_t) : NULL;
      ir->set(w, -1, s->slot, elem, w_as(w, s->e, t), t);
    } else {
      int t = 0;
      const char *v = s->e ? w_expr(w, s->e, &t) : NULL;
      T->store(w, s, v, t);
    }
    return;
  }
  for (int i = 0; i < s->n; i++) ir_stmt(w, s->s[i]);
  if (!w->err) ir->close(w, s);
}

static void stmt(W *w, const Stmt *s) {
  if (w->err) return;
  const Target *T = w->t;
  if (T->ir) {
    ir_stmt(w, s);
    return;
  }
  switch (s->kind) {
  case ST_SEQ:
    if (s->scope) w_line(w, "{");
    w->dep += s->scope;
    for (int i = 0; i < s->n; i++) stmt(w, s->s[i]);
    w->dep -= s->scope;
    if (s->scope) w_line(w, "}");
    return;
  case ST_LOOP:
    w->vuint[s->var] = s->lk == LK_GPU_GLOBAL || s->lk == LK_GPU_LOCAL;
    T->loop(w, s);
    break;
  case ST_IF: w_line(w, "if (%s) {", w_as(w, s->e, T->bool_t)); break;
  case ST_BIND:
    w->vuint[s->var] = false;
    decl(w, DECL_LET, T->index_t, w_var(w, s->var), w_as(w, s->e, T->index_t), 0);
    return;
  case ST_DEF: {
    int t;
    const char *v = w_expr(w, s->e, &t);
    if (w->n->locals[s->slot].kind != LV_LET) { /* an accumulator read back: its declared type */
      t = T->local_type(w, s->slot);
      v = w_as(w, s->e, t);
    }
    w->ltype[s->slot] = t;
    decl(w, DECL_LET, t, w_local(w, s->slot), v, 0);
    return;
  }
  case ST_LOCAL: {
    int t = T->local_type(w, s->slot);
    w->ltype[s->slot] = t;
    const Local *l = &w->n->locals[s->slot];
    decl(w, l->kind == LV_ARRAY ? DECL_ARRAY : DECL_VAR, t, w_local(w, s->slot), s->e ? w_as(w, s->e, t) : NULL,
         (long long)l->n);
    return;
  }
  case ST_UPDATE: update(w, s); return;
  case ST_STORE:
    if (!s->buf) {
      w_line(w, "%s = %s;", lhs(w, s), w_as(w, s->e, w->ltype[s->slot]));
    } else {
      int t = 0;
      const char *v = s->e ? w_expr(w, s->e, &t) : NULL;
      T->store(w, s, v, t);
    }
    return;
  }
  w->dep++;
  for (int i = 0; i < s->n; i++) stmt(w, s->s[i]);
  w->dep--;
  w_line(w, "}");
}

int render_nest(W *w) {
  const Nest *n = w->n;
  w->ltype = arena_alloc(w->a, sizeof(int) * (size_t)(n->nlocals + 1));
  w->vuint = arena_alloc(w->a, (size_t)n->nvars + 1);
  if (!w->ltype || !w->vuint) return -1;
  for (int i = 0; i < n->root->n; i++) stmt(w, n->root->s[i]);
  return w->err ? -1 : 0;
}

/* ----------------------------------------------------- GPU op templates */
/* The rows GLSL, WGSL and MSL spell alike: C's operators and the helpers of
 * their libraries (templates/<lang>_lib.*), which each language defines with
 * the same names and meanings. A GPU target's own table lists only the rows
 * it spells otherwise. */
const OpTmpl gpu_ops[OP_COUNT] = {
    /* op          float              signed int          unsigned int        bool */
    [OP_SQRT] = {{"sqrt(%0)", NULL, NULL, NULL}},
    [OP_EXP] = {{"exp(%0)", NULL, NULL, NULL}},
    [OP_LOG] = {{"log(%0)", NULL, NULL, NULL}},
    [OP_ERF] = {{"@erf", NULL, NULL, NULL}},
    [OP_TANH] = {{"tanh(%0)", NULL, NULL, NULL}},
    [OP_SIN] = {{"sin(%0)", NULL, NULL, NULL}},
    [OP_COS] = {{"cos(%0)", NULL, NULL, NULL}},
    [OP_TAN] = {{"tan(%0)", NULL, NULL, NULL}},
    [OP_ASIN] = {{"@asin", NULL, NULL, NULL}},
    [OP_ACOS] = {{"@acos", NULL, NULL, NULL}},
    [OP_ATAN] = {{"@atan", NULL, NULL, NULL}},
    [OP_SINH] = {{"@sinh", NULL, NULL, NULL}},
    [OP_COSH] = {{"@cosh", NULL, NULL, NULL}},
    [OP_ASINH] = {{"@asinh", NULL, NULL, NULL}},
    [OP_ACOSH] = {{"@acosh", NULL, NULL, NULL}},
    [OP_RECIP] = {{"@recip", NULL, NULL, NULL}},
    [OP_FLOOR] = {{"floor(%0)", "%0", "%0", NULL}},
    [OP_CEIL] = {{"ceil(%0)", "%0", "%0", NULL}},
    [OP_NOT] = {{NULL, NULL, NULL, "(!%0)"}},
    [OP_BITNOT] = {{NULL, "(~%0)", "(~%0)", NULL}},
    [OP_ISNAN] = {{"@isnan", "false", "false", NULL}},
    [OP_ISINF] = {{"@isinf", "false", "false", NULL}},
    [OP_DIV] = {{"@div", "@div", "@div", NULL}},
    [OP_POW] = {{"@pow", "@pow", "@pow", NULL}},
    [OP_MAX] = {{"@max", "max(%0, %1)", "max(%0, %1)", "(%0 || %1)"}},
    [OP_MIN] = {{"@min", "min(%0, %1)", "min(%0, %1)", "(%0 && %1)"}},
    [OP_MOD] = {{"@mod", "@mod", "@fmod", NULL}},
    [OP_FMOD] = {{"@fmod", "@fmod", "@fmod", NULL}},
    [OP_CMPLT] = {{"(%0 < %1)", "(%0 < %1)", "(%0 < %1)", "(!%0 && %1)"}},
    [OP_CMPLE] = {{"(%0 <= %1)", "(%0 <= %1)", "(%0 <= %1)", "(!%0 || %1)"}},
    [OP_CMPEQ] = {{"(%0 == %1)", "(%0 == %1)", "(%0 == %1)", "(%0 == %1)"}},
    [OP_AND] = {{NULL, NULL, NULL, "(%0 && %1)"}},
    [OP_OR] = {{NULL, NULL, NULL, "(%0 || %1)"}},
    [OP_BITAND] = {{NULL, "(%0 & %1)", "(%0 & %1)", NULL}},
    [OP_BITOR] = {{NULL, "(%0 | %1)", "(%0 | %1)", NULL}},
    [OP_BITXOR] = {{NULL, "(%0 ^ %1)", "(%0 ^ %1)", NULL}},
    [OP_SHL] = {{NULL, "@shl", "@shl", NULL}},
    [OP_SHR] = {{NULL, "@shr", "@shr", NULL}},
};

/* ------------------------------------------------------- GPU helper tables */
bool w_helper_mark(const HelperSet *hs, const char *name, int t) {
  char c = hs->cls(t);
  for (int h = 0; h < hs->n && h < GLSL_MAX_HELPERS; h++) {
    const GlslHelper *hp = &hs->tab[h];
    bool ok = hp->cls == 'x' || hp->cls == c || (hp->cls == 'F' && t == hs->float_t) ||
              (hp->cls == 'D' && t == hs->double_t);
    if (strcmp(hp->name, name) || !ok) continue;
    int tt = hp->cls == 'x' ? hs->float_t : t;
    bool *m = &hs->marks[h * hs->ntypes + tt];
    if (*m) return true;
    *m = true;
    char dep[32];
    bool all = true;
    for (const char *s = hp->deps; *s;) {
      size_t n = strcspn(s, ",");
      snprintf(dep, sizeof dep, "%.*s", (int)n, s);
      all &= w_helper_mark(hs, dep, tt);
      s += n + (s[n] == ',');
    }
    return all;
  }
  return false;
}

void w_helper_emit(W *w, const HelperSet *hs, Buf *b) {
  const char *none[3] = {"", "", ""};
  for (int h = 0; h < hs->n && h < GLSL_MAX_HELPERS; h++)
    for (int t = 0; t < hs->ntypes; t++)
      if (hs->marks[h * hs->ntypes + t]) {
        w_expand(w, b, hs->tab[h].src, t, none);
        buf_puts(b, "\n");
      }
}

const char *gpu_tensor_ident(Arena *a, Map *names, const char *base) {
  Buf b = {0};
  buf_puts(&b, "t_");
  for (const char *s = c_ident(a, base); *s; s++)
    if (*s != '_' || b.s[b.len - 1] != '_') buf_printf(&b, "%c", *s);
  while (b.len > 2 && b.s[b.len - 1] == '_') b.s[--b.len] = 0;
  return map_unique(a, names, buf_take(a, &b, NULL));
}
