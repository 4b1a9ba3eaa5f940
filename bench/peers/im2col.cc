#include "bench/peers/im2col.h"

#include <algorithm>
#include <cstring>

namespace pj {
namespace {

// First tap k >= 0 with start + k*rate >= 0, and one past the last with start + k*rate < in.
void valid_range(int64_t start, int64_t rate, int64_t in, int64_t ksize, int64_t* lo, int64_t* hi) {
  *lo = start >= 0 ? 0 : std::min(ksize, (-start + rate - 1) / rate);
  int64_t span = in - 1 - start;
  *hi = span < 0 ? 0 : std::min(ksize, span / rate + 1);
  if (*hi < *lo) *hi = *lo;
}

}  // namespace

void im2col_rows(const Geometry& g, const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) {
  const int64_t tap = g.depth * g.elem_size;
  const int64_t krow = g.cols.ksize * tap;
  const int64_t pixel = g.rows.ksize * krow;
  const int64_t in_row = g.cols.in * tap;
  uint8_t* out = output + row_begin * g.cols.out * pixel;
  for (int64_t t = row_begin; t < row_end; ++t) {
    const int64_t b = t / g.rows.out, i = t % g.rows.out;
    const uint8_t* image = input + b * g.rows.in * in_row;
    const int64_t row0 = i * g.rows.stride - g.rows.pad_before;
    int64_t rlo, rhi;
    valid_range(row0, g.rows.rate, g.rows.in, g.rows.ksize, &rlo, &rhi);
    for (int64_t j = 0; j < g.cols.out; ++j, out += pixel) {
      const int64_t col0 = j * g.cols.stride - g.cols.pad_before;
      int64_t clo, chi;
      valid_range(col0, g.cols.rate, g.cols.in, g.cols.ksize, &clo, &chi);
      if (rlo == rhi || clo == chi) {
        std::memset(out, 0, pixel);
        continue;
      }
      std::memset(out, 0, rlo * krow);
      for (int64_t ki = rlo; ki < rhi; ++ki) {
        uint8_t* dst = out + ki * krow;
        const uint8_t* src = image + (row0 + ki * g.rows.rate) * in_row;
        std::memset(dst, 0, clo * tap);
        if (g.cols.rate == 1) {
          std::memcpy(dst + clo * tap, src + (col0 + clo) * tap, (chi - clo) * tap);
        } else {
          for (int64_t kj = clo; kj < chi; ++kj) {
            std::memcpy(dst + kj * tap, src + (col0 + kj * g.cols.rate) * tap, tap);
          }
        }
        std::memset(dst + chi * tap, 0, (g.cols.ksize - chi) * tap);
      }
      std::memset(out + rhi * krow, 0, (g.rows.ksize - rhi) * krow);
    }
  }
}

}  // namespace pj
