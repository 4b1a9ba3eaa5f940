#include "codegen/plan/pixel_group.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "codegen/plan/plan.h"

namespace pj {
namespace {

// A window of up to 63 bytes is one register (its byte 63 is a zero); up to 127, two (byte 127).
constexpr int64_t kChunk = 64, kSingle = 64, kWindow = 127;

// Instructions to write one pixel alone: a load and a store per piece it copies, a store per fill.
int64_t pixel_instructions(const PixelProgram& p) {
  int64_t n = 0;
  for (const Block& b : p.blocks) {
    for (const Step& s : b.steps) n += b.rows * s.count * (s.kind == Step::Kind::kFill ? 1 : 2);
  }
  return n;
}

// Instructions to write a group: its register windows' loads; per part a permute, its index
// (when not kept in a register), an OR, and the load of a window not kept; per chunk a store
// and the pad pattern's lanes.
// By lanes (AVX2): per block a load, a shuffle and an OR (by dwords: the index's load, a permute
// of the block and a blend); per half a store and the pad pattern's blend (by bytes, its mask
// loaded).
int64_t group_instructions(const PixelGroup& g) {
  if (g.by_lanes) {
    int64_t n = 0;
    for (const GroupChunk& c : g.chunks) {
      n += 3 * static_cast<int64_t>(c.blocks.size()) + 2 + (c.fill_lanes ? (g.by_dwords ? 2 : 4) : 0);
    }
    return n;
  }
  const auto windows = static_cast<int64_t>(g.windows.size());
  int64_t n = windows <= kPairWindows ? 2 * windows : std::min<int64_t>(kSingleWindows, windows);
  for (const GroupChunk& c : g.chunks) {
    n += 2;
    for (const GroupPart& part : c.parts) n += 3 + (window_in_registers(g, part.window) ? 0 : 1);
  }
  return n;
}

// For each output byte of one pixel, the input byte it copies (anchor-relative), or -1 (a fill).
std::vector<int64_t> sources_of(const PixelProgram& p) {
  std::vector<int64_t> source(static_cast<size_t>(p.dst_bytes), -1);
  for (const Block& b : p.blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      for (const Step& s : b.steps) {
        if (s.kind == Step::Kind::kFill) continue;
        for (int64_t j = 0; j < s.count; ++j) {
          for (int64_t k = 0; k < s.bytes; ++k) {
            source[static_cast<size_t>(row * b.dst_row_stride + s.dst + j * s.dst_stride + k)] =
                row * b.src_row_stride + s.src + j * s.src_stride + k;
          }
        }
      }
    }
  }
  return source;
}

// The lane blocks of `chunk` (LaneBlock): for each half, its lanes' input bytes in ascending
// order, each block the 16 bytes (by dwords: 32) from the lowest byte not yet served, moved back
// where it would pass `end` (the bytes the group reads end there, and start at `begin`).
void add_lane_blocks(GroupChunk* chunk, const std::vector<int64_t>& lane_source, int64_t begin, int64_t end,
                     bool by_dwords) {
  if (by_dwords) {
    for (int half = 0; half < 2; ++half) {
      std::vector<std::pair<int64_t, int>> wanted;  // (input byte of the dword, output dword)
      for (int d = 0; d < 8 && 32 * half + 4 * d < chunk->bytes; ++d) {
        const int64_t s = lane_source[static_cast<size_t>(32 * half + 4 * d)];
        if (s >= 0) wanted.emplace_back(s, d);
      }
      std::sort(wanted.begin(), wanted.end());
      for (size_t i = 0; i < wanted.size();) {
        LaneBlock block{std::max(begin, std::min(wanted[i].first, end - 32)), half, {}, 0};
        for (; i < wanted.size() && wanted[i].first < block.src + 32; ++i) {
          block.index[static_cast<size_t>(wanted[i].second)] = static_cast<uint8_t>((wanted[i].first - block.src) / 4);
          block.dwords = static_cast<uint8_t>(block.dwords | 1 << wanted[i].second);
        }
        chunk->blocks.push_back(block);
      }
    }
    return;
  }
  for (int half = 0; half < 2; ++half) {
    std::vector<std::pair<int64_t, int>> wanted;  // (input byte, lane)
    for (int lane = 32 * half; lane < 32 * half + 32 && lane < chunk->bytes; ++lane) {
      if (lane_source[static_cast<size_t>(lane)] >= 0) wanted.emplace_back(lane_source[static_cast<size_t>(lane)], lane);
    }
    std::sort(wanted.begin(), wanted.end());
    for (size_t i = 0; i < wanted.size();) {
      LaneBlock block{std::max(begin, std::min(wanted[i].first, end - 16)), half, {}, 0};
      block.index.fill(0x80);
      for (; i < wanted.size() && wanted[i].first < block.src + 16; ++i) {
        block.index[static_cast<size_t>(wanted[i].second - 32 * half)] = static_cast<uint8_t>(wanted[i].first - block.src);
      }
      chunk->blocks.push_back(block);
    }
  }
}

// Whether the chunks (their lanes' input bytes in `sources`) can go by dwords: every output
// dword four input bytes in a row, at a whole number of dwords from `begin`, or all pad value;
// and 32 bytes to read between `begin` and `end`.
bool dwords_fit(const std::vector<GroupChunk>& chunks, const std::vector<std::vector<int64_t>>& sources, int64_t begin,
                int64_t end) {
  if (end - begin < 32) return false;
  for (size_t c = 0; c < chunks.size(); ++c) {
    if (chunks[c].bytes % 4 != 0) return false;
    for (int64_t d = 0; d < chunks[c].bytes; d += 4) {
      const int64_t first = sources[c][static_cast<size_t>(d)];
      for (int64_t i = 1; i < 4; ++i) {
        const int64_t s = sources[c][static_cast<size_t>(d + i)];
        if (first < 0 ? s >= 0 : s != first + i) return false;
      }
      if (first >= 0 && (first - begin) % 4 != 0) return false;
    }
  }
  return true;
}

// The chunks' lane blocks, by dwords where they fit.
void add_blocks(PixelGroup* group, const std::vector<std::vector<int64_t>>& sources, int64_t begin, int64_t end) {
  group->by_lanes = true;
  group->by_dwords = dwords_fit(group->chunks, sources, begin, end);
  for (size_t c = 0; c < group->chunks.size(); ++c) {
    add_lane_blocks(&group->chunks[c], sources[c], begin, end, group->by_dwords);
  }
}

}  // namespace

