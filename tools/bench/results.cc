#include "tools/bench/results.h"

namespace pj::cli {

const Row* ShapeResult::find(const std::string& row_name) const {
  for (const Row& row : rows) {
    if (row.name == row_name) return &row;
  }
  return nullptr;
}

const Row* ShapeResult::floor() const {
  // The store floors (writing the output) are alternatives: the fastest counts. Reading the
  // input (floor_read) must happen too: the floor is the slower of the two.
  const Row* store = nullptr;
  const Row* read = nullptr;
  for (const Row& row : rows) {
    if (row.kind != RowKind::kFloor) continue;
    const Row*& best = row.name == "floor_read" ? read : store;
    if (!best || row.measurement.median().real < best->measurement.median().real) best = &row;
  }
  if (!store || !read) return store ? store : read;
  return read->measurement.median().real > store->measurement.median().real ? read : store;
}

std::string thread_list(const std::vector<int>& threads) {
  std::string text;
  for (int t : threads) {
    if (!text.empty()) text += ',';
    text += t == 0 ? std::string("auto") : std::to_string(t);
  }
  return text;
}

const Row* one_thread_row(const ShapeResult& shape, const Row& row) {
  if (row.kind != RowKind::kBackend) return nullptr;
  const size_t t = row.name.rfind("_t");
  if (t == std::string::npos) return nullptr;
  const Row* one = shape.find(row.name.substr(0, t));
  return one != &row ? one : nullptr;
}

double bytes_per_second(const ShapeResult& shape, const Row& row) {
  const double seconds = row.measurement.median().real;
  return seconds > 0 ? static_cast<double>(shape.geometry.output_bytes()) / seconds : 0;
}

}  // namespace pj::cli
