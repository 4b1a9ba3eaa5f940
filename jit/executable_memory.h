// Executable memory that is never writable and executable at once: code is copied into fresh
// read-write pages, which then become read-execute. Freed when the last owner lets go. This is
// where machine code from the Xbyak emitter becomes a callable kernel (LLVM's JITLink maps its
// own, jit/llvm_session.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/status.h"

namespace pj {

class ExecutableMemory {
 public:
  // Maps pages, copies `code` in and makes them read-execute. Fails (kResourceExhausted or
  // kUnimplemented) when the system refuses.
  static Expected<std::shared_ptr<const ExecutableMemory>> create(std::span<const uint8_t> code);

  ~ExecutableMemory();
  ExecutableMemory(const ExecutableMemory&) = delete;
  ExecutableMemory& operator=(const ExecutableMemory&) = delete;

  const void* code() const { return base_; }
  size_t code_size() const { return code_size_; }
  size_t mapped_size() const { return mapped_size_; }
  // The code as the kernel it is (its first byte is the entry point).
  KernelFunction function() const { return reinterpret_cast<KernelFunction>(const_cast<void*>(base_)); }

 private:
  ExecutableMemory(void* base, size_t code_size, size_t mapped_size)
      : base_(base), code_size_(code_size), mapped_size_(mapped_size) {}
  void* base_;
  size_t code_size_;
  size_t mapped_size_;
};

// A kernel's machine code mapped (ExecutableMemory::create) and announced to outside tools
// under `name` (jit/jit_events.h).
Expected<std::shared_ptr<const ExecutableMemory>> map_kernel(std::span<const uint8_t> code, std::string_view name);

// Fault injection for tests (an internal hook, not exported): every later create fails as if
// the system refused executable memory.
void deny_executable_memory_for_testing(bool deny);

}  // namespace pj
