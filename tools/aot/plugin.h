// The ahead-of-time compiler of `patchjit aot`: LLVM, in the plugin libpatchjit_aot.so
// (jit/llvm_object.h), loaded by this command only, so that the tool's other commands start
// without LLVM (about 13 ms and 50 MB for every run otherwise, measured).
#pragma once

#include <memory>
#include <string>

#include "codegen/plan/status.h"
#include "jit/llvm_object.h"

namespace pj::cli {

// The compiler for `cpu`, or why there is none: kUnimplemented when this patchjit is built
// without LLVM or the plugin cannot be loaded (PATCHJIT_AOT_PLUGIN=PATH names it; by default it
// is found beside libpatchjit.so), kInvalidArgument for an unknown CPU.
Expected<std::unique_ptr<AotCompiler>> load_aot_compiler(const std::string& cpu);

}  // namespace pj::cli
