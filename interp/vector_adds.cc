#include "interp/vector_adds.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "codegen/plan/element_add.h"

namespace pj {
namespace {

#define PJ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,bmi2,f16c")))
#define PJ_AVX2 __attribute__((target("avx2,f16c")))

// The element loop: the rule itself, for any dtype, and for the vector loops' tails.
template <typename E>
void sum_scalar(uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t n, bool from_dst) {
  using S = typename E::Storage;
  for (int64_t x = 0; x < n; ++x) {
    S acc{};
    if (from_dst) std::memcpy(&acc, dst + x * sizeof(S), sizeof(S));
    for (int64_t t = 0; t < taps; ++t) {
      S v;
      std::memcpy(&v, src[t] + x * sizeof(S), sizeof(S));
      acc = E::add(acc, v);
    }
    std::memcpy(dst + x * sizeof(S), &acc, sizeof(S));
  }
}

// Pixels through a loop of runs: each pixel's runs listed (kBatch at a time, later batches
// continuing from the partial sums) and summed by `runs`.
constexpr int64_t kBatch = 64;
void pixels_by_runs(SumRuns runs, uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets,
                    int64_t taps, int64_t src_step, int64_t count, int64_t n) {
  const uint8_t* batch[kBatch];
  for (int64_t m = 0; m < count; ++m, dst += dst_step, src += src_step) {
    int64_t t = 0;
    do {
      const int64_t k = std::min(kBatch, taps - t);
      for (int64_t i = 0; i < k; ++i) batch[i] = src + offsets[t + i];
      runs(dst, batch, k, n, t > 0);
      t += k;
    } while (t < taps);
  }
}

template <SumRuns kRuns>
void pixels_of(uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets, int64_t taps,
               int64_t src_step, int64_t count, int64_t n) {
  pixels_by_runs(kRuns, dst, dst_step, src, offsets, taps, src_step, count, n);
}

// The lane types of a vector add; half and bfloat16 add in float lanes, rounding after each add.
enum class Lane { kF32, kF64, kI8, kI16, kI32, kI64, kHalf, kBFloat16 };

// The lanes of a plain add: floats add as IEEE floats, integers wrap (unsigned lanes).
template <Lane L>
using LaneType = std::conditional_t<
    L == Lane::kF32, float,
    std::conditional_t<L == Lane::kF64, double,
                       std::conditional_t<L == Lane::kI8, uint8_t,
                                          std::conditional_t<L == Lane::kI16, uint16_t,
                                                             std::conditional_t<L == Lane::kI32, uint32_t, uint64_t>>>>>;

// a += b lane by lane in any register width, as GCC's vector extensions: always inlined, so the
// add is the caller's instruction set's (vpaddb, vaddps, ... in xmm, ymm or zmm). By reference:
// a vector passed by value outside AVX code would change the ABI.
template <Lane L, typename T>
[[gnu::always_inline]] inline void add_lanes(T& a, const T& b) {
  using V [[gnu::vector_size(sizeof(T))]] = LaneType<L>;
  a = reinterpret_cast<T>(reinterpret_cast<const V&>(a) + reinterpret_cast<const V&>(b));
}

// ---- AVX-512: blocks of 64 bytes (half, bfloat16: 32 bytes, 16 elements) ----

template <Lane L, int kBytes>
struct Avx512Short;
// bfloat16 bits <-> float lanes at any width, as GCC's vector extensions (always inlined: the
// caller's instruction set). To bfloat16: rounded to nearest even as float_to_bfloat16; NaN is
// the quiet NaN 0x7fc0 with its sign.
template <int kLanes>
struct Lanes32 {  // kLanes 32-bit lanes, and as many 16-bit ones
  typedef uint32_t U __attribute__((vector_size(4 * kLanes)));
  typedef float V __attribute__((vector_size(4 * kLanes)));
  typedef uint16_t U16 __attribute__((vector_size(2 * kLanes)));
};
template <int kLanes, typename F, typename H>
[[gnu::always_inline]] inline void bf16_of(const F& f, H* out) {
  using T = Lanes32<kLanes>;
  const typename T::U u = __builtin_bit_cast(typename T::U, f);
  const typename T::V v = __builtin_bit_cast(typename T::V, f);
  const typename T::U rounded = (u + 0x7fff + ((u >> 16) & 1)) >> 16;
  const typename T::U quiet = ((u >> 16) & 0x8000) | 0x7fc0;
  const typename T::U bits = v != v ? quiet : rounded;
  *out = __builtin_bit_cast(H, __builtin_convertvector(bits, typename T::U16));
}
template <int kLanes, typename H, typename F>
[[gnu::always_inline]] inline void f32_of_bf16(const H& h, F* out) {
  using T = Lanes32<kLanes>;
  const typename T::U wide = __builtin_convertvector(__builtin_bit_cast(typename T::U16, h), typename T::U);
  *out = __builtin_bit_cast(F, wide << 16);
}

template <Lane L>
struct Avx512 {  // plain lanes: a block is one register
  using Acc = __m512i;
  using Short = Avx512Short<L, 16>;  // the same lanes for pixels of at most 16 and 32 bytes
  using Half = Avx512Short<L, 32>;
  static constexpr int64_t kBlock = 64;
  PJ_AVX512 static Acc zero() { return _mm512_setzero_si512(); }
  PJ_AVX512 static Acc load(const uint8_t* p) { return _mm512_loadu_si512(p); }
  PJ_AVX512 static void store(uint8_t* p, Acc a) { _mm512_storeu_si512(p, a); }
  // The first bytes of a block (`mask` has one bit per byte): the rest of the lanes are +0.
  PJ_AVX512 static Acc load(const uint8_t* p, uint64_t mask) { return _mm512_maskz_loadu_epi8(mask, p); }
  PJ_AVX512 static void store(uint8_t* p, Acc a, uint64_t mask) { _mm512_mask_storeu_epi8(p, mask, a); }
  PJ_AVX512 static Acc add(Acc a, Acc b) {
    add_lanes<L>(a, b);
    return a;
  }
};

// Half and bfloat16: kLanes elements (16, a block; or 8, pixels of at most 16 bytes) widened to
// float lanes of a zmm or a ymm register.
template <int kLanes>
struct FloatLanes {
  using F = __m512;
  using H = __m256i;
};
template <>
struct FloatLanes<8> {
  using F = __m256;
  using H = __m128i;
};

template <Lane L, int kLanes = 16>
struct Avx512Narrow {
  using Acc = typename FloatLanes<kLanes>::F;
  using H = typename FloatLanes<kLanes>::H;
  using Short = Avx512Narrow<L, 8>;  // pixels of at most 16 bytes; 32 is a whole block
  using Half = Avx512Narrow<L, 16>;
  static constexpr int64_t kBlock = 2 * kLanes;
  static constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  PJ_AVX512 static Acc zero() { return Acc{}; }
  PJ_AVX512 static Acc widen(H h) {
    Acc f;
    if constexpr (L == Lane::kBFloat16) {
      f32_of_bf16<kLanes>(h, &f);
    } else if constexpr (kLanes == 16) {
      f = _mm512_cvtph_ps(h);
    } else {
      f = _mm256_cvtph_ps(h);
    }
    return f;
  }
  PJ_AVX512 static H narrow(Acc f) {
    H h;
    if constexpr (L == Lane::kBFloat16) {
      bf16_of<kLanes>(f, &h);
    } else if constexpr (kLanes == 16) {
      h = _mm512_cvtps_ph(f, kRound);
    } else {
      h = _mm256_cvtps_ph(f, kRound);
    }
    return h;
  }
  PJ_AVX512 static Acc load(const uint8_t* p) {
    H h;
    std::memcpy(&h, p, sizeof h);
    return widen(h);
  }
  PJ_AVX512 static void store(uint8_t* p, Acc a) {
    const H h = narrow(a);
    std::memcpy(p, &h, sizeof h);
  }
  PJ_AVX512 static Acc load(const uint8_t* p, uint64_t mask) {
    if constexpr (kLanes == 16) {
      return widen(_mm256_maskz_loadu_epi8(static_cast<__mmask32>(mask), p));
    } else {
      return widen(_mm_maskz_loadu_epi8(static_cast<__mmask16>(mask), p));
    }
  }
  PJ_AVX512 static void store(uint8_t* p, Acc a, uint64_t mask) {
    if constexpr (kLanes == 16) {
      _mm256_mask_storeu_epi8(p, static_cast<__mmask32>(mask), narrow(a));
    } else {
      _mm_mask_storeu_epi8(p, static_cast<__mmask16>(mask), narrow(a));
    }
  }
  // Rounded to the narrow type after every add.
  PJ_AVX512 static Acc add(Acc a, Acc b) { return widen(narrow(a + b)); }
};

// Pixels of at most 16 or 32 bytes in xmm or ymm registers (AVX-512VL's byte masks): a zmm
// load or store under a mask costs about twice as much on AMD's cores (measured on Zen 5: 311
// against 175 us summing 3-byte pixels of a 7x7 stride-2 fold), for lanes that hold nothing.
template <int kBytes>
struct ShortRegister {
  using T = __m256i;
};
template <>
struct ShortRegister<16> {
  using T = __m128i;
};

template <Lane L, int kBytes>
struct Avx512Short {  // plain lanes
  using Acc = typename ShortRegister<kBytes>::T;
  static constexpr int64_t kBlock = kBytes;
  PJ_AVX512 static Acc zero() { return Acc{}; }
  PJ_AVX512 static Acc load(const uint8_t* p, uint64_t mask) {
    if constexpr (kBytes == 16) {
      return _mm_maskz_loadu_epi8(static_cast<__mmask16>(mask), p);
    } else {
      return _mm256_maskz_loadu_epi8(static_cast<__mmask32>(mask), p);
    }
  }
  PJ_AVX512 static void store(uint8_t* p, Acc a, uint64_t mask) {
    if constexpr (kBytes == 16) {
      _mm_mask_storeu_epi8(p, static_cast<__mmask16>(mask), a);
    } else {
      _mm256_mask_storeu_epi8(p, static_cast<__mmask32>(mask), a);
    }
  }
  PJ_AVX512 static Acc add(Acc a, Acc b) {
    add_lanes<L>(a, b);
    return a;
  }
};

// One block's sum at byte `offset`. A partial last block is summed first as the block that ends
// at the runs' end, overlapping the one before it (each lane's adds are the same either way),
// and stored last: with from_dst it reads dst before any store has changed it.
// (Two copies: each is compiled for its own instruction set.)
template <typename V>
PJ_AVX512 typename V::Acc sum_block_avx512(const uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t offset,
                                           bool from_dst) {
  typename V::Acc a = from_dst ? V::load(dst + offset) : V::zero();
  for (int64_t t = 0; t < taps; ++t) a = V::add(a, V::load(src[t] + offset));
  return a;
}
template <typename V>
PJ_AVX2 typename V::Acc sum_block_avx2(const uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t offset,
                                       bool from_dst) {
  typename V::Acc a = from_dst ? V::load(dst + offset) : V::zero();
  for (int64_t t = 0; t < taps; ++t) a = V::add(a, V::load(src[t] + offset));
  return a;
}

// Four blocks at a time (four independent add chains), then one, then the overlapping last.
template <typename V>
PJ_AVX512 void sum_avx512(uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t n, int64_t size, bool from_dst,
                          SumRuns tail) {
  using Acc = typename V::Acc;
  constexpr int64_t B = V::kBlock;
  const int64_t bytes = n * size;
  // Shorter than a block: the AVX2 loop (masked 512-bit loads and stores are slow on some CPUs,
  // AMD's).
  if (bytes < B) return tail(dst, src, taps, n, from_dst);
  const int64_t last = bytes - B;
  const Acc last_sum = bytes % B ? sum_block_avx512<V>(dst, src, taps, last, from_dst) : Acc{};
  int64_t i = 0;
  for (; i + 4 * B <= bytes; i += 4 * B) {
    Acc a0 = from_dst ? V::load(dst + i) : V::zero(), a1 = from_dst ? V::load(dst + i + B) : V::zero();
    Acc a2 = from_dst ? V::load(dst + i + 2 * B) : V::zero(), a3 = from_dst ? V::load(dst + i + 3 * B) : V::zero();
    for (int64_t t = 0; t < taps; ++t) {
      const uint8_t* s = src[t] + i;
      a0 = V::add(a0, V::load(s)), a1 = V::add(a1, V::load(s + B));
      a2 = V::add(a2, V::load(s + 2 * B)), a3 = V::add(a3, V::load(s + 3 * B));
    }
    V::store(dst + i, a0), V::store(dst + i + B, a1);
    V::store(dst + i + 2 * B, a2), V::store(dst + i + 3 * B, a3);
  }
  for (; i + B <= bytes; i += B) {
    Acc a = from_dst ? V::load(dst + i) : V::zero();
    for (int64_t t = 0; t < taps; ++t) a = V::add(a, V::load(src[t] + i));
    V::store(dst + i, a);
  }
  if (bytes % B) V::store(dst + last, last_sum);
}

template <typename V, int64_t kSize, SumRuns kTail>
PJ_AVX512 void sum_avx512_of(uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t n, bool from_dst) {
  sum_avx512<V>(dst, src, taps, n, kSize, from_dst, kTail);
}

// Pixels of one block under a byte mask, K at a time, then one by one.
template <typename V, int K>
PJ_AVX512 void pixels_masked(uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets, int64_t taps,
                             int64_t src_step, int64_t count, uint64_t mask) {
  using Acc = typename V::Acc;
  int64_t m = 0;
  for (; m + K <= count; m += K) {
    const uint8_t* s = src + m * src_step;
    Acc a[K];
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) a[k] = V::zero();
    for (int64_t t = 0; t < taps; ++t) {
      const uint8_t* at = s + offsets[t];
#pragma GCC unroll 8
      for (int k = 0; k < K; ++k) a[k] = V::add(a[k], V::load(at + k * src_step, mask));
    }
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) V::store(dst + (m + k) * dst_step, a[k], mask);
  }
  for (; m < count; ++m) {
    Acc a = V::zero();
    for (int64_t t = 0; t < taps; ++t) a = V::add(a, V::load(src + m * src_step + offsets[t], mask));
    V::store(dst + m * dst_step, a, mask);
  }
}

