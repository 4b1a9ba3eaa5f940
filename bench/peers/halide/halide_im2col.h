// A hand-scheduled Halide 14 im2col for TensorFlow's op (dense NHWC rows, SAME or VALID, zero
// padding), JIT-compiled per shape: the peer a generator that knows the shape should beat. It
// lives in a plugin of its own (libpj_halide_peer.so, built only where Debian's
// libhalide14-0-dev is installed) so that Halide's LLVM 14 is loaded only into the process that
// benchmarks it, never into the patchjit tool's start-up.
#pragma once

#include <memory>
#include <string>

#include "codegen/plan/geometry.h"

namespace pj {

// One shape's compiled pipeline bound to its buffers.
class HalideIm2col {
 public:
  virtual ~HalideIm2col() = default;
  virtual void run() = 0;
  // Which of the schedules serves the shape, and how (e.g. "rows: vectorize 16 x unroll 3").
  virtual std::string schedule() const = 0;
};

// The plugin's table (jit/plugin_file.h: found and opened as patchjit's own plugins are). `make`
// returns nullptr with *error set when Halide fails; `input` and `output` stay the pipeline's
// buffers for its whole life. Shapes must be TensorFlow's op (bench/harness: tf_peers_apply).
struct HalidePeerPlugin {
  const char* build_id;
  HalideIm2col* (*make)(const Geometry& g, const void* input, void* output, std::string* error);
};
inline constexpr const char* kHalidePeerFile = "libpj_halide_peer.so";
inline constexpr const char* kHalidePeerEntry = "pj_halide_peer_plugin";

// Loads the plugin (PATCHJIT_HALIDE_PEER, else beside libpj_peers.so) and makes the shape's
// pipeline; nullptr with *error saying why (what dlopen said when the plugin was not built).
std::unique_ptr<HalideIm2col> make_halide_im2col(const Geometry& g, const void* input, void* output,
                                                 std::string* error);

}  // namespace pj
