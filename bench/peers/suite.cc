#include "bench/peers/suite.h"

#include "codegen/plan/status.h"

namespace pj {
namespace {

SuiteShape shape(DType type, Vec4 input, int64_t k, int64_t s, int64_t r, Padding p, std::string note) {
  const Spec spec = square_spec(type, input, k, s, r, p);
  return {shape_name(spec), spec, std::move(note)};
}

}  // namespace

std::string shape_name(const Spec& s) {
  static const char* const kShort[] = {"f32", "f64",  "i32", "i64",  "u8",   "i16", "i8", "u16",
                                       "f16", "bf16", "c64", "c128", "bool", "u32", "u64"};
  std::string name = cat(kShort[static_cast<int>(s.dtype)], "_", s.image_shape[0], "x", s.image_shape[1], "x",
                         s.image_shape[2], "x", s.image_shape[3], "_k", s.ksizes[1]);
  if (s.ksizes[2] != s.ksizes[1]) name += cat("x", s.ksizes[2]);
  name += cat("s", s.strides[1]);
  if (s.strides[2] != s.strides[1]) name += cat("x", s.strides[2]);
  if (s.rates[1] != 1 || s.rates[2] != 1) {
    name += cat("r", s.rates[1]);
    if (s.rates[2] != s.rates[1]) name += cat("x", s.rates[2]);
  }
  if (s.padding == Padding::kExplicit) {
    name += cat("_pad", s.pads[0], "x", s.pads[1], "x", s.pads[2], "x", s.pads[3]);
  } else {
    name += s.padding == Padding::kSame ? "_same" : "_valid";
  }
  // The engine formats (docs/SEMANTICS.md §7-§9), when not TensorFlow's.
  if (s.format == kTorchFormat) {
    name += "_torch";
  } else if (!(s.format == kTfFormat)) {
    name +=
        cat("_", layout_name(s.format.layout), "_", order_name(s.format.order), "_", patches_name(s.format.patches));
  }
  if (s.pad_value != PadValue{}) name += "_padvalue";
  if (s.image_strides != std::array<int64_t, 3>{} || s.patch_strides != std::array<int64_t, 2>{}) name += "_strided";
  return name;
}

SuiteShape in_format(const SuiteShape& shape, const Format& format) {
  Spec s = shape.spec;
  const bool was_nhwc = s.format.layout == Layout::kNhwc;
  const Vec4& d = s.image_shape;
  const int64_t n = d[0], h = was_nhwc ? d[1] : d[2], w = was_nhwc ? d[2] : d[3], c = was_nhwc ? d[3] : d[1];
  s.format = format;
  s.image_shape = format.layout == Layout::kNhwc ? Vec4{n, h, w, c} : Vec4{n, c, h, w};
  return {shape_name(s), s, shape.note};
}

const std::vector<SuiteShape>& benchmark_suite() {
  using D = DType;
  const Padding S = Padding::kSame, V = Padding::kValid;
  static const std::vector<SuiteShape> suite = {
      shape(D::kFloat32, {1, 224, 224, 3}, 7, 2, 1, S, "ResNet stem; 84-byte runs"),
      shape(D::kFloat32, {1, 56, 56, 64}, 3, 1, 1, S, ""),
      shape(D::kFloat32, {8, 28, 28, 128}, 3, 1, 1, S, "29 MB output, near the L3 size"),
      shape(D::kFloat32, {4, 112, 112, 64}, 3, 1, 1, S, "116 MB output, DRAM-bound"),
      shape(D::kFloat32, {1, 14, 14, 512}, 3, 1, 1, S, ""),
      shape(D::kFloat32, {1, 64, 64, 1}, 3, 1, 2, V, "dilated depth-1 gather"),
      shape(D::kFloat32, {4, 32, 32, 16}, 5, 2, 1, V, ""),
      shape(D::kFloat32, {1, 128, 128, 8}, 2, 2, 1, V, "space-to-depth, 64-byte runs"),
      shape(D::kFloat32, {1, 10, 10, 3}, 3, 1, 1, S, "tiny: call overhead"),
      shape(D::kFloat32, {1, 28, 28, 256}, 3, 1, 2, S, "dilated, deep"),
      shape(D::kFloat32, {2, 33, 33, 17}, 3, 2, 1, S, "odd sizes"),
      shape(D::kFloat32, {1, 112, 112, 32}, 3, 2, 1, S, ""),
      shape(D::kFloat32, {1, 7, 7, 2048}, 1, 1, 1, V, "one long run"),
      shape(D::kUInt8, {1, 224, 224, 3}, 7, 2, 1, S, "21-byte runs"),
      shape(D::kFloat64, {1, 56, 56, 32}, 3, 1, 1, S, ""),
      shape(D::kHalf, {1, 56, 56, 64}, 3, 1, 1, S, ""),
  };
  return suite;
}

}  // namespace pj
