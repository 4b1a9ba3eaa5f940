// Fold's benchmark peers (README "Fold"): TensorFlow's gradient algorithm as its CPU runs it, a
// careful scatter col2im, and the read floor. Compiled with -O3 -march=native in the peers'
// library, the strongest they can be; every one gives bit-identical results to patchjit's fold
// (each pixel's adds in ascending output position, rounded as TensorFlow rounds them).
#pragma once

#include <cstddef>

#include "bench/peers/peers.h"
#include "codegen/plan/geometry.h"

namespace pj {

// Whether TensorFlow's gradient computes this fold: the tf format, dense, SAME or VALID, sum.
PJ_PEERS_API bool tf_gradient_applies(const Geometry& g);

// TensorFlow's _ExtractImagePatchesGrad on the CPU, step by step, all of it per call as a
// gradient step runs it: the float32 index image [1, H, W, 1], ExtractImagePatches on it through
// Eigen as TensorFlow calls it, the cast to int64 minus 1, the transpose of the patches to
// (OH, OW, kh, kw, N, C), unsorted_segment_sum adding those rows in order into the H*W pixels
// (Eigen's vectorized row adds, in Eigen's half and bfloat16), and the transpose back to NHWC.
PJ_PEERS_API void tf_gradient_fold(const Geometry& g, const void* patches, void* image);

// Whether the scatter below computes this fold: dense buffers in the tf format (NHWC, rows) or
// the torch format (NCHW, columns).
PJ_PEERS_API bool scatter_col2im_applies(const Geometry& g);

// A careful scatter col2im, as Caffe's and PyTorch's CPU loops do it: the image zeroed, then
// every patch element added to its pixel, one loop of adds per contiguous run (the C channels of
// a tap in NHWC; a (c, i, j) row's output columns in NCHW), taps taken in the order that keeps
// each pixel's adds in ascending output position.
PJ_PEERS_API void scatter_col2im(const Geometry& g, const void* patches, void* image);

// The read floor: widest vector loads over `bytes` bytes of `in`, reduced so nothing is skipped.
PJ_PEERS_API void floor_vector_loads(const void* in, size_t bytes);

}  // namespace pj
