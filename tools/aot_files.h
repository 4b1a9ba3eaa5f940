// Writing the object and the header of `patchjit aot` together: both or neither.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/status.h"

namespace pj::cli {

// Writes each (path, contents) to a temporary file beside it, and only once every one is
// written and synced renames them into place; on any failure the temporaries are removed and no
// path is touched. The error names the file and the reason.
Status write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace pj::cli
