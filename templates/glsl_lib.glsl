// glsl_lib.glsl: the GLSL helper functions the Vulkan kernels call.
//
// Operations whose GLSL builtin is undefined or missing where the IR is
// defined: NaN tests by bits (drivers may fold x != x), NaN-propagating
// max/min, fmod/mod/pow with C semantics, integer division and shifts that
// do not trap, erf, float -> integer casts exactly as the C target does
// them, and f16/bf16 conversions. codegen/glsl.c emits each one a kernel
// uses, once per type, in file order (dependencies first).
//
// Not a shader and not a {{key}} template: at build time cmake/embed.cmake
// turns this file into the table glsl_helpers[] of codegen/vulkan.h, one
// entry per helper, in file order. Format:
//
//   //@helper NAME CLS DEPS   starts a helper; its source is the lines that
//                            follow, up to the next line starting with "//",
//                            less leading and trailing white space
//   // ...                   any other line starting with "//" is a comment
//                            of this file, never part of a helper
//
// NAME is what glsl.c asks for (one name may have an entry per class).
// CLS: f float or double, F float only, D double only, s signed int or
// int64_t, u uint or uint64_t, x fixed. DEPS: the helpers it calls, for the
// same type, comma separated, or - for none. In a helper's source (expanded
// by glsl.c) %T is the type, %U its unsigned counterpart and %% a '%'.

// 32 -> 64-bit integer conversions built from their halves: lavapipe
// (Mesa 22.3, LLVM 15) leaves int64_t(int) wrong when the result is only
// compared (tests/gpu: gpu.ops.logic's reduce-of-compare case)
//@helper i2l x -
int64_t mlg_i2l(int v) { return packInt2x32(ivec2(v, v >> 31)); }

//@helper u2ul x -
uint64_t mlg_u2ul(uint v) { return packUint2x32(uvec2(v, 0u)); }

//@helper isnan F -
bool mlg_isnan(float a) { return (floatBitsToUint(a) & 0x7fffffffu) > 0x7f800000u; }

//@helper isnan D -
bool mlg_isnan(double a) {
  uvec2 u = unpackDouble2x32(a);
  uint h = u.y & 0x7fffffffu;
  return h > 0x7ff00000u || (h == 0x7ff00000u && u.x != 0u);
}

//@helper isinf F -
bool mlg_isinf(float a) { return (floatBitsToUint(a) & 0x7fffffffu) == 0x7f800000u; }

//@helper isinf D -
bool mlg_isinf(double a) {
  uvec2 u = unpackDouble2x32(a);
  return (u.y & 0x7fffffffu) == 0x7ff00000u && u.x == 0u;
}

//@helper max f isnan
%T mlg_max(%T a, %T b) { return (a > b || mlg_isnan(a)) ? a : b; }

//@helper min f isnan
%T mlg_min(%T a, %T b) { return (a < b || mlg_isnan(a)) ? a : b; }

//@helper sign f -
%T mlg_sign(%T a) { return a > %T(0) ? %T(1) : a < %T(0) ? %T(-1) : a; }

//@helper fmod f isnan,isinf
%T mlg_fmod(%T a, %T b) {
  if (mlg_isinf(b) && !mlg_isinf(a) && !mlg_isnan(a)) return a;
  %T q = trunc(a / b), m = abs(b), s = a < %T(0) ? -m : m;
  %T r = fma(-q, b, a);
  if (r != %T(0) && (r < %T(0)) != (a < %T(0))) r += s;
  if (abs(r) >= m) r -= s;
  return r == %T(0) ? (a < %T(0) ? -%T(0) : %T(0)) : r;
}

//@helper mod f fmod
%T mlg_mod(%T a, %T b) {
  %T r = mlg_fmod(a, b);
  if (r != %T(0) && ((r < %T(0)) != (b < %T(0)))) r += b;
  if (r == %T(0)) r = b < %T(0) ? -%T(0) : %T(0);
  return r;
}

