/* graph.c: structural checks of a front-end Graph, and topological order.
 *
 * Requires: a Graph from a frontend. Provides: every tensor defined once,
 * every node input defined, no cycle, every output produced, and
 * g->nodes reordered so producers come before consumers (stable: nodes
 * already in order stay in order). Errors point at the offending node or
 * tensor declaration. */
#include "ir.h"

#include <string.h>

static Loc nloc(const GNode *n) {
  Loc l = n->loc;
  if (!l.node) l.node = "";
  return l;
}

static Loc tloc(const GTensor *t) {
  Loc l = t->loc;
  if (!l.node) l.node = "";
  return l;
}

static const char *where(Arena *a, Loc l) {
  if (l.file && l.line > 0) return arena_printf(a, "%s:%d:%d", l.file, l.line, l.col);
  if (l.node && *l.node) return arena_printf(a, "node '%s'", l.node);
  return "elsewhere";
}

int ir_check_graph(Graph *g, Diags *d) {
  Arena *a = arena_new();
  if (!a) return -1;
  Map def = {0};  /* tensor -> producer index + 1 (or -1 for inputs/initializers, stored as pointers) */
  Map decl = {0}; /* tensor -> GTensor* for inputs/initializers */
  int rc = -1, n = g->nodes.n;
  static char input_mark;
  for (int pass = 0; pass < 2; pass++) {
    PtrVec *v = pass ? &g->inits : &g->inputs;
    for (int i = 0; i < v->n; i++) {
      GTensor *t = v->v[i];
      GTensor *prev = map_get(&decl, t->name);
      if (prev) {
        diag_error(d, tloc(t), "tensor '%s' is declared twice (first at %s)", t->name, where(a, tloc(prev)));
        goto out;
      }
      if (map_put(a, &decl, t->name, t) || map_put(a, &def, t->name, &input_mark)) goto out;
    }
  }
  GNode **nodes = (GNode **)g->nodes.v;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < nodes[i]->nout; k++) {
      const char *o = nodes[i]->out[k];
      if (!o[0]) continue;
      void *p = map_get(&def, o);
      if (p == &input_mark) {
        diag_error(d, nloc(nodes[i]), "tensor '%s' is produced by this node but is also a graph input or initializer",
                   o);
        goto out;
      }
      if (p) {
        GNode *first = nodes[(intptr_t)p - 1];
        diag_error(d, nloc(nodes[i]), "tensor '%s' is produced twice (first by the node at %s)", o,
                   where(a, nloc(first)));
        goto out;
      }
      if (map_put(a, &def, o, (void *)(intptr_t)(i + 1))) goto out;
    }
  }
  /* outer-scope names a subgraph may use */
  for (Graph *pg = g->parent; pg; pg = pg->parent) {
    (void)pg; /* subgraph inputs from outer scope are resolved at decomposition */
  }
  int *indeg = arena_alloc(a, sizeof(int) * (size_t)(n + 1));
  int *order = arena_alloc(a, sizeof(int) * (size_t)(n + 1));
  PtrVec *users = arena_alloc(a, sizeof(PtrVec) * (size_t)(n + 1));
  if (!indeg || !order || !users) goto out;
  for (int i = 0; i < n; i++) {
    GNode *nd = nodes[i];
    for (int k = 0; k < nd->nin; k++) {
      const char *in = nd->in[k];
      if (!in[0]) continue;
      void *p = map_get(&def, in);
      if (!p) {
        if (g->parent) continue; /* may come from the enclosing graph */
        Loc l = nd->in_loc ? nd->in_loc[k] : nloc(nd);
        if (!l.node) l.node = "";
        diag_error(d, l, "tensor '%s' is used by %s but never defined", in, nd->op);
        goto out;
      }
      if (p == &input_mark) continue;
      int src = (int)(intptr_t)p - 1;
      indeg[i]++;
      if (vec_push(a, &users[src], (void *)(intptr_t)i)) goto out;
    }
  }
  /* Kahn's algorithm, always taking the lowest ready index (stable) */
  int done = 0;
  bool *taken = arena_alloc(a, sizeof(bool) * (size_t)(n + 1));
  if (!taken) goto out;
  int lo = 0;
  while (done < n) {
    int pick = -1;
    for (int i = lo; i < n; i++)
      if (!taken[i] && indeg[i] == 0) {
        pick = i;
        break;
      }
    if (pick < 0) {
      /* every node left waits on another left node: walking producers back
       * n times from any of them ends on a cycle (not on a node that merely
       * consumes one) */
      int c = 0;
      while (taken[c]) c++;
      for (int step = 0; step < n; step++) {
        int next = -1;
        for (int k = 0; k < nodes[c]->nin && next < 0; k++) {
          void *p = nodes[c]->in[k][0] ? map_get(&def, nodes[c]->in[k]) : NULL;
          if (p && p != &input_mark && !taken[(intptr_t)p - 1]) next = (int)(intptr_t)p - 1;
        }
        if (next < 0) break;
        c = next;
      }
      diag_error(d, nloc(nodes[c]), "the graph has a cycle through this %s node", nodes[c]->op);
      goto out;
    }
    taken[pick] = true;
    order[done++] = pick;
    for (int u = 0; u < users[pick].n; u++) {
      int c = (int)(intptr_t)users[pick].v[u];
      if (--indeg[c] == 0 && c < lo) lo = c;
    }
    while (lo < n && taken[lo]) lo++;
  }
  GNode **sorted = arena_alloc(a, sizeof(GNode *) * (size_t)(n + 1));
  if (!sorted) goto out;
  for (int i = 0; i < n; i++) sorted[i] = nodes[order[i]];
  for (int i = 0; i < n; i++) nodes[i] = sorted[i];
  for (int i = 0; i < g->outputs.n; i++) {
    GTensor *t = g->outputs.v[i];
    if (!map_get(&def, t->name)) {
      diag_error(d, tloc(t), "output '%s' is not produced by any node", t->name);
      goto out;
    }
  }
  rc = 0;
out:
  arena_free(a);
  return rc;
}
