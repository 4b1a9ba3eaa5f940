#include "bench/peers/fold_peers.h"

#include <immintrin.h>

#include <complex>
#include <cstdint>
#include <cstring>
#include <vector>

#include <Eigen/Core>

#include "codegen/plan/element_add.h"

namespace pj {
namespace {

// What TensorFlow's CPU kernels add with, by dtype: Eigen's half and bfloat16, std::complex,
// integers as their unsigned twins (TensorFlow's signed adds wrap on the CPU in practice).
template <typename F>
void with_tf_type(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(float{});
    case DType::kFloat64:
      return f(double{});
    case DType::kHalf:
      return f(Eigen::half{});
    case DType::kBFloat16:
      return f(Eigen::bfloat16{});
    case DType::kComplex64:
      return f(std::complex<float>{});
    case DType::kComplex128:
      return f(std::complex<double>{});
    case DType::kInt16:
    case DType::kUInt16:
      return f(uint16_t{});
    case DType::kInt32:
    case DType::kUInt32:
      return f(uint32_t{});
    case DType::kInt64:
    case DType::kUInt64:
      return f(uint64_t{});
    default:
      return f(uint8_t{});
  }
}

template <typename T>
void tf_gradient_typed(const Geometry& g, const T* grad, T* image) {
  const int64_t H = g.rows.in, W = g.cols.in, B = g.batch, C = g.depth, BC = B * C;
  const int64_t taps = g.rows.ksize * g.cols.ksize, P = g.positions;
  // idx = extract(range(1, H*W + 1) as float32 [1, H, W, 1]).
  Spec index_spec;
  index_spec.image_shape = {1, H, W, 1};
  index_spec.ksizes = {1, g.rows.ksize, g.cols.ksize, 1};
  index_spec.strides = {1, g.rows.stride, g.cols.stride, 1};
  index_spec.rates = {1, g.rows.rate, g.cols.rate, 1};
  index_spec.padding = g.padding;
  const Geometry ig = *make_geometry(index_spec);
  std::vector<float, Eigen::aligned_allocator<float>> index_image(static_cast<size_t>(H * W));
  for (int64_t i = 0; i < H * W; ++i) index_image[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  std::vector<float, Eigen::aligned_allocator<float>> index_patches(static_cast<size_t>(P * taps));
  eigen_extract(ig, index_image.data(), index_patches.data());
  // The cast to int64, minus 1 (padding: -1, which the segment sum skips).
  std::vector<int64_t> segments(index_patches.size());
  for (size_t i = 0; i < segments.size(); ++i) segments[i] = static_cast<int64_t>(index_patches[i]) - 1;
  // grad (B, OH, OW, kh, kw, C) transposed to (OH, OW, kh, kw, B, C).
  std::vector<T, Eigen::aligned_allocator<T>> rows(static_cast<size_t>(P * taps * BC));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t r = 0; r < P * taps; ++r) {
      std::memcpy(&rows[static_cast<size_t>(r * BC + b * C)], grad + (b * P * taps + r) * C, sizeof(T) * C);
    }
  }
  // unsorted_segment_sum: the output zeroed, then each row added into its segment, in order.
  std::vector<T, Eigen::aligned_allocator<T>> sums(static_cast<size_t>(H * W * BC), T(0));
  using Row = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using ConstRow = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  for (int64_t r = 0; r < P * taps; ++r) {
    const int64_t s = segments[static_cast<size_t>(r)];
    if (s < 0 || s >= H * W) continue;
    Row(&sums[static_cast<size_t>(s * BC)], BC) += ConstRow(&rows[static_cast<size_t>(r * BC)], BC);
  }
  // (H, W, B, C) transposed to (B, H, W, C).
  for (int64_t p = 0; p < H * W; ++p) {
    for (int64_t b = 0; b < B; ++b) {
      std::memcpy(image + (b * H * W + p) * C, &sums[static_cast<size_t>(p * BC + b * C)], sizeof(T) * C);
    }
  }
}

