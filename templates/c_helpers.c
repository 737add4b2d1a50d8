// c_helpers.c: the static inline helper functions of the C target.
//
// Operations that would trap or evaluate an operand twice as plain C: division
// and modulo with ONNX semantics, shifts, integer pow, NaN-propagating max/min,
// saturating float -> integer casts, f16/bf16 conversions, string equality, a
// select whose operands are evaluated first. codegen/c.c emits each one a
// kernel uses: the fixed ones first, in file order, then each helper, in file
// order, once per dtype it is used with.
//
// Not a C file and not a {{key}} template: at build time cmake/embed.cmake
// turns it into the tables codegen/c.c includes (fixed_src[] indexed by FX_*,
// helpers[] of name, float and integer source). Format:
//
//   //@fixed NAME            starts a fixed helper, FX_<NAME> in c.c, copied
//                            as it is (no placeholders)
//   //@helper NAME CLS       starts a helper, mlg_NAME_<suffix> in generated
//                            code; CLS: fl its float source, in its integer
//                            source, fl,in the one source for both
//   // ...                   any other line starting with "//" is a comment
//                            of this file, never part of a helper
//
// A helper's source is the lines after its marker up to the next line
// starting with "//", less leading and trailing white space. In a helper's
// source (expanded by codegen/c.c, c_placeholder) %T is the C type, %W the
// unsigned type arithmetic wraps in, %S the dtype suffix (f32 ... u64), %B the
// width in bits, %f "f" for float math functions ("" for double), %% a '%'.

//@fixed h2f
static inline float mlg_h2f(uint16_t h) {
  uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31u, m = h & 1023u;
  union { uint32_t u; float f; } v;
  if (e == 0) { float f = (float)m * (1.0f / 16777216.0f); return s ? -f : f; }
  v.u = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13));
  return v.f;
}

//@fixed f2h
static inline uint16_t mlg_f2h(float f) {
  union { uint32_t u; float f; } v;
  uint32_t x, s, e, m, h, rem;
  int ex;
  v.f = f;
  x = v.u;
  s = (x >> 16) & 0x8000u;
  e = (x >> 23) & 255u;
  m = x & 0x7fffffu;
  if (e == 255) return (uint16_t)(s | 0x7c00u | (m ? 0x200u : 0));
  ex = (int)e - 112;
  if (ex >= 31) return (uint16_t)(s | 0x7c00u);
  if (ex <= 0) {
    int sh;
    if (ex < -10) return (uint16_t)s;
    m |= 0x800000u;
    sh = 14 - ex;
    h = m >> sh;
    rem = m & ((1u << sh) - 1);
    if (rem > (1u << (sh - 1)) || (rem == (1u << (sh - 1)) && (h & 1))) h++;
    return (uint16_t)(s | h);
  }
  h = ((uint32_t)ex << 10) | (m >> 13);
  rem = m & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;
  return (uint16_t)(s | h);
}

//@fixed bf2f
static inline float mlg_bf2f(uint16_t h) {
  union { uint32_t u; float f; } v;
  v.u = (uint32_t)h << 16;
  return v.f;
}

//@fixed f2bf
static inline uint16_t mlg_f2bf(float f) {
  union { uint32_t u; float f; } v;
  v.f = f;
  if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40u);
  return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);
}

// BITCAST: the bits of a float as an unsigned integer and back (a union:
// defined in C99, no aliasing rule broken)
//@fixed f32bits
static inline uint32_t mlg_f32_bits(float f) { union { float f; uint32_t u; } v; v.f = f; return v.u; }

//@fixed bitsf32
static inline float mlg_bits_f32(uint32_t u) { union { float f; uint32_t u; } v; v.u = u; return v.f; }

//@fixed f64bits
static inline uint64_t mlg_f64_bits(double f) { union { double f; uint64_t u; } v; v.f = f; return v.u; }

//@fixed bitsf64
static inline double mlg_bits_f64(uint64_t u) { union { double f; uint64_t u; } v; v.u = u; return v.f; }

