// The plan interpreter: runs a Plan with memcpy. It is backend `interp`, the portable fallback,
// and the way to tell a planner bug from an emitter bug. Plans too irregular to specialize
// (Plan::generic) run the generic loops (interp/generic.h).
#pragma once

#include <cstdint>

#include "codegen/plan/plan.h"

namespace pj {

// Fills rows [row_begin, row_end) of the flattened (image, row) range; `input` and `output`
// point at the whole tensors.
void interpret(const Plan& plan, const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end);

// Fills pixels [col_begin, col_end) of flattened row `row` (a tile's partial row). Needs a plan
// made with PlanOptions::pixels_only (one program per pixel).
void interpret_pixels(const Plan& plan, const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                      int64_t col_end);

}  // namespace pj
