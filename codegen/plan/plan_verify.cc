// verify_plan: an independent check of a plan against the element rule (docs/SEMANTICS.md §4,
// §8), for tests. make_plan's own proof covers memory safety only.
#include <algorithm>
#include <climits>
#include <optional>
#include <utility>
#include <vector>

#include "codegen/plan/plan.h"

namespace pj {
namespace {

using Wide = __int128;

// A piece of a program, unrolled: `bytes` from src (or filled) to dst, both back to back.
struct Piece {
  int64_t dst, src, bytes;
  bool fill;
  int64_t spill;  // Step::spill
};

std::vector<Piece> pieces_of(const PixelProgram& program) {
  std::vector<Piece> pieces;
  for (const Block& b : program.blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      for (const Step& s : b.steps) {
        for (int64_t j = 0; j < s.count; ++j) {
          pieces.push_back({s.dst + row * b.dst_row_stride + j * s.dst_stride,
                            s.src + row * b.src_row_stride + j * s.src_stride, s.bytes, s.kind == Step::Kind::kFill,
                            s.spill});
        }
      }
    }
  }
  return pieces;
}

// Output element (q, k): element k of the q-th pixel a program iteration covers.
struct Element {
  int64_t q, k;
};

class ElementMap {
 public:
  ElementMap(const Plan& plan, int64_t pixels)
      : e_(plan.geometry.elem_size),
        K_(plan.geometry.patch_depth),
        pixels_(pixels),
        pixel_(plan.dst_pixel_step),
        element_(plan.geometry.patch_steps.element) {}
  // The element at dst offset d, if an element starts there.
  std::optional<Element> at(int64_t d) const {
    if (d < 0 || d % e_ != 0) return std::nullopt;
    // The larger stride first: the layout's strides were checked not to overlap.
    Element x{0, 0};
    if (pixel_ >= element_ || pixels_ == 1) {
      x.q = pixels_ == 1 ? 0 : d / pixel_;
      const int64_t rest = d - x.q * pixel_;
      if (rest % element_ != 0) return std::nullopt;
      x.k = rest / element_;
    } else {
      x.k = d / element_;
      const int64_t rest = d - x.k * element_;
      if (rest % pixel_ != 0) return std::nullopt;
      x.q = rest / pixel_;
    }
    if (x.q >= pixels_ || x.k >= K_) return std::nullopt;
    return x;
  }
  int64_t pixels() const { return pixels_; }

 private:
  int64_t e_, K_, pixels_, pixel_, element_;
};

// The pixels one iteration of a region's program covers.
int64_t pixels_of(const Plan& plan, const Region& region) { return region.pixels_per_iteration; }

// Every output element of the iteration written exactly once, and nothing else; and the bytes a
// piece may spill into are written again by later pieces.
Status check_tiling(const Plan& plan, int32_t index, int64_t pixels) {
  const PixelProgram& program = plan.programs[index];
  const ElementMap map(plan, pixels);
  const int64_t e = plan.geometry.elem_size, K = plan.geometry.patch_depth;
  std::vector<int64_t> writer(static_cast<size_t>(pixels * K), -1);  // the piece that writes each element
  const std::vector<Piece> pieces = pieces_of(program);
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    if (p.bytes % e != 0) return Internal("program ", index, " of ", plan.name(), ": a piece of ", p.bytes, " bytes");
    for (int64_t m = 0; m < p.bytes; m += e) {
      std::optional<Element> x = map.at(p.dst + m);
      if (!x) return Internal("program ", index, " of ", plan.name(), ": output byte ", p.dst + m, " is no element");
      int64_t& w = writer[static_cast<size_t>(x->q * K + x->k)];
      if (w >= 0) {
        return Internal("program ", index, " of ", plan.name(), ": element ", x->k, " of pixel ", x->q,
                        " is written twice");
      }
      w = static_cast<int64_t>(i);
    }
  }
  for (int64_t i = 0; i < pixels * K; ++i) {
    if (writer[static_cast<size_t>(i)] < 0) {
      return Internal("program ", index, " of ", plan.name(), ": element ", i % K, " of pixel ", i / K,
                      " is never written");
    }
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    for (int64_t m = p.bytes; m < p.bytes + p.spill; ++m) {
      std::optional<Element> x = map.at((p.dst + m) / e * e);
      if (!x || writer[static_cast<size_t>(x->q * K + x->k)] <= static_cast<int64_t>(i)) {
        return Internal("program ", index, " of ", plan.name(), ": a piece spills into output byte ", p.dst + m,
                        ", which no later piece writes");
      }
    }
  }
  return Status::Ok();
}

