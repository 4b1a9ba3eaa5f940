// patchjit bench: every backend against the peers and the store floor, for one signature or the
// suite, with every output checked against the golden loops; a table, and optionally Google
// Benchmark JSON and an SVG chart.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "patchjit/patchjit.hpp"
#include "reference/compare.h"
#include "reference/golden.h"
#include "reference/im2col.h"
#include "reference/peers.h"
#include "reference/suite.h"
#include "tools/bench_json.h"
#include "tools/bench_machine.h"
#include "tools/bench_results.h"
#include "tools/bench_svg.h"
#include "tools/bench_table.h"
#include "tools/cli.h"

namespace pj::cli {
namespace {

// Test hook: PATCHJIT_TEST_CORRUPT=<row name> flips one output byte of that implementation
// after it runs, to prove that the check catches a wrong result.
const char kCorruptVariable[] = "PATCHJIT_TEST_CORRUPT";

struct Options {
  std::vector<SuiteShape> shapes;
  std::vector<int> threads{1};
  double min_time = 0.2;
  int repetitions = 5;
  std::string json_path, svg_path;
};

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

// A backend as the table has it: xbyak once per ISA, the others once.
struct BackendVariant {
  std::string name;  // "xbyak_avx512", "interp", "llvm"
  pj_backend backend;
  pj_isa isa;        // the cap to set before pj_kernel_create
  bool jit;
};

// Restores the ISA cap and the cache limits the run found, however it ends.
class ApiStateGuard {
 public:
  ApiStateGuard() : isa_(pj_max_isa()) { pj_cache_get_stats(&stats_); }
  ~ApiStateGuard() {
    pj_set_max_isa(isa_);
    pj_cache_set_limits(stats_.max_entries, stats_.max_code_bytes);
  }
  pj_isa initial_isa() const { return isa_; }

 private:
  pj_isa isa_;
  pj_cache_stats stats_{};
};

// "[3/16] f32_1x56x56x64_k3s1_same: xbyak_avx512..." rewritten in place, on a terminal only.
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO)) {}
  void show(size_t index, size_t count, const std::string& shape, const std::string& what) const {
    if (tty_) std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s...", index + 1, count, shape.c_str(), what.c_str());
  }
  void clear() const {
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  bool tty_;
};

Failure usage(const std::string& message) { return {kExitUsage, message}; }

Spec to_spec(const pj_spec& c) {
  Spec s;
  s.dtype = static_cast<DType>(c.dtype);
  s.padding = static_cast<Padding>(c.padding);
  for (int d = 0; d < 4; ++d) {
    s.input_shape[d] = c.input_shape[d];
    s.ksizes[d] = c.ksizes[d];
    s.strides[d] = c.strides[d];
    s.rates[d] = c.rates[d];
  }
  return s;
}

pj_spec to_c(const Spec& s) {
  pj_spec c{};
  c.dtype = static_cast<pj_dtype>(s.dtype);
  c.padding = static_cast<pj_padding>(s.padding);
  for (int d = 0; d < 4; ++d) {
    c.input_shape[d] = s.input_shape[d];
    c.ksizes[d] = s.ksizes[d];
    c.strides[d] = s.strides[d];
    c.rates[d] = s.rates[d];
  }
  return c;
}

std::optional<Failure> parse_thread_list(const std::string& text, std::vector<int>* out) {
  out->clear();
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    int t = 0;
    if (auto f = parse_threads(item, &t)) return f;
    for (int seen : *out) {
      if (seen == t) return usage("--threads lists " + item + " twice");
    }
    out->push_back(t);
  }
  if (out->empty() || text.back() == ',') return usage("--threads must be a comma-separated list, got '" + text + "'");
  return std::nullopt;
}

