// The golden loops: the element rule (docs/SEMANTICS.md §4, §6-§9) written as plainly as
// possible. Every other implementation is checked against these.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"

namespace pj {

// Extract: patch element k of position p = oh*OW + ow of image b is the image element
//   (b, oh*sh - pad_top + i*rh, ow*sw - pad_left + j*rw, c)   (i, j, c from k by the patch order)
// or the pad value where that lies outside, for positions [begin, end) of the flattened
// (image, position) range. `input` and `output` point at the whole tensors, laid out by the
// geometry's strides; nothing else is written.
void golden_extract_positions(const Geometry& g, const void* input, void* output, int64_t begin, int64_t end);

// Rows [row_begin, row_end) of the flattened (image, output row) range.
inline void golden_extract(const Geometry& g, const void* input, void* output, int64_t row_begin, int64_t row_end) {
  golden_extract_positions(g, input, output, row_begin * g.cols.out, row_end * g.cols.out);
}

// The whole output.
inline void golden_extract(const Geometry& g, const void* input, void* output) {
  golden_extract(g, input, output, 0, g.batch * g.rows.out);
}

// Fold (§12): image element (b, h, w, c) is +0 plus, for kernel rows i and then columns j in
// descending order (ascending output position), every patch element extract copied from it,
// each add rounded in the dtype (codegen/plan/element_add.h); mode mean then divides by how many
// there were. Pixels [col_begin, col_end) of image rows [row_begin, row_end) of the flattened
// (image, row) range; `input` is the patches, `output` the image.
void golden_fold(const Geometry& g, const void* input, void* output, int64_t row_begin, int64_t row_end,
                 int64_t col_begin, int64_t col_end);

// The whole image.
inline void golden_fold(const Geometry& g, const void* input, void* output) {
  golden_fold(g, input, output, 0, g.batch * g.rows.in, 0, g.cols.in);
}

}  // namespace pj
