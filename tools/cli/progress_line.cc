#include "tools/cli/progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace pj::cli {

ProgressLine::ProgressLine() : terminal_(isatty(STDERR_FILENO) == 1) {}

void ProgressLine::show(size_t index, size_t count, const std::string& what) const {
  if (terminal_) std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", index + 1, count, what.c_str());
}

void ProgressLine::clear() const {
  if (terminal_) std::fputs("\r\033[K", stderr);
}

}  // namespace pj::cli
