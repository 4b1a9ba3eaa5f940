// patchjit info: output shape, padding and plan of a signature, without running it; on request
// the kernel's machine code (--dump-code FILE) and the kernel cache's statistics (--stats).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "patchjit/patchjit.hpp"
#include "tools/cli.h"

namespace pj::cli {
namespace {

std::optional<Failure> dump_code(const patchjit::Kernel& kernel, const std::string& path) {
  const void* code = nullptr;
  const size_t size = pj_kernel_code(kernel.get(), &code);
  if (size == 0) {
    return Failure{kExitError, std::string("backend ") + pj_backend_name(kernel.backend()) +
                                   " has no machine code to dump (use --backend xbyak)"};
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Failure{kExitError, path + ": " + std::strerror(errno)};
  const bool written = std::fwrite(code, 1, size, f) == size;
  if (std::fclose(f) != 0 || !written) return Failure{kExitError, path + ": write failed"};
  std::printf("wrote %zu bytes of machine code to %s (objdump -D -b binary -mi386:x86-64 %s)\n", size,
              path.c_str(), path.c_str());
  return std::nullopt;
}

void print_stats() {
  pj_cache_stats s;
  pj_cache_get_stats(&s);
  std::printf("kernel cache: %llu entries of %llu, %llu bytes of code of %llu; %llu hits, %llu misses, "
              "%llu evictions, %llu failures; %.1f us compiling\n",
              (unsigned long long)s.entries, (unsigned long long)s.max_entries, (unsigned long long)s.code_bytes,
              (unsigned long long)s.max_code_bytes, (unsigned long long)s.hits, (unsigned long long)s.misses,
              (unsigned long long)s.evictions, (unsigned long long)s.failures, s.compile_seconds * 1e6);
}

std::optional<Failure> info(int argc, char** argv) {
  Flags flags;
  if (auto f = parse_flags(argc, argv, 2,
                           {"shape", "dtype", "ksizes", "strides", "rates", "padding", "backend", "dump-code"},
                           {"stats"}, &flags)) {
    return f;
  }
  if (auto f = require(flags, {"shape", "ksizes", "strides", "rates", "padding"})) return f;
  pj_backend backend = PJ_BACKEND_AUTO;
  if (flags.has("backend")) {
    if (auto f = parse_backend(flags.get("backend"), &backend)) return f;
  }
  pj_spec spec{};
  if (auto f = parse_shape(flags.get("shape"), spec.input_shape)) return f;
  if (auto f = parse_op_attributes(flags, &spec)) return f;
  spec.dtype = PJ_FLOAT32;
  if (flags.has("dtype")) {
    if (auto f = parse_dtype(flags.get("dtype"), &spec.dtype)) return f;
  }
  patchjit::Result<patchjit::Kernel> kernel = patchjit::Kernel::try_create(spec, backend);
  if (!kernel) return Failure{kExitError, kernel.status().message};
  std::printf("signature %s input %s ksizes %s strides %s rates %s %s\n", pj_dtype_name(spec.dtype),
              format_shape(spec.input_shape).c_str(), format_shape(spec.ksizes).c_str(),
              format_shape(spec.strides).c_str(), format_shape(spec.rates).c_str(),
              spec.padding == PJ_PADDING_SAME ? "SAME" : "VALID");
  std::printf("input %zu bytes, output %zu bytes\n", kernel->input_bytes(), kernel->output_bytes());
  std::fputs(kernel->describe().c_str(), stdout);
  if (flags.has("dump-code")) {
    if (auto f = dump_code(*kernel, flags.get("dump-code"))) return f;
  }
  if (flags.switches.count("stats")) print_stats();
  return std::nullopt;
}

}  // namespace

int run_info(int argc, char** argv) {
  try {
    if (std::optional<Failure> f = info(argc, argv)) {
      std::fprintf(stderr, "patchjit info: %s\n", f->message.c_str());
      return f->exit_code;
    }
    return kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchjit info: %s\n", e.what());
    return kExitError;
  }
}

}  // namespace pj::cli
