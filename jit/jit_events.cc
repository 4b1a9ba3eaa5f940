#include "jit/jit_events.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace pj {

Status write_code(const std::string& path, const void* code, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return InvalidArgument(path, ": ", std::strerror(errno));
  bool ok = std::fwrite(code, 1, size, f) == size;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return InvalidArgument(path, ": write failed");
  return Status::Ok();
}

void announce_code(const void* code, size_t size, std::string_view name) {
  static const char* perf_map = std::getenv("PATCHJIT_PERF_MAP");
  static const char* dump_dir = std::getenv("PATCHJIT_JIT_DUMP");
  static std::mutex mutex;
  if (perf_map != nullptr && perf_map[0] == '1') {
    std::lock_guard<std::mutex> lock(mutex);
    std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    if (FILE* f = std::fopen(path.c_str(), "a")) {
      std::fprintf(f, "%lx %zx %.*s\n", reinterpret_cast<unsigned long>(code), size, static_cast<int>(name.size()),
                   name.data());
      std::fclose(f);
    }
  }
  if (dump_dir != nullptr && dump_dir[0] != '\0') {
    // Best effort: a dump that cannot be written must not fail the kernel.
    (void)write_code(std::string(dump_dir) + "/" + std::string(name) + ".bin", code, size);
  }
}

}  // namespace pj
