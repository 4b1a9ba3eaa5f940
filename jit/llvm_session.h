// The LLVM ORC JIT session: Plan -> LLVM IR (codegen/llvm) -> the O2 pipeline -> machine code for
// this CPU (its name and features), linked by ORC's LLJIT into pages that are read-write while
// linked and read-execute afterwards, never both. LLVM stays behind this header.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "codegen/plan/fold_plan.h"
#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace pj {

// One compiled kernel. Its code stays in the JIT until the last owner lets go.
class LlvmKernel {
 public:
  struct Code;  // the ORC resource tracker that owns the machine code (llvm_session.cc)

  LlvmKernel(std::unique_ptr<Code> code, KernelFunction function, std::span<const uint8_t> bytes, std::string name);
  ~LlvmKernel();  // removes the code from the JIT
  LlvmKernel(const LlvmKernel&) = delete;
  LlvmKernel& operator=(const LlvmKernel&) = delete;

  KernelFunction function() const { return function_; }
  // The function's machine code, as the JIT linked it (readable: the pages are read-execute).
  std::span<const uint8_t> bytes() const { return bytes_; }
  // eip_llvm_<signature>
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<Code> code_;
  KernelFunction function_;
  std::span<const uint8_t> bytes_;
  std::string name_;
};

class LlvmSession {
 public:
  struct Impl;  // the LLJIT and its target machine; shared with the kernels compiled by it

  // A JIT for the host CPU. Fails (kUnimplemented) when LLVM cannot target it.
  static Expected<std::unique_ptr<LlvmSession>> create();
  ~LlvmSession();
  LlvmSession(const LlvmSession&) = delete;
  LlvmSession& operator=(const LlvmSession&) = delete;

  // Planner options matching the vectors this session's kernels use.
  PlanOptions plan_options() const;
  // The target, e.g. "x86_64-pc-linux-gnu znver5, 64-byte vectors".
  std::string describe() const;

  // Compiles a non-generic plan. Safe from several threads at once (compiles take turns).
  Expected<std::shared_ptr<const LlvmKernel>> compile(const Plan& plan);
  // Compiles a fold plan (codegen/llvm/fold_emitter.h says which it serves; the others are
  // kUnimplemented, or kResourceExhausted over kLlvmFoldOperations or `max_code_bytes`).
  Expected<std::shared_ptr<const LlvmKernel>> compile_fold(const FoldPlan& plan, int64_t max_code_bytes);

  // The optimized IR of a plan's kernel, as the JIT would compile it (for inspection).
  Expected<std::string> optimized_ir(const Plan& plan);

  // For tests (internal, not exported): the code ranges linked but not yet handed to a kernel,
  // and a failure injected into the next link after its code is placed.
  size_t pending_code_ranges_for_testing() const;
  void fail_next_link_for_testing();

 private:
  explicit LlvmSession(std::shared_ptr<Impl> impl);
  // A module holding function `name`: optimized, linked, and its code handed to a kernel.
  Expected<std::shared_ptr<const LlvmKernel>> link(std::unique_ptr<llvm::LLVMContext> context,
                                                   std::unique_ptr<llvm::Module> module, const std::string& name);
  std::shared_ptr<Impl> impl_;
};

// The process's session, created at first use (thread-safe) and never destroyed: kernels in the
// kernel cache may outlive main. A failure to create it is kept and returned to every caller.
Expected<LlvmSession*> llvm_session();

}  // namespace pj
