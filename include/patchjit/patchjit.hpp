// patchjit C++ API (C++17): an inline wrapper over the C API of patchjit.h.
//
//   patchjit::Spec spec(PJ_FLOAT32, {1, 56, 56, 64});
//   spec.ksizes(3, 3).strides(1, 1).rates(1, 1).padding(PJ_PADDING_SAME);
//   patchjit::Kernel kernel = patchjit::Kernel::create(spec);      // throws patchjit::Error
//   kernel.run(input, input_bytes, output, output_bytes);           // refuses short buffers
//
// or, without exceptions:
//   patchjit::Result<patchjit::Kernel> k = patchjit::Kernel::try_create(spec);
//   if (!k) std::cerr << k.status().message << "\n";
//
// Engine formats (docs/SEMANTICS.md §6-§10): torch's unfold with padding 1, and a tile.
//   patchjit::Spec unfold(PJ_FLOAT32, {8, 3, 32, 32});              // N, C, H, W
//   unfold.format(patchjit::Format::kTorch).ksizes(3, 3).pads(1, 1, 1, 1);
//   patchjit::Kernel::create(unfold).run_range(input, output, begin, end);
//
// Fold, the gradient: patches of that extract back into its image's shape.
//   patchjit::Kernel::fold(spec).run(patches, patches_bytes, image, image_bytes);
//
// Thread safety: a Kernel may run from any number of threads at once; creating and destroying
// kernels is thread-safe. One kernel serves one batch size; kernels of other batch sizes share
// its compiled code through the library's cache.
#ifndef PATCHJIT_PATCHJIT_HPP_
#define PATCHJIT_PATCHJIT_HPP_

#if defined(_MSVC_LANG) ? _MSVC_LANG < 201703L : __cplusplus < 201703L
#error "patchjit.hpp needs C++17 or later (-std=c++17); from C or older C++ use patchjit/patchjit.h"
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#define PATCHJIT_HAS_SPAN 1
#endif

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
  const T& value() const& { check(); return *value_; }
  T&& value() && { check(); return std::move(*value_); }
  T* operator->() { check(); return &*value_; }
  const T* operator->() const { check(); return &*value_; }
  T& operator*() & { check(); return *value_; }
  const T& operator*() const& { check(); return *value_; }

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

// Named formats: kTf = (NHWC, HWC, rows), TensorFlow's op; kTorch = (NCHW, CHW, columns),
// torch.nn.functional.unfold.
enum class Format { kTf, kTorch };

// pj_spec_ex with a builder: ksizes/strides/rates take the (rows, cols) pair. The defaults are
// TensorFlow's op: ksizes, strides and rates 1, SAME, zero pad value, NHWC rows, dense buffers.
struct Spec : pj_spec_ex {
  Spec() : Spec(PJ_FLOAT32, Shape{0, 0, 0, 0}) {}
  // `shape` in the layout's order: [N, H, W, C], or [N, C, H, W] after layout(PJ_LAYOUT_NCHW).
  Spec(pj_dtype type, const Shape& shape) : pj_spec_ex{} {
    version = PJ_SPEC_EX_VERSION;
    base.dtype = type;
    for (size_t i = 0; i < 4; ++i) {
      base.input_shape[i] = shape[i];
      base.ksizes[i] = base.strides[i] = base.rates[i] = 1;
    }
    base.padding = PJ_PADDING_SAME;
  }
  // TensorFlow's op as a pj_spec says it.
  explicit Spec(const pj_spec& tf) : Spec() { base = tf; }

