// patchjit C++ API (C++17): an inline wrapper over the C API of patchjit.h.
//
//   patchjit::Spec spec(PJ_FLOAT32, {1, 56, 56, 64});
//   spec.ksizes(3, 3).strides(1, 1).rates(1, 1).padding(PJ_PADDING_SAME);
//   patchjit::Kernel kernel = patchjit::Kernel::create(spec);      // throws patchjit::Error
//   kernel.run(input, output);
//
// or, without exceptions:
//   patchjit::Result<patchjit::Kernel> k = patchjit::Kernel::try_create(spec);
//   if (!k) std::cerr << k.status().message << "\n";
#ifndef PATCHJIT_PATCHJIT_HPP_
#define PATCHJIT_PATCHJIT_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "patchjit/patchjit.h"

namespace patchjit {

using Shape = std::array<int64_t, 4>;

// A status code and its message (TensorFlow's words where TensorFlow has them).
struct Status {
  pj_status code = PJ_OK;
  std::string message;

  bool ok() const { return code == PJ_OK; }
  explicit operator bool() const { return ok(); }
  // The status of the C call that just returned `code` on this thread.
  static Status from(pj_status code) { return {code, code == PJ_OK ? std::string() : pj_last_error()}; }
};

class Error : public std::runtime_error {
 public:
  explicit Error(Status status)
      : std::runtime_error(std::string(pj_status_name(status.code)) + ": " + status.message),
        status_(std::move(status)) {}
  pj_status code() const { return status_.code; }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

// A value, or the Status that says why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  // The value; throws Error when there is none.
  T& value() & { check(); return *value_; }
  T&& value() && { check(); return std::move(*value_); }
  T* operator->() { check(); return &*value_; }
  T& operator*() & { check(); return *value_; }

 private:
  void check() const {
    if (!value_) throw Error(status_);
  }
  std::optional<T> value_;
  Status status_;
};

inline void throw_if_error(pj_status code) {
  if (code != PJ_OK) throw Error(Status::from(code));
}

// pj_spec with a builder: ksizes/strides/rates take the (rows, cols) pair.
struct Spec : pj_spec {
  Spec() : Spec(PJ_FLOAT32, Shape{0, 0, 0, 0}) {}
  Spec(pj_dtype type, const Shape& shape) : pj_spec{} {
    dtype = type;
    for (int i = 0; i < 4; ++i) {
      input_shape[i] = shape[i];
      pj_spec::ksizes[i] = pj_spec::strides[i] = pj_spec::rates[i] = 1;
    }
    pj_spec::padding = PJ_PADDING_SAME;
  }
  Spec& ksizes(int64_t rows, int64_t cols) { return set(pj_spec::ksizes, rows, cols); }
  Spec& strides(int64_t rows, int64_t cols) { return set(pj_spec::strides, rows, cols); }
  Spec& rates(int64_t rows, int64_t cols) { return set(pj_spec::rates, rows, cols); }
  Spec& padding(pj_padding p) { pj_spec::padding = p; return *this; }

 private:
  Spec& set(int64_t (&attr)[4], int64_t rows, int64_t cols) {
    attr[0] = 1, attr[1] = rows, attr[2] = cols, attr[3] = 1;
    return *this;
  }
};

inline Result<Shape> try_output_shape(const pj_spec& spec) {
  Shape shape{};
  pj_status code = pj_output_shape(&spec, shape.data());
  if (code != PJ_OK) return Status::from(code);
  return shape;
}

inline Shape output_shape(const pj_spec& spec) { return try_output_shape(spec).value(); }

// A kernel for one signature; move-only, released when it goes out of scope.
class Kernel {
 public:
  static Result<Kernel> try_create(const pj_spec& spec, pj_backend backend = PJ_BACKEND_AUTO) {
    pj_kernel* k = nullptr;
    pj_status code = pj_kernel_create(&spec, backend, &k);
    if (code != PJ_OK) return Status::from(code);
    return Kernel(k);
  }
  static Kernel create(const pj_spec& spec, pj_backend backend = PJ_BACKEND_AUTO) {
    return try_create(spec, backend).value();
  }

  Kernel(Kernel&& other) noexcept : kernel_(std::exchange(other.kernel_, nullptr)) {}
  Kernel& operator=(Kernel&& other) noexcept {
    if (this != &other) {
      pj_kernel_destroy(kernel_);
      kernel_ = std::exchange(other.kernel_, nullptr);
    }
    return *this;
  }
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  ~Kernel() { pj_kernel_destroy(kernel_); }

  Status try_run(const void* input, void* output, int num_threads = 0) const {
    return Status::from(pj_kernel_run(kernel_, input, output, num_threads));
  }
  void run(const void* input, void* output, int num_threads = 0) const {
    throw_if_error(pj_kernel_run(kernel_, input, output, num_threads));
  }
  Status try_run_rows(const void* input, void* output, int64_t row_begin, int64_t row_end) const {
    return Status::from(pj_kernel_run_rows(kernel_, input, output, row_begin, row_end));
  }

  pj_backend backend() const { return pj_kernel_backend(kernel_); }
  Shape output_shape() const {
    Shape shape{};
    pj_kernel_output_shape(kernel_, shape.data());
    return shape;
  }
  size_t input_bytes() const { return pj_kernel_input_bytes(kernel_); }
  size_t output_bytes() const { return pj_kernel_output_bytes(kernel_); }
  std::string describe() const {
    std::string text(pj_kernel_describe(kernel_, nullptr, 0), '\0');
    pj_kernel_describe(kernel_, text.data(), text.size() + 1);
    return text;
  }
  const pj_kernel* get() const { return kernel_; }

 private:
  explicit Kernel(pj_kernel* kernel) : kernel_(kernel) {}
  pj_kernel* kernel_ = nullptr;
};

}  // namespace patchjit

#endif  // PATCHJIT_PATCHJIT_HPP_
