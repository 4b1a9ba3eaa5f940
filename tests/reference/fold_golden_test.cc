// Fold's golden loops against what they claim (docs/SEMANTICS.md §12): TensorFlow's gradient
// algorithm written plainly here (array_grad.py: an index image through extract, then an ordered
// unsorted_segment_sum) with Eigen's own half and bfloat16 doing the adds; the round trip
// fold(extract(x)) = x times its coverage in every format; the element adds against Eigen.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <complex>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "codegen/plan/element_add.h"
#include "codegen/plan/geometry.h"
#include "reference/compare.h"
#include "reference/golden.h"
#include "tests/support/random_spec.h"

#if PJ_TEST_HAVE_EIGEN
#include <Eigen/Core>
#endif

namespace pj {
namespace {

using testing::random_fold_data;
using testing::random_fold_spec;

#if PJ_TEST_HAVE_EIGEN
// What TensorFlow's CPU kernels add with: Eigen's half and bfloat16, std::complex, the
// integers (as their unsigned twins, so that wrapping is defined).
template <typename F>
decltype(auto) with_tf_type(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(float{});
    case DType::kFloat64:
      return f(double{});
    case DType::kHalf:
      return f(Eigen::half{});
    case DType::kBFloat16:
      return f(Eigen::bfloat16{});
    case DType::kComplex64:
      return f(std::complex<float>{});
    case DType::kComplex128:
      return f(std::complex<double>{});
    case DType::kInt16:
    case DType::kUInt16:
      return f(uint16_t{});
    case DType::kInt32:
    case DType::kUInt32:
      return f(uint32_t{});
    case DType::kInt64:
    case DType::kUInt64:
      return f(uint64_t{});
    default:
      return f(uint8_t{});
  }
}

// TensorFlow's _ExtractImagePatchesGrad for the tf format, batch by batch as it transposes:
// idx = extract(range(1, H*W + 1) as float32 [1, H, W, 1]) - 1 (padding: -1), then for each row
// (oh, ow, i, j) of grad in order, image[idx] += row (B*C elements).
template <typename T>
std::vector<uint8_t> tf_gradient(const Geometry& g, const std::vector<uint8_t>& patches) {
  Spec index_spec;
  index_spec.dtype = DType::kFloat32;
  index_spec.image_shape = {1, g.rows.in, g.cols.in, 1};
  index_spec.ksizes = {1, g.rows.ksize, g.cols.ksize, 1};
  index_spec.strides = {1, g.rows.stride, g.cols.stride, 1};
  index_spec.rates = {1, g.rows.rate, g.cols.rate, 1};
  index_spec.padding = g.padding;
  if (g.padding == Padding::kExplicit)
    index_spec.pads = {g.rows.pad_before, g.rows.pad_after, g.cols.pad_before, g.cols.pad_after};
  const Geometry ig = *make_geometry(index_spec);
  std::vector<float> index_image(static_cast<size_t>(g.rows.in * g.cols.in));
  for (size_t i = 0; i < index_image.size(); ++i) index_image[i] = static_cast<float>(i + 1);
  std::vector<float> idx(static_cast<size_t>(ig.patches_bytes / 4));
  golden_extract(ig, index_image.data(), idx.data());

  const int64_t B = g.batch, C = g.depth, taps = g.rows.ksize * g.cols.ksize;
  std::vector<T> sums(static_cast<size_t>(g.rows.in * g.cols.in * B * C), T(0));
  for (int64_t row = 0; row < g.positions * taps; ++row) {  // (oh, ow, i, j)
    const int64_t segment = static_cast<int64_t>(idx[static_cast<size_t>(row)]) - 1;
    if (segment < 0) continue;
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t c = 0; c < C; ++c) {
        T value;
        std::memcpy(&value, patches.data() + ((b * g.positions * taps + row) * C + c) * sizeof(T), sizeof(T));
        T& sum = sums[static_cast<size_t>((segment * B + b) * C + c)];
        sum = static_cast<T>(sum + value);
      }
    }
  }
  std::vector<uint8_t> image(static_cast<size_t>(g.image_bytes));
  for (int64_t p = 0; p < g.rows.in * g.cols.in && C > 0; ++p) {  // no channels: nothing (and no buffers)
    for (int64_t b = 0; b < B; ++b) {
      std::memcpy(image.data() + ((b * g.rows.in * g.cols.in + p) * C) * sizeof(T),
                  &sums[static_cast<size_t>((p * B + b) * C)], static_cast<size_t>(C) * sizeof(T));
    }
  }
  return image;
}

