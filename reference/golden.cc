#include "reference/golden.h"

#include <cstring>

namespace pj {

void golden_extract(const Geometry& g, const void* input, void* output, int64_t row_begin,
                    int64_t row_end) {
  const auto* in = static_cast<const uint8_t*>(input);
  auto* out = static_cast<uint8_t*>(output);
  const int64_t es = g.elem_size;
  int64_t o = row_begin * g.cols.out * g.patch_depth;  // output element index, in output order
  for (int64_t t = row_begin; t < row_end; ++t) {
    const int64_t b = t / g.rows.out, i = t % g.rows.out;
    for (int64_t j = 0; j < g.cols.out; ++j) {
      for (int64_t ki = 0; ki < g.rows.ksize; ++ki) {
        for (int64_t kj = 0; kj < g.cols.ksize; ++kj) {
          for (int64_t c = 0; c < g.depth; ++c, ++o) {
            int64_t row = i * g.rows.stride - g.rows.pad_before + ki * g.rows.rate;
            int64_t col = j * g.cols.stride - g.cols.pad_before + kj * g.cols.rate;
            if (row >= 0 && row < g.rows.in && col >= 0 && col < g.cols.in) {
              int64_t e = ((b * g.rows.in + row) * g.cols.in + col) * g.depth + c;
              std::memcpy(out + o * es, in + e * es, es);
            } else {
              std::memset(out + o * es, 0, es);
            }
          }
        }
      }
    }
  }
}

}  // namespace pj
