// The planner's choices that depend on the machine, not only on the shape: what it knows of
// the machine (MachineModel, read from the host by jit/cpu.h), and the rules that turn a shape
// and a machine into a choice. Pure functions, tested on both kinds of machine measured.
#pragma once

#include <cstdint>
#include <string>

#include "codegen/plan/geometry.h"

namespace pj {

struct MachineModel {
  int64_t l2_bytes = 0;  // the L2 of one core; 0 when unknown
  int64_t l3_bytes = 0;  // the L3 one core sees (its complex's share on AMD); 0 when unknown
  // Whether cached stores that miss L2 write back to the L3 faster than non-temporal stores
  // reach memory: AMD's L3 (per core complex), not the L3 of Intel's server mesh, which a
  // core fills at about the speed of memory.
  bool l3_faster_than_memory = false;
};

// Outputs of at least this many bytes are written with non-temporal stores (where the plan can
// stream: streamable()). Cached stores win while the output stays in the caches that write
// back faster than memory: measured with `patchjit bench`, one thread, on an Intel Xeon VM
// (2 MiB L2, mesh L3) streaming wins from 2.4 MB on and loses at 1.3 MB by 1.7x; on an AMD EPYC
// VM (1 MiB L2, 32 MiB L3 per complex) cached stores win at 29 MB and streaming at 116 MB.
// So: past L2 where the L3 is no faster than memory, past twice the L3 where it is; 64 MiB
// when the caches are unknown.
int64_t streaming_threshold(const MachineModel& m);

// Whether a kernel of `g` gets a non-temporal variant on machine `m` (the runtime runs it on
// 64-byte aligned outputs).
bool streaming_pays(const Geometry& g, const MachineModel& m);

// How far ahead (bytes of each tap's run) fold reads its patches with software prefetches; 0:
// none. Where a pixel's runs are whole cache lines (64 bytes to 1 KiB: longer ones the hardware
// follows) and the patches come from memory (more than the L3; unknown caches: never), each
// image row reads three or more patch rows a third at a time, runs the hardware prefetchers
// lose between gaps. Measured on the AMD EPYC VM (1 MiB L2, 32 MiB L3), one thread, float32
// 3x3 SAME: 4x112x112x64 (256-byte runs, 116 MB of patches) 14-19 -> 10.4-10.9 ms with 4 KiB
// ahead, 2 KiB no gain; 2x256x256x32 (128 bytes) 20.5-26 -> 20.3-20.5; 1 and 4 KiB runs
// (2x128x128x256, 1x64x64x1024) and patches in the L3 (16x28x28x128 at 58 MB, 8x28x28x128)
// unchanged within the noise, and pixels under a line (12 bytes) up to 1.8x slower.
int64_t fold_prefetch_bytes(const Geometry& g, const MachineModel& m);

// Whether fold sums an image row of short pixels in vectors of lanes (fold_plan.h's LaneRow)
// rather than pixel by pixel, from the micro-ops each costs (FoldPlan::lane_uops, pixel_uops):
// lanes where they cost less than 0.8 of pixels (a permute's index load is an L1 hit, but its
// permute is a shuffle-port micro-op the pixel adds do not need).
bool fold_lanes_pay(int64_t pixel_uops, int64_t lane_uops);

// Whether fold walks output rows (FoldPlan::row_passes) rather than image rows: where kernel
// rows' runs are at most a cache line (several kernel rows share each line of a patch, which
// walking image rows reads once per kernel row) and an image's patches do not fit in L2 (so
// those reads come from the L3). Measured on the AMD EPYC VM (1 MiB L2), one thread, image
// rows -> row passes: uint8 1x224x224x3 7x7/2 113 -> 98 us, 1x448x448x3 474 -> 410 us,
// 1x300x300x4 5x5/2 136 -> 123 us; float32 1x400x400x1 5x5/2 293 -> 219 us, 1x300x300x2 3x3
// 216 -> 183 us; but patches in L2 lose (uint8 1x200x200x2 3x3/2 17.2 -> 22.2 us, 1x40x40x5
// 6x6/2 rate 2 2.7 -> 5.1 us: the partial sums' loads and stores) and long runs gain nothing
// (float32 4x112x112x64 3x3, 768-byte runs: 11.1 -> 11.2 ms; 1x56x56x64 88 -> 100 us).
bool fold_row_passes_pay(const Geometry& g, const MachineModel& m);

// "L2 2 MiB; L3 260 MiB, no faster than memory; non-temporal from outputs of 2 MiB": the inputs
// and the threshold, for pj_kernel_describe and `patchjit info`.
std::string describe(const MachineModel& m);

}  // namespace pj
