// The Halide peer (bench/peers/halide) computes TensorFlow's op: byte for byte against the golden
// loops on random signatures of every element size, both paddings, strides and rates (both of
// its schedules), into a poisoned output. Skipped, saying so, where the build has no Halide.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "bench/harness/candidates.h"
#include "bench/peers/halide/halide_im2col.h"
#include "reference/golden.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

TEST(HalidePeer, MatchesTheGoldenLoopsOnRandomSignatures) {
  const uint64_t seed = testing::test_seed();
  SCOPED_TRACE("PATCHJIT_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::RandomSpecOptions options = testing::tf_only();
  options.empty_fraction = 0;
  options.max_output_bytes = 1 << 16;  // each shape is a JIT compile of Halide's (~50 ms)
  int rows = 0, taps = 0;
  for (int i = 0; i < 24; ++i) {
    // The first two signatures take one schedule each: column rate 1 ("rows"), then above 1.
    Spec spec = testing::random_spec(rng, options);
    while (i < 2 && (spec.rates[2] == 1) != (i == 0)) spec = testing::random_spec(rng, options);
    SCOPED_TRACE(testing::describe(spec));
    const Expected<Geometry> g = make_geometry(spec);
    ASSERT_TRUE(g.ok()) << g.status().message();
    ASSERT_TRUE(bench::tf_peers_apply(*g));
    bench::AlignedBuffer input(g->input_bytes()), output(g->output_bytes()), expected(g->output_bytes());
    const std::vector<uint8_t> data = testing::random_bytes(rng, g->input_bytes());
    std::memcpy(input.data(), data.data(), data.size());
    golden_extract(*g, input.data(), expected.data());
    for (int64_t b = 0; b < g->output_bytes(); ++b) output.data()[b] = static_cast<uint8_t>(~expected.data()[b]);
    std::string error;
    std::unique_ptr<HalideIm2col> halide = make_halide_im2col(*g, input.data(), output.data(), &error);
    if (!halide && i == 0 && !PJ_TEST_HAVE_HALIDE && error.find(kHalidePeerFile) != std::string::npos) {
      GTEST_SKIP() << "the Halide peer is not built (Debian libhalide14-0-dev): " << error;
    }
    ASSERT_TRUE(halide) << error;
    (halide->schedule().rfind("rows", 0) == 0 ? rows : taps) += 1;
    halide->run();
    ASSERT_EQ(std::memcmp(output.data(), expected.data(), g->output_bytes()), 0) << halide->schedule();
  }
  EXPECT_GT(rows, 0);
  EXPECT_GT(taps, 0);
}

}  // namespace
}  // namespace pj
