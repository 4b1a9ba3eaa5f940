// What this CPU runs, read in one place: the PJ_AOT_FEATURE_* bits of pj_aot_host_features()
// (include/patchjit/patchjit_aot.h: CPUID, and XGETBV for the register state the operating
// system saves). The Xbyak ISA, the llvm JIT's vectors and features, ahead-of-time `--cpu
// native` and the AOT registry all follow these bits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/plan/cost_model.h"
#include "codegen/xbyak/isa.h"

namespace pj {

// The host's feature bits (read once).
uint64_t host_features();

// The best Isa a CPU with `features` runs: kAvx512 needs AVX-512 F, BW, VL and VBMI; kAvx2 AVX2.
Isa isa_of(uint64_t features);

// isa_of(host_features()).
Isa host_isa();

// Whether `features` has the feature LLVM calls `name` ("avx2"); false for names not tracked.
bool has_feature(uint64_t features, const std::string& name);

// The bits as LLVM's feature list, "+avx2" for each set one and "-name" for each tracked one
// that is not: the features the llvm JIT and `patchjit aot --cpu native` compile for.
std::vector<std::string> llvm_feature_list(uint64_t features);

// The host's caches and vendor, as the cost model takes them (codegen/plan/cost_model.h): from
// CPUID's deterministic cache parameters (leaf 4 on Intel, 0x8000001D on AMD), read once.
MachineModel host_machine();

// The bits that `cap` leaves usable: every AVX-512 bit withheld under kAvx2, every AVX bit
// under kNone.
uint64_t features_under(uint64_t features, Isa cap);

}  // namespace pj
