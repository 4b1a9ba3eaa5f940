#include "reference/golden.h"

#include <cstring>

namespace pj {

void golden_extract_positions(const Geometry& g, const void* input, void* output, int64_t begin, int64_t end) {
  const auto* in = static_cast<const uint8_t*>(input);
  auto* out = static_cast<uint8_t*>(output);
  const int64_t es = g.elem_size;
  const bool chw = g.format.order == PatchOrder::kChw;
  for (int64_t t = begin; t < end; ++t) {
    const int64_t b = t / g.positions, p = t % g.positions, oh = p / g.cols.out, ow = p % g.cols.out;
    for (int64_t k = 0; k < g.patch_depth; ++k) {
      int64_t i, j, c;
      if (chw) {
        c = k / (g.rows.ksize * g.cols.ksize), i = k / g.cols.ksize % g.rows.ksize, j = k % g.cols.ksize;
      } else {
        i = k / (g.cols.ksize * g.depth), j = k / g.depth % g.cols.ksize, c = k % g.depth;
      }
      const int64_t row = oh * g.rows.stride - g.rows.pad_before + i * g.rows.rate;
      const int64_t col = ow * g.cols.stride - g.cols.pad_before + j * g.cols.rate;
      uint8_t* to = out + b * g.patch_steps.image + p * g.patch_steps.position + k * g.patch_steps.element;
      if (row >= 0 && row < g.rows.in && col >= 0 && col < g.cols.in) {
        const ImageSteps& s = g.image_steps;
        std::memcpy(to, in + b * s.image + row * s.row + col * s.pixel + c * s.channel, es);
      } else {
        std::memcpy(to, g.pad_value.data(), es);
      }
    }
  }
}

}  // namespace pj
