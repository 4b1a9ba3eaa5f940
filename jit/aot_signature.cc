#include "jit/aot_signature.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "patchjit/patchjit.h"

namespace pj {
namespace {

static_assert(sizeof(pj_aot_signature) == 28 * 8, "the signature is 8-byte fields and a 16-byte pad value");
static_assert(sizeof(pj_aot_kernel) == 36 * 8, "version 3 entries are 36 eight-byte fields");
static_assert(offsetof(pj_aot_signature, padding) == offsetof(AotSignatureV1, padding) &&
                  offsetof(pj_aot_signature, output_strides) == offsetof(AotSignatureV2, output_strides),
              "version 3 signatures extend those of versions 1 and 2");
static_assert(offsetof(pj_aot_kernel, abi_version) == 0 && offsetof(AotKernelV1, abi_version) == 0,
              "every version starts with its number");
static_assert(PJ_AOT_PADDING_EXPLICIT == static_cast<int>(Padding::kExplicit) &&
              PJ_AOT_LAYOUT_NCHW == static_cast<int>(Layout::kNchw) &&
              PJ_AOT_PATCH_ORDER_CHW == static_cast<int>(PatchOrder::kChw) &&
              PJ_AOT_PATCHES_COLUMNS == static_cast<int>(PatchesAs::kColumns) &&
              PJ_AOT_OP_FOLD == static_cast<int>(Op::kFold) && PJ_AOT_FOLD_MEAN == static_cast<int>(FoldMode::kMean) &&
              PJ_UINT64 == static_cast<int>(DType::kUInt64));

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
  if (!g.extract()) {
    s.op = PJ_AOT_OP_FOLD;
    s.dtype = static_cast<int64_t>(g.dtype);
    s.mode = static_cast<int64_t>(g.mode);
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
  PJ_RETURN_IF_ERROR(check_choice("op", s.op, 2));
  if (s.op == PJ_AOT_OP_FOLD) {  // fold adds in its dtype, which must have the element size
    PJ_RETURN_IF_ERROR(check_choice("dtype", s.dtype, kNumDTypes));
    PJ_RETURN_IF_ERROR(check_choice("mode", s.mode, 2));
    spec.op = Op::kFold;
    spec.dtype = static_cast<DType>(s.dtype);
    spec.mode = static_cast<FoldMode>(s.mode);
    if (element_size(spec.dtype) != s.element_size) {
      return InvalidArgument("dtype ", dtype_name(spec.dtype), " has ", element_size(spec.dtype),
                             "-byte elements, not element_size ", s.element_size);
    }
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
  if (s.op == PJ_AOT_OP_EXTRACT && (s.dtype != 0 || s.mode != 0)) return InvalidArgument("dtype and mode are fold's: 0 for extract");
  return InvalidArgument("strides must be all 0 for a dense buffer, and the resolved strides otherwise (input ",
                         canonical.input_strides[0], ",", canonical.input_strides[1], ",", canonical.input_strides[2],
                         "; output ", canonical.output_strides[0], ",", canonical.output_strides[1], ")");
}

}  // namespace pj
