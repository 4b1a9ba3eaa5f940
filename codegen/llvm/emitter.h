// Lowered plan -> LLVM IR: one module holding `void eip_llvm_<signature>(const KernelArgs*)`
// (codegen/plan/kernel_abi.h). Like the Xbyak emitter it only encodes what walk() asks for
// (codegen/lower/walk.h); LLVM then picks registers and instructions for the CPU it compiles
// for. LLVM's types stay out of this header: callers that hold a context include LLVM themselves.
#pragma once

#include <memory>
#include <string>

#include "codegen/lower/lowering.h"
#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace pj {

// What the IR may assume of the target: the widest vector its moves use, whether byte
// permutes of one and two 64-byte sources are instructions (AVX-512 VBMI): pixel groups, and
// whether half converts to and from float in instructions (F16C): fold's half adds.
struct LlvmTarget {
  int vector_bytes = 16;
  bool byte_permutes = false;
  bool f16c = false;
};

// Planner options matching what this emitter does for `target` (vector width).
PlanOptions plan_options_for(const LlvmTarget& target);

// What the emitter offers the walk: moves of up to two vectors, and chunks where it has byte
// permutes (64-byte vectors and VBMI).
Target walk_target(const LlvmTarget& target);

// eip_llvm_<plan.name()>, e.g. eip_llvm_e4_56x56x64_k3x3_s1x1_r1x1_same.
std::string llvm_kernel_name(const Plan& plan);

// Emits the kernel of a non-generic plan into a new module of `context`. The IR never calls a
// library function: every move is an explicit vector (or integer) load and store, and the function
// is marked "no-builtins" so no pass turns its loops or stores back into memcpy or memset.
Expected<std::unique_ptr<llvm::Module>> emit_llvm_ir(const Plan& plan, const LlvmTarget& target,
                                                     llvm::LLVMContext& context);

// The same kernel as function `name` (external linkage) added to `module`, beside whatever it
// already holds: ahead-of-time objects hold many kernels and their table.
Status emit_llvm_kernel(const Plan& plan, const LlvmTarget& target, const std::string& name, llvm::Module& module);

}  // namespace pj