// e^x of a float with no call and no branch, so loops of it vectorize (libm's
// expf is a call per element): x = n ln2 + r with n = round(x / ln2) (the
// 1.5 * 2^23 addend leaves n in the low mantissa bits), ln2 in two parts
// (Cody-Waite), e^r by its Taylor polynomial to degree 7 on |r| <= ln2 / 2,
// then 2^n in two steps: 2^(n/2) added to the exponent field, 2^(n - n/2)
// as a multiply, so results in the subnormal range round once. |x| is
// clamped to 104 first (beyond it the result is 0 or +inf either way) and
// NaN passes through; selects are masks so gcc's if-conversion keeps the
// loop vectorizable. Within 1.3 ulp of exp over every float
// (tests/unit/test_expf.c).
//@fixed expf
static inline float mlg_expf(float x) {
  union { float f; uint32_t u; } v, k, p, s;
  uint32_t ux, ax, isn;
  int32_t n, h;
  float fn, r;
  v.f = x;
  ux = v.u, ax = ux & 0x7fffffffu;
  v.u = ax > 0x42d00000u ? (ux & 0x80000000u) | 0x42d00000u : ux;
  k.f = v.f * 1.44269504f + 12582912.0f;
  n = (int32_t)(k.u - 0x4b400000u), h = n / 2;
  fn = (float)n;
  r = (v.f - fn * 0.693359375f) + fn * 2.12194440e-4f;
  p.f = 1.0f + r * (1.0f + r * (0.5f + r * (1.66666672e-1f + r * (4.16666679e-2f + r * (8.33333377e-3f +
        r * (1.38888892e-3f + r * 1.98412701e-4f))))));
  p.u += (uint32_t)h << 23;
  s.u = (uint32_t)(n - h + 127) << 23;
  p.f *= s.f;
  isn = 0u - (uint32_t)(ax > 0x7f800000u);
  p.u = (ux & isn) | (p.u & ~isn);
  return p.f;
}

//@fixed f2i
static inline int64_t mlg_f2i(double x) {
  return x != x ? 0 : x >= 9223372036854775807.0 ? INT64_MAX : x <= -9223372036854775808.0 ? INT64_MIN : (int64_t)x;
}

//@fixed f2u
static inline uint64_t mlg_f2u(double x) {
  return x != x ? 0 : x >= 18446744073709551615.0 ? UINT64_MAX : x >= 9223372036854775808.0 ? (uint64_t)x : (uint64_t)(x <= -9223372036854775808.0 ? INT64_MIN : (int64_t)x);
}

// string equality without <string.h>: generated code needs no libc
//@fixed streq
static inline int mlg_streq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

// RegexFullMatch (ir/regex.c): a pattern compiled at build time into a table of
// instructions (op 0: a class, ranges [x, x + y) of the pattern's range table,
// neg: negated; 1: any code point but \n; 2: split to x and y; 3: jump to x;
// 4: assert x (0 text start, 1 text end, 2 word boundary, 3 not one); 5:
// match), run as a Pike VM over the text's UTF-8 code points: no backtracking,
// no allocation (work: 4 n ints of the caller's stack)
//@fixed rematch
typedef struct {
  unsigned char op, neg;
  int32_t x, y;
} mlg_reinst;

static long mlg_re_cp(const unsigned char *s, int *len) {
  unsigned c = s[0];
  int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  long cp = n == 1 ? (long)c : n == 2 ? (long)(c & 0x1F) : n == 3 ? (long)(c & 0x0F) : (long)(c & 0x07);
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      n = 0;
      break;
    }
    cp = cp << 6 | (long)(s[i] & 0x3F);
  }
  *len = n ? n : 1;
  return n ? cp : 0xFFFD;
}

