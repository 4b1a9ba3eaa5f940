#include "interp/interpreter.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "interp/generic.h"

namespace pj {
namespace {

// The pad value repeated over 64 bytes: fills start on element boundaries.
std::array<uint8_t, 64> pattern_of(const Geometry& g) {
  std::array<uint8_t, 64> p{};
  for (size_t i = 0; i < p.size(); ++i) p[i] = g.pad_value[i % static_cast<size_t>(g.elem_size)];
  return p;
}

void fill(uint8_t* dst, int64_t bytes, const std::array<uint8_t, 64>& pattern) {
  for (int64_t i = 0; i < bytes; i += 64) std::memcpy(dst + i, pattern.data(), std::min<int64_t>(64, bytes - i));
}

using Wide = __int128;

// A point in 128 bits to int64. Points of pixels and rows of padding only may pass int64 (a
// size-1 dimension takes any stride: a pixel stride of 2^62 bytes, the third output column):
// wrapped then (C++20: modulo 2^64), as their programs read nothing; a point that is read from
// lies within an image's extent of the input, so it fits.
inline int64_t point_of(Wide point) { return static_cast<int64_t>(point); }

// `point` is a byte offset from `input`: it may lie outside the input (padding), so it stays an
// integer until a step adds its own part, which the planner proved lands inside.
void run_program(const PixelProgram& program, const uint8_t* input, int64_t point, uint8_t* out,
                 const std::array<uint8_t, 64>& pattern) {
  for (const Block& b : program.blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      uint8_t* dst_row = out + row * b.dst_row_stride;
      const int64_t src_row = point_of(Wide{point} + Wide{row} * b.src_row_stride);  // a padding pixel's may wrap
      for (const Step& s : b.steps) {
        for (int64_t j = 0; j < s.count; ++j) {
          uint8_t* to = dst_row + s.dst + j * s.dst_stride;
          if (s.kind == Step::Kind::kFill) {
            fill(to, s.bytes, pattern);
          } else {
            std::memcpy(to, input + (src_row + s.src + j * s.src_stride), s.bytes);
          }
        }
      }
    }
  }
}

// Where output row r of image b reads the input from; 0 for an empty input, which nothing
// reads (every position is padding) and whose strides may be as large as int64 holds.
int64_t src_row_of(const Plan& plan, int64_t b, int64_t r) {
  if (plan.geometry.image_bytes == 0) return 0;
  return point_of(Wide{b} * plan.src_image_step + plan.src_origin + Wide{r} * plan.src_row_step);
}

// Pixel c's point in a row from `src_row`, as src_row_of's.
int64_t src_pixel_of(const Plan& plan, int64_t src_row, int64_t c) {
  return point_of(Wide{src_row} + Wide{c} * plan.src_pixel_step);
}

}  // namespace

void interpret(const Plan& plan, const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) {
  const int64_t R = plan.rows_per_image;
  if (plan.generic) {
    generic_extract(plan.geometry, input, output, row_begin * plan.geometry.cols.out, row_end * plan.geometry.cols.out);
    return;
  }
  const std::array<uint8_t, 64> pattern = pattern_of(plan.geometry);
  for (int64_t t = row_begin; t < row_end;) {
    const int64_t b = t / R;
    int64_t r = t % R;
    for (const RowClass& rc : plan.row_classes) {
      for (; r >= rc.begin && r < rc.end && t < row_end; ++r, ++t) {
        uint8_t* dst_row = output + b * plan.dst_image_step + r * plan.dst_row_step;
        const int64_t src_row = src_row_of(plan, b, r);
        for (const Region& region : rc.regions) {
          const PixelProgram& program = plan.programs[region.program];
          for (int64_t c = region.begin; c < region.end; c += region.pixels_per_iteration) {
            run_program(program, input, src_pixel_of(plan, src_row, c), dst_row + c * plan.dst_pixel_step, pattern);
          }
        }
      }
    }
  }
}

void interpret_pixels(const Plan& plan, const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                      int64_t col_end) {
  const int64_t R = plan.rows_per_image, b = row / R, r = row % R;
  if (plan.generic) {
    const int64_t first = row * plan.geometry.cols.out;
    generic_extract(plan.geometry, input, output, first + col_begin, first + col_end);
    return;
  }
  const std::array<uint8_t, 64> pattern = pattern_of(plan.geometry);
  uint8_t* dst_row = output + b * plan.dst_image_step + r * plan.dst_row_step;
  const int64_t src_row = src_row_of(plan, b, r);
  for (const RowClass& rc : plan.row_classes) {
    if (r < rc.begin || r >= rc.end) continue;
    for (const Region& region : rc.regions) {
      const PixelProgram& program = plan.programs[region.program];
      for (int64_t c = std::max(region.begin, col_begin); c < std::min(region.end, col_end); ++c) {
        run_program(program, input, src_pixel_of(plan, src_row, c), dst_row + c * plan.dst_pixel_step, pattern);
      }
    }
  }
}

}  // namespace pj