// K pixels' blocks [b, b + J) summed at once: K * J add chains in flight. A partial last block
// is the one ending at the pixel's end, overlapping the one before it (each lane's adds are the
// same in both).
template <typename V, int K, int J>
PJ_AVX512 void blocks_of(uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets, int64_t taps,
                         int64_t src_step, int64_t bytes, int64_t b) {
  using Acc = typename V::Acc;
  int64_t at[J];
#pragma GCC unroll 4
  for (int j = 0; j < J; ++j) at[j] = std::min((b + j) * V::kBlock, bytes - V::kBlock);
  Acc a[K][J];
#pragma GCC unroll 16
  for (int i = 0; i < K * J; ++i) a[i / J][i % J] = V::zero();
  for (int64_t t = 0; t < taps; ++t) {
    const uint8_t* s = src + offsets[t];
#pragma GCC unroll 16
    for (int i = 0; i < K * J; ++i) a[i / J][i % J] = V::add(a[i / J][i % J], V::load(s + (i / J) * src_step + at[i % J]));
  }
#pragma GCC unroll 16
  for (int i = 0; i < K * J; ++i) V::store(dst + (i / J) * dst_step + at[i % J], a[i / J][i % J]);
}

// K pixels of more than one block: four blocks at a time, then two, then one.
template <typename V, int K>
PJ_AVX512 void pixels_blocks(uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets, int64_t taps,
                             int64_t src_step, int64_t bytes) {
  const int64_t blocks = (bytes + V::kBlock - 1) / V::kBlock;
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4) blocks_of<V, K, 4>(dst, dst_step, src, offsets, taps, src_step, bytes, b);
  if (b + 2 <= blocks) blocks_of<V, K, 2>(dst, dst_step, src, offsets, taps, src_step, bytes, b), b += 2;
  if (b < blocks) blocks_of<V, K, 1>(dst, dst_step, src, offsets, taps, src_step, bytes, b);
}

