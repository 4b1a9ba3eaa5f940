// The llvm backend as a plugin. libpatchjit loads libpatchjit_llvm.so (built from the LLVM ORC
// session, jit/llvm_session.h) the first time the llvm backend is used, so that processes which
// never use it do not pay for LLVM: about 50 MB resident and 10 ms of start-up, measured.
// The plugin exports one C function returning this table; the table is C++ of the same build.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"
#include "jit/llvm_session.h"
#include "jit/plugin_file.h"

namespace pj {

// A plugin of another build (kPluginBuildId, jit/plugin_file.h) is refused: the table carries
// C++ types of this build.
struct LlvmPlugin {
  const char* build_id;
  // Starts the process's JIT session (once); its status on every call.
  Status (*start)();
  // After a successful start: the planner options of its kernels, its target, and compiling.
  PlanOptions (*plan_options)();
  std::string (*target)();
  Expected<std::shared_ptr<const LlvmKernel>> (*compile)(const Plan& plan);
  Expected<std::shared_ptr<const LlvmKernel>> (*compile_fold)(const FoldPlan& plan, int64_t max_code_bytes);
};

static_assert(offsetof(LlvmPlugin, build_id) == 0, "open_plugin reads the build id first");

}  // namespace pj

// The plugin's entry point (a jit/plugin_file.h PluginEntry): returns &LlvmPlugin.
extern "C" const void* pj_llvm_plugin();
