// patchjit extract (.npy image in, patches out) and patchjit fold (patches in, image out): one
// flow, optionally verified against the golden loops.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "patchjit/patchjit.hpp"
#include "reference/compare.h"
#include "tools/cli/command.h"
#include "tools/cli/format_flags.h"
#include "tools/cli/internal.h"
#include "tools/cli/pad_value.h"
#include "tools/cli/resources.h"
#include "tools/npy/npy.h"

namespace pj::cli {
namespace {

const char kUsage[] =
    "patchjit extract --input IN.npy --output OUT.npy --ksizes 1,R,C,1 [--strides 1,R,C,1]\n"
    "                 [--rates 1,R,C,1] (--padding SAME|VALID | --pads T,B,L,R) [--pad-value V]\n"
    "                 [--format tf|torch] [--layout nhwc|nchw] [--patch-order hwc|chw]\n"
    "                 [--patches rows|columns] [--dtype NAME]\n"
    "                 [--backend auto|reference|interp|xbyak|llvm] [--threads N] [--verify]\n"
    "  Extracts patches of a 4-D .npy array (NHWC, or NCHW with --layout nchw); the output keeps\n"
    "  the input's descr and is [N,OH,OW,K] (--patches rows) or [N,K,OH*OW] (--patches columns).\n"
    "  --format tf = nhwc,hwc,rows (the default); torch = nchw,chw,columns (torch's unfold); an\n"
    "  explicit flag that contradicts --format is an error. --pads: explicit padding (top, bottom,\n"
    "  left, right; not with --padding). --pad-value: a number in the input's dtype (integers\n"
    "  exact and in range, floats also inf, -inf, nan; bool 0 or 1), written where a tap falls\n"
    "  outside the image (docs/SEMANTICS.md §6-§8).\n"
    "  --input - / --output -: standard input / output (.npy bytes; the summary then goes to stderr).\n"
    "  --sizes is another name for --ksizes; --strides and --rates default to 1,1,1,1.\n"
    "  --dtype reads 2-byte data as bfloat16 (numpy has none); otherwise it must match the file.\n"
    "  --threads: 0 (the default) lets the library choose. --verify also runs the golden\n"
    "  reference and fails on any difference, naming the first differing element.\n"
    "  An output that cannot fit in memory or in the free space of its filesystem is refused\n"
    "  before anything runs; outputs over 1 GiB are announced first.\n"
    "  exit status: 0 ok, 1 an error of the data (file, signature, backend), 2 a usage error\n";

const char kFoldUsage[] =
    "patchjit fold --input PATCHES.npy --output IMAGE.npy --image-shape N,H,W,C --ksizes 1,R,C,1\n"
    "              [--strides 1,R,C,1] [--rates 1,R,C,1] (--padding SAME|VALID | --pads T,B,L,R)\n"
    "              [--mode sum|mean] [--format tf|torch] [--layout nhwc|nchw] [--patch-order hwc|chw]\n"
    "              [--patches rows|columns] [--dtype NAME]\n"
    "              [--backend auto|reference|interp|xbyak|llvm] [--threads N] [--verify]\n"
    "  Folds patches back into the image they were extracted from (col2im; the gradient of\n"
    "  extract): each image element is the sum of every patch element extract copies from it,\n"
    "  added in ascending output position and rounded in the dtype, bit-identical to TensorFlow's\n"
    "  gradient (docs/SEMANTICS.md §11). --mode mean divides each sum by its count (floating and\n"
    "  complex dtypes). --image-shape is the image in the layout's order (N,C,H,W with --layout\n"
    "  nchw or --format torch); the patches must have the shape extract gives for it, [N,OH,OW,K]\n"
    "  or [N,K,OH*OW]. Other flags as for extract; bool has no sum and there is no pad value.\n"
    "  exit status: 0 ok, 1 an error of the data (file, signature, backend), 2 a usage error\n";

constexpr uint64_t kAnnounceBytes = uint64_t{1} << 30;

// The dtype of a descr ("<f4" -> float32), ignoring the byte-order character the reader has
// already checked.
std::optional<pj_dtype> dtype_of_descr(const std::string& descr) {
  static const std::map<std::string, pj_dtype> kByCode = {
      {"f4", PJ_FLOAT32},     {"f8", PJ_FLOAT64}, {"i4", PJ_INT32},  {"i8", PJ_INT64}, {"u1", PJ_UINT8},
      {"i2", PJ_INT16},       {"i1", PJ_INT8},    {"u2", PJ_UINT16}, {"f2", PJ_HALF},  {"c8", PJ_COMPLEX64},
      {"c16", PJ_COMPLEX128}, {"b1", PJ_BOOL},    {"u4", PJ_UINT32}, {"u8", PJ_UINT64}};
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
      return data_error("the input's descr '" + header.descr +
                        "' has no dtype of its own: pass --dtype bfloat16 to read it as bfloat16");
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
    return data_error("--dtype " + flags.get("dtype") + " does not match the input's descr '" + header.descr + "'" +
                      (from_descr ? std::string(" (") + pj_dtype_name(*from_descr) + ")" : "") +
                      (asked == PJ_BFLOAT16 ? ": bfloat16 needs 2-byte data" : ""));
  }
  *out = asked;
  return std::nullopt;
}

// What served the call, from pj_kernel_describe: "xbyak (avx512)", and when that is not what was
// asked for, why each backend before it was passed over.
std::string served_by(const patchjit::Kernel& kernel, pj_backend asked) {
  std::istringstream lines(kernel.describe());
  std::string line, served = pj_backend_name(kernel.backend()), passed;
  while (std::getline(lines, line)) {
    if (line.rfind("backend ", 0) == 0) served = line.substr(8);
    if (line.rfind("  passed over ", 0) == 0) passed += (passed.empty() ? "" : "; ") + line.substr(14);
  }
  if (asked == PJ_BACKEND_AUTO || asked == kernel.backend()) return served;
  return served + " (asked for " + pj_backend_name(asked) + (passed.empty() ? "" : ", passed over: " + passed) + ")";
}

std::optional<Failure> read_input(const std::string& path, npy::Array* input) {
  const std::string e =
      path == "-" ? npy::read_stream(STDIN_FILENO, "standard input", input) : npy::read_file(path, input);
  if (!e.empty()) return data_error(e);
  return std::nullopt;
}

// Extract (fold false) or fold the .npy file --input into --output.
std::optional<Failure> run_op(const Flags& flags, bool fold) {
  const auto start = std::chrono::steady_clock::now();
  if (auto f = require(flags, fold ? std::vector<std::string>{"input", "output", "image-shape"}
                                   : std::vector<std::string>{"input", "output"})) {
    return f;
  }
  pj_backend backend = PJ_BACKEND_AUTO;
  int threads = 0;
  if (flags.has("backend")) {
    if (auto f = parse_backend(flags.get("backend"), &backend)) return f;
  }
  if (flags.has("threads")) {
    if (auto f = parse_threads(flags.get("threads"), &threads)) return f;
  }
  if (flags.has("dtype")) {
    pj_dtype unused;
    if (auto f = parse_dtype(flags.get("dtype"), &unused)) return f;  // a usage error before any reading
  }
  pj_fold_mode mode = PJ_FOLD_SUM;
  int64_t image_shape[4] = {0, 0, 0, 0};
  if (fold) {
    if (auto f = parse_shape(flags.get("image-shape"), image_shape)) return f;
    if (flags.has("mode")) {
      const std::string& m = flags.get("mode");
      if (m != "sum" && m != "mean") return usage_error("--mode must be sum or mean, not '" + m + "'");
      mode = m == "mean" ? PJ_FOLD_MEAN : PJ_FOLD_SUM;
    }
  }
  pj_spec_ex ex;
  pj_spec_ex_init(&ex, nullptr);
  pj_spec& spec = ex.base;
  if (auto f = parse_op_attributes(flags, &spec)) return f;
  Flags but_pad_value = flags;  // the pad value needs the file's dtype
  but_pad_value.values.erase("pad-value");
  if (auto f = parse_format(but_pad_value, &ex)) return f;
  const std::string& output_path = flags.get("output");
  const bool to_stdout = output_path == "-";
  if (to_stdout && isatty(STDOUT_FILENO)) {
    return usage_error("--output - writes .npy bytes to standard output, which is a terminal: redirect it");
  }

  npy::Array input;
  if (auto f = read_input(flags.get("input"), &input)) return f;
  const std::vector<int64_t>& shape = input.header.shape;
  if (!fold && shape.size() != 4) return data_error(not_4d_message(shape));
  if (auto f = choose_dtype(flags, input.header, &spec.dtype)) return f;
  if (flags.has("pad-value")) {
    if (auto f = parse_pad_value(flags.get("pad-value"), spec.dtype, ex.pad_value)) return f;
  }
  for (int i = 0; i < 4; ++i) spec.input_shape[i] = fold ? image_shape[i] : shape[i];

  int64_t patches_shape[4] = {0, 0, 0, 0};
  int rank = 4;
  if (pj_output_shape_ex(&ex, patches_shape, &rank) != PJ_OK) return data_error(pj_last_error());
  const std::vector<int64_t> patches_dims(patches_shape, patches_shape + rank);
  if (fold && shape != patches_dims) {
    return data_error("the patches " + format_dims(shape) + " in " + flags.get("input") + " are not the " +
                      format_dims(patches_dims) + " that extract gives for the image " + format_shape(image_shape) +
                      " with these attributes and format");
  }
  const std::vector<int64_t> dims = fold ? std::vector<int64_t>(image_shape, image_shape + 4) : patches_dims;
  auto make = [&](pj_backend b) {
    return fold ? patchjit::Kernel::try_fold(ex, mode, b) : patchjit::Kernel::try_create(ex, b);
  };
  patchjit::Result<patchjit::Kernel> kernel = make(backend);
  if (!kernel) return data_error(kernel.status().message);
  const std::string what = "the output " + format_dims(dims);
  const size_t output_bytes = kernel->output_bytes();
  const std::string header = npy::format_header(input.header.descr, dims);
  const uint64_t file_bytes = header.size() + uint64_t{output_bytes};
  if (file_bytes > kAnnounceBytes) {
    std::fprintf(stderr, "patchjit %s: %s is %s\n", fold ? "fold" : "extract", what.c_str(),
                 format_size(file_bytes).c_str());
  }
  if (!to_stdout) {
    if (auto e = check_fits_on_disk(file_bytes, output_path, what + " as " + output_path)) return data_error(*e);
  }
  if (auto e = check_fits_in_memory(output_bytes, what)) return data_error(*e);

  std::vector<uint8_t> output(output_bytes);
  const auto run_start = std::chrono::steady_clock::now();
  patchjit::Status run = kernel->try_run(input.data.data(), output.data(), threads);
  const double kernel_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - run_start).count();
  if (!run) return data_error(run.message);

