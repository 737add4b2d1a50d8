// wgsl_lib.wgsl: the WGSL helper functions the WebGPU kernels call.
//
// The same helpers as glsl_lib.glsl (the Vulkan target's), for the same
// reasons: operations whose WGSL builtin differs from the IR (NaN tests by
// bits, NaN-propagating max/min, fmod/mod/pow with C semantics, integer
// division and shifts with ONNX results, erf, float -> integer casts as the
// C target does them, f16/bf16 conversions). Two WGSL rules shape them:
// functions cannot be overloaded, so each helper's name ends in its type
// (mlg_max_f32, mlg_div_i32), and a constant expression that is NaN or
// infinite is a shader-creation error, so those values come from private
// variables (mlg_nan_f32, mlg_inf_f32), which are not constant.
//
// Not a shader and not a {{key}} template: at build time cmake/embed.cmake
// turns this file into the table wgsl_helpers[] (codegen/webgpu.h), in the
// format of templates/glsl_lib.glsl: `//@helper NAME CLS DEPS` starts a
// helper, whose source runs to the next line starting with "//". CLS: F f32,
// s i32, u u32, l i64, L u64, x fixed. In a source %T is the type's WGSL
// name, %N the suffix of helper names for it (f32 i32 u32 i64 u64), %U the
// unsigned counterpart of %T and %% a '%'.
//
// 64-bit integers: WGSL has none, so i64 and u64 values are vec2<u32> (x the
// low word, y the high word, two's complement), with exact helpers for the
// arithmetic the IR does on them (add, sub, mul, division and remainders,
// comparisons, shifts, conversions). Bitwise and/or/xor/not work on the
// vector directly.

//@helper nan x -
var<private> mlg_qnan_bits: u32 = 0x7fc00000u;
fn mlg_nan_f32() -> f32 { return bitcast<f32>(mlg_qnan_bits); }

//@helper inf x -
var<private> mlg_inf_bits: u32 = 0x7f800000u;
fn mlg_inf_f32() -> f32 { return bitcast<f32>(mlg_inf_bits); }

//@helper isnan F -
fn mlg_isnan_f32(a: f32) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u; }

//@helper isinf F -
fn mlg_isinf_f32(a: f32) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) == 0x7f800000u; }

//@helper max F isnan
fn mlg_max_f32(a: f32, b: f32) -> f32 { return select(b, a, a > b || mlg_isnan_f32(a)); }

//@helper min F isnan
fn mlg_min_f32(a: f32, b: f32) -> f32 { return select(b, a, a < b || mlg_isnan_f32(a)); }

//@helper sign F -
fn mlg_sign_f32(a: f32) -> f32 {
  if (a > 0.0f) { return 1.0f; }
  if (a < 0.0f) { return -1.0f; }
  return a;
}

//@helper fmod F isnan,isinf
fn mlg_fmod_f32(a: f32, b: f32) -> f32 {
  if (mlg_isinf_f32(b) && !mlg_isinf_f32(a) && !mlg_isnan_f32(a)) { return a; }
  let q = trunc(a / b);
  let m = abs(b);
  let s = select(m, -m, a < 0.0f);
  var r = fma(-q, b, a);
  if (r != 0.0f && (r < 0.0f) != (a < 0.0f)) { r += s; }
  if (abs(r) >= m) { r -= s; }
  if (r == 0.0f) { return select(0.0f, -0.0f, a < 0.0f); }
  return r;
}

//@helper mod F fmod
fn mlg_mod_f32(a: f32, b: f32) -> f32 {
  var r = mlg_fmod_f32(a, b);
  if (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) { r += b; }
  if (r == 0.0f) { r = select(0.0f, -0.0f, b < 0.0f); }
  return r;
}

//@helper erf F -
fn mlg_erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5f) {
    let z = x * x;
    return x * (1.1283791671f + z * (-0.37612638903f + z * (0.11283791671f + z * (-0.026866170645f +
           z * (0.0052239776254f + z * -0.00085483270707f)))));
  }
  let t = 1.0f / (1.0f + 0.3275911f * a);
  let y = 1.0f - t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f +
          t * 1.061405429f)))) * exp(-a * a);
  return select(y, -y, x < 0.0f);
}

