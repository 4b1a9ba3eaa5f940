// Ahead-of-time kernels: plans -> one relocatable, position-independent object file holding a
// function per signature and their table (pj_aot_kernel, include/patchjit/patchjit_aot.h),
// compiled by LLVM for a named CPU with the JIT's emitter, planner options and O2 pipeline, so
// that they run as the llvm JIT's kernels for that CPU do. LLVM stays behind this header.
//
// `patchjit aot` reaches this through a plugin (libpatchjit_aot.so, loaded by the command
// only) so that the other commands do not pay LLVM's start-up; tests link it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codegen/llvm/emitter.h"
#include "codegen/plan/geometry.h"
#include "codegen/plan/plan.h"
#include "codegen/plan/status.h"
#include "jit/plugin_file.h"

namespace pj {

// What the kernels are compiled for.
struct AotTarget {
  std::string cpu;     // LLVM's CPU name: as asked, or the host's ("znver4") for "native"
  std::string triple;  // e.g. x86_64-pc-linux-gnu
  int vector_bytes = 16;
  LlvmTarget vectors;              // what the emitter may use (vector_bytes, byte permutes)
  uint64_t required_features = 0;  // PJ_AOT_FEATURE_* bits the CPU has: what the code may use
  PlanOptions plan_options;        // what the JIT plans for this vector width
};

// One kernel to compile: a non-empty geometry (its batch is ignored) and where it came from
// ("FILE:LINE"), which errors about it name.
struct AotKernelSource {
  Geometry geometry;
  std::string where;
};

// Reports the kernel at `index` of `count` as it is being optimized (`machine_code` false), then
// as its machine code is being made (true): the two passes over the kernels take similar times.
using AotProgress = std::function<void(bool machine_code, size_t index, size_t count, const std::string& kernel)>;

// Virtual throughout: the plugin's code is reached through its vtable, never by symbol.
class AotCompiler {
 public:
  virtual ~AotCompiler() = default;
  virtual const AotTarget& target() const = 0;
  // The object file: `prefix`_<signature> per kernel (Plan::name(), e.g.
  // prefix_e4_56x56x64_k3x3_s1x1_r1x1_same) and the table `prefix`_kernels, in order.
  // Signatures must be distinct.
  virtual Expected<std::vector<uint8_t>> compile(const std::vector<AotKernelSource>& kernels, const std::string& prefix,
                                                 const AotProgress& progress) = 0;
};

// A compiler for `cpu` on the host's target: "native" (the host CPU and its features) or one of
// LLVM's CPU names for it ("x86-64-v3", "x86-64-v4", "skylake-avx512", ...). An unknown name is
// kInvalidArgument listing the closest valid ones.
Expected<std::unique_ptr<AotCompiler>> make_aot_compiler(const std::string& cpu);

// The plugin's entry point returns this table; a plugin of another build (kPluginBuildId,
// jit/plugin_file.h) is refused.
struct AotCompilerPlugin {
  const char* build_id;
  Expected<std::unique_ptr<AotCompiler>> (*make)(const std::string& cpu);
};
static_assert(offsetof(AotCompilerPlugin, build_id) == 0, "open_plugin reads the build id first");

}  // namespace pj

// The entry point (a jit/plugin_file.h PluginEntry): returns &AotCompilerPlugin.
extern "C" const void* pj_aot_compiler_plugin();
