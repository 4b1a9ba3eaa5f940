// verify_plan: an independent check of a plan against TensorFlow's element rule (SEMANTICS.md
// §4), for tests. make_plan's own proof covers memory safety only.
#include <algorithm>
#include <climits>
#include <optional>
#include <utility>
#include <vector>

#include "codegen/plan/plan.h"

namespace pj {
namespace {

using Wide = __int128;

struct Piece {
  int64_t dst, src, bytes;
  bool zero;
};

std::vector<Piece> pieces_of(const PixelProgram& program) {
  std::vector<Piece> pieces;
  for (const Block& b : program.blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      for (const Step& s : b.steps) {
        for (int64_t j = 0; j < s.count; ++j) {
          pieces.push_back({s.dst + row * b.dst_row_stride + j * s.bytes,
                            s.src + row * b.src_row_stride + j * s.src_stride, s.bytes,
                            s.kind == Step::Kind::kZero});
        }
      }
    }
  }
  return pieces;
}

// Every byte of [0, dst_bytes) written exactly once.
Status check_tiling(const Plan& plan, int32_t index) {
  const PixelProgram& program = plan.programs[index];
  std::vector<Piece> pieces = pieces_of(program);
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.dst < b.dst; });
  int64_t next = 0;
  for (const Piece& p : pieces) {
    if (p.dst != next) {
      return Internal("program ", index, " of ", plan.name(), ": output byte ", std::min(p.dst, next),
                      p.dst > next ? " is never written" : " is written twice");
    }
    next += p.bytes;
  }
  if (next != program.dst_bytes) {
    return Internal("program ", index, " of ", plan.name(), " writes ", next, " bytes, not ",
                    program.dst_bytes);
  }
  return Status::Ok();
}

