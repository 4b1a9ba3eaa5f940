#include "codegen/plan/geometry.h"

#include <algorithm>
#include <array>
#include <limits>
#include <sstream>
#include <vector>

namespace pj {
namespace {

using Wide = __int128;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// TensorFlow reads ksizes/strides/rates into std::vector<int32> (GetAttr), which refuses values
// an int32 cannot hold; then ParseAttributeVec4 checks the batch/depth entries and the range.
// [1, r, c, 1] with r and c in [1, 2^31): what check_attribute accepts, in one test (the
// cache-hit path makes three).
// Unsigned arithmetic: INT64_MIN - 1 would overflow.
inline bool usual_attribute(const Vec4& attr) {
  return attr[0] == 1 && attr[3] == 1 && static_cast<uint64_t>(attr[1]) - 1 < uint64_t{kInt32Max} &&
         static_cast<uint64_t>(attr[2]) - 1 < uint64_t{kInt32Max};
}

Status check_attribute(std::string_view name, const Vec4& attr) {
  for (int64_t v : attr) {
    if (v < std::numeric_limits<int32_t>::min() || v > kInt32Max) {
      return InvalidArgument("Attr ", name, " has value ", v, " out of range for an int32");
    }
  }
  if (!(attr[0] == 1 && attr[3] == 1)) {
    return Unimplemented("Only support ", name, " across space. (", name, " = ", to_string(attr), "; ", name,
                         "[0] and ", name, "[3] must be 1)");
  }
  if (!(attr[1] >= 1 && attr[2] >= 1)) {
    return OutOfRange(name, " is out of range. (", name, " = ", to_string(attr), "; ", name, "[1] and ", name,
                      "[2] must be >= 1)");
  }
  return Status::Ok();
}

Status check_padding(const Spec& spec) {
  const int p = static_cast<int>(spec.padding);
  if (p < 0 || p > static_cast<int>(Padding::kExplicit)) {
    return InvalidArgument("Value for attr 'padding' of ", p,
                           " is not in the list of allowed values: \"SAME\", \"VALID\"");
  }
  static const char* const kSides[4] = {"top", "bottom", "left", "right"};
  if (spec.padding != Padding::kExplicit) {
    for (int i = 0; i < 4; ++i) {
      if (spec.pads[i] != 0) {
        return InvalidArgument("pads: the ", kSides[i], " padding is ", spec.pads[i], " but padding is ",
                               padding_name(spec.padding), ": explicit pads need padding EXPLICIT");
      }
    }
    return Status::Ok();
  }
  for (int i = 0; i < 4; ++i) {
    if (spec.pads[i] < 0 || spec.pads[i] > kInt32Max) {
      return InvalidArgument("pads: the ", kSides[i], " padding must be non-negative and fit an int32, but got ",
                             spec.pads[i]);
    }
  }
  return Status::Ok();
}

[[gnu::noinline, gnu::cold]] Status bad_option(std::string_view name, int v, std::string_view allowed) {
  return InvalidArgument(name, " ", v, " is not one of ", allowed);
}

// Inline, the message out of line: five of these run on every cache-hit create.
template <typename Enum>
inline Status check_option(std::string_view name, Enum value, int count, std::string_view allowed) {
  const int v = static_cast<int>(value);
  if (v >= 0 && v < count) [[likely]] return Status::Ok();
  return bad_option(name, v, allowed);
}

// *out = a * b; true when int64 would overflow (operands are non-negative here).
bool mul_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }

// The elements of a shape, or -1 on overflow.
int64_t count_elements(const Dims& d) {
  int64_t count = 1;
  for (int i = 0; i < d.rank; ++i) {
    if (mul_overflows(count, d.d[i], &count)) return -1;
  }
  return count;
}

bool floating(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kHalf || t == DType::kBFloat16 ||
         t == DType::kComplex64 || t == DType::kComplex128;
}

// One dimension of a strided buffer, in elements.
struct StridedDim {
  const char* name = "";
  int64_t size = 0;
  int64_t stride = 0;
};

// A stride given as 0 is dense (`dense`, saturated: only an empty buffer can get that far); a
// given one must be positive.
Status resolve_stride(std::string_view buffer, const char* name, int64_t given, Wide dense, int64_t* out) {
  if (given < 0)
    return InvalidArgument(buffer, " strides: the ", name, " stride must be positive (0: dense), but got ", given);
  *out = given != 0 ? given : static_cast<int64_t>(std::min<Wide>(dense, kInt64Max));
  return Status::Ok();
}

// Element strides to byte strides; of an empty buffer they are never used.
int64_t byte_stride(int64_t elements, int64_t elem_size) {
  return static_cast<int64_t>(std::min<Wide>(Wide{elements} * elem_size, kInt64Max));
}

// No two elements of the buffer share an address: with the dimensions of more than one entry
// sorted by stride, each stride is at least the extent of those inside it. Then the byte extent
// (first element to one past the last) and every byte stride must fit int64.
Status check_strided(std::string_view buffer, const std::array<StridedDim, 4>& all, int count, int64_t elem_size,
                     int64_t* bytes) {
  *bytes = 0;
  std::array<StridedDim, 4> dims;
  int n = 0;
  for (int i = 0; i < count; ++i) {
    if (all[i].size == 0) return Status::Ok();
    if (all[i].size > 1) dims[n++] = all[i];
  }
  for (int i = 1; i < n; ++i) {  // insertion sort by stride, stable
    for (int j = i; j > 0 && dims[j].stride < dims[j - 1].stride; --j) std::swap(dims[j], dims[j - 1]);
  }
  Wide extent = 1;  // elements spanned by the dimensions so far
  for (int i = 0; i < n; ++i) {
    const StridedDim& d = dims[i];
    if (d.stride < extent) {
      std::string inside;
      for (int j = 0; j < i; ++j) inside += cat(j ? " and " : "", dims[j].name, "s");
      return InvalidArgument(buffer, " strides make elements overlap: the ", d.name, " stride ", d.stride,
                             " is less than ", static_cast<int64_t>(extent), ", the extent of the ", inside,
                             " inside it (strides are in elements)");
    }
    extent += Wide{d.size - 1} * d.stride;
    if (extent > kInt64Max) break;
  }
  const Wide widest = n == 0 ? 1 : dims[n - 1].stride;
  if (extent * elem_size > kInt64Max || widest * elem_size > kInt64Max) {
    return InvalidArgument(buffer, " strides: the ", buffer, " would span more than 2^63 bytes");
  }
  *bytes = static_cast<int64_t>(extent * elem_size);
  return Status::Ok();
}

// `elements`: of the image shape, counted (and found to fit in bytes) by make_geometry.
Status resolve_image(const Spec& spec, int64_t elements, Geometry* g) {
  const int64_t e = g->elem_size, H = g->rows.in, W = g->cols.in, C = g->depth;
  const auto& s = spec.image_strides;
  const bool nhwc = spec.format.layout == Layout::kNhwc;
  if (s[0] == 0 && s[1] == 0 && s[2] == 0 && elements > 0) {
    // Dense and not empty: nothing overlaps, and every product is a factor of the byte count,
    // which fits (checked above).
    g->image_bytes = elements * e;
    g->image_steps =
        nhwc ? ImageSteps{H * W * C * e, W * C * e, C * e, e} : ImageSteps{C * H * W * e, W * e, e, H * W * e};
    return Status::Ok();
  }
  int64_t image = 0, row = 0, pixel = 1, channel = 1;
  if (nhwc) {
    PJ_RETURN_IF_ERROR(resolve_stride("image", "pixel", s[2], C, &pixel));
    PJ_RETURN_IF_ERROR(resolve_stride("image", "row", s[1], Wide{W} * pixel, &row));
    PJ_RETURN_IF_ERROR(resolve_stride("image", "image", s[0], Wide{H} * row, &image));
  } else {
    PJ_RETURN_IF_ERROR(resolve_stride("image", "row", s[2], W, &row));
    PJ_RETURN_IF_ERROR(resolve_stride("image", "channel", s[1], Wide{H} * row, &channel));
    PJ_RETURN_IF_ERROR(resolve_stride("image", "image", s[0], Wide{C} * channel, &image));
  }
  const std::array<StridedDim, 4> dims = {
      {{"channel", C, channel}, {"pixel", W, pixel}, {"row", H, row}, {"image", g->batch, image}}};
  PJ_RETURN_IF_ERROR(check_strided("image", dims, 4, e, &g->image_bytes));
  // One image: its stride is never used; dense keeps one kernel for every value of it.
  if (g->batch <= 1) image = static_cast<int64_t>(std::min<Wide>(nhwc ? Wide{H} * row : Wide{C} * channel, kInt64Max));
  g->image_steps = {byte_stride(image, e), byte_stride(row, e), byte_stride(pixel, e), byte_stride(channel, e)};
  // An empty image is never read (extract) or written (fold): its strides, which may be any
  // size, take part in no offset a plan computes (a padding-only output row of 5e15 columns
  // times a pixel stride of 1e12 elements overflowed int64 in the walk).
  if (elements == 0) g->image_steps = {};
  return Status::Ok();
}

// `elements`: of the patches shape, as for resolve_image.
Status resolve_patches(const Spec& spec, int64_t elements, Geometry* g) {
  const int64_t e = g->elem_size, K = g->patch_depth, L = g->positions;
  const auto& s = spec.patch_strides;
  const bool rows = spec.format.patches == PatchesAs::kRows;
  if (s[0] == 0 && s[1] == 0 && elements > 0) {  // dense and not empty, as the image
    g->patches_bytes = elements * e;
    g->patch_steps = rows ? PatchSteps{K * L * e, K * e, e} : PatchSteps{K * L * e, e, L * e};
    return Status::Ok();
  }
  int64_t ld = 0, image = 0;
  PJ_RETURN_IF_ERROR(resolve_stride("patches", rows ? "patch" : "matrix row", s[0], rows ? K : L, &ld));
  PJ_RETURN_IF_ERROR(resolve_stride("patches", "image", s[1], Wide{rows ? L : K} * ld, &image));
  const std::array<StridedDim, 4> dims = {{{rows ? "element" : "position", rows ? K : L, 1},
                                           {rows ? "patch" : "matrix row", rows ? L : K, ld},
                                           {"image", g->batch, image},
                                           {"", 0, 0}}};
  PJ_RETURN_IF_ERROR(check_strided("patches", dims, 3, e, &g->patches_bytes));
  if (g->batch <= 1) image = static_cast<int64_t>(std::min<Wide>(Wide{rows ? L : K} * ld, kInt64Max));
  g->patch_steps = {byte_stride(image, e), rows ? byte_stride(ld, e) : e, rows ? e : byte_stride(ld, e)};
  if (elements == 0) g->patch_steps = {};  // as an empty image's
  return Status::Ok();
}

}  // namespace

