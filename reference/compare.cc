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

// Byte offset of the output element at `coords` (output shape order).
int64_t offset_of(const Geometry& g, const Dims& x) {
  if (!g.extract()) {
    const ImageSteps& s = g.image_steps;
    if (g.format.layout == Layout::kNhwc)
      return x.d[0] * s.image + x.d[1] * s.row + x.d[2] * s.pixel + x.d[3] * s.channel;
    return x.d[0] * s.image + x.d[1] * s.channel + x.d[2] * s.row + x.d[3] * s.pixel;
  }
  const PatchSteps& s = g.patch_steps;
  if (g.format.patches == PatchesAs::kRows) {
    return x.d[0] * s.image + (x.d[1] * g.cols.out + x.d[2]) * s.position + x.d[3] * s.element;
  }
  return x.d[0] * s.image + x.d[1] * s.element + x.d[2] * s.position;
}

}  // namespace

void for_each_output_element(const Geometry& g, const std::function<void(int64_t)>& visit) {
  const Dims& shape = g.output_shape();
  Dims x = shape;
  const int64_t count = shape.elements();
  for (int64_t n = 0; n < count; ++n) {
    int64_t rest = n;
    for (int i = shape.rank - 1; i >= 0; --i) {
      x.d[i] = rest % shape.d[i];
      rest /= shape.d[i];
    }
    visit(offset_of(g, x));
  }
}

std::optional<Mismatch> first_mismatch(const Geometry& g, const uint8_t* expected, const uint8_t* actual) {
  const int64_t bytes = g.output_bytes();
  if (bytes == 0 || std::memcmp(expected, actual, bytes) == 0) return std::nullopt;
  const Dims& shape = g.output_shape();
  const int64_t e = g.elem_size;
  Mismatch m;
  m.coords = shape;
  const int64_t count = shape.elements();
  for (int64_t n = 0; n < count; ++n) {
    int64_t rest = n;
    for (int i = shape.rank - 1; i >= 0; --i) {
      m.coords.d[i] = rest % shape.d[i];
      rest /= shape.d[i];
    }
    m.offset = offset_of(g, m.coords);
    if (std::memcmp(expected + m.offset, actual + m.offset, e) == 0) continue;
    m.index = n;
    if (g.extract()) {
      const int64_t k = m.coords.d[g.format.patches == PatchesAs::kRows ? 3 : 1];
      if (g.format.order == PatchOrder::kChw) {
        m.channel = k / (g.rows.ksize * g.cols.ksize), m.ki = k / g.cols.ksize % g.rows.ksize, m.kj = k % g.cols.ksize;
      } else {
        m.ki = k / (g.cols.ksize * g.depth), m.kj = k / g.depth % g.cols.ksize, m.channel = k % g.depth;
      }
    }
    return m;
  }
  m.element = false;
  m.offset = 0;
  while (expected[m.offset] == actual[m.offset]) ++m.offset;
  return m;
}

std::string describe(const Geometry& g, const Mismatch& m, const uint8_t* expected, const uint8_t* actual) {
  if (!m.element) {
    return cat("byte ", m.offset, ", between elements (it must not be written): expected 0x",
               hex(expected + m.offset, 1), ", got 0x", hex(actual + m.offset, 1));
  }
  const std::string where = g.extract() ? cat(" (patch row ", m.ki, ", col ", m.kj, ", channel ", m.channel, ")") : "";
  return cat("element ", m.index, " ", to_string(m.coords), where, ": expected 0x",
             hex(expected + m.offset, g.elem_size), ", got 0x", hex(actual + m.offset, g.elem_size));
}

}  // namespace pj
