// patchjit bench in a build without the benchmark peers (Eigen was not found): says so.
#include "tools/bench/flags.h"
#include "tools/cli/command.h"

namespace pj::cli {

Command bench_command() {
  return {
      "bench", "patchjit bench ...\n  Not built into this patchjit: its peers need Eigen 3.4.\n", bench_flags(),
      [](const Flags&) {
        return std::optional<Failure>(data_error(
            "not built into this patchjit: its peers need Eigen 3.4 (Debian: libeigen3-dev); install it and rebuild"));
      }};
}

}  // namespace pj::cli
