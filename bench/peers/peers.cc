#define EIGEN_USE_THREADS
#include "bench/peers/peers.h"

#include <immintrin.h>

#include <complex>
#include <cstring>
#include <unsupported/Eigen/CXX11/Tensor>

namespace pj {
namespace {

template <typename T, typename Index>
void eigen_extract_typed(const Geometry& g, const void* input, void* output) {
  using In = Eigen::TensorMap<Eigen::Tensor<const T, 4, Eigen::RowMajor, Index>, Eigen::Aligned>;
  using Out = Eigen::TensorMap<Eigen::Tensor<T, 4, Eigen::RowMajor, Index>, Eigen::Aligned>;
  In in(static_cast<const T*>(input), g.batch, g.rows.in, g.cols.in, g.depth);
  Out out(static_cast<T*>(output), g.batch, g.rows.out, g.cols.out, g.patch_depth);
  static Eigen::ThreadPool pool(1);
  static Eigen::ThreadPoolDevice device(&pool, 1);
  const Eigen::PaddingType padding = g.padding == Padding::kSame ? Eigen::PADDING_SAME : Eigen::PADDING_VALID;
  // TensorFlow: "Need to swap row/col when calling Eigen, because our data is in NHWC format
  // while Eigen assumes NWHC format."
  out.device(device) = in.extract_image_patches(g.cols.ksize, g.rows.ksize, g.cols.stride, g.rows.stride, g.cols.rate,
                                                g.rows.rate, padding)
                           .reshape(out.dimensions());
}

template <typename T>
void eigen_extract_indexed(const Geometry& g, const void* input, void* output) {
  // MaybeWith32BitIndexing: int indices when both tensors have fewer than 2^31 elements.
  const int64_t limit = int64_t{1} << 31;
  if (g.input_bytes() / g.elem_size < limit && g.output_bytes() / g.elem_size < limit) {
    eigen_extract_typed<T, int>(g, input, output);
  } else {
    eigen_extract_typed<T, Eigen::DenseIndex>(g, input, output);
  }
}

constexpr uint8_t kFill = 0x5A;

}  // namespace

bool eigen_extract(const Geometry& g, const void* input, void* output) {
  switch (g.dtype) {
    case DType::kFloat32:
      eigen_extract_indexed<float>(g, input, output);
      return true;
    case DType::kFloat64:
      eigen_extract_indexed<double>(g, input, output);
      return true;
    case DType::kHalf:
      eigen_extract_indexed<Eigen::half>(g, input, output);
      return true;
    case DType::kBFloat16:
      eigen_extract_indexed<Eigen::bfloat16>(g, input, output);
      return true;
    case DType::kUInt8:
    case DType::kBool:
      eigen_extract_indexed<uint8_t>(g, input, output);
      return true;
    case DType::kInt8:
      eigen_extract_indexed<int8_t>(g, input, output);
      return true;
    case DType::kInt16:
    case DType::kUInt16:
      eigen_extract_indexed<int16_t>(g, input, output);
      return true;
    case DType::kInt32:
    case DType::kUInt32:
      eigen_extract_indexed<int32_t>(g, input, output);
      return true;
    case DType::kInt64:
    case DType::kUInt64:
      eigen_extract_indexed<int64_t>(g, input, output);
      return true;
    case DType::kComplex64:
      eigen_extract_indexed<std::complex<float>>(g, input, output);
      return true;
    case DType::kComplex128:
      eigen_extract_indexed<std::complex<double>>(g, input, output);
      return true;
  }
  return false;
}

void floor_memset(void* out, size_t bytes) { std::memset(out, kFill, bytes); }

void floor_vector_stores(void* out, size_t bytes) {
  auto* p = static_cast<uint8_t*>(out);
  size_t i = 0;
#if defined(__AVX512F__)
  const __m512i v = _mm512_set1_epi8(static_cast<char>(kFill));
  for (; i + 64 <= bytes; i += 64) _mm512_storeu_si512(p + i, v);
#elif defined(__AVX2__)
  const __m256i v = _mm256_set1_epi8(static_cast<char>(kFill));
  for (; i + 32 <= bytes; i += 32) _mm256_storeu_si256(reinterpret_cast<__m256i*>(p + i), v);
#endif
  for (; i < bytes; ++i) p[i] = kFill;
}

void floor_memcpy_hot(void* out, size_t bytes) {
  static uint8_t hot[16384] = {};
  if (hot[0] != kFill) std::memset(hot, kFill, sizeof hot);
  auto* p = static_cast<uint8_t*>(out);
  for (size_t i = 0; i < bytes; i += sizeof hot) std::memcpy(p + i, hot, std::min(sizeof hot, bytes - i));
}

// Where the output leaves the caches, streaming stores beat every cached store (the JIT kernels
// use them there); `out` is 64-byte aligned (bench/harness's buffers).
void floor_stream(void* out, size_t bytes) {
  auto* p = static_cast<uint8_t*>(out);
  size_t i = 0;
#if defined(__AVX512F__)
  const __m512i v = _mm512_set1_epi8(static_cast<char>(kFill));
  for (; i + 64 <= bytes; i += 64) _mm512_stream_si512(reinterpret_cast<__m512i*>(p + i), v);
#elif defined(__AVX2__)
  const __m256i v = _mm256_set1_epi8(static_cast<char>(kFill));
  for (; i + 32 <= bytes; i += 32) _mm256_stream_si256(reinterpret_cast<__m256i*>(p + i), v);
#endif
  for (; i < bytes; ++i) p[i] = kFill;
  _mm_sfence();
}

void floor_copy(const void* in, void* out, size_t bytes) { std::memcpy(out, in, bytes); }

std::string peer_compiler() {
#if defined(__clang__)
  std::string name = "clang " __clang_version__;
#else
  std::string name = "g++ " __VERSION__;
#endif
  return name + " -O3 -march=native (Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." +
         std::to_string(EIGEN_MAJOR_VERSION) + "." + std::to_string(EIGEN_MINOR_VERSION) + ")";
}

}  // namespace pj
