// msl_lib.metal: the MSL helper functions the Metal kernels call.
//
// The GPU helpers of glsl_lib.glsl in Metal's C++: NaN tests by bits (fast
// math, on by default in Metal, may fold x != x; the host turns it off, the
// helpers do not rely on it), NaN-propagating max/min, fmod/mod/pow with C
// semantics, signed arithmetic that wraps (C++ leaves overflow undefined),
// integer division and shifts that do not trap, erf, a correctly rounded
// quotient, float -> integer casts as the C target does them, f16/bf16
// conversions. Overloaded per type, so one name serves int and long.
//
// Not a shader and not a {{key}} template: cmake/embed.cmake turns this file
// into the table msl_helpers[] (codegen/metal.h), in the format of
// templates/glsl_lib.glsl. CLS: F float, s int or long, u uint or ulong, x
// fixed. In a source %T is the type, %U its unsigned counterpart, %% a '%'.

//@helper isnan F -
static inline bool mlg_isnan(float a) { return (as_type<uint>(a) & 0x7fffffffu) > 0x7f800000u; }

//@helper isinf F -
static inline bool mlg_isinf(float a) { return (as_type<uint>(a) & 0x7fffffffu) == 0x7f800000u; }

//@helper max F isnan
static inline float mlg_max(float a, float b) { return (a > b || mlg_isnan(a)) ? a : b; }

//@helper min F isnan
static inline float mlg_min(float a, float b) { return (a < b || mlg_isnan(a)) ? a : b; }

//@helper sign F -
static inline float mlg_sign(float a) { return a > 0.0f ? 1.0f : a < 0.0f ? -1.0f : a; }

//@helper sign s -
static inline %T mlg_sign(%T a) { return a > %T(0) ? %T(1) : a < %T(0) ? %T(-1) : %T(0); }

//@helper neg s -
static inline %T mlg_neg(%T a) { return %T(%U(0) - %U(a)); }

//@helper abs s -
static inline %T mlg_abs(%T a) { return a < %T(0) ? %T(%U(0) - %U(a)) : a; }

//@helper add s -
static inline %T mlg_add(%T a, %T b) { return %T(%U(a) + %U(b)); }

//@helper sub s -
static inline %T mlg_sub(%T a, %T b) { return %T(%U(a) - %U(b)); }

//@helper mul s -
static inline %T mlg_mul(%T a, %T b) { return %T(%U(a) * %U(b)); }

//@helper fmod F isnan,isinf
static inline float mlg_fmod(float a, float b) {
  if (mlg_isinf(b) && !mlg_isinf(a) && !mlg_isnan(a)) return a;
  float q = trunc(a / b), m = abs(b), s = a < 0.0f ? -m : m;
  float r = fma(-q, b, a);
  if (r != 0.0f && (r < 0.0f) != (a < 0.0f)) r += s;
  if (abs(r) >= m) r -= s;
  return r == 0.0f ? (a < 0.0f ? -0.0f : 0.0f) : r;
}

//@helper mod F fmod
static inline float mlg_mod(float a, float b) {
  float r = mlg_fmod(a, b);
  if (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) r += b;
  if (r == 0.0f) r = b < 0.0f ? -0.0f : 0.0f;
  return r;
}

//@helper erf F -
static inline float mlg_erf(float x) {
  float a = abs(x);
  if (a < 0.5f) {
    float z = x * x;
    return x * (1.1283791671f + z * (-0.37612638903f + z * (0.11283791671f + z * (-0.026866170645f +
           z * (0.0052239776254f + z * -0.00085483270707f)))));
  }
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float y = 1.0f - t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f +
            t * 1.061405429f)))) * exp(-a * a);
  return x < 0.0f ? -y : y;
}

//@helper atan F isnan
static inline float mlg_atan(float x) { return mlg_isnan(x) ? x : atan(x); }

//@helper asin F -
static inline float mlg_asin(float x) {
  if (!(abs(x) <= 1.0f)) return as_type<float>(0x7fc00000u);
  return atan2(x, sqrt((1.0f - x) * (1.0f + x)));
}

//@helper acos F -
static inline float mlg_acos(float x) {
  if (!(abs(x) <= 1.0f)) return as_type<float>(0x7fc00000u);
  return atan2(sqrt((1.0f - x) * (1.0f + x)), x);
}

//@helper sinh F -
static inline float mlg_sinh(float x) { return abs(x) > 10.0f ? sign(x) * exp(abs(x) - 0.693147181f) : sinh(x); }

//@helper cosh F -
static inline float mlg_cosh(float x) { return abs(x) > 10.0f ? exp(abs(x) - 0.693147181f) : cosh(x); }

//@helper asinh F -
static inline float mlg_asinh(float x) { return abs(x) > 1e4f ? sign(x) * (log(abs(x)) + 0.693147181f) : asinh(x); }

//@helper acosh F -
static inline float mlg_acosh(float x) {
  if (!(x >= 1.0f)) return as_type<float>(0x7fc00000u);
  return x > 1e4f ? log(x) + 0.693147181f : acosh(x);
}

//@helper atanh F -
static inline float mlg_atanh(float x) {
  if (abs(x) == 1.0f) return x * as_type<float>(0x7f800000u);
  if (!(abs(x) < 1.0f)) return as_type<float>(0x7fc00000u);
  return atanh(x);
}

