#include "tools/available_memory.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace pj::cli {

uint64_t available_memory_bytes() {
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    unsigned long long kib = 0;
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
    }
    std::fclose(f);
    if (kib > 0) return uint64_t{kib} * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : UINT64_MAX;
}

std::optional<std::string> check_fits_in_memory(uint64_t bytes, const std::string& what) {
  const uint64_t available = available_memory_bytes();
  if (bytes <= available) return std::nullopt;
  return what + " would take " + std::to_string(bytes) + " bytes, more than the " +
         std::to_string(available) + " bytes of memory available";
}

}  // namespace pj::cli
