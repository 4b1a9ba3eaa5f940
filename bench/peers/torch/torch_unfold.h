// PyTorch's unfold (torch.nn.functional.unfold: ATen's im2col, the CPU loop every torch user
// runs) for the torch format, through libtorch, writing into the harness's buffer (im2col's out=
// form, what F.unfold computes, without F.unfold's fresh tensor). It lives in a plugin of its own
// (libpj_torch_peer.so, built only where Debian's libtorch-dev is installed) so that libtorch is
// loaded only into the process that benchmarks it.
#pragma once

#include <memory>
#include <string>

#include "codegen/plan/geometry.h"

namespace pj {

// One shape's unfold bound to its buffers.
class TorchUnfold {
 public:
  virtual ~TorchUnfold() = default;
  virtual void run() = 0;
};

// Whether unfold computes `g`: the torch format (NCHW, CHW, columns), dense, zero padding.
bool torch_unfold_applies(const Geometry& g);

// The plugin's table (jit/plugin_file.h: found and opened as patchjit's own plugins are). `make`
// returns nullptr with *error set when torch refuses the shape (a dtype its im2col lacks);
// `input` and `output` stay the buffers of the unfold for its whole life. torch runs one thread.
struct TorchPeerPlugin {
  const char* build_id;
  TorchUnfold* (*make)(const Geometry& g, const void* input, void* output, std::string* error);
};
inline constexpr const char* kTorchPeerFile = "libpj_torch_peer.so";
inline constexpr const char* kTorchPeerEntry = "pj_torch_peer_plugin";

// Loads the plugin (PATCHJIT_TORCH_PEER, else beside libpj_peers.so) and makes the shape's unfold
// (torch_unfold_applies(g)); nullptr with *error saying why (what dlopen said when the plugin
// was not built).
std::unique_ptr<TorchUnfold> make_torch_unfold(const Geometry& g, const void* input, void* output, std::string* error);

}  // namespace pj
