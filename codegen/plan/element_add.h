// Fold's arithmetic (docs/SEMANTICS.md §12): one add, and the mean's one division, of two
// elements of a dtype, rounded in the dtype as TensorFlow's CPU kernels round them. Every fold
// backend follows these; the tests check them against Eigen's own half and bfloat16.
//   float32, float64       IEEE adds
//   half                   in float, rounded to nearest even after every add (Eigen::half)
//   bfloat16               in float, rounded to nearest even after every add (Eigen::bfloat16)
//   complex64, complex128  real and imaginary parts apart
//   integers               two's complement, wrapping (done in the unsigned type: no overflow UB)
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "codegen/plan/dtype.h"

namespace pj {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// IEEE binary16 -> float: exact.
inline float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return bits_float(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  if (exponent != 0) return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float.
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
  return sign ? -magnitude : magnitude;
}

// float -> IEEE binary16, rounded to nearest even (as F16C's vcvtps2ph with rounding 0 and
// Eigen's float_to_half_rtne); NaN becomes the quiet NaN 0x7e00 with the sign.
inline uint16_t float_to_half(float f) {
  uint32_t u = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return sign | 0x7e00u;
  if (u >= 0x477ff000u) return sign | 0x7c00u;  // 65520 and up round to infinity
  if (u < 0x38800000u) {
    // Below the smallest normal half (2^-14): adding 0.5 puts the result's bits in the low
    // mantissa of a float whose ulp is 2^-24, and the FPU rounds that add to nearest even.
    const float shifted = bits_float(u) + 0.5f;
    return sign | static_cast<uint16_t>(float_bits(shifted) - float_bits(0.5f));
  }
  // Normal: rebias the exponent, then round the 13 dropped bits to nearest even.
  const uint32_t odd = (u >> 13) & 1u;
  u += (uint32_t{15} - 127) << 23;
  u += 0xfffu + odd;
  return sign | static_cast<uint16_t>(u >> 13);
}

inline float bfloat16_to_float(uint16_t b) { return bits_float(uint32_t{b} << 16); }

// float -> bfloat16, rounded to nearest even (Eigen's float_to_bfloat16_rtne); NaN becomes the
// quiet NaN 0x7fc0 with the sign.
inline uint16_t float_to_bfloat16(float f) {
  const uint32_t u = float_bits(f);
  if (std::isnan(f)) return static_cast<uint16_t>(((u >> 16) & 0x8000u) | 0x7fc0u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// One element of each dtype as fold adds it: `add(a, b)` is a + b rounded in the dtype,
// `divide(a, n)` the mean's a / n. Storage is the element's bits (trivially copyable).
template <typename T>
struct PlainElement {  // float, double
  using Storage = T;
  static Storage add(Storage a, Storage b) { return a + b; }
  static Storage divide(Storage a, int64_t n) { return a / static_cast<T>(n); }
};

template <typename U>
struct WrappingElement {  // every integer type, as its unsigned twin
  using Storage = U;
  static Storage add(Storage a, Storage b) { return static_cast<U>(a + b); }
};

struct HalfElement {
  using Storage = uint16_t;
  static Storage add(Storage a, Storage b) { return float_to_half(half_to_float(a) + half_to_float(b)); }
  static Storage divide(Storage a, int64_t n) { return float_to_half(half_to_float(a) / static_cast<float>(n)); }
};

struct BFloat16Element {
  using Storage = uint16_t;
  static Storage add(Storage a, Storage b) { return float_to_bfloat16(bfloat16_to_float(a) + bfloat16_to_float(b)); }
  static Storage divide(Storage a, int64_t n) {
    return float_to_bfloat16(bfloat16_to_float(a) / static_cast<float>(n));
  }
};

template <typename T>
struct ComplexElement {  // complex64 (T = float), complex128 (T = double)
  struct Storage {
    T re, im;
  };
  static Storage add(Storage a, Storage b) { return {a.re + b.re, a.im + b.im}; }
  static Storage divide(Storage a, int64_t n) { return {a.re / static_cast<T>(n), a.im / static_cast<T>(n)}; }
};

// dst[x*dst_step] = add(dst[x*dst_step], src[x*src_step]) for x in [0, n), byte steps; elements
// by memcpy (buffers need no alignment), the contiguous case apart so the compiler vectorizes it.
template <typename E>
void add_elements(uint8_t* __restrict dst, int64_t dst_step, const uint8_t* __restrict src, int64_t src_step,
                  int64_t n) {
  using S = typename E::Storage;
  constexpr int64_t kSize = sizeof(S);
  if (dst_step == kSize && src_step == kSize) {
    for (int64_t x = 0; x < n; ++x) {
      S a, b;
      std::memcpy(&a, dst + x * kSize, kSize);
      std::memcpy(&b, src + x * kSize, kSize);
      a = E::add(a, b);
      std::memcpy(dst + x * kSize, &a, kSize);
    }
    return;
  }
  for (int64_t x = 0; x < n; ++x) {
    S a, b;
    std::memcpy(&a, dst + x * dst_step, kSize);
    std::memcpy(&b, src + x * src_step, kSize);
    a = E::add(a, b);
    std::memcpy(dst + x * dst_step, &a, kSize);
  }
}

// Calls f(ElementTag<E>{}) with the element type E of `dtype` (bool, which has no sum, as uint8).
template <typename E>
struct ElementTag {
  using type = E;
};
template <typename F>
decltype(auto) with_element(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(ElementTag<PlainElement<float>>{});
    case DType::kFloat64:
      return f(ElementTag<PlainElement<double>>{});
    case DType::kHalf:
      return f(ElementTag<HalfElement>{});
    case DType::kBFloat16:
      return f(ElementTag<BFloat16Element>{});
    case DType::kComplex64:
      return f(ElementTag<ComplexElement<float>>{});
    case DType::kComplex128:
      return f(ElementTag<ComplexElement<double>>{});
    case DType::kInt16:
    case DType::kUInt16:
      return f(ElementTag<WrappingElement<uint16_t>>{});
    case DType::kInt32:
    case DType::kUInt32:
      return f(ElementTag<WrappingElement<uint32_t>>{});
    case DType::kInt64:
    case DType::kUInt64:
      return f(ElementTag<WrappingElement<uint64_t>>{});
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool:
      break;
  }
  return f(ElementTag<WrappingElement<uint8_t>>{});
}

// Whether E has the mean's division (floating and complex types).
template <typename E>
inline constexpr bool kDivides = requires(typename E::Storage a) {
  E::divide(a, int64_t{1});
};

}  // namespace pj
