#include "tools/cli/command.h"

#include <cstdio>
#include <cstring>
#include <exception>

namespace pj::cli {
namespace {

void print_failure(const std::string& command, const std::string& message) {
  std::fflush(stdout);  // what was printed before the failure stays before it
  for (size_t start = 0; start <= message.size();) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::fprintf(stderr, "patchjit %s: %s\n", command.c_str(), message.substr(start, end - start).c_str());
    start = end + 1;
  }
}

}  // namespace

int run_command(const Command& command, int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(("usage: " + command.usage).c_str(), stdout);
      return kExitOk;
    }
  }
  try {
    Flags flags;
    std::optional<Failure> f = parse_flags(argc, argv, 2, command.flags, &flags);
    if (!f) f = command.run(flags);
    if (!f) return kExitOk;
    print_failure(command.name, f->message);
    return f->exit_code;
  } catch (const std::exception& e) {
    print_failure(command.name, e.what());
    return kExitError;
  }
}

}  // namespace pj::cli
