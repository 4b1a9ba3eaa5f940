// Flag and attribute parsing for the command-line tool.
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "codegen/plan/geometry.h"
#include "tools/cli.h"

namespace pj::cli {
namespace {

Failure usage(const std::string& message) { return {kExitUsage, message}; }

// A whole-string decimal integer that fits int64.
std::optional<int64_t> parse_int(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Failure> parse_flags(int argc, char** argv, int first,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& switch_flags, Flags* flags) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return usage("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (switch_flags.count(name)) {
      if (has_value) return usage("--" + name + " takes no value");
      flags->switches.insert(name);
      continue;
    }
    if (!value_flags.count(name)) return usage("unknown flag --" + name);
    if (!has_value) {
      if (i + 1 >= argc) return usage("--" + name + " needs a value");
      value = argv[++i];
    }
    if (flags->values.count(name)) return usage("--" + name + " is given twice");
    flags->values[name] = value;
  }
  return std::nullopt;
}

std::optional<Failure> require(const Flags& flags, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!flags.has(name)) return usage("missing --" + name);
  }
  return std::nullopt;
}

// A comma-separated list of integers (any length).
static std::optional<Failure> parse_list(const std::string& flag, const std::string& text,
                                         std::vector<int64_t>* values) {
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::optional<int64_t> v = parse_int(item);
    if (!v) return usage("--" + flag + " must be comma-separated integers, got '" + text + "'");
    values->push_back(*v);
  }
  if (text.empty() || text.back() == ',') {
    return usage("--" + flag + " must be comma-separated integers, got '" + text + "'");
  }
  return std::nullopt;
}

std::optional<Failure> parse_shape(const std::string& text, int64_t out[4]) {
  std::vector<int64_t> values;
  if (auto f = parse_list("shape", text, &values)) return f;
  if (values.size() != 4) return Failure{kExitError, not_4d_message(values)};
  for (int i = 0; i < 4; ++i) out[i] = values[i];
  return std::nullopt;
}

std::optional<Failure> parse_padding(const std::string& text, pj_padding* out) {
  if (text == "SAME") *out = PJ_PADDING_SAME;
  else if (text == "VALID") *out = PJ_PADDING_VALID;
  else {
    return Failure{kExitError, "Value for attr 'padding' of \"" + text +
                                   "\" is not in the list of allowed values: \"SAME\", \"VALID\""};
  }
  return std::nullopt;
}

std::optional<Failure> parse_dtype(const std::string& text, pj_dtype* out) {
  if (pj_dtype_from_name(text.c_str(), out) != PJ_OK) return Failure{kExitError, pj_last_error()};
  return std::nullopt;
}

std::optional<Failure> parse_backend(const std::string& text, pj_backend* out) {
  if (pj_backend_from_name(text.c_str(), out) != PJ_OK) return usage(pj_last_error());
  return std::nullopt;
}

std::optional<Failure> parse_threads(const std::string& text, int* out) {
  std::optional<int64_t> v = parse_int(text);
  if (!v || *v < 0 || *v > 1024) return usage("--threads must be an integer from 0 (choose) to 1024, got '" + text + "'");
  *out = static_cast<int>(*v);
  return std::nullopt;
}

std::optional<Failure> parse_op_attributes(const Flags& flags, pj_spec* spec) {
  // Unparseable lists (exit 2) are reported before TensorFlow's length rule (exit 1).
  const char* names[3] = {"ksizes", "strides", "rates"};
  int64_t* targets[3] = {spec->ksizes, spec->strides, spec->rates};
  std::vector<int64_t> values[3];
  for (int a = 0; a < 3; ++a) {
    if (auto f = parse_list(names[a], flags.get(names[a]), &values[a])) return f;
  }
  for (int a = 0; a < 3; ++a) {
    Status length = check_attribute_length(names[a], values[a].size());
    if (!length.ok()) return Failure{kExitError, length.message()};
    for (int i = 0; i < 4; ++i) targets[a][i] = values[a][i];
  }
  return parse_padding(flags.get("padding"), &spec->padding);
}

std::string not_4d_message(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "input must be 4-dimensional[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << "]";
  return out.str();
}

std::string format_shape(const int64_t shape[4]) {
  return to_string(Vec4{shape[0], shape[1], shape[2], shape[3]});
}

}  // namespace pj::cli
