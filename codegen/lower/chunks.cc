#include "codegen/lower/chunks.h"

#include <algorithm>

namespace pj {
namespace {

constexpr int64_t kMinChunkedPiece = 32;

// A gather one span load holds, back to back in the output: its bytes are permuted into place
// (pieces of any length: the 7 bytes of an int8 depth-7 tap at rate 2, five to a kernel row).
bool permutable_gather(const Step& s) {
  return s.kind == Step::Kind::kGather && s.contiguous() && (s.count - 1) * s.src_stride + s.bytes <= 64;
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

// Output bytes [k0, k1) of a gather (pieces back to back) into lanes starting at `lane`: one
// load of the span they come from and one permute. The span is at most 64 bytes where the
// whole gather's is (permutable_gather) or where [k0, k1) are whole small elements of at least
// four to a span (gather_fits_chunks).
ChunkLoad gather_load(const Item& it, int64_t k0, int64_t k1, int64_t lane, PermuteTable* permutes) {
  auto source = [&](int64_t k) { return (k / it.bytes) * it.stride + k % it.bytes; };
  std::array<uint8_t, 64> index{};
  const int64_t base = source(k0);
  for (int64_t k = k0; k < k1; ++k) index[lane + k - k0] = static_cast<uint8_t>(source(k) - base);
  ChunkLoad load;
  load.src = it.src + base;
  load.lanes = lane_mask(lane, k1 - k0);
  load.permute = permutes->add(index);
  load.span_lanes = lane_mask(0, source(k1 - 1) - base + 1);
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
      chunk.loads.push_back(gather_load(it, j * s.bytes, j1 * s.bytes, j * s.bytes - lo, permutes));
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
      if (it.permutable) {  // the gather's bytes inside the chunk; a piece may straddle two
        const int64_t a = std::max(it.dst, lo), b = std::min(it.dst + it.count * it.bytes, hi);
        if (a < b) chunk.loads.push_back(gather_load(it, a - it.dst, b - it.dst, a - lo, permutes));
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
