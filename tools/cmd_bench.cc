// patchjit bench: every backend against the peers and the store floor, for one signature or the
// suite, with every output checked against the golden loops; a table, and optionally Google
// Benchmark JSON and an SVG chart.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "patchjit/patchjit.h"
#include "bench/peers/peers.h"
#include "bench/peers/suite.h"
#include "runtime/c_spec.h"
#include "tools/bench_json.h"
#include "tools/bench_machine.h"
#include "tools/bench_results.h"
#include "tools/bench_shape.h"
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
  ShapeBenchOptions measure;  // --threads, --min-time, --repetitions
  std::string json_path, svg_path;
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
    if (auto f = parse_thread_list(flags.get("threads"), &o->measure.threads)) return f;
  }
  if (flags.has("min-time")) {
    const std::string& text = flags.get("min-time");
    char* end = nullptr;
    errno = 0;
    const double seconds = std::strtod(text.c_str(), &end);
    if (text.empty() || errno || end != text.c_str() + text.size() || !(seconds > 0) || seconds > 3600) {
      return usage("--min-time must be a number of seconds above 0 and at most 3600, got '" + text + "'");
    }
    o->measure.min_time = seconds;
  }
  if (flags.has("repetitions")) {
    const std::string& text = flags.get("repetitions");
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || errno || end != text.c_str() + text.size() || n < 1 || n > 1000) {
      return usage("--repetitions must be an integer from 1 to 1000, got '" + text + "'");
    }
    o->measure.repetitions = static_cast<int>(n);
  }
  if (const char* corrupt = std::getenv(kCorruptVariable)) o->measure.corrupt = corrupt;
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
  Spec s = from_c(spec);
  o->shapes.push_back({shape_name(s), s, ""});
  return std::nullopt;
}

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
  results.min_time = o.measure.min_time;
  results.repetitions = o.measure.repetitions;
  results.threads = o.measure.threads;
  std::fputs(format_header(results).c_str(), stdout);
  for (const std::string& s : skipped) std::printf("not measured: backend %s\n", s.c_str());
  std::fflush(stdout);

  Progress progress;
  for (size_t i = 0; i < o.shapes.size(); ++i) {
    ShapeResult result;
    const auto show = [&](const std::string& what) { progress.show(i, o.shapes.size(), o.shapes[i].name, what); };
    std::optional<Failure> f = bench_shape(o.shapes[i], geometries[i], variants, o.measure, show, &result);
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
