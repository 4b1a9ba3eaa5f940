// How a step of a command fails: the exit statuses of the tool's contract and a one-line message.
#pragma once

#include <string>
#include <utility>

namespace pj::cli {

// 0 ok; 1 an error of the data (a file, a signature TensorFlow rejects, a backend that refuses);
// 2 a usage error (an unknown flag, a value that does not parse or is not one of the allowed).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct Failure {
  int exit_code = kExitError;
  std::string message;  // one line per problem
};

inline Failure usage_error(std::string message) { return {kExitUsage, std::move(message)}; }
inline Failure data_error(std::string message) { return {kExitError, std::move(message)}; }

}  // namespace pj::cli
