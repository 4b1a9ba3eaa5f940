#include "reference/compare.h"

#include <cstring>

#include "codegen/plan/status.h"

namespace pj {
namespace {

std::string hex(const uint8_t* p, int64_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int64_t i = n - 1; i >= 0; --i) {  // little-endian: most significant byte first
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

}  // namespace

std::optional<Mismatch> first_mismatch(const Vec4& shape, int64_t elem_size, int64_t ksize_cols,
                                       int64_t depth, const uint8_t* expected, const uint8_t* actual) {
  const int64_t count = shape[0] * shape[1] * shape[2] * shape[3];
  if (count == 0 || std::memcmp(expected, actual, count * elem_size) == 0) return std::nullopt;
  int64_t e = 0;
  while (std::memcmp(expected + e * elem_size, actual + e * elem_size, elem_size) == 0) ++e;
  Mismatch m;
  m.element = e;
  int64_t rest = e;
  for (int i = 3; i >= 0; --i) {
    m.coords[i] = rest % shape[i];
    rest /= shape[i];
  }
  m.channel = m.coords[3] % depth;
  m.kj = (m.coords[3] / depth) % ksize_cols;
  m.ki = m.coords[3] / depth / ksize_cols;
  return m;
}

std::string describe(const Mismatch& m, int64_t elem_size, const uint8_t* expected,
                     const uint8_t* actual) {
  return cat("element ", m.element, " ", to_string(m.coords), " (patch row ", m.ki, ", col ", m.kj,
             ", channel ", m.channel, "): expected 0x", hex(expected + m.element * elem_size, elem_size),
             ", got 0x", hex(actual + m.element * elem_size, elem_size));
}

}  // namespace pj
