// The careful hand-written NCHW im2col, as Caffe's and ONNX Runtime's are written: for each
// (channel, tap row, tap column) and output row, one memcpy of the contiguous segment at stride
// 1 (an element loop otherwise) and fills of the pad value at the borders; no plan. The peer of
// the torch format (docs/SEMANTICS.md §8) in benchmarks.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"

namespace pj {

// Whether im2col_nchw computes `g`: extract in the torch format (NCHW, CHW, columns) with dense
// buffers; any padding, pad value, strides and rates.
bool im2col_nchw_applies(const Geometry& g);

// The whole output of `g` (im2col_nchw_applies(g)).
void im2col_nchw(const Geometry& g, const uint8_t* input, uint8_t* output);

}  // namespace pj
