// Buffers placed against PROT_NONE guard pages, so that a read or write one byte outside them
// faults instead of passing unnoticed (generated code is invisible to AddressSanitizer).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace pj::testing {

class GuardedBuffer {
 public:
  // kEnd: the last byte touches the upper guard (the start is then usually misaligned).
  // kStart: the first byte touches the lower guard (page-aligned start).
  enum class Placement { kEnd, kStart };

  GuardedBuffer(size_t size, Placement placement) : size_(size) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t body = (size + page_ - 1) / page_ * page_;
    mapped_ = body + 2 * page_;
    void* m = mmap(nullptr, mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) std::abort();
    base_ = static_cast<uint8_t*>(m);
    if (body > 0 && mprotect(base_ + page_, body, PROT_READ | PROT_WRITE) != 0) std::abort();
    data_ = placement == Placement::kStart ? base_ + page_ : base_ + page_ + body - size;
  }
  ~GuardedBuffer() { munmap(base_, mapped_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_, page_, mapped_;
  uint8_t* base_;
  uint8_t* data_;
};

}  // namespace pj::testing
