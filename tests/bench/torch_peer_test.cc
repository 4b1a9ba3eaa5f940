// torch's unfold peer (bench/peers/torch) computes the torch format: byte for byte against the
// golden loops on random signatures of every dtype torch's unfold has (the others refused), SAME (asymmetric pads go
// through F.pad), VALID and explicit pads, strides and rates, into a poisoned output. Skipped, saying so, where the
// build has no libtorch; where CMake built the plugin it must load.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "bench/harness/candidates.h"
#include "bench/peers/torch/torch_unfold.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

// torch 1.13's im2col: floating and complex types.
bool torch_has(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kHalf || t == DType::kBFloat16 ||
         t == DType::kComplex64 || t == DType::kComplex128;
}

TEST(TorchPeer, MatchesTheGoldenLoopsOnRandomSignatures) {
  const uint64_t seed = testing::test_seed();
  SCOPED_TRACE("PATCHJIT_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::RandomSpecOptions options;
  options.empty_fraction = 0;
  options.strided_fraction = 0;
  options.pad_value_fraction = 0;
  options.format_fraction = 0;  // NHWC shapes, reordered to NCHW below
  int asymmetric = 0, refused = 0;
  for (int i = 0; i < 60; ++i) {
    Spec spec = testing::random_spec(rng, options);
    spec.format = kTorchFormat;
    spec.image_shape = {spec.image_shape[0], spec.image_shape[3], spec.image_shape[1], spec.image_shape[2]};
    const Expected<Geometry> g = make_geometry(spec);
    if (!g.ok() || g->empty()) continue;  // torch refuses empty outputs; the harness times none
    SCOPED_TRACE(testing::describe(spec));
    ASSERT_TRUE(torch_unfold_applies(*g));
    bench::AlignedBuffer input(g->input_bytes()), output(g->output_bytes());
    const std::vector<uint8_t> data = testing::random_bytes(rng, g->input_bytes());
    std::memcpy(input.data(), data.data(), data.size());
    const testing::ExpectedOutput want = testing::expected_output(*g, input.data(), rng);
    std::string error;
    std::unique_ptr<TorchUnfold> unfold = make_torch_unfold(*g, input.data(), output.data(), &error);
    if (!unfold && !PJ_TEST_HAVE_TORCH_PEER && error.find(kTorchPeerFile) != std::string::npos) {
      GTEST_SKIP() << "the torch peer is not built (Debian libtorch-dev): " << error;
    }
    if (!torch_has(g->dtype)) {  // no torch dtype: refused, saying which
      ASSERT_FALSE(unfold);
      EXPECT_NE(error.find(std::string(dtype_name(g->dtype))), std::string::npos) << error;
      ++refused;
      continue;
    }
    ASSERT_TRUE(unfold) << error;
    asymmetric += g->rows.pad_before != g->rows.pad_after || g->cols.pad_before != g->cols.pad_after;
    std::memcpy(output.data(), want.poison.data(), want.poison.size());  // make() ran it once already
    unfold->run();
    ASSERT_EQ(std::memcmp(output.data(), want.expected.data(), want.expected.size()), 0);
  }
  EXPECT_GT(asymmetric, 0);
  EXPECT_GT(refused, 0);
  // Not the torch format, or not zero padding: refused before the plugin is asked.
  Spec tf;
  tf.image_shape = {1, 4, 4, 2};
  std::string error;
  uint8_t in[64], out[2048];
  EXPECT_FALSE(make_torch_unfold(*make_geometry(tf), in, out, &error));
  EXPECT_NE(error.find("torch format with zero padding only"), std::string::npos) << error;
}

}  // namespace
}  // namespace pj