//@helper pow F isnan,isinf
static inline float mlg_pow(float a, float b) {
  if (b == 0.0f || a == 1.0f || (a == -1.0f && mlg_isinf(b))) return 1.0f;
  if (mlg_isnan(a) || mlg_isnan(b)) return a + b;
  bool odd = abs(b) < 16777216.0f && b == floor(b) && b - 2.0f * floor(b * 0.5f) == 1.0f;
  if (a == 0.0f) {
    float r = b < 0.0f ? as_type<float>(0x7f800000u) : 0.0f;
    return odd && (as_type<uint>(a) >> 31) != 0u ? -r : r;
  }
  if (a < 0.0f && b != floor(b) && !mlg_isinf(a)) return as_type<float>(0x7fc00000u);
  float r = pow(abs(a), b);
  return a < 0.0f && odd ? -r : r;
}

// one fma residual step: the correctly rounded quotient of the C target
//@helper div F isnan,isinf
static inline float mlg_div(float a, float b) {
  float q = a / b;
  if (mlg_isnan(q) || mlg_isinf(q) || mlg_isinf(b) || b == 0.0f) return q;
  float r = fma(-q, b, a);
  return q + r / b;
}

//@helper recip F div
static inline float mlg_recip(float b) { return mlg_div(1.0f, b); }

//@helper div s -
static inline %T mlg_div(%T a, %T b) { return b == %T(0) ? %T(0) : b == %T(-1) ? %T(%U(0) - %U(a)) : a / b; }

//@helper div u -
static inline %T mlg_div(%T a, %T b) { return b == %T(0) ? %T(0) : a / b; }

//@helper mod s -
static inline %T mlg_mod(%T a, %T b) {
  if (b == %T(0) || b == %T(-1)) return %T(0);
  %T r = a - (a / b) * b;
  return (r != %T(0) && ((r < %T(0)) != (b < %T(0)))) ? r + b : r;
}

//@helper fmod s -
static inline %T mlg_fmod(%T a, %T b) { return (b == %T(0) || b == %T(-1)) ? %T(0) : a - (a / b) * b; }

//@helper fmod u -
static inline %T mlg_fmod(%T a, %T b) { return b == %T(0) ? %T(0) : a %% b; }

//@helper pow s -
static inline %T mlg_pow(%T a, %T b) {
  if (b < %T(0))
    return a == %T(1) ? %T(1) : a == %T(-1) ? ((b & %T(1)) != %T(0) ? %T(-1) : %T(1)) : %T(0);
  %U r = %U(1), x = %U(a);
  while (b != %T(0)) {
    if ((b & %T(1)) != %T(0)) r *= x;
    x *= x;
    b /= %T(2);
  }
  return %T(r);
}

//@helper pow u -
static inline %T mlg_pow(%T a, %T b) {
  %T r = %T(1), x = a;
  while (b != %T(0)) {
    if ((b & %T(1)) != %T(0)) r *= x;
    x *= x;
    b /= %T(2);
  }
  return r;
}

//@helper shl s -
static inline %T mlg_shl(%T a, %T b, int bits) { return (b < %T(0) || b >= %T(bits)) ? %T(0) : %T(%U(a) << %U(b)); }

//@helper shl u -
static inline %T mlg_shl(%T a, %T b, int bits) { return b >= %T(bits) ? %T(0) : %T(a << b); }

//@helper shr s -
static inline %T mlg_shr(%T a, %T b, int bits) { return (b < %T(0) || b >= %T(bits)) ? %T(0) : %T(%U(a) >> %U(b)); }

//@helper shr u -
static inline %T mlg_shr(%T a, %T b, int bits) { return b >= %T(bits) ? %T(0) : a >> b; }

// float -> integer as the C target: saturate to long (NaN -> 0); the caller
// keeps the low bits
//@helper f2l F isnan
static inline long mlg_f2l(float x) {
  if (mlg_isnan(x)) return 0l;
  if (x >= 9223372036854775808.0f) return 9223372036854775807l;
  if (x <= -9223372036854775808.0f) return -9223372036854775807l - 1l;
  return long(x);
}

//@helper f2ul F isnan,f2l
static inline ulong mlg_f2ul(float x) {
  if (mlg_isnan(x)) return 0ul;
  if (x >= 18446744073709551616.0f) return 18446744073709551615ul;
  if (x >= 9223372036854775808.0f) return ulong(x);
  return ulong(mlg_f2l(x));
}

//@helper h2f x -
static inline float mlg_h2f(uint h) {
  uint s = (h >> 15) << 31, e = (h >> 10) & 31u, m = h & 1023u;
  if (e == 0u) {
    float f = float(m) * (1.0f / 16777216.0f);
    return s != 0u ? -f : f;
  }
  return as_type<float>(e == 31u ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13)));
}

//@helper f2h x -
static inline uint mlg_f2h(float f) {
  uint x = as_type<uint>(f), s = (x >> 16) & 0x8000u, e = (x >> 23) & 255u;
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
static inline float mlg_bf2f(uint h) { return as_type<float>(h << 16); }

//@helper f2bf x -
static inline uint mlg_f2bf(float f) {
  uint u = as_type<uint>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
