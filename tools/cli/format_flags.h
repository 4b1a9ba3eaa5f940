// The engine formats as the tool (extract, info, bench) and the manifest of `patchjit aot` spell
// them (docs/SEMANTICS.md §6-§9), into the public pj_spec_ex:
//   --pads T,B,L,R        explicit padding (excludes --padding)
//   --pad-value V         one element of the dtype (tools/cli/pad_value.h)
//   --layout nhwc|nchw  --patch-order hwc|chw  --patches rows|columns
//   --format tf|torch     shorthand for the three; an explicit flag that contradicts it is an error
//   --input-strides A,B,C --output-strides LD,IMG   elements, 0 dense (info, bench, manifests)
#pragma once

#include <optional>

#include "patchjit/patchjit.h"
#include "tools/cli/failure.h"
#include "tools/cli/flags.h"

namespace pj::cli {

// The flags above; the strided-buffer ones only `with_strides` (extract reads dense .npy files).
FlagSet format_flags(bool with_strides);

// Reads the flags above into `spec`, whose base (dtype, padding: EXPLICIT when --pads is given)
// is already set; every other field keeps pj_spec_ex_init's TensorFlow default. A word that is
// not one of the allowed, a contradiction or a value that does not parse is a usage error.
std::optional<Failure> parse_format(const Flags& flags, pj_spec_ex* spec);

// The whole extended signature of info, bench and the manifest: parse_signature, then
// parse_format; usage errors first, whichever flag they are in.
std::optional<Failure> parse_signature_ex(const Flags& flags, pj_spec_ex* spec);

}  // namespace pj::cli
