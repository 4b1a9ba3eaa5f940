// Fuzz target: an arbitrary small signature and data, every backend this build and CPU run
// against the golden loops, output between PROT_NONE guard pages (an out-of-bounds write by
// generated code crashes the run instead of passing unnoticed).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/guarded_buffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pj::fuzz::Input in(data, size);
  pj::Spec s;
  s.dtype = static_cast<pj::DType>(in.in_range(0, pj::kNumDTypes - 1));
  s.padding = in.in_range(0, 1) ? pj::Padding::kValid : pj::Padding::kSame;
  s.image_shape = {in.in_range(0, 3), in.in_range(0, 14), in.in_range(0, 14), in.in_range(0, 9)};
  s.ksizes = {1, in.in_range(1, 6), in.in_range(1, 6), 1};
  s.strides = {1, in.in_range(1, 5), in.in_range(1, 5), 1};
  s.rates = {1, in.in_range(1, 4), in.in_range(1, 4), 1};
  pj::Expected<pj::Geometry> g = pj::make_geometry(s);
  if (!g.ok()) return 0;

  using pj::testing::GuardedBuffer;
  const auto placement = in.in_range(0, 1) ? GuardedBuffer::Placement::kStart : GuardedBuffer::Placement::kEnd;
  GuardedBuffer input(g->input_bytes(), placement);
  for (int64_t i = 0; i < g->input_bytes(); ++i) {
    input.data()[i] = in.rest_size() > 0 ? in.take<uint8_t>() : static_cast<uint8_t>(i * 37 + 11);
  }
  std::vector<uint8_t> expected(g->output_bytes());
  pj::golden_extract(*g, input.data(), expected.data());

  const pj_spec spec = pj::to_c(s);
  for (pj_backend backend : {PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM}) {
    if (pj_backend_available(backend) != PJ_OK) continue;
    pj_kernel* kernel = nullptr;
    if (pj_kernel_create(&spec, backend, &kernel) != PJ_OK) std::abort();
    GuardedBuffer output(g->output_bytes(), placement == GuardedBuffer::Placement::kStart
                                                ? GuardedBuffer::Placement::kEnd
                                                : GuardedBuffer::Placement::kStart);
    for (int64_t i = 0; i < g->output_bytes(); ++i) output.data()[i] = static_cast<uint8_t>(~expected[i]);
    if (pj_kernel_run(kernel, input.data(), output.data(), static_cast<int>(g->output_bytes() % 3)) != PJ_OK)
      std::abort();
    if (g->output_bytes() > 0 && std::memcmp(output.data(), expected.data(), g->output_bytes()) != 0) std::abort();
    pj_kernel_destroy(kernel);
  }
  return 0;
}
