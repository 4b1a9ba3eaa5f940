// The careful hand-written im2col: one memcpy per contiguous run, memset for padding, no plan.
// It is a benchmark peer, and the executor of plans too large to specialize (Plan::generic).
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"

namespace pj {

// Fills output rows [row_begin, row_end) of the flattened (image, output row) range.
void im2col_rows(const Geometry& g, const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end);

}  // namespace pj