// Tap (i, j) and channel c of patch element k.
struct Tap {
  int64_t i, j, c;
};
Tap tap_of(const Geometry& g, int64_t k) {
  if (g.format.order == PatchOrder::kChw) {
    return {(k / g.cols.ksize) % g.rows.ksize, k % g.cols.ksize, k / (g.rows.ksize * g.cols.ksize)};
  }
  return {k / (g.cols.ksize * g.depth), (k / g.depth) % g.cols.ksize, k % g.depth};
}

// The pixels at (row, col) run by `program`: each copied element comes from the input element
// the rule names, and each filled one is one the rule says is padding.
Status check_pixel(const Plan& plan, const PixelProgram& program, int64_t pixels, int64_t row, int64_t col) {
  const Geometry& g = plan.geometry;
  const ElementMap map(plan, pixels);
  const int64_t e = g.elem_size;
  const Wide point = Wide{plan.src_origin} + Wide{row} * plan.src_row_step + Wide{col} * plan.src_pixel_step;
  for (const Piece& p : pieces_of(program)) {
    for (int64_t m = 0; m < p.bytes; m += e) {
      const Element x = *map.at(p.dst + m);  // check_tiling ran first
      const Tap t = tap_of(g, x.k);
      const int64_t in_row = row * g.rows.stride - g.rows.pad_before + t.i * g.rows.rate;
      const int64_t in_col = (col + x.q) * g.cols.stride - g.cols.pad_before + t.j * g.cols.rate;
      const bool inside = in_row >= 0 && in_row < g.rows.in && in_col >= 0 && in_col < g.cols.in;
      if (p.fill == inside) {
        return Internal(plan.name(), ": pixel (", row, ",", col + x.q, ") tap (", t.i, ",", t.j, ") channel ", t.c,
                        " is ", inside ? "filled but lies inside" : "read but lies outside", " the input");
      }
      const Wide want =
          Wide{in_row} * g.image_steps.row + Wide{in_col} * g.image_steps.pixel + Wide{t.c} * g.image_steps.channel;
      if (!p.fill && point + p.src + m != want) {
        return Internal(plan.name(), ": pixel (", row, ",", col + x.q, ") tap (", t.i, ",", t.j, ") channel ", t.c,
                        " reads the wrong input element");
      }
    }
  }
  return Status::Ok();
}

