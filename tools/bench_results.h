// What one `patchjit bench` run measured, as plain data: the table, the JSON and the SVG are
// all drawn from it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"
#include "tools/bench_timer.h"

namespace pj::cli {

// What a row is: the baselines a backend is judged against, or a backend itself.
enum class RowKind {
  kFloor,    // floor_memset, floor_vector, floor_memcpy16k: merely writing the output
  kPeer,     // naive (the golden loops), im2col, eigen
  kBackend,  // interp, xbyak_avx512, xbyak_avx2, llvm; "_t2" etc. for more threads
  kCompile,  // cold pj_kernel_create of a JIT backend (cache off)
  kCreateHit // pj_kernel_create + destroy of a signature already in the cache
};

struct Row {
  // bench/suite_bench.cc's names, so bench/summarize.py reads either run: "<name>/<shape>".
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

  const Row* find(const std::string& row_name) const;
  // The fastest of the floors measured in this run; null when none was.
  const Row* floor() const;
};

struct Machine {
  std::string cpu_model;  // /proc/cpuinfo "model name"
  std::string host_name;
  int num_cpus = 0;
  double mhz = 0;         // /proc/cpuinfo "cpu MHz", 0 when unknown
  std::string date;       // ISO 8601 with the UTC offset, as Google Benchmark writes it
  std::string host_isa;   // pj_isa_name(pj_host_isa())
  std::string peers;      // peer_compiler(): how the peers were built
};

struct BenchResults {
  Machine machine;
  double min_time = 0;
  int repetitions = 0;
  std::vector<int> threads;
  std::vector<ShapeResult> shapes;
};

// The peers every backend is compared with, as rows are named.
inline constexpr const char* kPeerNames[] = {"naive", "im2col", "eigen"};

// "1,2"; 0 (the library chooses) is "auto".
std::string thread_list(const std::vector<int>& threads);

// Output bytes per second of a row, from its median time.
double bytes_per_second(const ShapeResult& shape, const Row& row);

}  // namespace pj::cli