// Pixels summed several at a time so that about eight add chains are in flight: a pixel's own
// chain is as long as its taps, so one short pixel at a time is bound by the adds' latency, not
// by the loads. One block: loaded and stored under a byte mask, in the narrowest register that
// holds it, eight pixels at a time (four in zmm); two blocks: four pixels at a time; three or
// four: two; longer pixels one at a time (their own blocks are chains enough, and more pixels'
// runs at once were slower on patches that come from memory: 8x28x28x128 k3, 1.3-1.5 ms against
// 1.3-2.8 ms two at a time).
template <typename V, int64_t kSize>
PJ_AVX512 void pixels_avx512(uint8_t* dst, int64_t dst_step, const uint8_t* src, const int64_t* offsets, int64_t taps,
                             int64_t src_step, int64_t count, int64_t n) {
  constexpr int64_t B = V::kBlock;
  const int64_t bytes = n * kSize;
  if (bytes <= B) {
    const uint64_t mask = bytes == 64 ? ~uint64_t{0} : (uint64_t{1} << bytes) - 1;
    if (bytes <= 16) return pixels_masked<typename V::Short, 8>(dst, dst_step, src, offsets, taps, src_step, count, mask);
    if (bytes <= 32) return pixels_masked<typename V::Half, 8>(dst, dst_step, src, offsets, taps, src_step, count, mask);
    return pixels_masked<V, 4>(dst, dst_step, src, offsets, taps, src_step, count, mask);
  }
  int64_t m = 0;
  if (bytes <= 2 * B) {
    for (; m + 4 <= count; m += 4)
      pixels_blocks<V, 4>(dst + m * dst_step, dst_step, src + m * src_step, offsets, taps, src_step, bytes);
  }
  if (bytes <= 4 * B) {
    for (; m + 2 <= count; m += 2)
      pixels_blocks<V, 2>(dst + m * dst_step, dst_step, src + m * src_step, offsets, taps, src_step, bytes);
  }
  for (; m < count; ++m)
    pixels_blocks<V, 1>(dst + m * dst_step, dst_step, src + m * src_step, offsets, taps, src_step, bytes);
}

