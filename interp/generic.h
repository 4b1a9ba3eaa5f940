// The generic loops: extract for any geometry without a plan, for signatures too irregular to
// specialize (Plan::generic: more regions than a kernel should hold, or offsets beyond int64).
// They address valid taps only, so no offset outside the image is ever formed.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"

namespace pj {

// Positions [begin, end) of the flattened (image, position) range.
void generic_extract(const Geometry& g, const uint8_t* input, uint8_t* output, int64_t begin, int64_t end);

}  // namespace pj
