// What the JIT tells outside tools about the code it maps: a perf map (PATCHJIT_PERF_MAP=1
// appends to /tmp/perf-<pid>.map, so `perf report` names JIT frames) and dumps
// (PATCHJIT_JIT_DUMP=DIR writes DIR/<name>.bin for objdump).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codegen/plan/status.h"

namespace pj {

// Called once per mapped kernel; does nothing unless the environment asks for it.
void announce_code(const void* code, size_t size, std::string_view name);

// Writes raw code bytes to `path` (for `patchjit info --dump-code`).
Status write_code(const std::string& path, const void* code, size_t size);

}  // namespace pj