std::optional<PixelGroup> group_pixels(const PixelProgram& p, int64_t in_pixel_step, int64_t pixels, bool by_lanes) {
  const int64_t P = p.dst_bytes;
  if (P <= 0 || P >= kChunk) return std::nullopt;
  for (const Block& b : p.blocks) {
    if (b.loop) return std::nullopt;
    for (const Step& s : b.steps) {
      if (s.loop) return std::nullopt;
    }
  }

  const std::vector<int64_t> source = sources_of(p);
  PixelGroup group;
  const int64_t whole = kChunk / std::gcd(P, kChunk);
  if (pixels < 0 || pixels >= whole) return std::nullopt;
  group.pixels = pixels == 0 ? whole : pixels;
  // The windows: the group's input bytes in order, cut wherever a window would pass 127 bytes.
  std::vector<int64_t> bytes;
  for (int64_t pixel = 0; pixel < group.pixels; ++pixel) {
    for (int64_t s : source) {
      if (s >= 0) bytes.push_back(pixel * in_pixel_step + s);
    }
  }
  std::sort(bytes.begin(), bytes.end());
  // More windows than pairs of registers hold: windows of one register, 63 bytes.
  for (const int64_t limit : {kWindow, kSingle - 1}) {
    group.windows.clear();
    for (int64_t b : bytes) {
      if (group.windows.empty() || b >= group.windows.back().src + limit) group.windows.push_back({b, 0});
      group.windows.back().bytes = b - group.windows.back().src + 1;
    }
    if (group.windows.size() <= kPairWindows) break;
  }
  if (static_cast<int>(group.windows.size()) > kMaxGroupWindows) return std::nullopt;
  auto window_of = [&](int64_t b) {  // the last window starting at or before b
    auto next = std::upper_bound(group.windows.begin(), group.windows.end(), b,
                                 [](int64_t x, const GroupWindow& w) { return x < w.src; });
    return static_cast<int32_t>(next - group.windows.begin() - 1);
  };
  // Lane blocks need 16 bytes between the first and the last byte the group reads.
  const int64_t begin = bytes.empty() ? 0 : bytes.front(), end = bytes.empty() ? 0 : bytes.back() + 1;
  if (by_lanes && end - begin < 16) return std::nullopt;
  std::vector<std::vector<int64_t>> sources;  // each chunk's lanes' input bytes
  for (int64_t lo = 0; lo < group.pixels * P; lo += kChunk) {
    GroupChunk chunk;
    chunk.dst = lo;
    chunk.bytes = std::min(kChunk, group.pixels * P - lo);
    std::vector<int64_t> lane_source(kChunk, -1);
    for (int lane = 0; lane < chunk.bytes; ++lane) {
      const int64_t out = lo + lane, s = source[static_cast<size_t>(out % P)];
      if (s < 0) {
        chunk.fill_lanes |= uint64_t{1} << lane;
        continue;
      }
      const int64_t b = out / P * in_pixel_step + s;
      lane_source[static_cast<size_t>(lane)] = b;
      const int32_t w = window_of(b);
      auto part =
          std::find_if(chunk.parts.begin(), chunk.parts.end(), [&](const GroupPart& x) { return x.window == w; });
      if (part == chunk.parts.end()) {
        // Lanes of other windows read byte 63 (one register) or 127 (two): past this window's
        // end, so a zero.
        const auto zero =
            static_cast<uint8_t>(group.windows[static_cast<size_t>(w)].bytes < kSingle ? kSingle - 1 : kWindow);
        part = chunk.parts.insert(chunk.parts.end(), GroupPart{w, {}});
        part->index.fill(zero);
      }
      part->index[static_cast<size_t>(lane)] = static_cast<uint8_t>(b - group.windows[static_cast<size_t>(w)].src);
    }
    sources.push_back(std::move(lane_source));
    group.chunks.push_back(std::move(chunk));
  }
  if (by_lanes) add_blocks(&group, sources, begin, end);
  if ((by_lanes || static_cast<int>(group.windows.size()) > kPairWindows) && !group_pays(group, p)) return std::nullopt;
  return group;
}

