// pj_spec (the C API's signature) and pj::Spec (the planner's), both ways: for the C API, and
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

}  // namespace pj