// ---- AVX2: blocks of 32 bytes (half: 16 bytes), the overlapping last block; shorter runs by the
// element loop ----

template <Lane L>
struct Avx2 {
  using Acc = __m256i;
  static constexpr int64_t kBlock = 32;
  PJ_AVX2 static Acc zero() { return _mm256_setzero_si256(); }
  PJ_AVX2 static Acc load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  PJ_AVX2 static void store(uint8_t* p, Acc a) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), a); }
  PJ_AVX2 static Acc add(Acc a, Acc b) {
    add_lanes<L>(a, b);
    return a;
  }
};

struct Avx2Half {
  using Acc = __m256;
  static constexpr int64_t kBlock = 16;
  PJ_AVX2 static Acc zero() { return _mm256_setzero_ps(); }
  PJ_AVX2 static Acc load(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  PJ_AVX2 static __m128i narrow(Acc f) { return _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  PJ_AVX2 static void store(uint8_t* p, Acc a) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), narrow(a)); }
  PJ_AVX2 static Acc add(Acc a, Acc b) { return _mm256_cvtph_ps(narrow(_mm256_add_ps(a, b))); }
};

template <typename V, typename E>
PJ_AVX2 void sum_avx2(uint8_t* dst, const uint8_t* const* src, int64_t taps, int64_t n, bool from_dst) {
  using Acc = typename V::Acc;
  constexpr int64_t B = V::kBlock, kSize = sizeof(typename E::Storage);
  const int64_t bytes = n * kSize;
  if (bytes < B) return sum_scalar<E>(dst, src, taps, n, from_dst);
  const int64_t last = bytes - B;
  const Acc last_sum = bytes % B ? sum_block_avx2<V>(dst, src, taps, last, from_dst) : Acc{};
  int64_t i = 0;
  for (; i + 2 * B <= bytes; i += 2 * B) {
    Acc a0 = from_dst ? V::load(dst + i) : V::zero(), a1 = from_dst ? V::load(dst + i + B) : V::zero();
    for (int64_t t = 0; t < taps; ++t) a0 = V::add(a0, V::load(src[t] + i)), a1 = V::add(a1, V::load(src[t] + i + B));
    V::store(dst + i, a0), V::store(dst + i + B, a1);
  }
  for (; i + B <= bytes; i += B) {
    Acc a = from_dst ? V::load(dst + i) : V::zero();
    for (int64_t t = 0; t < taps; ++t) a = V::add(a, V::load(src[t] + i));
    V::store(dst + i, a);
  }
  if (bytes % B) V::store(dst + last, last_sum);
}

