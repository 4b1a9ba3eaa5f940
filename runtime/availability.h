// What this build, CPU and process can run: the ISA the JIT targets (the CPU's, capped by
// PATCHJIT_MAX_ISA or pj_set_max_isa), and whether each backend is available, or why not.
#pragma once

#include "codegen/plan/status.h"
#include "codegen/xbyak/isa.h"
#include "runtime/executor.h"

namespace pj {

// The best ISA of this CPU for the Xbyak emitter (kNone when Xbyak is not built or the CPU lacks
// AVX2).
Isa detected_isa();
// The cap: PATCHJIT_MAX_ISA=none|avx2|avx512 at first use, or set_isa_cap. Default: no cap.
Isa isa_cap();
void set_isa_cap(Isa cap);
// min(detected, cap): what the JIT targets. Read it once per kernel: a concurrent set_isa_cap
// may change it between two reads.
Isa jit_isa();

// Ok when `backend` can run here (with `isa` for xbyak), else kUnimplemented saying why.
Status backend_status(Backend backend, Isa isa);
inline Status backend_status(Backend backend) { return backend_status(backend, jit_isa()); }

// After the system refused executable memory, `auto` stops trying the JIT; the reason stays
// readable through backend_status.
void record_jit_refusal(const Status& why);
bool jit_refused();

// Ok when backend llvm is built and its JIT session starts (at the first call), else why not
// (runtime/llvm_backend.cc).
Status llvm_backend_status();

}  // namespace pj
