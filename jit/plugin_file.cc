#include "jit/plugin_file.h"

#include <dlfcn.h>

#include <cstdlib>

namespace pj {

std::vector<std::string> plugin_candidates(const char* file, const char* env, const void* beside) {
  if (const char* path = std::getenv(env); path != nullptr && path[0] != '\0') return {path};
  std::vector<std::string> paths;
  Dl_info library;
  if (dladdr(beside, &library) != 0 && library.dli_fname != nullptr) {
    const std::string here = library.dli_fname;
    if (const size_t slash = here.rfind('/'); slash != std::string::npos)
      paths.push_back(here.substr(0, slash + 1) + file);
  }
  paths.push_back(file);
  return paths;
}

Expected<OpenedPlugin> open_plugin(const std::vector<std::string>& candidates, const char* entry) {
  std::string tried;
  for (const std::string& path : candidates) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += cat(tried.empty() ? "" : "; ", why ? why : path.c_str());
      continue;
    }
    auto function = reinterpret_cast<PluginEntry>(dlsym(handle, entry));
    const void* table = function ? function() : nullptr;
    if (table == nullptr) return Unimplemented(path, " has no plugin entry point ", entry);
    const char* build_id = *static_cast<const char* const*>(table);
    if (build_id == nullptr || std::string(build_id) != kPluginBuildId) {
      return Unimplemented(path, " is a plugin of another patchjit build (build id ", build_id ? build_id : "missing",
                           ", expected ", kPluginBuildId, ")");
    }
    return OpenedPlugin{path, table};
  }
  return Unimplemented(tried);
}

}  // namespace pj
