// What the runtime tests share: a signature with its random input and golden output, and a
// kernel's description as a string.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "tests/support/random_spec.h"

namespace pj::testing {

struct Case {
  Spec spec;
  Geometry g;
  std::vector<uint8_t> input, expected;
};

inline Case make_case(const Spec& spec, std::mt19937_64& rng) {
  Case c{spec, *make_geometry(spec), {}, {}};
  c.input = random_bytes(rng, static_cast<size_t>(c.g.input_bytes()));
  c.expected.resize(static_cast<size_t>(c.g.output_bytes()));
  golden_extract(c.g, c.input.data(), c.expected.data());
  return c;
}

inline std::string describe(const pj_kernel* k) {
  std::string text(pj_kernel_describe(k, nullptr, 0), '\0');
  pj_kernel_describe(k, text.data(), text.size() + 1);
  return text;
}

}  // namespace pj::testing
