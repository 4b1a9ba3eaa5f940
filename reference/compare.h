// Finds the first output element where two results differ and names its coordinates, for
// tests and `patchjit extract --verify`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "codegen/plan/geometry.h"

namespace pj {

struct Mismatch {
  int64_t index = 0;    // the element's number in the output's logical order
  int64_t offset = 0;   // byte offset in the output buffer
  bool element = true;  // false: a byte between elements (strided outputs), which must stay as it was
  Dims coords;          // in the output's shape order
  // For patches: the element's tap and channel.
  int64_t ki = 0, kj = 0, channel = 0;
};

// Calls visit(offset) with the byte offset of every output element of `g`, in logical order.
void for_each_output_element(const Geometry& g, const std::function<void(int64_t)>& visit);

// Compares two outputs of `g` (output_bytes() each) in the output's logical order.
std::optional<Mismatch> first_mismatch(const Geometry& g, const uint8_t* expected, const uint8_t* actual);

// "element 1234 [0,3,4,17] (patch row 1, col 2, channel 5): expected 0x0a0b0c0d, got 0x00000000"
std::string describe(const Geometry& g, const Mismatch& m, const uint8_t* expected, const uint8_t* actual);

}  // namespace pj