TEST(FoldGolden, EqualsTensorFlowsGradientAlgorithm) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  testing::RandomSpecOptions options = testing::tf_only();
  options.max_output_bytes = 1 << 15;
  int checked[kNumDTypes] = {};
  // The types whose rounding matters most come first, so that a scaled-down run covers them too.
  const DType kFirst[] = {DType::kFloat32, DType::kHalf, DType::kBFloat16, DType::kComplex64, DType::kInt32};
  for (int64_t n = 0, count = std::max<int64_t>(testing::scaled(400), 10); n < count; ++n) {
    Spec spec = random_fold_spec(rng, options);
    spec.mode = FoldMode::kSum;
    if (n < 5) spec.dtype = kFirst[n];
    const Geometry g = *make_geometry(spec);
    const std::vector<uint8_t> patches = random_fold_data(rng, g.dtype, static_cast<size_t>(g.patches_bytes));
    std::vector<uint8_t> got(static_cast<size_t>(g.image_bytes), 0xA5);
    golden_fold(g, patches.data(), got.data());
    const std::vector<uint8_t> want =
        with_tf_type(g.dtype, [&](auto t) { return tf_gradient<decltype(t)>(g, patches); });
    const auto m = first_mismatch(g, want.data(), got.data());
    ASSERT_FALSE(m) << "seed " << seed << ": " << testing::describe(spec) << ": "
                    << describe(g, *m, want.data(), got.data());
    ++checked[static_cast<int>(g.dtype)];
  }
  for (DType d : kFirst) {
    EXPECT_GT(checked[static_cast<int>(d)], 0) << dtype_name(d);
  }
}

// float_to_half and float_to_bfloat16 against Eigen's conversions, and the adds and divisions
// against Eigen's operators, on every half and bfloat16 value and random partners.
TEST(ElementAdd, HalfAndBFloat16RoundAsEigen) {
  std::mt19937_64 rng(testing::test_seed());
  for (uint32_t a = 0; a < 0x10000; ++a) {
    const auto ha = std::bit_cast<Eigen::half>(static_cast<uint16_t>(a));
    const auto ba = std::bit_cast<Eigen::bfloat16>(static_cast<uint16_t>(a));
    ASSERT_EQ(float_bits(half_to_float(static_cast<uint16_t>(a))), float_bits(static_cast<float>(ha))) << a;
    for (int r = 0; r < 8; ++r) {
      const auto b = static_cast<uint16_t>(rng());
      const auto hb = std::bit_cast<Eigen::half>(b);
      const auto bb = std::bit_cast<Eigen::bfloat16>(b);
      const Eigen::half hs = ha + hb;
      const Eigen::bfloat16 bs = ba + bb;
      if (!Eigen::numext::isnan(hs)) {
        ASSERT_EQ(HalfElement::add(static_cast<uint16_t>(a), b), std::bit_cast<uint16_t>(hs)) << a << " + " << b;
      }
      if (!Eigen::numext::isnan(bs)) {
        ASSERT_EQ(BFloat16Element::add(static_cast<uint16_t>(a), b), std::bit_cast<uint16_t>(bs)) << a << " + " << b;
      }
      const int64_t n = 2 + static_cast<int64_t>(rng() % 50);
      const Eigen::half hq = ha / Eigen::half(static_cast<float>(n));
      if (!Eigen::numext::isnan(hq)) {
        ASSERT_EQ(HalfElement::divide(static_cast<uint16_t>(a), n), std::bit_cast<uint16_t>(hq)) << a << " / " << n;
      }
    }
    // Random floats near this half's magnitude, including the ties between halves.
    const float f = bits_float(static_cast<uint32_t>(rng())), near = static_cast<float>(ha) * (1.0f + 0x1p-11f);
    for (float x : {f, near}) {
      if (std::isnan(x)) continue;
      ASSERT_EQ(float_to_half(x), std::bit_cast<uint16_t>(Eigen::half(x))) << x;
      ASSERT_EQ(float_to_bfloat16(x), std::bit_cast<uint16_t>(Eigen::bfloat16(x))) << x;
    }
  }
}
#endif  // PJ_TEST_HAVE_EIGEN

