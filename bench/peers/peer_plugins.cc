// The peers that live in plugins of their own (Halide's im2col, torch's unfold): each opened on
// first use and never closed (its libraries stay loaded), found beside libpj_peers.so or where an
// environment variable says.
#include "bench/peers/halide/halide_im2col.h"
#include "bench/peers/peers.h"
#include "bench/peers/torch/torch_unfold.h"
#include "jit/plugin_file.h"

namespace pj {
namespace {

Expected<OpenedPlugin> open_peer(const char* file, const char* env, const char* entry) {
  return open_plugin(plugin_candidates(file, env, reinterpret_cast<const void*>(&floor_memset)), entry);
}

// The plugin's table, or nullptr with *error saying why it could not be opened.
template <typename Table>
const Table* table_of(const Expected<OpenedPlugin>& plugin, std::string* error) {
  if (!plugin.ok()) {
    *error = plugin.status().message();
    return nullptr;
  }
  return static_cast<const Table*>(plugin.value().table);
}

}  // namespace

std::unique_ptr<HalideIm2col> make_halide_im2col(const Geometry& g, const void* input, void* output,
                                                 std::string* error) {
  static const Expected<OpenedPlugin> plugin = open_peer(kHalidePeerFile, "PATCHJIT_HALIDE_PEER", kHalidePeerEntry);
  const auto* table = table_of<HalidePeerPlugin>(plugin, error);
  return std::unique_ptr<HalideIm2col>(table ? table->make(g, input, output, error) : nullptr);
}

bool torch_unfold_applies(const Geometry& g) {
  return g.extract() && g.format == kTorchFormat && g.zero_pad() && g.dense_image() && g.dense_patches();
}

std::unique_ptr<TorchUnfold> make_torch_unfold(const Geometry& g, const void* input, void* output, std::string* error) {
  if (!torch_unfold_applies(g)) {
    *error = cat("unfold computes the torch format with zero padding only, not ", signature_name(g));
    return nullptr;
  }
  static const Expected<OpenedPlugin> plugin = open_peer(kTorchPeerFile, "PATCHJIT_TORCH_PEER", kTorchPeerEntry);
  const auto* table = table_of<TorchPeerPlugin>(plugin, error);
  return std::unique_ptr<TorchUnfold>(table ? table->make(g, input, output, error) : nullptr);
}

}  // namespace pj
