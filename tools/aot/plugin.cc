#include "tools/aot/plugin.h"

#include "jit/plugin_file.h"
#include "patchjit/patchjit.h"

namespace pj::cli {

#if PATCHJIT_AOT_AVAILABLE

Expected<std::unique_ptr<AotCompiler>> load_aot_compiler(const std::string& cpu) {
  // Beside libpatchjit.so, as the llvm backend's plugin: pj_last_error is its code.
  Expected<OpenedPlugin> opened = open_plugin(
      plugin_candidates("libpatchjit_aot.so", "PATCHJIT_AOT_PLUGIN", reinterpret_cast<const void*>(&pj_last_error)),
      "pj_aot_compiler_plugin");
  if (!opened.ok()) {
    return Unimplemented("the ahead-of-time compiler libpatchjit_aot.so could not be loaded (",
                         opened.status().message(), ")");
  }
  const auto* plugin = static_cast<const AotCompilerPlugin*>(opened->table);
  return plugin->make(cpu);
}

#else

Expected<std::unique_ptr<AotCompiler>> load_aot_compiler(const std::string&) {
  return Unimplemented(
      "not available in this build: it needs LLVM, and this patchjit was configured without it "
      "(-DPATCHJIT_WITH_LLVM=OFF, or no llvm-19-dev)");
}

#endif

}  // namespace pj::cli
