// patchjit extract: .npy in, patches out, optionally verified against the golden loops.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "patchjit/patchjit.hpp"
#include "reference/compare.h"
#include "runtime/c_spec.h"
#include "tools/available_memory.h"
#include "tools/cli.h"
#include "tools/npy.h"

namespace pj::cli {
namespace {

// The dtype of a descr ("<f4" -> float32), ignoring the byte-order character the reader has
// already checked.
std::optional<pj_dtype> dtype_of_descr(const std::string& descr) {
  static const std::map<std::string, pj_dtype> kByCode = {
      {"f4", PJ_FLOAT32}, {"f8", PJ_FLOAT64},  {"i4", PJ_INT32},    {"i8", PJ_INT64},
      {"u1", PJ_UINT8},   {"i2", PJ_INT16},    {"i1", PJ_INT8},     {"u2", PJ_UINT16},
      {"f2", PJ_HALF},    {"c8", PJ_COMPLEX64}, {"c16", PJ_COMPLEX128}, {"b1", PJ_BOOL},
      {"u4", PJ_UINT32},  {"u8", PJ_UINT64}};
  auto it = kByCode.find(descr.substr(1));
  if (it == kByCode.end()) return std::nullopt;
  return it->second;
}

// The dtype to run: the descr's, or --dtype where it names the same type, or bfloat16 for any
// 2-byte data (numpy has no bfloat16).
std::optional<Failure> choose_dtype(const Flags& flags, const npy::Header& header, pj_dtype* out) {
  std::optional<pj_dtype> from_descr = dtype_of_descr(header.descr);
  if (!flags.has("dtype")) {
    if (!from_descr) {
      return Failure{kExitError, "the input's descr '" + header.descr +
                                     "' has no dtype of its own: pass --dtype bfloat16 to read it as bfloat16"};
    }
    *out = *from_descr;
    return std::nullopt;
  }
  pj_dtype asked;
  if (auto f = parse_dtype(flags.get("dtype"), &asked)) return f;
  if (asked == PJ_BFLOAT16 && header.item_size == 2) {
    *out = asked;
    return std::nullopt;
  }
  if (!from_descr || *from_descr != asked) {
    return Failure{kExitError, "--dtype " + flags.get("dtype") + " does not match the input's descr '" +
                                   header.descr + "'" + (from_descr ? std::string(" (") + pj_dtype_name(*from_descr) + ")" : "") +
                                   (asked == PJ_BFLOAT16 ? ": bfloat16 needs 2-byte data" : "")};
  }
  *out = asked;
  return std::nullopt;
}

std::optional<Failure> extract(int argc, char** argv) {
  Flags flags;
  if (auto f = parse_flags(argc, argv, 2,
                           {"input", "output", "ksizes", "strides", "rates", "padding", "backend", "threads", "dtype"},
                           {"verify"}, &flags)) {
    return f;
  }
  if (auto f = require(flags, {"input", "output", "ksizes", "strides", "rates", "padding"})) return f;
  pj_backend backend = PJ_BACKEND_AUTO;
  int threads = 0;
  if (flags.has("backend")) {
    if (auto f = parse_backend(flags.get("backend"), &backend)) return f;
  }
  if (flags.has("threads")) {
    if (auto f = parse_threads(flags.get("threads"), &threads)) return f;
  }
  pj_spec spec{};
  if (auto f = parse_op_attributes(flags, &spec)) return f;

  npy::Array input;
  if (std::string e = npy::read_file(flags.get("input"), &input); !e.empty()) return Failure{kExitError, e};
  const std::vector<int64_t>& shape = input.header.shape;
  if (shape.size() != 4) return Failure{kExitError, not_4d_message(shape)};
  if (auto f = choose_dtype(flags, input.header, &spec.dtype)) return f;
  for (int i = 0; i < 4; ++i) spec.input_shape[i] = shape[i];

  patchjit::Result<patchjit::Kernel> kernel = patchjit::Kernel::try_create(spec, backend);
  if (!kernel) return Failure{kExitError, kernel.status().message};
  if (auto e = check_fits_in_memory(kernel->output_bytes(), "the output " + format_shape(kernel->output_shape().data()))) {
    return Failure{kExitError, *e};
  }
  std::vector<uint8_t> output(kernel->output_bytes());
  auto start = std::chrono::steady_clock::now();
  patchjit::Status run = kernel->try_run(input.data.data(), output.data(), threads);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!run) return Failure{kExitError, run.message};

  patchjit::Shape out_shape = kernel->output_shape();
  std::string verified;
  if (flags.switches.count("verify")) {
    patchjit::Kernel reference = patchjit::Kernel::create(spec, PJ_BACKEND_REFERENCE);
    std::vector<uint8_t> expected(output.size());
    reference.run(input.data.data(), expected.data(), 1);
    const Geometry g = *make_geometry(from_c(spec));
    if (auto m = first_mismatch(g, expected.data(), output.data())) {
      return Failure{kExitError, std::string("verify: backend ") + pj_backend_name(kernel->backend()) +
                                     " differs from the reference at " + describe(g, *m, expected.data(), output.data())};
    }
    verified = ", verified against the reference";
  }
  std::string e = npy::write_file(flags.get("output"), input.header.descr,
                                  {out_shape[0], out_shape[1], out_shape[2], out_shape[3]},
                                  output.data(), output.size());
  if (!e.empty()) return Failure{kExitError, e};
  std::printf("%s: %s %s, %zu bytes, in %.3f ms on %s%s\n", flags.get("output").c_str(),
              pj_dtype_name(spec.dtype), format_shape(out_shape.data()).c_str(), output.size(), ms,
              pj_backend_name(kernel->backend()), verified.c_str());
  return std::nullopt;
}

}  // namespace

int run_extract(int argc, char** argv) {
  try {
    if (std::optional<Failure> f = extract(argc, argv)) {
      std::fprintf(stderr, "patchjit extract: %s\n", f->message.c_str());
      return f->exit_code;
    }
    return kExitOk;
  } catch (const std::exception& e) {  // out of memory, mostly
    std::fprintf(stderr, "patchjit extract: %s\n", e.what());
    return kExitError;
  }
}

}  // namespace pj::cli
