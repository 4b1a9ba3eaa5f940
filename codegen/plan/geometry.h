// Validation of a Spec by TensorFlow's rules and in TensorFlow's words (docs/SEMANTICS.md §2),
// and the sizes and byte strides that follow from it (§3, §6-§9): output shape, effective filter
// sizes, padding, where every element of the image and of the patches lies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codegen/plan/spec.h"
#include "codegen/plan/status.h"

namespace pj {

// One spatial axis (rows or cols) after GetWindowedOutputSize.
struct Axis {
  int64_t in = 0;     // input size
  int64_t ksize = 1;  // taps
  int64_t stride = 1;
  int64_t rate = 1;        // dilation between taps
  int64_t ksize_eff = 1;   // ksize + (ksize - 1) * (rate - 1)
  int64_t out = 0;         // output size
  int64_t pad_before = 0;  // top / left
  int64_t pad_after = 0;   // bottom / right
};

// A shape of rank 3 or 4.
struct Dims {
  int rank = 4;
  Vec4 d{};
  int64_t elements() const;  // 0 when any dimension is 0
  bool operator==(const Dims&) const = default;
};
std::string to_string(const Dims& dims);  // "[1,2,3]"

// Where the elements of the image are: element (b, h, w, c) at
//   b*image + h*row + w*pixel + c*channel bytes (any layout).
struct ImageSteps {
  int64_t image = 0, row = 0, pixel = 0, channel = 0;
  bool operator==(const ImageSteps&) const = default;
};

// Where the elements of the patches are: element k of the patch of position p = oh*OW + ow of
// image b at b*image + p*position + k*element bytes (rows: element = elem_size; columns:
// position = elem_size).
struct PatchSteps {
  int64_t image = 0, position = 0, element = 0;
  bool operator==(const PatchSteps&) const = default;
};

// a * b for sizes (both >= 0), INT64_MAX where that overflows.
inline int64_t saturated_product(int64_t a, int64_t b) {
  int64_t product;
  return __builtin_mul_overflow(a, b, &product) ? INT64_MAX : product;
}

struct Geometry {
  Op op = Op::kExtract;
  DType dtype = DType::kFloat32;
  Padding padding = Padding::kSame;
  Format format;
  FoldMode mode = FoldMode::kSum;
  int64_t elem_size = 4;
  int64_t batch = 0;
  int64_t depth = 0;  // C
  Axis rows, cols;
  int64_t patch_depth = 0;  // K = ksize_rows * ksize_cols * depth
  int64_t positions = 0;    // OH * OW
  Dims image_shape;         // in the layout's order
  Dims patches_shape;       // rows [N, OH, OW, K]; columns [N, K, OH*OW]
  ImageSteps image_steps;
  PatchSteps patch_steps;
  // Bytes from the first element of a buffer to one past its last (0 when it has none).
  int64_t image_bytes = 0;
  int64_t patches_bytes = 0;
  PadValue pad_value{};
  // make_geometry found both buffers dense (dense_image() && dense_patches()): then the steps
  // follow from the sizes, the layout and the element size. False (the safe side) otherwise.
  bool known_dense = false;

  bool extract() const { return op == Op::kExtract; }
  bool dense_image() const;    // no gaps between the image's elements
  bool dense_patches() const;  // no gaps between the patches' elements
  // The op's input and output: image -> patches (extract) or patches -> image (fold).
  const Dims& input_shape() const { return extract() ? image_shape : patches_shape; }
  const Dims& output_shape() const { return extract() ? patches_shape : image_shape; }
  int64_t input_bytes() const { return extract() ? image_bytes : patches_bytes; }
  int64_t output_bytes() const { return extract() ? patches_bytes : image_bytes; }
  // Nothing to write: the output has no elements (fold of empty patches still writes zeros).
  bool empty() const { return output_bytes() == 0; }
  // Rows kernels take work by: output rows (extract) or image rows (fold) of all images.
  int64_t rows_per_image() const { return extract() ? rows.out : rows.in; }
  // Saturated at INT64_MAX: an empty output (no channels) may span more rows than int64 holds.
  int64_t total_rows() const { return saturated_product(batch, rows_per_image()); }
  // Tiles take work by positions: output pixels (extract) or image pixels (fold) of all images.
  int64_t cols_per_row() const { return extract() ? cols.out : cols.in; }
  int64_t total_positions() const { return saturated_product(total_rows(), cols_per_row()); }
  // Whether every byte of the pad value is zero (TensorFlow's T(0)).
  bool zero_pad() const;
};

struct WindowedSize {
  int64_t out = 0;
  int64_t pad_before = 0;
  int64_t pad_after = 0;
};

// TensorFlow's GetWindowedOutputSizeVerbose with dilation 1 (the kernel passes the dilated size);
// with Padding::kExplicit, `explicit_before/after` are the pads.
Expected<WindowedSize> windowed_output_size(int64_t in, int64_t ksize_eff, int64_t stride, Padding padding,
                                            int64_t explicit_before = 0, int64_t explicit_after = 0);

// The shape function's length rule for an attribute given as a list ("ksizes", "strides",
// "rates"): exactly 4 values.
Status check_attribute_length(std::string_view name, size_t length);

// Every check of the op's shape function and CPU kernel, in the kernel's order, then patchjit's
// own (pads, formats, strides, fold's types), plus overflow of any size or byte count in int64.
Expected<Geometry> make_geometry(const Spec& spec);
// The same into `*out`, every field assigned (unspecified on error): the C API's create fills
// its kernel's geometry in place, without the copies of an Expected.
Status make_geometry(const Spec& spec, Geometry* out);

// A geometry's buffer strides in elements, in Spec's terms: the image's in the layout's order
// (image, then row and pixel for nhwc, channel and row for nchw); the patches' leading
// dimension and image. Signature names, pj_kernel_describe and AOT tables say them so.
std::array<int64_t, 3> image_strides(const Geometry& g);
std::array<int64_t, 2> patch_strides(const Geometry& g);

// The pad value's bytes in hex, most significant first ("3f800000" for float32 1.0).
std::string pad_value_hex(const Geometry& g);

// The signature of a geometry's kernel, without batch: what kernels are cached and named by.
// "e4_56x56x64_k3x3_s1x1_r1x1_same" for TensorFlow's op; other options add suffixes.
std::string signature_name(const Geometry& g);

}  // namespace pj
