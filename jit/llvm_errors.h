// LLVM is built without exceptions: none may unwind through its frames. Callbacks LLVM calls run
// through no_exceptions, which turns an exception into an llvm::Error.
#pragma once

#include <llvm/Support/Error.h>

#include <exception>
#include <string>

namespace pj {

inline llvm::Error llvm_error(const std::string& message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// Runs `body` (returning llvm::Error) so that no exception leaves it.
template <typename Body>
llvm::Error no_exceptions(const Body& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return llvm_error(std::string("unexpected error in a callback from LLVM: ") + e.what());
  } catch (...) {
    return llvm_error("unexpected error in a callback from LLVM");
  }
}

}  // namespace pj
