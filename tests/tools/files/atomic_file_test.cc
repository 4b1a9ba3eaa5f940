// The one atomic writer: whole files or none, no temporary left on any failure, and the
// permissions any new file gets (0666 less the umask, applied by the kernel, not by umask()).
#include "tools/files/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace pj::files {
namespace {

namespace fs = std::filesystem;

using pj::test_support::TempDir;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AtomicFile, WritesThePiecesInOrder) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  const std::string big(1 << 20, 'x');
  ASSERT_EQ(write_atomically(path, {"head:", big, std::string_view("\0tail", 5)}), "");
  EXPECT_EQ(read(path), "head:" + big + std::string("\0tail", 5));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, NewFilesGetTheUmasksPermissions) {
  for (mode_t mask : {mode_t{022}, mode_t{077}, mode_t{002}}) {
    const mode_t old = ::umask(mask);
    TempDir dir;
    const std::string path = dir.file("mode.bin");
    ASSERT_EQ(write_atomically(path, {"x"}), "");
    struct stat status {};
    ASSERT_EQ(::stat(path.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 0777, 0666 & ~mask) << std::oct << mask;
    ::umask(old);
  }
}

TEST(AtomicFile, AFailedSetTouchesNoFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string first = dir.file("a.o"), second = dir.file("missing/b.h");
  std::ofstream(first) << "old";
  const std::string error = write_atomically({{first, {"new"}}, {second, {"header"}}});
  EXPECT_EQ(error.rfind(second + ": cannot create a temporary file beside it", 0), 0u) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_EQ(read(first), "old");  // not renamed: the second could not be written
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.o"});
}

TEST(AtomicFile, OverADirectoryFailsAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("sub");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  const std::string error = write_atomically(path, {"x"});
  EXPECT_EQ(error.rfind(path + ": cannot rename ", 0), 0u) << error;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sub"});
  EXPECT_TRUE(fs::is_empty(path));
}

TEST(AtomicFile, ReplacesAnExistingFileWhole) {
  TempDir dir;
  const std::string path = dir.file("out.json");
  std::ofstream(path) << "a much longer old content than the new one";
  ASSERT_EQ(write_atomically(path, {"{}"}), "");
  EXPECT_EQ(read(path), "{}");
}

TEST(AtomicFile, DirectoryOf) {
  EXPECT_EQ(directory_of("out.npy"), ".");
  EXPECT_EQ(directory_of("/x"), "/");
  EXPECT_EQ(directory_of("a/b/c.npy"), "a/b");
}

}  // namespace
}  // namespace pj::files