// A pixel group (pixel_group.h) delivers into each output byte what the steps put there, and
// its windows load only bytes between the lowest and highest input byte the steps read for
// those pixels (so, by the steps' proof, inside the input).
Status check_group(const Plan& plan, int32_t index, const PixelGroup& group) {
  const PixelProgram& program = plan.programs[index];
  const int64_t P = program.dst_bytes;
  std::vector<int64_t> source(static_cast<size_t>(P), -1);  // one pixel's, relative to its src point
  for (const Piece& p : pieces_of(program)) {
    for (int64_t k = 0; !p.fill && k < p.bytes; ++k) source[static_cast<size_t>(p.dst + k)] = p.src + k;
  }
  int64_t low = INT64_MAX, high = INT64_MIN;
  for (int64_t pixel = 0; pixel < group.pixels; ++pixel) {
    for (int64_t s : source) {
      if (s >= 0)
        low = std::min(low, pixel * plan.src_pixel_step + s), high = std::max(high, pixel * plan.src_pixel_step + s);
    }
  }
  auto fail = [&](const auto&... what) {
    return Internal(plan.name(), ": group of ", group.pixels, " pixels of program ", index, ": ", what...);
  };
  // What the emitters can hold: at most kMaxGroupWindows windows, a part per window in a chunk.
  if (group.pixels < 1 || static_cast<int>(group.windows.size()) > kMaxGroupWindows) {
    return fail("has ", group.windows.size(), " windows");
  }
  if (plan.dst_pixel_step != P) return fail("its pixels are not back to back in the output");
  for (size_t i = 0; i < group.windows.size(); ++i) {
    const GroupWindow& w = group.windows[i];
    if (w.bytes < 1 || w.bytes > 127 || w.src < low || w.src + w.bytes - 1 > high) {
      return fail("window of ", w.bytes, " bytes at ", w.src, " is not within the bytes read, [", low, ", ", high, "]");
    }
    // More windows than register pairs: one register each.
    if (group.windows.size() > kPairWindows && w.bytes >= 64) {
      return fail("window ", i, " of ", w.bytes, " bytes in a group of ", group.windows.size(), " windows");
    }
  }
  int64_t next = 0;
  for (const GroupChunk& c : group.chunks) {
    if (c.dst != next || c.bytes < 1 || c.bytes > 64) return fail("chunks do not tile the output");
    next += c.bytes;
    std::vector<bool> used(group.windows.size(), false);
    for (const GroupPart& part : c.parts) {
      if (part.window < 0 || part.window >= static_cast<int32_t>(group.windows.size()) || used[part.window]) {
        return fail("chunk at ", c.dst, " has a part of no window, or two parts of one");
      }
      used[part.window] = true;
      // A permute sees 64 bytes (one register) or 128 (two): an index beyond them would wrap.
      const int64_t seen = group.windows[part.window].bytes < 64 ? 64 : 128;
      for (uint8_t at : part.index) {
        if (at >= seen)
          return fail("chunk at ", c.dst, " has a permute index ", int{at}, " beyond its ", seen, " bytes");
      }
    }
    for (int64_t lane = 0; lane < 64; ++lane) {
      const bool filled = (c.fill_lanes >> lane) & 1;
      if (lane >= c.bytes) {
        if (filled) return fail("chunk at ", c.dst, " fills lane ", lane, " beyond its ", c.bytes, " bytes");
        continue;
      }
      const int64_t out = c.dst + lane, s = source[static_cast<size_t>(out % P)];
      const int64_t want = s < 0 ? -1 : out / P * plan.src_pixel_step + s;
      int64_t got = -1;
      for (const GroupPart& part : c.parts) {
        const GroupWindow& w = group.windows[static_cast<size_t>(part.window)];
        const int64_t at = part.index[static_cast<size_t>(lane)];
        if (at >= w.bytes) continue;  // a byte past the window: a zero
        if (got >= 0) return fail("output byte ", out, " comes from two windows");
        got = w.src + at;
      }
      if (got != want) return fail("output byte ", out, " gets input byte ", got, " instead of ", want);
      if (filled != (want < 0)) return fail("output byte ", out, filled ? " is filled but copied" : " is not filled");
      if (!group.by_lanes) continue;
      int64_t by_block = -1;  // the same byte from the lane blocks (AVX2)
      for (const LaneBlock& b : c.blocks) {
        const int64_t from = block_source(b, group.by_dwords, static_cast<int>(lane));
        if (from < 0) continue;
        if (by_block >= 0) return fail("output byte ", out, " comes from two lane blocks");
        by_block = from;
      }
      if (by_block != want) return fail("output byte ", out, " gets input byte ", by_block, " from its lane blocks");
    }
    if (!group.by_lanes) continue;
    for (const LaneBlock& b : c.blocks) {
      // 16 bytes loaded (by dwords: 32), inside the bytes read, as every window; a shuffle index
      // picks one of them or (0x80) a zero; a dword index one of the eight dwords.
      const int64_t loaded = group.by_dwords ? 32 : 16;
      if (b.half < 0 || b.half > 1 || b.src < low || b.src + loaded - 1 > high) {
        return fail("lane block at ", b.src, " is not within the bytes read, [", low, ", ", high, "]");
      }
      for (int k = 0; k < 32; ++k) {
        const uint8_t at = b.index[static_cast<size_t>(k)];
        const bool bad = group.by_dwords ? ((b.dwords >> k) & 1) && (k >= 8 || at >= 8) : at >= 16 && at != 0x80;
        if (bad) return fail("lane block at ", b.src, " has an index ", int{at});
      }
    }
  }
  if (next != group.pixels * P) return fail("chunks cover ", next, " bytes, not ", group.pixels * P);
  return Status::Ok();
}

