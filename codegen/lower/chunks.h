// How a fully unrolled pixel program is written 64 bytes at a time on AVX-512: each chunk of
// the pixel's output is assembled in a register from masked loads (a masked load touches only
// its enabled lanes, so it may start before a run) and, for gathers of small elements, byte
// permutes of one masked load of their span; then the chunk is stored once.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "codegen/plan/plan.h"

namespace pj {

// Lanes [first, first + count) of a 64-lane byte mask.
uint64_t lane_mask(int64_t first, int64_t count);

struct ChunkLoad {
  int64_t src = 0;          // anchor-relative address of lane 0 (plain) or of the span (gather)
  uint64_t lanes = 0;       // lanes of the chunk it fills
  int32_t permute = -1;     // gather: its byte permute in the kernel's table; -1: plain load
  uint64_t span_lanes = 0;  // gather: lanes of the span load
};

struct Chunk {
  int64_t dst = 0;               // offset in the pixel's output
  int64_t bytes = 0;             // 64, or fewer at the end of a pixel
  std::vector<ChunkLoad> loads;  // none: the chunk is all pad value
  bool filled = false;           // some lane holds the pad value (no load fills it)
};

// The byte permutes of a kernel (vpermb indexes), shared by all its programs.
class PermuteTable {
 public:
  int32_t add(const std::array<uint8_t, 64>& index);
  const std::vector<std::array<uint8_t, 64>>& entries() const { return entries_; }

 private:
  std::vector<std::array<uint8_t, 64>> entries_;
  std::map<std::array<uint8_t, 64>, int32_t> index_of_;
};

// Whether chunks serve this program: its output bytes back to back, no run-time loops, and every
// copy piece either 32 bytes or more, or part of a gather whose span fits a vector (pieces of
// any length, permuted into place: int8 depth 7 at rate 2, 6.2x -> 3.6x the floor on the AMD
// EPYC VM). Shorter plain pieces chain several masked loads per chunk, which (measured) loses
// to one move per piece.
bool chunkable(const PixelProgram& program, const PlanOptions& options);

std::vector<Chunk> chunks_of(const PixelProgram& program, PermuteTable* permutes);

// Whether a gather step (strided elements of 1, 2, 4 or 8 bytes written back to back, as the
// columns of a strided output row) can be written by chunks: at least four elements per 64-byte
// span load, and no run-time loop over its pieces.
bool chunkable_gather(const Step& step);

// The chunks of such a step, relative to its dst and src: each 64 bytes of its output from
// masked span loads put in place by byte permutes (the last chunk masked to the step's end).
std::vector<Chunk> gather_chunks(const Step& step, PermuteTable* permutes);

}  // namespace pj
