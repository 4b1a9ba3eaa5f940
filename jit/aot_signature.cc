#include "jit/aot_signature.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace pj {
namespace {

static_assert(sizeof(pj_aot_signature) == 25 * 8, "the signature is 8-byte fields and a 16-byte pad value");
static_assert(sizeof(pj_aot_kernel) == 33 * 8, "version 2 entries are 33 eight-byte fields");
static_assert(offsetof(pj_aot_kernel, abi_version) == 0 && offsetof(AotKernelV1, abi_version) == 0,
              "every version starts with its number");
static_assert(PJ_AOT_PADDING_EXPLICIT == static_cast<int>(Padding::kExplicit) &&
              PJ_AOT_LAYOUT_NCHW == static_cast<int>(Layout::kNchw) &&
              PJ_AOT_PATCH_ORDER_CHW == static_cast<int>(PatchOrder::kChw) &&
              PJ_AOT_PATCHES_COLUMNS == static_cast<int>(PatchesAs::kColumns));

bool any(const int64_t* values, int n) {
  for (int i = 0; i < n; ++i) {
    if (values[i] != 0) return true;
  }
  return false;
}

// An enum field: any int64 can come from a table.
Status check_choice(const char* field, int64_t value, int64_t count) {
  if (value < 0 || value >= count) return InvalidArgument(field, " ", value, " is not one of 0..", count - 1);
  return Status::Ok();
}

}  // namespace

pj_aot_signature aot_signature_of(const Geometry& g) {
  pj_aot_signature s{};
  const int64_t e = g.elem_size;
  s.element_size = e;
  s.rows = g.rows.in, s.cols = g.cols.in, s.depth = g.depth;
  s.ksize_rows = g.rows.ksize, s.ksize_cols = g.cols.ksize;
  s.stride_rows = g.rows.stride, s.stride_cols = g.cols.stride;
  s.rate_rows = g.rows.rate, s.rate_cols = g.cols.rate;
  s.padding = static_cast<int64_t>(g.padding);
  if (g.padding == Padding::kExplicit) {
    s.pads[0] = g.rows.pad_before, s.pads[1] = g.rows.pad_after;
    s.pads[2] = g.cols.pad_before, s.pads[3] = g.cols.pad_after;
  }
  std::memcpy(s.pad_value, g.pad_value.data(), static_cast<size_t>(e));
  s.layout = static_cast<int64_t>(g.format.layout);
  s.patch_order = static_cast<int64_t>(g.format.order);
  s.patches = static_cast<int64_t>(g.format.patches);
  if (!g.dense_image()) {
    const auto strides = image_strides(g);
    std::copy(strides.begin(), strides.end(), s.input_strides);
  }
  if (!g.dense_patches()) {
    const auto strides = patch_strides(g);
    std::copy(strides.begin(), strides.end(), s.output_strides);
  }
  return s;
}

Expected<Geometry> geometry_of(const pj_aot_signature& s) {
  Spec spec;
  switch (s.element_size) {
    case 1:
      spec.dtype = DType::kUInt8;
      break;
    case 2:
      spec.dtype = DType::kHalf;
      break;
    case 4:
      spec.dtype = DType::kFloat32;
      break;
    case 8:
      spec.dtype = DType::kFloat64;
      break;
    case 16:
      spec.dtype = DType::kComplex128;
      break;
    default:
      return InvalidArgument("element_size ", s.element_size, " is not 1, 2, 4, 8 or 16");
  }
  PJ_RETURN_IF_ERROR(check_choice("padding", s.padding, 3));
  PJ_RETURN_IF_ERROR(check_choice("layout", s.layout, 2));
  PJ_RETURN_IF_ERROR(check_choice("patch_order", s.patch_order, 2));
  PJ_RETURN_IF_ERROR(check_choice("patches", s.patches, 2));
  spec.padding = static_cast<Padding>(s.padding);
  spec.format = {static_cast<Layout>(s.layout), static_cast<PatchOrder>(s.patch_order),
                 static_cast<PatchesAs>(s.patches)};
  const bool strided = any(s.input_strides, 3) || any(s.output_strides, 2);
  const int64_t batch = strided ? 2 : 1;
  spec.image_shape =
      spec.format.layout == Layout::kNhwc ? Vec4{batch, s.rows, s.cols, s.depth} : Vec4{batch, s.depth, s.rows, s.cols};
  spec.ksizes = {1, s.ksize_rows, s.ksize_cols, 1};
  spec.strides = {1, s.stride_rows, s.stride_cols, 1};
  spec.rates = {1, s.rate_rows, s.rate_cols, 1};
  for (int i = 0; i < 4; ++i) spec.pads[i] = s.pads[i];
  std::memcpy(spec.pad_value.data(), s.pad_value, sizeof s.pad_value);
  for (int i = 0; i < 3; ++i) spec.image_strides[i] = s.input_strides[i];
  for (int i = 0; i < 2; ++i) spec.patch_strides[i] = s.output_strides[i];
  return make_geometry(spec);
}

Status check_canonical(const pj_aot_signature& s, const Geometry& g) {
  const pj_aot_signature canonical = aot_signature_of(g);
  if (pj_aot_same_signature(&s, &canonical)) return Status::Ok();
  if (std::memcmp(s.pad_value, canonical.pad_value, sizeof s.pad_value) != 0) {
    return InvalidArgument("pad_value's bytes past element_size must be 0");
  }
  return InvalidArgument("strides must be all 0 for a dense buffer, and the resolved strides otherwise (input ",
                         canonical.input_strides[0], ",", canonical.input_strides[1], ",", canonical.input_strides[2],
                         "; output ", canonical.output_strides[0], ",", canonical.output_strides[1], ")");
}

pj_aot_kernel upgrade(const AotKernelV1& v1) {
  pj_aot_kernel k{};
  k.abi_version = PJ_AOT_ABI_VERSION;
  const AotSignatureV1& s = v1.signature;
  k.signature.element_size = s.element_size;
  k.signature.rows = s.rows, k.signature.cols = s.cols, k.signature.depth = s.depth;
  k.signature.ksize_rows = s.ksize_rows, k.signature.ksize_cols = s.ksize_cols;
  k.signature.stride_rows = s.stride_rows, k.signature.stride_cols = s.stride_cols;
  k.signature.rate_rows = s.rate_rows, k.signature.rate_cols = s.rate_cols;
  k.signature.padding = s.padding;
  k.out_rows = v1.out_rows, k.out_cols = v1.out_cols, k.out_depth = v1.out_depth;
  k.function = v1.function;
  k.name = v1.name;
  k.cpu = v1.cpu;
  k.required_features = v1.required_features;
  return k;
}

}  // namespace pj
