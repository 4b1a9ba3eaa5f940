#include "tools/bench/shape.h"

#include <memory>

#include "tools/cli/internal.h"
#include "tools/cli/resources.h"

namespace pj::cli {
namespace {

using bench::BackendVariant;
using bench::Candidate;

std::optional<Failure> time_creation(const BackendVariant& v, const Spec& spec, const SuiteShape& shape,
                                     const ShapeBenchOptions& o, const ProgressCallback& progress,
                                     ShapeResult* result) {
  pj_set_max_isa(v.isa);
  std::string error;
  const std::function<void()> create = bench::create_destroy(spec, v, &error);
  const auto refused = [&] { return data_error(shape.name + ": backend " + v.name + ": " + error); };

  progress("cold compile " + v.name);
  {
    bench::CacheOff off;  // every create plans, emits and protects
    create();
    result->rows.push_back(
        {bench::compile_name(v), RowKind::kCompile, v.name, measure(create, o.min_time, o.repetitions)});
  }
  if (!error.empty()) return refused();

  progress("cache-hit create " + v.name);
  std::unique_ptr<bench::VariantKernel> warm = bench::make_kernel(spec, v, &error);  // holds it in the cache
  if (!warm) return refused();
  create();
  result->rows.push_back(
      {bench::create_hit_name(v), RowKind::kCreateHit, v.name, measure(create, o.min_time, o.repetitions)});
  if (!error.empty()) return refused();
  return std::nullopt;
}

}  // namespace

std::optional<Failure> bench_shape(const SuiteShape& shape, const Geometry& geometry,
                                   const std::vector<BackendVariant>& variants, const ShapeBenchOptions& o,
                                   const ProgressCallback& progress, ShapeResult* result) {
  // The input, the output and the expected output are all held at once.
  const uint64_t needed =
      static_cast<uint64_t>(geometry.input_bytes()) + 2 * static_cast<uint64_t>(geometry.output_bytes());
  if (auto e = check_fits_in_memory(needed, "benchmarking " + shape.name)) return data_error(*e);
  progress("golden loops");
  bench::ShapeBuffers buffers(geometry);
  result->name = shape.name;
  result->note = shape.note;
  result->geometry = geometry;

  std::vector<Candidate> candidates = bench::baseline_candidates(buffers, &result->unavailable);
  const Spec& spec = shape.spec;
  std::vector<std::unique_ptr<bench::VariantKernel>> kernels;
  std::vector<BackendVariant> served;  // every backend serves every extract; fold's JIT the tf format
  for (const BackendVariant& v : variants) {
    std::string error;
    kernels.push_back(bench::make_kernel(spec, v, &error));
    if (!kernels.back() && spec.op == Op::kFold && v.jit) {
      result->skipped.push_back(v.name + ": " + error);
      continue;
    }
    if (!kernels.back()) return data_error(shape.name + ": backend " + v.name + ": " + error);
    served.push_back(v);
    for (int t : o.threads) candidates.push_back(bench::backend_candidate(*kernels.back(), t, buffers));
  }
  for (const Candidate& c : candidates) {
    progress(c.name);
    if (c.kind != RowKind::kFloor) {
      if (auto e = bench::check(c, buffers, c.name == o.corrupt))
        return data_error(shape.name + ": " + c.name + " " + *e);
    } else {
      c.run();  // warm, as the check warms the others
    }
    result->rows.push_back({c.name, c.kind, "", measure(c.run, o.min_time, o.repetitions)});
  }
  for (const BackendVariant& v : served) {
    if (!v.jit) continue;
    if (auto f = time_creation(v, spec, shape, o, progress, result)) return f;
  }
  return std::nullopt;
}

}  // namespace pj::cli
