// patchjit aot: a manifest of signatures -> DIR/NAME.o (a function per kernel and their table,
// compiled by LLVM for one CPU) and DIR/NAME.h, for programs that ship kernels with no JIT.
// Everything is checked and compiled before anything is written; both files are then written
// together (tools/aot_files.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "tools/aot_files.h"
#include "tools/aot_header.h"
#include "tools/aot_manifest.h"
#include "tools/aot_plugin.h"
#include "tools/cli.h"

namespace pj::cli {
namespace {

// "[12/40] e4_56x56x64_k3x3_s1x1_r1x1_same  machine code  3.1 s", rewritten in place, on a terminal only.
class Progress {
 public:
  Progress(std::string prefix, std::chrono::steady_clock::time_point start)
      : tty_(isatty(STDERR_FILENO)), prefix_(std::move(prefix)), start_(start) {}
  void show(bool machine_code, size_t index, size_t count, const std::string& symbol) const {
    if (!tty_) return;
    const std::string signature = symbol.substr(prefix_.size() + 1);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s  %s  %.1f s", index + 1, count, signature.c_str(),
                 machine_code ? "machine code" : "optimizing", seconds);
  }
  void clear() const {
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  bool tty_;
  std::string prefix_;
  std::chrono::steady_clock::time_point start_;
};

Failure usage(const std::string& message) { return {kExitUsage, message}; }
Failure error(const Status& status) { return {kExitError, status.message()}; }

std::optional<Failure> aot(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  Flags flags;
  if (auto f = parse_flags(argc, argv, 2, {"manifest", "cpu", "output-dir", "name"}, {}, &flags)) return f;
  if (auto f = require(flags, {"manifest", "cpu", "output-dir"})) return f;
  const std::string name = flags.has("name") ? flags.get("name") : "patchjit_kernels";
  if (!is_c_identifier(name)) {
    return usage("--name must be a C identifier ([A-Za-z_][A-Za-z0-9_]*): it prefixes every symbol, got '" + name + "'");
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
    return Failure{kExitError, manifest + ": no kernels to make: the manifest has no signature with a non-empty output"};
  }

  const AotTarget& target = (*compiler)->target();
  std::vector<AotKernelSource> sources;
  for (const ManifestKernel& k : kernels) sources.push_back({k.geometry, cat(manifest, ":", k.lines.front()->line)});
  const Progress progress(name, start);
  Expected<std::vector<uint8_t>> object = (*compiler)->compile(
      sources, name, [&](bool machine_code, size_t index, size_t count, const std::string& symbol) {
        progress.show(machine_code, index, count, symbol);
      });
  progress.clear();
  if (!object.ok()) return error(object.status());

  const std::string header = aot_header_text({name, manifest, target.cpu, target.triple, target.vector_bytes,
                                              target.required_features, kernels});
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  if (made) return Failure{kExitError, "cannot create " + dir.string() + ": " + made.message()};
  const std::string object_path = (dir / (name + ".o")).string(), header_path = (dir / (name + ".h")).string();
  Status written = write_files_atomically(
      {{object_path, std::string(object->begin(), object->end())}, {header_path, header}});
  if (!written.ok()) return error(written);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("patchjit aot: %zu kernel%s (%zu signature%s) for %s, %d-byte vectors: %s (%zu bytes), %s in %.2f s\n",
              kernels.size(), kernels.size() == 1 ? "" : "s", lines->size(), lines->size() == 1 ? "" : "s",
              target.cpu.c_str(), target.vector_bytes, object_path.c_str(), object->size(), header_path.c_str(),
              seconds);
  return std::nullopt;
}

}  // namespace

int run_aot(int argc, char** argv) {
  try {
    if (std::optional<Failure> f = aot(argc, argv)) {
      // One line per problem (a manifest may have several bad lines).
      std::string message = f->message;
      for (size_t start = 0; start <= message.size();) {
        size_t end = message.find('\n', start);
        if (end == std::string::npos) end = message.size();
        std::fprintf(stderr, "patchjit aot: %s\n", message.substr(start, end - start).c_str());
        start = end + 1;
      }
      return f->exit_code;
    }
    return kExitOk;
  } catch (const std::exception& e) {  // out of memory, mostly
    std::fprintf(stderr, "patchjit aot: %s\n", e.what());
    return kExitError;
  }
}

}  // namespace pj::cli
