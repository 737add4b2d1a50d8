/* decompose_random.c: the random operators of ai.onnx (RandomUniform,
 * RandomUniformLike, RandomNormal, RandomNormalLike, Bernoulli) and Dropout
 * in training mode, over a counter-based generator built from existing
 * primitives (u32 ADD, MUL, BITXOR, SHR; CAST; IOTA for the counter).
 *
 * The generator (docs/architecture.md, "Random numbers"): element i (its
 * flat index in the output, row-major) of a node's stream draws
 *   h(i) = mix(mix(i + ka) ^ kb)
 *   mix(x): x ^= x >> 16; x *= 0x21f0aaad; x ^= x >> 15; x *= 0x735a2d97; x ^= x >> 15
 * on uint32 (mix is a bijection). Key set k (0; 1 for f64's second half, 2
 * for a normal's second uniform) of a node comes from its seed and stream:
 * ka = mix(s ^ 0x9e3779b9 * (stream + 1) ^ 0x632be5ab * k), kb = mix(ka ^ 0x85ebca6b),
 * s = the seed's IEEE float32 bit pattern (Dropout's integer seed: its low
 * 32 bits); no seed is seed 0. A node with a seed uses stream 0, so two
 * nodes with one seed draw the same numbers (as ONNX asks); a node without
 * one uses stream 1 + the number of seedless random nodes before it, in
 * build order. So the values are a pure function of (seed, node, index):
 * the same in every run and every build, on every target, and not numpy's
 * (the ONNX reference outputs of the random node tests cannot be matched).
 * A uniform in [0, 1) takes the top p bits of h (p = 24 f32, 11 f16, 8 bf16;
 * f64: 27 bits of one stream and 26 of a second, 53 in all) times 2^-p,
 * exact in that dtype; normals are Box-Muller on two uniforms.
 *
 * Nothing here has run-time state: when every operand is a constant (the
 * Like ops read only their input's shape) the builder folds the numbers into
 * a table at build time, as any constant. Every build that draws numbers
 * says so with a note (mlgen: note: ...), which tests/onnx/run_node_tests.sh
 * reads to keep such tests out of "correct". */
#include "decompose_more.h"

#include <math.h>
#include <string.h>

static uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21f0aaadu;
  x ^= x >> 15;
  x *= 0x735a2d97u;
  x ^= x >> 15;
  return x;
}

static Value *u32c(B *b, uint32_t v) { return b_scalar(b, DT_U32, (double)v); }

static Value *mix_v(B *b, Value *x) {
  static const struct {
    int shift;
    uint32_t mul;
  } st[] = {{16, 0x21f0aaadu}, {15, 0x735a2d97u}, {15, 0}};
  for (int k = 0; k < 3 && x; k++) {
    x = b_binary(b, OP_BITXOR, x, b_binary(b, OP_SHR, x, u32c(b, (uint32_t)st[k].shift)));
    if (st[k].mul) x = b_binary(b, OP_MUL, x, u32c(b, st[k].mul));
  }
  return x;
}

/* one node's generator: its seed bits and stream number */
typedef struct {
  uint32_t s, stream;
} Gen;

static Gen gen_new(B *b, bool has_seed, uint32_t s) {
  return (Gen){s, has_seed ? 0 : 1 + (uint32_t)b->nrandom++};
}

/* h(i) of key set k of the generator for every element of shape, as u32 */
static Value *draw_bits(B *b, Gen g, int k, int rank, const int64_t *shape) {
  int64_t n = shape_numel(rank, shape);
  if (n > (int64_t)UINT32_MAX) {
    diag_error(b->d, b->loc, "unsupported: %s of %lld elements (the generator counts to 2^32)", b->n->op, (long long)n);
    return NULL;
  }
  uint32_t ka = mix32(g.s ^ (0x9e3779b9u * (g.stream + 1)) ^ (0x632be5abu * (uint32_t)k)), kb = mix32(ka ^ 0x85ebca6bu);
  Value *i = b_iota(b, DT_U32, 1, &n, 0, 0, 1);
  Value *h = mix_v(b, b_binary(b, OP_BITXOR, mix_v(b, b_binary(b, OP_ADD, i, u32c(b, ka))), u32c(b, kb)));
  return b_reshape(b, h, rank, shape);
}

/* a uniform in [0, 1) from key set k (f64: k and k + 1), with the bits of
 * dtype dt, as f64 for f64 and f32 for the other float dtypes (exact there) */
