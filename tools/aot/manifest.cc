#include "tools/aot/manifest.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "tools/cli/flags.h"
#include "tools/cli/format_flags.h"
#include "tools/cli/internal.h"

namespace pj::cli {
namespace {

constexpr size_t kMaxErrors = 20;  // a manifest of the wrong kind should not flood the terminal

// One line's words, as the flag parser takes them (argv-like), without its comment.
std::vector<std::string> words_of(std::string_view line) {
  if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The signature of one non-blank line, or the message of the rule it breaks.
Expected<ManifestLine> parse_line(const std::vector<std::string>& words, int number) {
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  Flags flags;
  FlagSet known = signature_flags(true);
  known += format_flags(true);
  known += FlagSet{{"op", "mode"}, {}, {}};
  std::optional<Failure> f = parse_flags(static_cast<int>(argv.size()), argv.data(), 0, known, &flags);
  pj_spec_ex spec;
  std::optional<pj_fold_mode> fold;
  if (!f) f = parse_signature_ex(flags, &spec);
  if (!f) f = parse_op(flags, &fold);
  if (f) return InvalidArgument(f->message);
  ManifestLine line{number, from_c(spec), {}};
  if (fold) {  // the signature is the image's (as for `patchjit info --op fold`)
    line.spec.op = Op::kFold;
    line.spec.mode = static_cast<FoldMode>(*fold);
  }
  Expected<Geometry> geometry = make_geometry(line.spec);
  if (!geometry.ok()) return geometry.status();
  line.geometry = *geometry;
  return line;
}

}  // namespace

Expected<std::vector<ManifestLine>> parse_manifest(std::string_view text, const std::string& path) {
  std::vector<ManifestLine> lines;
  std::string errors;
  size_t error_count = 0;
  int number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    const std::vector<std::string> words = words_of(line);
    if (words.empty()) continue;
    Expected<ManifestLine> parsed = parse_line(words, number);
    if (parsed.ok()) {
      lines.push_back(std::move(parsed).value());
    } else if (++error_count <= kMaxErrors) {
      errors += cat(errors.empty() ? "" : "\n", path, ":", number, ": ", parsed.status().message());
    }
  }
  if (error_count > kMaxErrors) errors += cat("\n", path, ": ", error_count - kMaxErrors, " more bad lines");
  if (!errors.empty()) return InvalidArgument(errors);
  return lines;
}

Expected<std::vector<ManifestLine>> read_manifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path, ": ", std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidArgument(path, ": cannot read it");
  return parse_manifest(text.str(), path);
}

ManifestKernels kernels_of(const std::vector<ManifestLine>& lines) {
  std::map<std::string, size_t> index;  // by signature_name: everything but batch (and extract's dtype)
  ManifestKernels result;
  std::vector<ManifestKernel>& kernels = result.kernels;
  for (const ManifestLine& line : lines) {
    // A line of batch 0 still names a kernel. Kernels take batch at run time; a geometry of
    // two images keeps the image strides a line gives (one image never uses them), and a
    // kernel made from it serves every batch of two or more.
    Spec one = line.spec;
    one.image_shape[0] = line.spec.image_shape[0] >= 2 ? 2 : 1;
    Expected<Geometry> image = make_geometry(one);
    if (!image.ok() || image->empty()) {  // empty whatever the batch
      result.empty.push_back(&line);
      continue;
    }
    const Geometry& g = *image;
    auto [it, added] = index.emplace(signature_name(g), kernels.size());
    if (added) kernels.push_back({g, {}});
    kernels[it->second].lines.push_back(&line);
  }
  return result;
}

}  // namespace pj::cli
