// Flag and attribute parsing for the command-line tool.
#include "tools/cli/flags.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "tools/cli/internal.h"

namespace pj::cli {
namespace {

// A whole-string decimal integer that fits int64.
std::optional<int64_t> parse_int(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours ("outptu") each cost one.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<Failure> parse_list(const std::string& flag, const std::string& text, std::vector<int64_t>* values) {
  const Failure bad = usage_error("--" + flag + " must be comma-separated integers, got '" + text + "'");
  if (text.empty() || text.back() == ',') return bad;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    std::optional<int64_t> v = parse_int(item);
    if (!v) return bad;
    values->push_back(*v);
  }
  return std::nullopt;
}

FlagSet& FlagSet::operator+=(const FlagSet& more) {
  values.insert(values.end(), more.values.begin(), more.values.end());
  switches.insert(switches.end(), more.switches.begin(), more.switches.end());
  aliases.insert(aliases.end(), more.aliases.begin(), more.aliases.end());
  return *this;
}

std::string closest_name(const std::string& name, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& k : known) {
    const size_t d = edit_distance(name, k);
    if (d < best_distance) best = k, best_distance = d;
  }
  // A typo, not another word: at most a third of the name wrong (and one edit for short names).
  return best_distance <= std::max<size_t>(1, std::min<size_t>(3, name.size() / 3)) ? best : "";
}

std::optional<Failure> parse_flags(int argc, char** argv, int first, const FlagSet& set, Flags* flags) {
  std::map<std::string, std::string> given_as;  // flag -> the name it was given under
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return usage_error("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const std::string typed = name;
    for (const auto& [alias, flag] : set.aliases) {
      if (name == alias) name = flag;
    }
    if (contains(set.switches, name)) {
      if (has_value) return usage_error("--" + typed + " takes no value");
      flags->switches.insert(name);
      continue;
    }
    if (!contains(set.values, name)) {
      std::vector<std::string> known = set.values;
      known.insert(known.end(), set.switches.begin(), set.switches.end());
      for (const auto& alias : set.aliases) known.push_back(alias.first);
      const std::string near = closest_name(name, known);
      return usage_error("unknown flag --" + typed + (near.empty() ? "" : " (did you mean --" + near + "?)"));
    }
    if (!has_value) {
      if (i + 1 >= argc) return usage_error("--" + typed + " needs a value");
      value = argv[++i];
    }
    if (auto [it, added] = given_as.try_emplace(name, typed); !added) {
      return usage_error(it->second == typed
                             ? "--" + typed + " is given twice"
                             : "--" + typed + " and --" + it->second + " are the same flag, given twice");
    }
    flags->values[name] = value;
  }
  return std::nullopt;
}

std::optional<Failure> require(const Flags& flags, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!flags.has(name)) return usage_error("missing --" + name);
  }
  return std::nullopt;
}

FlagSet signature_flags(bool with_shape) {
  FlagSet set{{"dtype", "ksizes", "strides", "rates", "padding"}, {}, {{"sizes", "ksizes"}}};
  if (with_shape) set.values.insert(set.values.begin(), "shape");
  return set;
}

std::optional<Failure> parse_shape(const std::string& text, int64_t out[4]) {
  std::vector<int64_t> values;
  if (auto f = parse_list("shape", text, &values)) return f;
  if (values.size() != 4) return data_error(not_4d_message(values));
  std::copy(values.begin(), values.end(), out);
  return std::nullopt;
}

std::optional<Failure> parse_padding(const std::string& text, pj_padding* out) {
  if (text == "SAME")
    *out = PJ_PADDING_SAME;
  else if (text == "VALID")
    *out = PJ_PADDING_VALID;
  else {
    return usage_error("Value for attr 'padding' of \"" + text +
                       "\" is not in the list of allowed values: \"SAME\", \"VALID\"");
  }
  return std::nullopt;
}

std::optional<Failure> parse_dtype(const std::string& text, pj_dtype* out) {
  if (pj_dtype_from_name(text.c_str(), out) != PJ_OK) return usage_error(pj_last_error());
  return std::nullopt;
}

std::optional<Failure> parse_backend(const std::string& text, pj_backend* out) {
  if (pj_backend_from_name(text.c_str(), out) != PJ_OK) return usage_error(pj_last_error());
  return std::nullopt;
}