  Spec& ksizes(int64_t rows, int64_t cols) { return set(base.ksizes, rows, cols); }
  Spec& strides(int64_t rows, int64_t cols) { return set(base.strides, rows, cols); }
  Spec& rates(int64_t rows, int64_t cols) { return set(base.rates, rows, cols); }
  // SAME or VALID (clears explicit pads).
  Spec& padding(pj_padding p) {
    base.padding = p;
    for (int64_t& pad : pj_spec_ex::pads) pad = 0;
    return *this;
  }
  // Explicit pads, TensorFlow's EXPLICIT rule; torch's padding=p is pads(p, p, p, p).
  Spec& pads(int64_t top, int64_t bottom, int64_t left, int64_t right) {
    base.padding = PJ_PADDING_EXPLICIT;
    pj_spec_ex::pads[0] = top, pj_spec_ex::pads[1] = bottom, pj_spec_ex::pads[2] = left, pj_spec_ex::pads[3] = right;
    return *this;
  }
  // The pad value as one element of the dtype: pad_value(uint8_t{128}), pad_value(-INFINITY).
  // Throws Error when T's size is not the dtype's (set the dtype first).
  template <typename T>
  Spec& pad_value(const T& value) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= sizeof(pj_spec_ex::pad_value),
                  "a pad value is one element: a number, or 16 bytes at most");
    return pad_value_bytes(&value, sizeof value);
  }
  Spec& pad_value_bytes(const void* bytes, size_t size) {
    if (size != pj_dtype_size(base.dtype)) {
      throw Error(Status{PJ_INVALID_ARGUMENT, "pad_value: " + std::to_string(size) + " bytes given, but one " +
                                                  (pj_dtype_name(base.dtype) ? pj_dtype_name(base.dtype) : "?") +
                                                  " element has " + std::to_string(pj_dtype_size(base.dtype))});
    }
    std::memset(pj_spec_ex::pad_value, 0, sizeof pj_spec_ex::pad_value);
    std::memcpy(pj_spec_ex::pad_value, bytes, size);
    return *this;
  }
  Spec& layout(pj_layout l) { pj_spec_ex::layout = l; return *this; }
  Spec& patch_order(pj_patch_order o) { pj_spec_ex::patch_order = o; return *this; }
  Spec& patches(pj_patches p) { pj_spec_ex::patches = p; return *this; }
  Spec& format(Format f) {
    const bool torch = f == Format::kTorch;
    pj_spec_ex::layout = torch ? PJ_LAYOUT_NCHW : PJ_LAYOUT_NHWC;
    pj_spec_ex::patch_order = torch ? PJ_PATCH_ORDER_CHW : PJ_PATCH_ORDER_HWC;
    pj_spec_ex::patches = torch ? PJ_PATCHES_COLUMNS : PJ_PATCHES_ROWS;
    return *this;
  }
  // Elements between images, rows, pixels (NHWC) or images, channels, rows (NCHW); 0 = dense.
  Spec& input_strides(int64_t image, int64_t outer, int64_t inner) {
    pj_spec_ex::input_strides[0] = image, pj_spec_ex::input_strides[1] = outer, pj_spec_ex::input_strides[2] = inner;
    return *this;
  }
  // The patches' leading dimension and the elements between images; 0 = dense.
  Spec& output_strides(int64_t leading, int64_t image) {
    pj_spec_ex::output_strides[0] = leading, pj_spec_ex::output_strides[1] = image;
    return *this;
  }

 private:
  Spec& set(int64_t (&attr)[4], int64_t rows, int64_t cols) {
    attr[0] = 1, attr[1] = rows, attr[2] = cols, attr[3] = 1;
    return *this;
  }
};

inline Result<Shape> try_output_shape(const pj_spec_ex& spec) {
  Shape shape{};
  pj_status code = pj_output_shape_ex(&spec, shape.data(), nullptr);
  if (code != PJ_OK) return Status::from(code);
  return shape;
}
inline Result<Shape> try_output_shape(const pj_spec& spec) {
  Shape shape{};
  pj_status code = pj_output_shape(&spec, shape.data());
  if (code != PJ_OK) return Status::from(code);
  return shape;
}

// [N, OH, OW, K] for rows; [N, K, OH*OW, 0] for columns (rank 3).
inline Shape output_shape(const pj_spec_ex& spec) { return try_output_shape(spec).value(); }
inline Shape output_shape(const pj_spec& spec) { return try_output_shape(spec).value(); }

// A kernel for one signature; move-only, released when it goes out of scope. A default-
// constructed Kernel is empty: it holds nothing, and running it is an error.
class Kernel {
 public:
  static Result<Kernel> try_create(const pj_spec_ex& spec, pj_backend backend = PJ_BACKEND_AUTO) {
    pj_kernel* k = nullptr;
    pj_status code = pj_kernel_create_ex(&spec, backend, &k);
    if (code != PJ_OK) return Status::from(code);
    return Kernel(k);
  }
  static Result<Kernel> try_create(const pj_spec& spec, pj_backend backend = PJ_BACKEND_AUTO) {
    pj_kernel* k = nullptr;
    pj_status code = pj_kernel_create(&spec, backend, &k);
    if (code != PJ_OK) return Status::from(code);
    return Kernel(k);
  }
  static Kernel create(const pj_spec_ex& spec, pj_backend backend = PJ_BACKEND_AUTO) {
    return try_create(spec, backend).value();
  }
  static Kernel create(const pj_spec& spec, pj_backend backend = PJ_BACKEND_AUTO) {
    return try_create(spec, backend).value();
  }
  // Fold (docs/SEMANTICS.md §12): a kernel whose input is the patches of the extract `spec`
  // describes and whose output is its image, each element the sum (or mean) of its patch
  // elements, bit-identical to TensorFlow's gradient. run(patches, image).
  static Result<Kernel> try_fold(const pj_spec_ex& spec, pj_fold_mode mode = PJ_FOLD_SUM,
                                 pj_backend backend = PJ_BACKEND_AUTO) {
    pj_kernel* k = nullptr;
    pj_status code = pj_fold_kernel_create(&spec, mode, backend, &k);
    if (code != PJ_OK) return Status::from(code);
    return Kernel(k);
  }
  static Kernel fold(const pj_spec_ex& spec, pj_fold_mode mode = PJ_FOLD_SUM, pj_backend backend = PJ_BACKEND_AUTO) {
    return try_fold(spec, mode, backend).value();
  }

