// Fold's loops (backend interp, and every other backend's until the emitters learn fold): run a
// FoldPlan (codegen/plan/fold_plan.h) for any dtype, format and strides, with the adds of
// codegen/plan/element_add.h. Inner loops over contiguous elements are plain enough for the
// compiler to vectorize.
#pragma once

#include <cstdint>

#include "codegen/plan/fold_plan.h"

namespace pj {

// Fills image rows [row_begin, row_end) of the flattened (image, row) range, pixels
// [col_begin, col_end) of each; `input` is the whole patch tensor, `output` the whole image.
// Writes those pixels' elements and nothing else; allocates nothing.
void run_fold(const FoldPlan& plan, const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end,
              int64_t col_begin, int64_t col_end);

}  // namespace pj
