// Backend llvm: plan -> LLVM IR -> ORC LLJIT (jit/llvm_session.h) -> a callable kernel.
#include <utility>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "runtime/executor.h"

#if PATCHJIT_HAVE_LLVM
#include "jit/jit_events.h"
#include "jit/llvm_session.h"
#endif

namespace pj {

#if PATCHJIT_HAVE_LLVM
namespace {

class LlvmExecutor final : public Executor {
 public:
  LlvmExecutor(Plan plan, std::shared_ptr<const LlvmKernel> kernel, std::string target)
      : plan_(std::move(plan)), kernel_(std::move(kernel)), target_(std::move(target)),
        function_(kernel_->function()) {}

  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    const KernelArgs args{input, output, row_begin, row_end};
    function_(&args);
  }
  std::string describe() const override {
    return cat("kernel ", kernel_->name(), ": ", kernel_->bytes().size(), " bytes of machine code (LLVM, ",
               target_, ")\n", to_string(plan_));
  }
  std::span<const uint8_t> code() const override { return kernel_->bytes(); }

 private:
  Plan plan_;
  std::shared_ptr<const LlvmKernel> kernel_;  // its code leaves the JIT with the last executor
  std::string target_;
  KernelFunction function_;
};

}  // namespace

Status llvm_backend_status() {
  Expected<LlvmSession*> session = llvm_session();
  if (!session.ok()) return Unimplemented("backend llvm cannot run here: ", session.status().message());
  return Status::Ok();
}

Expected<std::shared_ptr<const Executor>> make_llvm_executor(const Geometry& geometry) {
  Expected<LlvmSession*> session = llvm_session();
  if (!session.ok()) return llvm_backend_status();
  Expected<Plan> plan = make_plan(geometry, (*session)->plan_options());
  if (!plan.ok()) return plan.status();
  // Signatures too irregular to specialize run the generic loops; the plan says so.
  if (plan->generic) return make_interp_executor(geometry);
  Expected<std::shared_ptr<const LlvmKernel>> kernel = (*session)->compile(*plan);
  if (!kernel.ok()) return kernel.status();
  announce_code((*kernel)->bytes().data(), (*kernel)->bytes().size(), (*kernel)->name());
  return std::shared_ptr<const Executor>(
      std::make_shared<LlvmExecutor>(std::move(plan).value(), std::move(kernel).value(), (*session)->describe()));
}

#else

Status llvm_backend_status() {
  return Unimplemented("backend llvm is not built into this patchjit (configured without LLVM)");
}

Expected<std::shared_ptr<const Executor>> make_llvm_executor(const Geometry&) { return llvm_backend_status(); }

#endif

}  // namespace pj