std::optional<Failure> parse_threads(const std::string& text, int* out) {
  std::optional<int64_t> v = parse_int(text);
  if (!v || *v < 0 || *v > 1024)
    return usage_error("--threads must be an integer from 0 (choose) to 1024, got '" + text + "'");
  *out = static_cast<int>(*v);
  return std::nullopt;
}

std::optional<Failure> parse_positive_count(const std::string& flag, const std::string& text, int64_t max,
                                            int64_t* out) {
  std::optional<int64_t> v = parse_int(text);
  if (!v || *v < 1 || *v > max) {
    return usage_error("--" + flag + " must be an integer from 1 to " + std::to_string(max) + ", got '" + text + "'");
  }
  *out = *v;
  return std::nullopt;
}

std::optional<Failure> parse_seconds(const std::string& flag, const std::string& text, double max, double* out) {
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || errno || end != text.c_str() + text.size() || !(seconds > 0) || seconds > max) {
    return usage_error("--" + flag + " must be a number of seconds above 0 and at most " +
                       std::to_string(static_cast<int>(max)) + ", got '" + text + "'");
  }
  *out = seconds;
  return std::nullopt;
}

std::optional<Failure> parse_op_attributes(const Flags& flags, pj_spec* spec) {
  if (auto f = require(flags, {"ksizes"})) return f;
  if (flags.has("pads") && flags.has("padding")) {
    return usage_error("--pads and --padding exclude each other: --pads T,B,L,R is explicit padding");
  }
  if (!flags.has("pads") && !flags.has("padding"))
    return usage_error("missing --padding (SAME or VALID, or --pads T,B,L,R)");
  const char* names[3] = {"ksizes", "strides", "rates"};
  int64_t* targets[3] = {spec->ksizes, spec->strides, spec->rates};
  std::vector<int64_t> values[3];
  for (int a = 0; a < 3; ++a) {
    if (!flags.has(names[a])) {
      values[a] = {1, 1, 1, 1};  // strides and rates: TensorFlow users rarely spell out ones
    } else if (auto f = parse_list(names[a], flags.get(names[a]), &values[a])) {
      return f;
    }
  }
  pj_padding padding = PJ_PADDING_EXPLICIT;  // --pads (tools/cli/format_flags.h reads them)
  if (flags.has("padding")) {
    if (auto f = parse_padding(flags.get("padding"), &padding)) return f;
  }
  for (int a = 0; a < 3; ++a) {
    Status length = check_attribute_length(names[a], values[a].size());
    if (!length.ok()) return data_error(length.message());
    std::copy(values[a].begin(), values[a].end(), targets[a]);
  }
  spec->padding = padding;
  return std::nullopt;
}

std::optional<Failure> parse_signature(const Flags& flags, pj_spec* spec) {
  if (auto f = require(flags, {"shape"})) return f;
  spec->dtype = PJ_FLOAT32;
  if (flags.has("dtype")) {
    if (auto f = parse_dtype(flags.get("dtype"), &spec->dtype)) return f;
  }
  // Usage errors first, whichever flag they are in: a shape that is not 4-D is TensorFlow's.
  std::optional<Failure> shape = parse_shape(flags.get("shape"), spec->input_shape);
  if (shape && shape->exit_code == kExitUsage) return shape;
  if (auto f = parse_op_attributes(flags, spec)) return f;
  return shape;
}

std::optional<Failure> parse_op(const Flags& flags, std::optional<pj_fold_mode>* fold) {
  const std::string op = flags.has("op") ? flags.get("op") : "extract";
  if (op != "extract" && op != "fold") return usage_error("--op must be extract or fold, not '" + op + "'");
  const std::string mode = flags.has("mode") ? flags.get("mode") : "sum";
  if (mode != "sum" && mode != "mean") return usage_error("--mode must be sum or mean, not '" + mode + "'");
  if (op == "extract") {
    if (flags.has("mode")) return usage_error("--mode is fold's: give --op fold");
    fold->reset();
  } else {
    *fold = mode == "mean" ? PJ_FOLD_MEAN : PJ_FOLD_SUM;
  }
  return std::nullopt;
}

std::string not_4d_message(const std::vector<int64_t>& shape) {
  return "input must be 4-dimensional" + format_dims(shape);
}

std::string format_dims(const std::vector<int64_t>& dims) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < dims.size(); ++i) out << (i ? "," : "") << dims[i];
  out << ']';
  return out.str();
}

std::string format_shape(const int64_t shape[4]) { return to_string(Vec4{shape[0], shape[1], shape[2], shape[3]}); }

}  // namespace pj::cli
