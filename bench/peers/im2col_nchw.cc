#include "bench/peers/im2col_nchw.h"

#include <algorithm>
#include <cstring>

namespace pj {
namespace {

// `count` elements of the pad value: memset for a value of equal bytes (zero, mostly).
void fill(uint8_t* dst, int64_t count, const Geometry& g) {
  if (count <= 0) return;
  const int64_t e = g.elem_size;
  if (std::all_of(g.pad_value.begin(), g.pad_value.begin() + e, [&](uint8_t b) { return b == g.pad_value[0]; })) {
    std::memset(dst, g.pad_value[0], static_cast<size_t>(count * e));
    return;
  }
  for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * e, g.pad_value.data(), static_cast<size_t>(e));
}

}  // namespace

bool im2col_nchw_applies(const Geometry& g) {
  return g.extract() && g.format == kTorchFormat && g.dense_image() && g.dense_patches();
}

void im2col_nchw(const Geometry& g, const uint8_t* input, uint8_t* output) {
  const int64_t e = g.elem_size, H = g.rows.in, W = g.cols.in, OH = g.rows.out, OW = g.cols.out;
  const int64_t sw = g.cols.stride;
  uint8_t* out = output;  // row k of image b's [K, OH*OW] matrix, in order
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t c = 0; c < g.depth; ++c) {
      const uint8_t* plane = input + (b * g.depth + c) * H * W * e;
      for (int64_t i = 0; i < g.rows.ksize; ++i) {
        for (int64_t j = 0; j < g.cols.ksize; ++j) {
          // Output columns ow whose w = ow*sw - pad_left + j*rate lies in [0, W): [lo, hi).
          const int64_t w0 = j * g.cols.rate - g.cols.pad_before;
          const int64_t lo = std::min(OW, w0 >= 0 ? 0 : (-w0 + sw - 1) / sw);
          const int64_t hi = std::max(lo, std::min(OW, W - w0 <= 0 ? 0 : (W - w0 + sw - 1) / sw));
          for (int64_t oh = 0; oh < OH; ++oh, out += OW * e) {
            const int64_t h = oh * g.rows.stride - g.rows.pad_before + i * g.rows.rate;
            if (h < 0 || h >= H) {
              fill(out, OW, g);
              continue;
            }
            const uint8_t* row = plane + h * W * e;
            fill(out, lo, g);
            if (sw == 1) {
              std::memcpy(out + lo * e, row + (w0 + lo) * e, static_cast<size_t>((hi - lo) * e));
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) {
                std::memcpy(out + ow * e, row + (w0 + ow * sw) * e, static_cast<size_t>(e));
              }
            }
            fill(out + hi * e, OW - hi, g);
          }
        }
      }
    }
  }
}

}  // namespace pj
