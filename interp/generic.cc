#include "interp/generic.h"

#include <algorithm>
#include <cstring>

namespace pj {
namespace {

// Taps [lo, hi) of an axis inside the input for output index o (empty: lo == hi).
void valid_range(const Axis& a, int64_t o, int64_t* lo, int64_t* hi) {
  const __int128 start = __int128{o} * a.stride - a.pad_before;
  __int128 l = start >= 0 ? 0 : (-start + a.rate - 1) / a.rate;
  const __int128 span = __int128{a.in} - 1 - start;
  __int128 h = span < 0 ? 0 : span / a.rate + 1;
  l = std::min<__int128>(l, a.ksize);
  h = std::clamp<__int128>(h, l, a.ksize);
  *lo = static_cast<int64_t>(l), *hi = static_cast<int64_t>(h);
}

}  // namespace

void generic_extract(const Geometry& g, const uint8_t* input, uint8_t* output, int64_t begin, int64_t end) {
  const int64_t e = g.elem_size, kh = g.rows.ksize, kw = g.cols.ksize, C = g.depth;
  const ImageSteps& in = g.image_steps;
  const PatchSteps& out = g.patch_steps;
  const bool chw = g.format.order == PatchOrder::kChw;
  // Channels of a tap as one copy when they are back to back on both sides.
  const bool tap_runs = !chw && in.channel == e && out.element == e;
  for (int64_t t = begin; t < end; ++t) {
    const int64_t b = t / g.positions, p = t % g.positions, oh = p / g.cols.out, ow = p % g.cols.out;
    int64_t rlo, rhi, clo, chi;
    valid_range(g.rows, oh, &rlo, &rhi);
    valid_range(g.cols, ow, &clo, &chi);
    uint8_t* patch = output + b * out.image + p * out.position;
    // (An empty image is never read, and its strides may be as large as int64 holds.)
    const uint8_t* image = g.image_bytes == 0 ? input : input + b * in.image;
    for (int64_t i = 0; i < kh; ++i) {
      for (int64_t j = 0; j < kw; ++j) {
        const bool inside = i >= rlo && i < rhi && j >= clo && j < chi;
        const uint8_t* tap = inside ? image + (oh * g.rows.stride - g.rows.pad_before + i * g.rows.rate) * in.row +
                                          (ow * g.cols.stride - g.cols.pad_before + j * g.cols.rate) * in.pixel
                                    : nullptr;
        if (tap_runs && inside) {
          std::memcpy(patch + (i * kw + j) * C * e, tap, C * e);
          continue;
        }
        for (int64_t c = 0; c < C; ++c) {
          const int64_t k = chw ? (c * kh + i) * kw + j : (i * kw + j) * C + c;
          std::memcpy(patch + k * out.element, inside ? tap + c * in.channel : g.pad_value.data(), e);
        }
      }
    }
  }
}

}  // namespace pj
