#include "tools/bench/svg.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "tools/bench/printf_string.h"
#include "tools/bench/table.h"

namespace pj::cli {
namespace {

// Layout, in SVG user units (pixels).
const double kWidth = 1000, kLeft = 250, kRight = 64;
const double kBarHeight = 9, kBarGap = 2, kGroupGap = 22;  // room for the floor's marks

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool is_bar(const Row& row) { return row.kind == RowKind::kPeer || row.kind == RowKind::kBackend; }

// A steady colour per implementation: the usual ones named, a variant with more threads
// ("xbyak_avx512_t2") a lighter shade of its backend's, the rest from a spare palette.
class Palette {
 public:
  const std::string& colour(const std::string& name) {
    auto it = colours_.find(name);
    if (it != colours_.end()) return it->second;
    const size_t t = name.rfind("_t");
    if (t != std::string::npos && colours_.count(name.substr(0, t))) {
      return colours_[name] = lighter(colours_[name.substr(0, t)]);
    }
    static const char* const kSpare[] = {"#edc948", "#ff9da7", "#9c755f", "#17becf", "#bcbd22", "#8c564b", "#1f77b4"};
    return colours_[name] = kSpare[spare_++ % std::size(kSpare)];
  }

 private:
  // Halfway to white: "#4e79a7" -> "#a7bcd3".
  static std::string lighter(const std::string& hex) {
    std::string out = "#";
    for (int i = 0; i < 3; ++i) {
      const int c = std::stoi(hex.substr(1 + 2 * i, 2), nullptr, 16);
      out += printf_string("%02x", (c + 255) / 2);
    }
    return out;
  }