std::string_view op_name(Op op) { return op == Op::kFold ? "fold" : "extract"; }

std::string_view padding_name(Padding padding) {
  return padding == Padding::kSame ? "SAME" : padding == Padding::kValid ? "VALID" : "EXPLICIT";
}
std::string_view layout_name(Layout layout) { return layout == Layout::kNchw ? "nchw" : "nhwc"; }
std::string_view order_name(PatchOrder order) { return order == PatchOrder::kChw ? "chw" : "hwc"; }
std::string_view patches_name(PatchesAs patches) { return patches == PatchesAs::kColumns ? "columns" : "rows"; }
std::string_view mode_name(FoldMode mode) { return mode == FoldMode::kMean ? "mean" : "sum"; }

std::string to_string(const Vec4& values) {
  std::ostringstream out;
  out << '[' << values[0] << ',' << values[1] << ',' << values[2] << ',' << values[3] << ']';
  return out.str();
}

int64_t Dims::elements() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= d[i];
  return n;
}

std::string to_string(const Dims& dims) {
  std::ostringstream out;
  out << '[';
  for (int i = 0; i < dims.rank; ++i) out << (i ? "," : "") << dims.d[i];
  out << ']';
  return out.str();
}

// In Wide: the steps of an empty buffer are clamped, and a huge dimension beside a zero one
// would overflow int64 (the fuzzer found W = 2^63 - 111 with H = 0).
bool Geometry::dense_image() const {
  if (image_bytes == 0) return true;  // no elements, no gaps (its steps are all 0)
  const ImageSteps& s = image_steps;
  const Wide e = elem_size;
  if (format.layout == Layout::kNhwc) {
    return s.pixel == depth * e && s.row == cols.in * Wide{s.pixel} && (batch <= 1 || s.image == rows.in * Wide{s.row});
  }
  return s.row == cols.in * e && s.channel == rows.in * Wide{s.row} &&
         (batch <= 1 || s.image == depth * Wide{s.channel});
}

