// Backend llvm: plan -> the LLVM plugin (jit/llvm_plugin.h: LLVM IR, ORC LLJIT) -> a callable
// kernel. The plugin is loaded the first time the backend is used, not when libpatchjit is.

#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "runtime/executor.h"
#include "runtime/limits.h"

#if PATCHJIT_HAVE_LLVM
#include "jit/llvm_plugin.h"
#include "jit/plugin_file.h"
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
    call_kernel(function_, KernelArgs{input, output, row_begin, row_end});
  }
  std::string describe() const override {
    return cat("kernel ", kernel_->name(), ": ", kernel_->bytes().size(), " bytes of machine code (LLVM, ",
               target_, ")\n", to_string(plan_));
  }
  std::span<const uint8_t> code() const override { return kernel_->bytes(); }

 private:
  Plan plan_;
  std::shared_ptr<const LlvmKernel> kernel_;
  std::string target_;
  KernelFunction function_;
};

struct Loaded {
  const LlvmPlugin* plugin = nullptr;
  Status status;
};

Loaded load_plugin() {
  Expected<OpenedPlugin> opened =
      open_plugin(plugin_candidates("libpatchjit_llvm.so", "PATCHJIT_LLVM_PLUGIN", reinterpret_cast<const void*>(&load_plugin)),
                  "pj_llvm_plugin_v1");
  if (!opened.ok()) {
    return {nullptr, Unimplemented("backend llvm cannot run here: its plugin libpatchjit_llvm.so could not be loaded (",
                                   opened.status().message(), ")")};
  }
  auto entry = reinterpret_cast<const LlvmPlugin* (*)()>(opened->entry);
  const LlvmPlugin* plugin = entry ? entry() : nullptr;
  if (plugin == nullptr || plugin->abi != kLlvmPluginAbi) {
    return {nullptr, Unimplemented("backend llvm cannot run here: ", opened->path, " is not the llvm plugin of this patchjit")};
  }
  Status started = plugin->start();
  if (!started.ok()) return {nullptr, Unimplemented("backend llvm cannot run here: ", started.message())};
  return {plugin, Status::Ok()};
}

const Loaded& plugin() {
  static const Loaded loaded = load_plugin();  // thread-safe, once
  return loaded;
}

}  // namespace

Status llvm_backend_status() { return plugin().status; }

Expected<std::shared_ptr<const Executor>> make_llvm_executor(const Geometry& geometry, bool nontemporal) {
  const Loaded& loaded = plugin();
  if (!loaded.status.ok()) return loaded.status;
  PlanOptions options = loaded.plugin->plan_options();
  options.nontemporal = nontemporal;
  // Too large for LLVM to compile in reasonable time, even with loops: the interpreter.
  Expected<Plan> plan = make_plan_within(geometry, options, llvm_code_budget(), "eip_llvm_");
  if (!plan.ok() && plan.status().code() == Code::kResourceExhausted) {
    return make_interp_fallback(geometry, plan.status().message());
  }
  if (!plan.ok()) return plan.status();
  // Signatures too irregular to specialize run the generic loops; the plan says so.
  if (plan->generic) return make_interp_fallback(geometry, cat("more than ", options.max_regions, " regions to specialize"));
  Expected<std::shared_ptr<const LlvmKernel>> kernel = loaded.plugin->compile(*plan);
  if (!kernel.ok()) return kernel.status();
  return std::shared_ptr<const Executor>(
      std::make_shared<LlvmExecutor>(std::move(plan).value(), std::move(kernel).value(), loaded.plugin->target()));
}

#else

Status llvm_backend_status() {
  return Unimplemented("backend llvm is not built into this patchjit (configured without LLVM)");
}

Expected<std::shared_ptr<const Executor>> make_llvm_executor(const Geometry&, bool) { return llvm_backend_status(); }

#endif

}  // namespace pj
