// The one way the tool writes files: complete or not at all. Used by .npy outputs, the object
// and header of `patchjit aot`, and the JSON and SVG of `patchjit bench`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pj::files {

// A file's contents as pieces written in order (a header and a large buffer need no copy).
struct FileContents {
  std::string path;
  std::vector<std::string_view> pieces;
};

// Writes each file to a new temporary file beside it (PATH.tmp.XXXXXX), and only once every one
// is written, fsync'd and closed renames them into place, then syncs their directories. The
// temporaries are created by open(O_CREAT | O_EXCL, 0666), so the kernel applies the umask as
// for any new file: no umask() call (which sets the mask process-wide, racing other threads)
// and no fchmod after mkstemp's 0600. On any failure every temporary is removed and no path is
// created or changed. Returns "" or a one-line message that starts with the path concerned.
// Never throws.
std::string write_atomically(const std::vector<FileContents>& files);

// One file.
std::string write_atomically(const std::string& path, std::vector<std::string_view> pieces);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); 0 or the errno.
int write_fully(int fd, std::string_view bytes);

// The directory `path` would be created in: "." for "out.npy", "/" for "/x".
std::string directory_of(const std::string& path);

}  // namespace pj::files