bool Geometry::dense_patches() const {
  if (patches_bytes == 0) return true;  // as an empty image
  const PatchSteps& s = patch_steps;
  const Wide e = elem_size;
  const bool matrix = format.patches == PatchesAs::kRows ? s.position == patch_depth * e : s.element == positions * e;
  return matrix && (batch <= 1 || s.image == patch_depth * Wide{positions} * e);
}

bool Geometry::zero_pad() const {
  return std::all_of(pad_value.begin(), pad_value.begin() + elem_size, [](uint8_t b) { return b == 0; });
}

Status check_attribute_length(std::string_view name, size_t length) {
  if (length == 4) return Status::Ok();
  // The shape function says "stride" (singular) for the strides attribute.
  std::string_view word = name == "strides" ? "stride" : name;
  return InvalidArgument("ExtractImagePatches requires the ", word,
                         " attribute to contain 4 values, but got: ", length);
}

// windowed_output_size for the sizes of real tensors, where int64 arithmetic cannot overflow
// (inline: the cache-hit path runs it twice); false where the general rule must decide.
inline bool small_windowed_size(int64_t in, int64_t ksize_eff, int64_t stride, Padding padding,
                                int64_t explicit_before, int64_t explicit_after, WindowedSize* size) {
  constexpr int64_t kSmall = int64_t{1} << 40;
  if (!(in >= 0 && in < kSmall && ksize_eff < kSmall && stride > 0 && stride < kSmall && explicit_before < kSmall &&
        explicit_after < kSmall)) {
    return false;
  }
  int64_t out = 0, before = 0, after = 0;
  if (padding == Padding::kValid) {
    out = (in - ksize_eff + stride) / stride;
  } else if (padding == Padding::kExplicit) {
    out = (in + explicit_before + explicit_after - ksize_eff + stride) / stride;
    before = explicit_before, after = explicit_after;
  } else {
    out = (in + stride - 1) / stride;
    const int64_t need = std::max<int64_t>(0, (out - 1) * stride + ksize_eff - in);
    before = need / 2, after = need - before;
  }
  *size = WindowedSize{out, before, after};
  return out >= 0;
}

