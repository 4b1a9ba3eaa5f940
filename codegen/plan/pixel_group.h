// Pixels shorter than a vector, written several at a time. A depth-1 pixel (f32, 3x3 taps: 36
// bytes, three 12-byte rows, their elements 4 or, dilated, 8 bytes apart) costs a load and a
// store or two per kernel row when written alone; 16 such pixels fill nine whole 64-byte
// vectors, and the bytes each vector needs from one kernel row lie in one window of at most 127
// input bytes (the row's taps for those pixels). So each vector is assembled from a few
// windows, loaded once per group, by one byte permute each (one or two sources). AVX2 has no
// byte permute across a vector: there each 32-byte half is the OR of 16-byte input blocks,
// each loaded into both 128-bit lanes and put in place by an in-lane shuffle (LaneBlock).
//
// Grouping is the planner's choice (PlanOptions::group_pixels) and an emitter's way of writing
// G consecutive pixels of a region: the steps stay the plan, and the interpreter runs them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace pj {

struct PixelProgram;

// Input bytes [src, src + bytes) relative to the group's first anchor, 1 to 127 of them: loaded
// once per group into one register (up to 63 bytes) or two. A window ends at a byte the steps
// read and starts at one, so it lies inside the input; what is loaded past its end is zeros.
struct GroupWindow {
  int64_t src = 0;
  int64_t bytes = 0;
};

// Lanes of a chunk filled from one window by a byte permute: `index` gives each lane its byte
// in the window, and every other lane a byte past the window's end (so a zero).
struct GroupPart {
  int32_t window = 0;
  std::array<uint8_t, 64> index{};
};

// AVX2's way to the same lanes (no byte permute across a vector there): 16 input bytes at `src`
// (relative to the group's first anchor), loaded into both 128-bit lanes of a ymm register and
// put in place by an in-lane byte shuffle (vpshufb): `index` gives each of the chunk's lanes
// [32 * half, 32 * half + 32) its byte of the 16, or 0x80 (a zero). Or, where every output
// dword is four input bytes in a row (PixelGroup::by_dwords: elements of 4 bytes or more),
// 32 input bytes permuted by whole dwords across the vector (vpermd): `dwords` has a bit for
// each of the half's eight dwords the block fills, `index[d]` its dword of the 32 bytes. A
// block may reach past the window it serves, but never past the bytes the group reads: it lies
// between two of them, so inside the input.
struct LaneBlock {
  int64_t src = 0;
  int half = 0;
  std::array<uint8_t, 32> index{};
  uint8_t dwords = 0;
};

// The input byte a lane block puts into lane `lane` (0-63) of its chunk, or -1 (none).
inline int64_t block_source(const LaneBlock& b, bool by_dwords, int lane) {
  const int k = lane % 32;
  if (b.half != lane / 32) return -1;
  if (by_dwords) return (b.dwords >> (k / 4)) & 1 ? b.src + 4 * b.index[static_cast<size_t>(k / 4)] + k % 4 : -1;
  return b.index[static_cast<size_t>(k)] == 0x80 ? -1 : b.src + b.index[static_cast<size_t>(k)];
}

// Output bytes [dst, dst + bytes) from the group's first pixel, 64 but in the last chunk of a
// partial group: the OR of its parts (none: zeros), and the pad value in `fill_lanes` (the
// parts leave them zero; with a zero pad value there is nothing to add). By lanes (AVX2): the
// OR of each half's blocks instead, then the pad value.
struct GroupChunk {
  int64_t dst = 0;
  int64_t bytes = 64;
  std::vector<GroupPart> parts;
  uint64_t fill_lanes = 0;
  std::vector<LaneBlock> blocks;  // by lanes only, half 0's first
};

struct PixelGroup {
  int64_t pixels = 0;  // G, the fewest pixels that fill whole 64-byte chunks, or fewer (a tail)
  std::vector<GroupWindow> windows;
  std::vector<GroupChunk> chunks;
  bool by_lanes = false;   // its chunks have blocks (PlanOptions::groups_by_lanes)
  bool by_dwords = false;  // and they are 32-byte dword permutes (LaneBlock)
};

// Windows per group: up to kPairWindows of up to 127 bytes, each kept in two vector registers
// while the group is written; a group of more (a kernel of many rows, say 5x1, reads as many
// windows for every pixel) has windows of at most 63 bytes, the first kSingleWindows kept in
// one register each and the others loaded by each part that uses them.
inline constexpr int kPairWindows = 3;
inline constexpr int kSingleWindows = 6;
inline constexpr int kMaxGroupWindows = 12;

// The group of a program whose pixels are `in_pixel_step` apart in the input, if it has one:
// a pixel shorter than 64 bytes, no run-time loops, the input bytes of G pixels within
// kMaxGroupWindows windows, and, with more than kPairWindows, fewer instructions than the
// G pixels' moves (each window loaded where used costs a load per part). With `pixels` (1 to
// G-1): the partial group that writes the last pixels of a region, if they fit the windows too.
// `by_lanes`: with each chunk's lane blocks too (AVX2), only where that takes fewer
// instructions than the pixels' moves.
std::optional<PixelGroup> group_pixels(const PixelProgram& program, int64_t in_pixel_step, int64_t pixels = 0,
                                       bool by_lanes = false);

// A gather of `count` elements of `bytes` bytes (1, 2, 4 or 8), `src_stride` apart in the
// input and back to back in the output (a strided output row of patches as columns), as chunks
// by lanes (AVX2), relative to the gather's first element: if its reads span 16 bytes and that
// takes fewer instructions than a load and a store per element. No windows.
std::optional<PixelGroup> gather_by_lanes(int64_t count, int64_t bytes, int64_t src_stride);

// Whether window w of `group` is kept in registers (else loaded where a part uses it).
inline bool window_in_registers(const PixelGroup& group, int w) {
  return group.windows.size() <= kPairWindows || w < kSingleWindows;
}

// Whether writing `group` takes fewer instructions than writing its pixels one at a time.
bool group_pays(const PixelGroup& group, const PixelProgram& program);

}  // namespace pj
