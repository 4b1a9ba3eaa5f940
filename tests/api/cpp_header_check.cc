// patchjit.hpp compiled on its own, warnings as errors (tests/CMakeLists.txt runs this file
// through the compiler at C++17 and C++20 with -Wconversion, and below C++17 to see its #error).
#include "patchjit/patchjit.hpp"

int header_check() {
  patchjit::Spec spec(PJ_INT16, {1, 8, 8, 3});
  spec.ksizes(3, 3).strides(2, 2).pads(1, 1, 1, 1).pad_value(int16_t{-1}).format(patchjit::Format::kTorch);
  patchjit::Result<patchjit::Kernel> kernel = patchjit::Kernel::try_create(spec);
  const patchjit::Result<patchjit::Kernel>& view = kernel;
  return view.ok() && view->rows() > 0 ? 0 : 1;
}
