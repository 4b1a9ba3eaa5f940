// What the machine can still give an output — memory to hold it, disk space to write it — so
// that the tool refuses an output it could never hold or write before computing anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pj::cli {

// MemAvailable from /proc/meminfo, else the free physical pages.
uint64_t available_memory_bytes();

// An error naming `what` when `bytes` exceed the available memory.
std::optional<std::string> check_fits_in_memory(uint64_t bytes, const std::string& what);

// An error when a file of `bytes` cannot be created at `path`: its directory cannot be used
// (statvfs fails: missing, not a directory, ...) or has less space free for this user than
// `bytes` (statvfs's f_bavail; a file replaced is replaced only after the new one is complete,
// so its space does not count). The message names `what`, the path and both sizes.
std::optional<std::string> check_fits_on_disk(uint64_t bytes, const std::string& path, const std::string& what);

// "17179869312 bytes (16.0 GiB)"; plain "512 bytes" under 1 KiB.
std::string format_size(uint64_t bytes);

}  // namespace pj::cli