template <typename E>
void scatter_typed(const Geometry& g, const uint8_t* in, uint8_t* out) {
  const int64_t e = g.elem_size, H = g.rows.in, W = g.cols.in, C = g.depth;
  const int64_t kh = g.rows.ksize, kw = g.cols.ksize, OH = g.rows.out, OW = g.cols.out, K = g.patch_depth;
  std::memset(out, 0, static_cast<size_t>(g.image_bytes));
  if (g.format == kTfFormat) {  // NHWC rows: per position, per tap, a run of C channels
    for (int64_t b = 0; b < g.batch; ++b) {
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          const uint8_t* patch = in + ((b * OH + oh) * OW + ow) * K * e;
          for (int64_t i = 0; i < kh; ++i) {
            const int64_t h = oh * g.rows.stride - g.rows.pad_before + i * g.rows.rate;
            if (h < 0 || h >= H) continue;
            for (int64_t j = 0; j < kw; ++j) {
              const int64_t w = ow * g.cols.stride - g.cols.pad_before + j * g.cols.rate;
              if (w < 0 || w >= W) continue;
              add_elements<E>(out + ((b * H + h) * W + w) * C * e, e, patch + (i * kw + j) * C * e, e, C);
            }
          }
        }
      }
    }
    return;
  }
  // NCHW columns: per (c, i, j) row of the [K, OH*OW] matrix, per output row, a run along w.
  // Taps in descending order keep each pixel's adds in ascending output position.
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t c = 0; c < C; ++c) {
      uint8_t* plane = out + (b * C + c) * H * W * e;
      for (int64_t i = kh - 1; i >= 0; --i) {
        for (int64_t j = kw - 1; j >= 0; --j) {
          const uint8_t* row = in + (b * K + (c * kh + i) * kw + j) * OH * OW * e;
          // Output columns whose pixel lies in the image.
          const int64_t offset = j * g.cols.rate - g.cols.pad_before;
          int64_t first = 0;
          while (first < OW && first * g.cols.stride + offset < 0) ++first;
          int64_t last = OW;
          while (last > first && (last - 1) * g.cols.stride + offset >= W) --last;
          for (int64_t oh = 0; oh < OH; ++oh) {
            const int64_t h = oh * g.rows.stride - g.rows.pad_before + i * g.rows.rate;
            if (h < 0 || h >= H || first >= last) continue;
            add_elements<E>(plane + (h * W + first * g.cols.stride + offset) * e, g.cols.stride * e,
                            row + (oh * OW + first) * e, e, last - first);
          }
        }
      }
    }
  }
}

}  // namespace

bool tf_gradient_applies(const Geometry& g) {
  return !g.extract() && g.mode == FoldMode::kSum && g.format == kTfFormat && g.padding != Padding::kExplicit &&
         g.dense_image() && g.dense_patches();
}

void tf_gradient_fold(const Geometry& g, const void* patches, void* image) {
  with_tf_type(g.dtype, [&](auto t) {
    using T = decltype(t);
    tf_gradient_typed<T>(g, static_cast<const T*>(patches), static_cast<T*>(image));
  });
}

bool scatter_col2im_applies(const Geometry& g) {
  return !g.extract() && g.mode == FoldMode::kSum && (g.format == kTfFormat || g.format == kTorchFormat) &&
         g.dense_image() && g.dense_patches();
}

void scatter_col2im(const Geometry& g, const void* patches, void* image) {
  with_element(g.dtype, [&](auto tag) {
    scatter_typed<typename decltype(tag)::type>(g, static_cast<const uint8_t*>(patches), static_cast<uint8_t*>(image));
  });
}

void floor_vector_loads(const void* in, size_t bytes) {
  const auto* p = static_cast<const uint8_t*>(in);
  size_t i = 0;
#if defined(__AVX512F__)
  __m512i acc = _mm512_setzero_si512();
  for (; i + 64 <= bytes; i += 64) acc = _mm512_or_si512(acc, _mm512_loadu_si512(p + i));
  volatile long long sink = _mm512_reduce_or_epi64(acc);
#else
  __m256i acc = _mm256_setzero_si256();
  for (; i + 32 <= bytes; i += 32)
    acc = _mm256_or_si256(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
  volatile long long sink = _mm256_extract_epi64(acc, 0) | _mm256_extract_epi64(acc, 1);
#endif
  unsigned char tail = 0;
  for (; i < bytes; ++i) tail |= p[i];
  sink = sink | tail;
  (void)sink;
}

}  // namespace pj
