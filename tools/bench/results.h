// What one `patchjit bench` run measured, as plain data: the table, the JSON and the SVG are
// all drawn from it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/harness/candidates.h"
#include "codegen/plan/geometry.h"
#include "tools/bench/timer.h"

namespace pj::cli {

// What a row is (the harness's kinds): floor, peer, backend, cold compile, cache-hit create.
using bench::RowKind;

struct Row {
  // The harness's names (bench/harness/candidates.h), the same as bench/suite_bench.cc's, so
  // bench/summarize.py reads either run: "<name>/<shape>".
  std::string name;
  RowKind kind;
  std::string backend;  // for kCompile and kCreateHit: the backend row they time
  Measurement measurement;
};

struct ShapeResult {
  std::string name;  // shape_name(spec): "f32_1x56x56x64_k3s1_same"
  std::string note;  // the suite's note, if any
  Geometry geometry;
  std::vector<Row> rows;
  std::string unavailable;  // a peer that applies but could not be made: "halide: why"
  std::vector<std::string> skipped;  // a backend that does not serve this shape: "xbyak_avx2: why"

  const Row* find(const std::string& row_name) const;
  // The floor measured in this run: the fastest store floor, or an input floor (floor_copy,
  // floor_read) when that is slower; null when none was.
  const Row* floor() const;
};

struct Machine {
  std::string cpu_model;  // /proc/cpuinfo "model name"
  std::string host_name;
  int num_cpus = 0;
  double mhz = 0;        // /proc/cpuinfo "cpu MHz", 0 when unknown
  std::string date;      // ISO 8601 with the UTC offset, as Google Benchmark writes it
  std::string host_isa;  // pj_isa_name(pj_host_isa())
  std::string peers;     // peer_compiler(): how the peers were built
};

struct BenchResults {
  Machine machine;
  double load_average = 0;  // of the last minute, when the run started
  double min_time = 0;
  int repetitions = 0;
  std::vector<int> threads;
  std::vector<ShapeResult> shapes;
};

// "1,2"; 0 (the library chooses) is "auto".
std::string thread_list(const std::vector<int>& threads);

// Rows whose repetitions spread more than this ((slowest - fastest) / median) are warned about.
inline constexpr double kWideSpread = 0.10;

// The 1-thread row of a row with more threads ("xbyak_avx2" for "xbyak_avx2_t2"), if measured.
const Row* one_thread_row(const ShapeResult& shape, const Row& row);

// Output bytes per second of a row, from its median time.
double bytes_per_second(const ShapeResult& shape, const Row& row);

}  // namespace pj::cli
