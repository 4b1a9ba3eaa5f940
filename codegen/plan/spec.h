// The signature a user asks for: TensorFlow's ExtractImagePatches attributes, and what patchjit
// adds (docs/SEMANTICS.md §6-§11): explicit padding, a pad value, formats, strided buffers, and
// fold (patches back to images). The defaults are TensorFlow's op, bit for bit.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "codegen/plan/dtype.h"

namespace pj {

// Same values as pj_op.
enum class Op : int { kExtract = 0, kFold = 1 };
// Same values as pj_padding.
enum class Padding : int { kSame = 0, kValid = 1, kExplicit = 2 };
// Same values as pj_layout, pj_patch_order, pj_patches, pj_fold_mode.
enum class Layout : int { kNhwc = 0, kNchw = 1 };
enum class PatchOrder : int { kHwc = 0, kChw = 1 };
enum class PatchesAs : int { kRows = 0, kColumns = 1 };
enum class FoldMode : int { kSum = 0, kMean = 1 };

std::string_view op_name(Op op);                   // "extract", "fold"
std::string_view padding_name(Padding padding);    // "SAME", "VALID", "EXPLICIT"
std::string_view layout_name(Layout layout);       // "nhwc", "nchw"
std::string_view order_name(PatchOrder order);     // "hwc", "chw"
std::string_view patches_name(PatchesAs patches);  // "rows", "columns"
std::string_view mode_name(FoldMode mode);         // "sum", "mean"

using Vec4 = std::array<int64_t, 4>;

// Formats as TensorFlow's TensorShape::DebugString does: "[1,2,3,4]".
std::string to_string(const Vec4& values);

// Where the image's elements are and in which order a patch holds them (§8).
struct Format {
  Layout layout = Layout::kNhwc;
  PatchOrder order = PatchOrder::kHwc;
  PatchesAs patches = PatchesAs::kRows;
  bool operator==(const Format&) const = default;
};
inline constexpr Format kTfFormat{};
inline constexpr Format kTorchFormat{Layout::kNchw, PatchOrder::kChw, PatchesAs::kColumns};

// One element of the dtype, as bytes in memory (little-endian), written wherever a tap falls
// outside the image; all zero is TensorFlow's T(0).
using PadValue = std::array<uint8_t, 16>;

struct Spec {
  Op op = Op::kExtract;
  DType dtype = DType::kFloat32;
  // The image, in the layout's order: NHWC [N, H, W, C] or NCHW [N, C, H, W]. It is the input
  // of extract and the output of fold.
  Vec4 image_shape{};
  Vec4 ksizes{1, 1, 1, 1};  // [1, rows, cols, 1], as TensorFlow takes them
  Vec4 strides{1, 1, 1, 1};
  Vec4 rates{1, 1, 1, 1};
  Padding padding = Padding::kSame;
  Vec4 pads{};  // with Padding::kExplicit: top, bottom, left, right
  PadValue pad_value{};
  Format format;
  // Elements between images, rows and pixels (nhwc) or images, channels and rows (nchw); the
  // innermost dimension is contiguous. 0: dense.
  std::array<int64_t, 3> image_strides{};
  // Elements between patches (rows) or between the rows of the [K, OH*OW] matrix (columns),
  // and between images. 0: dense.
  std::array<int64_t, 2> patch_strides{};
  FoldMode mode = FoldMode::kSum;  // fold only
};

// TensorFlow's op with square windows: ksizes [1,k,k,1], strides [1,s,s,1], rates [1,r,r,1].
inline Spec square_spec(DType dtype, Vec4 image_shape, int64_t k, int64_t s, int64_t r, Padding padding) {
  Spec spec;
  spec.dtype = dtype;
  spec.image_shape = image_shape;
  spec.ksizes = {1, k, k, 1};
  spec.strides = {1, s, s, 1};
  spec.rates = {1, r, r, 1};
  spec.padding = padding;
  return spec;
}

}  // namespace pj
