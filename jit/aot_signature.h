// The ahead-of-time ABI's signature (pj_aot_signature, include/patchjit/patchjit_aot.h) and the
// Geometry, both ways, in one place: the object emitter writes tables with aot_signature_of, the
// runtime looks kernels up with it, so a table and a lookup can never spell one kernel two ways.
// Also the layouts of version 1 tables (objects made before the engine formats) and version 2
// (before fold), which the runtime still reads.
#pragma once

#include <cstdint>
#include <cstring>

#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"
#include "patchjit/patchjit_aot.h"

namespace pj {

// The canonical signature of a geometry's kernel (batch aside): every attribute
// signature_name() distinguishes; pads only with EXPLICIT, the pad value's bytes past the element
// zero, buffer strides (elements) all 0 when that buffer is dense, dtype and mode only for fold.
pj_aot_signature aot_signature_of(const Geometry& g);

// The geometry of a signature's kernel, with every field checked by make_geometry (a table can
// come from anywhere): batch 2 when strides are given, so that the image and patch strides it
// carries are used, else 1.
Expected<Geometry> geometry_of(const pj_aot_signature& s);

// Whether `s` is the canonical form of its geometry (aot_signature_of(geometry_of(s)) == s), or
// why not.
Status check_canonical(const pj_aot_signature& s, const Geometry& g);

// ABI version 1: TensorFlow's op only (NHWC rows, SAME or VALID, zero padding, dense buffers).
struct AotSignatureV1 {
  int64_t element_size;
  int64_t rows, cols, depth;
  int64_t ksize_rows, ksize_cols;
  int64_t stride_rows, stride_cols;
  int64_t rate_rows, rate_cols;
  int64_t padding;
};
// ABI version 2: extract in every format (the signature without op, dtype and mode).
struct AotSignatureV2 {
  AotSignatureV1 v1;
  int64_t pads[4];
  unsigned char pad_value[16];
  int64_t layout, patch_order, patches;
  int64_t input_strides[3];
  int64_t output_strides[2];
};
// An entry of an older version: pj_aot_kernel with that version's signature, which is a prefix
// of this version's (aot_signature.cc checks).
template <typename Signature>
struct AotKernelOf {
  int64_t abi_version;
  Signature signature;
  int64_t out_rows, out_cols, out_depth;
  pj_aot_function function;
  const char* name;
  const char* cpu;
  uint64_t required_features;
};
using AotKernelV1 = AotKernelOf<AotSignatureV1>;
using AotKernelV2 = AotKernelOf<AotSignatureV2>;
static_assert(sizeof(AotKernelV1) == 19 * 8, "version 1 entries are 19 eight-byte fields");
static_assert(sizeof(AotKernelV2) == 33 * 8, "version 2 entries are 33 eight-byte fields");

// An older entry as this version says the same kernel (the fields after its signature's the old
// version's meaning: TensorFlow's defaults, extract).
template <typename Signature>
pj_aot_kernel upgrade(const AotKernelOf<Signature>& old) {
  static_assert(sizeof(Signature) < sizeof(pj_aot_signature));
  pj_aot_kernel k{};
  k.abi_version = PJ_AOT_ABI_VERSION;
  std::memcpy(&k.signature, &old.signature, sizeof old.signature);
  k.out_rows = old.out_rows, k.out_cols = old.out_cols, k.out_depth = old.out_depth;
  k.function = old.function;
  k.name = old.name;
  k.cpu = old.cpu;
  k.required_features = old.required_features;
  return k;
}

}  // namespace pj
