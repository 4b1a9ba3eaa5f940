// Validation of a Spec by TensorFlow's rules and in TensorFlow's words, and the sizes that
// follow from it: output shape, effective filter sizes and padding (SEMANTICS.md §2-§3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codegen/plan/spec.h"
#include "codegen/plan/status.h"

namespace pj {

// One spatial axis (rows or cols) after GetWindowedOutputSize.
struct Axis {
  int64_t in = 0;         // input size
  int64_t ksize = 1;      // taps
  int64_t stride = 1;
  int64_t rate = 1;       // dilation between taps
  int64_t ksize_eff = 1;  // ksize + (ksize - 1) * (rate - 1)
  int64_t out = 0;        // output size
  int64_t pad_before = 0;  // top / left
  int64_t pad_after = 0;   // bottom / right
};

struct Geometry {
  DType dtype = DType::kFloat32;
  Padding padding = Padding::kSame;
  int64_t elem_size = 4;
  int64_t batch = 0;
  int64_t depth = 0;
  Axis rows, cols;
  Vec4 input_shape{};       // [batch, rows.in, cols.in, depth]
  int64_t patch_depth = 0;  // ksize_rows * ksize_cols * depth
  Vec4 output_shape{};      // [batch, out_rows, out_cols, patch_depth]
  int64_t input_bytes = 0;
  int64_t output_bytes = 0;

  bool empty() const { return output_bytes == 0; }
};

struct WindowedSize {
  int64_t out = 0;
  int64_t pad_before = 0;
  int64_t pad_after = 0;
};

// TensorFlow's GetWindowedOutputSizeVerbose with dilation 1 (the kernel passes the dilated size).
Expected<WindowedSize> windowed_output_size(int64_t in, int64_t ksize_eff, int64_t stride,
                                            Padding padding);

// The shape function's length rule for an attribute given as a list ("ksizes", "strides",
// "rates"): exactly 4 values.
Status check_attribute_length(std::string_view name, size_t length);

// Every check of the op's shape function and CPU kernel, in the kernel's order, plus overflow
// of any size or byte count in int64.
Expected<Geometry> make_geometry(const Spec& spec);

}  // namespace pj
