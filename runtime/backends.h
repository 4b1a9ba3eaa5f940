// The ways to run a signature, each built on request: the candidates of the selection policy
// (runtime/selection.h). A build that fails says why, by its code:
//   kUnimplemented       the backend cannot run here (not built, no CPU support, capped off,
//                        executable memory refused, its plugin missing)
//   kResourceExhausted   this kernel is too large or too irregular for the backend
//   anything else        an error
#pragma once

#include <memory>
#include <string>

#include "codegen/plan/geometry.h"
#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"
#include "codegen/xbyak/isa.h"
#include "runtime/executor.h"

namespace pj {

struct Candidate {
  Backend backend = Backend::kInterp;
  Isa isa = Isa::kNone;        // xbyak: the instruction set
  bool smallest_code = false;  // JIT backends: every block, gather and long run a loop
  bool aot = false;            // a registered ahead-of-time kernel (backend llvm made it)
  // Built by jit() only: this candidate is the non-temporal twin of a JIT kernel
  // (Executor::streaming), which is cached with it; the selection never lists one.
  bool nontemporal = false;

  // "xbyak avx512", "xbyak avx512 with loops", "llvm", "ahead-of-time", "interp", "reference"
  std::string name() const;
};

Expected<std::shared_ptr<const Executor>> build(const Candidate& candidate, const Geometry& geometry);

// The plan a JIT backend compiles: its `options` with the candidate's stores and loops. A generic
// plan (more regions than the backend specializes) is kResourceExhausted.
Expected<std::shared_ptr<const Plan>> jit_plan(const Geometry& geometry, PlanOptions options, bool nontemporal,
                                               bool smallest_code);

}  // namespace pj
