// --pad-value: a number written as one element of a dtype (docs/SEMANTICS.md §7), its bytes in
// memory order. Integers are read as integer text (never through double, so int64 and uint64
// are exact) and must fit the type; floats take inf, -inf and nan too, and half and bfloat16
// are rounded to nearest even from the parsed double; complex types take the real part
// (imaginary 0); bool takes 0 or 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "patchjit/patchjit.h"
#include "tools/cli/failure.h"

namespace pj::cli {

// Fills bytes[0, pj_dtype_size(dtype)) (the rest of the 16 zero), or a usage error naming
// --pad-value, the dtype and its rule.
std::optional<Failure> parse_pad_value(const std::string& text, pj_dtype dtype, unsigned char bytes[16]);

// The binary16 (exponent_bits 5, mantissa_bits 10) or bfloat16 (8, 7) bits nearest `value`,
// ties to even; nullopt when it rounds beyond the largest finite value (NaN and infinities
// keep their sign; a NaN becomes the quiet NaN).
std::optional<uint16_t> round_to_small_float(double value, int exponent_bits, int mantissa_bits);

}  // namespace pj::cli
