// One shape of `patchjit bench`: the harness's buffers and candidates (bench/harness), every
// floor, peer and backend checked byte for byte against the golden loops and timed, then the
// creation time of each JIT backend, cold and from the cache.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/harness/candidates.h"
#include "bench/peers/suite.h"
#include "tools/bench/results.h"
#include "tools/cli/failure.h"

namespace pj::cli {

struct ShapeBenchOptions {
  std::vector<int> threads{1};  // num_threads of pj_kernel_run: one row per count and backend
  double min_time = 0.2;        // seconds per implementation, over all repetitions
  int repetitions = 5;
  std::string corrupt;  // a row whose output is corrupted after it runs (tests only)
};

// Told what is about to run: "golden loops", "im2col", "cold compile xbyak_avx512", ...
using ProgressCallback = std::function<void(const std::string& what)>;

// Fills `result`. A Failure when an output differs from the golden loops (naming the row and
// the element) or a backend refuses the signature. Sets the ISA cap: the caller restores it.
std::optional<Failure> bench_shape(const SuiteShape& shape, const Geometry& geometry,
                                   const std::vector<bench::BackendVariant>& variants, const ShapeBenchOptions& options,
                                   const ProgressCallback& progress, ShapeResult* result);

}  // namespace pj::cli