// NaN rounds to a quiet NaN of the same sign; the edges of half's range round as IEEE says.
TEST(ElementAdd, EdgesOfHalf) {
  EXPECT_EQ(float_to_half(bits_float(0x7fc00001u)), 0x7e00u);
  EXPECT_EQ(float_to_half(bits_float(0xffc00000u)), 0xfe00u);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bffu);
  EXPECT_EQ(float_to_half(65519.99f), 0x7bffu);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00u);  // the tie rounds to even: infinity
  EXPECT_EQ(float_to_half(0x1p-24f), 0x0001u);
  EXPECT_EQ(float_to_half(0x1p-25f), 0x0000u);  // the tie with 0 rounds to even: 0
  EXPECT_EQ(float_to_half(0x1.8p-24f), 0x0002u);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000u);
  EXPECT_EQ(float_to_bfloat16(bits_float(0x3f808000u)), 0x3f80u);  // tie, even below
  EXPECT_EQ(float_to_bfloat16(bits_float(0x3f818000u)), 0x3f82u);  // tie, even above
  EXPECT_EQ(WrappingElement<uint8_t>::add(200, 100), 44);
}

// How many (output index, kernel index) pairs of `axis` read coordinate x.
int64_t coverage(const Axis& axis, int64_t x) {
  int64_t n = 0;
  for (int64_t o = 0; o < axis.out; ++o) {
    for (int64_t k = 0; k < axis.ksize; ++k) n += o * axis.stride - axis.pad_before + k * axis.rate == x;
  }
  return n;
}

// Every format, stride and padding: fold(extract(x)) is x times the number of patch elements
// extract copied it to (int32, wrapping; exact).
TEST(FoldGolden, RoundTripIsCoverageTimesImage) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  testing::RandomSpecOptions options;
  options.pad_value_fraction = 0;
  for (int64_t n = 0, count = testing::scaled(300); n < count; ++n) {
    Spec spec = testing::random_spec(rng, options);
    spec.dtype = DType::kInt32;
    const Geometry forward = *make_geometry(spec);
    spec.op = Op::kFold;
    const Geometry back = *make_geometry(spec);
    std::vector<uint8_t> image = testing::random_bytes(rng, static_cast<size_t>(forward.image_bytes));
    std::vector<uint8_t> patches = testing::random_bytes(rng, static_cast<size_t>(forward.patches_bytes));
    golden_extract(forward, image.data(), patches.data());
    std::vector<uint8_t> folded = image;  // the gaps of a strided image as they were
    golden_fold(back, patches.data(), folded.data());
    std::vector<uint8_t> want = image;
    const ImageSteps& s = forward.image_steps;
    for (int64_t b = 0; b < forward.batch; ++b) {
      for (int64_t h = 0; h < forward.rows.in; ++h) {
        for (int64_t w = 0; w < forward.cols.in; ++w) {
          const int64_t cover = coverage(forward.rows, h) * coverage(forward.cols, w);
          for (int64_t c = 0; c < forward.depth; ++c) {
            uint32_t x;
            uint8_t* at = want.data() + b * s.image + h * s.row + w * s.pixel + c * s.channel;
            std::memcpy(&x, at, 4);
            x *= static_cast<uint32_t>(cover);
            std::memcpy(at, &x, 4);
          }
        }
      }
    }
    ASSERT_EQ(want, folded) << "seed " << seed << ": " << testing::describe(spec);
  }
}

}  // namespace
}  // namespace pj
