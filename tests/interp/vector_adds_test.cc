// Fold's vector sums (interp/vector_adds.h) against the element rule of codegen/plan/element_add.h,
// byte for byte: every dtype and instruction set this CPU runs, pixels in xmm and ymm registers,
// of 1 to 2 blocks and more, any count of pixels and taps, gaps between pixels that must stay as
// they were, both buffers against guard pages (a mask one byte too wide faults or shows in a gap).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "codegen/plan/element_add.h"
#include "interp/vector_adds.h"
#include "tests/support/guarded_buffer.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

using testing::GuardedBuffer;

std::vector<Isa> host_isas() {
  std::vector<Isa> isas{Isa::kNone};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c")) isas.push_back(Isa::kAvx2);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("bmi2")) {
    isas.push_back(Isa::kAvx512);
  }
  return isas;
}

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// The bytes of one floating part of an element (complex types: each of re and im), 0 for integers.
int64_t nan_part_bytes(DType dtype) {
  switch (dtype) {
    case DType::kHalf:
    case DType::kBFloat16:
      return 2;
    case DType::kFloat32:
    case DType::kComplex64:
      return 4;
    case DType::kFloat64:
    case DType::kComplex128:
      return 8;
    default:
      return 0;
  }
}

// Whether the `part` bytes at p are a NaN: exponent all ones, fraction not zero (2 bytes: half,
// or bfloat16 with its 8-bit exponent).
bool is_nan_of(const uint8_t* p, int64_t part, bool bfloat16) {
  if (part == 2) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bfloat16 ? (h & 0x7f80) == 0x7f80 && (h & 0x7f) : (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
  }
  if (part == 4) {
    uint32_t f;
    std::memcpy(&f, p, 4);
    return (f & 0x7f800000u) == 0x7f800000u && (f & 0x7fffffu);
  }
  uint64_t d;
  std::memcpy(&d, p, 8);
  return (d & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (d & 0xfffffffffffffull);
}

TEST(VectorAdds, PixelSumsFollowTheElementRule) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  int64_t xmm = 0, ymm = 0, two_blocks = 0, longer = 0, eight_at_once = 0, wild_cases = 0;
  for (int64_t c = 0, cases = testing::scaled(3000); c < cases; ++c) {
    const auto dtype = static_cast<DType>(c % kNumDTypes);
    const std::vector<Isa> isas = host_isas();
    const Isa isa = isas[static_cast<size_t>(uniform(rng, 0, static_cast<int64_t>(isas.size()) - 1))];
    const int64_t e = element_size(dtype);
    // Pixels up to a little over two 64-byte blocks, one case in four up to five, a few pixels
    // and taps (none too).
    const int64_t n = uniform(rng, 1, (uniform(rng, 0, 3) == 3 ? 330 : 140) / e + 2), bytes = n * e;
    const int64_t count = uniform(rng, 0, 19), taps = uniform(rng, 0, 6);
    const int64_t dst_step = bytes + e * uniform(rng, 0, 2) * uniform(rng, 0, 1);
    const int64_t src_step = bytes * uniform(rng, 1, 3) + e * uniform(rng, 0, 3);
    xmm += bytes <= 16, ymm += bytes > 16 && bytes <= 32, two_blocks += bytes > 64 && bytes <= 128;
    longer += bytes > 256, eight_at_once += bytes <= 32 && count >= 9;

    const int64_t src_size = std::max<int64_t>(count, 1) * src_step + 4 * bytes;
    GuardedBuffer src(static_cast<size_t>(src_size), GuardedBuffer::Placement::kEnd);
    // One case in four any bits at all: NaNs (their payloads, the quiet NaN bfloat16 rounds them
    // to) and infinities too.
    const bool wild = uniform(rng, 0, 3) == 0;
    wild_cases += wild;
    const std::vector<uint8_t> data =
        wild ? testing::random_bytes(rng, src.size()) : testing::random_fold_data(rng, dtype, src.size());
    std::memcpy(src.data(), data.data(), data.size());
    // The last pixel's runs end anywhere up to the source's last byte.
    const int64_t reach = count == 0 ? 0 : (count - 1) * src_step + bytes;
    std::vector<int64_t> offsets(static_cast<size_t>(taps));
    for (int64_t& o : offsets) o = e * uniform(rng, 0, (src_size - reach) / e);

    const int64_t dst_size = count == 0 ? 0 : (count - 1) * dst_step + bytes;
    GuardedBuffer dst(static_cast<size_t>(dst_size),
                      c % 2 ? GuardedBuffer::Placement::kEnd : GuardedBuffer::Placement::kStart);
    std::vector<uint8_t> want(static_cast<size_t>(dst_size));
    for (uint8_t& b : want) b = static_cast<uint8_t>(rng());
    if (dst_size > 0) std::memcpy(dst.data(), want.data(), want.size());
    with_element(dtype, [&](auto tag) {
      using E = typename decltype(tag)::type;
      using S = typename E::Storage;
      for (int64_t m = 0; m < count; ++m) {
        for (int64_t x = 0; x < n; ++x) {
          S acc{};
          for (int64_t t = 0; t < taps; ++t) {
            S v;
            std::memcpy(&v, src.data() + m * src_step + offsets[static_cast<size_t>(t)] + x * e, sizeof v);
            acc = E::add(acc, v);
          }
          std::memcpy(want.data() + m * dst_step + x * e, &acc, sizeof acc);
        }
      }
    });
    sum_pixels(dtype, isa)(dst.data(), dst_step, src.data(), offsets.data(), taps, src_step, count, n);
    const int64_t part = nan_part_bytes(dtype);
    for (int64_t i = 0; i < dst_size; ++i) {
      // NaN payloads aside, which IEEE does not fix (docs/SEMANTICS.md §12): a NaN for a NaN.
      const int64_t r = i % dst_step, at = i - r % std::max<int64_t>(part, 1);
      const bool bf16 = dtype == DType::kBFloat16;
      if (part > 0 && r < bytes && is_nan_of(dst.data() + at, part, bf16) && is_nan_of(want.data() + at, part, bf16)) {
        continue;
      }
      ASSERT_EQ(dst.data()[i], want[static_cast<size_t>(i)])
          << "seed " << seed << ": " << dtype_name(dtype) << " " << isa_name(isa) << ", " << n << " elements, " << count
          << " pixels " << dst_step << " bytes apart, " << taps << " taps: byte " << i << " (pixel " << i / dst_step
          << ")";
    }
  }
  EXPECT_GT(xmm, 0);
  EXPECT_GT(ymm, 0);
  EXPECT_GT(eight_at_once, 0);
  EXPECT_GT(wild_cases, 0);
  EXPECT_GT(two_blocks, 0);
  EXPECT_GT(longer, 0);
}

