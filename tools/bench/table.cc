#include "tools/bench/table.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "patchjit/patchjit.h"
#include "tools/bench/printf_string.h"

namespace pj::cli {
namespace {

const int kNameWidth = 18;

// "150x", "16.7x", "2.17x": a ratio with three significant digits.
std::string format_ratio(double r) {
  if (!(r > 0) || !std::isfinite(r)) return "-";
  if (r >= 100) return printf_string("%.0fx", r);
  if (r >= 10) return printf_string("%.1fx", r);
  return printf_string("%.2fx", r);
}

std::string format_bytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) return printf_string("%.2f GB", b / 1e9);
  if (b >= 1e6) return printf_string("%.2f MB", b / 1e6);
  if (b >= 1e3) return printf_string("%.2f kB", b / 1e3);
  return printf_string("%lld B", static_cast<long long>(bytes));
}

std::string attribute(const Axis& rows, const Axis& cols, int64_t Axis::*field) {
  return printf_string("[1,%lld,%lld,1]", static_cast<long long>(rows.*field), static_cast<long long>(cols.*field));
}

// "float32 [1,56,56,64] ksizes [1,3,3,1] strides [1,1,1,1] rates [1,1,1,1] SAME"
std::string describe_signature(const Geometry& g) {
  return std::string(dtype_name(g.dtype)) + " " + to_string(g.input_shape()) + " ksizes " +
         attribute(g.rows, g.cols, &Axis::ksize) + " strides " + attribute(g.rows, g.cols, &Axis::stride) + " rates " +
         attribute(g.rows, g.cols, &Axis::rate) + " " + std::string(padding_name(g.padding));
}

double seconds(const Row& row) { return row.measurement.median().real; }

// "  3%", with a "!" past kWideSpread; "-" for a single repetition.
std::string format_spread(const Measurement& m) {
  if (m.repetitions.size() < 2) return printf_string("%7s", "-");
  const double spread = m.spread();
  return printf_string("%6.0f%%%s", spread * 100, spread > kWideSpread ? "!" : "");
}

double geomean(const std::vector<double>& values) {
  if (values.empty()) return NAN;
  double log_sum = 0;
  for (double v : values) log_sum += std::log(v);
  return std::exp(log_sum / static_cast<double>(values.size()));
}

}  // namespace

std::string format_seconds(double s) {
  struct Unit {
    double scale;
    const char* name;
  };
  for (Unit u : {Unit{1, "s"}, Unit{1e-3, "ms"}, Unit{1e-6, "us"}}) {
    if (s >= u.scale) {
      const double v = s / u.scale;
      return printf_string(v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, u.name);
    }
  }
  const double ns = s * 1e9;
  return printf_string(ns >= 100 ? "%.0f ns" : ns >= 10 ? "%.1f ns" : "%.2f ns", ns);
}

std::string format_header(const BenchResults& r) {
  const Machine& m = r.machine;
  const std::string threads = thread_list(r.threads);
  std::string text = printf_string("patchjit bench (patchjit %d.%d.%d), %s\n", PJ_VERSION_MAJOR, PJ_VERSION_MINOR,
                                   PJ_VERSION_PATCH, m.date.c_str());
  text += printf_string("machine: %s, %d cpus, %.0f MHz, host %s; JIT ISA %s\n", m.cpu_model.c_str(), m.num_cpus, m.mhz,
                        m.host_name.c_str(), m.host_isa.c_str());
  text += "peers, built with " + m.peers +
          ":\n"
          "  naive = the golden loops (TensorFlow's rule, element by element), im2col = careful\n"
          "  memcpy/memset im2col (for the torch format: NCHW, one memcpy per channel, tap and output row),\n"
          "  eigen = Eigen's extract_image_patches as TensorFlow's CPU kernel calls it; for fold:\n"
          "  tf_gradient = TensorFlow's gradient algorithm (index image through Eigen, ordered segment sum),\n"
          "  scatter = a careful scatter col2im (Caffe's and PyTorch's CPU loops)\n";
  text +=
      "floor_*: merely writing the output (memset of a non-zero byte, vector stores, memcpy from a hot\n"
      "  16 KiB buffer, non-temporal vector stores); floor_copy: memcpy of min(input, output) bytes of the input "
      "(extract); floor_read:\n"
      "  merely reading the patches (fold); x floor = time / the fastest store floor, or floor_copy or\n"
      "  floor_read when slower; over P = P's time / this time\n";
  text += printf_string(
      "timing: median of %d repetitions, %.3g s per implementation and shape; threads %s;\n"
      "  every output checked byte for byte against the golden loops; spread = (slowest -\n"
      "  fastest) / median of the repetitions, '!' over %.0f%%; load average %.2f on %d cpus\n",
      r.repetitions, r.min_time, threads.c_str(), kWideSpread * 100, r.load_average, m.num_cpus);
  return text;
}

