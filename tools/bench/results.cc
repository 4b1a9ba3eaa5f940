#include "tools/bench/results.h"

namespace pj::cli {

const Row* ShapeResult::find(const std::string& row_name) const {
  for (const Row& row : rows) {
    if (row.name == row_name) return &row;
  }
  return nullptr;
}

const Row* ShapeResult::floor() const {
  // The store floors (writing the output) are alternatives: the fastest counts. The input floors
  // (floor_copy, floor_read) must happen too: the floor is the slowest of those and that.
  const Row* store = nullptr;
  for (const Row& row : rows) {
    if (row.kind != RowKind::kFloor || bench::is_input_floor(row.name)) continue;
    if (!store || row.measurement.median().real < store->measurement.median().real) store = &row;
  }
  const Row* slowest = store;
  for (const Row& row : rows) {
    if (row.kind != RowKind::kFloor || !bench::is_input_floor(row.name)) continue;
    if (!slowest || row.measurement.median().real > slowest->measurement.median().real) slowest = &row;
  }
  return slowest;
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
