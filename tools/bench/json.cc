#include "tools/bench/json.h"

#include <cmath>
#include <cstdlib>

#include "patchjit/patchjit.h"
#include "tools/bench/printf_string.h"

namespace pj::cli {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += printf_string("\\u%04x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// JSON has no NaN or infinity; no measured time is either, but stay valid regardless.
std::string number(double v) { return std::isfinite(v) ? printf_string("%.9g", v) : "0"; }

// The fields one entry of the "benchmarks" array shares with Google Benchmark's.
struct Entry {
  std::string name, run_name, run_type, aggregate_name;
  int family_index = 0, repetitions = 1, repetition_index = -1;
  int64_t iterations = 0;
  Timing timing;            // seconds per call
  double output_bytes = 0;  // per call; 0 for rows that write no output
};

std::string format_entry(const Entry& e) {
  std::string text = "    {\n";
  auto field = [&text](const char* key, const std::string& value, bool last = false) {
    text += std::string("      \"") + key + "\": " + value + (last ? "\n" : ",\n");
  };
  field("name", quoted(e.name));
  field("family_index", std::to_string(e.family_index));
  field("per_family_instance_index", "0");
  field("run_name", quoted(e.run_name));
  field("run_type", quoted(e.run_type));
  field("repetitions", std::to_string(e.repetitions));
  if (e.run_type == "iteration") field("repetition_index", std::to_string(e.repetition_index));
  field("threads", "1");
  if (e.run_type == "aggregate") {
    field("aggregate_name", quoted(e.aggregate_name));
    field("aggregate_unit", quoted("time"));
  }
  field("iterations", std::to_string(e.iterations));
  field("real_time", number(e.timing.real * 1e6));
  field("cpu_time", number(e.timing.cpu * 1e6));
  const bool bytes = e.output_bytes > 0 && e.timing.real > 0 && e.aggregate_name != "stddev";
  field("time_unit", quoted("us"), !bytes);
  if (bytes) field("bytes_per_second", number(e.output_bytes / e.timing.real), true);
  return text + "    }";
}

std::string format_context(const BenchResults& r, const std::string& executable) {
  const Machine& m = r.machine;
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) load[0] = load[1] = load[2] = 0;
  const std::string threads = thread_list(r.threads);
  std::string text = "  \"context\": {\n";
  text += "    \"date\": " + quoted(m.date) + ",\n";
  text += "    \"host_name\": " + quoted(m.host_name) + ",\n";
  text += "    \"executable\": " + quoted(executable) + ",\n";
  text += "    \"num_cpus\": " + std::to_string(m.num_cpus) + ",\n";
  text += "    \"mhz_per_cpu\": " + std::to_string(static_cast<int>(m.mhz + 0.5)) + ",\n";
  text += "    \"cpu_scaling_enabled\": false,\n";
  text += "    \"load_avg\": [" + number(load[0]) + "," + number(load[1]) + "," + number(load[2]) + "],\n";
#ifdef NDEBUG
  text += "    \"library_build_type\": \"release\",\n";
#else
  text += "    \"library_build_type\": \"debug\",\n";
#endif
  text += "    \"cpu_model\": " + quoted(m.cpu_model) + ",\n";
  text += "    \"host_isa\": " + quoted(m.host_isa) + ",\n";
  text += "    \"peers\": " + quoted(m.peers) + ",\n";
  text += "    \"patchjit_version\": " +
          quoted(printf_string("%d.%d.%d", PJ_VERSION_MAJOR, PJ_VERSION_MINOR, PJ_VERSION_PATCH)) + ",\n";
  text += "    \"min_time\": " + number(r.min_time) + ",\n";
  text += "    \"kernel_threads\": " + quoted(threads) + "\n";
  return text + "  }";
}

}  // namespace

std::string to_benchmark_json(const BenchResults& r, const std::string& executable) {
  std::vector<std::string> entries;
  int family = 0;
  for (const ShapeResult& shape : r.shapes) {
    for (const Row& row : shape.rows) {
      Entry e;
      e.run_name = e.name = row.name + "/" + shape.name;
      e.family_index = family++;
      e.repetitions = static_cast<int>(row.measurement.repetitions.size());
      e.iterations = row.measurement.iterations;
      const bool writes = row.kind == RowKind::kFloor || row.kind == RowKind::kPeer || row.kind == RowKind::kBackend;
      e.output_bytes = writes ? static_cast<double>(shape.geometry.output_bytes()) : 0;
      e.run_type = "iteration";
      for (int i = 0; i < e.repetitions; ++i) {
        e.repetition_index = i;
        e.timing = row.measurement.repetitions[i];
        entries.push_back(format_entry(e));
      }
      if (e.repetitions < 2) continue;
      e.run_type = "aggregate";
      e.iterations = e.repetitions;  // as Google Benchmark counts aggregates
      for (const char* aggregate : {"mean", "median", "stddev"}) {
        e.aggregate_name = aggregate;
        e.name = e.run_name + "_" + aggregate;
        e.timing = e.aggregate_name == "mean"     ? row.measurement.mean()
                   : e.aggregate_name == "median" ? row.measurement.median()
                                                  : row.measurement.stddev();
        entries.push_back(format_entry(e));
      }
    }
  }
  std::string text = "{\n" + format_context(r, executable) + ",\n  \"benchmarks\": [\n";
  for (size_t i = 0; i < entries.size(); ++i) text += entries[i] + (i + 1 < entries.size() ? ",\n" : "\n");
  return text + "  ]\n}\n";
}

}  // namespace pj::cli
