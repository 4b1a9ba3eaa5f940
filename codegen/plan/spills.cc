#include "codegen/plan/spills.h"

#include <algorithm>
#include <vector>

namespace pj {
namespace {

int64_t next_power_of_two(int64_t n) {
  int64_t w = 1;
  while (w < n) w *= 2;
  return w;
}

// What one wider move would add past the end of each of a step's pieces, or 0 if it gains no
// move. A gather's pieces back to back spill into the next piece (its last into what follows).
int64_t wanted_spill(const Step& s, int64_t vector_bytes) {
  if (!s.contiguous() || s.bytes >= vector_bytes) return 0;
  return next_power_of_two(s.bytes) - s.bytes;
}

// One instance of a step: a block row's piece, in the order the kernel writes them.
struct Piece {
  int64_t dst, end, src_end, order;
};

}  // namespace

void plan_spills(int64_t vector_bytes, PixelProgram* program) {
  bool wanted = false;
  for (const Block& b : program->blocks) {
    for (const Step& s : b.steps) wanted = wanted || wanted_spill(s, vector_bytes) > 0;
  }
  if (!wanted) return;
  const int64_t read_end = static_cast<int64_t>(source_extent(*program).second);
  // The pieces in write order, and by dst (they tile the pixel, or the spill finds a gap).
  std::vector<Piece> pieces;
  for (const Block& b : program->blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      for (const Step& s : b.steps) {
        for (int64_t j = 0; j < s.count; ++j) {
          const int64_t dst = s.dst + row * b.dst_row_stride + j * s.dst_stride;
          const int64_t src = s.src + row * b.src_row_stride + j * s.src_stride;
          const int64_t order = static_cast<int64_t>(pieces.size());
          pieces.push_back({dst, dst + s.bytes, s.kind == Step::Kind::kFill ? 0 : src + s.bytes, order});
        }
      }
    }
  }
  std::vector<Piece> by_dst = pieces;
  std::sort(by_dst.begin(), by_dst.end(), [](const Piece& a, const Piece& b) { return a.dst < b.dst; });
  // Whether `more` bytes past piece p are each written by a later piece and, for a copy, read
  // inside the program's source extent.
  auto can_spill = [&](const Piece& p, bool copy, int64_t more) {
    if (copy && p.src_end + more > read_end) return false;
    int64_t at = p.end;
    while (at < p.end + more) {
      auto next = std::lower_bound(by_dst.begin(), by_dst.end(), at,
                                   [](const Piece& q, int64_t d) { return q.dst < d; });
      if (next == by_dst.end() || next->dst != at || next->order <= p.order) return false;
      at = next->end;
    }
    return true;
  };

  std::vector<Block> blocks;
  size_t first = 0;  // index in `pieces` of the block's first piece
  for (const Block& b : program->blocks) {
    int64_t per_row = 0;
    for (const Step& s : b.steps) per_row += s.count;
    // Each step's spill over all rows but the last, and on the last.
    Block body = b, last = b;
    size_t k = first;
    for (size_t i = 0; i < b.steps.size(); ++i) {
      const Step& s = b.steps[i];
      const int64_t more = wanted_spill(s, vector_bytes);
      bool body_ok = more > 0, last_ok = more > 0;
      for (int64_t row = 0; more > 0 && row < b.rows; ++row) {
        bool ok = true;
        for (int64_t j = 0; j < s.count && ok; ++j) {
          ok = can_spill(pieces[k + static_cast<size_t>(row * per_row + j)], s.kind != Step::Kind::kFill, more);
        }
        (row + 1 < b.rows ? body_ok : last_ok) = (row + 1 < b.rows ? body_ok : last_ok) && ok;
      }
      body.steps[i].spill = body_ok ? more : 0;
      last.steps[i].spill = last_ok ? more : 0;
      k += static_cast<size_t>(s.count);
    }
    first += static_cast<size_t>(b.rows * per_row);
    bool split = false;
    for (size_t i = 0; i < b.steps.size() && b.rows > 1; ++i) split = split || body.steps[i].spill > last.steps[i].spill;
    if (!split) {
      // One block: what every row allows (a single row is its own last).
      for (size_t i = 0; i < b.steps.size(); ++i) {
        body.steps[i].spill = b.rows > 1 ? std::min(body.steps[i].spill, last.steps[i].spill) : last.steps[i].spill;
      }
      blocks.push_back(std::move(body));
      continue;
    }
    body.rows = b.rows - 1;
    body.loop = b.loop && body.rows > 1;
    last.rows = 1;
    last.loop = false;
    for (Step& s : last.steps) {
      s.dst += body.rows * b.dst_row_stride;
      s.src += body.rows * b.src_row_stride;
    }
    blocks.push_back(std::move(body));
    blocks.push_back(std::move(last));
  }
  program->blocks = std::move(blocks);
}

}  // namespace pj
