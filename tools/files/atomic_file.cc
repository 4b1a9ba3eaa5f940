#include "tools/files/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

namespace pj::files {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Six characters for a temporary name; O_EXCL, not this, is what makes the name safe.
std::string random_suffix() {
  static std::atomic<uint64_t> counter{0};
  uint64_t x = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
               (static_cast<uint64_t>(::getpid()) << 32) ^ (counter.fetch_add(1) * 0x9e3779b97f4a7c15ull);
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 6; ++i) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 29;
    suffix += kChars[x % (sizeof kChars - 1)];
  }
  return suffix;
}

}  // namespace

int write_fully(int fd, std::string_view bytes) {
  const char* p = bytes.data();
  for (size_t left = bytes.size(); left > 0;) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

namespace {

// Makes the renames durable. Best effort: the new files are already in place when this runs.
void sync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
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

  std::string write(const FileContents& file) {
    int fd = -1;
    std::string temp;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
      temp = file.path + ".tmp." + random_suffix();
      fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
      if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
      return file.path + ": cannot create a temporary file beside it (" + file.path +
             ".tmp.XXXXXX): " + errno_text(errno);
    }
    paths_.push_back(temp);
    const auto fail = [&](const char* what, int error) {
      return file.path + ": " + what + " " + temp + ": " + errno_text(error);
    };
    std::string error;
    for (std::string_view piece : file.pieces) {
      if (const int e = write_fully(fd, piece); e != 0) {
        error = fail("cannot write", e);
        break;
      }
    }
    if (error.empty() && ::fsync(fd) != 0) error = fail("cannot fsync", errno);
    if (::close(fd) != 0 && error.empty()) error = fail("cannot close", errno);
    return error;
  }

  // Renames the i-th temporary to `path`; once renamed it is no longer removed.
  std::string rename(size_t i, const std::string& path) {
    if (::rename(paths_[i].c_str(), path.c_str()) != 0) {
      return path + ": cannot rename " + paths_[i] + " into place: " + errno_text(errno);
    }
    paths_[i].clear();
    return "";
  }

 private:
  std::vector<std::string> paths_;
};

std::string write_unchecked(const std::vector<FileContents>& files) {
  Temporaries temporaries;
  for (const FileContents& file : files) {
    if (std::string error = temporaries.write(file); !error.empty()) return error;
  }
  // Renames in one directory do not fail for want of space: the window between them is the only
  // one in which an old file may sit beside a new one.
  for (size_t i = 0; i < files.size(); ++i) {
    if (std::string error = temporaries.rename(i, files[i].path); !error.empty()) return error;
  }
  for (const FileContents& file : files) sync_directory(directory_of(file.path));
  return "";
}

}  // namespace

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::string write_atomically(const std::vector<FileContents>& files) {
  try {
    return write_unchecked(files);
  } catch (const std::exception& e) {  // out of memory building a name or a message
    return files.empty() ? std::string("out of memory") : files.front().path + ": " + e.what();
  }
}

std::string write_atomically(const std::string& path, std::vector<std::string_view> pieces) {
  try {
    return write_atomically(std::vector<FileContents>{{path, std::move(pieces)}});
  } catch (const std::exception&) {
    return "out of memory";
  }
}

}  // namespace pj::files
