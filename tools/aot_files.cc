#include "tools/aot_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pj::cli {
namespace {

// The permissions open(O_CREAT, 0666) would give: mkstemp creates files 0600. Reading the umask
// means setting it: done once, before anything else could create files.
mode_t new_file_mode() {
  static const mode_t mode = [] {
    const mode_t mask = ::umask(022);
    ::umask(mask);
    return 0666 & ~mask;
  }();
  return mode;
}

Status write_all(int fd, const std::string& text, const std::string& path) {
  const char* p = text.data();
  for (size_t left = text.size(); left > 0;) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return InvalidArgument("cannot write ", path, ": ", std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Temporary files that are removed unless renamed into place.
class Temporaries {
 public:
  Temporaries() = default;
  Temporaries(const Temporaries&) = delete;
  Temporaries& operator=(const Temporaries&) = delete;
  ~Temporaries() {
    for (const std::string& path : paths_) {
      if (!path.empty()) ::unlink(path.c_str());
    }
  }

  Status write(const std::string& path, const std::string& contents) {
    std::string temp = path + ".tmp.XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return InvalidArgument("cannot create a temporary file for ", path, ": ", std::strerror(errno));
    paths_.push_back(temp);
    Status written = write_all(fd, contents, temp);
    if (written.ok() && ::fchmod(fd, new_file_mode()) != 0) {
      written = InvalidArgument("cannot set the mode of ", temp, ": ", std::strerror(errno));
    }
    if (written.ok() && ::fsync(fd) != 0) written = InvalidArgument("cannot sync ", temp, ": ", std::strerror(errno));
    if (::close(fd) != 0 && written.ok()) written = InvalidArgument("cannot close ", temp, ": ", std::strerror(errno));
    return written;
  }

  // Renames the i-th temporary to `path`; once renamed it is no longer removed.
  Status rename(size_t i, const std::string& path) {
    if (::rename(paths_[i].c_str(), path.c_str()) != 0) {
      return InvalidArgument("cannot rename ", paths_[i], " to ", path, ": ", std::strerror(errno));
    }
    paths_[i].clear();
    return Status::Ok();
  }

 private:
  std::vector<std::string> paths_;
};

}  // namespace

Status write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  new_file_mode();
  Temporaries temporaries;
  for (const auto& [path, contents] : files) PJ_RETURN_IF_ERROR(temporaries.write(path, contents));
  // Renames in one directory do not fail for want of space: the window between them is the only
  // one in which an old file may sit beside a new one.
  for (size_t i = 0; i < files.size(); ++i) PJ_RETURN_IF_ERROR(temporaries.rename(i, files[i].first));
  return Status::Ok();
}

}  // namespace pj::cli