//@helper erf F -
float mlg_erf(float x) {
  float a = abs(x);
  if (a < 0.5) {
    float z = x * x;
    return x * (1.1283791671 + z * (-0.37612638903 + z * (0.11283791671 + z * (-0.026866170645 +
           z * (0.0052239776254 + z * -0.00085483270707)))));
  }
  float t = 1.0 / (1.0 + 0.3275911 * a);
  float y = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 +
            t * 1.061405429)))) * exp(-a * a);
  return x < 0.0 ? -y : y;
}

// Where Mesa's builtins (lavapipe; other drivers' are alike) miss the
// IR's answer: asin/acos are off by up to 4e-4 near |x| = 1 (atan is
// not), atan(NaN) is 0, sinh/cosh overflow from 88.7 on and asinh/acosh
// from 1.8e19 (they square x), acosh of x < 1 is not NaN.
//@helper atan F -
float mlg_atan(float x) { return x != x ? x : atan(x); }

//@helper asin F -
float mlg_asin(float x) {
  if (!(abs(x) <= 1.0)) return uintBitsToFloat(0x7fc00000u);
  return atan(x, sqrt((1.0 - x) * (1.0 + x)));
}

//@helper acos F -
float mlg_acos(float x) {
  if (!(abs(x) <= 1.0)) return uintBitsToFloat(0x7fc00000u);
  return atan(sqrt((1.0 - x) * (1.0 + x)), x);
}

//@helper sinh F -
float mlg_sinh(float x) { return abs(x) > 10.0 ? sign(x) * exp(abs(x) - 0.693147181) : sinh(x); }

//@helper cosh F -
float mlg_cosh(float x) { return abs(x) > 10.0 ? exp(abs(x) - 0.693147181) : cosh(x); }

//@helper asinh F -
float mlg_asinh(float x) { return abs(x) > 1e4 ? sign(x) * (log(abs(x)) + 0.693147181) : asinh(x); }

//@helper acosh F -
float mlg_acosh(float x) {
  if (!(x >= 1.0)) return uintBitsToFloat(0x7fc00000u);
  return x > 1e4 ? log(x) + 0.693147181 : acosh(x);
}

//@helper pow F isnan,isinf
float mlg_pow(float a, float b) {
  if (b == 0.0 || a == 1.0 || (a == -1.0 && mlg_isinf(b))) return 1.0;
  if (mlg_isnan(a) || mlg_isnan(b)) return a + b;
  bool odd = abs(b) < 16777216.0 && b == floor(b) && mod(b, 2.0) == 1.0;
  if (a == 0.0) {
    float r = b < 0.0 ? uintBitsToFloat(0x7f800000u) : 0.0;
    return odd && (floatBitsToUint(a) >> 31) != 0u ? -r : r;
  }
  if (a < 0.0 && b != floor(b) && !mlg_isinf(a)) return uintBitsToFloat(0x7fc00000u);
  float r = pow(abs(a), b);
  return a < 0.0 && odd ? -r : r;
}

// Vulkan lets a / b be off by 2.5 ulp (NVIDIA's is); one fma residual
// step makes it the correctly rounded quotient the C target computes,
// which decides roundings such as QuantizeLinear's x / scale. `precise`:
// GLSL only promises a fused fma (an exact residual) under it
//@helper div f isnan,isinf
%T mlg_div(%T a, %T b) {
  precise %T q = a / b;
  if (mlg_isnan(q) || mlg_isinf(q) || mlg_isinf(b) || b == %T(0)) return q;
  precise %T r = fma(-q, b, a);
  precise %T c = q + r / b;
  return c;
}

//@helper recip f div
%T mlg_recip(%T b) { return mlg_div(%T(1), b); }

//@helper div s -
%T mlg_div(%T a, %T b) { return b == %T(0) ? %T(0) : b == %T(-1) ? -a : a / b; }

//@helper div u -
%T mlg_div(%T a, %T b) { return b == %T(0) ? %T(0) : a / b; }

//@helper mod s -
%T mlg_mod(%T a, %T b) {
  if (b == %T(0) || b == %T(-1)) return %T(0);
  %T r = a - (a / b) * b;
  return (r != %T(0) && ((r < %T(0)) != (b < %T(0)))) ? r + b : r;
}

//@helper fmod s -
%T mlg_fmod(%T a, %T b) { return (b == %T(0) || b == %T(-1)) ? %T(0) : a - (a / b) * b; }

