// The ahead-of-time ABI's signature (pj_aot_signature, include/patchjit/patchjit_aot.h) and the
// Geometry, both ways, in one place: the object emitter writes tables with aot_signature_of, the
// runtime looks kernels up with it, so a table and a lookup can never spell one kernel two ways.
// Also the layout of version 1 tables (objects made before the engine formats), which the
// runtime still reads.
#pragma once

#include <cstdint>

#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"
#include "patchjit/patchjit_aot.h"

namespace pj {

// The canonical signature of an extract geometry's kernel (batch aside): every attribute
// signature_name() distinguishes; pads only with EXPLICIT, the pad value's bytes past the element
// zero, and buffer strides (elements) all 0 when that buffer is dense.
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
struct AotKernelV1 {
  int64_t abi_version;  // 1
  AotSignatureV1 signature;
  int64_t out_rows, out_cols, out_depth;
  pj_aot_function function;
  const char* name;
  const char* cpu;
  uint64_t required_features;
};
static_assert(sizeof(AotKernelV1) == 19 * 8, "version 1 entries are 19 eight-byte fields");

// A version 1 entry as version 2 says the same kernel (the new fields TensorFlow's defaults).
pj_aot_kernel upgrade(const AotKernelV1& k);

}  // namespace pj
