// Fuzz target: spec validation and the C API entry points (pj_spec and pj_spec_ex) with
// arbitrary integers: pads, pad values, formats and buffer strides included, and fold kernels of
// the extended spec. Every call must return PJ_OK or a documented error with a message, never
// crash, hang or allocate hugely; successful kernels of small outputs are run and must match the
// golden loops (extract's or fold's).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

// Arbitrary integers, biased towards the interesting ones.
int64_t wild(pj::fuzz::Input& in) {
  switch (in.take<uint8_t>() % 8) {
    case 0:
      return in.take<int64_t>();
    case 1:
      return INT64_MAX - in.take<uint8_t>();
    case 2:
      return -static_cast<int64_t>(in.take<uint8_t>());
    case 3:
      return int64_t{1} << (in.take<uint8_t>() % 63);
    case 4:
      return static_cast<int64_t>(INT32_MAX) + in.take<int8_t>();
    default:
      return in.take<uint8_t>() % 9;
  }
}

void check(pj_status status) {
  if (status != PJ_OK && (pj_status_name(status) == nullptr || pj_last_error()[0] == '\0')) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pj::fuzz::Input in(data, size);
  pj_spec spec{};
  spec.dtype = static_cast<pj_dtype>(in.take<uint8_t>() % 17 - 1);  // a few invalid values too
  spec.padding = static_cast<pj_padding>(in.take<uint8_t>() % 3);
  for (int i = 0; i < 4; ++i) spec.input_shape[i] = wild(in);
  for (int i = 0; i < 4; ++i) spec.ksizes[i] = i == 0 || i == 3 ? 1 + (in.take<uint8_t>() % 16 == 0) : wild(in);
  for (int i = 0; i < 4; ++i) spec.strides[i] = i == 0 || i == 3 ? 1 : wild(in);
  for (int i = 0; i < 4; ++i) spec.rates[i] = i == 0 || i == 3 ? 1 : wild(in);
  const auto backend = static_cast<pj_backend>(in.take<uint8_t>() % 6);
  // Half the inputs speak the extended spec, with any enum value and stride.
  const bool extended = in.take<uint8_t>() % 2 == 1;
  pj_spec_ex ex;
  pj_spec_ex_init(&ex, &spec);
  if (extended) {
    if (in.take<uint8_t>() % 2) ex.base.padding = PJ_PADDING_EXPLICIT;
    for (int i = 0; i < 4; ++i) ex.pads[i] = in.take<uint8_t>() % 4 ? in.take<uint8_t>() % 5 : wild(in);
    for (unsigned char& byte : ex.pad_value) byte = in.take<uint8_t>();
    ex.layout = static_cast<pj_layout>(in.take<uint8_t>() % 3);
    ex.patch_order = static_cast<pj_patch_order>(in.take<uint8_t>() % 3);
    ex.patches = static_cast<pj_patches>(in.take<uint8_t>() % 3);
    for (int i = 0; i < 3; ++i) ex.input_strides[i] = in.take<uint8_t>() % 2 ? 0 : wild(in);
    for (int i = 0; i < 2; ++i) ex.output_strides[i] = in.take<uint8_t>() % 2 ? 0 : wild(in);
    if (in.take<uint8_t>() % 32 == 0) ex.version = in.take<uint32_t>();
  }
  // A third of the extended specs make fold kernels instead (patches -> image); the mode is 0
  // or 1: an invalid mode from C is the C99 test's (tests/api/c99_header_check.c).
  const bool fold = extended && in.take<uint8_t>() % 3 == 0;
  const auto mode = in.take<uint8_t>() % 2 ? PJ_FOLD_MEAN : PJ_FOLD_SUM;

  if (std::getenv("PATCHJIT_FUZZ_PRINT") != nullptr) {  // to read what a crash or timeout was
    std::fprintf(stderr,
                 "dtype %d padding %d backend %d input [%lld,%lld,%lld,%lld] ksizes [%lld,%lld,%lld,%lld] "
                 "strides [%lld,%lld,%lld,%lld] rates [%lld,%lld,%lld,%lld]\n",
                 static_cast<int>(spec.dtype), static_cast<int>(spec.padding), static_cast<int>(backend),
                 (long long)spec.input_shape[0], (long long)spec.input_shape[1], (long long)spec.input_shape[2],
                 (long long)spec.input_shape[3], (long long)spec.ksizes[0], (long long)spec.ksizes[1],
                 (long long)spec.ksizes[2], (long long)spec.ksizes[3], (long long)spec.strides[0],
                 (long long)spec.strides[1], (long long)spec.strides[2], (long long)spec.strides[3],
                 (long long)spec.rates[0], (long long)spec.rates[1], (long long)spec.rates[2],
                 (long long)spec.rates[3]);
  }
  int64_t shape[4];
  const pj_status shape_status = extended ? pj_output_shape_ex(&ex, shape, nullptr) : pj_output_shape(&spec, shape);
  check(shape_status);
  pj_kernel* kernel = nullptr;
  const pj_status create_status = fold       ? pj_fold_kernel_create(&ex, mode, backend, &kernel)
                                  : extended ? pj_kernel_create_ex(&ex, backend, &kernel)
                                             : pj_kernel_create(&spec, backend, &kernel);
  check(create_status);
  if ((create_status == PJ_OK) != (kernel != nullptr)) std::abort();
  if (create_status == PJ_OK && shape_status != PJ_OK) std::abort();  // same validation
  if (kernel == nullptr) return 0;

  char text[256];
  pj_kernel_describe(kernel, text, sizeof text);
  const size_t in_bytes = pj_kernel_input_bytes(kernel), out_bytes = pj_kernel_output_bytes(kernel);
  if (in_bytes <= (1 << 20) && out_bytes <= (1 << 20)) {
    // Gaps of a strided output keep their bytes: the expected output starts as the output does.
    std::vector<uint8_t> input(in_bytes), output(out_bytes + 1, 0xA5), expected(out_bytes, 0xA5);
    // Fold adds: bytes below 0x40 keep every floating element finite and not NaN (whose
    // payloads IEEE leaves open), as the fold tests' data does.
    const uint8_t mask = fold ? 0x3F : 0xFF;
    for (size_t i = 0; i < in_bytes; ++i) input[i] = static_cast<uint8_t>((i * 131 + 7) & mask);
    check(pj_kernel_run(kernel, input.data(), output.data(), in.take<uint8_t>() % 3));
    pj::Spec s = extended ? pj::from_c(ex) : pj::from_c(spec);
    if (fold) s.op = pj::Op::kFold, s.mode = mode == PJ_FOLD_MEAN ? pj::FoldMode::kMean : pj::FoldMode::kSum;
    const pj::Geometry g = *pj::make_geometry(s);
    // (An empty output may still span billions of rows: the golden loops would walk them all.)
    // Fold's golden loops try every kernel tap of every image element: where that is too slow
    // for a fuzzer (a 512x512 kernel over a 512x512 image), tiles are checked against the whole
    // run instead (the fold tests compare such shapes with the golden loops).
    const bool golden = !fold || g.image_bytes / g.elem_size * g.rows.ksize * g.cols.ksize <= (int64_t{1} << 24);
    if (out_bytes > 0 && fold && golden) pj::golden_fold(g, input.data(), expected.data());
    if (out_bytes > 0 && !fold) pj::golden_extract(g, input.data(), expected.data());
    if (!golden) std::memcpy(expected.data(), output.data(), out_bytes);
    if ((out_bytes > 0 && std::memcmp(output.data(), expected.data(), out_bytes) != 0) || output[out_bytes] != 0xA5) {
      std::abort();
    }
    // The argument checks: NULLs (fine only when empty), overlap, bad thread counts and ranges.
    check(pj_kernel_run(kernel, nullptr, output.data(), 1));
    check(pj_kernel_run(kernel, input.data(), nullptr, 1));
    check(pj_kernel_run(kernel, input.data(), output.data(), -1 - in.take<uint8_t>()));
    if (in_bytes > 0 && out_bytes > 0 && pj_kernel_run(kernel, output.data(), output.data(), 1) == PJ_OK) std::abort();
    check(pj_kernel_run_rows(kernel, input.data(), output.data(), wild(in), wild(in)));
    check(pj_kernel_run_range(kernel, input.data(), output.data(), wild(in), wild(in)));
    // A tile writes its positions as a whole run does.
    const int64_t positions = pj_kernel_positions(kernel);
    if (positions > 0) {
      // (Unsigned: an empty output's count saturates at INT64_MAX.)
      const uint64_t span = static_cast<uint64_t>(positions) + 1;
      const int64_t a = static_cast<int64_t>(in.take<uint32_t>() % span);
      const int64_t b = static_cast<int64_t>(in.take<uint32_t>() % span);
      std::vector<uint8_t> tiled(out_bytes + 1, 0xA5);
      check(pj_kernel_run_range(kernel, input.data(), tiled.data(), 0, a < b ? a : b));
      check(pj_kernel_run_range(kernel, input.data(), tiled.data(), a < b ? a : b, positions));
      if ((out_bytes > 0 && std::memcmp(tiled.data(), expected.data(), out_bytes) != 0) || tiled[out_bytes] != 0xA5)
        std::abort();
    }
  }
  pj_kernel_destroy(kernel);
  return 0;
}
