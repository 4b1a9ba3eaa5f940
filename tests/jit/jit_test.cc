// jit/: executable memory (never writable and executable at once) and the one reading of the
// host's CPU features.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "jit/cpu.h"
#include "jit/executable_memory.h"
#include "patchjit/patchjit_aot.h"

namespace pj {
namespace {

TEST(ExecutableMemory, IsNeverWritableAndExecutable) {
  const uint8_t ret = 0xC3;
  Expected<std::shared_ptr<const ExecutableMemory>> memory = ExecutableMemory::create({&ret, 1});
  ASSERT_TRUE(memory.ok());
  // /proc/self/maps shows the page as r-x.
  FILE* maps = std::fopen("/proc/self/maps", "r");
  ASSERT_NE(maps, nullptr);
  char line[512];
  bool found = false;
  const auto address = reinterpret_cast<uintptr_t>((*memory)->code());
  while (std::fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char perms[8];
    if (std::sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && address >= lo && address < hi) {
      EXPECT_STREQ(perms, "r-xp");
      found = true;
    }
  }
  std::fclose(maps);
  EXPECT_TRUE(found);
  call_kernel((*memory)->function(), KernelArgs{});  // runs
}

TEST(ExecutableMemory, RefusalIsAnUnimplementedStatus) {
  const uint8_t ret = 0xC3;
  deny_executable_memory_for_testing(true);
  Expected<std::shared_ptr<const ExecutableMemory>> memory = ExecutableMemory::create({&ret, 1});
  deny_executable_memory_for_testing(false);
  ASSERT_FALSE(memory.ok());
  EXPECT_EQ(memory.status().code(), Code::kUnimplemented);
  EXPECT_NE(memory.status().message().find("refuses executable memory"), std::string::npos);
  EXPECT_TRUE(ExecutableMemory::create({&ret, 1}).ok());
}

// Code that ends a few bytes before a page would: the mapping goes on with int3 for at least 64
// bytes (valgrind's decoder, reading ahead of the kernel's last instructions, faulted there).
TEST(ExecutableMemory, CodeIsFollowedByInt3) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (size_t size : {size_t{1}, page - 18, page - 64, page - 63, page}) {
    std::vector<uint8_t> code(size, 0x90);
    code.back() = 0xC3;
    Expected<std::shared_ptr<const ExecutableMemory>> memory = ExecutableMemory::create(code);
    ASSERT_TRUE(memory.ok());
    const ExecutableMemory& m = **memory;
    ASSERT_GE(m.mapped_size(), size + 64) << size;
    EXPECT_EQ(m.mapped_size() % page, 0u);
    const auto* bytes = static_cast<const uint8_t*>(m.code());
    EXPECT_EQ(std::memcmp(bytes, code.data(), size), 0);
    for (size_t i = size; i < m.mapped_size(); ++i) ASSERT_EQ(bytes[i], 0xCC) << "byte " << i << " of " << size;
  }
}

// One detector: the ISA follows the feature bits, and LLVM's list names every tracked feature.
TEST(Cpu, IsaAndLlvmFeaturesFollowTheBits) {
  const uint64_t bit_avx2 = uint64_t{1} << PJ_AOT_FEATURE_AVX2;
  uint64_t avx512 = bit_avx2;
  for (int f : {PJ_AOT_FEATURE_AVX512F, PJ_AOT_FEATURE_AVX512BW, PJ_AOT_FEATURE_AVX512VL, PJ_AOT_FEATURE_AVX512VBMI}) {
    avx512 |= uint64_t{1} << f;
  }
  EXPECT_EQ(isa_of(0), Isa::kNone);
  EXPECT_EQ(isa_of(bit_avx2), Isa::kAvx2);
  EXPECT_EQ(isa_of(avx512), Isa::kAvx512);
  EXPECT_EQ(isa_of(avx512 & ~(uint64_t{1} << PJ_AOT_FEATURE_AVX512VBMI)), Isa::kAvx2);  // byte permutes needed
  EXPECT_EQ(features_under(avx512, Isa::kAvx2), bit_avx2);
  EXPECT_EQ(features_under(avx512, Isa::kNone), 0u);
  EXPECT_TRUE(has_feature(avx512, "avx512vbmi"));
  EXPECT_FALSE(has_feature(bit_avx2, "avx512f"));
  const std::vector<std::string> list = llvm_feature_list(bit_avx2);
  EXPECT_EQ(static_cast<int>(list.size()), PJ_AOT_FEATURE_COUNT);
  EXPECT_NE(std::find(list.begin(), list.end(), "+avx2"), list.end());
  EXPECT_NE(std::find(list.begin(), list.end(), "-avx512f"), list.end());
  EXPECT_EQ(host_isa(), isa_of(pj_aot_host_features()));
}

// The caches CPUID describes are the ones Linux lists (it reads the same leaves), where it does.
TEST(Cpu, HostCachesAreReadFromCpuid) {
  const MachineModel m = host_machine();
  const auto sysfs = [](int level) -> int64_t {
    for (int i = 0; i < 8; ++i) {
      const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
      std::ifstream level_file(dir + "level"), type_file(dir + "type"), size_file(dir + "size");
      int l = 0;
      std::string type, size;
      if (!(level_file >> l) || !(type_file >> type) || !(size_file >> size)) return -1;
      if (l != level || type == "Instruction") continue;
      const int64_t n = std::atoll(size.c_str());
      return size.back() == 'M' ? n << 20 : size.back() == 'K' ? n << 10 : n;
    }
    return 0;
  };
  const int64_t l2 = sysfs(2), l3 = sysfs(3);
  if (l2 < 0) GTEST_SKIP() << "no cache list in /sys to compare with";
  EXPECT_EQ(m.l2_bytes, l2);
  EXPECT_EQ(m.l3_bytes, l3);
  EXPECT_GT(m.l2_bytes, 0) << "an x86-64 CPU without an L2 in CPUID: the cost model streams from 64 MiB";
}

}  // namespace
}  // namespace pj
