// The plan interpreter: runs a Plan with memcpy/memset. It is backend `interp`, the portable
// fallback, and the way to tell a planner bug from an emitter bug.
#pragma once

#include <cstdint>

#include "codegen/plan/plan.h"

namespace pj {

// Fills output rows [row_begin, row_end) of the flattened (image, output row) range; `input`
// and `output` point at the whole tensors.
void interpret(const Plan& plan, const uint8_t* input, uint8_t* output, int64_t row_begin,
               int64_t row_end);

}  // namespace pj