static Value *uniform01(B *b, Gen g, int k, DType dt, int rank, const int64_t *shape) {
  if (dt == DT_F64) {
    Value *hi = b_cast(b, b_binary(b, OP_SHR, draw_bits(b, g, k, rank, shape), u32c(b, 5)), DT_F64);
    Value *lo = b_cast(b, b_binary(b, OP_SHR, draw_bits(b, g, k + 1, rank, shape), u32c(b, 6)), DT_F64);
    Value *v = b_binary(b, OP_ADD, b_binary(b, OP_MUL, hi, b_scalar(b, DT_F64, 67108864.0)), lo);
    return b_binary(b, OP_MUL, v, b_scalar(b, DT_F64, ldexp(1, -53)));
  }
  int p = dt == DT_F16 ? 11 : dt == DT_BF16 ? 8 : 24;
  Value *v = b_cast(b, b_binary(b, OP_SHR, draw_bits(b, g, k, rank, shape), u32c(b, (uint32_t)(32 - p))), DT_F32);
  return b_binary(b, OP_MUL, v, b_scalar(b, DT_F32, ldexp(1, -p)));
}

static void note_random(B *b) {
  diag_note(b->d, b->loc, "%s draws mlgen's counter-based random numbers (deterministic; not numpy's)", b->n->op);
}

/* the float seed attribute's bits */
static bool seed_of(B *b, uint32_t *s) {
  *s = 0;
  if (!attr_find(b->n, "seed")) return false;
  float f = (float)d_float(b, "seed", 0);
  memcpy(s, &f, 4);
  return true;
}

/* the dtype attribute (float dtypes only), or def */
static DType dtype_attr(B *b, DType def) {
  if (!attr_find(b->n, "dtype")) return def;
  DType dt = dtype_from_onnx((int)d_int(b, "dtype", 1));
  if (dt == DT_UNDEF || !dtype_info[dt].is_float) {
    diag_error(b->d, d_attr_loc(b, "dtype"), "unsupported: %s dtype %lld (a float dtype is expected)", b->n->op,
               (long long)d_int(b, "dtype", 1));
    return DT_UNDEF;
  }
  return dt;
}

/* the output shape: the input's (Like ops) or the shape attribute */
static int shape_of(B *b, Value *like, int *rank, int64_t *shape) {
  if (like) {
    *rank = like->rank;
    memcpy(shape, like->shape, sizeof(int64_t) * (size_t)like->rank);
    return 0;
  }
  int n = d_ints(b, "shape", shape, MAX_RANK);
  if (n < 0) {
    if (n == -1) diag_error(b->d, b->loc, "%s: missing attribute 'shape'", b->n->op);
    return -1;
  }
  for (int i = 0; i < n; i++)
    if (shape[i] < 0) {
      diag_error(b->d, d_attr_loc(b, "shape"), "%s: negative dimension %lld in 'shape'", b->n->op, (long long)shape[i]);
      return -1;
    }
  *rank = n;
  return 0;
}

static int random_op(B *b, Value *like, bool normal, Value **out) {
  DType dt = dtype_attr(b, like && m_isf(like) ? like->dt : DT_F32);
  int rank;
  int64_t shape[MAX_RANK];
  if (dt == DT_UNDEF || shape_of(b, like, &rank, shape)) return -1;
  uint32_t s;
  bool has = seed_of(b, &s);
  Gen g = gen_new(b, has, s);
  note_random(b);
  DType wd = dt == DT_F64 ? DT_F64 : DT_F32; /* f16/bf16 computed in f32, rounded once */
  if (!normal) {
    double lo = d_float(b, "low", 0), hi = d_float(b, "high", 1);
    Value *u = uniform01(b, g, 0, dt, rank, shape);
    out[0] = b_cast(b, b_binary(b, OP_ADD, b_binary(b, OP_MUL, u, b_scalar(b, wd, hi - lo)), b_scalar(b, wd, lo)), dt);
    return out[0] ? 0 : -1;
  }
  /* Box-Muller: sqrt(-2 ln(1 - u1)) cos(2 pi u2), 1 - u1 in (0, 1] */
  Value *u1 = uniform01(b, g, 0, dt, rank, shape), *u2 = uniform01(b, g, 2, dt, rank, shape);
  Value *r = b_unary(b, OP_SQRT, b_binary(b, OP_MUL, b_scalar(b, wd, -2),
                                          b_unary(b, OP_LOG, b_binary(b, OP_SUB, b_scalar(b, wd, 1), u1))));
  Value *z = b_binary(b, OP_MUL, r, b_unary(b, OP_COS, b_binary(b, OP_MUL, u2, b_scalar(b, wd, 6.283185307179586476925))));
  double mean = d_float(b, "mean", 0), scale = d_float(b, "scale", 1);
  out[0] = b_cast(b, b_binary(b, OP_ADD, b_binary(b, OP_MUL, z, b_scalar(b, wd, scale)), b_scalar(b, wd, mean)), dt);
  return out[0] ? 0 : -1;
}