// As on Vulkan: asin/acos through atan2 (exact near |x| = 1), NaN kept by
// atan, sinh/cosh/asinh/acosh that do not overflow early, NaN outside the
// domain.
//@helper atan F isnan
fn mlg_atan_f32(x: f32) -> f32 { return select(atan(x), x, mlg_isnan_f32(x)); }

//@helper asin F nan
fn mlg_asin_f32(x: f32) -> f32 {
  if (!(abs(x) <= 1.0f)) { return mlg_nan_f32(); }
  return atan2(x, sqrt((1.0f - x) * (1.0f + x)));
}

//@helper acos F nan
fn mlg_acos_f32(x: f32) -> f32 {
  if (!(abs(x) <= 1.0f)) { return mlg_nan_f32(); }
  return atan2(sqrt((1.0f - x) * (1.0f + x)), x);
}

//@helper sinh F -
fn mlg_sinh_f32(x: f32) -> f32 { return select(sinh(x), sign(x) * exp(abs(x) - 0.693147181f), abs(x) > 10.0f); }

//@helper cosh F -
fn mlg_cosh_f32(x: f32) -> f32 { return select(cosh(x), exp(abs(x) - 0.693147181f), abs(x) > 10.0f); }

//@helper asinh F -
fn mlg_asinh_f32(x: f32) -> f32 {
  if (abs(x) > 1e4f) { return sign(x) * (log(abs(x)) + 0.693147181f); }
  return asinh(x);
}

//@helper acosh F nan
fn mlg_acosh_f32(x: f32) -> f32 {
  if (!(x >= 1.0f)) { return mlg_nan_f32(); }
  if (x > 1e4f) { return log(x) + 0.693147181f; }
  return acosh(x);
}

//@helper atanh F nan,inf
fn mlg_atanh_f32(x: f32) -> f32 {
  if (abs(x) == 1.0f) { return sign(x) * mlg_inf_f32(); }
  if (!(abs(x) < 1.0f)) { return mlg_nan_f32(); }
  return atanh(x);
}

//@helper pow F isnan,isinf,nan,inf
fn mlg_pow_f32(a: f32, b: f32) -> f32 {
  if (b == 0.0f || a == 1.0f || (a == -1.0f && mlg_isinf_f32(b))) { return 1.0f; }
  if (mlg_isnan_f32(a) || mlg_isnan_f32(b)) { return a + b; }
  let odd = abs(b) < 16777216.0f && b == floor(b) && b - 2.0f * floor(b * 0.5f) == 1.0f;
  if (a == 0.0f) {
    let r = select(0.0f, mlg_inf_f32(), b < 0.0f);
    return select(r, -r, odd && (bitcast<u32>(a) >> 31u) != 0u);
  }
  if (a < 0.0f && b != floor(b) && !mlg_isinf_f32(a)) { return mlg_nan_f32(); }
  let r = pow(abs(a), b);
  return select(r, -r, a < 0.0f && odd);
}

// One fma residual step toward the correctly rounded quotient the C target
// computes (WebGPU lets a / b be off by 2.5 ulp)
//@helper div F isnan,isinf
fn mlg_div_f32(a: f32, b: f32) -> f32 {
  let q = a / b;
  if (mlg_isnan_f32(q) || mlg_isinf_f32(q) || mlg_isinf_f32(b) || b == 0.0f) { return q; }
  let r = fma(-q, b, a);
  return q + r / b;
}

//@helper recip F div
fn mlg_recip_f32(b: f32) -> f32 { return mlg_div_f32(1.0f, b); }

//@helper div s -
fn mlg_div_%N(a: %T, b: %T) -> %T {
  if (b == %T(0)) { return %T(0); }
  if (b == %T(-1)) { return -a; }
  return a / b;
}

//@helper div u -
fn mlg_div_%N(a: %T, b: %T) -> %T { return select(a / b, %T(0), b == %T(0)); }

