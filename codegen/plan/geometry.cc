#include "codegen/plan/geometry.h"

#include <algorithm>
#include <limits>
#include <sstream>

namespace pj {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// TensorFlow reads ksizes/strides/rates into std::vector<int32> (GetAttr), which refuses values
// an int32 cannot hold; then ParseAttributeVec4 checks the batch/depth entries and the range.
Status check_attribute(std::string_view name, const Vec4& attr) {
  for (int64_t v : attr) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return InvalidArgument("Attr ", name, " has value ", v, " out of range for an int32");
    }
  }
  if (!(attr[0] == 1 && attr[3] == 1)) {
    return Unimplemented("Only support ", name, " across space. (", name, " = ", to_string(attr),
                         "; ", name, "[0] and ", name, "[3] must be 1)");
  }
  if (!(attr[1] >= 1 && attr[2] >= 1)) {
    return OutOfRange(name, " is out of range. (", name, " = ", to_string(attr), "; ", name,
                      "[1] and ", name, "[2] must be >= 1)");
  }
  return Status::Ok();
}

// *out = a * b; true when int64 would overflow (operands are non-negative here).
bool mul_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

std::string_view padding_name(Padding padding) {
  return padding == Padding::kSame ? "SAME" : "VALID";
}

std::string to_string(const Vec4& values) {
  std::ostringstream out;
  out << '[' << values[0] << ',' << values[1] << ',' << values[2] << ',' << values[3] << ']';
  return out.str();
}

Status check_attribute_length(std::string_view name, size_t length) {
  if (length == 4) return Status::Ok();
  // The shape function says "stride" (singular) for the strides attribute.
  std::string_view word = name == "strides" ? "stride" : name;
  return InvalidArgument("ExtractImagePatches requires the ", word,
                         " attribute to contain 4 values, but got: ", length);
}

Expected<WindowedSize> windowed_output_size(int64_t in, int64_t ksize_eff, int64_t stride,
                                            Padding padding) {
  if (stride <= 0) return InvalidArgument("Stride must be > 0, but got ", stride);
  // 128-bit intermediates: in + stride can exceed int64 for hostile sizes; TensorFlow would wrap.
  using Wide = __int128;
  Wide out = 0, pad_before = 0, pad_after = 0;
  if (padding == Padding::kValid) {
    out = (Wide{in} - ksize_eff + stride) / stride;  // truncates toward zero, as C++ does
  } else {
    out = (Wide{in} + stride - 1) / stride;
    Wide need = std::max<Wide>(0, (out - 1) * stride + ksize_eff - in);
    pad_before = need / 2;
    pad_after = need - pad_before;
  }
  if (out < 0) {
    return InvalidArgument("Computed output size would be negative: ", static_cast<int64_t>(out),
                           " [input_size: ", in, ", effective_filter_size: ", ksize_eff,
                           ", stride: ", stride, "]");
  }
  if (out > kInt64Max || pad_after > kInt64Max) {
    return InvalidArgument("Output size would overflow: input_size ", in,
                           ", effective_filter_size ", ksize_eff, ", stride ", stride);
  }
  return WindowedSize{static_cast<int64_t>(out), static_cast<int64_t>(pad_before),
                      static_cast<int64_t>(pad_after)};
}

Expected<Geometry> make_geometry(const Spec& spec) {
  if (!is_valid_dtype(static_cast<int>(spec.dtype))) {
    return InvalidArgument("Value for attr 'T' of ", static_cast<int>(spec.dtype),
                           " is not in the list of allowed values (dtype must be one of the "
                           "15 pj_dtype values)");
  }
  // The kernel's constructor: ksizes, strides, rates, then padding.
  PJ_RETURN_IF_ERROR(check_attribute("ksizes", spec.ksizes));
  PJ_RETURN_IF_ERROR(check_attribute("strides", spec.strides));
  PJ_RETURN_IF_ERROR(check_attribute("rates", spec.rates));
  if (spec.padding != Padding::kSame && spec.padding != Padding::kValid) {
    return InvalidArgument("Value for attr 'padding' of ", static_cast<int>(spec.padding),
                           " is not in the list of allowed values: \"SAME\", \"VALID\"");
  }
  for (int i = 0; i < 4; ++i) {
    if (spec.input_shape[i] < 0) {
      return InvalidArgument("input_shape[", i, "] must be non-negative, but got ",
                             spec.input_shape[i], " (input shape ", to_string(spec.input_shape),
                             ")");
    }
  }

  Geometry g;
  g.dtype = spec.dtype;
  g.padding = spec.padding;
  g.elem_size = element_size(spec.dtype);
  g.input_shape = spec.input_shape;
  g.batch = spec.input_shape[0];
  g.depth = spec.input_shape[3];

  // Compute(): effective sizes (cannot overflow int64: the attributes fit int32), then the
  // windowed output size of rows before cols; TensorFlow reports the first error.
  Axis* axes[2] = {&g.rows, &g.cols};
  for (int a = 0; a < 2; ++a) {
    Axis& axis = *axes[a];
    axis.in = spec.input_shape[1 + a];
    axis.ksize = spec.ksizes[1 + a];
    axis.stride = spec.strides[1 + a];
    axis.rate = spec.rates[1 + a];
    axis.ksize_eff = axis.ksize + (axis.ksize - 1) * (axis.rate - 1);
  }
  for (Axis* axis : axes) {
    Expected<WindowedSize> size =
        windowed_output_size(axis->in, axis->ksize_eff, axis->stride, spec.padding);
    if (!size.ok()) return size.status();
    axis->out = size->out;
    axis->pad_before = size->pad_before;
    axis->pad_after = size->pad_after;
  }

  int64_t taps = 0;
  if (mul_overflows(g.rows.ksize, g.cols.ksize, &taps) ||
      mul_overflows(taps, g.depth, &g.patch_depth)) {
    return InvalidArgument("Output size would overflow: ", g.rows.ksize, " x ", g.cols.ksize,
                           " x ", g.depth);
  }
  g.output_shape = {g.batch, g.rows.out, g.cols.out, g.patch_depth};

  // Byte counts must fit int64 (and so every offset a kernel computes).
  int64_t count = 1;
  for (int64_t d : g.output_shape) {
    if (mul_overflows(count, d, &count)) count = -1;
    if (count < 0) break;
  }
  if (count < 0 || mul_overflows(count, g.elem_size, &g.output_bytes)) {
    return InvalidArgument("Output size would overflow: output shape ", to_string(g.output_shape),
                           " x ", g.elem_size, " bytes per element");
  }
  count = 1;
  for (int64_t d : spec.input_shape) {
    if (mul_overflows(count, d, &count)) count = -1;
    if (count < 0) break;
  }
  if (count < 0 || mul_overflows(count, g.elem_size, &g.input_bytes)) {
    return InvalidArgument("Input size would overflow: input shape ", to_string(spec.input_shape),
                           " x ", g.elem_size, " bytes per element");
  }
  return g;
}

}  // namespace pj