// The peers' row names in the order the rows show them, over every shape given.
std::vector<std::string> peer_names(const std::vector<ShapeResult>& shapes) {
  std::vector<std::string> names;
  for (const ShapeResult& shape : shapes) {
    for (const Row& row : shape.rows) {
      if (row.kind == RowKind::kPeer && std::find(names.begin(), names.end(), row.name) == names.end()) {
        names.push_back(row.name);
      }
    }
  }
  return names;
}

std::string format_shape(const ShapeResult& shape) {
  const std::vector<std::string> peers = peer_names({shape});
  const Geometry& g = shape.geometry;
  std::string text = "\n" + shape.name + ": " + describe_signature(g) + " -> " + to_string(g.output_shape()) + ", " +
                     format_bytes(g.output_bytes()) + (shape.note.empty() ? "" : " (" + shape.note + ")") + "\n";
  const Row* floor = shape.floor();
  text += printf_string("  %-*s %10s %9s %9s", kNameWidth, "implementation", "time", "GB/s", "x floor");
  for (const std::string& peer : peers) text += printf_string(" %12s", ("over " + peer).c_str());
  text += printf_string(" %7s\n", "spread");
  for (const Row& row : shape.rows) {
    if (row.kind != RowKind::kFloor && row.kind != RowKind::kPeer && row.kind != RowKind::kBackend) continue;
    text += printf_string("  %-*s %10s %9.2f %9s", kNameWidth, row.name.c_str(), format_seconds(seconds(row)).c_str(),
                          bytes_per_second(shape, row) / 1e9,
                          floor ? format_ratio(seconds(row) / seconds(*floor)).c_str() : "-");
    for (const std::string& peer : peers) {
      const Row* p = row.kind == RowKind::kBackend ? shape.find(peer) : nullptr;
      text += printf_string(" %12s", p ? format_ratio(seconds(*p) / seconds(row)).c_str() : "");
    }
    text += ' ';
    text += format_spread(row.measurement);
    // More threads are no gain here: small outputs pay for waking the second core.
    if (const Row* one = one_thread_row(shape, row); one && seconds(row) > seconds(*one)) {
      text += printf_string("  slower than 1 thread (%s)", format_ratio(seconds(row) / seconds(*one)).c_str());
    }
    text += "\n";
  }
  if (!shape.unavailable.empty()) text += "  not measured: peer " + shape.unavailable + "\n";
  for (const std::string& s : shape.skipped) text += "  not measured: backend " + s + "\n";
  // Creation: one line per JIT backend row, cold compile beside cache hit.
  bool any = false;
  for (const Row& row : shape.rows) {
    if (row.kind != RowKind::kCompile) continue;
    if (!any) text += printf_string("  %-*s %13s %12s\n", kNameWidth, "kernel creation", "cold compile", "cache hit");
    any = true;
    const Row* hit = nullptr;
    for (const Row& h : shape.rows) {
      if (h.kind == RowKind::kCreateHit && h.backend == row.backend) hit = &h;
    }
    text += printf_string("  %-*s %13s %12s\n", kNameWidth, row.backend.c_str(), format_seconds(seconds(row)).c_str(),
                          hit ? format_seconds(seconds(*hit)).c_str() : "-");
  }
  return text;
}

