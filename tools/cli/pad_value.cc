// --pad-value: number text -> one element's bytes.
#include "tools/cli/pad_value.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

namespace pj::cli {
namespace {

bool whole(const std::string& text, const char* end) { return !text.empty() && end == text.c_str() + text.size(); }

Failure bad(const std::string& text, pj_dtype dtype, const std::string& rule) {
  return usage_error(std::string("--pad-value for ") + pj_dtype_name(dtype) + " must be " + rule + ", got '" + text +
                     "'");
}

template <typename T>
void put(T value, unsigned char bytes[16]) {
  std::memcpy(bytes, &value, sizeof value);
}

// Signed integer text within [lo, hi].
std::optional<Failure> parse_signed(const std::string& text, pj_dtype dtype, int64_t lo, int64_t hi, int64_t* out) {
  const std::string rule = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return bad(text, dtype, rule);
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (!whole(text, end) || errno == ERANGE || v < lo || v > hi) return bad(text, dtype, rule);
  *out = v;
  return std::nullopt;
}

// Unsigned integer text within [0, hi]; strtoull would wrap "-1" silently, so a sign is refused.
std::optional<Failure> parse_unsigned(const std::string& text, pj_dtype dtype, uint64_t hi, uint64_t* out) {
  const std::string rule = "an integer from 0 to " + std::to_string(hi);
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '+'))
    return bad(text, dtype, rule);
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (!whole(text, end) || errno == ERANGE || v > hi) return bad(text, dtype, rule);
  *out = v;
  return std::nullopt;
}

// An integer of type T, exactly: its text within T's range.
template <typename T>
std::optional<Failure> parse_integer(const std::string& text, pj_dtype dtype, unsigned char bytes[16]) {
  if constexpr (std::is_signed_v<T>) {
    int64_t v = 0;
    if (auto f = parse_signed(text, dtype, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), &v)) return f;
    put(static_cast<T>(v), bytes);
  } else {
    uint64_t v = 0;
    if (auto f = parse_unsigned(text, dtype, std::numeric_limits<T>::max(), &v)) return f;
    put(static_cast<T>(v), bytes);
  }
  return std::nullopt;
}

// A floating-point number (inf, -inf, nan included) that does not overflow to infinity.
std::optional<Failure> parse_real(const std::string& text, pj_dtype dtype, double* out) {
  const std::string rule = "a number (inf, -inf and nan allowed)";
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return bad(text, dtype, rule);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (!whole(text, end)) return bad(text, dtype, rule);
  if (errno == ERANGE && std::isinf(v)) return bad(text, dtype, "within float64's range");
  *out = v;
  return std::nullopt;
}

}  // namespace

std::optional<uint16_t> round_to_small_float(double value, int exponent_bits, int mantissa_bits) {
  const uint16_t sign = std::signbit(value) ? uint16_t(1u << (exponent_bits + mantissa_bits)) : 0;
  const uint16_t exponent_all = uint16_t(((1u << exponent_bits) - 1) << mantissa_bits);
  if (std::isnan(value)) return uint16_t(sign | exponent_all | (1u << (mantissa_bits - 1)));
  if (std::isinf(value)) return uint16_t(sign | exponent_all);
  const double a = std::fabs(value);
  if (a == 0) return sign;
  const int bias = (1 << (exponent_bits - 1)) - 1;
  int e2 = 0;
  std::frexp(a, &e2);                  // a = f * 2^e2, f in [0.5, 1)
  int e = std::max(e2 - 1, 1 - bias);  // the exponent of its binade; subnormals share the lowest
  // Mantissa units of that binade: an exact scaling by a power of two, then ties to even.
  double units = std::nearbyint(std::ldexp(a, mantissa_bits - e));
  if (units >= std::ldexp(1.0, mantissa_bits + 1)) units /= 2, ++e;  // rounded up into the next binade
  if (e > bias) return std::nullopt;                                 // beyond the largest finite value
  const uint32_t n = static_cast<uint32_t>(units);
  if (n < (1u << mantissa_bits)) return uint16_t(sign | n);  // subnormal (or rounded to zero)
  return uint16_t(sign | uint32_t(e + bias) << mantissa_bits | (n - (1u << mantissa_bits)));
}

std::optional<Failure> parse_pad_value(const std::string& text, pj_dtype dtype, unsigned char bytes[16]) {
  std::memset(bytes, 0, 16);
  double d = 0;
  switch (dtype) {
    case PJ_INT8:
      return parse_integer<int8_t>(text, dtype, bytes);
    case PJ_INT16:
      return parse_integer<int16_t>(text, dtype, bytes);
    case PJ_INT32:
      return parse_integer<int32_t>(text, dtype, bytes);
    case PJ_INT64:
      return parse_integer<int64_t>(text, dtype, bytes);
    case PJ_UINT8:
      return parse_integer<uint8_t>(text, dtype, bytes);
    case PJ_UINT16:
      return parse_integer<uint16_t>(text, dtype, bytes);
    case PJ_UINT32:
      return parse_integer<uint32_t>(text, dtype, bytes);
    case PJ_UINT64:
      return parse_integer<uint64_t>(text, dtype, bytes);
    case PJ_BOOL:
      if (text != "0" && text != "1") return bad(text, dtype, "0 or 1");
      bytes[0] = text == "1";
      return std::nullopt;
    case PJ_FLOAT64:
    case PJ_COMPLEX128:  // the real part; the imaginary part stays 0
      if (auto f = parse_real(text, dtype, &d)) return f;
      put(d, bytes);
      return std::nullopt;
    case PJ_FLOAT32:
    case PJ_COMPLEX64: {
      if (auto f = parse_real(text, dtype, &d)) return f;
      // Rounded from the text itself (strtof), not from the double: no double rounding.
      errno = 0;
      const float v = std::strtof(text.c_str(), nullptr);
      if (errno == ERANGE && std::isinf(v)) return bad(text, dtype, "within float32's range (at most 3.4028235e38)");
      put(v, bytes);
      return std::nullopt;
    }
    case PJ_HALF:
    case PJ_BFLOAT16: {
      if (auto f = parse_real(text, dtype, &d)) return f;
      const bool half = dtype == PJ_HALF;
      const std::optional<uint16_t> bits = round_to_small_float(d, half ? 5 : 8, half ? 10 : 7);
      if (!bits)
        return bad(text, dtype,
                   half ? "within half's range (at most 65504)" : "within bfloat16's range (at most 3.3895e38)");
      put(*bits, bytes);
      return std::nullopt;
    }
  }
  return usage_error("--pad-value: unknown dtype");
}

}  // namespace pj::cli
