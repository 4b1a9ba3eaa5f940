// patchjit bench: every backend against the peers and the floor, for one signature, the suite or
// a random sweep, with every output checked against the golden loops; a table, and optionally
// Google Benchmark JSON and an SVG chart. What runs is bench/harness (as for bench/suite_bench.cc).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "bench/peers/peers.h"
#include "bench/peers/random_shapes.h"
#include "bench/peers/suite.h"
#include "patchjit/patchjit.h"
#include "tools/bench/flags.h"
#include "tools/bench/json.h"
#include "tools/bench/machine.h"
#include "tools/bench/results.h"
#include "tools/bench/shape.h"
#include "tools/bench/svg.h"
#include "tools/bench/table.h"
#include "tools/cli/command.h"
#include "tools/cli/format_flags.h"
#include "tools/cli/internal.h"
#include "tools/cli/progress_line.h"
#include "tools/files/atomic_file.h"

namespace pj::cli {
namespace {

const char kUsage[] =
    "patchjit bench (--shape N,H,W,C [--dtype NAME] --ksizes 1,R,C,1 [--strides 1,R,C,1]\n"
    "                [--rates 1,R,C,1] (--padding SAME|VALID | --pads T,B,L,R) [--pad-value V]\n"
    "                [--format tf|torch] [--layout nhwc|nchw] [--patch-order hwc|chw]\n"
    "                [--patches rows|columns] | (--suite | --random N [--seed S]) [--format tf|torch])\n"
    "               [--op extract|fold [--mode sum|mean]]\n"
    "               [--threads 1,2] [--min-time SECONDS] [--repetitions N] [--json FILE] [--svg FILE]\n"
    "  Times every backend against the peers (the golden loops, a careful im2col, Eigen as\n"
    "  TensorFlow calls it) and the floor (the fastest store floor, or the copy of min(input, output)\n"
    "  bytes when slower), every output checked identical, as a table.\n"
    "  Format flags as for info (docs/SEMANTICS.md §6-§8). Eigen computes TensorFlow's op only; for\n"
    "  the torch format im2col is a careful NCHW im2col (one memcpy per channel, tap and output\n"
    "  row); other formats have the golden loops as their only peer. --suite --format torch runs\n"
    "  the suite's shapes in the torch format.\n"
    "  --random N [--seed S]: a sweep of N unseen shapes drawn from seed S (1): every element size,\n"
    "  depth 1-1024, kernels 1-7, strides 1-3, rates 1-3, SAME and VALID, outputs 0.05-16 MB; the\n"
    "  same seed draws the same shapes anywhere. After the table, the worst shapes of each backend\n"
    "  by time over the floor and by speed-up over each peer.\n"
    "  --op fold times fold (patches -> image, the gradient) of the shapes instead: its\n"
    "  peers are the golden loops, TensorFlow's gradient algorithm (index image through Eigen,\n"
    "  ordered segment sum) and a careful scatter col2im; its floor is the slower of writing the\n"
    "  image and reading the patches (floor_read). xbyak and llvm fold the tf format and torch's\n"
    "  at column stride 1 (others: the interpreter, and their rows say why they were not measured).\n"
    "  --json: Google Benchmark's format (its compare.py compares two runs); --svg: a bar chart.\n"
    "  --min-time: seconds per implementation and shape (0.2); --repetitions: median of N (5);\n"
    "  --threads: the thread counts to run the backends with (1). Warns when the machine is busy\n"
    "  (load average above the CPU count) or repetitions spread over 10%; marks rows with more\n"
    "  threads that are slower than one.\n"
    "  exit status: 0 ok, 1 an error of the signature or a wrong output, 2 a usage error\n";

// Test hook: PATCHJIT_TEST_CORRUPT=<row name> flips one output byte of that implementation
// after it runs, to prove that the check catches a wrong result.
const char kCorruptVariable[] = "PATCHJIT_TEST_CORRUPT";

// The random sweep lists this many worst shapes per backend and ratio.
const size_t kWorstShown = 5;

struct Options {
  std::vector<SuiteShape> shapes;
  ShapeBenchOptions measure;  // --threads, --min-time, --repetitions
  std::string json_path, svg_path;
  std::string sweep;  // the random sweep's line of the header, if one runs
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

std::optional<Failure> parse_thread_list(const std::string& text, std::vector<int>* out) {
  out->clear();
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    int t = 0;
    if (auto f = parse_threads(item, &t)) return f;
    if (std::find(out->begin(), out->end(), t) != out->end()) return usage_error("--threads lists " + item + " twice");
    out->push_back(t);
  }
  if (out->empty() || text.back() == ',')
    return usage_error("--threads must be a comma-separated list, got '" + text + "'");
  return std::nullopt;
}

// --op fold [--mode sum|mean]: each shape's fold instead of its extract.
std::optional<Failure> fold_shapes(const Flags& flags, Options* o) {
  std::optional<pj_fold_mode> fold;
  if (auto f = parse_op(flags, &fold)) return f;
  if (!fold) return std::nullopt;
  std::vector<SuiteShape> folds;
  for (SuiteShape shape : o->shapes) {
    if (shape.spec.dtype == DType::kBool) continue;  // no sum: the suite has none, a --shape is refused below
    shape.spec.op = Op::kFold;
    shape.spec.mode = *fold == PJ_FOLD_MEAN ? FoldMode::kMean : FoldMode::kSum;
    shape.name = "fold_" + shape.name + (*fold == PJ_FOLD_MEAN ? "_mean" : "");
    folds.push_back(shape);
  }
  if (folds.empty() && !o->shapes.empty()) return data_error("fold: bool has no sum (use a numeric dtype)");
  o->shapes = std::move(folds);
  return std::nullopt;
}

std::optional<Failure> parse_options(const Flags& flags, Options* o) {
  if (flags.has("threads")) {
    if (auto f = parse_thread_list(flags.get("threads"), &o->measure.threads)) return f;
  }
  if (flags.has("min-time")) {
    if (auto f = parse_seconds("min-time", flags.get("min-time"), 3600, &o->measure.min_time)) return f;
  }
  if (flags.has("repetitions")) {
    int64_t n = 0;
    if (auto f = parse_positive_count("repetitions", flags.get("repetitions"), 1000, &n)) return f;
    o->measure.repetitions = static_cast<int>(n);
  }
  if (const char* corrupt = std::getenv(kCorruptVariable)) o->measure.corrupt = corrupt;
  if (flags.has("json")) o->json_path = flags.get("json");
  if (flags.has("svg")) o->svg_path = flags.get("svg");

  if (flags.has("seed") && !flags.has("random"))
    return usage_error("--seed is the random sweep's: give --random N too");
  if (flags.on("suite") && flags.has("random")) return usage_error("give --suite or --random, not both");
  if (flags.on("suite") || flags.has("random")) {
    const std::string which = flags.on("suite") ? "--suite" : "--random";
    FlagSet signature = signature_flags(true);
    signature += format_flags(false);
    for (const std::string& name : signature.values) {
      if (flags.has(name) && name != "format")
        return usage_error(which + " takes no --" + name + ": it has its own shapes");
    }
    std::vector<SuiteShape> shapes = benchmark_suite();
    if (flags.has("random")) {
      int64_t count = 0, seed = 1;
      if (auto f = parse_positive_count("random", flags.get("random"), 100000, &count)) return f;
      if (flags.has("seed")) {
        if (auto f = parse_positive_count("seed", flags.get("seed"), std::numeric_limits<int64_t>::max(), &seed))
          return f;
      }
      shapes = random_shapes(static_cast<int>(count), static_cast<uint64_t>(seed));
      o->sweep = "random sweep: " + std::to_string(count) + (count == 1 ? " shape" : " shapes") + " from seed " +
                 std::to_string(seed) + " (patchjit bench --random " + std::to_string(count) + " --seed " +
                 std::to_string(seed) + " draws them again)\n";
    }
    // --format torch: the shapes in the torch format (NCHW in, columns out).
    pj_spec_ex format;
    pj_spec_ex_init(&format, nullptr);
    if (auto f = parse_format(flags, &format)) return f;
    const Spec as = from_c(format);
    for (const SuiteShape& shape : shapes)
      o->shapes.push_back(as.format == kTfFormat ? shape : in_format(shape, as.format));
    return fold_shapes(flags, o);
  }
  if (!flags.has("shape"))
    return usage_error("give a signature (--shape N,H,W,C and the attributes), --suite or --random N");
  pj_spec_ex spec;
  if (auto f = parse_signature_ex(flags, &spec)) return f;
  Spec s = from_c(spec);
  o->shapes.push_back({shape_name(s), s, ""});
  return fold_shapes(flags, o);
}

// Fails now, not after minutes of measuring, when an output file cannot be written.
std::optional<Failure> check_writable(const std::string& path) {
  if (path.empty()) return std::nullopt;
  const std::string directory = files::directory_of(path);
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    return data_error("cannot write " + path + ": " + directory + ": " + std::strerror(errno));
  }
  return std::nullopt;
}

double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : 0;
}

