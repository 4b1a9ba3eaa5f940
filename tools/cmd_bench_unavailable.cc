// patchjit bench in a build without the benchmark peers (Eigen was not found): says so.
#include <cstdio>

#include "tools/cli.h"

namespace pj::cli {

int run_bench(int, char**) {
  std::fputs("patchjit bench: not built into this patchjit: its peers need Eigen 3.4 (Debian: libeigen3-dev); "
             "install it and rebuild\n",
             stderr);
  return kExitError;
}

}  // namespace pj::cli
