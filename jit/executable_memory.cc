#include "jit/executable_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "jit/jit_events.h"

namespace pj {
namespace {

std::atomic<bool> denied_for_testing{false};

}  // namespace

void deny_executable_memory_for_testing(bool deny) { denied_for_testing.store(deny); }

Expected<std::shared_ptr<const ExecutableMemory>> ExecutableMemory::create(std::span<const uint8_t> code) {
  if (code.empty()) return Internal("ExecutableMemory: no code");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // At least kSlack bytes of int3 after the code: decoders that read ahead of the instruction
  // they decode stay in the mapping (valgrind's died of SIGSEGV on a kernel whose last
  // instructions ended a few bytes before the page did).
  constexpr size_t kSlack = 64;
  const size_t mapped = (code.size() + kSlack + page - 1) / page * page;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return ResourceExhausted("cannot map ", mapped, " bytes for generated code: ", std::strerror(errno));
  }
  std::memcpy(base, code.data(), code.size());
  std::memset(static_cast<uint8_t*>(base) + code.size(), 0xcc, mapped - code.size());
  const bool simulated = denied_for_testing.load();
  int error = simulated ? EACCES : 0;
  if (error == 0 && mprotect(base, mapped, PROT_READ | PROT_EXEC) != 0) error = errno;
  if (error != 0) {
    munmap(base, mapped);
    return Unimplemented("the system refuses executable memory (mprotect PROT_EXEC: ", std::strerror(error), ")",
                         simulated ? " [simulated by a test]" : "");
  }
  return std::shared_ptr<const ExecutableMemory>(new ExecutableMemory(base, code.size(), mapped));
}

ExecutableMemory::~ExecutableMemory() { munmap(base_, mapped_size_); }

Expected<std::shared_ptr<const ExecutableMemory>> map_kernel(std::span<const uint8_t> code, std::string_view name) {
  Expected<std::shared_ptr<const ExecutableMemory>> memory = ExecutableMemory::create(code);
  if (memory.ok()) announce_code((*memory)->code(), (*memory)->code_size(), name);
  return memory;
}

}  // namespace pj
