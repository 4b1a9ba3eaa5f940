#include "tools/aot_plugin.h"

#include <dlfcn.h>

#include <cstdlib>
#include <vector>

#include "patchjit/patchjit.h"

namespace pj::cli {

#if PATCHJIT_AOT_AVAILABLE

namespace {

// PATCHJIT_AOT_PLUGIN if set, else beside libpatchjit.so (the build tree's lib/ and the
// installed libdir alike), else the library search path.
std::vector<std::string> plugin_candidates() {
  constexpr const char* kName = "libpatchjit_aot.so";
  if (const char* env = std::getenv("PATCHJIT_AOT_PLUGIN"); env != nullptr && env[0] != '\0') return {env};
  std::vector<std::string> paths;
  Dl_info library;
  if (dladdr(reinterpret_cast<const void*>(&pj_last_error), &library) != 0 && library.dli_fname != nullptr) {
    const std::string path = library.dli_fname;
    if (const size_t slash = path.rfind('/'); slash != std::string::npos) paths.push_back(path.substr(0, slash + 1) + kName);
  }
  paths.push_back(kName);
  return paths;
}

}  // namespace

Expected<std::unique_ptr<AotCompiler>> load_aot_compiler(const std::string& cpu) {
  std::string tried;
  for (const std::string& path : plugin_candidates()) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed: the compiler's code
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += cat(tried.empty() ? "" : "; ", why ? why : path.c_str());
      continue;
    }
    auto entry = reinterpret_cast<const AotCompilerPlugin* (*)()>(dlsym(handle, "pj_aot_compiler_plugin_v1"));
    const AotCompilerPlugin* plugin = entry ? entry() : nullptr;
    if (plugin == nullptr || plugin->abi != kAotPluginAbi) {
      return Unimplemented(path, " is not the ahead-of-time compiler of this patchjit");
    }
    return plugin->make(cpu);
  }
  return Unimplemented("the ahead-of-time compiler libpatchjit_aot.so could not be loaded (", tried, ")");
}

#else

Expected<std::unique_ptr<AotCompiler>> load_aot_compiler(const std::string&) {
  return Unimplemented("not available in this build: it needs LLVM, and this patchjit was configured without it "
                       "(-DPATCHJIT_WITH_LLVM=OFF, or no llvm-19-dev)");
}

#endif

}  // namespace pj::cli
