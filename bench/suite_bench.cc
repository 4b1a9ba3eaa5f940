// The developers' harness: every backend and every peer on the suite (bench/peers/suite.h), in one run,
// timed by Google Benchmark. What runs and under which name is bench/harness/candidates.h, as
// for `patchjit bench`: names are "<row>/<shape>"; bench/summarize.py turns the JSON into ratios.
//   build/bin/pj_suite_bench --benchmark_repetitions=5 --benchmark_out=suite.json
//   build/bin/pj_suite_bench --random=40 --seed=3 ...   a random sweep instead of the suite
//   build/bin/pj_suite_bench --format=torch ...          the shapes in the torch format
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/harness/candidates.h"
#include "bench/peers/peers.h"
#include "bench/peers/random_shapes.h"
#include "bench/peers/suite.h"
#include "patchjit/patchjit.h"
#include "runtime/c_spec.h"

namespace {

using namespace pj::bench;

struct ShapeData {
  pj::SuiteShape shape;
  std::unique_ptr<ShapeBuffers> buffers;
  std::vector<std::unique_ptr<VariantKernel>> kernels;
};

std::vector<std::unique_ptr<ShapeData>>& shapes() {
  static std::vector<std::unique_ptr<ShapeData>> all;
  return all;
}

void add(const std::string& row, const ShapeData& d, std::function<void(benchmark::State&)> fn) {
  benchmark::RegisterBenchmark((row + "/" + d.shape.name).c_str(), std::move(fn))
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// Checks the candidate's output against the golden loops once, then times it.
void add_candidate(ShapeData& d, Candidate c, pj_isa cap) {
  add(c.name, d, [&d, c, cap](benchmark::State& st) {
    pj_set_max_isa(cap);
    if (c.kind != RowKind::kFloor) {
      if (auto e = check(c, *d.buffers)) {
        st.SkipWithError(e->c_str());
        return;
      }
    }
    for (auto _ : st) {
      c.run();
      benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * d.buffers->g.output_bytes());
  });
}

void register_shape(ShapeData& d, const std::vector<BackendVariant>& variants) {
  for (Candidate& c : baseline_candidates(*d.buffers)) add_candidate(d, std::move(c), pj_host_isa());
  const pj::Spec& spec = d.shape.spec;
  for (const BackendVariant& v : variants) {
    std::string error;
    std::unique_ptr<VariantKernel> k = make_kernel(spec, v, &error);
    if (!k) {
      add(v.name, d, [error](benchmark::State& st) { st.SkipWithError(error.c_str()); });
      continue;
    }
    add_candidate(d, backend_candidate(*k, 1, *d.buffers), v.isa);
    // Two threads for the best xbyak ISA: what a second core buys.
    if (v.backend == PJ_BACKEND_XBYAK && v.isa == pj_host_isa())
      add_candidate(d, backend_candidate(*k, 2, *d.buffers), v.isa);
    d.kernels.push_back(std::move(k));
  }
  for (const BackendVariant& v : variants) {
    if (!v.jit) continue;
    add(compile_name(v), d, [spec, v](benchmark::State& st) {
      pj_set_max_isa(v.isa);
      std::string error;
      const auto create = create_destroy(spec, v, &error);
      CacheOff off;  // plan + emit + protect on every create
      for (auto _ : st) create();
      if (!error.empty()) st.SkipWithError(error.c_str());
    });
    add(create_hit_name(v), d, [spec, v](benchmark::State& st) {
      std::string error;
      std::unique_ptr<VariantKernel> warm = make_kernel(spec, v, &error);  // holds the signature in the cache
      const auto create = create_destroy(spec, v, &error);
      for (auto _ : st) create();
      if (!error.empty()) st.SkipWithError(error.c_str());
    });
  }
}

// --random=N [--seed=S]: the random sweep's shapes (bench/peers/random_shapes.h) instead of the
// suite; --format=tf|torch: the shapes in that format (patchjit bench --format). Taken out of
// argv before Google Benchmark reads its own flags. False on a bad value.
bool take_sweep_flags(int* argc, char** argv, std::vector<pj::SuiteShape>* shapes) {
  long long count = 0, seed = 1;
  bool torch = false;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--format=", 0) == 0) {
      torch = arg == "--format=torch";
      if (!torch && arg != "--format=tf") {
        std::fprintf(stderr, "pj_suite_bench: %s must be tf or torch\n", arg.c_str());
        return false;
      }
      continue;
    }
    const bool is_count = arg.rfind("--random=", 0) == 0, is_seed = arg.rfind("--seed=", 0) == 0;
    if (!is_count && !is_seed) {
      argv[kept++] = argv[i];
      continue;
    }
    const char* text = arg.c_str() + arg.find('=') + 1;
    char* end = nullptr;
    const long long v = std::strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < 1 || (is_count && v > 100000)) {
      std::fprintf(stderr, "pj_suite_bench: %s must be %s\n", arg.c_str(),
                   is_count ? "an integer from 1 to 100000" : "a positive integer");
      return false;
    }
    (is_count ? count : seed) = v;
  }
  *argc = kept;
  argv[kept] = nullptr;
  if (count > 0) *shapes = pj::random_shapes(static_cast<int>(count), static_cast<uint64_t>(seed));
  if (torch) {
    for (pj::SuiteShape& shape : *shapes) shape = pj::in_format(shape, pj::kTorchFormat);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<pj::SuiteShape> suite = pj::benchmark_suite();
  if (!take_sweep_flags(&argc, argv, &suite)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const std::vector<BackendVariant> variants = backend_variants(pj_host_isa(), nullptr);
  for (const pj::SuiteShape& shape : suite) {
    auto d = std::make_unique<ShapeData>();
    d->shape = shape;
    d->buffers = std::make_unique<ShapeBuffers>(*pj::make_geometry(shape.spec));
    register_shape(*d, variants);
    shapes().push_back(std::move(d));
  }
  benchmark::AddCustomContext("peers", pj::peer_compiler());
  benchmark::AddCustomContext("host_isa", pj_isa_name(pj_host_isa()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
