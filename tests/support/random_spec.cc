#include "tests/support/random_spec.h"

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

bool chance(std::mt19937_64& rng, double p) { return std::bernoulli_distribution(p)(rng); }

// Strides with gaps: each a little more than the dense one (0 keeps it dense).
void strided(std::mt19937_64& rng, Spec* spec, const Geometry& g) {
  const bool nhwc = spec->format.layout == Layout::kNhwc;
  const int64_t inner = nhwc ? g.depth : g.cols.in;
  const int64_t a = inner + uniform(rng, 0, 3);                               // nhwc pixel / nchw row
  const int64_t b = (nhwc ? g.cols.in : g.rows.in) * a + uniform(rng, 0, 5);  // nhwc row / nchw channel
  const int64_t c = (nhwc ? g.rows.in : g.depth) * b + uniform(rng, 0, 7);    // image
  spec->image_strides = {chance(rng, 0.7) ? c : 0, chance(rng, 0.7) ? b : 0, chance(rng, 0.7) ? a : 0};
  if (nhwc && spec->image_strides[2] == 0) spec->image_strides[1] = chance(rng, 0.5) ? spec->image_strides[1] : 0;
  const bool rows = spec->format.patches == PatchesAs::kRows;
  const int64_t ld = (rows ? g.patch_depth : g.positions) + uniform(rng, 0, 5);
  const int64_t image = (rows ? g.positions : g.patch_depth) * ld + uniform(rng, 0, 9);
  if (chance(rng, 0.6)) spec->patch_strides = {ld, chance(rng, 0.5) ? image : 0};
}

}  // namespace

Spec random_spec(std::mt19937_64& rng, const RandomSpecOptions& o) {
  for (;;) {
    Spec spec;
    spec.dtype = static_cast<DType>(uniform(rng, 0, kNumDTypes - 1));
    spec.padding = uniform(rng, 0, 1) ? Padding::kValid : Padding::kSame;
    if (chance(rng, o.format_fraction)) {
      spec.format = {static_cast<Layout>(uniform(rng, 0, 1)), static_cast<PatchOrder>(uniform(rng, 0, 1)),
                     static_cast<PatchesAs>(uniform(rng, 0, 1))};
    }
    const Vec4 nhwc = {skewed(rng, 1, 3), skewed(rng, 1, o.max_input_dim), skewed(rng, 1, o.max_input_dim),
                       skewed(rng, 1, o.max_depth)};
    Vec4 shape = nhwc;
    spec.ksizes = {1, skewed(rng, 1, o.max_ksize), skewed(rng, 1, o.max_ksize), 1};
    spec.strides = {1, skewed(rng, 1, o.max_stride), skewed(rng, 1, o.max_stride), 1};
    spec.rates = {1, skewed(rng, 1, o.max_rate), skewed(rng, 1, o.max_rate), 1};
    if (chance(rng, o.wide_dilated_fraction)) {
      shape[2] = uniform(rng, 16, 96);
      shape[3] = uniform(rng, 1, 2);
      spec.rates[2] = uniform(rng, 2, 3);
    }
    if (chance(rng, o.empty_fraction)) shape[uniform(rng, 0, 3)] = 0;
    spec.image_shape = spec.format.layout == Layout::kNhwc ? shape : Vec4{shape[0], shape[3], shape[1], shape[2]};
    if (chance(rng, o.explicit_fraction)) {
      spec.padding = Padding::kExplicit;
      for (int i = 0; i < 4; ++i) spec.pads[i] = skewed(rng, 0, 4);
    }
    if (chance(rng, o.pad_value_fraction)) {
      for (uint8_t& byte : spec.pad_value) byte = static_cast<uint8_t>(rng());
    }
    Expected<Geometry> g = make_geometry(spec);
    if (!g.ok()) continue;
    if (chance(rng, o.strided_fraction) && !g->empty()) {
      strided(rng, &spec, *g);
      g = make_geometry(spec);
      if (!g.ok()) continue;
    }
    if (g->output_bytes() <= o.max_output_bytes && g->input_bytes() <= 4 * o.max_output_bytes) return spec;
  }
}

Spec random_fold_spec(std::mt19937_64& rng, const RandomSpecOptions& o) {
  RandomSpecOptions options = o;
  options.pad_value_fraction = 0;
  for (;;) {
    Spec spec = random_spec(rng, options);
    spec.op = Op::kFold;
    if (spec.dtype == DType::kBool) spec.dtype = DType::kInt8;
    const bool floating_type = spec.dtype == DType::kFloat32 || spec.dtype == DType::kFloat64 ||
                               spec.dtype == DType::kHalf || spec.dtype == DType::kBFloat16 ||
                               spec.dtype == DType::kComplex64 || spec.dtype == DType::kComplex128;
    spec.mode = floating_type && chance(rng, 0.3) ? FoldMode::kMean : FoldMode::kSum;
    if (make_geometry(spec).ok()) return spec;
  }
}

std::vector<uint8_t> random_fold_data(std::mt19937_64& rng, DType dtype, size_t bytes) {
  std::vector<uint8_t> data = random_bytes(rng, bytes);
  // The exponent field's bits, its most significant byte last (little-endian): clear one of
  // them so the exponent is never all ones.
  auto tame = [&](size_t element, size_t part, size_t top_byte, uint8_t bit) {
    for (size_t at = 0; at + element <= data.size(); at += element) {
      for (size_t p = 0; p < element; p += part) data[at + p + top_byte] &= static_cast<uint8_t>(~bit);
    }
  };
  switch (dtype) {
    case DType::kFloat32:
      tame(4, 4, 3, 0x40);
      break;
    case DType::kComplex64:
      tame(8, 4, 3, 0x40);
      break;
    case DType::kFloat64:
      tame(8, 8, 7, 0x40);
      break;
    case DType::kComplex128:
      tame(16, 8, 7, 0x40);
      break;
    case DType::kHalf:
      tame(2, 2, 1, 0x40);
      break;
    case DType::kBFloat16:
      tame(2, 2, 1, 0x40);
      break;
    default:
      break;
  }
  return data;
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
  std::string text =
      cat(dtype_name(s.dtype), " image ", to_string(s.image_shape), " ksizes ", to_string(s.ksizes), " strides ",
          to_string(s.strides), " rates ", to_string(s.rates), " ", padding_name(s.padding));
  if (s.padding == Padding::kExplicit) text += cat(" pads ", to_string(s.pads));
  if (!(s.format == kTfFormat)) {
    text += cat(" format ", layout_name(s.format.layout), "/", order_name(s.format.order), "/",
                patches_name(s.format.patches));
  }
  bool pad = false;
  for (uint8_t b : s.pad_value) pad = pad || b != 0;
  if (pad) text += " pad value set";
  if (s.image_strides != std::array<int64_t, 3>{}) {
    text += cat(" image strides [", s.image_strides[0], ",", s.image_strides[1], ",", s.image_strides[2], "]");
  }
  if (s.patch_strides != std::array<int64_t, 2>{})
    text += cat(" patch strides [", s.patch_strides[0], ",", s.patch_strides[1], "]");
  if (s.op == Op::kFold) text += cat(" fold ", mode_name(s.mode));
  return text;
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
