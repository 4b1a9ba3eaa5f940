// The one signature every generated kernel has (JIT and ahead-of-time alike):
//   void kernel(const pj::KernelArgs* args);
// It fills output rows [row_begin, row_end) of the flattened (image, output row) range, so one
// kernel serves every batch size and threads split the work by row ranges.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pj {

struct KernelArgs {
  const uint8_t* input;  // the whole input tensor
  uint8_t* output;       // the whole output tensor
  int64_t row_begin;
  int64_t row_end;
};
static_assert(offsetof(KernelArgs, input) == 0 && offsetof(KernelArgs, output) == 8 &&
                  offsetof(KernelArgs, row_begin) == 16 && offsetof(KernelArgs, row_end) == 24,
              "generated code reads these offsets");

using KernelFunction = void (*)(const KernelArgs* args);

// Calls a generated kernel. Exempt from clang's -fsanitize=function, which reads a type
// signature in the 8 bytes before the target of an indirect call: generated code has none, and
// it starts at a page boundary.
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
inline void
call_kernel(KernelFunction kernel, const KernelArgs& args) {
  kernel(&args);
}

}  // namespace pj
