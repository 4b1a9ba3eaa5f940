// The cost model's rules on the machines they were measured on, and on one it knows nothing of.
#include "codegen/plan/cost_model.h"

#include <gtest/gtest.h>

namespace pj {
namespace {

constexpr int64_t MiB = int64_t{1} << 20;

const MachineModel kIntelMesh{2 * MiB, 260 * MiB, false};  // the Intel Xeon VM
const MachineModel kAmdCcx{1 * MiB, 32 * MiB, true};       // the AMD EPYC VM

Geometry conv(int64_t n, int64_t hw, int64_t c, DType dtype = DType::kFloat32) {
  Expected<Geometry> g = make_geometry(square_spec(dtype, {n, hw, hw, c}, 3, 1, 1, Padding::kSame));
  EXPECT_TRUE(g.ok());
  return *g;
}

TEST(CostModel, StreamingStartsPastTheCachesThatWriteBackFasterThanMemory) {
  EXPECT_EQ(streaming_threshold(kIntelMesh), 2 * MiB);
  EXPECT_EQ(streaming_threshold(kAmdCcx), 64 * MiB);
  EXPECT_EQ(streaming_threshold(MachineModel{}), 64 * MiB);  // unknown caches: as before the model
  // An AMD L3 no larger than its L2 (misreported) falls back to the L2.
  EXPECT_EQ(streaming_threshold(MachineModel{1 * MiB, 0, true}), 1 * MiB);
}

TEST(CostModel, MeasuredShapesGetTheStoresThatWonOnTheirMachine) {
  // Intel: 1x24x24x64 (1.3 MB) lost 1.7x streaming; 1x40x40x64 (3.7 MB) and 8x28x28x128
  // (29 MB) won by 1.2x.
  EXPECT_FALSE(streaming_pays(conv(1, 24, 64), kIntelMesh));
  EXPECT_TRUE(streaming_pays(conv(1, 40, 64), kIntelMesh));
  EXPECT_TRUE(streaming_pays(conv(8, 28, 128), kIntelMesh));
  // AMD: cached stores won at 29 MB, streaming at 116 MB (4x112x112x64).
  EXPECT_FALSE(streaming_pays(conv(8, 28, 128), kAmdCcx));
  EXPECT_TRUE(streaming_pays(conv(4, 112, 64), kAmdCcx));
}

TEST(CostModel, OnlyStreamableGeometriesStream) {
  // Taps of 12 bytes are not whole cache lines: never, however large.
  EXPECT_FALSE(streaming_pays(conv(8, 224, 3), kIntelMesh));
}

Geometry fold_of(int64_t n, int64_t hw, int64_t c, DType dtype = DType::kFloat32) {
  Spec s = square_spec(dtype, {n, hw, hw, c}, 3, 1, 1, Padding::kSame);
  s.op = Op::kFold;
  Expected<Geometry> g = make_geometry(s);
  EXPECT_TRUE(g.ok());
  return *g;
}

TEST(CostModel, FoldPrefetchesLineRunsOfPatchesFromMemory) {
  // AMD: 4x112x112x64 (256-byte runs, 116 MB of patches) gained 1.4x from 4 KiB ahead.
  EXPECT_EQ(fold_prefetch_bytes(fold_of(4, 112, 64), kAmdCcx), 4096);
  EXPECT_EQ(fold_prefetch_bytes(fold_of(2, 256, 32), kAmdCcx), 4096);  // 128 bytes: at least no loss
  // Patches the L3 holds (8x28x28x128: 29 MB), runs under a line (12 bytes) or past 1 KiB (the
  // hardware follows them), unknown caches: none.
  EXPECT_EQ(fold_prefetch_bytes(fold_of(8, 28, 128), kAmdCcx), 0);
  EXPECT_EQ(fold_prefetch_bytes(fold_of(4, 1024, 3), kAmdCcx), 0);
  EXPECT_EQ(fold_prefetch_bytes(fold_of(1, 64, 1024), kAmdCcx), 0);
  EXPECT_EQ(fold_prefetch_bytes(fold_of(4, 112, 64), MachineModel{}), 0);
  // The Intel VM's L3 (260 MiB) holds them (prefetching was not measured there).
  EXPECT_EQ(fold_prefetch_bytes(fold_of(4, 112, 64), kIntelMesh), 0);
}

// A fold of a square kernel k, stride `stride`.
Geometry fold_with(int64_t hw, int64_t c, int64_t k, int64_t stride, DType dtype) {
  Spec s = square_spec(dtype, {1, hw, hw, c}, k, stride, 1, Padding::kSame);
  s.op = Op::kFold;
  return *make_geometry(s);
}

TEST(CostModel, FoldWalksOutputRowsWhereShortRunsOfPatchesLeaveL2) {
  // AMD: kernel rows of at most a line over patches past the L2 (1.8 MB, 4 MB, 6.5 MB).
  EXPECT_TRUE(fold_row_passes_pay(fold_with(224, 3, 7, 2, DType::kUInt8), kAmdCcx));
  EXPECT_TRUE(fold_row_passes_pay(fold_with(400, 1, 5, 2, DType::kFloat32), kAmdCcx));
  EXPECT_TRUE(fold_row_passes_pay(fold_with(300, 2, 3, 1, DType::kFloat32), kAmdCcx));
  // Patches in L2 (180 kB), runs of more than a line (84 and 768 bytes), one kernel row,
  // unknown caches: image rows.
  EXPECT_FALSE(fold_row_passes_pay(fold_with(200, 2, 3, 2, DType::kUInt8), kAmdCcx));
  EXPECT_FALSE(fold_row_passes_pay(fold_with(224, 3, 7, 2, DType::kFloat32), kAmdCcx));
  EXPECT_FALSE(fold_row_passes_pay(fold_with(112, 64, 3, 1, DType::kFloat32), kAmdCcx));
  EXPECT_FALSE(fold_row_passes_pay(fold_with(400, 1, 1, 1, DType::kFloat32), kAmdCcx));
  EXPECT_FALSE(fold_row_passes_pay(fold_with(224, 3, 7, 2, DType::kUInt8), MachineModel{}));
  // The Intel VM's 2 MiB L2 holds the uint8 stem's 1.8 MB.
  EXPECT_FALSE(fold_row_passes_pay(fold_with(224, 3, 7, 2, DType::kUInt8), kIntelMesh));
}

TEST(CostModel, DescribesItsInputsAndTheThreshold) {
  EXPECT_EQ(describe(kIntelMesh), "L2 2 MiB; L3 260 MiB, no faster than memory; non-temporal from outputs of 2 MiB");
  EXPECT_EQ(describe(kAmdCcx), "L2 1 MiB; L3 32 MiB, faster than memory; non-temporal from outputs of 64 MiB");
  EXPECT_EQ(describe(MachineModel{}), "caches unknown; non-temporal from outputs of 64 MiB");
}

}  // namespace
}  // namespace pj
