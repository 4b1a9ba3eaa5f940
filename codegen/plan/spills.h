// Spills: a copy, fill or gather piece whose length is no move width (a 21-byte run: two
// overlapping 16-byte moves) may be one move of the next power of two (32 bytes) where the
// bytes it writes past its end are written again later by the same pixel's program, and the
// bytes it reads past its end lie inside what the program reads anyway (so make_plan's proof of
// the reads covers them). Measured on the AMD EPYC VM, the uint8 stem's 7x7 taps of 21 bytes:
// 1.3x faster a pixel.
#pragma once

#include <cstdint>

#include "codegen/plan/plan.h"

namespace pj {

// Sets Step::spill on the steps of `program` whose pieces gain a move from one, for moves of up to
// `vector_bytes`; splits the last row off a block where only that row cannot spill (the last
// run of a pixel has nothing after it).
void plan_spills(int64_t vector_bytes, PixelProgram* program);

}  // namespace pj
