#include "tools/aot/header.h"

#include <cctype>

#include "codegen/plan/plan.h"
#include "patchjit/patchjit.h"
#include "patchjit/patchjit_aot.h"

namespace pj::cli {
namespace {

std::string upper(const std::string& s) {
  std::string u = s;
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string features_text(uint64_t bits) {
  std::string text;
  for (int bit = 0; bit < PJ_AOT_FEATURE_COUNT; ++bit) {
    if (bits >> bit & 1) text += cat(text.empty() ? "" : " ", pj_aot_feature_name(bit));
  }
  return text.empty() ? "nothing beyond the base instruction set" : text;
}

// Wraps words into comment lines of at most 100 columns, each starting with " * ".
std::string comment_lines(const std::string& text) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.size() + 1 + word.size() > 96) {
      out += " * " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += " * " + line + "\n";
  return out;
}

// "float32 (line 3), int32 (line 9)"
std::string served(const ManifestKernel& k) {
  std::string text;
  for (const ManifestLine* line : k.lines) {
    text += cat(text.empty() ? "" : ", ", dtype_name(line->spec.dtype), " (line ", line->line, ")");
  }
  return text;
}

std::string kernel_declarations(const std::string& name, const ManifestKernel& k) {
  const Geometry& g = k.geometry;
  const std::string symbol = aot_symbol(name, g);
  std::string out = "/*\n";
  const bool nhwc = g.format.layout == Layout::kNhwc, rows = g.format.patches == PatchesAs::kRows;
  const std::string padding = g.padding == Padding::kExplicit ? cat("pads ", g.rows.pad_before, ",", g.rows.pad_after,
                                                                    ",", g.cols.pad_before, ",", g.cols.pad_after)
                                                              : std::string(padding_name(g.padding));
  const std::string image = nhwc ? cat("[N,", g.rows.in, ",", g.cols.in, ",", g.depth, "]")
                                 : cat("[N,", g.depth, ",", g.rows.in, ",", g.cols.in, "]");
  const std::string patches = rows ? cat("[N,", g.rows.out, ",", g.cols.out, ",", g.patch_depth, "]")
                                   : cat("[N,", g.patch_depth, ",", g.positions, "]");
  const std::string attributes =
      cat("ksizes [1,", g.rows.ksize, ",", g.cols.ksize, ",1], strides [1,", g.rows.stride, ",", g.cols.stride,
          ",1], rates [1,", g.rows.rate, ",", g.cols.rate, ",1], ", padding);
  const std::string format = cat(order_name(g.format.order), " order, as ", patches_name(g.format.patches));
  const std::string strided =
      g.dense_image() && g.dense_patches() ? "" : ", strided buffers (see the table's signature)";
  if (g.extract()) {
    out += comment_lines(cat("Input ", image, " (", layout_name(g.format.layout), "), ", attributes,
                             g.zero_pad() ? "" : ", a pad value", " -> output ", patches, " (", format, ")", strided,
                             "; any dtype of ", g.elem_size, " byte", g.elem_size == 1 ? "" : "s", ": ", served(k),
                             "."));
  } else {
    out += comment_lines(cat("Fold (", g.mode == FoldMode::kMean ? "the mean" : "the sum: the gradient", "): input patches ",
                             patches, " (", format, ") of the image ", image, " (", layout_name(g.format.layout),
                             "), ", attributes, " -> output that image", strided, "; ", served(k),
                             ". Its rows are image rows: image * ", g.rows.in, " + row."));
  }
  out += " */\n";
  out += cat("void ", symbol, "(const pj_aot_args* args);\n");
  out +=
      cat("static inline void ", symbol, "_run(const void* input, void* output,\n",
          std::string(symbol.size() + 24, ' '), "int64_t batch) {\n",
          "  pj_aot_args args = {input, output, 0, batch * ", g.extract() ? g.rows.out : g.rows.in, "};\n", "  ",
          symbol, "(&args);\n", "}\n\n");
  return out;
}

}  // namespace

std::string aot_symbol(const std::string& name, const Geometry& geometry) {
  Plan named;  // Plan::name() reads the geometry only
  named.geometry = geometry;
  return cat(name, "_", named.name());
}

bool is_c_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string aot_header_text(const AotHeader& h) {
  const std::string guard = upper(h.name) + "_H_";
  const std::string count = upper(h.name) + "_KERNEL_COUNT";
  const size_t n = h.kernels.size();
  std::string out = "/*\n";
  out += comment_lines(cat(h.name, ".h: ", n, " patch kernel", n == 1 ? "" : "s", " (ExtractImagePatches and fold)",
                           " compiled ahead of time by patchjit ", PJ_VERSION_MAJOR, ".", PJ_VERSION_MINOR, ".",
                           PJ_VERSION_PATCH, " (`patchjit aot`) from ", h.manifest, " for CPU ", h.cpu, " (", h.triple,
                           ", ", h.vector_bytes, "-byte vectors). Generated: do not edit."));
  out += " *\n";
  out += comment_lines(cat("Link ", h.name,
                           ".o: it holds the kernels and their table and needs nothing else (no "
                           "patchjit, LLVM or C library), only this header and patchjit/patchjit_aot.h. A kernel "
                           "fills output rows [row_begin, row_end) of the flattened (image, output row) range, row "
                           "= image * out_rows + out_row, of whole tensors in the signature's layout and strides (any "
                           "batch; no alignment needed); a fold kernel fills image rows from the patches likewise; "
                           "its _run convenience fills them all. Every dtype of one element size shares an extract "
                           "kernel; fold adds in its dtype."));
  out += " *\n";
  out += comment_lines(cat("The kernels need a CPU with: ", features_text(h.required_features),
                           ". Check pj_aot_kernel_supported(kernel, pj_aot_host_features()) before calling one on a "
                           "machine you do not know; pj_register_aot_kernels() (libpatchjit) checks it for you."));
  out += " */\n";
  out += cat("#ifndef ", guard, "\n#define ", guard, "\n\n#include <stddef.h>\n#include <stdint.h>\n\n",
             "#include <patchjit/patchjit_aot.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  out += cat("#define ", count, " ", n, "\n\n");
  out += cat("/* The table, in manifest order: search it, or register it with pj_register_aot_kernels(). */\n",
             "extern const pj_aot_kernel ", h.name, "_kernels[", count, "];\n\n");
  out += cat("/* The entry for `signature`, or NULL. */\n", "static inline const pj_aot_kernel* ", h.name,
             "_find(const pj_aot_signature* signature) {\n", "  return pj_aot_find(", h.name, "_kernels, ", count,
             ", signature);\n}\n\n");
  for (const ManifestKernel& k : h.kernels) out += kernel_declarations(h.name, k);
  out += cat("#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* ", guard, " */\n");
  return out;
}

}  // namespace pj::cli
