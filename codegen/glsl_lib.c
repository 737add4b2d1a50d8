/* glsl_lib.c: the GLSL helper functions the Vulkan kernels call.
 *
 * Operations whose GLSL builtin is undefined or missing where the IR is
 * defined: NaN tests by bits (drivers may fold x != x), NaN-propagating
 * max/min, fmod/mod/pow with C semantics, integer division and shifts that
 * do not trap, erf, float -> integer casts exactly as the C target does
 * them, and f16/bf16 conversions. codegen/glsl.c emits each one a kernel
 * uses, once per type, in table order (dependencies first).
 *
 * cls: f float or double, F float only, D double only, s signed int or
 * int64_t, u uint or uint64_t, x fixed. In src, %T is the type and %U its
 * unsigned counterpart; deps lists helpers it calls, for the same type.
 */
#include "vulkan.h"

const GlslHelper glsl_helpers[] = {
    {"isnan", 'F', "", "bool mlg_isnan(float a) { return (floatBitsToUint(a) & 0x7fffffffu) > 0x7f800000u; }"},
    {"isnan", 'D', "",
     "bool mlg_isnan(double a) {\n  uvec2 u = unpackDouble2x32(a);\n  uint h = u.y & 0x7fffffffu;\n"
     "  return h > 0x7ff00000u || (h == 0x7ff00000u && u.x != 0u);\n}"},
    {"isinf", 'F', "", "bool mlg_isinf(float a) { return (floatBitsToUint(a) & 0x7fffffffu) == 0x7f800000u; }"},
    {"isinf", 'D', "",
     "bool mlg_isinf(double a) {\n  uvec2 u = unpackDouble2x32(a);\n"
     "  return (u.y & 0x7fffffffu) == 0x7ff00000u && u.x == 0u;\n}"},
    {"max", 'f', "isnan", "%T mlg_max(%T a, %T b) { return (a > b || mlg_isnan(a)) ? a : b; }"},
    {"min", 'f', "isnan", "%T mlg_min(%T a, %T b) { return (a < b || mlg_isnan(a)) ? a : b; }"},
    {"sign", 'f', "", "%T mlg_sign(%T a) { return a > %T(0) ? %T(1) : a < %T(0) ? %T(-1) : a; }"},
    {"fmod", 'f', "isnan,isinf",
     "%T mlg_fmod(%T a, %T b) {\n  if (mlg_isinf(b) && !mlg_isinf(a) && !mlg_isnan(a)) return a;\n"
     "  %T q = trunc(a / b), m = abs(b), s = a < %T(0) ? -m : m;\n  %T r = fma(-q, b, a);\n"
     "  if (r != %T(0) && (r < %T(0)) != (a < %T(0))) r += s;\n  if (abs(r) >= m) r -= s;\n"
     "  return r == %T(0) ? (a < %T(0) ? -%T(0) : %T(0)) : r;\n}"},
    {"mod", 'f', "fmod",
     "%T mlg_mod(%T a, %T b) {\n  %T r = mlg_fmod(a, b);\n"
     "  if (r != %T(0) && ((r < %T(0)) != (b < %T(0)))) r += b;\n"
     "  if (r == %T(0)) r = b < %T(0) ? -%T(0) : %T(0);\n  return r;\n}"},
    {"erf", 'F', "",
     "float mlg_erf(float x) {\n  float a = abs(x);\n  if (a < 0.5) {\n    float z = x * x;\n"
     "    return x * (1.1283791671 + z * (-0.37612638903 + z * (0.11283791671 + z * (-0.026866170645 +\n"
     "           z * (0.0052239776254 + z * -0.00085483270707)))));\n  }\n"
     "  float t = 1.0 / (1.0 + 0.3275911 * a);\n"
     "  float y = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 +\n"
     "            t * 1.061405429)))) * exp(-a * a);\n  return x < 0.0 ? -y : y;\n}"},
    /* Where Mesa's builtins (lavapipe; other drivers' are alike) miss the
     * IR's answer: asin/acos are off by up to 4e-4 near |x| = 1 (atan is
     * not), atan(NaN) is 0, sinh/cosh overflow from 88.7 on and asinh/acosh
     * from 1.8e19 (they square x), acosh of x < 1 is not NaN. */
    {"atan", 'F', "", "float mlg_atan(float x) { return x != x ? x : atan(x); }"},
    {"asin", 'F', "",
     "float mlg_asin(float x) {\n  if (!(abs(x) <= 1.0)) return uintBitsToFloat(0x7fc00000u);\n"
     "  return atan(x, sqrt((1.0 - x) * (1.0 + x)));\n}"},
    {"acos", 'F', "",
     "float mlg_acos(float x) {\n  if (!(abs(x) <= 1.0)) return uintBitsToFloat(0x7fc00000u);\n"
     "  return atan(sqrt((1.0 - x) * (1.0 + x)), x);\n}"},
    {"sinh", 'F', "",
     "float mlg_sinh(float x) { return abs(x) > 10.0 ? sign(x) * exp(abs(x) - 0.693147181) : sinh(x); }"},
    {"cosh", 'F', "", "float mlg_cosh(float x) { return abs(x) > 10.0 ? exp(abs(x) - 0.693147181) : cosh(x); }"},
    {"asinh", 'F', "",
     "float mlg_asinh(float x) { return abs(x) > 1e4 ? sign(x) * (log(abs(x)) + 0.693147181) : asinh(x); }"},
    {"acosh", 'F', "",
     "float mlg_acosh(float x) {\n  if (!(x >= 1.0)) return uintBitsToFloat(0x7fc00000u);\n"
     "  return x > 1e4 ? log(x) + 0.693147181 : acosh(x);\n}"},
    {"pow", 'F', "isnan,isinf",
     "float mlg_pow(float a, float b) {\n  if (b == 0.0 || a == 1.0 || (a == -1.0 && mlg_isinf(b))) return 1.0;\n"
     "  if (mlg_isnan(a) || mlg_isnan(b)) return a + b;\n"
     "  bool odd = abs(b) < 16777216.0 && b == floor(b) && mod(b, 2.0) == 1.0;\n"
     "  if (a == 0.0) {\n    float r = b < 0.0 ? uintBitsToFloat(0x7f800000u) : 0.0;\n"
     "    return odd && (floatBitsToUint(a) >> 31) != 0u ? -r : r;\n  }\n"
     "  if (a < 0.0 && b != floor(b) && !mlg_isinf(a)) return uintBitsToFloat(0x7fc00000u);\n"
     "  float r = pow(abs(a), b);\n  return a < 0.0 && odd ? -r : r;\n}"},
    /* Vulkan lets a / b be off by 2.5 ulp (NVIDIA's is); one fma residual
     * step makes it the correctly rounded quotient the C target computes,
     * which decides roundings such as QuantizeLinear's x / scale. `precise`:
     * GLSL only promises a fused fma (an exact residual) under it */
    {"div", 'f', "isnan,isinf",
     "%T mlg_div(%T a, %T b) {\n  precise %T q = a / b;\n"
     "  if (mlg_isnan(q) || mlg_isinf(q) || mlg_isinf(b) || b == %T(0)) return q;\n"
     "  precise %T r = fma(-q, b, a);\n  precise %T c = q + r / b;\n  return c;\n}"},
    {"recip", 'f', "div", "%T mlg_recip(%T b) { return mlg_div(%T(1), b); }"},
    {"div", 's', "", "%T mlg_div(%T a, %T b) { return b == %T(0) ? %T(0) : b == %T(-1) ? -a : a / b; }"},
    {"div", 'u', "", "%T mlg_div(%T a, %T b) { return b == %T(0) ? %T(0) : a / b; }"},
    {"mod", 's', "",
     "%T mlg_mod(%T a, %T b) {\n  if (b == %T(0) || b == %T(-1)) return %T(0);\n  %T r = a - (a / b) * b;\n"
     "  return (r != %T(0) && ((r < %T(0)) != (b < %T(0)))) ? r + b : r;\n}"},
    {"fmod", 's', "", "%T mlg_fmod(%T a, %T b) { return (b == %T(0) || b == %T(-1)) ? %T(0) : a - (a / b) * b; }"},
    {"fmod", 'u', "", "%T mlg_fmod(%T a, %T b) { return b == %T(0) ? %T(0) : a %% b; }"},
    {"pow", 's', "",
     "%T mlg_pow(%T a, %T b) {\n  if (b < %T(0))\n"
     "    return a == %T(1) ? %T(1) : a == %T(-1) ? ((b & %T(1)) != %T(0) ? %T(-1) : %T(1)) : %T(0);\n"
     "  %T r = %T(1), x = a;\n  while (b != %T(0)) {\n    if ((b & %T(1)) != %T(0)) r *= x;\n    x *= x;\n"
     "    b /= %T(2);\n  }\n  return r;\n}"},
    {"pow", 'u', "",
     "%T mlg_pow(%T a, %T b) {\n  %T r = %T(1), x = a;\n  while (b != %T(0)) {\n"
     "    if ((b & %T(1)) != %T(0)) r *= x;\n    x *= x;\n    b /= %T(2);\n  }\n  return r;\n}"},
    {"shl", 's', "", "%T mlg_shl(%T a, %T b, int bits) { return (b < %T(0) || b >= %T(bits)) ? %T(0) : a << b; }"},
    {"shl", 'u', "", "%T mlg_shl(%T a, %T b, int bits) { return b >= %T(bits) ? %T(0) : a << b; }"},
    {"shr", 's', "",
     "%T mlg_shr(%T a, %T b, int bits) { return (b < %T(0) || b >= %T(bits)) ? %T(0) : %T(%U(a) >> %U(b)); }"},
    {"shr", 'u', "", "%T mlg_shr(%T a, %T b, int bits) { return b >= %T(bits) ? %T(0) : a >> b; }"},
    /* float -> integer as the C target: saturate to int64 (NaN -> 0), then
     * keep the low bits */
    {"f2i", 'f', "isnan",
     "int mlg_f2i(%T x) {\n  if (mlg_isnan(x)) return 0;\n  if (abs(x) < %T(2147483648.0)) return int(x);\n"
     "  if (x >= %T(9223372036854775807.0)) return -1;\n  if (x <= %T(-9223372036854775808.0)) return 0;\n"
     "  %T t = trunc(x);\n  return int(uint(t - %T(4294967296.0) * floor(t / %T(4294967296.0))));\n}"},
    {"f2l", 'f', "isnan",
     "int64_t mlg_f2l(%T x) {\n  if (mlg_isnan(x)) return int64_t(0);\n"
     "  if (x >= %T(9223372036854775807.0)) return 9223372036854775807l;\n"
     "  if (x <= %T(-9223372036854775808.0)) return -9223372036854775807l - 1l;\n  return int64_t(x);\n}"},
    {"f2ul", 'f', "isnan,f2l",
     "uint64_t mlg_f2ul(%T x) {\n  if (mlg_isnan(x)) return uint64_t(0);\n"
     "  if (x >= %T(18446744073709551615.0)) return 18446744073709551615ul;\n"
     "  if (x >= %T(9223372036854775808.0)) return uint64_t(x);\n  return uint64_t(mlg_f2l(x));\n}"},
    {"h2f", 'x', "",
     "float mlg_h2f(uint h) {\n  uint s = (h >> 15) << 31, e = (h >> 10) & 31u, m = h & 1023u;\n"
     "  if (e == 0u) {\n    float f = float(m) * (1.0 / 16777216.0);\n    return s != 0u ? -f : f;\n  }\n"
     "  return uintBitsToFloat(e == 31u ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112u) << 23) | (m << 13)));\n}"},
    {"f2h", 'x', "",
     "uint mlg_f2h(float f) {\n  uint x = floatBitsToUint(f), s = (x >> 16) & 0x8000u, e = (x >> 23) & 255u;\n"
     "  uint m = x & 0x7fffffu, h, rem;\n  if (e == 255u) return s | 0x7c00u | (m != 0u ? 0x200u : 0u);\n"
     "  int ex = int(e) - 112;\n  if (ex >= 31) return s | 0x7c00u;\n  if (ex <= 0) {\n"
     "    if (ex < -10) return s;\n    m |= 0x800000u;\n    uint sh = uint(14 - ex);\n    h = m >> sh;\n"
     "    rem = m & ((1u << sh) - 1u);\n"
     "    if (rem > (1u << (sh - 1u)) || (rem == (1u << (sh - 1u)) && (h & 1u) != 0u)) h++;\n    return s | h;\n"
     "  }\n  h = (uint(ex) << 10) | (m >> 13);\n  rem = m & 0x1fffu;\n"
     "  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) h++;\n  return s | h;\n}"},
    {"bf2f", 'x', "", "float mlg_bf2f(uint h) { return uintBitsToFloat(h << 16); }"},
    {"f2bf", 'x', "",
     "uint mlg_f2bf(float f) {\n  uint u = floatBitsToUint(f);\n"
     "  if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;\n"
     "  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;\n}"},
};
const int glsl_nhelpers = (int)(sizeof glsl_helpers / sizeof glsl_helpers[0]);
