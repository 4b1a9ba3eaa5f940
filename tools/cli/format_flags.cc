// The engine-format flags -> pj_spec_ex.
#include "tools/cli/format_flags.h"

#include <string>
#include <vector>

#include "tools/cli/pad_value.h"

namespace pj::cli {
namespace {

// One of `words` (their index), or a usage error naming the flag and every allowed word.
std::optional<Failure> parse_word(const Flags& flags, const std::string& flag, const std::vector<std::string>& words,
                                  int* out) {
  const std::string& text = flags.get(flag);
  std::string allowed;
  for (size_t i = 0; i < words.size(); ++i) {
    if (text == words[i]) {
      *out = static_cast<int>(i);
      return std::nullopt;
    }
    allowed += (i ? " or " : "") + words[i];
  }
  const std::string near = closest_name(text, words);
  return usage_error("--" + flag + " must be " + allowed + ", got '" + text + "'" +
                     (near.empty() ? "" : " (did you mean " + near + "?)"));
}

// A list of exactly `count` integers.
std::optional<Failure> parse_exact_list(const Flags& flags, const std::string& flag, size_t count, const char* what,
                                        int64_t* out) {
  std::vector<int64_t> values;
  if (auto f = parse_list(flag, flags.get(flag), &values)) return f;
  if (values.size() != count) {
    return usage_error("--" + flag + " must be " + what + ", got " + std::to_string(values.size()) + " value" +
                       (values.size() == 1 ? "" : "s") + " in '" + flags.get(flag) + "'");
  }
  for (size_t i = 0; i < count; ++i) out[i] = values[i];
  return std::nullopt;
}

struct Choice {
  const char* flag;
  std::vector<std::string> words;  // in the C enum's order
  int tf, torch;                   // what each named format means
};

}  // namespace

FlagSet format_flags(bool with_strides) {
  FlagSet set{{"pads", "pad-value", "layout", "patch-order", "patches", "format"}, {}, {}};
  if (with_strides) set.values.insert(set.values.end(), {"input-strides", "output-strides"});
  return set;
}

std::optional<Failure> parse_format(const Flags& flags, pj_spec_ex* spec) {
  if (flags.has("pads")) {
    if (auto f = parse_exact_list(flags, "pads", 4, "four integers T,B,L,R (top, bottom, left, right)", spec->pads))
      return f;
  }
  int format = -1;
  if (flags.has("format")) {
    if (auto f = parse_word(flags, "format", {"tf", "torch"}, &format)) return f;
  }
  const Choice choices[3] = {{"layout", {"nhwc", "nchw"}, PJ_LAYOUT_NHWC, PJ_LAYOUT_NCHW},
                             {"patch-order", {"hwc", "chw"}, PJ_PATCH_ORDER_HWC, PJ_PATCH_ORDER_CHW},
                             {"patches", {"rows", "columns"}, PJ_PATCHES_ROWS, PJ_PATCHES_COLUMNS}};
  int values[3];
  for (int i = 0; i < 3; ++i) {
    const Choice& c = choices[i];
    values[i] = format < 0 ? c.tf : format == 0 ? c.tf : c.torch;
    if (!flags.has(c.flag)) continue;
    int given = 0;
    if (auto f = parse_word(flags, c.flag, c.words, &given)) return f;
    if (format >= 0 && given != values[i]) {
      return usage_error("--" + std::string(c.flag) + " " + c.words[given] + " contradicts --format " +
                         flags.get("format") + (format == 0 ? " (nhwc, hwc, rows)" : " (nchw, chw, columns)") +
                         ": give one or the other");
    }
    values[i] = given;
  }
  spec->layout = static_cast<pj_layout>(values[0]);
  spec->patch_order = static_cast<pj_patch_order>(values[1]);
  spec->patches = static_cast<pj_patches>(values[2]);
  if (flags.has("pad-value")) {
    if (auto f = parse_pad_value(flags.get("pad-value"), spec->base.dtype, spec->pad_value)) return f;
  }
  if (flags.has("input-strides")) {
    const char* what = spec->layout == PJ_LAYOUT_NHWC ? "three integers IMAGE,ROW,PIXEL (elements; 0 dense)"
                                                      : "three integers IMAGE,CHANNEL,ROW (elements; 0 dense)";
    if (auto f = parse_exact_list(flags, "input-strides", 3, what, spec->input_strides)) return f;
  }
  if (flags.has("output-strides")) {
    if (auto f = parse_exact_list(flags, "output-strides", 2,
                                  "two integers LEADING_DIMENSION,IMAGE (elements; 0 dense)", spec->output_strides)) {
      return f;
    }
  }
  return std::nullopt;
}

std::optional<Failure> parse_signature_ex(const Flags& flags, pj_spec_ex* spec) {
  pj_spec_ex_init(spec, nullptr);
  std::optional<Failure> signature = parse_signature(flags, &spec->base);
  if (signature && signature->exit_code == kExitUsage) return signature;
  if (auto f = parse_format(flags, spec)) return f;
  return signature;
}

}  // namespace pj::cli