  std::string verified;
  if (flags.on("verify")) {
    patchjit::Kernel reference = std::move(make(PJ_BACKEND_REFERENCE)).value();
    std::vector<uint8_t> expected(output.size());
    reference.run(input.data.data(), expected.data(), 1);
    Spec op = from_c(ex);
    if (fold) op.op = Op::kFold, op.mode = mode == PJ_FOLD_MEAN ? FoldMode::kMean : FoldMode::kSum;
    const Geometry g = *make_geometry(op);
    if (auto m = first_mismatch(g, expected.data(), output.data())) {
      return data_error(std::string("verify: backend ") + pj_backend_name(kernel->backend()) +
                        " differs from the reference at " + describe(g, *m, expected.data(), output.data()));
    }
    verified = ", verified against the reference";
  }
  const std::string e =
      to_stdout
          ? npy::write_stream(STDOUT_FILENO, "standard output", input.header.descr, dims, output.data(), output.size())
          : npy::write_file(output_path, input.header.descr, dims, output.data(), output.size());
  if (!e.empty()) return data_error(e);
  const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(to_stdout ? stderr : stdout, "%s: %s %s, %zu bytes; kernel time %.3f ms on %s%s; wall time %.1f ms\n",
               to_stdout ? "standard output" : output_path.c_str(), pj_dtype_name(spec.dtype),
               format_dims(dims).c_str(), output.size(), kernel_ms, served_by(*kernel, backend).c_str(),
               verified.c_str(), wall_ms);
  return std::nullopt;
}

}  // namespace

Command extract_command() {
  FlagSet flags{{"input", "output", "backend", "threads"}, {"verify"}, {}};
  flags += signature_flags(false);
  flags += format_flags(false);
  return {"extract", kUsage, flags, [](const Flags& f) { return run_op(f, false); }};
}

Command fold_command() {
  FlagSet flags{{"input", "output", "backend", "threads", "image-shape", "mode"}, {"verify"}, {}};
  flags += signature_flags(false);
  flags += format_flags(false);
  return {"fold", kFoldUsage, flags, [](const Flags& f) { return run_op(f, true); }};
}

}  // namespace pj::cli
