// patchjit: the command-line tool. Each command lives in its own folder or file (command.h).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "patchjit/patchjit.h"
#include "tools/cli/command.h"

namespace {

const char kOverview[] =
    "usage: patchjit COMMAND [FLAGS]       (patchjit COMMAND --help: that command's flags)\n"
    "  extract  patches of a 4-D NHWC .npy array, into a .npy file\n"
    "  fold     patches back into their image (col2im, the gradient of extract), into a .npy file\n"
    "  info     the output shape, padding, backend and plan of a signature, without running it\n"
    "  bench    every backend against the peers and the store floor\n"
    "  aot      kernels compiled ahead of time into an object file and a C header\n"
    "  patchjit --version | --help\n"
    "dtypes: float32 float64 int32 int64 uint8 int16 int8 uint16 half (float16) bfloat16\n"
    "        complex64 complex128 bool uint32 uint64\n"
    "exit status: 0 ok, 1 an error of the data (TensorFlow's message on stderr), 2 a usage error\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace pj::cli;
  if (argc < 2) {
    std::fputs(kOverview, stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::fputs(kOverview, stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("patchjit %d.%d.%d\n", PJ_VERSION_MAJOR, PJ_VERSION_MINOR, PJ_VERSION_PATCH);
    return kExitOk;
  }
  const std::vector<Command> commands = {extract_command(), fold_command(), info_command(), bench_command(),
                                         aot_command()};
  std::vector<std::string> names;
  for (const Command& command : commands) {
    if (command.name == name) return run_command(command, argc, argv);
    names.push_back(command.name);
  }
  const std::string near = closest_name(name, names);
  std::fprintf(stderr, "patchjit: unknown command '%s'%s\n%s", name.c_str(),
               near.empty() ? "" : (" (did you mean " + near + "?)").c_str(), kOverview);
  return kExitUsage;
}