Expected<WindowedSize> windowed_output_size(int64_t in, int64_t ksize_eff, int64_t stride, Padding padding,
                                            int64_t explicit_before, int64_t explicit_after) {
  if (stride <= 0) return InvalidArgument("Stride must be > 0, but got ", stride);
  WindowedSize small;
  if (small_windowed_size(in, ksize_eff, stride, padding, explicit_before, explicit_after, &small)) return small;
  // 128-bit intermediates: in + stride can exceed int64 for hostile sizes; TensorFlow would wrap.
  Wide out = 0, pad_before = 0, pad_after = 0;
  if (padding == Padding::kValid) {
    out = (Wide{in} - ksize_eff + stride) / stride;  // truncates toward zero, as C++ does
  } else if (padding == Padding::kExplicit) {
    out = (Wide{in} + explicit_before + explicit_after - ksize_eff + stride) / stride;
    pad_before = explicit_before;
    pad_after = explicit_after;
  } else {
    out = (Wide{in} + stride - 1) / stride;
    Wide need = std::max<Wide>(0, (out - 1) * stride + ksize_eff - in);
    pad_before = need / 2;
    pad_after = need - pad_before;
  }
  if (out < 0) {
    return InvalidArgument("Computed output size would be negative: ", static_cast<int64_t>(out), " [input_size: ", in,
                           ", effective_filter_size: ", ksize_eff, ", stride: ", stride, "]");
  }
  if (out > kInt64Max || pad_after > kInt64Max) {
    return InvalidArgument("Output size would overflow: input_size ", in, ", effective_filter_size ", ksize_eff,
                           ", stride ", stride);
  }
  return WindowedSize{static_cast<int64_t>(out), static_cast<int64_t>(pad_before), static_cast<int64_t>(pad_after)};
}

