// The benchmark suite (README "Speed"), in one place for bench/ and `patchjit bench`.
#pragma once

#include <string>
#include <vector>

#include "codegen/plan/spec.h"

namespace pj {

struct SuiteShape {
  std::string name;  // e.g. "f32_1x224x224x3_k7s2_same"
  Spec spec;
  std::string note;
};

const std::vector<SuiteShape>& benchmark_suite();

// A suite shape in another format (docs/SEMANTICS.md §8): the same image, attributes and
// padding, the image's shape in that layout's order, renamed by shape_name.
SuiteShape in_format(const SuiteShape& shape, const Format& format);

// A name of the same form for any spec: "<dtype>_<NxHxWxC>_k<R>x<C>s<R>x<C>[r<R>x<C>]_<padding>".
std::string shape_name(const Spec& spec);

}  // namespace pj
