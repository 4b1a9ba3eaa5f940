// Benchmark peers beside the golden loops and the careful im2col: Eigen's
// extract_image_patches called exactly as TensorFlow's CPU kernel calls it, the store floors
// (the fastest way to merely write an output of the same size) and the copy floor. Compiled
// with -O3 -march=native, the strongest they can be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "codegen/plan/geometry.h"

// Exported from the peers' shared library (everything else in it stays hidden).
#if defined(PATCHJIT_PEERS_BUILDING)
#define PJ_PEERS_API __attribute__((visibility("default")))
#else
#define PJ_PEERS_API
#endif

namespace pj {

// TensorFlow's functor::ExtractImagePatchesForward on Eigen::ThreadPoolDevice with one thread:
// NHWC swapped to Eigen's (cols, rows) order, 32-bit indexing when the sizes allow. Buffers must
// be 64-byte aligned (TensorFlow's TensorMaps are Aligned). Returns false for element types
// the peer does not instantiate.
PJ_PEERS_API bool eigen_extract(const Geometry& g, const void* input, void* output);

// The three store floors; each writes `bytes` bytes of non-zero data to `out`.
PJ_PEERS_API void floor_memset(void* out, size_t bytes);         // memset with a non-zero byte
PJ_PEERS_API void floor_vector_stores(void* out, size_t bytes);  // widest vector stores of non-zero data
PJ_PEERS_API void floor_memcpy_hot(void* out, size_t bytes);     // memcpy from a hot 16 KiB buffer
PJ_PEERS_API void floor_stream(void* out, size_t bytes);         // non-temporal vector stores, then sfence
// The copy floor: memcpy of `bytes` bytes of the input (min(input, output) for extract: every
// needed input byte is read at least once, and a 1x1 kernel or space-to-depth is a copy).
PJ_PEERS_API void floor_copy(const void* in, void* out, size_t bytes);

// "g++ 12.2.0 -O3 -march=native" etc.: how the peers were built.
PJ_PEERS_API std::string peer_compiler();

}  // namespace pj
