// One shape of `patchjit bench`: random input and its golden output, then every store floor,
// peer and backend checked byte for byte against the golden loops and timed, then the creation
// time of each JIT backend.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "patchjit/patchjit.h"
#include "bench/peers/suite.h"
#include "tools/bench_results.h"
#include "tools/cli.h"

namespace pj::cli {

// A backend as the table has it: xbyak once per ISA, the others once.
struct BackendVariant {
  std::string name;  // "xbyak_avx512", "interp", "llvm"
  pj_backend backend;
  pj_isa isa;        // the cap to set before pj_kernel_create
  bool jit;          // has a compile step worth timing
};

// The backends this build and CPU run, found through the C API, xbyak once per ISA from `top`
// down to AVX2; `skipped` gets "name: reason" for each one that cannot run.
std::vector<BackendVariant> backend_variants(pj_isa top, std::vector<std::string>* skipped);

struct ShapeBenchOptions {
  std::vector<int> threads{1};  // num_threads of pj_kernel_run: one row per count and backend
  double min_time = 0.2;        // seconds per implementation, over all repetitions
  int repetitions = 5;
  std::string corrupt;          // a row whose output is corrupted after it runs (tests only)
};

// Told what is about to run: "golden loops", "im2col", "cold compile xbyak_avx512", ...
using ProgressCallback = std::function<void(const std::string& what)>;

// Fills `result`. A Failure when an output differs from the golden loops (naming the row and
// the element) or a backend refuses the signature. Sets the ISA cap and, for a moment, the
// cache limits: the caller restores them.
std::optional<Failure> bench_shape(const SuiteShape& shape, const Geometry& geometry,
                                   const std::vector<BackendVariant>& variants, const ShapeBenchOptions& options,
                                   const ProgressCallback& progress, ShapeResult* result);

}  // namespace pj::cli
