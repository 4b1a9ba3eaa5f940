// patchjit info: output shape, padding and plan of a signature, without running it; on request
// the kernel's machine code (--dump-code FILE) and the kernel cache's statistics (--stats).
#include <cstdio>
#include <string>
#include <string_view>

#include "patchjit/patchjit.hpp"
#include "tools/cli/command.h"
#include "tools/cli/format_flags.h"
#include "tools/files/atomic_file.h"

namespace pj::cli {
namespace {

const char kUsage[] =
    "patchjit info --shape N,H,W,C [--dtype NAME] --ksizes 1,R,C,1 [--strides 1,R,C,1]\n"
    "              [--rates 1,R,C,1] (--padding SAME|VALID | --pads T,B,L,R) [--pad-value V]\n"
    "              [--format tf|torch] [--layout nhwc|nchw] [--patch-order hwc|chw]\n"
    "              [--patches rows|columns] [--input-strides A,B,C] [--output-strides LD,IMG]\n"
    "              [--op extract|fold [--mode sum|mean]] [--backend B] [--dump-code FILE] [--stats]\n"
    "  Prints the signature, the input and output sizes and pj_kernel_describe: the backend that\n"
    "  serves it (and why others were passed over), the output shape, the padding, the format and\n"
    "  the plan; nothing runs. --dtype defaults to float32; --sizes is another name for --ksizes;\n"
    "  --strides and --rates default to 1,1,1,1. --shape is in the layout's order (N,C,H,W for nchw).\n"
    "  Formats (docs/SEMANTICS.md §6-§9): --format tf = nhwc,hwc,rows (the default), torch =\n"
    "  nchw,chw,columns (torch.nn.functional.unfold); --pad-value is a number in the dtype;\n"
    "  buffer strides are in elements, 0 dense.\n"
    "  --dump-code FILE writes the JIT kernel's machine code (objdump -D -b binary -mi386:x86-64 FILE);\n"
    "  --stats prints the kernel cache's statistics after the kernel is made.\n"
    "  --op fold describes the fold of the signature (patches -> image, docs/SEMANTICS.md §11).\n"
    "  exit status: 0 ok, 1 an error of the signature or backend, 2 a usage error\n";

std::optional<Failure> dump_code(const patchjit::Kernel& kernel, const std::string& path) {
  const void* code = nullptr;
  const size_t size = pj_kernel_code(kernel.get(), &code);
  if (size == 0) {
    return data_error(std::string("backend ") + pj_backend_name(kernel.backend()) +
                      " has no machine code to dump (use --backend xbyak)");
  }
  if (std::string e = files::write_atomically(path, {std::string_view(static_cast<const char*>(code), size)});
      !e.empty()) {
    return data_error(e);
  }
  std::printf("wrote %zu bytes of machine code to %s (objdump -D -b binary -mi386:x86-64 %s)\n", size, path.c_str(),
              path.c_str());
  return std::nullopt;
}

void print_stats() {
  pj_cache_stats s;
  pj_cache_get_stats(&s);
  std::printf(
      "kernel cache: %llu entries of %llu, %llu bytes of code of %llu; %llu hits, %llu misses, "
      "%llu evictions, %llu failures; %.1f us compiling\n",
      (unsigned long long)s.entries, (unsigned long long)s.max_entries, (unsigned long long)s.code_bytes,
      (unsigned long long)s.max_code_bytes, (unsigned long long)s.hits, (unsigned long long)s.misses,
      (unsigned long long)s.evictions, (unsigned long long)s.failures, s.compile_seconds * 1e6);
}

std::optional<Failure> info(const Flags& flags) {
  pj_backend backend = PJ_BACKEND_AUTO;
  if (flags.has("backend")) {
    if (auto f = parse_backend(flags.get("backend"), &backend)) return f;
  }
  pj_spec_ex ex;
  if (auto f = parse_signature_ex(flags, &ex)) return f;
  std::optional<pj_fold_mode> fold;
  if (auto f = parse_op(flags, &fold)) return f;
  patchjit::Result<patchjit::Kernel> kernel =
      fold ? patchjit::Kernel::try_fold(ex, *fold, backend) : patchjit::Kernel::try_create(ex, backend);
  if (!kernel) return data_error(kernel.status().message);
  const pj_spec& spec = ex.base;
  std::printf("signature %s input %s ksizes %s strides %s rates %s %s\n", pj_dtype_name(spec.dtype),
              format_shape(spec.input_shape).c_str(), format_shape(spec.ksizes).c_str(),
              format_shape(spec.strides).c_str(), format_shape(spec.rates).c_str(),
              spec.padding == PJ_PADDING_SAME    ? "SAME"
              : spec.padding == PJ_PADDING_VALID ? "VALID"
                                                 : ("pads " + format_shape(ex.pads)).c_str());
  std::printf("input %zu bytes, output %zu bytes\n", kernel->input_bytes(), kernel->output_bytes());
  std::fputs(kernel->describe().c_str(), stdout);
  if (flags.has("dump-code")) {
    if (auto f = dump_code(*kernel, flags.get("dump-code"))) return f;
  }
  if (flags.on("stats")) print_stats();
  return std::nullopt;
}

}  // namespace

Command info_command() {
  FlagSet flags{{"backend", "dump-code", "op", "mode"}, {"stats"}, {}};
  flags += signature_flags(true);
  flags += format_flags(true);
  return {"info", kUsage, flags, info};
}

}  // namespace pj::cli
