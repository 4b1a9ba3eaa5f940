// Fuzz target: the `patchjit aot` manifest parser (and through it the CLI's flag, shape, dtype
// and attribute parsers) on arbitrary text. It must never crash or hang; what it accepts must be
// TensorFlow-valid signatures whose kernels cover every line once; what it refuses must name
// each bad line as PATH:LINE.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tools/aot/manifest.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  pj::Expected<std::vector<pj::cli::ManifestLine>> lines = pj::cli::parse_manifest(text, "m");
  if (!lines.ok()) {
    // One message line per bad manifest line (at most 20, then a count), each naming it.
    const std::string& message = lines.status().message();
    check(!message.empty());
    size_t count = 0;
    for (size_t start = 0; start <= message.size(); ++count) {
      size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      check(message.compare(start, 2, "m:") == 0);
      start = end + 1;
    }
    check(count <= 21);
    return 0;
  }
  int previous = 0;
  for (const pj::cli::ManifestLine& line : *lines) {
    check(line.line > previous);  // in order, one signature per line
    previous = line.line;
    pj::Expected<pj::Geometry> geometry = pj::make_geometry(line.spec);
    check(geometry.ok() && geometry->output_bytes() == line.geometry.output_bytes());
  }
  // Every line is served by exactly one kernel of its element size and op (fold: of its dtype
  // and mode), or needs none.
  const pj::cli::ManifestKernels kernels = pj::cli::kernels_of(*lines);
  size_t served = kernels.empty.size();
  for (const pj::cli::ManifestKernel& k : kernels.kernels) {
    check(!k.geometry.empty() && !k.lines.empty());
    for (const pj::cli::ManifestLine* line : k.lines) {
      check(line->geometry.elem_size == k.geometry.elem_size && line->geometry.depth == k.geometry.depth);
      check(line->geometry.extract() == k.geometry.extract());
      check(k.geometry.extract() || (line->geometry.dtype == k.geometry.dtype && line->geometry.mode == k.geometry.mode));
    }
    served += k.lines.size();
  }
  check(served == lines->size());
  return 0;
}
