// Shared pieces of the patchjit command-line tool: exit codes, flags, attribute parsing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "patchjit/patchjit.h"

namespace pj::cli {

// Exit statuses of the contract: 1 for every error, 2 when the flags cannot be parsed.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// The outcome of a step: nothing, or an exit status with its one-line message.
struct Failure {
  int exit_code = kExitError;
  std::string message;
};

// "--name value" and "--name=value" flags, and bare "--switch"es.
struct Flags {
  std::map<std::string, std::string> values;
  std::set<std::string> switches;

  bool has(const std::string& name) const { return values.count(name) > 0; }
  const std::string& get(const std::string& name) const { return values.at(name); }
};

// Parses argv[first..]; every flag must be one of `value_flags` or `switch_flags`.
std::optional<Failure> parse_flags(int argc, char** argv, int first,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& switch_flags, Flags* flags);

// Flags that must be present (a missing one is a usage error naming it).
std::optional<Failure> require(const Flags& flags, const std::vector<std::string>& names);

std::optional<Failure> parse_shape(const std::string& text, int64_t out[4]);
std::optional<Failure> parse_padding(const std::string& text, pj_padding* out);
std::optional<Failure> parse_dtype(const std::string& text, pj_dtype* out);
std::optional<Failure> parse_backend(const std::string& text, pj_backend* out);
std::optional<Failure> parse_threads(const std::string& text, int* out);

// The attributes shared by extract and info: --ksizes --strides --rates ("1,3,3,1") and
// --padding. Non-integers are usage errors; lists of the wrong length get TensorFlow's
// shape-function message.
std::optional<Failure> parse_op_attributes(const Flags& flags, pj_spec* spec);

// TensorFlow's message for a shape that is not 4-D: "input must be 4-dimensional[2,3,4]".
std::string not_4d_message(const std::vector<int64_t>& shape);

// "[1,2,3,4]"
std::string format_shape(const int64_t shape[4]);

int run_extract(int argc, char** argv);
int run_info(int argc, char** argv);
int run_bench(int argc, char** argv);  // cmd_bench.cc, or cmd_bench_unavailable.cc without Eigen
int run_aot(int argc, char** argv);    // cmd_aot.cc

}  // namespace pj::cli
