// The entry point of libpatchjit_llvm.so: the process's LLVM session behind a table of functions.
#include "jit/llvm_plugin.h"

#include "jit/jit_events.h"

namespace pj {
namespace {

Status start() {
  Expected<LlvmSession*> session = llvm_session();
  return session.ok() ? Status::Ok() : session.status();
}

PlanOptions plan_options() { return (*llvm_session())->plan_options(); }

std::string target() { return (*llvm_session())->describe(); }

// Announced to profilers and debuggers (jit/jit_events.h) once compiled.
Expected<std::shared_ptr<const LlvmKernel>> announced(Expected<std::shared_ptr<const LlvmKernel>> kernel) {
  if (kernel.ok()) announce_code((*kernel)->bytes().data(), (*kernel)->bytes().size(), (*kernel)->name());
  return kernel;
}

Expected<std::shared_ptr<const LlvmKernel>> compile(const Plan& plan) {
  Expected<LlvmSession*> session = llvm_session();
  if (!session.ok()) return session.status();
  return announced((*session)->compile(plan));
}

Expected<std::shared_ptr<const LlvmKernel>> compile_fold(const FoldPlan& plan, int64_t max_code_bytes) {
  Expected<LlvmSession*> session = llvm_session();
  if (!session.ok()) return session.status();
  return announced((*session)->compile_fold(plan, max_code_bytes));
}

constexpr LlvmPlugin kPlugin{kPluginBuildId, &start, &plan_options, &target, &compile, &compile_fold};

}  // namespace
}  // namespace pj

extern "C" __attribute__((visibility("default"))) const void* pj_llvm_plugin() { return &pj::kPlugin; }