//@helper fmod u -
%T mlg_fmod(%T a, %T b) { return b == %T(0) ? %T(0) : a %% b; }

//@helper pow s -
%T mlg_pow(%T a, %T b) {
  if (b < %T(0))
    return a == %T(1) ? %T(1) : a == %T(-1) ? ((b & %T(1)) != %T(0) ? %T(-1) : %T(1)) : %T(0);
  %T r = %T(1), x = a;
  while (b != %T(0)) {
    if ((b & %T(1)) != %T(0)) r *= x;
    x *= x;
    b /= %T(2);
  }
  return r;
}

//@helper pow u -
%T mlg_pow(%T a, %T b) {
  %T r = %T(1), x = a;
  while (b != %T(0)) {
    if ((b & %T(1)) != %T(0)) r *= x;
    x *= x;
    b /= %T(2);
  }
  return r;
}

//@helper shl s -
%T mlg_shl(%T a, %T b, int bits) { return (b < %T(0) || b >= %T(bits)) ? %T(0) : a << b; }

//@helper shl u -
%T mlg_shl(%T a, %T b, int bits) { return b >= %T(bits) ? %T(0) : a << b; }

//@helper shr s -
%T mlg_shr(%T a, %T b, int bits) { return (b < %T(0) || b >= %T(bits)) ? %T(0) : %T(%U(a) >> %U(b)); }

//@helper shr u -
%T mlg_shr(%T a, %T b, int bits) { return b >= %T(bits) ? %T(0) : a >> b; }

// float -> integer as the C target: saturate to int64 (NaN -> 0), then
// keep the low bits
//@helper f2i f isnan
int mlg_f2i(%T x) {
  if (mlg_isnan(x)) return 0;
  if (abs(x) < %T(2147483648.0)) return int(x);
  if (x >= %T(9223372036854775807.0)) return -1;
  if (x <= %T(-9223372036854775808.0)) return 0;
  %T t = trunc(x);
  return int(uint(t - %T(4294967296.0) * floor(t / %T(4294967296.0))));
}

//@helper f2l f isnan
int64_t mlg_f2l(%T x) {
  if (mlg_isnan(x)) return int64_t(0);
  if (x >= %T(9223372036854775807.0)) return 9223372036854775807l;
  if (x <= %T(-9223372036854775808.0)) return -9223372036854775807l - 1l;
  return int64_t(x);
}

//@helper f2ul f isnan,f2l
uint64_t mlg_f2ul(%T x) {
  if (mlg_isnan(x)) return uint64_t(0);
  if (x >= %T(18446744073709551615.0)) return 18446744073709551615ul;
  if (x >= %T(9223372036854775808.0)) return uint64_t(x);
  return uint64_t(mlg_f2l(x));
}

//@helper h2f x -
float mlg_h2f(uint h) {
  uint s = (h >> 15) << 31, e = (h >> 10) & 31u, m = h & 1023u;
  if (e == 0u) {
    float f = float(m) * (1.0 / 16777216.0);
    return s != 0u ? -f : f;
  }
  return uintBitsToFloat(e == 31u ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13)));
}

//@helper f2h x -
uint mlg_f2h(float f) {
  uint x = floatBitsToUint(f), s = (x >> 16) & 0x8000u, e = (x >> 23) & 255u;
  uint m = x & 0x7fffffu, h, rem;
  if (e == 255u) return s | 0x7c00u | (m != 0u ? 0x200u : 0u);
  int ex = int(e) - 112;
  if (ex >= 31) return s | 0x7c00u;
  if (ex <= 0) {
    if (ex < -10) return s;
    m |= 0x800000u;
    uint sh = uint(14 - ex);
    h = m >> sh;
    rem = m & ((1u << sh) - 1u);
    if (rem > (1u << (sh - 1u)) || (rem == (1u << (sh - 1u)) && (h & 1u) != 0u)) h++;
    return s | h;
  }
  h = (uint(ex) << 10) | (m >> 13);
  rem = m & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) h++;
  return s | h;
}

//@helper bf2f x -
float mlg_bf2f(uint h) { return uintBitsToFloat(h << 16); }

//@helper f2bf x -
uint mlg_f2bf(float f) {
  uint u = floatBitsToUint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
