#include "tools/bench_shape.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>

#include "patchjit/patchjit.hpp"
#include "reference/compare.h"
#include "reference/golden.h"
#include "bench/peers/im2col.h"
#include "bench/peers/peers.h"
#include "runtime/c_spec.h"
#include "tools/available_memory.h"

namespace pj::cli {
namespace {

// A 64-byte aligned buffer (Eigen's TensorMaps are Aligned, as TensorFlow's are), touched so
// page faults fall outside every measurement.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t bytes)
      : data_(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64))) {
    if (!data_) throw std::bad_alloc();
    std::memset(data_.get(), 0x11, bytes);
  }
  uint8_t* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
};

// One way to run the op (or merely write its output) on the shape's buffers.
struct Candidate {
  std::string name;
  RowKind kind;
  std::function<void()> run;
};

// "xbyak_avx512", "xbyak_avx512_t2", "xbyak_avx512_tauto" (0 threads: the library chooses).
std::string threaded_name(const std::string& name, int threads) {
  if (threads == 1) return name;
  return name + "_t" + (threads == 0 ? std::string("auto") : std::to_string(threads));
}

// Benchmarks one shape: check every candidate's bytes, then time it.
class ShapeBench {
 public:
  ShapeBench(const ShapeBenchOptions& o, const SuiteShape& shape, const Geometry& g,
             const std::vector<BackendVariant>& variants, const ProgressCallback& progress)
      : o_(o), shape_(shape), g_(g), variants_(variants), progress_(progress),
        input_(static_cast<size_t>(g.input_bytes())), output_(static_cast<size_t>(g.output_bytes())),
        expected_(static_cast<size_t>(g.output_bytes())) {
    // Non-zero bytes, so a zero where data belongs shows.
    std::mt19937_64 rng(1);
    for (int64_t i = 0; i < g.input_bytes(); ++i) input_.data()[i] = static_cast<uint8_t>(rng() | 1);
    golden_extract(g, input_.data(), expected_.data());
  }

  std::optional<Failure> run(ShapeResult* result) {
    result->name = shape_.name;
    result->note = shape_.note;
    result->geometry = g_;
    const size_t bytes = static_cast<size_t>(g_.output_bytes());
    uint8_t* out = output_.data();
    const uint8_t* in = input_.data();
    const Geometry& g = g_;
    std::vector<Candidate> candidates = {
        {"floor_memset", RowKind::kFloor, [=] { floor_memset(out, bytes); }},
        {"floor_vector", RowKind::kFloor, [=] { floor_vector_stores(out, bytes); }},
        {"floor_memcpy16k", RowKind::kFloor, [=] { floor_memcpy_hot(out, bytes); }},
        {"naive", RowKind::kPeer, [=, &g] { golden_extract(g, in, out); }},
        {"im2col", RowKind::kPeer, [=, &g] { im2col_rows(g, in, out, 0, g.total_rows()); }},
        {"eigen", RowKind::kPeer, [=, &g] { eigen_extract(g, in, out); }},
    };
    const pj_spec spec = to_c(shape_.spec);
    std::vector<patchjit::Kernel> kernels;
    kernels.reserve(variants_.size());
    for (const BackendVariant& v : variants_) {
      pj_set_max_isa(v.isa);
      patchjit::Result<patchjit::Kernel> k = patchjit::Kernel::try_create(spec, v.backend);
      if (!k) return Failure{kExitError, shape_.name + ": backend " + v.name + ": " + k.status().message};
      kernels.push_back(std::move(k.value()));
      const pj_kernel* kernel = kernels.back().get();
      for (int t : o_.threads) {
        candidates.push_back({threaded_name(v.name, t), RowKind::kBackend,
                              [=] { pj_kernel_run(kernel, in, out, t); }});
      }
    }
    for (const Candidate& c : candidates) {
      progress_(c.name);
      if (c.kind != RowKind::kFloor) {
        if (auto f = check(c)) return f;
      } else {
        c.run();  // warm, as the check warms the others
      }
      result->rows.push_back({c.name, c.kind, "", measure(c.run, o_.min_time, o_.repetitions)});
    }
    for (const BackendVariant& v : variants_) {
      if (!v.jit) continue;
      if (auto f = time_creation(v, spec, result)) return f;
    }
    return std::nullopt;
  }

 private:
  // Runs the candidate into an output holding the complement of the expected bytes (so every
  // byte left unwritten differs) and compares with the golden loops.
  std::optional<Failure> check(const Candidate& c) {
    uint8_t* out = output_.data();
    const uint8_t* expected = expected_.data();
    for (int64_t i = 0; i < g_.output_bytes(); ++i) out[i] = static_cast<uint8_t>(~expected[i]);
    c.run();
    if (c.name == o_.corrupt) out[g_.output_bytes() / 2] ^= 0x5A;
    if (auto m = first_mismatch(g_, expected, out)) {
      return Failure{kExitError, shape_.name + ": " + c.name + " differs from the golden loops at " +
                                     describe(g_, *m, expected, out)};
    }
    return std::nullopt;
  }