Status make_geometry(const Spec& spec, Geometry* out) {
  if (!is_valid_dtype(static_cast<int>(spec.dtype))) {
    return InvalidArgument("Value for attr 'T' of ", static_cast<int>(spec.dtype),
                           " is not in the list of allowed values (dtype must be one of the 15 pj_dtype values)");
  }
  // The kernel's constructor: ksizes, strides, rates, then padding.
  if (!usual_attribute(spec.ksizes) || !usual_attribute(spec.strides) || !usual_attribute(spec.rates)) {
    PJ_RETURN_IF_ERROR(check_attribute("ksizes", spec.ksizes));
    PJ_RETURN_IF_ERROR(check_attribute("strides", spec.strides));
    PJ_RETURN_IF_ERROR(check_attribute("rates", spec.rates));
  }
  PJ_RETURN_IF_ERROR(check_padding(spec));
  PJ_RETURN_IF_ERROR(check_option("op", spec.op, 2, "extract (0) or fold (1)"));
  PJ_RETURN_IF_ERROR(check_option("layout", spec.format.layout, 2, "nhwc (0) or nchw (1)"));
  PJ_RETURN_IF_ERROR(check_option("patch order", spec.format.order, 2, "hwc (0) or chw (1)"));
  PJ_RETURN_IF_ERROR(check_option("patches", spec.format.patches, 2, "rows (0) or columns (1)"));
  PJ_RETURN_IF_ERROR(check_option("fold mode", spec.mode, 2, "sum (0) or mean (1)"));
  for (int i = 0; i < 4; ++i) {
    if (spec.image_shape[i] < 0) {
      return InvalidArgument("input_shape[", i, "] must be non-negative, but got ", spec.image_shape[i],
                             " (input shape ", to_string(spec.image_shape), ")");
    }
  }

  Geometry& g = *out;  // every field is assigned below
  g.op = spec.op;
  g.dtype = spec.dtype;
  g.padding = spec.padding;
  g.format = spec.format;
  g.mode = spec.mode;
  g.elem_size = element_size(spec.dtype);
  g.pad_value = spec.pad_value;
  std::fill(g.pad_value.begin() + g.elem_size, g.pad_value.end(), 0);
  const bool nchw = spec.format.layout == Layout::kNchw;
  g.image_shape = {4, spec.image_shape};
  g.batch = spec.image_shape[0];
  g.depth = spec.image_shape[nchw ? 1 : 3];

  // Compute(): effective sizes (cannot overflow int64: the attributes fit int32), then the
  // windowed output size of rows before cols; TensorFlow reports the first error.
  Axis* axes[2] = {&g.rows, &g.cols};
  for (int a = 0; a < 2; ++a) {
    Axis& axis = *axes[a];
    axis.in = spec.image_shape[(nchw ? 2 : 1) + a];
    axis.ksize = spec.ksizes[1 + a];
    axis.stride = spec.strides[1 + a];
    axis.rate = spec.rates[1 + a];
    axis.ksize_eff = axis.ksize + (axis.ksize - 1) * (axis.rate - 1);
  }
  for (int a = 0; a < 2; ++a) {
    Axis& axis = *axes[a];
    WindowedSize size;
    if (!small_windowed_size(axis.in, axis.ksize_eff, axis.stride, spec.padding, spec.pads[2 * a],
                             spec.pads[2 * a + 1], &size)) {
      Expected<WindowedSize> general = windowed_output_size(axis.in, axis.ksize_eff, axis.stride, spec.padding,
                                                            spec.pads[2 * a], spec.pads[2 * a + 1]);
      if (!general.ok()) return general.status();
      size = *general;
    }
    axis.out = size.out;
    axis.pad_before = size.pad_before;
    axis.pad_after = size.pad_after;
  }

  int64_t taps = 0;
  if (mul_overflows(g.rows.ksize, g.cols.ksize, &taps) || mul_overflows(taps, g.depth, &g.patch_depth)) {
    return InvalidArgument("Output size would overflow: ", g.rows.ksize, " x ", g.cols.ksize, " x ", g.depth);
  }
  if (mul_overflows(g.rows.out, g.cols.out, &g.positions)) g.positions = -1;
  if (spec.format.patches == PatchesAs::kRows) {
    g.patches_shape = {4, {g.batch, g.rows.out, g.cols.out, g.patch_depth}};
  } else {
    g.patches_shape = {3, {g.batch, g.patch_depth, g.positions, 0}};
  }

  // Byte counts must fit int64 (and so every offset a kernel computes): the output, then the input.
  int64_t bytes = 0;
  const int64_t patch_elements = g.positions < 0 ? -1 : count_elements(g.patches_shape);
  const int64_t image_elements = count_elements(g.image_shape);
  for (int side = 0; side < 2; ++side) {
    const bool output = side == 0;
    const bool patches = output == g.extract();
    const int64_t elements = patches ? patch_elements : image_elements;
    if (elements < 0 || mul_overflows(elements, g.elem_size, &bytes)) {
      const Dims& shape = patches ? g.patches_shape : g.image_shape;
      const std::string shown = patches && g.positions < 0
                                    ? cat("[", g.batch, ",", g.rows.out, ",", g.cols.out, ",", g.patch_depth, "]")
                                    : to_string(shape);
      return InvalidArgument(output ? "Output" : "Input", " size would overflow: ", output ? "output" : "input",
                             " shape ", shown, " x ", g.elem_size, " bytes per element");
    }
  }

  if (spec.op == Op::kFold) {
    if (spec.dtype == DType::kBool) {
      return InvalidArgument(
          "fold: bool has no sum (fold adds the patch elements of each image element; use a "
          "numeric dtype)");
    }
    if (spec.mode == FoldMode::kMean && !floating(spec.dtype)) {
      return InvalidArgument(
          "fold: mode mean divides by the number of contributions and needs a floating or "
          "complex dtype, not ",
          dtype_name(spec.dtype));
    }
    if (!g.zero_pad()) return InvalidArgument("fold: there is no pad value (padding positions are dropped)");
  }
  PJ_RETURN_IF_ERROR(resolve_image(spec, image_elements, &g));
  PJ_RETURN_IF_ERROR(resolve_patches(spec, patch_elements, &g));
  const bool given = spec.image_strides != std::array<int64_t, 3>{} || spec.patch_strides != std::array<int64_t, 2>{};
  g.known_dense = !given || (g.dense_image() && g.dense_patches());  // strides of 0 are dense
  return Status::Ok();
}

