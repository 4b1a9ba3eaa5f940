// Runs an executor over all output rows of a tensor, split across the thread pool, or over a
// tile of output positions on the calling thread.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"
#include "runtime/executor.h"

namespace pj {

// The thread count num_threads = 0 picks for an output of this size, knowing whether the pool's
// worker is awake (measured on the development machine; see README "Threads").
int auto_threads(const Geometry& geometry, bool worker_awake);

// num_threads: 0 = auto_threads; N >= 1 = at most N (and at most the pool's size).
void run_rows(const Executor& executor, const Geometry& geometry, const uint8_t* input, uint8_t* output,
              int num_threads);

// A tile (docs/SEMANTICS.md §10): output positions [begin, end) of the flattened
// (image, row, col) range, on the calling thread: the partial first and last rows pixel by
// pixel, the whole rows between them as rows.
void run_positions(const Executor& executor, const Geometry& geometry, const uint8_t* input, uint8_t* output,
                   int64_t begin, int64_t end);

}  // namespace pj
