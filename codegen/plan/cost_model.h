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

// "L2 2 MiB; L3 260 MiB, no faster than memory; non-temporal from outputs of 2 MiB": the inputs
// and the threshold, for pj_kernel_describe and `patchjit info`.
std::string describe(const MachineModel& m);

}  // namespace pj