// One dtype's loops: AVX-512 over 64-byte blocks with the AVX2 loop for shorter runs, AVX2 over
// 32-byte blocks with the element loop for shorter runs, and the element loop.
template <typename V512, int64_t kSize, typename V256, typename E>
struct Loops {
  static constexpr SumRuns kAvx2 = sum_avx2<V256, E>;
  static constexpr SumRuns kAvx512 = sum_avx512_of<V512, kSize, kAvx2>;
  static constexpr SumRuns kScalar = sum_scalar<E>;
  static constexpr SumPixels kPixels512 = pixels_avx512<V512, kSize>;
  static constexpr SumPixels kPixels2 = pixels_of<kAvx2>;
  static constexpr SumPixels kPixelsScalar = pixels_of<kScalar>;
};

struct Choice {
  SumRuns avx512, avx2, scalar;
  SumPixels pixels512, pixels2, pixels_scalar;
};

Choice choice(DType dtype) {
  auto of = [](auto loops) {
    using L = decltype(loops);
    return Choice{L::kAvx512, L::kAvx2, L::kScalar, L::kPixels512, L::kPixels2, L::kPixelsScalar};
  };
  Choice c{};
  switch (dtype) {
    case DType::kFloat32:
      c = of(Loops<Avx512<Lane::kF32>, 4, Avx2<Lane::kF32>, PlainElement<float>>{});
      break;
    case DType::kFloat64:
      c = of(Loops<Avx512<Lane::kF64>, 8, Avx2<Lane::kF64>, PlainElement<double>>{});
      break;
    case DType::kComplex64:  // two float lanes per element, added apart
      c = of(Loops<Avx512<Lane::kF32>, 8, Avx2<Lane::kF32>, ComplexElement<float>>{});
      break;
    case DType::kComplex128:
      c = of(Loops<Avx512<Lane::kF64>, 16, Avx2<Lane::kF64>, ComplexElement<double>>{});
      break;
    case DType::kHalf:
      c = of(Loops<Avx512Narrow<Lane::kHalf>, 2, Avx2Half, HalfElement>{});
      break;
    case DType::kBFloat16:  // no AVX2 loop: the element loop is its tail
      c = {sum_avx512_of<Avx512Narrow<Lane::kBFloat16>, 2, sum_scalar<BFloat16Element>>,
           sum_scalar<BFloat16Element>,
           sum_scalar<BFloat16Element>,
           pixels_avx512<Avx512Narrow<Lane::kBFloat16>, 2>,
           pixels_of<sum_scalar<BFloat16Element>>,
           pixels_of<sum_scalar<BFloat16Element>>};
      break;
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool:
      c = of(Loops<Avx512<Lane::kI8>, 1, Avx2<Lane::kI8>, WrappingElement<uint8_t>>{});
      break;
    case DType::kInt16:
    case DType::kUInt16:
      c = of(Loops<Avx512<Lane::kI16>, 2, Avx2<Lane::kI16>, WrappingElement<uint16_t>>{});
      break;
    case DType::kInt32:
    case DType::kUInt32:
      c = of(Loops<Avx512<Lane::kI32>, 4, Avx2<Lane::kI32>, WrappingElement<uint32_t>>{});
      break;
    case DType::kInt64:
    case DType::kUInt64:
      c = of(Loops<Avx512<Lane::kI64>, 8, Avx2<Lane::kI64>, WrappingElement<uint64_t>>{});
      break;
  }
  return c;
}