  Kernel() = default;
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

  bool empty() const { return kernel_ == nullptr; }
  explicit operator bool() const { return kernel_ != nullptr; }

  // Whole tensors. Pointers alone trust the caller's sizes; the sized forms refuse a buffer
  // shorter than input_bytes() / output_bytes() before anything is written.
  Status try_run(const void* input, void* output, int num_threads = 0) const {
    return Status::from(pj_kernel_run(kernel_, input, output, num_threads));
  }
  void run(const void* input, void* output, int num_threads = 0) const {
    throw_if_error(pj_kernel_run(kernel_, input, output, num_threads));
  }
  Status try_run(const void* input, size_t input_size, void* output, size_t output_size, int num_threads = 0) const {
    Status sizes = check_sizes(input_size, output_size);
    return sizes.ok() ? try_run(input, output, num_threads) : sizes;
  }
  void run(const void* input, size_t input_size, void* output, size_t output_size, int num_threads = 0) const {
    Status status = try_run(input, input_size, output, output_size, num_threads);
    if (!status.ok()) throw Error(std::move(status));
  }
#if PATCHJIT_HAS_SPAN
  template <typename In, typename Out, size_t InExtent, size_t OutExtent>
  Status try_run(std::span<In, InExtent> input, std::span<Out, OutExtent> output, int num_threads = 0) const {
    static_assert(!std::is_const_v<Out>, "the output must be writable");
    return try_run(input.data(), input.size_bytes(), output.data(), output.size_bytes(), num_threads);
  }
  template <typename In, typename Out, size_t InExtent, size_t OutExtent>
  void run(std::span<In, InExtent> input, std::span<Out, OutExtent> output, int num_threads = 0) const {
    static_assert(!std::is_const_v<Out>, "the output must be writable");
    run(input.data(), input.size_bytes(), output.data(), output.size_bytes(), num_threads);
  }
#endif

  // Output rows [row_begin, row_end) of 0..rows() (image * out_rows + out_row), on this thread.
  Status try_run_rows(const void* input, void* output, int64_t row_begin, int64_t row_end) const {
    return Status::from(pj_kernel_run_rows(kernel_, input, output, row_begin, row_end));
  }
  void run_rows(const void* input, void* output, int64_t row_begin, int64_t row_end) const {
    throw_if_error(pj_kernel_run_rows(kernel_, input, output, row_begin, row_end));
  }
  // A tile: output positions [begin, end) of 0..positions() ((image * OH + oh) * OW + ow).
  Status try_run_range(const void* input, void* output, int64_t begin, int64_t end) const {
    return Status::from(pj_kernel_run_range(kernel_, input, output, begin, end));
  }
  void run_range(const void* input, void* output, int64_t begin, int64_t end) const {
    throw_if_error(pj_kernel_run_range(kernel_, input, output, begin, end));
  }
  int64_t rows() const { return pj_kernel_rows(kernel_); }            // batch * out_rows
  int64_t positions() const { return pj_kernel_positions(kernel_); }  // batch * out_rows * out_cols

  pj_backend backend() const { return pj_kernel_backend(kernel_); }
  Shape output_shape() const {
    Shape shape{};
    pj_kernel_output_shape(kernel_, shape.data());
    return shape;
  }
  int output_rank() const { return pj_kernel_output_rank(kernel_); }
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
  Status check_sizes(size_t input_size, size_t output_size) const {
    if (kernel_ != nullptr && input_size < input_bytes()) {
      return {PJ_INVALID_ARGUMENT, "input buffer has " + std::to_string(input_size) + " bytes, but the kernel reads " +
                                       std::to_string(input_bytes())};
    }
    if (kernel_ != nullptr && output_size < output_bytes()) {
      return {PJ_INVALID_ARGUMENT, "output buffer has " + std::to_string(output_size) +
                                       " bytes, but the kernel writes " + std::to_string(output_bytes())};
    }
    return {};
  }
  pj_kernel* kernel_ = nullptr;
};

}  // namespace patchjit

#endif  // PATCHJIT_PATCHJIT_HPP_
