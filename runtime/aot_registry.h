// Ahead-of-time kernels the program registered (pj_register_aot_kernels): checked when they are
// registered, and served by pj_kernel_create before it compiles anything, when this CPU has
// every feature a kernel was compiled for. They are plain functions: no LLVM needed here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"
#include "patchjit/patchjit_aot.h"

namespace pj {

// Checks every entry (ABI version, a valid signature whose output matches the entry's, a
// function) and registers all of them, or none with the first problem. Thread-safe.
Status register_aot_kernels(const pj_aot_kernel* kernels, size_t count);

// The registered kernel for `geometry` (batch aside) that this CPU can run; null if there is
// none. Among several, the one needing the most features (the most specific to this CPU); the
// first registered of equals. Thread-safe; entries live as long as the process.
const pj_aot_kernel* find_aot_kernel(const Geometry& geometry);

// Whether any table was registered (a lock-free check: most processes register none).
bool aot_kernels_registered();

// The PJ_AOT_FEATURE_* bits kernels may use here: this CPU's, less what the ISA cap
// (PATCHJIT_MAX_ISA, pj_set_max_isa) withholds: AVX-512 under avx2, every AVX under none.
uint64_t aot_usable_features();

}  // namespace pj