std::optional<Failure> parse_options(int argc, char** argv, Options* o) {
  Flags flags;
  const std::vector<std::string> signature = {"shape", "dtype", "ksizes", "strides", "rates", "padding"};
  if (auto f = parse_flags(argc, argv, 2,
                           {"shape", "dtype", "ksizes", "strides", "rates", "padding", "threads", "json", "svg",
                            "min-time", "repetitions"},
                           {"suite"}, &flags)) {
    return f;
  }
  if (flags.has("threads")) {
    if (auto f = parse_thread_list(flags.get("threads"), &o->threads)) return f;
  }
  if (flags.has("min-time")) {
    const std::string& text = flags.get("min-time");
    char* end = nullptr;
    errno = 0;
    o->min_time = std::strtod(text.c_str(), &end);
    if (text.empty() || errno || end != text.c_str() + text.size() || !(o->min_time > 0) || o->min_time > 3600) {
      return usage("--min-time must be a number of seconds above 0 and at most 3600, got '" + text + "'");
    }
  }
  if (flags.has("repetitions")) {
    const std::string& text = flags.get("repetitions");
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || errno || end != text.c_str() + text.size() || n < 1 || n > 1000) {
      return usage("--repetitions must be an integer from 1 to 1000, got '" + text + "'");
    }
    o->repetitions = static_cast<int>(n);
  }
  if (flags.has("json")) o->json_path = flags.get("json");
  if (flags.has("svg")) o->svg_path = flags.get("svg");

  if (flags.switches.count("suite")) {
    for (const std::string& name : signature) {
      if (flags.has(name)) return usage("--suite takes no --" + name + ": it has its own shapes");
    }
    o->shapes = benchmark_suite();
    return std::nullopt;
  }
  if (!flags.has("shape")) return usage("give a signature (--shape N,H,W,C and the attributes) or --suite");
  if (auto f = require(flags, {"ksizes", "strides", "rates", "padding"})) return f;
  pj_spec spec{};
  if (auto f = parse_shape(flags.get("shape"), spec.input_shape)) return f;
  if (auto f = parse_op_attributes(flags, &spec)) return f;
  spec.dtype = PJ_FLOAT32;
  if (flags.has("dtype")) {
    if (auto f = parse_dtype(flags.get("dtype"), &spec.dtype)) return f;
  }
  Spec s = to_spec(spec);
  o->shapes.push_back({shape_name(s), s, ""});
  return std::nullopt;
}

// The backends this build and CPU run, xbyak once per ISA from the best allowed down to AVX2;
// `skipped` gets a line for each one that cannot run.
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

// "xbyak_avx512", "xbyak_avx512_t2", "xbyak_avx512_tauto" (0 threads: the library chooses).
std::string threaded_name(const std::string& name, int threads) {
  if (threads == 1) return name;
  return name + "_t" + (threads == 0 ? std::string("auto") : std::to_string(threads));
}

// Benchmarks one shape: check every candidate's bytes, then time it.
class ShapeBench {
 public:
  ShapeBench(const Options& o, const SuiteShape& shape, const Geometry& g, const std::vector<BackendVariant>& variants,
             const Progress& progress, size_t index, size_t count)
      : o_(o), shape_(shape), g_(g), variants_(variants), progress_(progress), index_(index), count_(count),
        input_(static_cast<size_t>(g.input_bytes)), output_(static_cast<size_t>(g.output_bytes)),
        expected_(static_cast<size_t>(g.output_bytes)) {
    // Non-zero bytes, so a zero where data belongs shows.
    std::mt19937_64 rng(1);
    for (int64_t i = 0; i < g.input_bytes; ++i) input_.data()[i] = static_cast<uint8_t>(rng() | 1);
    golden_extract(g, input_.data(), expected_.data());
    if (const char* c = std::getenv(kCorruptVariable)) corrupt_ = c;
  }

