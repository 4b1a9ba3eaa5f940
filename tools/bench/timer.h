// Timing for `patchjit bench`: a call repeated until its share of the time budget is spent,
// in several repetitions whose median is the result.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace pj::cli {

// Seconds per call, wall clock and CPU time of the whole process (worker threads included).
struct Timing {
  double real = 0;
  double cpu = 0;
};

struct Measurement {
  int64_t iterations = 0;           // calls per repetition
  std::vector<Timing> repetitions;  // one per repetition, seconds per call

  Timing median() const;
  Timing mean() const;
  Timing stddev() const;  // sample standard deviation; 0 for one repetition
  // (slowest - fastest) / median of the wall times: 0.12 when the repetitions lie 12% apart.
  double spread() const;
};

// Calls `run` `repetitions` times `iterations` times, the count chosen so that all repetitions
// together last about `min_seconds` (at least one call each). The caller has run it once
// already (the check), so caches and page tables are warm.
Measurement measure(const std::function<void()>& run, double min_seconds, int repetitions);

}  // namespace pj::cli