std::optional<PixelGroup> gather_by_lanes(int64_t count, int64_t bytes, int64_t src_stride) {
  const int64_t end = (count - 1) * src_stride + bytes;  // the bytes read: [0, end)
  if (count < 2 || end < 16 || 64 % bytes != 0) return std::nullopt;
  PixelGroup group;
  group.pixels = count;
  std::vector<std::vector<int64_t>> sources;
  for (int64_t lo = 0; lo < count * bytes; lo += kChunk) {
    GroupChunk chunk;
    chunk.dst = lo;
    chunk.bytes = std::min(kChunk, count * bytes - lo);
    std::vector<int64_t> lane_source(kChunk, -1);
    for (int64_t lane = 0; lane < chunk.bytes; ++lane) {
      const int64_t out = lo + lane;
      lane_source[static_cast<size_t>(lane)] = out / bytes * src_stride + out % bytes;
    }
    sources.push_back(std::move(lane_source));
    group.chunks.push_back(std::move(chunk));
  }
  add_blocks(&group, sources, 0, end);
  if (group_instructions(group) >= 2 * count) return std::nullopt;
  return group;
}

bool group_pays(const PixelGroup& group, const PixelProgram& program) {
  return group_instructions(group) < group.pixels * pixel_instructions(program);
}

}  // namespace pj
