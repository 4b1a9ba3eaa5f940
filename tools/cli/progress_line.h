// The one progress line of the tool (bench, aot): a status on stderr rewritten in place, on a
// terminal only, so that logs and pipes get the results alone.
#pragma once

#include <string>

namespace pj::cli {

class ProgressLine {
 public:
  ProgressLine();  // shows only when stderr is a terminal

  // "[3/16] what": `index` counts from 0.
  void show(size_t index, size_t count, const std::string& what) const;
  // Removes the line, so that what is printed next starts clean.
  void clear() const;

 private:
  bool terminal_;
};

}  // namespace pj::cli
