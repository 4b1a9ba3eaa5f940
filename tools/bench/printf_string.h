// snprintf into a std::string (g++ 12 has no <format>).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>

namespace pj::cli {

__attribute__((format(printf, 1, 2))) inline std::string printf_string(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(text.data(), text.size() + 1, format, again);
  va_end(again);
  return text;
}

}  // namespace pj::cli
