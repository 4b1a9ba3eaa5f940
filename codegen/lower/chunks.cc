#include "codegen/lower/chunks.h"

#include <algorithm>

namespace pj {
namespace {

constexpr int64_t kMinChunkedPiece = 32;

bool small_element(int64_t bytes) { return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8; }

bool permutable_gather(const Step& s) {
  return s.kind == Step::Kind::kGather && s.contiguous() && small_element(s.bytes) &&
         (s.count - 1) * s.src_stride + s.bytes <= 64;
}

// One output row of a step: `count` pieces of `bytes`, read every `stride`.
struct Item {
  int64_t dst, src, bytes, count, stride;
  bool zero, permutable;
};

std::vector<Item> items_of(const PixelProgram& p) {
  std::vector<Item> items;
  for (const Block& b : p.blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      for (const Step& s : b.steps) {
        items.push_back({row * b.dst_row_stride + s.dst, row * b.src_row_stride + s.src, s.bytes, s.count, s.src_stride,
                         s.kind == Step::Kind::kFill, permutable_gather(s)});
      }
    }
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.dst < b.dst; });
  return items;
}

// Pieces j0..j1-1 of a gather into lanes starting at `lane`: one span load and one permute.
ChunkLoad gather_load(const Item& it, int64_t j0, int64_t j1, int64_t lane, PermuteTable* permutes) {
  std::array<uint8_t, 64> index{};
  const int64_t bytes = (j1 - j0) * it.bytes;
  for (int64_t k = 0; k < bytes; ++k) {
    index[lane + k] = static_cast<uint8_t>((k / it.bytes) * it.stride + k % it.bytes);
  }
  ChunkLoad load;
  load.src = it.src + j0 * it.stride;
  load.lanes = lane_mask(lane, bytes);
  load.permute = permutes->add(index);
  load.span_lanes = lane_mask(0, (j1 - j0 - 1) * it.stride + it.bytes);
  return load;
}

// Pieces a span load of 64 bytes holds.
int64_t pieces_per_span(const Step& s) { return (64 - s.bytes) / s.src_stride + 1; }

}  // namespace

bool chunkable_gather(const Step& s) { return !s.loop && gather_fits_chunks(s); }

std::vector<Chunk> gather_chunks(const Step& s, PermuteTable* permutes) {
  const Item it{0, 0, s.bytes, s.count, s.src_stride, false, true};
  const int64_t total = s.count * s.bytes, per_span = pieces_per_span(s);
  std::vector<Chunk> chunks;
  for (int64_t lo = 0; lo < total; lo += 64) {
    Chunk chunk{lo, std::min<int64_t>(64, total - lo), {}};
    // Elements divide 64: pieces [lo/bytes, hi/bytes) fill the chunk, none straddles two.
    const int64_t end = (lo + chunk.bytes) / s.bytes;
    for (int64_t j = lo / s.bytes; j < end; j += per_span) {
      const int64_t j1 = std::min(end, j + per_span);
      chunk.loads.push_back(gather_load(it, j, j1, j * s.bytes - lo, permutes));
    }
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

uint64_t lane_mask(int64_t first, int64_t count) {
  const uint64_t ones = count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1;
  return ones << first;
}

int32_t PermuteTable::add(const std::array<uint8_t, 64>& index) {
  auto [it, inserted] = index_of_.try_emplace(index, static_cast<int32_t>(entries_.size()));
  if (inserted) entries_.push_back(index);
  return it->second;
}

bool chunkable(const PixelProgram& p, const PlanOptions& o) {
  int64_t written = 0;
  for (const Block& b : p.blocks) {
    if (b.loop) return false;
    for (const Step& s : b.steps) {
      if (s.loop || !s.contiguous() || s.bytes * s.count > run_block(o)) return false;
      if (s.kind != Step::Kind::kFill && s.bytes < kMinChunkedPiece && !permutable_gather(s)) return false;
      written += b.rows * s.bytes * s.count;
    }
  }
  return written == p.dst_bytes;  // no gaps: every chunk is whole output bytes
}

std::vector<Chunk> chunks_of(const PixelProgram& p, PermuteTable* permutes) {
  const std::vector<Item> items = items_of(p);
  std::vector<Chunk> chunks;
  size_t first = 0;
  for (int64_t lo = 0; lo < p.dst_bytes; lo += 64) {
    const int64_t hi = std::min(lo + 64, p.dst_bytes);
    Chunk chunk{lo, hi - lo, {}};
    while (first < items.size() && items[first].dst + items[first].bytes * items[first].count <= lo) ++first;
    for (size_t i = first; i < items.size() && items[i].dst < hi; ++i) {
      const Item& it = items[i];
      if (it.zero) {
        chunk.filled = true;
        continue;
      }
      if (it.permutable) {
        // Elements divide 64 and start on element boundaries: none straddles two chunks.
        const int64_t j0 = std::max<int64_t>(0, (lo - it.dst) / it.bytes);
        const int64_t j1 = std::min<int64_t>(it.count, (hi - it.dst + it.bytes - 1) / it.bytes);
        if (j0 < j1) chunk.loads.push_back(gather_load(it, j0, j1, it.dst + j0 * it.bytes - lo, permutes));
        continue;
      }
      for (int64_t j = 0; j < it.count; ++j) {
        const int64_t d = it.dst + j * it.bytes, s = it.src + j * it.stride;
        const int64_t a = std::max(d, lo), b = std::min(d + it.bytes, hi);
        if (a < b) chunk.loads.push_back({s + (a - d) - (a - lo), lane_mask(a - lo, b - a)});
      }
    }
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

}  // namespace pj
