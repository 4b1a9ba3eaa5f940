// The fifteen element types of the op's `T` list. The op only moves bytes, so what matters to
// every layer below the API is the element size; the names are TensorFlow's.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pj {

// Same order and values as pj_dtype in include/patchjit/patchjit.h.
enum class DType : int {
  kFloat32 = 0,
  kFloat64,
  kInt32,
  kInt64,
  kUInt8,
  kInt16,
  kInt8,
  kUInt16,
  kHalf,
  kBFloat16,
  kComplex64,
  kComplex128,
  kBool,
  kUInt32,
  kUInt64,
};
inline constexpr int kNumDTypes = 15;

inline bool is_valid_dtype(int value) { return value >= 0 && value < kNumDTypes; }

// Bytes per element: 1, 2, 4, 8 or 16.
int element_size(DType dtype);

// TensorFlow's name ("float32", "half", "complex64", ...).
std::string_view dtype_name(DType dtype);

// Parses a TensorFlow dtype name; "float16" is accepted for half.
std::optional<DType> dtype_from_name(std::string_view name);

}  // namespace pj
