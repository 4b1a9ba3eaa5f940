// The golden loops: TensorFlow's element rule (SEMANTICS.md §4) written as plainly as possible.
// Every other implementation is checked against these.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"

namespace pj {

// out[b, i, j, (ki*ksize_cols + kj)*depth + c] = in[b, i*sr - pad_top + ki*rr, j*sc - pad_left + kj*rc, c]
// or zero where that is outside the input, for output rows [row_begin, row_end) of the
// flattened (b, i) range. `input` and `output` point at the whole tensors.
void golden_extract(const Geometry& g, const void* input, void* output, int64_t row_begin,
                    int64_t row_end);

// The whole output.
inline void golden_extract(const Geometry& g, const void* input, void* output) {
  golden_extract(g, input, output, 0, g.batch * g.rows.out);
}

}  // namespace pj