//@helper mod s -
fn mlg_mod_%N(a: %T, b: %T) -> %T {
  if (b == %T(0) || b == %T(-1)) { return %T(0); }
  let r = a - (a / b) * b;
  return select(r, r + b, r != %T(0) && ((r < %T(0)) != (b < %T(0))));
}

//@helper fmod s -
fn mlg_fmod_%N(a: %T, b: %T) -> %T {
  if (b == %T(0) || b == %T(-1)) { return %T(0); }
  return a - (a / b) * b;
}

//@helper fmod u -
fn mlg_fmod_%N(a: %T, b: %T) -> %T { return select(a %% b, %T(0), b == %T(0)); }

//@helper pow s -
fn mlg_pow_%N(a: %T, e: %T) -> %T {
  var b = e;
  if (b < %T(0)) {
    if (a == %T(1)) { return %T(1); }
    if (a == %T(-1)) { return select(%T(1), %T(-1), (b & %T(1)) != %T(0)); }
    return %T(0);
  }
  var r = %T(1);
  var x = a;
  while (b != %T(0)) {
    if ((b & %T(1)) != %T(0)) { r *= x; }
    x *= x;
    b /= %T(2);
  }
  return r;
}

//@helper pow u -
fn mlg_pow_%N(a: %T, e: %T) -> %T {
  var b = e;
  var r = %T(1);
  var x = a;
  while (b != %T(0)) {
    if ((b & %T(1)) != %T(0)) { r *= x; }
    x *= x;
    b /= %T(2);
  }
  return r;
}

//@helper shl s -
fn mlg_shl_%N(a: %T, b: %T, bits: i32) -> %T {
  if (b < %T(0) || b >= %T(bits)) { return %T(0); }
  return a << u32(b);
}

//@helper shl u -
fn mlg_shl_%N(a: %T, b: %T, bits: i32) -> %T {
  if (b >= %T(bits)) { return %T(0); }
  return a << b;
}

//@helper shr s -
fn mlg_shr_%N(a: %T, b: %T, bits: i32) -> %T {
  if (b < %T(0) || b >= %T(bits)) { return %T(0); }
  return %T(%U(a) >> %U(b));
}

//@helper shr u -
fn mlg_shr_%N(a: %T, b: %T, bits: i32) -> %T {
  if (b >= %T(bits)) { return %T(0); }
  return a >> b;
}

// float -> integer as the C target: saturate to int64 (NaN -> 0), then
// keep the low 32 bits
//@helper f2i F isnan
fn mlg_f2i_f32(x: f32) -> i32 {
  if (mlg_isnan_f32(x)) { return 0i; }
  if (abs(x) < 2147483648.0f) { return i32(x); }
  if (x >= 9223372036854775808.0f) { return -1i; }
  if (x <= -9223372036854775808.0f) { return 0i; }
  let t = trunc(x);
  return bitcast<i32>(u32(t - 4294967296.0f * floor(t / 4294967296.0f)));
}

//@helper h2f x -
fn mlg_h2f(h: u32) -> f32 {
  let s = (h >> 15u) << 31u;
  let e = (h >> 10u) & 31u;
  let m = h & 1023u;
  if (e == 0u) {
    let f = f32(m) * (1.0f / 16777216.0f);
    return select(f, -f, s != 0u);
  }
  return bitcast<f32>(select(s | ((e + 112u) << 23u) | (m << 13u), s | 0x7f800000u | (m << 13u), e == 31u));
}

//@helper f2h x -
fn mlg_f2h(f: f32) -> u32 {
  let x = bitcast<u32>(f);
  let s = (x >> 16u) & 0x8000u;
  let e = (x >> 23u) & 255u;
  var m = x & 0x7fffffu;
  if (e == 255u) { return s | 0x7c00u | select(0u, 0x200u, m != 0u); }
  let ex = i32(e) - 112i;
  if (ex >= 31i) { return s | 0x7c00u; }
  if (ex <= 0i) {
    if (ex < -10i) { return s; }
    m |= 0x800000u;
    let sh = u32(14i - ex);
    var h = m >> sh;
    let rem = m & ((1u << sh) - 1u);
    if (rem > (1u << (sh - 1u)) || (rem == (1u << (sh - 1u)) && (h & 1u) != 0u)) { h++; }
    return s | h;
  }
  var h = (u32(ex) << 10u) | (m >> 13u);
  let rem = m & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) { h++; }
  return s | h;
}

