// The memory this machine can still give, so that the tool refuses an output it could never hold
// before trying to allocate it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pj::cli {

// MemAvailable from /proc/meminfo, else the free physical pages.
uint64_t available_memory_bytes();

// An error naming `what` when `bytes` exceed the available memory.
std::optional<std::string> check_fits_in_memory(uint64_t bytes, const std::string& what);

}  // namespace pj::cli