// A warning when the machine was busy or the repetitions spread widely: the numbers are then
// less than they could be.
std::string warnings(const BenchResults& r) {
  std::string text;
  const double load = std::max(r.load_average, load_average());
  if (load > r.machine.num_cpus) {
    text += "warning: load average " + std::to_string(load).substr(0, 4) + " above the " +
            std::to_string(r.machine.num_cpus) + " cpus: other work shared the machine; times are likely slow\n";
  }
  size_t wide = 0;
  const Row* worst = nullptr;
  const ShapeResult* worst_shape = nullptr;
  for (const ShapeResult& shape : r.shapes) {
    for (const Row& row : shape.rows) {
      // The rows the table shows a spread for (creation times are noisy by nature).
      if (row.kind == RowKind::kCompile || row.kind == RowKind::kCreateHit || row.measurement.spread() <= kWideSpread)
        continue;
      ++wide;
      if (!worst || row.measurement.spread() > worst->measurement.spread()) worst = &row, worst_shape = &shape;
    }
  }
  if (worst) {
    text += "warning: " + std::to_string(wide) + " row" + (wide == 1 ? "" : "s") + " spread over " +
            std::to_string(static_cast<int>(kWideSpread * 100)) + "% between repetitions (widest: " + worst->name +
            " on " + worst_shape->name + ", " +
            std::to_string(static_cast<int>(worst->measurement.spread() * 100 + 0.5)) +
            "%); rerun on a quiet machine or with more --min-time\n";
  }
  return text;
}