  std::map<std::string, std::string> colours_ = {
      {"naive", "#a0a0a0"},        {"im2col", "#f28e2b"},     {"eigen", "#e15759"},
      {"halide", "#edc948"},       {"unfold", "#ff9da7"},     {"interp", "#76b7b2"},
      {"xbyak_avx512", "#4e79a7"}, {"xbyak_avx2", "#59a14f"}, {"llvm", "#b07aa1"}};
  size_t spare_ = 0;
};

// Maps GB/s to x on a log scale spanning whole decades.
struct LogAxis {
  double lo_exp = 0, hi_exp = 1;
  double x(double gbps) const {
    const double t = (std::log10(std::max(gbps, std::pow(10.0, lo_exp))) - lo_exp) / (hi_exp - lo_exp);
    return kLeft + t * (kWidth - kLeft - kRight);
  }
};

LogAxis axis_for(const BenchResults& r) {
  double lo = INFINITY, hi = 0;
  for (const ShapeResult& shape : r.shapes) {
    for (const Row& row : shape.rows) {
      if (!is_bar(row) && row.kind != RowKind::kFloor) continue;
      const double gbps = bytes_per_second(shape, row) / 1e9;
      if (gbps <= 0) continue;
      lo = std::min(lo, gbps);
      hi = std::max(hi, gbps);
    }
  }
  if (!(hi > 0)) return {};
  // Whole decades below, a little room above the longest bar for its label.
  LogAxis a{std::floor(std::log10(lo)), std::log10(hi * 1.6)};
  if (a.hi_exp <= a.lo_exp + 1) a.hi_exp = a.lo_exp + 1;
  return a;
}

std::string tick_label(double v) { return v >= 1 ? printf_string("%.0f", v) : printf_string("%g", v); }

}  // namespace

std::string to_svg(const BenchResults& r) {
  Palette palette;
  // Bar names in first-seen order, patchjit's backends apart from the peers they are judged by.
  std::vector<std::string> backends, peers;
  for (const ShapeResult& shape : r.shapes) {
    for (const Row& row : shape.rows) {
      if (!is_bar(row)) continue;
      std::vector<std::string>& list = row.kind == RowKind::kBackend ? backends : peers;
      if (std::find(list.begin(), list.end(), row.name) == list.end()) {
        list.push_back(row.name);
        palette.colour(row.name);
      }
    }
  }
  const LogAxis axis = axis_for(r);
  const Machine& m = r.machine;
  const std::string threads = thread_list(r.threads);

  std::string body;
  // Title and subtitle.
  body +=
      "<text x=\"16\" y=\"26\" font-size=\"17\" font-weight=\"bold\">patchjit bench: output GB/s per shape "
      "(log scale, higher is better)</text>\n";
  body += printf_string("<text x=\"16\" y=\"46\" font-size=\"12\">%s, %d cpus, %.0f MHz, JIT ISA %s; %s</text>\n",
                        escaped(m.cpu_model).c_str(), m.num_cpus, m.mhz, escaped(m.host_isa).c_str(),
                        escaped(m.date.substr(0, 10)).c_str());
  body += printf_string(
      "<text x=\"16\" y=\"63\" font-size=\"11\" fill=\"#555\">peers built with %s; median of %d repetitions; "
      "threads %s; every output verified identical to the golden loops</text>\n",
      escaped(m.peers).c_str(), r.repetitions, threads.c_str());

  // Legend: a line for patchjit's backends, one for the peers and the floor, wrapping across the width.
  double lx = 16, ly = 84;
  auto legend_item = [&](const std::string& swatch, const std::string& label, const char* group) {
    const double w = 24 + 6.6 * static_cast<double>(label.size()) + 14;
    if (lx + w > kWidth - 16) lx = 100, ly += 18;
    body += printf_string(
        "<g class=\"legend-item\" data-group=\"%s\" transform=\"translate(%.1f,%.1f)\">%s<text x=\"20\" y=\"9\" "
        "font-size=\"11\">%s</text></g>\n",
        group, lx, ly, swatch.c_str(), escaped(label).c_str());
    lx += w;
  };
  auto legend_line = [&](const char* title, const char* group, const std::vector<std::string>& names) {
    body += printf_string(
        "<text class=\"legend-title\" x=\"16\" y=\"%.1f\" font-size=\"11\" font-weight=\"bold\">%s</text>\n", ly + 9,
        title);
    lx = 100;
    for (const std::string& name : names) {
      legend_item(printf_string("<rect class=\"legend\" width=\"14\" height=\"10\" fill=\"%s\"/>",
                                palette.colour(name).c_str()),
                  name, group);
    }
  };
  legend_line("patchjit", "backend", backends);
  ly += 18;
  legend_line("peers", "peer", peers);
  legend_item("<path d=\"M3,-1 L11,-1 L7,5 Z\" fill=\"#000\"/><path d=\"M3,11 L11,11 L7,5 Z\" fill=\"#000\"/>",
              "floor (fastest store floor, or the input copy or read when slower)", "floor");

  // Groups.
  const double top = ly + 40;
  double y = top;
  // Drawn in this order: bars, then the floor lines, then the labels, so no line hides a value.
  std::string bar_marks, floor_marks, labels;
  for (const ShapeResult& shape : r.shapes) {
    std::vector<const Row*> bars;
    for (const Row& row : shape.rows) {
      if (is_bar(row)) bars.push_back(&row);
    }
    const double height = static_cast<double>(bars.size()) * (kBarHeight + kBarGap) - kBarGap;
    const std::string detail = shape.note.empty() ? to_string(shape.geometry.output_shape()) + " out" : shape.note;
    labels += printf_string("<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%s</text>\n", kLeft - 8,
                            y + height / 2 - 1, escaped(shape.name).c_str());
    labels +=
        printf_string("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">%s</text>\n",
                      kLeft - 8, y + height / 2 + 11, escaped(detail).c_str());
    double by = y;
    for (const Row* row : bars) {
      const double gbps = bytes_per_second(shape, *row) / 1e9;
      const double x1 = axis.x(gbps);
      bar_marks += printf_string(
          "<rect class=\"bar\" data-impl=\"%s\" data-shape=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
          "fill=\"%s\"><title>%s on %s: %.3g GB/s, %s</title></rect>\n",
          escaped(row->name).c_str(), escaped(shape.name).c_str(), kLeft, by, std::max(x1 - kLeft, 0.5), kBarHeight,
          palette.colour(row->name).c_str(), escaped(row->name).c_str(), escaped(shape.name).c_str(), gbps,
          format_seconds(row->measurement.median().real).c_str());
      labels += printf_string(
          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8.5\" fill=\"#333\" stroke=\"#fff\" "
          "stroke-width=\"2.5\" paint-order=\"stroke\">%.3g</text>\n",
          x1 + 3, by + kBarHeight - 1.5, gbps);
      by += kBarHeight + kBarGap;
    }
    if (const Row* floor = shape.floor()) {
      // Marked above and below the group, never across it: no bar or value label is covered.
      const double gbps = bytes_per_second(shape, *floor) / 1e9;
      const double fx = axis.x(gbps), top_y = y - 1, bottom_y = y + height + 1;
      floor_marks += printf_string(
          "<g class=\"floor\" data-shape=\"%s\" data-x=\"%.1f\"><title>floor (%s) on %s: %.3g GB/s</title>"
          "<path d=\"M%.1f,%.1f L%.1f,%.1f L%.1f,%.1f Z\" fill=\"#000\"/><path d=\"M%.1f,%.1f L%.1f,%.1f L%.1f,%.1f "
          "Z\" fill=\"#000\"/></g>\n",
          escaped(shape.name).c_str(), fx, escaped(floor->name).c_str(), escaped(shape.name).c_str(), gbps, fx - 4,
          top_y - 6, fx + 4, top_y - 6, fx, top_y, fx - 4, bottom_y + 6, fx + 4, bottom_y + 6, fx, bottom_y);
    }
    y += height + kGroupGap;
  }
  const double bottom = y - kGroupGap + 8;

  // Grid under the bars: decades, and 2 and 5 times each, labelled above and below; faint lines
  // at the other multiples.
  std::string grid;
  for (double e = axis.lo_exp; e < axis.hi_exp; e += 1) {
    for (int k = 1; k <= 9; ++k) {
      const double v = k * std::pow(10.0, e);
      if (std::log10(v) > axis.hi_exp) break;
      const double x = axis.x(v);
      const bool labelled = k == 1 || k == 2 || k == 5;
      grid += printf_string("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x, top - 8, x,
                            bottom,
                            k == 1     ? "#bbb"
                            : labelled ? "#ddd"
                                       : "#f0f0f0");
      if (!labelled) continue;
      for (double yl : {top - 12, bottom + 14}) {
        grid += printf_string("<text x=\"%.1f\" y=\"%.1f\" font-size=\"%s\" text-anchor=\"middle\"%s>%s</text>\n", x,
                              yl, k == 1 ? "11" : "9.5", k == 1 ? "" : " fill=\"#777\"", tick_label(v).c_str());
      }
    }
  }
  grid += printf_string("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">output GB/s</text>\n",
                        (kLeft + kWidth - kRight) / 2, bottom + 30);

  const double height = bottom + 44;
  return printf_string(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
             "font-family=\"DejaVu Sans, Verdana, sans-serif\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
             kWidth, height, kWidth, height) +
         body + grid + bar_marks + floor_marks + labels + "</svg>\n";
}

}  // namespace pj::cli
