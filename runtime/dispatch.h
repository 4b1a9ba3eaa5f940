// Backend and ISA choice: what this build and CPU can run, the ISA cap, and what `auto` means.
#pragma once

#include "codegen/plan/status.h"
#include "runtime/executor.h"

#include "codegen/xbyak/isa.h"

namespace pj {

// The best ISA of this CPU (kNone when Xbyak is not built or the CPU lacks AVX2).
Isa detected_isa();
// The cap: PATCHJIT_MAX_ISA=none|avx2|avx512 at first use, or set_isa_cap. Default: no cap.
Isa isa_cap();
void set_isa_cap(Isa cap);
// min(detected, cap): what the JIT targets.
Isa jit_isa();

// Ok when `backend` can run here, else kUnimplemented saying why.
Status backend_status(Backend backend);

// After the system refused executable memory, `auto` stops trying the JIT; the reason stays
// readable through backend_status.
void record_jit_refusal(const Status& why);

// xbyak where it can run; llvm where the Xbyak emitter cannot run at all (not built, no AVX2)
// unless the JIT is capped off or executable memory was refused; else interp.
Backend resolve_auto();

}  // namespace pj