static int d_randomuniform(B *b, Value **in, int nin, Value **out) {
  (void)in, (void)nin;
  return random_op(b, NULL, false, out);
}
static int d_randomuniformlike(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  return random_op(b, in[0], false, out);
}
static int d_randomnormal(B *b, Value **in, int nin, Value **out) {
  (void)in, (void)nin;
  return random_op(b, NULL, true, out);
}
static int d_randomnormallike(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  return random_op(b, in[0], true, out);
}

/* Bernoulli: y = u < p, in dtype (default p's) */
static int d_bernoulli(B *b, Value **in, int nin, Value **out) {
  (void)nin;
  Value *p = in[0];
  if (!m_isf(p)) {
    diag_error(b->d, b->loc, "Bernoulli: the probabilities must be a float tensor, not %s", dtype_info[p->dt].name);
    return -1;
  }
  DType dt = p->dt;
  if (attr_find(b->n, "dtype")) {
    dt = dtype_from_onnx((int)d_int(b, "dtype", 1));
    if (dt == DT_UNDEF || dt == DT_STRING) {
      diag_error(b->d, d_attr_loc(b, "dtype"), "unsupported: Bernoulli dtype %lld", (long long)d_int(b, "dtype", 1));
      return -1;
    }
  }
  uint32_t s;
  bool has = seed_of(b, &s);
  note_random(b);
  DType wd = p->dt == DT_F64 ? DT_F64 : DT_F32;
  Value *u = uniform01(b, gen_new(b, has, s), 0, p->dt, p->rank, p->shape);
  out[0] = b_cast(b, b_binary(b, OP_CMPLT, u, b_cast(b, p, wd)), dt);
  return out[0] ? 0 : -1;
}

/* Dropout with a training_mode that is not a constant false and a ratio that
 * is not a constant 0 (decompose_ops.c's d_dropout handles those):
 * keep = u >= ratio, y = keep ? x / (1 - ratio) : 0, mask = keep; a run-time
 * training_mode selects y = x, mask = true when false. */
int m_dropout_train(B *b, Value **in, int nin, Value **out) {
  Value *x = in[0], *ratio = nin > 1 ? in[1] : NULL, *train = nin > 2 ? in[2] : NULL;
  if (!m_isf(x)) {
    diag_error(b->d, b->loc, "Dropout: data must be a float tensor, not %s", dtype_info[x->dt].name);
    return -1;
  }
  DType wd = x->dt == DT_F64 ? DT_F64 : DT_F32;
  Value *r = ratio ? b_reshape(b, b_cast(b, ratio, wd), 0, NULL) : b_scalar(b, wd, 0.5);
  if (ratio && b_numel(ratio) != 1) {
    diag_error(b->d, b->loc, "Dropout: ratio must be a scalar");
    return -1;
  }
  uint32_t s = 0;
  bool has = attr_find(b->n, "seed") != NULL;
  if (has) s = (uint32_t)(uint64_t)d_int(b, "seed", 0);
  note_random(b);
  Value *u = uniform01(b, gen_new(b, has, s), 0, x->dt, x->rank, x->shape);
  Value *keep = b_binary(b, OP_CMPLE, r, u);
  Value *scaled = b_binary(b, OP_MUL, b_cast(b, x, wd), b_binary(b, OP_DIV, b_scalar(b, wd, 1), b_binary(b, OP_SUB, b_scalar(b, wd, 1), r)));
  Value *y = b_cast(b, b_where(b, keep, scaled, b_scalar(b, wd, 0)), x->dt);
  if (train && !b_is_const(train)) {
    Value *t = b_reshape(b, b_cast(b, train, DT_BOOL), 0, NULL);
    y = b_where(b, t, y, x);
    keep = b_binary(b, OP_OR, keep, b_unary(b, OP_NOT, t));
  }
  out[0] = y;
  if (b->nout > 1) out[1] = keep;
  return y && keep ? 0 : -1;
}

const DecOp d_random_ops[] = {
    /* domain, name              min max out  rewrite */
    {"", "Bernoulli", 1, 1, 1, d_bernoulli},
    {"", "RandomNormal", 0, 0, 1, d_randomnormal},
    {"", "RandomNormalLike", 1, 1, 1, d_randomnormallike},
    {"", "RandomUniform", 0, 0, 1, d_randomuniform},
    {"", "RandomUniformLike", 1, 1, 1, d_randomuniformlike},
};
const int d_random_nops = (int)(sizeof d_random_ops / sizeof d_random_ops[0]);
