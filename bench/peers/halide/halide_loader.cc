#include "bench/peers/halide/halide_im2col.h"
#include "bench/peers/peers.h"
#include "jit/plugin_file.h"

namespace pj {

std::unique_ptr<HalideIm2col> make_halide_im2col(const Geometry& g, const void* input, void* output,
                                                 std::string* error) {
  // Opened once (never closed: Halide's LLVM stays loaded), beside libpj_peers.so.
  static const Expected<OpenedPlugin> plugin = open_plugin(
      plugin_candidates(kHalidePeerFile, "PATCHJIT_HALIDE_PEER", reinterpret_cast<const void*>(&floor_memset)),
      kHalidePeerEntry);
  if (!plugin.ok()) {
    *error = plugin.status().message();
    return nullptr;
  }
  const auto* table = static_cast<const HalidePeerPlugin*>(plugin.value().table);
  return std::unique_ptr<HalideIm2col>(table->make(g, input, output, error));
}

}  // namespace pj