Expected<Geometry> make_geometry(const Spec& spec) {
  Geometry g;
  PJ_RETURN_IF_ERROR(make_geometry(spec, &g));
  return g;
}

std::array<int64_t, 3> image_strides(const Geometry& g) {
  const ImageSteps& s = g.image_steps;
  const int64_t e = g.elem_size;
  if (g.format.layout == Layout::kNhwc) return {s.image / e, s.row / e, s.pixel / e};
  return {s.image / e, s.channel / e, s.row / e};
}

std::array<int64_t, 2> patch_strides(const Geometry& g) {
  const PatchSteps& s = g.patch_steps;
  const int64_t ld = g.format.patches == PatchesAs::kRows ? s.position : s.element;
  return {ld / g.elem_size, s.image / g.elem_size};
}

std::string pad_value_hex(const Geometry& g) {
  static const char* const kHex = "0123456789abcdef";
  std::string hex;
  for (int64_t i = g.elem_size - 1; i >= 0; --i) hex += {kHex[g.pad_value[i] >> 4], kHex[g.pad_value[i] & 15]};
  return hex;
}

std::string signature_name(const Geometry& g) {
  static const char* const kShort[] = {"f32", "f64",  "i32", "i64",  "u8",   "i16", "i8", "u16",
                                       "f16", "bf16", "c64", "c128", "bool", "u32", "u64"};
  std::string name = g.extract() ? cat("e", g.elem_size) : cat("fold_", kShort[static_cast<int>(g.dtype)]);
  name += cat("_", g.rows.in, "x", g.cols.in, "x", g.depth, "_k", g.rows.ksize, "x", g.cols.ksize, "_s", g.rows.stride,
              "x", g.cols.stride, "_r", g.rows.rate, "x", g.cols.rate);
  if (g.padding == Padding::kExplicit) {
    name += cat("_pad", g.rows.pad_before, "x", g.rows.pad_after, "x", g.cols.pad_before, "x", g.cols.pad_after);
  } else {
    name += g.padding == Padding::kSame ? "_same" : "_valid";
  }
  if (!g.zero_pad()) name += cat("_v", pad_value_hex(g));
  if (g.format.layout != Layout::kNhwc) name += cat("_", layout_name(g.format.layout));
  if (g.format.order != PatchOrder::kHwc) name += cat("_", order_name(g.format.order));
  if (g.format.patches != PatchesAs::kRows) name += "_cols";
  if (!g.dense_image()) {
    const auto s = image_strides(g);
    name += cat("_is", s[0], "x", s[1], "x", s[2]);
  }
  if (!g.dense_patches()) {
    const auto s = patch_strides(g);
    name += cat("_ps", s[0], "x", s[1]);
  }
  if (!g.extract() && g.mode == FoldMode::kMean) name += "_mean";
  return name;
}

}  // namespace pj