// Strided stores: every element at its step, the bytes between them as they were (the vector
// paths of every other 4- and 8-byte element store under masks), the destination against a
// guard page, every size, steps of 1 to 3 elements and some bytes more, any count.
TEST(VectorAdds, StridedStoresWriteTheElementsOnly) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  int64_t every_other = 0;
  for (Isa isa : host_isas()) {
    for (int64_t round = 0; round < testing::scaled(300); ++round) {
      const int64_t size = int64_t{1} << uniform(rng, 0, 4);
      const int64_t n = uniform(rng, 0, 40);
      const int64_t step = rng() % 2 ? 2 * size : size * uniform(rng, 1, 3) + uniform(rng, 0, 3);
      every_other += step == 2 * size && (size == 4 || size == 8) && n >= 8;
      const int64_t bytes = n == 0 ? 0 : (n - 1) * step + size;
      GuardedBuffer dst(static_cast<size_t>(bytes), GuardedBuffer::Placement::kEnd);
      const std::vector<uint8_t> before = testing::random_bytes(rng, static_cast<size_t>(bytes));
      const std::vector<uint8_t> src = testing::random_bytes(rng, static_cast<size_t>(n * size));
      if (bytes > 0) std::memcpy(dst.data(), before.data(), before.size());
      std::vector<uint8_t> want = before;
      for (int64_t m = 0; m < n; ++m) std::memcpy(want.data() + m * step, src.data() + m * size, size);
      store_strided(isa)(dst.data(), step, src.data(), n, size);
      for (int64_t i = 0; i < bytes; ++i) {
        ASSERT_EQ(dst.data()[i], want[static_cast<size_t>(i)])
            << "seed " << seed << ": " << isa_name(isa) << ", " << n << " elements of " << size << " bytes, " << step
            << " apart: byte " << i;
      }
    }
  }
  EXPECT_GT(every_other, 0);
}

}  // namespace
}  // namespace pj
