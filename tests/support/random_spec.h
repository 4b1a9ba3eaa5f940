// Random signatures for the differential tests: every element size, every format (layout,
// patch order, rows or columns), SAME, VALID and explicit padding, pad values, strided images
// and patches, strides 1-4, rates 1-3, depth 1-40, tiny, odd and empty shapes, capped in size.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"

namespace pj::testing {

struct RandomSpecOptions {
  int64_t max_output_bytes = 1 << 18;
  int64_t max_input_dim = 24;
  int64_t max_ksize = 6;
  int64_t max_stride = 4;
  int64_t max_rate = 3;
  int64_t max_depth = 40;
  double empty_fraction = 0.03;  // specs with a zero dimension
  // Wide rows of shallow dilated pixels (depth 1-2, up to 96 columns, column rate 2-3): the
  // pixels AVX-512 backends write several at a time (codegen/plan/pixel_group.h).
  double wide_dilated_fraction = 0.08;
  // Beyond TensorFlow's op: specs in another format, with explicit pads, a pad value, strided
  // image or patches; 0 gives TensorFlow's op only.
  double format_fraction = 0.4;
  double explicit_fraction = 0.2;
  double pad_value_fraction = 0.3;
  double strided_fraction = 0.25;
};

// TensorFlow's op only: what pj_spec (the C API's first form) can say.
inline RandomSpecOptions tf_only(RandomSpecOptions o = {}) {
  o.format_fraction = o.explicit_fraction = o.pad_value_fraction = o.strided_fraction = 0;
  return o;
}

// A random valid spec whose geometry passes make_geometry and fits the options.
Spec random_spec(std::mt19937_64& rng, const RandomSpecOptions& options = {});

// A random valid fold (docs/SEMANTICS.md §12): a random_spec's attributes and format with a
// numeric dtype, no pad value, mode sum or (floating and complex types) mean.
Spec random_fold_spec(std::mt19937_64& rng, const RandomSpecOptions& options = {});

// Elements of `dtype` that fold may add without NaN payloads deciding the result: random bits,
// but floating elements never NaN or infinite (sums may still overflow to infinity, and
// infinity minus infinity gives the one default NaN whichever way round it is added).
std::vector<uint8_t> random_fold_data(std::mt19937_64& rng, DType dtype, size_t bytes);

// Bytes filled from `rng`.
std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n);

// A readable one-line form of a spec for failure messages.
std::string describe(const Spec& spec);

// The seed of a randomized test: PATCHJIT_SEED if set, else a fresh one; printed either way
// by the caller so a failure can be replayed.
uint64_t test_seed();

// A count scaled by PATCHJIT_TEST_SCALE (default 1; sanitizer and nightly runs change it).
int64_t scaled(int64_t count);

}  // namespace pj::testing
