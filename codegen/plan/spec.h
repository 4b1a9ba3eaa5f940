// The signature a user asks for: what TensorFlow's ExtractImagePatches receives.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "codegen/plan/dtype.h"

namespace pj {

// Same values as pj_padding.
enum class Padding : int { kSame = 0, kValid = 1 };

std::string_view padding_name(Padding padding);  // "SAME" or "VALID"

using Vec4 = std::array<int64_t, 4>;

// Formats as TensorFlow's TensorShape::DebugString does: "[1,2,3,4]".
std::string to_string(const Vec4& values);

struct Spec {
  DType dtype = DType::kFloat32;
  Vec4 input_shape{};  // NHWC
  Vec4 ksizes{1, 1, 1, 1};
  Vec4 strides{1, 1, 1, 1};
  Vec4 rates{1, 1, 1, 1};
  Padding padding = Padding::kSame;
};

}  // namespace pj
