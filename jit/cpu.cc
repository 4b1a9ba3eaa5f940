#include "jit/cpu.h"

#include <string_view>

#include "patchjit/patchjit_aot.h"

namespace pj {
namespace {

uint64_t bit(int feature) { return uint64_t{1} << feature; }

}  // namespace

uint64_t host_features() {
  static const uint64_t features = pj_aot_host_features();
  return features;
}

Isa isa_of(uint64_t f) {
  const uint64_t avx512 = bit(PJ_AOT_FEATURE_AVX512F) | bit(PJ_AOT_FEATURE_AVX512BW) | bit(PJ_AOT_FEATURE_AVX512VL) |
                          bit(PJ_AOT_FEATURE_AVX512VBMI);
  if ((f & avx512) == avx512) return Isa::kAvx512;
  if (f & bit(PJ_AOT_FEATURE_AVX2)) return Isa::kAvx2;
  return Isa::kNone;
}

Isa host_isa() {
  static const Isa isa = isa_of(host_features());
  return isa;
}

bool has_feature(uint64_t features, const std::string& name) {
  for (int b = 0; b < PJ_AOT_FEATURE_COUNT; ++b) {
    if (name == pj_aot_feature_name(b)) return (features >> b) & 1;
  }
  return false;
}

std::vector<std::string> llvm_feature_list(uint64_t features) {
  std::vector<std::string> list;
  for (int b = 0; b < PJ_AOT_FEATURE_COUNT; ++b) {
    list.push_back(std::string((features >> b) & 1 ? "+" : "-") + pj_aot_feature_name(b));
  }
  return list;
}

uint64_t features_under(uint64_t features, Isa cap) {
  if (cap == Isa::kAvx512) return features;
  uint64_t withheld = 0;
  for (int b = 0; b < PJ_AOT_FEATURE_COUNT; ++b) {
    const std::string_view name = pj_aot_feature_name(b);
    const bool avx512 = name.substr(0, 6) == "avx512" || name == "evex512";
    const bool avx = name.substr(0, 3) == "avx" || name == "fma" || name == "f16c" || name == "vaes" ||
                     name == "vpclmulqdq" || name == "evex512";
    if (avx512 || (cap == Isa::kNone && avx)) withheld |= bit(b);
  }
  return features & ~withheld;
}

}  // namespace pj