// ---- strided stores ----

template <typename T>
void store_strided_as(uint8_t* dst, int64_t dst_step, const uint8_t* src, int64_t n) {
  for (int64_t m = 0; m < n; ++m) std::memcpy(dst + m * dst_step, src + m * sizeof(T), sizeof(T));
}
void store_strided_scalar(uint8_t* dst, int64_t dst_step, const uint8_t* src, int64_t n, int64_t size) {
  struct Pair {
    uint64_t a, b;
  };
  switch (size) {
    case 1:
      return store_strided_as<uint8_t>(dst, dst_step, src, n);
    case 2:
      return store_strided_as<uint16_t>(dst, dst_step, src, n);
    case 4:
      return store_strided_as<uint32_t>(dst, dst_step, src, n);
    case 8:
      return store_strided_as<uint64_t>(dst, dst_step, src, n);
    default:
      return store_strided_as<Pair>(dst, dst_step, src, n);
  }
}

// Eight 4-byte or four 8-byte elements at a time, spread to the even lanes of a zmm
// (vpexpand) and stored under the even lanes' mask.
PJ_AVX512 void store_strided_avx512(uint8_t* dst, int64_t dst_step, const uint8_t* src, int64_t n, int64_t size) {
  int64_t m = 0;
  if (dst_step == 2 * size && size == 4) {
    for (; m + 8 <= n; m += 8) {
      const __m512i v = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + m * 4)));
      _mm512_mask_storeu_epi32(dst + m * 8, 0x5555, _mm512_maskz_expand_epi32(0x5555, v));
    }
  } else if (dst_step == 2 * size && size == 8) {
    for (; m + 4 <= n; m += 4) {
      const __m512i v = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + m * 8)));
      _mm512_mask_storeu_epi64(dst + m * 16, 0x55, _mm512_maskz_expand_epi64(0x55, v));
    }
  }
  store_strided_scalar(dst + m * dst_step, dst_step, src + m * size, n - m, size);
}

