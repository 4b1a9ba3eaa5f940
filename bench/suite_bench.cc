// The developers' harness: every backend and every peer on the suite of DESIGN.md, in one run.
// Names are "<implementation>/<shape>"; bench/summarize.py turns the JSON into ratios.
//   build/bin/pj_suite_bench --benchmark_repetitions=5 --benchmark_out=suite.json
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "bench/peers/im2col.h"
#include "bench/peers/peers.h"
#include "bench/peers/suite.h"
#include "runtime/c_spec.h"

namespace {

using pj::to_c;

struct AlignedBuffer {
  explicit AlignedBuffer(size_t n) : size(n), data(static_cast<uint8_t*>(std::aligned_alloc(64, (n + 63) / 64 * 64 + 64))) {
    std::memset(data, 0x11, size);  // touched: page faults are not part of any measurement
  }
  ~AlignedBuffer() { std::free(data); }
  size_t size;
  uint8_t* data;
};

struct ShapeData {
  pj::SuiteShape shape;
  pj::Geometry g;
  std::unique_ptr<AlignedBuffer> input, output;
  std::vector<uint8_t> expected;
};

std::vector<std::unique_ptr<ShapeData>>& shapes() {
  static std::vector<std::unique_ptr<ShapeData>> all;
  return all;
}

// Times `run` (which fills d.output); first checks its output against the golden loops.
void timed(benchmark::State& state, ShapeData& d, const std::function<void()>& run, bool check = true) {
  if (check) {
    std::memset(d.output->data, 0xEE, d.g.output_bytes());
    run();
    if (std::memcmp(d.output->data, d.expected.data(), d.g.output_bytes()) != 0) {
      state.SkipWithError("output differs from the golden loops");
      return;
    }
  }
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * d.g.output_bytes());
}

void register_shape(ShapeData& d) {
  const std::string s = d.shape.name;
  auto add = [&](const std::string& impl, std::function<void(benchmark::State&)> fn) {
    benchmark::RegisterBenchmark((impl + "/" + s).c_str(), fn)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  uint8_t* out = d.output->data;
  const size_t bytes = d.g.output_bytes();
  add("floor_memset", [&d, out, bytes](benchmark::State& st) { timed(st, d, [=] { pj::floor_memset(out, bytes); }, false); });
  add("floor_vector", [&d, out, bytes](benchmark::State& st) { timed(st, d, [=] { pj::floor_vector_stores(out, bytes); }, false); });
  add("floor_memcpy16k", [&d, out, bytes](benchmark::State& st) { timed(st, d, [=] { pj::floor_memcpy_hot(out, bytes); }, false); });
  add("naive", [&d](benchmark::State& st) { timed(st, d, [&] { pj::golden_extract(d.g, d.input->data, d.output->data); }); });
  add("im2col", [&d](benchmark::State& st) {
    timed(st, d, [&] { pj::im2col_rows(d.g, d.input->data, d.output->data, 0, d.g.batch * d.g.rows.out); });
  });
  add("eigen", [&d](benchmark::State& st) { timed(st, d, [&] { pj::eigen_extract(d.g, d.input->data, d.output->data); }); });

  struct Variant {
    const char* name;
    pj_backend backend;
    pj_isa cap;
    int threads;
  };
  for (Variant v : {Variant{"interp", PJ_BACKEND_INTERP, PJ_ISA_AVX512, 1},
                    Variant{"xbyak_avx512", PJ_BACKEND_XBYAK, PJ_ISA_AVX512, 1},
                    Variant{"xbyak_avx2", PJ_BACKEND_XBYAK, PJ_ISA_AVX2, 1},
                    Variant{"xbyak_avx512_t2", PJ_BACKEND_XBYAK, PJ_ISA_AVX512, 2},
                    Variant{"llvm", PJ_BACKEND_LLVM, PJ_ISA_AVX512, 1}}) {
    if (v.cap > pj_host_isa() && v.backend == PJ_BACKEND_XBYAK) continue;
    add(v.name, [&d, v](benchmark::State& st) {
      pj_set_max_isa(v.cap);
      pj_spec spec = to_c(d.shape.spec);
      pj_kernel* k = nullptr;
      if (pj_kernel_create(&spec, v.backend, &k) != PJ_OK) {
        st.SkipWithError(pj_last_error());
        return;
      }
      timed(st, d, [&] { pj_kernel_run(k, d.input->data, d.output->data, v.threads); });
      pj_kernel_destroy(k);
    });
  }

  // Cold compile: plan + emit + protect, with the cache off so every create builds.
  for (auto [name, backend] : {std::pair{"compile_xbyak", PJ_BACKEND_XBYAK}, std::pair{"compile_llvm", PJ_BACKEND_LLVM}}) {
    add(name, [&d, backend](benchmark::State& st) {
      pj_set_max_isa(PJ_ISA_AVX512);
      pj_cache_stats stats;
      pj_cache_get_stats(&stats);
      pj_cache_set_limits(0, 0);
      pj_spec spec = to_c(d.shape.spec);
      for (auto _ : st) {
        pj_kernel* k = nullptr;
        if (pj_kernel_create(&spec, backend, &k) != PJ_OK) st.SkipWithError(pj_last_error());
        pj_kernel_destroy(k);
      }
      pj_cache_set_limits(stats.max_entries, stats.max_code_bytes);
    });
  }
  // Cache hit: pj_kernel_create of a signature already built (with its pj_kernel_destroy).
  add("create_hit", [&d](benchmark::State& st) {
    pj_set_max_isa(PJ_ISA_AVX512);
    pj_spec spec = to_c(d.shape.spec);
    pj_kernel* warm = nullptr;
    pj_kernel_create(&spec, PJ_BACKEND_XBYAK, &warm);
    for (auto _ : st) {
      pj_kernel* k = nullptr;
      pj_kernel_create(&spec, PJ_BACKEND_XBYAK, &k);
      benchmark::DoNotOptimize(k);
      pj_kernel_destroy(k);
    }
    pj_kernel_destroy(warm);
  });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::mt19937_64 rng(1);
  for (const pj::SuiteShape& shape : pj::benchmark_suite()) {
    auto d = std::make_unique<ShapeData>();
    d->shape = shape;
    d->g = *pj::make_geometry(shape.spec);
    d->input = std::make_unique<AlignedBuffer>(d->g.input_bytes());
    d->output = std::make_unique<AlignedBuffer>(d->g.output_bytes());
    for (int64_t i = 0; i < d->g.input_bytes(); ++i) d->input->data[i] = static_cast<uint8_t>(rng() | 1);
    d->expected.resize(d->g.output_bytes());
    pj::golden_extract(d->g, d->input->data, d->expected.data());
    register_shape(*d);
    shapes().push_back(std::move(d));
  }
  benchmark::AddCustomContext("peers", pj::peer_compiler());
  benchmark::AddCustomContext("host_isa", pj_isa_name(pj_host_isa()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
