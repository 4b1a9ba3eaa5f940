#include "reference/golden.h"

#include <cstring>

#include "codegen/plan/element_add.h"

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

namespace {

// The patch element of tap (i, j), channel c at output position (oh, ow), if that position
// exists: extract's rule read backwards.
bool tap_source(const Axis& axis, int64_t x, int64_t k, int64_t* out) {
  const int64_t t = x + axis.pad_before - k * axis.rate;
  if (t < 0 || t % axis.stride != 0 || t / axis.stride >= axis.out) return false;
  *out = t / axis.stride;
  return true;
}

template <typename E>
void fold_pixels(const Geometry& g, const uint8_t* in, uint8_t* out, int64_t row_begin, int64_t row_end,
                 int64_t col_begin, int64_t col_end) {
  using S = typename E::Storage;
  const bool chw = g.format.order == PatchOrder::kChw;
  const int64_t kh = g.rows.ksize, kw = g.cols.ksize;
  for (int64_t t = row_begin; t < row_end; ++t) {
    const int64_t b = t / g.rows.in, h = t % g.rows.in;
    for (int64_t w = col_begin; w < col_end; ++w) {
      for (int64_t c = 0; c < g.depth; ++c) {
        S sum{};
        int64_t count = 0;
        for (int64_t i = kh - 1; i >= 0; --i) {
          for (int64_t j = kw - 1; j >= 0; --j) {
            int64_t oh, ow;
            if (!tap_source(g.rows, h, i, &oh) || !tap_source(g.cols, w, j, &ow)) continue;
            const int64_t k = chw ? (c * kh + i) * kw + j : (i * kw + j) * g.depth + c;
            S value;
            std::memcpy(&value,
                        in + b * g.patch_steps.image + (oh * g.cols.out + ow) * g.patch_steps.position +
                            k * g.patch_steps.element,
                        sizeof value);
            sum = E::add(sum, value);
            ++count;
          }
        }
        if constexpr (kDivides<E>) {
          if (g.mode == FoldMode::kMean && count > 1) sum = E::divide(sum, count);
        }
        const ImageSteps& s = g.image_steps;
        std::memcpy(out + b * s.image + h * s.row + w * s.pixel + c * s.channel, &sum, sizeof sum);
      }
    }
  }
}

}  // namespace

void golden_fold(const Geometry& g, const void* input, void* output, int64_t row_begin, int64_t row_end,
                 int64_t col_begin, int64_t col_end) {
  with_element(g.dtype, [&](auto tag) {
    using E = typename decltype(tag)::type;
    fold_pixels<E>(g, static_cast<const uint8_t*>(input), static_cast<uint8_t*>(output), row_begin, row_end, col_begin,
                   col_end);
  });
}

}  // namespace pj