static int mlg_re_word(long c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static void mlg_re_add(const mlg_reinst *p, int pc, int *list, int *n, int *mark, int gen, int *stack, long prev,
                       long next) {
  int sp = 0;
  if (mark[pc] != gen) mark[pc] = gen, stack[sp++] = pc;
  while (sp) {
    const mlg_reinst *in = &p[pc = stack[--sp]];
    int t[2], nt = 0;
    if (in->op == 3) t[nt++] = in->x;
    else if (in->op == 2) t[nt++] = in->y, t[nt++] = in->x;
    else if (in->op == 4) {
      int ok = in->x == 0 ? prev < 0 : in->x == 1 ? next < 0 : (mlg_re_word(prev) != mlg_re_word(next)) == (in->x == 2);
      if (ok) t[nt++] = pc + 1;
    } else
      list[(*n)++] = pc;
    for (int k = 0; k < nt; k++)
      if (mark[t[k]] != gen) mark[t[k]] = gen, stack[sp++] = t[k];
  }
}

static int mlg_rematch(const mlg_reinst *p, const uint32_t (*cls)[2], const char *text, int *work, int n) {
  int *cl = work, *nl = work + n, *mark = work + 2 * n, *stack = work + 3 * n, nc = 0, gen = 0, len;
  const unsigned char *s = (const unsigned char *)text;
  for (int i = 0; i < n; i++) mark[i] = -1;
  long prev = -1, cur = *s ? mlg_re_cp(s, &len) : -1;
  mlg_re_add(p, 0, cl, &nc, mark, gen, stack, prev, cur);
  while (cur >= 0) {
    mlg_re_cp(s, &len);
    s += len;
    long next = *s ? mlg_re_cp(s, &len) : -1;
    int nn = 0;
    gen++;
    for (int i = 0; i < nc; i++) {
      const mlg_reinst *in = &p[cl[i]];
      int hit = 0;
      if (in->op == 1) hit = cur != '\n';
      else if (in->op == 0) {
        for (int k = in->x; k < in->x + in->y && !hit; k++) hit = (uint32_t)cur >= cls[k][0] && (uint32_t)cur <= cls[k][1];
        hit = hit != in->neg;
      }
      if (hit) mlg_re_add(p, cl[i] + 1, nl, &nn, mark, gen, stack, cur, next);
    }
    int *t = cl;
    cl = nl, nl = t, nc = nn;
    if (!nc) return 0;
    prev = cur, cur = next;
  }
  for (int i = 0; i < nc; i++)
    if (p[cl[i]].op == 5) return 1;
  return 0;
}

//@helper abs in
static inline %T mlg_abs_%S(%T a) { return a < 0 ? (%T)(0u - (%W)a) : a; }

//@helper sign fl
static inline %T mlg_sign_%S(%T a) { return a > 0 ? (%T)1 : a < 0 ? (%T)-1 : a; }

//@helper sign in
static inline %T mlg_sign_%S(%T a) { return (%T)((a > 0) - (a < 0)); }

//@helper max fl
static inline %T mlg_max_%S(%T a, %T b) { return (a > b || a != a) ? a : b; }

//@helper max in
static inline %T mlg_max_%S(%T a, %T b) { return a > b ? a : b; }

//@helper min fl
static inline %T mlg_min_%S(%T a, %T b) { return (a < b || a != a) ? a : b; }

//@helper min in
static inline %T mlg_min_%S(%T a, %T b) { return a < b ? a : b; }

//@helper mod fl
static inline %T mlg_mod_%S(%T a, %T b) {
  %T r = fmod%f(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  if (r == 0) r = copysign%f(r, b);
  return r;
}

//@helper mod in
static inline %T mlg_mod_%S(%T a, %T b) {
  if (b == 0 || b == -1) return 0;
  %T r = (%T)(a %% b);
  return (r != 0 && ((r < 0) != (b < 0))) ? (%T)(r + b) : r;
}

//@helper fmod in
static inline %T mlg_fmod_%S(%T a, %T b) { return (b == 0 || b == (%T)-1) ? 0 : (%T)(a %% b); }

//@helper div in
static inline %T mlg_div_%S(%T a, %T b) { return b == 0 ? 0 : b == (%T)-1 ? (%T)(0u - (%W)a) : (%T)(a / b); }

//@helper pow in
static inline %T mlg_pow_%S(%T a, %T b) {
  %W r = 1, x = (%W)a;
  if (b < 0) return a == 1 ? 1 : a == (%T)-1 ? (%T)((b & 1) ? -1 : 1) : 0;
  while (b) {
    if (b & 1) r *= x;
    x *= x;
    b = (%T)(b / 2);
  }
  return (%T)r;
}

// (%W)b >= %B also catches b < 0, without -Wtype-limits on unsigned b
//@helper shl in
static inline %T mlg_shl_%S(%T a, %T b) { return (%W)b >= %B ? 0 : (%T)((%W)a << b); }

//@helper shr in
static inline %T mlg_shr_%S(%T a, %T b) { return (%W)b >= %B ? 0 : (%T)((%W)a >> b); }

// unsigned div/mod/pow: no -1 divisor or negative exponent to special-case
// (b == (T)-1 is the largest value there, not minus one)
//@helper udiv in
static inline %T mlg_udiv_%S(%T a, %T b) { return b == 0 ? 0 : (%T)(a / b); }

//@helper umod in
static inline %T mlg_umod_%S(%T a, %T b) { return b == 0 ? 0 : (%T)(a %% b); }

// a select whose operands are evaluated first (they are arguments), so the
// compiler may use a conditional move instead of a branch
//@helper sel fl,in
static inline %T mlg_sel_%S(int c, %T a, %T b) { return c ? a : b; }

//@helper upow in
static inline %T mlg_upow_%S(%T a, %T b) {
  %W r = 1, x = (%W)a;
  while (b) {
    if (b & 1) r *= x;
    x *= x;
    b = (%T)(b / 2);
  }
  return (%T)r;
}
