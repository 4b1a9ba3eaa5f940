#include "jit/executable_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace pj {
namespace {

bool exec_denied_for_testing() {
  const char* env = std::getenv("PATCHJIT_TEST_DENY_EXEC");
  return env != nullptr && env[0] == '1';
}

}  // namespace

Expected<std::shared_ptr<const ExecutableMemory>> ExecutableMemory::create(std::span<const uint8_t> code) {
  if (code.empty()) return Internal("ExecutableMemory: no code");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t mapped = (code.size() + page - 1) / page * page;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return ResourceExhausted("cannot map ", mapped, " bytes for generated code: ", std::strerror(errno));
  }
  std::memcpy(base, code.data(), code.size());
  int error = exec_denied_for_testing() ? EACCES : 0;
  if (error == 0 && mprotect(base, mapped, PROT_READ | PROT_EXEC) != 0) error = errno;
  if (error != 0) {
    munmap(base, mapped);
    return Unimplemented("the system refuses executable memory (mprotect PROT_EXEC: ",
                         std::strerror(error), ")",
                         exec_denied_for_testing() ? " [simulated by PATCHJIT_TEST_DENY_EXEC]" : "");
  }
  return std::shared_ptr<const ExecutableMemory>(new ExecutableMemory(base, code.size(), mapped));
}

ExecutableMemory::~ExecutableMemory() { munmap(base_, mapped_size_); }

}  // namespace pj
