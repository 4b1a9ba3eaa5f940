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

// Every plugin's entry point has this one C type, `const void* entry(void)`, and returns the
// plugin's table, whose first field is its build id (`const char*`). One type for all of them:
// calling a foreign library's symbol through another function type is undefined behaviour.
using PluginEntry = const void* (*)();

// The first candidate that loads (never closed: its code may run until the process ends), its
// symbol `entry` called, and its table. Fails with what dlopen said of each candidate, or,
// naming the file, when the symbol is missing or the table is of another build.
struct OpenedPlugin {
  std::string path;
  const void* table = nullptr;  // its first field is kPluginBuildId
};
Expected<OpenedPlugin> open_plugin(const std::vector<std::string>& candidates, const char* entry);

}  // namespace pj
