// patchjit: the command-line tool. Subcommands live in cmd_*.cc.
#include <cstdio>
#include <cstring>

#include "patchjit/patchjit.h"
#include "tools/cli.h"

namespace {

const char kUsage[] =
    "usage:\n"
    "  patchjit extract --input IN.npy --output OUT.npy --ksizes 1,R,C,1 --strides 1,R,C,1\n"
    "                   --rates 1,R,C,1 --padding SAME|VALID\n"
    "                   [--backend auto|reference|interp|xbyak|llvm] [--threads N] [--verify]\n"
    "                   [--dtype NAME]\n"
    "      Extracts patches of a 4-D NHWC .npy array (numpy's descr kept in the output).\n"
    "      --dtype reinterprets 2-byte data as bfloat16 (numpy has none); otherwise it must\n"
    "      match the file. --verify also runs the golden reference and fails on any difference.\n"
    "  patchjit info --shape N,H,W,C [--dtype NAME] --ksizes 1,R,C,1 --strides 1,R,C,1\n"
    "                --rates 1,R,C,1 --padding SAME|VALID [--backend B] [--dump-code FILE] [--stats]\n"
    "      Prints the output shape, the padding and the plan of a signature; --dump-code writes\n"
    "      the JIT kernel's machine code (objdump -D -b binary -mi386:x86-64 FILE), --stats the\n"
    "      kernel cache's statistics.\n"
    "  patchjit bench (--shape N,H,W,C [--dtype NAME] --ksizes 1,R,C,1 --strides 1,R,C,1\n"
    "                  --rates 1,R,C,1 --padding SAME|VALID | --suite)\n"
    "                 [--threads 1,2] [--min-time SECONDS] [--repetitions N] [--json FILE] [--svg FILE]\n"
    "      Times every backend against the peers (the golden loops, a careful im2col, Eigen as\n"
    "      TensorFlow calls it) and the store floor, every output checked identical, as a table.\n"
    "      --json: Google Benchmark's format (its compare.py compares two runs); --svg: a bar\n"
    "      chart. --min-time: seconds per implementation and shape (0.2); --repetitions: median\n"
    "      of N (5); --threads: the thread counts to run the backends with (1).\n"
    "  patchjit aot --manifest FILE --cpu native|x86-64-v3|x86-64-v4|CPU --output-dir DIR [--name NAME]\n"
    "      Compiles a kernel for each signature of FILE (one per line: --shape N,H,W,C [--dtype NAME]\n"
    "      --ksizes ... --strides ... --rates ... --padding ...; '#' comments) for CPU (an LLVM CPU name)\n"
    "      into DIR/NAME.o and DIR/NAME.h (NAME: patchjit_kernels), for programs that link them with\n"
    "      no JIT and no patchjit library. Needs a build with LLVM.\n"
    "  patchjit --version | --help\n"
    "dtypes: float32 float64 int32 int64 uint8 int16 int8 uint16 half (float16) bfloat16\n"
    "        complex64 complex128 bool uint32 uint64\n"
    "exit status: 0 ok, 1 error (TensorFlow's message on stderr), 2 unparseable flags\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace pj::cli;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const char* command = argv[1];
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "help")) {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  }
  if (!std::strcmp(command, "--version")) {
    std::printf("patchjit %d.%d.%d\n", PJ_VERSION_MAJOR, PJ_VERSION_MINOR, PJ_VERSION_PATCH);
    return kExitOk;
  }
  if (!std::strcmp(command, "extract")) return run_extract(argc, argv);
  if (!std::strcmp(command, "info")) return run_info(argc, argv);
  if (!std::strcmp(command, "bench")) return run_bench(argc, argv);
  if (!std::strcmp(command, "aot")) return run_aot(argc, argv);
  std::fprintf(stderr, "patchjit: unknown command '%s'\n%s", command, kUsage);
  return kExitUsage;
}