  // Cold: the cache off, so every pj_kernel_create plans, emits and protects. Hit: create and
  // destroy while a kernel of the signature is held. Named as bench/suite_bench.cc names them
  // for the best xbyak ISA ("compile_xbyak", "create_hit"), after the row otherwise.
  std::optional<Failure> time_creation(const BackendVariant& v, const pj_spec& spec, ShapeResult* result) {
    const bool first_xbyak = v.backend == PJ_BACKEND_XBYAK && v.name == variants_first_xbyak();
    const std::string cold_name = first_xbyak ? "compile_xbyak" : "compile_" + v.name;
    const std::string hit_name = first_xbyak ? "create_hit" : "create_hit_" + v.name;
    pj_set_max_isa(v.isa);
    std::string error;
    auto create_destroy = [&] {
      pj_kernel* k = nullptr;
      if (pj_kernel_create(&spec, v.backend, &k) != PJ_OK && error.empty()) error = pj_last_error();
      pj_kernel_destroy(k);
    };

    progress_("cold compile " + v.name);
    pj_cache_stats limits;
    pj_cache_get_stats(&limits);
    pj_cache_set_limits(0, 0);
    create_destroy();
    Measurement cold = measure(create_destroy, o_.min_time, o_.repetitions);
    pj_cache_set_limits(limits.max_entries, limits.max_code_bytes);
    if (!error.empty()) return Failure{kExitError, shape_.name + ": backend " + v.name + ": " + error};
    result->rows.push_back({cold_name, RowKind::kCompile, v.name, cold});

    progress_("cache-hit create " + v.name);
    pj_kernel* warm = nullptr;
    if (pj_kernel_create(&spec, v.backend, &warm) != PJ_OK) {
      return Failure{kExitError, shape_.name + ": backend " + v.name + ": " + pj_last_error()};
    }
    create_destroy();
    Measurement hit = measure(create_destroy, o_.min_time, o_.repetitions);
    pj_kernel_destroy(warm);
    if (!error.empty()) return Failure{kExitError, shape_.name + ": backend " + v.name + ": " + error};
    result->rows.push_back({hit_name, RowKind::kCreateHit, v.name, hit});
    return std::nullopt;
  }

  std::string variants_first_xbyak() const {
    for (const BackendVariant& v : variants_) {
      if (v.backend == PJ_BACKEND_XBYAK) return v.name;
    }
    return "";
  }

  const ShapeBenchOptions& o_;
  const SuiteShape& shape_;
  const Geometry& g_;
  const std::vector<BackendVariant>& variants_;
  const ProgressCallback& progress_;
  AlignedBuffer input_, output_, expected_;
};

}  // namespace

std::vector<BackendVariant> backend_variants(pj_isa top, std::vector<std::string>* skipped) {
  std::vector<BackendVariant> variants;
  for (int b = PJ_BACKEND_INTERP; pj_backend_name(static_cast<pj_backend>(b)); ++b) {
    const auto backend = static_cast<pj_backend>(b);
    const std::string name = pj_backend_name(backend);
    if (pj_backend_available(backend) != PJ_OK) {
      skipped->push_back(name + ": " + pj_last_error());
      continue;
    }
    if (backend == PJ_BACKEND_XBYAK) {
      for (int isa = top; isa >= PJ_ISA_AVX2; --isa) {
        variants.push_back({name + "_" + pj_isa_name(static_cast<pj_isa>(isa)), backend, static_cast<pj_isa>(isa), true});
      }
    } else {
      variants.push_back({name, backend, top, backend != PJ_BACKEND_INTERP});
    }
  }
  return variants;
}

std::optional<Failure> bench_shape(const SuiteShape& shape, const Geometry& geometry,
                                   const std::vector<BackendVariant>& variants, const ShapeBenchOptions& options,
                                   const ProgressCallback& progress, ShapeResult* result) {
  // The input, the output and the expected output are all held at once.
  const uint64_t needed = static_cast<uint64_t>(geometry.input_bytes()) + 2 * static_cast<uint64_t>(geometry.output_bytes());
  if (auto e = check_fits_in_memory(needed, "benchmarking " + shape.name)) return Failure{kExitError, *e};
  progress("golden loops");
  ShapeBench bench(options, shape, geometry, variants, progress);
  return bench.run(result);
}

}  // namespace pj::cli
