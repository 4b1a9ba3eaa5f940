// Executable memory that is never writable and executable at once: code is copied into fresh
// read-write pages, which then become read-execute. Freed when the owner lets go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "codegen/plan/status.h"

namespace pj {

class ExecutableMemory {
 public:
  // Maps pages, copies `code` in and makes them read-execute. Fails (kResourceExhausted or
  // kUnimplemented) when the system refuses; PATCHJIT_TEST_DENY_EXEC=1 simulates a refusal.
  static Expected<std::shared_ptr<const ExecutableMemory>> create(std::span<const uint8_t> code);

  ~ExecutableMemory();
  ExecutableMemory(const ExecutableMemory&) = delete;
  ExecutableMemory& operator=(const ExecutableMemory&) = delete;

  const void* code() const { return base_; }
  size_t code_size() const { return code_size_; }
  size_t mapped_size() const { return mapped_size_; }

 private:
  ExecutableMemory(void* base, size_t code_size, size_t mapped_size)
      : base_(base), code_size_(code_size), mapped_size_(mapped_size) {}
  void* base_;
  size_t code_size_;
  size_t mapped_size_;
};

}  // namespace pj
