#include "reference/interpreter.h"

#include <cstring>

#include "reference/im2col.h"

namespace pj {
namespace {

// `anchor` is a byte offset from `input`: it may lie before the input (padding), so it stays an
// integer until a step adds its own part, which the planner proved lands inside.
void run_program(const PixelProgram& program, const uint8_t* input, int64_t anchor, uint8_t* out) {
  for (const Block& b : program.blocks) {
    for (int64_t row = 0; row < b.rows; ++row) {
      uint8_t* dst_row = out + row * b.dst_row_stride;
      const int64_t src_row = anchor + row * b.src_row_stride;
      for (const Step& s : b.steps) {
        switch (s.kind) {
          case Step::Kind::kZero:
            std::memset(dst_row + s.dst, 0, s.bytes);
            break;
          case Step::Kind::kCopy:
            std::memcpy(dst_row + s.dst, input + (src_row + s.src), s.bytes);
            break;
          case Step::Kind::kGather:
            for (int64_t j = 0; j < s.count; ++j) {
              std::memcpy(dst_row + s.dst + j * s.bytes, input + (src_row + s.src + j * s.src_stride),
                          s.bytes);
            }
            break;
        }
      }
    }
  }
}

}  // namespace

void interpret(const Plan& plan, const uint8_t* input, uint8_t* output, int64_t row_begin,
               int64_t row_end) {
  if (plan.generic) {
    im2col_rows(plan.geometry, input, output, row_begin, row_end);
    return;
  }
  const int64_t out_rows = plan.geometry.rows.out;
  for (int64_t t = row_begin; t < row_end;) {
    const int64_t b = t / out_rows;
    int64_t r = t % out_rows;
    for (const RowClass& rc : plan.row_classes) {
      for (; r >= rc.begin && r < rc.end && t < row_end; ++r, ++t) {
        uint8_t* out_row = output + t * plan.out_row_bytes;
        const int64_t anchor_row = b * plan.in_image_bytes + plan.anchor_origin + r * plan.in_row_step;
        for (const Region& region : rc.regions) {
          const PixelProgram& program = plan.programs[region.program];
          for (int64_t c = region.begin; c < region.end; c += region.pixels_per_iteration) {
            run_program(program, input, anchor_row + c * plan.in_pixel_step,
                        out_row + c * plan.pixel_bytes);
          }
        }
      }
    }
  }
}

}  // namespace pj
