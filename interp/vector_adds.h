// Fold's hot loop with the widest vectors the CPU has: for n contiguous elements,
//   dst[x] = ((start + src[0][x]) + src[1][x]) + ... + src[taps-1][x],  start = +0 or dst[x],
// each add exactly codegen/plan/element_add.h's (half through F16C's round-to-nearest-even,
// bfloat16 rounded as Eigen rounds it, integers wrapping), the partial sums kept in registers.
// The library is built for any x86-64; these loops are compiled for AVX-512 (F, BW, VL, with
// BMI2's masks) and AVX2, both with F16C (which every AVX2 and AVX-512 CPU has), and chosen by
// the plan's instruction set.
#pragma once

#include <cstdint>

#include "codegen/plan/dtype.h"
#include "codegen/xbyak/isa.h"

namespace pj {

using SumRuns = void (*)(uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t n, bool from_dst);

// The loop for `dtype` in `isa`; Isa::kNone (or bool) gives element_add.h's scalar loop.
SumRuns sum_runs(DType dtype, Isa isa);

// Pixels that sum the same taps, each a fixed step further: for m < count,
//   dst + m*dst_step gets the sum from +0 of the runs at src + m*src_step + offsets[t], t
//   ascending, n elements each (taps may be 0: +0).
// Short pixels are summed several at a time, so that their add chains overlap.
using SumPixels = void (*)(uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets, int64_t taps,
                           int64_t src_step, int64_t count, int64_t n);
SumPixels sum_pixels(DType dtype, Isa isa);

// dst[m * dst_step] = src[m] for m < n, elements of `size` bytes (1 to 16): every other element
// (dst_step twice a size of 4 or 8: a stride-2 fold's column group in an NCHW row) by vector
// stores under masks, which write those elements and nothing between them (a tile's neighbour
// may be writing there); any other step element by element.
using StoreStrided = void (*)(uint8_t* dst, int64_t dst_step, const uint8_t* src, int64_t n, int64_t size);
StoreStrided store_strided(Isa isa);

}  // namespace pj
