#include "codegen/plan/cost_model.h"

#include "codegen/plan/plan.h"

namespace pj {
namespace {

std::string mebibytes(int64_t bytes) {
  if (bytes % (int64_t{1} << 20) == 0) return cat(bytes >> 20, " MiB");
  return cat(bytes >> 10, " KiB");
}

}  // namespace

int64_t streaming_threshold(const MachineModel& m) {
  if (m.l2_bytes <= 0) return int64_t{64} << 20;
  if (m.l3_faster_than_memory && m.l3_bytes > m.l2_bytes) return 2 * m.l3_bytes;
  return m.l2_bytes;
}

bool streaming_pays(const Geometry& g, const MachineModel& m) {
  return streamable(g) && g.output_bytes() >= streaming_threshold(m);
}

int64_t fold_prefetch_bytes(const Geometry& g, const MachineModel& m) {
  const int64_t run = g.depth * g.elem_size;
  if (m.l3_bytes <= 0 || g.patches_bytes <= m.l3_bytes || run < 64 || run > 1024) return 0;
  return 4096;
}

bool fold_lanes_pay(int64_t pixel_uops, int64_t lane_uops) { return lane_uops * 5 < pixel_uops * 4; }

bool fold_row_passes_pay(const Geometry& g, const MachineModel& m) {
  if (m.l2_bytes <= 0 || g.batch <= 0 || g.rows.ksize < 2) return false;
  // One kernel row of a patch, in 128 bits: beside patches with no rows it may pass int64
  // (2^23 kernel columns of 2^36 complex128 channels).
  const __int128 run = __int128{g.cols.ksize} * g.depth * g.elem_size;
  return run <= 64 && g.patches_bytes / g.batch > m.l2_bytes;
}

std::string describe(const MachineModel& m) {
  std::string caches = m.l2_bytes > 0 ? cat("L2 ", mebibytes(m.l2_bytes)) : std::string("caches unknown");
  if (m.l2_bytes > 0 && m.l3_bytes > 0) {
    caches += cat("; L3 ", mebibytes(m.l3_bytes), m.l3_faster_than_memory ? ", faster" : ", no faster", " than memory");
  }
  return cat(caches, "; non-temporal from outputs of ", mebibytes(streaming_threshold(m)));
}

}  // namespace pj