//@helper bf2f x -
fn mlg_bf2f(h: u32) -> f32 { return bitcast<f32>(h << 16u); }

//@helper f2bf x -
fn mlg_f2bf(f: f32) -> u32 {
  let u = bitcast<u32>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) { return (u >> 16u) | 0x40u; }
  return (u + 0x7fffu + ((u >> 16u) & 1u)) >> 16u;
}

// ------------------------------------------------------------ 64-bit core
// w64: add, neg, sub, mul (32x32 -> 64 by 16-bit halves), unsigned and
// signed <, shifts by 0..63, and udivmod64 (a / b and a % b, unsigned,
// b != 0: restoring division, one bit a step)
//@helper w64 x -
fn mlg_add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn mlg_neg64(a: vec2<u32>) -> vec2<u32> { return mlg_add64(~a, vec2<u32>(1u, 0u)); }
fn mlg_sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_add64(a, mlg_neg64(b)); }
fn mlg_mulw(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}
fn mlg_mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let p = mlg_mulw(a.x, b.x);
  return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}
fn mlg_ult64(a: vec2<u32>, b: vec2<u32>) -> bool { return a.y < b.y || (a.y == b.y && a.x < b.x); }
fn mlg_slt64(a: vec2<u32>, b: vec2<u32>) -> bool {
  if (a.y != b.y) { return bitcast<i32>(a.y) < bitcast<i32>(b.y); }
  return a.x < b.x;
}
fn mlg_shl64(a: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) { return a; }
  if (n < 32u) { return vec2<u32>(a.x << n, (a.y << n) | (a.x >> (32u - n))); }
  return vec2<u32>(0u, a.x << (n - 32u));
}
fn mlg_shr64(a: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) { return a; }
  if (n < 32u) { return vec2<u32>((a.x >> n) | (a.y << (32u - n)), a.y >> n); }
  return vec2<u32>(a.y >> (n - 32u), 0u);
}
fn mlg_is0_64(a: vec2<u32>) -> bool { return a.x == 0u && a.y == 0u; }
fn mlg_udivmod64(a: vec2<u32>, b: vec2<u32>) -> array<vec2<u32>, 2> {
  var q = vec2<u32>(0u, 0u);
  var r = vec2<u32>(0u, 0u);
  for (var i: i32 = 63i; i >= 0i; i--) {
    let bit = select(a.x >> u32(i), a.y >> u32(i - 32i), i >= 32i) & 1u;
    r = mlg_shl64(r, 1u) | vec2<u32>(bit, 0u);
    if (!mlg_ult64(r, b)) {
      r = mlg_sub64(r, b);
      q = q | mlg_shl64(vec2<u32>(1u, 0u), u32(i));
    }
  }
  return array<vec2<u32>, 2>(q, r);
}
fn mlg_sext64(x: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(x), select(0u, 0xffffffffu, x < 0i)); }
fn mlg_neg64_if(a: vec2<u32>, c: bool) -> vec2<u32> { return select(a, mlg_neg64(a), c); }