std::optional<Failure> bench(const Flags& flags) {
  Options o;
  if (auto f = parse_options(flags, &o)) return f;
  for (const std::string& path : {o.json_path, o.svg_path}) {
    if (auto f = check_writable(path)) return f;
  }
  // Every signature is validated before anything runs: TensorFlow's message, exit 1.
  std::vector<Geometry> geometries;
  for (const SuiteShape& shape : o.shapes) {
    Expected<Geometry> g = make_geometry(shape.spec);
    if (!g.ok()) return data_error(g.status().message());
    if (g->empty()) return data_error(shape.name + " has an empty output: nothing to measure");
    geometries.push_back(*g);
  }

  ApiStateGuard api_state;
  // Honour a cap the user set (PATCHJIT_MAX_ISA), so the AVX2 path alone can be measured.
  const pj_isa top = std::min(pj_host_isa(), api_state.initial_isa());
  std::vector<std::string> skipped;
  std::vector<bench::BackendVariant> variants = bench::backend_variants(top, &skipped);

  BenchResults results;
  results.machine = describe_machine();
  results.machine.host_isa = pj_isa_name(top);
  results.machine.peers = peer_compiler();
  results.load_average = load_average();
  results.min_time = o.measure.min_time;
  results.repetitions = o.measure.repetitions;
  results.threads = o.measure.threads;
  std::fputs(format_header(results).c_str(), stdout);
  std::fputs(o.sweep.c_str(), stdout);
  for (const std::string& s : skipped) std::printf("not measured: backend %s\n", s.c_str());
  std::fflush(stdout);

  const ProgressLine progress;
  for (size_t i = 0; i < o.shapes.size(); ++i) {
    ShapeResult result;
    const auto show = [&](const std::string& what) {
      progress.show(i, o.shapes.size(), o.shapes[i].name + ": " + what + "...");
    };
    std::optional<Failure> f = bench_shape(o.shapes[i], geometries[i], variants, o.measure, show, &result);
    progress.clear();
    if (f) return f;
    std::fputs(format_shape(result).c_str(), stdout);
    std::fflush(stdout);
    results.shapes.push_back(std::move(result));
  }
  std::fputs(format_summary(results).c_str(), stdout);
  if (!o.sweep.empty()) std::fputs(format_worst(results, kWorstShown).c_str(), stdout);
  std::fputs(warnings(results).c_str(), stdout);

  if (!o.json_path.empty()) {
    if (std::string e = files::write_atomically(o.json_path, {to_benchmark_json(results, "patchjit bench")});
        !e.empty()) {
      return data_error(e);
    }
  }
  if (!o.svg_path.empty()) {
    if (std::string e = files::write_atomically(o.svg_path, {to_svg(results)}); !e.empty()) return data_error(e);
  }
  return std::nullopt;
}

}  // namespace

Command bench_command() { return {"bench", kUsage, bench_flags(), bench}; }

}  // namespace pj::cli
