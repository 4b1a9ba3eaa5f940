// patchjit's plugins (libpatchjit_llvm.so, libpatchjit_aot.so): shared libraries loaded on first
// use, so that only the processes that use LLVM pay for it. One way of finding and opening them.
#pragma once

#include <string>
#include <vector>

#include "codegen/plan/status.h"

#ifndef PATCHJIT_BUILD_ID
#error "PATCHJIT_BUILD_ID is defined by the build (CMakeLists.txt): a hash of the interfaces plugins share"
#endif

namespace pj {

// What a plugin must carry to be loaded: the build id of this library (a hash, made when the
// build is configured, of the headers whose types cross the plugin boundary and of the compiler).
inline constexpr const char* kPluginBuildId = PATCHJIT_BUILD_ID;

// Where to look for plugin `file`: the path in environment variable `env` if it is set, else
// beside the library holding the code at `beside` (libpatchjit.so: its build-tree and installed
// directories alike), else the library search path.
std::vector<std::string> plugin_candidates(const char* file, const char* env, const void* beside);

// The first candidate that loads (never closed: its code may run until the process ends) and
// its symbol `entry`, null if it has none. Fails with what dlopen said of each candidate.
struct OpenedPlugin {
  std::string path;
  void* entry = nullptr;
};
Expected<OpenedPlugin> open_plugin(const std::vector<std::string>& candidates, const char* entry);

}  // namespace pj
