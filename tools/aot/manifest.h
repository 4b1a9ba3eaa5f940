// The manifest of `patchjit aot`: one signature per line in the tool's attribute syntax,
//   --shape N,H,W,C [--dtype NAME] --ksizes 1,R,C,1 [--strides 1,R,C,1] [--rates 1,R,C,1] --padding SAME|VALID
// and the engine formats as `patchjit info` spells them (tools/cli/format_flags.h: --pads,
// --pad-value, --format, --layout, --patch-order, --patches, --input-strides, --output-strides),
// and `--op fold [--mode sum|mean]` for fold's kernel of the signature (patches -> the image of
// --shape, as `patchjit info --op fold` takes it) (--flag=value works too; --dtype defaults to float32 and --strides and --rates to ones, as for
// `patchjit info`; --sizes is --ksizes), '#' starting a comment, blank lines ignored. Each line is checked by
// TensorFlow's rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "codegen/plan/geometry.h"
#include "codegen/plan/spec.h"
#include "codegen/plan/status.h"

namespace pj::cli {

struct ManifestLine {
  int line = 0;  // 1-based
  Spec spec;
  Geometry geometry;
};

// Every signature of `text`, or an error with one line per bad manifest line, each naming
// `path`:LINE and the rule it breaks (all of them, not only the first).
Expected<std::vector<ManifestLine>> parse_manifest(std::string_view text, const std::string& path);

// The same for a file; a file that cannot be read is an error naming it.
Expected<std::vector<ManifestLine>> read_manifest(const std::string& path);

// The kernels a manifest needs: signatures that differ only in batch or (extract) in a dtype of
// the same size share one (signature_name: image strides count only for batches of two or more). Lines whose output is empty for
// every batch (valid in TensorFlow) need none.
struct ManifestKernel {
  Geometry geometry;                       // of the first line that needs it, batch 1 or 2
  std::vector<const ManifestLine*> lines;  // every line it serves, in order
};
struct ManifestKernels {
  std::vector<ManifestKernel> kernels;     // in the order of their first lines
  std::vector<const ManifestLine*> empty;  // the lines that need no kernel
};
ManifestKernels kernels_of(const std::vector<ManifestLine>& lines);

}  // namespace pj::cli