// Four 4-byte elements (zero-extended to the even lanes of a ymm) or two 8-byte ones (permuted
// to lanes 0 and 2) at a time, stored under the even lanes' mask.
PJ_AVX2 void store_strided_avx2(uint8_t* dst, int64_t dst_step, const uint8_t* src, int64_t n, int64_t size) {
  int64_t m = 0;
  if (dst_step == 2 * size && size == 4) {
    const __m256i even = _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0);
    for (; m + 4 <= n; m += 4) {
      const __m256i v = _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + m * 4)));
      _mm256_maskstore_epi32(reinterpret_cast<int*>(dst + m * 8), even, v);
    }
  } else if (dst_step == 2 * size && size == 8) {
    const __m256i even = _mm256_setr_epi64x(-1, 0, -1, 0);
    for (; m + 2 <= n; m += 2) {
      const __m256i v = _mm256_permute4x64_epi64(
          _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + m * 8))), 0x10);
      _mm256_maskstore_epi64(reinterpret_cast<long long*>(dst + m * 16), even, v);
    }
  }
  store_strided_scalar(dst + m * dst_step, dst_step, src + m * size, n - m, size);
}

}  // namespace

StoreStrided store_strided(Isa isa) {
  return isa == Isa::kAvx512 ? store_strided_avx512 : isa == Isa::kAvx2 ? store_strided_avx2 : store_strided_scalar;
}

SumRuns sum_runs(DType dtype, Isa isa) {
  const Choice c = choice(dtype);
  return isa == Isa::kAvx512 ? c.avx512 : isa == Isa::kAvx2 ? c.avx2 : c.scalar;
}

SumPixels sum_pixels(DType dtype, Isa isa) {
  const Choice c = choice(dtype);
  return isa == Isa::kAvx512 ? c.pixels512 : isa == Isa::kAvx2 ? c.pixels2 : c.pixels_scalar;
}

}  // namespace pj
