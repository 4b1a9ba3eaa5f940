#include "bench/peers/random_shapes.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>

#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"

namespace pj {
namespace {

using R = RandomRanges;

// mt19937_64's output is fixed by the standard, the distributions are not: draw with plain
// arithmetic so a seed means the same shapes with every standard library.
class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  int64_t in(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1)); }
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1p-53; }
  // log-uniform in [lo, hi]
  double log_uniform(double lo, double hi) { return lo * std::exp(unit() * std::log(hi / lo)); }
  bool one_in(int n) { return in(1, n) == 1; }

 private:
  std::mt19937_64 rng_;
};

DType draw_dtype(Draw& d) {
  static const DType kBySize[5][4] = {
      {DType::kUInt8, DType::kInt8, DType::kBool},
      {DType::kInt16, DType::kUInt16, DType::kHalf, DType::kBFloat16},
      {DType::kFloat32, DType::kInt32, DType::kUInt32},
      {DType::kFloat64, DType::kInt64, DType::kUInt64, DType::kComplex64},
      {DType::kComplex128},
  };
  static const int kCount[5] = {3, 4, 3, 4, 1};
  const int64_t size = d.in(0, 4);
  return kBySize[size][d.in(0, kCount[size] - 1)];
}

// [first, second]: equal two times in three, as most kernels and strides are.
std::pair<int64_t, int64_t> draw_pair(Draw& d, int64_t max) {
  const int64_t a = d.in(1, max);
  return {a, d.one_in(3) ? d.in(1, max) : a};
}

// The input extent giving `out` outputs along an axis.
int64_t input_extent(Draw& d, int64_t out, int64_t ksize, int64_t stride, int64_t rate, Padding padding) {
  if (padding == Padding::kValid) return (out - 1) * stride + (ksize - 1) * rate + 1;
  return d.in((out - 1) * stride + 1, out * stride);  // SAME: out = ceil(in / stride)
}

std::optional<Spec> draw_spec(Draw& d) {
  Spec s;
  s.dtype = draw_dtype(d);
  const int64_t depth = std::clamp<int64_t>(std::llround(d.log_uniform(1, R::kMaxDepth)), 1, R::kMaxDepth);
  const auto [kr, kc] = draw_pair(d, R::kMaxKernel);
  const auto [sr, sc] = draw_pair(d, R::kMaxStride);
  const auto [rr, rc] = draw_pair(d, R::kMaxRate);
  s.padding = d.one_in(2) ? Padding::kSame : Padding::kValid;
  const int64_t batch = d.one_in(2) ? 1 : d.in(2, R::kMaxBatch);
  s.ksizes = {1, kr, kc, 1};
  s.strides = {1, sr, sc, 1};
  s.rates = {1, rr, rc, 1};
  // Output pixels for the drawn output size, in a window of aspect 1:2 to 2:1.
  const double target = d.log_uniform(R::kMinOutputBytes, R::kMaxOutputBytes);
  const double pixels = target / static_cast<double>(batch * kr * kc * depth * element_size(s.dtype));
  if (pixels < 1) return std::nullopt;
  const double aspect = std::exp2(d.unit() * 2 - 1);
  const int64_t out_rows = std::max<int64_t>(1, std::llround(std::sqrt(pixels * aspect)));
  const int64_t out_cols = std::max<int64_t>(1, std::llround(pixels / static_cast<double>(out_rows)));
  s.image_shape = {batch, input_extent(d, out_rows, kr, sr, rr, s.padding),
                   input_extent(d, out_cols, kc, sc, rc, s.padding), depth};
  const Expected<Geometry> g = make_geometry(s);
  if (!g.ok() || g->output_bytes() < R::kMinOutputBytes || g->output_bytes() > R::kMaxOutputBytes ||
      g->input_bytes() > R::kMaxInputBytes) {
    return std::nullopt;
  }
  return s;
}

}  // namespace

std::vector<SuiteShape> random_shapes(int count, uint64_t seed) {
  Draw d(seed);
  std::vector<SuiteShape> shapes;
  while (static_cast<int>(shapes.size()) < count) {
    // Draws out of range are drawn again (a few in a hundred: deep, wide kernels of 16-byte
    // elements need more than 16 MB for one pixel).
    if (std::optional<Spec> s = draw_spec(d)) {
      shapes.push_back({shape_name(*s), *s, cat("random ", shapes.size() + 1, " of seed ", seed)});
    }
  }
  return shapes;
}

}  // namespace pj