//@helper add l w64
fn mlg_add_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_add64(a, b); }
//@helper add L w64
fn mlg_add_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_add64(a, b); }
//@helper sub l w64
fn mlg_sub_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_sub64(a, b); }
//@helper sub L w64
fn mlg_sub_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_sub64(a, b); }
//@helper mul l w64
fn mlg_mul_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_mul64(a, b); }
//@helper mul L w64
fn mlg_mul_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_mul64(a, b); }
//@helper neg l w64
fn mlg_neg_%N(a: vec2<u32>) -> vec2<u32> { return mlg_neg64(a); }
//@helper neg L w64
fn mlg_neg_%N(a: vec2<u32>) -> vec2<u32> { return mlg_neg64(a); }
//@helper eq l -
fn mlg_eq_%N(a: vec2<u32>, b: vec2<u32>) -> bool { return all(a == b); }
//@helper eq L -
fn mlg_eq_%N(a: vec2<u32>, b: vec2<u32>) -> bool { return all(a == b); }
//@helper lt l w64
fn mlg_lt_%N(a: vec2<u32>, b: vec2<u32>) -> bool { return mlg_slt64(a, b); }
//@helper lt L w64
fn mlg_lt_%N(a: vec2<u32>, b: vec2<u32>) -> bool { return mlg_ult64(a, b); }
//@helper le l lt
fn mlg_le_%N(a: vec2<u32>, b: vec2<u32>) -> bool { return !mlg_lt_%N(b, a); }
//@helper le L lt
fn mlg_le_%N(a: vec2<u32>, b: vec2<u32>) -> bool { return !mlg_lt_%N(b, a); }
//@helper max l lt
fn mlg_max_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, mlg_lt_%N(a, b)); }
//@helper max L lt
fn mlg_max_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, mlg_lt_%N(a, b)); }
//@helper min l lt
fn mlg_min_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, mlg_lt_%N(b, a)); }
//@helper min L lt
fn mlg_min_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, mlg_lt_%N(b, a)); }
//@helper abs l w64
fn mlg_abs_%N(a: vec2<u32>) -> vec2<u32> { return mlg_neg64_if(a, bitcast<i32>(a.y) < 0i); }
//@helper sign l w64
fn mlg_sign_%N(a: vec2<u32>) -> vec2<u32> {
  if (bitcast<i32>(a.y) < 0i) { return vec2<u32>(0xffffffffu, 0xffffffffu); }
  return vec2<u32>(select(1u, 0u, mlg_is0_64(a)), 0u);
}
//@helper sign L w64
fn mlg_sign_%N(a: vec2<u32>) -> vec2<u32> { return vec2<u32>(select(1u, 0u, mlg_is0_64(a)), 0u); }
// ONNX (the C target's helpers): x / 0 = 0, truncation toward zero
//@helper div l w64
fn mlg_div_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  if (mlg_is0_64(b)) { return vec2<u32>(0u, 0u); }
  let na = bitcast<i32>(a.y) < 0i;
  let nb = bitcast<i32>(b.y) < 0i;
  let qr = mlg_udivmod64(mlg_neg64_if(a, na), mlg_neg64_if(b, nb));
  return mlg_neg64_if(qr[0], na != nb);
}
//@helper div L w64
fn mlg_div_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  if (mlg_is0_64(b)) { return vec2<u32>(0u, 0u); }
  return mlg_udivmod64(a, b)[0];
}
// C's %: the sign of the dividend; x % 0 = 0
//@helper fmod l w64
fn mlg_fmod_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  if (mlg_is0_64(b)) { return vec2<u32>(0u, 0u); }
  let na = bitcast<i32>(a.y) < 0i;
  let nb = bitcast<i32>(b.y) < 0i;
  return mlg_neg64_if(mlg_udivmod64(mlg_neg64_if(a, na), mlg_neg64_if(b, nb))[1], na);
}
//@helper fmod L w64
fn mlg_fmod_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  if (mlg_is0_64(b)) { return vec2<u32>(0u, 0u); }
  return mlg_udivmod64(a, b)[1];
}
// Python's %: the sign of the divisor
//@helper mod l fmod
fn mlg_mod_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let r = mlg_fmod_%N(a, b);
  if (!mlg_is0_64(r) && ((bitcast<i32>(r.y) < 0i) != (bitcast<i32>(b.y) < 0i))) { return mlg_add64(r, b); }
  return r;
}
//@helper mod L fmod
fn mlg_mod_%N(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return mlg_fmod_%N(a, b); }
//@helper pow l w64
fn mlg_pow_%N(a: vec2<u32>, e: vec2<u32>) -> vec2<u32> {
  if (bitcast<i32>(e.y) < 0i) {
    if (all(a == vec2<u32>(1u, 0u))) { return a; }
    if (all(a == vec2<u32>(0xffffffffu, 0xffffffffu))) { return select(vec2<u32>(1u, 0u), a, (e.x & 1u) != 0u); }
    return vec2<u32>(0u, 0u);
  }
  var b = e;
  var r = vec2<u32>(1u, 0u);
  var x = a;
  while (!mlg_is0_64(b)) {
    if ((b.x & 1u) != 0u) { r = mlg_mul64(r, x); }
    x = mlg_mul64(x, x);
    b = mlg_shr64(b, 1u);
  }
  return r;
}
//@helper pow L w64
fn mlg_pow_%N(a: vec2<u32>, e: vec2<u32>) -> vec2<u32> {
  var b = e;
  var r = vec2<u32>(1u, 0u);
  var x = a;
  while (!mlg_is0_64(b)) {
    if ((b.x & 1u) != 0u) { r = mlg_mul64(r, x); }
    x = mlg_mul64(x, x);
    b = mlg_shr64(b, 1u);
  }
  return r;
}
//@helper shl l w64
fn mlg_shl_%N(a: vec2<u32>, b: vec2<u32>, bits: i32) -> vec2<u32> {
  if (b.y != 0u || b.x >= 64u) { return vec2<u32>(0u, 0u); }
  return mlg_shl64(a, b.x);
}
//@helper shl L w64
fn mlg_shl_%N(a: vec2<u32>, b: vec2<u32>, bits: i32) -> vec2<u32> {
  if (b.y != 0u || b.x >= 64u) { return vec2<u32>(0u, 0u); }
  return mlg_shl64(a, b.x);
}
//@helper shr l w64
fn mlg_shr_%N(a: vec2<u32>, b: vec2<u32>, bits: i32) -> vec2<u32> {
  if (b.y != 0u || b.x >= 64u) { return vec2<u32>(0u, 0u); }
  return mlg_shr64(a, b.x);
}
//@helper shr L w64
fn mlg_shr_%N(a: vec2<u32>, b: vec2<u32>, bits: i32) -> vec2<u32> {
  if (b.y != 0u || b.x >= 64u) { return vec2<u32>(0u, 0u); }
  return mlg_shr64(a, b.x);
}
// i64/u64 -> f32: exact below 2^31 in magnitude, else within an ulp
//@helper i2f l -
fn mlg_i2f_%N(a: vec2<u32>) -> f32 {
  if (a.y == select(0u, 0xffffffffu, bitcast<i32>(a.x) < 0i)) { return f32(bitcast<i32>(a.x)); }
  return f32(bitcast<i32>(a.y)) * 4294967296.0f + f32(a.x);
}
//@helper i2f L -
fn mlg_i2f_%N(a: vec2<u32>) -> f32 {
  if (a.y == 0u) { return f32(a.x); }
  return f32(a.y) * 4294967296.0f + f32(a.x);
}
// f32 -> i64/u64 as the C target: saturating, NaN -> 0
//@helper f2l F isnan,w64
fn mlg_f2l_f32(x: f32) -> vec2<u32> {
  if (mlg_isnan_f32(x)) { return vec2<u32>(0u, 0u); }
  if (x >= 9223372036854775808.0f) { return vec2<u32>(0xffffffffu, 0x7fffffffu); }
  if (x <= -9223372036854775808.0f) { return vec2<u32>(0u, 0x80000000u); }
  let m = abs(trunc(x));
  let hi = floor(m / 4294967296.0f);
  return mlg_neg64_if(vec2<u32>(u32(m - hi * 4294967296.0f), u32(hi)), x < 0.0f);
}
//@helper f2ul F isnan,f2l
fn mlg_f2ul_f32(x: f32) -> vec2<u32> {
  if (mlg_isnan_f32(x)) { return vec2<u32>(0u, 0u); }
  if (x >= 18446744073709551616.0f) { return vec2<u32>(0xffffffffu, 0xffffffffu); }
  if (x >= 9223372036854775808.0f) {
    let hi = floor(x / 4294967296.0f);
    return vec2<u32>(u32(x - hi * 4294967296.0f), u32(hi));
  }
  return mlg_f2l_f32(x);
}
