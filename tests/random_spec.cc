#include "tests/random_spec.h"

#include <cstdlib>
#include <string>

namespace pj::testing {
namespace {

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Small values more often than large ones: half the draws come from the lower quarter.
int64_t skewed(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  if (uniform(rng, 0, 1) == 0) return uniform(rng, lo, lo + (hi - lo) / 4);
  return uniform(rng, lo, hi);
}

}  // namespace

Spec random_spec(std::mt19937_64& rng, const RandomSpecOptions& o) {
  for (;;) {
    Spec spec;
    spec.dtype = static_cast<DType>(uniform(rng, 0, kNumDTypes - 1));
    spec.padding = uniform(rng, 0, 1) ? Padding::kValid : Padding::kSame;
    spec.input_shape = {skewed(rng, 1, 3), skewed(rng, 1, o.max_input_dim),
                        skewed(rng, 1, o.max_input_dim), skewed(rng, 1, o.max_depth)};
    if (std::bernoulli_distribution(o.empty_fraction)(rng)) spec.input_shape[uniform(rng, 0, 3)] = 0;
    spec.ksizes = {1, skewed(rng, 1, o.max_ksize), skewed(rng, 1, o.max_ksize), 1};
    spec.strides = {1, skewed(rng, 1, o.max_stride), skewed(rng, 1, o.max_stride), 1};
    spec.rates = {1, skewed(rng, 1, o.max_rate), skewed(rng, 1, o.max_rate), 1};
    if (std::bernoulli_distribution(o.wide_dilated_fraction)(rng)) {
      spec.input_shape[2] = uniform(rng, 16, 96);
      spec.input_shape[3] = uniform(rng, 1, 2);
      spec.rates[2] = uniform(rng, 2, 3);
    }
    Expected<Geometry> g = make_geometry(spec);
    if (g.ok() && g->output_bytes <= o.max_output_bytes) return spec;
  }
}

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> bytes(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    for (int k = 0; k < 8; ++k) bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  for (; i < n; ++i) bytes[i] = static_cast<uint8_t>(rng());
  return bytes;
}

std::string describe(const Spec& s) {
  return cat(dtype_name(s.dtype), " input ", to_string(s.input_shape), " ksizes ", to_string(s.ksizes),
             " strides ", to_string(s.strides), " rates ", to_string(s.rates), " ",
             padding_name(s.padding));
}

uint64_t test_seed() {
  if (const char* env = std::getenv("PATCHJIT_SEED")) return std::stoull(env);
  return std::random_device{}();
}

int64_t scaled(int64_t count) {
  const char* env = std::getenv("PATCHJIT_TEST_SCALE");
  double scale = env ? std::atof(env) : 1.0;
  int64_t n = static_cast<int64_t>(count * scale);
  return n < 1 ? 1 : n;
}

}  // namespace pj::testing
