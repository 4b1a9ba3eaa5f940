// Reads typed values off a fuzzer's byte string (zeros once it runs out).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pj::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  template <typename T>
  T take() {
    T value{};
    const size_t n = size_ - used_ < sizeof(T) ? size_ - used_ : sizeof(T);
    std::memcpy(&value, data_ + used_, n);
    used_ += n;
    return value;
  }
  // A value in [lo, hi].
  int64_t in_range(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(take<uint16_t>() % span);
  }
  const uint8_t* rest() const { return data_ + used_; }
  size_t rest_size() const { return size_ - used_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t used_ = 0;
};

}  // namespace pj::fuzz
