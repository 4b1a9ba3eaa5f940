// The tool's flags ("--name value", "--name=value", bare "--switch"es) and the op's attributes
// as every command, and the manifest of `patchjit aot`, spell them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "patchjit/patchjit.h"
#include "tools/cli/failure.h"

namespace pj::cli {

// What a command accepts.
struct FlagSet {
  std::vector<std::string> values;                           // flags that take a value
  std::vector<std::string> switches;                         // flags that take none
  std::vector<std::pair<std::string, std::string>> aliases;  // {another name, the flag}

  FlagSet& operator+=(const FlagSet& more);
};

struct Flags {
  std::map<std::string, std::string> values;  // by the flag's own name, never an alias
  std::set<std::string> switches;

  bool has(const std::string& name) const { return values.count(name) > 0; }
  const std::string& get(const std::string& name) const { return values.at(name); }
  bool on(const std::string& name) const { return switches.count(name) > 0; }
};

// Parses argv[first..]. An unknown flag is a usage error that names the closest known one when
// one is close ("unknown flag --sizs (did you mean --sizes?)"); a flag given twice, under its
// name or an alias, is one too.
std::optional<Failure> parse_flags(int argc, char** argv, int first, const FlagSet& set, Flags* flags);

// The known name closest to `name` by edit distance (a swap of two neighbours counts one), if
// it is close enough to be a typo of it; "" otherwise.
std::string closest_name(const std::string& name, const std::vector<std::string>& known);

// Flags that must be present (a missing one is a usage error naming it).
std::optional<Failure> require(const Flags& flags, const std::vector<std::string>& names);

// The signature flags: --shape (info, bench, manifests; extract reads it from the file), --dtype,
// --ksizes (alias --sizes, as tf.image.extract_patches names it), --strides and --rates
// (default 1,1,1,1), --padding.
FlagSet signature_flags(bool with_shape);

// A comma-separated list of integers of any length, each fitting int64; else a usage error
// naming --flag.
std::optional<Failure> parse_list(const std::string& flag, const std::string& text, std::vector<int64_t>* values);

// Every value that does not parse, or is not one of the allowed, is a usage error (exit 2);
// a value TensorFlow's rules reject (a list of the wrong length, a shape that is not 4-D) is an
// error of the data (exit 1), in TensorFlow's words.
std::optional<Failure> parse_shape(const std::string& text, int64_t out[4]);
std::optional<Failure> parse_padding(const std::string& text, pj_padding* out);
std::optional<Failure> parse_dtype(const std::string& text, pj_dtype* out);
std::optional<Failure> parse_backend(const std::string& text, pj_backend* out);
std::optional<Failure> parse_threads(const std::string& text, int* out);
std::optional<Failure> parse_positive_count(const std::string& flag, const std::string& text, int64_t max,
                                            int64_t* out);
std::optional<Failure> parse_seconds(const std::string& flag, const std::string& text, double max, double* out);

// --ksizes (required), --strides and --rates ("1,3,3,1"; all ones when absent) and --padding
// (required unless --pads is given, which it excludes; with --pads the padding is EXPLICIT). Unparseable lists are
// reported before TensorFlow's length rule.
std::optional<Failure> parse_op_attributes(const Flags& flags, pj_spec* spec);

// The whole signature of info, bench and the manifest: --shape, --dtype (float32 by default)
// and the attributes.
std::optional<Failure> parse_signature(const Flags& flags, pj_spec* spec);

// --op extract|fold (default extract) and --mode sum|mean (fold's only): nullopt for extract,
// else the fold's mode. Anything else is a usage error.
std::optional<Failure> parse_op(const Flags& flags, std::optional<pj_fold_mode>* fold);

// TensorFlow's message for a shape that is not 4-D: "input must be 4-dimensional[2,3,4]".
std::string not_4d_message(const std::vector<int64_t>& shape);

// "[1,2,3,4]"
std::string format_shape(const int64_t shape[4]);
// "[1,27,16]": any rank
std::string format_dims(const std::vector<int64_t>& dims);

}  // namespace pj::cli
