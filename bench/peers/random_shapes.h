// The random sweep (`patchjit bench --random N --seed S`, `pj_suite_bench --random=N`): unseen
// shapes drawn from a seed, so cliffs show before users find them. Nothing here comes from the
// suite or a tuning table; the same seed draws the same shapes on every machine.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/peers/suite.h"

namespace pj {

// The ranges every drawn shape lies in (issue 11): each element size equally often, then a
// dtype of that size; depth log-uniform; kernel rows and columns, strides and rates each in
// [1, max] (square two times in three); SAME or VALID; output bytes log-uniform in
// [min, max]; the input at most kMaxInputBytes (stride 3 with a 1x1 kernel reads 9x its output).
struct RandomRanges {
  static constexpr int64_t kMaxDepth = 1024;
  static constexpr int64_t kMaxKernel = 7;
  static constexpr int64_t kMaxStride = 3;
  static constexpr int64_t kMaxRate = 3;
  static constexpr int64_t kMaxBatch = 8;
  static constexpr int64_t kMinOutputBytes = 50'000;
  static constexpr int64_t kMaxOutputBytes = 16'000'000;
  static constexpr int64_t kMaxInputBytes = 64'000'000;
};

// `count` shapes of TensorFlow's op drawn from `seed`, each named by shape_name with the note
// "random <i> of seed <seed>".
std::vector<SuiteShape> random_shapes(int count, uint64_t seed);

}  // namespace pj
