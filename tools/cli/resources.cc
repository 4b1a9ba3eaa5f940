#include "tools/cli/resources.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tools/files/atomic_file.h"

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
  return what + " would take " + std::to_string(bytes) + " bytes, more than the " + std::to_string(available) +
         " bytes of memory available";
}

std::optional<std::string> check_fits_on_disk(uint64_t bytes, const std::string& path, const std::string& what) {
  const std::string directory = files::directory_of(path);
  struct statvfs fs {};
  if (::statvfs(directory.c_str(), &fs) != 0) {
    return path + ": cannot write into " + directory + ": " + std::strerror(errno);
  }
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
  if (bytes <= free_bytes) return std::nullopt;
  return what + " would take " + format_size(bytes) + ", more than the " + format_size(free_bytes) +
         " free on the filesystem of " + directory + ": nothing written";
}

std::string format_size(uint64_t bytes) {
  const std::string exact = std::to_string(bytes) + " bytes";
  if (bytes < 1024) return exact;
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 5) value /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return exact + " (" + text + ")";
}

}  // namespace pj::cli