// Pixel (row, col) run by `program`: each copied tap comes from the input element the rule
// names, and each zeroed tap is one the rule says is padding.
Status check_pixel(const Plan& plan, const PixelProgram& program, int64_t row, int64_t col) {
  const Geometry& g = plan.geometry;
  const int64_t tap = plan.in_tap_bytes;
  Wide anchor = Wide{plan.anchor_origin} + Wide{row} * plan.in_row_step + Wide{col} * plan.in_pixel_step;
  for (const Piece& p : pieces_of(program)) {
    if (p.dst % tap != 0 || p.bytes % tap != 0) {
      return Internal(plan.name(), ": a step is not aligned to whole taps");
    }
    for (int64_t off = 0; off < p.bytes; off += tap) {
      int64_t d = p.dst + off;
      int64_t pixel = d / plan.pixel_bytes;
      int64_t t = (d % plan.pixel_bytes) / tap;
      int64_t ki = t / g.cols.ksize, kj = t % g.cols.ksize;
      int64_t in_row = row * g.rows.stride - g.rows.pad_before + ki * g.rows.rate;
      int64_t in_col = (col + pixel) * g.cols.stride - g.cols.pad_before + kj * g.cols.rate;
      bool inside = in_row >= 0 && in_row < g.rows.in && in_col >= 0 && in_col < g.cols.in;
      if (p.zero == inside) {
        return Internal(plan.name(), ": pixel (", row, ",", col + pixel, ") tap (", ki, ",", kj, ") is ",
                        inside ? "zeroed but lies inside" : "read but lies outside", " the input");
      }
      if (!p.zero && anchor + p.src + off != (Wide{in_row} * g.cols.in + in_col) * tap) {
        return Internal(plan.name(), ": pixel (", row, ",", col + pixel, ") tap (", ki, ",", kj,
                        ") reads the wrong input element");
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
  std::vector<int64_t> source(static_cast<size_t>(P), -1);  // one pixel's, anchor-relative
  for (const Piece& p : pieces_of(program)) {
    for (int64_t k = 0; !p.zero && k < p.bytes; ++k) source[static_cast<size_t>(p.dst + k)] = p.src + k;
  }
  int64_t low = INT64_MAX, high = INT64_MIN;
  for (int64_t pixel = 0; pixel < group.pixels; ++pixel) {
    for (int64_t s : source) {
      if (s >= 0) low = std::min(low, pixel * plan.in_pixel_step + s), high = std::max(high, pixel * plan.in_pixel_step + s);
    }
  }
  auto fail = [&](const auto&... what) {
    return Internal(plan.name(), ": group of ", group.pixels, " pixels of program ", index, ": ", what...);
  };
  // What the emitters can hold: at most kMaxGroupWindows windows, a part per window in a chunk.
  if (group.pixels < 1 || static_cast<int>(group.windows.size()) > kMaxGroupWindows) {
    return fail("has ", group.windows.size(), " windows");
  }
  for (const GroupWindow& w : group.windows) {
    if (w.bytes < 1 || w.bytes > 127 || w.src < low || w.src + w.bytes - 1 > high) {
      return fail("window of ", w.bytes, " bytes at ", w.src, " is not within the bytes read, [", low, ", ", high, "]");
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
        if (at >= seen) return fail("chunk at ", c.dst, " has a permute index ", int{at}, " beyond its ", seen, " bytes");
      }
    }
    for (int64_t lane = 0; lane < c.bytes; ++lane) {
      const int64_t out = c.dst + lane, s = source[static_cast<size_t>(out % P)];
      const int64_t want = s < 0 ? -1 : out / P * plan.in_pixel_step + s;
      int64_t got = -1;
      for (const GroupPart& part : c.parts) {
        const GroupWindow& w = group.windows[static_cast<size_t>(part.window)];
        const int64_t at = part.index[static_cast<size_t>(lane)];
        if (at >= w.bytes) continue;  // a byte past the window: a zero
        if (got >= 0) return fail("output byte ", out, " comes from two windows");
        got = w.src + at;
      }
      if (got != want) return fail("output byte ", out, " gets input byte ", got, " instead of ", want);
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
  for (int32_t i = 0; i < static_cast<int32_t>(plan.programs.size()); ++i) {
    PJ_RETURN_IF_ERROR(check_tiling(plan, i));
  }
  int64_t next_row = 0;
  for (const RowClass& rc : plan.row_classes) {
    if (rc.begin != next_row || rc.end <= rc.begin) return Internal(plan.name(), ": row classes do not tile the output rows");
    next_row = rc.end;
    int64_t next_col = 0;
    for (const Region& region : rc.regions) {
      if (region.begin != next_col || region.end <= region.begin ||
          (region.end - region.begin) % region.pixels_per_iteration != 0 ||
          plan.programs[region.program].dst_bytes != region.pixels_per_iteration * plan.pixel_bytes) {
        return Internal(plan.name(), ": regions do not tile the output columns");
      }
      next_col = region.end;
      const PixelProgram& program = plan.programs[region.program];
      if (program.group) {
        PJ_RETURN_IF_ERROR(check_group(plan, region.program, *program.group));
        // The partial group the emitters write the region's last pixels with, if it has one.
        const int64_t rest = region.iterations() % program.group->pixels;
        if (std::optional<PixelGroup> tail = group_pixels(program, plan.in_pixel_step, rest); rest > 0 && tail) {
          PJ_RETURN_IF_ERROR(check_group(plan, region.program, *tail));
        }
      }
      for (int64_t row : samples(rc.begin, rc.end, 1)) {
        for (int64_t col : samples(region.begin, region.end, region.pixels_per_iteration)) {
          PJ_RETURN_IF_ERROR(check_pixel(plan, program, row, col));
        }
      }
    }
    if (next_col != g.cols.out) return Internal(plan.name(), ": regions do not cover the output columns");
  }
  if (next_row != g.rows.out) return Internal(plan.name(), ": row classes do not cover the output rows");
  return Status::Ok();
}

}  // namespace pj
