// Runs an executor over all output rows of a tensor, split across threads.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"
#include "runtime/executor.h"

namespace pj {

// num_threads: 0 = choose from the output size; N >= 1 = at most N.
void run_rows(const Executor& executor, const Geometry& geometry, const uint8_t* input,
              uint8_t* output, int num_threads);

}  // namespace pj
