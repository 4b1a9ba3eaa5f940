// Finds the first output element where two results differ and names its coordinates, for
// tests and `patchjit extract --verify`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "codegen/plan/spec.h"

namespace pj {

struct Mismatch {
  int64_t element = 0;  // flat index in the output
  Vec4 coords{};        // [b, out_row, out_col, patch depth index]
  int64_t ki = 0, kj = 0, channel = 0;  // the patch depth index, split
};

// Compares two outputs of shape `output_shape` (elements of `elem_size` bytes); the patch depth
// index is split by ksize_cols and depth.
std::optional<Mismatch> first_mismatch(const Vec4& output_shape, int64_t elem_size,
                                       int64_t ksize_cols, int64_t depth, const uint8_t* expected,
                                       const uint8_t* actual);

// "element 1234 [0,3,4,17] (patch row 1, col 2, channel 5): expected 0a0b0c0d, got 00000000"
std::string describe(const Mismatch& m, int64_t elem_size, const uint8_t* expected,
                     const uint8_t* actual);

}  // namespace pj
