#include "runtime/llvm_backend.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/plan.h"
#include "runtime/availability.h"
#include "runtime/backends.h"
#include "runtime/limits.h"

#if PATCHJIT_HAVE_LLVM
#include "jit/llvm_plugin.h"
#include "jit/plugin_file.h"
#endif

namespace pj {

#if PATCHJIT_HAVE_LLVM
namespace {

struct Loaded {
  const LlvmPlugin* plugin = nullptr;
  Status status;
};

Loaded load_plugin() {
  Expected<OpenedPlugin> opened = open_plugin(
      plugin_candidates("libpatchjit_llvm.so", "PATCHJIT_LLVM_PLUGIN", reinterpret_cast<const void*>(&load_plugin)),
      "pj_llvm_plugin");
  if (!opened.ok()) {
    return {nullptr, Unimplemented("backend llvm cannot run here: its plugin libpatchjit_llvm.so could not be loaded (",
                                   opened.status().message(), ")")};
  }
  const auto* plugin = static_cast<const LlvmPlugin*>(opened->table);
  Status started = plugin->start();
  if (!started.ok()) return {nullptr, Unimplemented("backend llvm cannot run here: ", started.message())};
  return {plugin, Status::Ok()};
}

const Loaded& plugin() {
  static const Loaded loaded = load_plugin();  // thread-safe, once
  return loaded;
}

LlvmCompiled compiled(std::shared_ptr<const LlvmKernel> kernel, const LlvmPlugin& plugin) {
  const LlvmKernel& k = *kernel;
  LlvmCompiled out;
  out.function = k.function();
  out.code = k.bytes();
  out.description =
      cat("kernel ", k.name(), ": ", k.bytes().size(), " bytes of machine code (LLVM, ", plugin.target(), ")\n");
  out.owner = std::move(kernel);
  return out;
}

}  // namespace

Status llvm_backend_status() { return plugin().status; }

Expected<LlvmCompiled> compile_llvm(const Geometry& geometry, bool nontemporal, bool smallest) {
  const Loaded& loaded = plugin();
  if (!loaded.status.ok()) return loaded.status;
  Expected<std::shared_ptr<const Plan>> planned =
      jit_plan(geometry, loaded.plugin->plan_options(), nontemporal, smallest);
  if (!planned.ok()) return planned.status();
  std::shared_ptr<const Plan> plan = std::move(planned).value();
  // Too large for LLVM to compile in reasonable time.
  const CodeBudget budget = llvm_code_budget();
  const CodeEstimate e = estimate_code(*plan);
  if (e.bytes > budget.bytes || e.loops > budget.loops) {
    return ResourceExhausted("kernel eip_llvm_", plan->name(), " would take about ", e.bytes, " bytes of code and ",
                             e.loops, " loops, over the ", budget.name, " of ", budget.bytes, " bytes and ",
                             budget.loops, " loops");
  }
  Expected<std::shared_ptr<const LlvmKernel>> kernel = loaded.plugin->compile(*plan);
  if (!kernel.ok()) return kernel.status();
  LlvmCompiled out = compiled(std::move(kernel).value(), *loaded.plugin);
  out.plan = plan;
  return out;
}

Expected<LlvmCompiled> compile_llvm_fold(const FoldPlan& plan) {
  const Loaded& loaded = plugin();
  if (!loaded.status.ok()) return loaded.status;
  const auto limit = static_cast<int64_t>(std::min<uint64_t>(kernel_code_limit(), INT64_MAX));
  Expected<std::shared_ptr<const LlvmKernel>> kernel = loaded.plugin->compile_fold(plan, limit);
  if (!kernel.ok()) return kernel.status();
  return compiled(std::move(kernel).value(), *loaded.plugin);
}

#else

Status llvm_backend_status() {
  return Unimplemented("backend llvm is not built into this patchjit (configured without LLVM)");
}

Expected<LlvmCompiled> compile_llvm(const Geometry&, bool, bool) { return llvm_backend_status(); }

Expected<LlvmCompiled> compile_llvm_fold(const FoldPlan&) { return llvm_backend_status(); }

#endif

}  // namespace pj
