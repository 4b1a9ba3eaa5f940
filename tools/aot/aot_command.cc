// patchjit aot: a manifest of signatures -> DIR/NAME.o (a function per kernel and their table,
// compiled by LLVM for one CPU) and DIR/NAME.h, for programs that ship kernels with no JIT.
// Everything is checked and compiled before anything is written; both files are then written
// together (tools/files/atomic_file.h).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "tools/aot/header.h"
#include "tools/aot/manifest.h"
#include "tools/aot/plugin.h"
#include "tools/cli/command.h"
#include "tools/cli/progress_line.h"
#include "tools/files/atomic_file.h"

namespace pj::cli {
namespace {

const char kUsage[] =
    "patchjit aot --manifest FILE --cpu native|x86-64-v3|x86-64-v4|CPU --output-dir DIR [--name NAME]\n"
    "  Compiles a kernel for each signature of FILE (one per line: --shape N,H,W,C [--dtype NAME]\n"
    "  --ksizes ... [--strides ...] [--rates ...] --padding ..., and the format flags as info\n"
    "  takes them: --pads, --pad-value, --format, --layout, --patch-order, --patches,\n"
    "  --input-strides, --output-strides; --op fold [--mode sum|mean] for the fold of the image\n"
    "  --shape; '#' comments) for CPU (an LLVM CPU\n"
    "  name) into DIR/NAME.o and DIR/NAME.h (NAME: patchjit_kernels), for programs that link them\n"
    "  with no JIT and no patchjit library. Needs a build with LLVM.\n"
    "  exit status: 0 ok, 1 an error (manifest, CPU, no LLVM in this build), 2 a usage error\n";

Failure error(const Status& status) { return data_error(status.message()); }

std::optional<Failure> aot(const Flags& flags) {
  const auto start = std::chrono::steady_clock::now();
  if (auto f = require(flags, {"manifest", "cpu", "output-dir"})) return f;
  const std::string name = flags.has("name") ? flags.get("name") : "patchjit_kernels";
  if (!is_c_identifier(name)) {
    return usage_error("--name must be a C identifier ([A-Za-z_][A-Za-z0-9_]*): it prefixes every symbol, got '" +
                       name + "'");
  }
  const std::string& manifest = flags.get("manifest");
  const std::filesystem::path dir = flags.get("output-dir");

  // The compiler first: a build without it, or an unknown CPU, says so before anything else.
  Expected<std::unique_ptr<AotCompiler>> compiler = load_aot_compiler(flags.get("cpu"));
  if (!compiler.ok()) return error(compiler.status());
  Expected<std::vector<ManifestLine>> lines = read_manifest(manifest);
  if (!lines.ok()) return error(lines.status());
  const ManifestKernels needed = kernels_of(*lines);
  const std::vector<ManifestKernel>& kernels = needed.kernels;
  for (const ManifestLine* line : needed.empty) {  // said, so that a missing symbol is no surprise
    std::fprintf(stderr, "patchjit aot: %s:%d: note: the output %s is empty for every batch: no kernel\n",
                 manifest.c_str(), line->line, to_string(line->geometry.output_shape()).c_str());
  }
  if (kernels.empty()) {
    return data_error(manifest + ": no kernels to make: the manifest has no signature with a non-empty output");
  }

  const AotTarget& target = (*compiler)->target();
  std::vector<AotKernelSource> sources;
  for (const ManifestKernel& k : kernels) sources.push_back({k.geometry, cat(manifest, ":", k.lines.front()->line)});
  // One counter over both phases (every kernel is optimized, then every kernel gets its machine
  // code): "[5/6] e4_8x9x3_k3x3_s1x1_r1x1_same  machine code  0.3 s".
  const ProgressLine progress;
  Expected<std::vector<uint8_t>> object = (*compiler)->compile(
      sources, name, [&](bool machine_code, size_t index, size_t count, const std::string& symbol) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char elapsed[32];
        std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
        progress.show(
            (machine_code ? count : 0) + index, 2 * count,
            symbol.substr(name.size() + 1) + (machine_code ? "  machine code  " : "  optimizing  ") + elapsed);
      });
  progress.clear();
  if (!object.ok()) return error(object.status());

  const std::string header = aot_header_text(
      {name, manifest, target.cpu, target.triple, target.vector_bytes, target.required_features, kernels});
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  if (made) return data_error("cannot create " + dir.string() + ": " + made.message());
  const std::string object_path = (dir / (name + ".o")).string(), header_path = (dir / (name + ".h")).string();
  const std::string written = files::write_atomically(
      {{object_path, {std::string_view(reinterpret_cast<const char*>(object->data()), object->size())}},
       {header_path, {header}}});
  if (!written.empty()) return data_error(written);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("patchjit aot: %zu kernel%s (%zu signature%s) for %s, %d-byte vectors: %s (%zu bytes), %s in %.2f s\n",
              kernels.size(), kernels.size() == 1 ? "" : "s", lines->size(), lines->size() == 1 ? "" : "s",
              target.cpu.c_str(), target.vector_bytes, object_path.c_str(), object->size(), header_path.c_str(),
              seconds);
  return std::nullopt;
}

}  // namespace

Command aot_command() { return {"aot", kUsage, {{"manifest", "cpu", "output-dir", "name"}, {}, {}}, aot}; }

}  // namespace pj::cli
