// The flags of `patchjit bench`, for the command and for its stand-in in builds without Eigen.
#pragma once

#include "tools/cli/flags.h"
#include "tools/cli/format_flags.h"

namespace pj::cli {

inline FlagSet bench_flags() {
  FlagSet flags{{"threads", "json", "svg", "min-time", "repetitions", "op", "mode", "random", "seed"}, {"suite"}, {}};
  flags += signature_flags(true);
  flags += format_flags(false);
  return flags;
}

}  // namespace pj::cli