// A few sample indices of [begin, end): all of them when there are few.
std::vector<int64_t> samples(int64_t begin, int64_t end, int64_t step) {
  std::vector<int64_t> out;
  if (end - begin <= 8) {
    for (int64_t i = begin; i < end; i += step) out.push_back(i);
  } else {
    int64_t last = begin + ((end - begin - 1) / step) * step;
    out = {begin, begin + step * (((end - begin) / step) / 2), last};
  }
  return out;
}

}  // namespace

Status verify_plan(const Plan& plan) {
  if (plan.generic) return Status::Ok();
  const Geometry& g = plan.geometry;
  std::vector<int64_t> checked(plan.programs.size(), -1);  // pixels each program was tiled for
  int64_t next_row = 0;
  for (const RowClass& rc : plan.row_classes) {
    if (rc.begin != next_row || rc.end <= rc.begin)
      return Internal(plan.name(), ": row classes do not tile the output rows");
    next_row = rc.end;
    int64_t next_col = 0;
    for (const Region& region : rc.regions) {
      if (region.begin != next_col || region.end <= region.begin || region.pixels_per_iteration < 1 ||
          (region.end - region.begin) % region.pixels_per_iteration != 0) {
        return Internal(plan.name(), ": regions do not tile the output columns");
      }
      next_col = region.end;
      const int64_t pixels = pixels_of(plan, region);
      if (checked[region.program] != pixels) {
        if (checked[region.program] >= 0)
          return Internal(plan.name(), ": program ", region.program, " serves two widths");
        PJ_RETURN_IF_ERROR(check_tiling(plan, region.program, pixels));
        checked[region.program] = pixels;
      }
      const PixelProgram& program = plan.programs[region.program];
      if (region.grouped) {
        if (!program.group || pixels != 1 || (region.iterations() < program.group->pixels && !region.tail)) {
          return Internal(plan.name(), ": a region runs a group it cannot");
        }
        PJ_RETURN_IF_ERROR(check_group(plan, region.program, *program.group));
        if (region.tail) {
          if (region.tail->pixels != region.iterations() % program.group->pixels) {
            return Internal(plan.name(), ": a tail group of ", region.tail->pixels, " pixels for a rest of ",
                            region.iterations() % program.group->pixels);
          }
          PJ_RETURN_IF_ERROR(check_group(plan, region.program, *region.tail));
        }
      } else if (region.tail) {
        return Internal(plan.name(), ": a tail group in a region without groups");
      }
      for (int64_t row : samples(rc.begin, rc.end, 1)) {
        for (int64_t col : samples(region.begin, region.end, region.pixels_per_iteration)) {
          PJ_RETURN_IF_ERROR(check_pixel(plan, program, pixels, row, col));
        }
      }
    }
    if (next_col != g.cols.out) return Internal(plan.name(), ": regions do not cover the output columns");
  }
  if (next_row != plan.rows_per_image) return Internal(plan.name(), ": row classes do not cover the output rows");
  return Status::Ok();
}

}  // namespace pj