  std::optional<Failure> run(ShapeResult* result) {
    result->name = shape_.name;
    result->note = shape_.note;
    result->geometry = g_;
    const size_t bytes = static_cast<size_t>(g_.output_bytes);
    uint8_t* out = output_.data();
    const uint8_t* in = input_.data();
    const Geometry& g = g_;
    std::vector<Candidate> candidates = {
        {"floor_memset", RowKind::kFloor, [=] { floor_memset(out, bytes); }},
        {"floor_vector", RowKind::kFloor, [=] { floor_vector_stores(out, bytes); }},
        {"floor_memcpy16k", RowKind::kFloor, [=] { floor_memcpy_hot(out, bytes); }},
        {"naive", RowKind::kPeer, [=, &g] { golden_extract(g, in, out); }},
        {"im2col", RowKind::kPeer, [=, &g] { im2col_rows(g, in, out, 0, g.batch * g.rows.out); }},
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
      progress_.show(index_, count_, shape_.name, c.name);
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
    for (int64_t i = 0; i < g_.output_bytes; ++i) out[i] = static_cast<uint8_t>(~expected[i]);
    c.run();
    if (c.name == corrupt_) out[g_.output_bytes / 2] ^= 0x5A;
    const int64_t elem = g_.elem_size;
    if (auto m = first_mismatch(g_.output_shape, elem, g_.cols.ksize, g_.depth, expected, out)) {
      return Failure{kExitError, shape_.name + ": " + c.name + " differs from the golden loops at " +
                                     describe(*m, elem, expected, out)};
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

    progress_.show(index_, count_, shape_.name, "cold compile " + v.name);
    pj_cache_stats limits;
    pj_cache_get_stats(&limits);
    pj_cache_set_limits(0, 0);
    create_destroy();
    Measurement cold = measure(create_destroy, o_.min_time, o_.repetitions);
    pj_cache_set_limits(limits.max_entries, limits.max_code_bytes);
    if (!error.empty()) return Failure{kExitError, shape_.name + ": backend " + v.name + ": " + error};
    result->rows.push_back({cold_name, RowKind::kCompile, v.name, cold});

    progress_.show(index_, count_, shape_.name, "cache-hit create " + v.name);
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

  const Options& o_;
  const SuiteShape& shape_;
  const Geometry& g_;
  const std::vector<BackendVariant>& variants_;
  const Progress& progress_;
  size_t index_, count_;
  AlignedBuffer input_, output_, expected_;
  std::string corrupt_;
};

// Where an output is written before it is renamed into place.
std::string temporary_path(const std::string& path) { return path + ".tmp" + std::to_string(getpid()); }

// Written to a temporary file and renamed, so a failed run leaves no half file.
std::optional<Failure> write_text_file(const std::string& path, const std::string& text) {
  const std::string temporary = temporary_path(path);
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    if (!out.flush()) {
      std::remove(temporary.c_str());
      return Failure{kExitError, "cannot write " + path + ": " + std::strerror(errno)};
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    return Failure{kExitError, "cannot write " + path + ": " + reason};
  }
  return std::nullopt;
}

// Fails now, not after minutes of measuring, when an output file cannot be written.
std::optional<Failure> check_writable(const std::string& path) {
  if (path.empty()) return std::nullopt;
  const std::string probe = temporary_path(path);
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) return Failure{kExitError, "cannot write " + path + ": " + std::strerror(errno)};
  std::fclose(f);
  std::remove(probe.c_str());
  return std::nullopt;
}

std::optional<Failure> bench(int argc, char** argv) {
  Options o;
  if (auto f = parse_options(argc, argv, &o)) return f;
  for (const std::string& path : {o.json_path, o.svg_path}) {
    if (auto f = check_writable(path)) return f;
  }
  // Every signature is validated before anything runs: TensorFlow's message, exit 1.
  std::vector<Geometry> geometries;
  for (const SuiteShape& shape : o.shapes) {
    Expected<Geometry> g = make_geometry(shape.spec);
    if (!g.ok()) return Failure{kExitError, g.status().message()};
    if (g->empty()) return Failure{kExitError, shape.name + " has an empty output: nothing to measure"};
    geometries.push_back(*g);
  }

  ApiStateGuard api_state;
  // Honour a cap the user set (PATCHJIT_MAX_ISA), so the AVX2 path alone can be measured.
  const pj_isa top = std::min(pj_host_isa(), api_state.initial_isa());
  std::vector<std::string> skipped;
  const std::vector<BackendVariant> variants = backend_variants(top, &skipped);

  BenchResults results;
  results.machine = describe_machine();
  results.machine.host_isa = pj_isa_name(top);
  results.machine.peers = peer_compiler();
  results.min_time = o.min_time;
  results.repetitions = o.repetitions;
  results.threads = o.threads;
  std::fputs(format_header(results).c_str(), stdout);
  for (const std::string& s : skipped) std::printf("not measured: backend %s\n", s.c_str());
  std::fflush(stdout);

  Progress progress;
  for (size_t i = 0; i < o.shapes.size(); ++i) {
    progress.show(i, o.shapes.size(), o.shapes[i].name, "golden loops");
    ShapeResult result;
    std::optional<Failure> f;
    {
      ShapeBench shape_bench(o, o.shapes[i], geometries[i], variants, progress, i, o.shapes.size());
      f = shape_bench.run(&result);
    }
    progress.clear();
    if (f) return f;
    std::fputs(format_shape(result).c_str(), stdout);
    std::fflush(stdout);
    results.shapes.push_back(std::move(result));
  }
  std::fputs(format_summary(results).c_str(), stdout);

  if (!o.json_path.empty()) {
    if (auto f = write_text_file(o.json_path, to_benchmark_json(results, argv[0]))) return f;
  }
  if (!o.svg_path.empty()) {
    if (auto f = write_text_file(o.svg_path, to_svg(results))) return f;
  }
  return std::nullopt;
}

}  // namespace

int run_bench(int argc, char** argv) {
  try {
    if (std::optional<Failure> f = bench(argc, argv)) {
      std::fflush(stdout);
      std::fprintf(stderr, "patchjit bench: %s\n", f->message.c_str());
      return f->exit_code;
    }
    return kExitOk;
  } catch (const std::exception& e) {  // out of memory, mostly
    std::fprintf(stderr, "patchjit bench: %s\n", e.what());
    return kExitError;
  }
}

}  // namespace pj::cli
