#include "jit/cpu.h"

#include <cpuid.h>

#include <cstring>
#include <string_view>

#include "patchjit/patchjit_aot.h"

namespace pj {
namespace {

uint64_t bit(int feature) { return uint64_t{1} << feature; }

// The size of each cache CPUID `leaf` describes (subleaf by subleaf until a null entry) at
// `level`: data or unified caches only.
int64_t cache_bytes(unsigned leaf, unsigned level) {
  for (unsigned sub = 0; sub < 16; ++sub) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(leaf, sub, &a, &b, &c, &d)) return 0;
    const unsigned type = a & 0x1F;
    if (type == 0) return 0;
    if (type == 2 || ((a >> 5) & 7) != level) continue;  // 2: instruction cache
    const int64_t ways = ((b >> 22) & 0x3FF) + 1, partitions = ((b >> 12) & 0x3FF) + 1, line = (b & 0xFFF) + 1;
    return ways * partitions * line * (int64_t{c} + 1);
  }
  return 0;
}

MachineModel read_machine() {
  unsigned a = 0, vendor[3] = {};
  if (!__get_cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1])) return {};
  char name[13] = {};
  std::memcpy(name, vendor, 12);
  const bool amd = std::strcmp(name, "AuthenticAMD") == 0 || std::strcmp(name, "HygonGenuine") == 0;
  // AMD describes its caches in leaf 0x8000001D (with the topology extensions), Intel in leaf 4.
  unsigned leaf = 4;
  if (amd) {
    unsigned b = 0, c = 0, d = 0;
    if (__get_cpuid_max(0x80000000, nullptr) < 0x8000001D || !__get_cpuid(0x80000001, &a, &b, &c, &d) ||
        !(c & (1u << 22))) {
      return {};
    }
    leaf = 0x8000001D;
  } else if (a < 4) {
    return {};
  }
  MachineModel m;
  m.l2_bytes = cache_bytes(leaf, 2);
  m.l3_bytes = cache_bytes(leaf, 3);
  m.l3_faster_than_memory = amd;
  return m;
}

}  // namespace

uint64_t host_features() {
  static const uint64_t features = pj_aot_host_features();
  return features;
}

MachineModel host_machine() {
  static const MachineModel machine = read_machine();
  return machine;
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
