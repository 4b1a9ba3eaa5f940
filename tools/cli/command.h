// The wrapper every `patchjit` command runs in: `patchjit CMD --help` prints that command's
// usage only; its flags are parsed (aliases, the closest known flag for an unknown one); a
// failure is printed as "patchjit CMD: message", one line per problem, with its exit status;
// exceptions (out of memory, mostly) are caught and are errors.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "tools/cli/failure.h"
#include "tools/cli/flags.h"

namespace pj::cli {

struct Command {
  std::string name;   // "extract"
  std::string usage;  // its synopsis and what it does, ending in a newline
  FlagSet flags;
  std::function<std::optional<Failure>(const Flags& flags)> run;
};

// Runs `command` on argv[2..] (argv[1] is its name); the exit status.
int run_command(const Command& command, int argc, char** argv);

// The tool's commands (their files: tools/cli/extract.cc, info.cc, tools/bench/, tools/aot/).
Command extract_command();
Command fold_command();  // tools/cli/extract.cc
Command info_command();
Command bench_command();
Command aot_command();

}  // namespace pj::cli
