// patchjit info: output shape, padding and plan of a signature, without running it.
#include <cstdio>
#include <string>

#include "patchjit/patchjit.hpp"
#include "tools/cli.h"

namespace pj::cli {
namespace {

std::optional<Failure> info(int argc, char** argv) {
  Flags flags;
  if (auto f = parse_flags(argc, argv, 2,
                           {"shape", "dtype", "ksizes", "strides", "rates", "padding", "backend"}, {}, &flags)) {
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
