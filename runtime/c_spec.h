// pj_spec and pj_spec_ex (the C API's signatures) and pj::Spec (the planner's), both ways: for the C API, and
// for the tools, tests and benchmarks that hold one and need the other.
#pragma once

#include <cstring>

#include "codegen/plan/spec.h"
#include "patchjit/patchjit.h"

namespace pj {

// A C caller may store any int in an enum field or argument; in C++ reading such a value as the
// enum type is undefined behaviour (the fuzzers found it), so enums from C are read as the int
// they hold and checked before any conversion.
template <typename Enum>
int raw(const Enum& value) {
  static_assert(sizeof(Enum) == sizeof(int));
  int bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Scoped enums with a fixed underlying type hold any int: make_geometry checks them.
inline Spec from_c(const pj_spec& c) {
  Spec s;
  s.dtype = static_cast<DType>(raw(c.dtype));
  s.padding = static_cast<Padding>(raw(c.padding));
  for (int i = 0; i < 4; ++i) {
    s.image_shape[i] = c.input_shape[i];
    s.ksizes[i] = c.ksizes[i];
    s.strides[i] = c.strides[i];
    s.rates[i] = c.rates[i];
  }
  return s;
}

// The extended spec; layout, order and patches are checked by make_geometry as the padding is.
inline Spec from_c(const pj_spec_ex& c) {
  Spec s = from_c(c.base);
  for (int i = 0; i < 4; ++i) s.pads[i] = c.pads[i];
  std::memcpy(s.pad_value.data(), c.pad_value, sizeof c.pad_value);
  s.format.layout = static_cast<Layout>(raw(c.layout));
  s.format.order = static_cast<PatchOrder>(raw(c.patch_order));
  s.format.patches = static_cast<PatchesAs>(raw(c.patches));
  for (int i = 0; i < 3; ++i) s.image_strides[i] = c.input_strides[i];
  for (int i = 0; i < 2; ++i) s.patch_strides[i] = c.output_strides[i];
  return s;
}

inline pj_spec to_c(const Spec& s) {
  pj_spec c{};
  c.dtype = static_cast<pj_dtype>(s.dtype);
  c.padding = static_cast<pj_padding>(s.padding);
  for (int i = 0; i < 4; ++i) {
    c.input_shape[i] = s.image_shape[i];
    c.ksizes[i] = s.ksizes[i];
    c.strides[i] = s.strides[i];
    c.rates[i] = s.rates[i];
  }
  return c;
}

inline pj_spec_ex to_c_ex(const Spec& s) {
  pj_spec_ex c{};
  c.version = PJ_SPEC_EX_VERSION;
  c.base = to_c(s);
  for (int i = 0; i < 4; ++i) c.pads[i] = s.pads[i];
  std::memcpy(c.pad_value, s.pad_value.data(), sizeof c.pad_value);
  c.layout = static_cast<pj_layout>(s.format.layout);
  c.patch_order = static_cast<pj_patch_order>(s.format.order);
  c.patches = static_cast<pj_patches>(s.format.patches);
  for (int i = 0; i < 3; ++i) c.input_strides[i] = s.image_strides[i];
  for (int i = 0; i < 2; ++i) c.output_strides[i] = s.patch_strides[i];
  return c;
}

}  // namespace pj