std::string format_summary(const BenchResults& r) {
  if (r.shapes.size() < 2) return "";
  const std::vector<std::string> peers = peer_names(r.shapes);
  // Per row name, in first-seen order: x floor, then the speed-up over each peer.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::vector<double>>> ratios;
  for (const ShapeResult& shape : r.shapes) {
    const Row* floor = shape.floor();
    for (const Row& row : shape.rows) {
      if (row.kind != RowKind::kPeer && row.kind != RowKind::kBackend) continue;
      auto [it, added] = ratios.try_emplace(row.name, peers.size() + 1);
      if (added) order.push_back(row.name);
      if (floor) it->second[0].push_back(seconds(row) / seconds(*floor));
      if (row.kind != RowKind::kBackend) continue;
      for (size_t p = 0; p < peers.size(); ++p) {
        if (const Row* peer = shape.find(peers[p])) it->second[p + 1].push_back(seconds(*peer) / seconds(row));
      }
    }
  }
  std::string text = printf_string("\nover %zu shapes: geometric mean (worst)\n", r.shapes.size());
  text += printf_string("  %-*s %16s", kNameWidth, "implementation", "x floor");
  for (const std::string& peer : peers) text += printf_string(" %16s", ("over " + peer).c_str());
  text += "\n";
  for (const std::string& name : order) {
    const std::vector<std::vector<double>>& v = ratios[name];
    auto cell = [](const std::vector<double>& xs, bool higher_is_worse) {
      if (xs.empty()) return std::string("-");
      const double worst =
          higher_is_worse ? *std::max_element(xs.begin(), xs.end()) : *std::min_element(xs.begin(), xs.end());
      return format_ratio(geomean(xs)) + " (" + format_ratio(worst) + ")";
    };
    text += printf_string("  %-*s %16s", kNameWidth, name.c_str(), cell(v[0], true).c_str());
    for (size_t p = 0; p < peers.size(); ++p) text += printf_string(" %16s", cell(v[p + 1], false).c_str());
    text += "\n";
  }
  return text;
}

std::string format_worst(const BenchResults& r, size_t count) {
  const std::vector<std::string> peers = peer_names(r.shapes);
  std::vector<std::string> backends;
  for (const ShapeResult& shape : r.shapes) {
    for (const Row& row : shape.rows) {
      if (row.kind == RowKind::kBackend && std::find(backends.begin(), backends.end(), row.name) == backends.end()) {
        backends.push_back(row.name);
      }
    }
  }
  std::string text = printf_string(
      "\nworst shapes: the %zu highest x floor and lowest speed-ups over each peer, per backend\n", count);
  for (const std::string& backend : backends) {
    text += "  " + backend + "\n";
    // metric 0 is x floor, metric p + 1 the speed-up over peers[p].
    for (size_t metric = 0; metric <= peers.size(); ++metric) {
      std::vector<std::pair<double, const ShapeResult*>> worst;
      for (const ShapeResult& shape : r.shapes) {
        const Row* row = shape.find(backend);
        const Row* base = metric == 0 ? shape.floor() : shape.find(peers[metric - 1]);
        if (!row || !base) continue;
        worst.emplace_back(metric == 0 ? seconds(*row) / seconds(*base) : seconds(*base) / seconds(*row), &shape);
      }
      if (worst.empty()) continue;
      // Highest x floor first; lowest speed-up first.
      std::sort(worst.begin(), worst.end(),
                [metric](const auto& a, const auto& b) { return metric == 0 ? a.first > b.first : a.first < b.first; });
      worst.resize(std::min(worst.size(), count));
      text += printf_string("    %-14s", metric == 0 ? "x floor" : ("over " + peers[metric - 1]).c_str());
      for (size_t i = 0; i < worst.size(); ++i) {
        text += printf_string("%s%7s %s\n", i ? "                  " : "", format_ratio(worst[i].first).c_str(),
                              worst[i].second->name.c_str());
      }
    }
  }
  return text;
}

}  // namespace pj::cli
