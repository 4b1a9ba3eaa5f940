// The C API contract: statuses, messages, null and overlapping buffers, empty outputs,
// backends, and every available backend against the golden loops through the public calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "patchjit/patchjit.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/support/random_spec.h"

namespace {

pj_spec make_spec(int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, pj_padding p = PJ_PADDING_SAME) {
  pj_spec s{};
  s.dtype = PJ_FLOAT32;
  int64_t shape[4] = {n, h, w, c};
  for (int i = 0; i < 4; ++i) {
    s.input_shape[i] = shape[i];
    s.ksizes[i] = (i == 1 || i == 2) ? k : 1;
    s.strides[i] = s.rates[i] = 1;
  }
  s.padding = p;
  return s;
}

TEST(CApi, OutputShape) {
  pj_spec s = make_spec(1, 7, 7, 2, 2, PJ_PADDING_VALID);
  s.rates[1] = s.rates[2] = 2;
  int64_t shape[4];
  ASSERT_EQ(pj_output_shape(&s, shape), PJ_OK);
  EXPECT_EQ(shape[0], 1);
  EXPECT_EQ(shape[1], 5);
  EXPECT_EQ(shape[2], 5);
  EXPECT_EQ(shape[3], 8);
  EXPECT_STREQ(pj_last_error(), "");
}

TEST(CApi, StatusesCarryTensorFlowsClassesAndWords) {
  int64_t shape[4];
  pj_spec s = make_spec(1, 4, 4, 1, 3);
  s.ksizes[0] = 2;
  EXPECT_EQ(pj_output_shape(&s, shape), PJ_UNIMPLEMENTED);
  EXPECT_NE(std::strstr(pj_last_error(), "Only support ksizes across space."), nullptr);
  s = make_spec(1, 4, 4, 1, 3);
  s.strides[2] = 0;
  EXPECT_EQ(pj_output_shape(&s, shape), PJ_OUT_OF_RANGE);
  EXPECT_NE(std::strstr(pj_last_error(), "strides is out of range."), nullptr);
  s = make_spec(1, 1, 1, 1, 3, PJ_PADDING_VALID);
  pj_kernel* k = reinterpret_cast<pj_kernel*>(&s);  // must be reset to NULL on failure
  EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, &k), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(k, nullptr);
  EXPECT_NE(std::strstr(pj_last_error(), "Computed output size would be negative: -1"), nullptr);
  // A success clears the message.
  s = make_spec(1, 4, 4, 1, 3);
  EXPECT_EQ(pj_output_shape(&s, shape), PJ_OK);
  EXPECT_STREQ(pj_last_error(), "");
}

TEST(CApi, NullArguments) {
  int64_t shape[4];
  pj_spec s = make_spec(1, 4, 4, 1, 3);
  EXPECT_EQ(pj_output_shape(nullptr, shape), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(pj_output_shape(&s, nullptr), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, nullptr), PJ_INVALID_ARGUMENT);
  pj_kernel* k = nullptr;
  EXPECT_EQ(pj_kernel_create(nullptr, PJ_BACKEND_INTERP, &k), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(pj_last_error(), "spec is NULL"), nullptr);
  std::vector<float> in(16), out(16 * 9);
  EXPECT_EQ(pj_kernel_run(nullptr, in.data(), out.data(), 1), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(pj_last_error(), "kernel is NULL"), nullptr);
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, &k), PJ_OK);
  EXPECT_EQ(pj_kernel_run(k, nullptr, out.data(), 1), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(pj_last_error(), "input is NULL but the input tensor [1,4,4,1] has 64 bytes"), nullptr)
      << pj_last_error();
  EXPECT_EQ(pj_kernel_run(k, in.data(), nullptr, 1), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(pj_last_error(), "output is NULL"), nullptr);
  EXPECT_EQ(pj_kernel_run(k, in.data(), out.data(), -1), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(pj_last_error(), "num_threads"), nullptr);
  pj_kernel_destroy(k);
  pj_kernel_destroy(nullptr);  // ignored
}

TEST(CApi, OverlappingBuffersAreRefused) {
  pj_spec s = make_spec(1, 4, 4, 1, 3);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, &k), PJ_OK);
  std::vector<float> buf(16 + 16 * 9);
  EXPECT_EQ(pj_kernel_run(k, buf.data(), buf.data(), 1), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(pj_last_error(), "overlap"), nullptr);
  EXPECT_EQ(pj_kernel_run(k, buf.data() + 15, buf.data(), 1), PJ_INVALID_ARGUMENT);  // input tail in output
  EXPECT_EQ(pj_kernel_run(k, buf.data(), buf.data() + 15, 1), PJ_INVALID_ARGUMENT);  // output head in input
  EXPECT_EQ(pj_kernel_run(k, buf.data(), buf.data() + 16, 1), PJ_OK);                // adjacent is fine
  EXPECT_EQ(pj_kernel_run(k, buf.data() + 16 * 9, buf.data(), 1), PJ_OK);
  pj_kernel_destroy(k);
}

TEST(CApi, EmptyOutputsAreValidAndDoNothing) {
  for (pj_spec s : {make_spec(0, 4, 4, 1, 3), make_spec(2, 4, 4, 0, 3), make_spec(1, 0, 4, 1, 3),
                    make_spec(1, 1, 4, 1, 3, PJ_PADDING_VALID)}) {
    if (s.input_shape[1] == 1) s.strides[1] = 2;  // VALID 1 row, k 3, stride 2: 0 rows out
    pj_kernel* k = nullptr;
    ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK) << pj_last_error();
    EXPECT_EQ(pj_kernel_output_bytes(k), 0u);
    float in[4] = {1, 2, 3, 4};
    // NULL output is fine when the output is empty; NULL input only when the input is empty.
    EXPECT_EQ(pj_kernel_run(k, pj_kernel_input_bytes(k) ? in : nullptr, nullptr, 0), PJ_OK) << pj_last_error();
    pj_kernel_destroy(k);
  }
}

// An empty input beside a non-empty output: extract of an image with no rows but explicit
// pads (all padding), fold of no patches (all +0). The empty buffer's strides may be as large
// as int64 holds (they are never used to read), so no backend may compute an offset with them
// (UBSan watches: the API fuzzer found interpret() and interpret_pixels() multiplying a batch
// index by such a stride). Every backend, whole and in tiles, against the reference.
TEST(CApi, EmptyInputsWithHugeStridesWriteThePaddingOnly) {
  pj_spec_ex extract;
  pj_spec base = make_spec(3, 0, 4, 2, 2, PJ_PADDING_EXPLICIT);
  pj_spec_ex_init(&extract, &base);
  extract.pads[0] = extract.pads[1] = 1;
  extract.pad_value[0] = 0x3f;
  extract.input_strides[0] = INT64_MAX / 4;  // float32: the image stride, in elements
  pj_spec_ex fold;
  base = make_spec(3, 2, 4, 2, 3, PJ_PADDING_VALID);  // a 3x3 kernel over 2 rows: no patches
  pj_spec_ex_init(&fold, &base);
  fold.output_strides[1] = INT64_MAX / 4;  // the patches' image stride
  for (const bool is_fold : {false, true}) {
    const pj_spec_ex& spec = is_fold ? fold : extract;
    auto create = [&](pj_backend backend, pj_kernel** k) {
      return is_fold ? pj_fold_kernel_create(&spec, PJ_FOLD_SUM, backend, k) : pj_kernel_create_ex(&spec, backend, k);
    };
    pj_kernel* reference = nullptr;
    ASSERT_EQ(create(PJ_BACKEND_REFERENCE, &reference), PJ_OK) << pj_last_error();
    ASSERT_EQ(pj_kernel_input_bytes(reference), 0u);
    ASSERT_GT(pj_kernel_output_bytes(reference), 0u);
    std::vector<uint8_t> expected(pj_kernel_output_bytes(reference), 0xa5);
    ASSERT_EQ(pj_kernel_run(reference, nullptr, expected.data(), 1), PJ_OK) << pj_last_error();
    pj_kernel_destroy(reference);
    for (pj_backend backend : {PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM, PJ_BACKEND_AUTO}) {
      if (pj_backend_available(backend) != PJ_OK) continue;
      pj_kernel* k = nullptr;
      const pj_status made = create(backend, &k);
      if (backend != PJ_BACKEND_AUTO && made == PJ_UNIMPLEMENTED) continue;  // (no code may be mapped here)
      ASSERT_EQ(made, PJ_OK) << pj_backend_name(backend) << ": " << pj_last_error();
      std::vector<uint8_t> output(expected.size(), 0x5a);
      EXPECT_EQ(pj_kernel_run(k, nullptr, output.data(), 2), PJ_OK) << pj_last_error();
      EXPECT_TRUE(output == expected) << pj_backend_name(backend) << (is_fold ? " fold" : " extract");
      std::fill(output.begin(), output.end(), 0x5a);
      const int64_t end = pj_kernel_positions(k), cuts[] = {0, 1, end / 2 + 1, end};
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(pj_kernel_run_range(k, nullptr, output.data(), cuts[c], cuts[c + 1]), PJ_OK) << pj_last_error();
      }
      EXPECT_TRUE(output == expected) << pj_backend_name(backend) << (is_fold ? " fold" : " extract") << " in tiles";
      pj_kernel_destroy(k);
    }
  }
}

// The API fuzzer's find: an empty image (no rows) whose padding makes an output row of 5e15
// columns, with strides of 1e12 elements between its (absent) pixels. Planning it computed a
// column's offset as 5e15 * 1.5e12 bytes (signed overflow, undefined) before any check; an
// empty buffer's steps now take no part in any offset. Every backend plans it or refuses it
// with a reason (its output is far too large to run).
TEST(CApi, EmptyImagesOfHugeRowsPlanWithoutOverflow) {  // and empty buffers of huge depth
  pj_spec base = make_spec(3, 0, int64_t{15541596858613760}, 1, 1, PJ_PADDING_EXPLICIT);
  base.dtype = PJ_INT16;
  base.strides[2] = 3;
  pj_spec_ex spec;
  pj_spec_ex_init(&spec, &base);
  spec.pads[1] = spec.pads[2] = 1;  // bottom, left
  spec.input_strides[0] = 12103423998558273;
  spec.input_strides[1] = 2199023321088;
  spec.input_strides[2] = 244813135872;
  int64_t shape[4];
  int rank = 0;
  ASSERT_EQ(pj_output_shape_ex(&spec, shape, &rank), PJ_OK) << pj_last_error();
  EXPECT_EQ(shape[1], 1);
  // Its next find: int32 [3, 4, 0, 8.5e18], both buffers empty and so dense, whose depth times
  // the element size overflowed where the planner asks whether the output may stream.
  pj_spec empty_base = make_spec(3, 4, 0, int64_t{8536080568641699920}, 1);
  empty_base.dtype = PJ_INT32;
  pj_spec_ex empty;
  pj_spec_ex_init(&empty, &empty_base);
  for (const pj_spec_ex* s : {&spec, &empty}) {
    for (pj_backend backend : {PJ_BACKEND_REFERENCE, PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM, PJ_BACKEND_AUTO}) {
      if (pj_backend_available(backend) != PJ_OK) continue;
      pj_kernel* k = nullptr;
      const pj_status made = pj_kernel_create_ex(s, backend, &k);
      EXPECT_TRUE(made == PJ_OK || std::string(pj_last_error()) != "") << pj_backend_name(backend);
      char text[256];
      if (made == PJ_OK) EXPECT_EQ(pj_kernel_input_bytes(k), 0u);
      if (made == PJ_OK) EXPECT_GT(pj_kernel_describe(k, text, sizeof text), 0u);  // asks whether it may stream
      pj_kernel_destroy(k);
    }
  }
}

// The audit after those finds: strides and extents that validation accepts but whose products
// passed int64 where nothing is empty. A dimension of size 1 takes any stride (it separates no
// two elements): a pixel stride of 2^62 bytes times the third output column of a one-pixel
// image, in the interpreter's points (extract, rows) and in a padding row of the planner's
// whole-row programs (columns); fold's image column step times its column stride, and its
// channel step of a one-channel chw patch of leading dimension 3 * 2^61 bytes; and fold's
// row passes, one kernel row of 2^23 columns of 2^36 complex128 channels (2^63 bytes) beside
// patches with no rows. Each case is created on every backend, described, and where its
// buffers are small run and checked.
TEST(CApi, HugeStridesAndExtentsPlanWithoutOverflow) {
  struct Case {
    pj_spec_ex spec;
    bool fold;
    std::vector<uint8_t> input, expected;  // empty: not run
  };
  std::vector<Case> cases;
  for (pj_patches patches : {PJ_PATCHES_ROWS, PJ_PATCHES_COLUMNS}) {  // uint8 [1,1,1,1]: 3 output columns
    pj_spec base = make_spec(1, 1, 1, 1, 1, PJ_PADDING_EXPLICIT);
    base.dtype = PJ_UINT8;
    base.ksizes[1] = patches == PJ_PATCHES_COLUMNS ? 2 : 1;  // columns: a padding kernel row on top
    Case c{{}, false, {7}, {}};
    pj_spec_ex_init(&c.spec, &base);
    c.spec.patches = patches;
    c.spec.pads[0] = base.ksizes[1] - 1;
    c.spec.pads[3] = 2;  // right
    c.spec.input_strides[1] = 1;
    c.spec.input_strides[2] = int64_t{1} << 62;  // pixel
    c.expected = patches == PJ_PATCHES_ROWS ? std::vector<uint8_t>{7, 0, 0} : std::vector<uint8_t>{0, 0, 0, 7, 0, 0};
    cases.push_back(c);
  }
  {  // fold float32 [1,1,1,1], a pixel stride of 2^61 elements, column stride 2
    pj_spec base = make_spec(1, 1, 1, 1, 1, PJ_PADDING_VALID);
    base.strides[2] = 2;
    Case c{{}, true, {0, 0, 0x80, 0x3f}, {0, 0, 0x80, 0x3f}};  // 1.0f
    pj_spec_ex_init(&c.spec, &base);
    c.spec.input_strides[2] = int64_t{1} << 61;
    cases.push_back(c);
  }
  {  // fold int8 [1,2,1,1], one chw patch of a 2x1 kernel as columns, leading dimension 3 * 2^61
    pj_spec base = make_spec(1, 2, 1, 1, 1, PJ_PADDING_VALID);
    base.dtype = PJ_INT8;
    base.ksizes[1] = 2;
    Case c{{}, true, {}, {}};
    pj_spec_ex_init(&c.spec, &base);
    c.spec.patch_order = PJ_PATCH_ORDER_CHW;
    c.spec.patches = PJ_PATCHES_COLUMNS;
    c.spec.output_strides[0] = 3 * (int64_t{1} << 61);
    cases.push_back(c);
  }
  {  // fold complex128 [1,1,1,2^36], kernel 2 x 2^23: no patch rows, one patch column
    pj_spec base = make_spec(1, 1, 1, int64_t{1} << 36, 1, PJ_PADDING_EXPLICIT);
    base.dtype = PJ_COMPLEX128;
    base.ksizes[1] = 2;
    base.ksizes[2] = int64_t{1} << 23;
    Case c{{}, true, {}, {}};
    pj_spec_ex_init(&c.spec, &base);
    c.spec.pads[2] = (int64_t{1} << 23) - 1;  // left
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    for (pj_backend backend : {PJ_BACKEND_REFERENCE, PJ_BACKEND_INTERP, PJ_BACKEND_XBYAK, PJ_BACKEND_LLVM, PJ_BACKEND_AUTO}) {
      if (pj_backend_available(backend) != PJ_OK) continue;
      pj_kernel* k = nullptr;
      const pj_status made = c.fold ? pj_fold_kernel_create(&c.spec, PJ_FOLD_SUM, backend, &k)
                                    : pj_kernel_create_ex(&c.spec, backend, &k);
      EXPECT_TRUE(made == PJ_OK || std::string(pj_last_error()) != "") << pj_backend_name(backend);
      char text[256];
      if (made == PJ_OK) EXPECT_GT(pj_kernel_describe(k, text, sizeof text), 0u);
      if (made == PJ_OK && !c.expected.empty()) {
        ASSERT_EQ(pj_kernel_output_bytes(k), c.expected.size());
        std::vector<uint8_t> out(c.expected.size(), 0xee);
        EXPECT_EQ(pj_kernel_run(k, c.input.data(), out.data(), 1), PJ_OK) << pj_last_error();
        EXPECT_EQ(out, c.expected) << pj_backend_name(backend);
        std::fill(out.begin(), out.end(), 0xee);
        const int64_t positions = pj_kernel_positions(k);
        for (int64_t begin : {int64_t{0}, std::min<int64_t>(1, positions)}) {  // tiles of partial rows
          const int64_t end = begin == 0 ? std::min<int64_t>(1, positions) : positions;
          EXPECT_EQ(pj_kernel_run_range(k, c.input.data(), out.data(), begin, end), PJ_OK) << pj_last_error();
        }
        EXPECT_EQ(out, c.expected) << pj_backend_name(backend) << " by positions";
      }
      pj_kernel_destroy(k);
    }
  }
}

TEST(CApi, BackendsAndNames) {
  pj_spec s = make_spec(1, 4, 4, 1, 3);
  pj_kernel* k = nullptr;
  EXPECT_EQ(pj_kernel_create(&s, static_cast<pj_backend>(42), &k), PJ_INVALID_ARGUMENT);
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  EXPECT_NE(pj_kernel_backend(k), PJ_BACKEND_AUTO);  // resolved
  pj_kernel_destroy(k);
  EXPECT_STREQ(pj_backend_name(PJ_BACKEND_XBYAK), "xbyak");
  EXPECT_STREQ(pj_status_name(PJ_OUT_OF_RANGE), "PJ_OUT_OF_RANGE");
  EXPECT_STREQ(pj_dtype_name(PJ_HALF), "half");
  EXPECT_EQ(pj_dtype_size(PJ_COMPLEX128), 16u);
  EXPECT_EQ(pj_dtype_size(static_cast<pj_dtype>(-1)), 0u);
  pj_dtype d;
  EXPECT_EQ(pj_dtype_from_name("float16", &d), PJ_OK);
  EXPECT_EQ(d, PJ_HALF);
  EXPECT_EQ(pj_dtype_from_name("float8", &d), PJ_INVALID_ARGUMENT);
  pj_backend b;
  EXPECT_EQ(pj_backend_from_name("interp", &b), PJ_OK);
  EXPECT_EQ(b, PJ_BACKEND_INTERP);
  EXPECT_EQ(pj_backend_from_name("cuda", &b), PJ_INVALID_ARGUMENT);
}

TEST(CApi, RunRowsChecksTheRange) {
  pj_spec s = make_spec(2, 4, 4, 1, 3);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, &k), PJ_OK);
  std::vector<float> in(32, 1.0f), out(32 * 9, -1.0f);
  EXPECT_EQ(pj_kernel_run_rows(k, in.data(), out.data(), 0, 9), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(pj_kernel_run_rows(k, in.data(), out.data(), 3, 2), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(pj_kernel_run_rows(k, in.data(), out.data(), -1, 2), PJ_INVALID_ARGUMENT);
  EXPECT_EQ(pj_kernel_run_rows(k, in.data(), out.data(), 0, 4), PJ_OK);
  EXPECT_EQ(pj_kernel_run_rows(k, in.data(), out.data(), 4, 8), PJ_OK);
  EXPECT_EQ(out[0], 0.0f);  // pixel (0,0) tap (0,0) is padding
  EXPECT_EQ(out[4], 1.0f);  // its centre tap
  pj_kernel_destroy(k);
}

TEST(CApi, DescribeIsSnprintfLike) {
  pj_spec s = make_spec(1, 10, 10, 3, 3);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_INTERP, &k), PJ_OK);
  size_t n = pj_kernel_describe(k, nullptr, 0);
  ASSERT_GT(n, 0u);
  std::string text(n, '\0');
  EXPECT_EQ(pj_kernel_describe(k, text.data(), n + 1), n);
  EXPECT_NE(text.find("output shape [1,10,10,27]"), std::string::npos) << text;
  EXPECT_NE(text.find("padding SAME: rows 1 before, 1 after"), std::string::npos) << text;
  char small[8];
  EXPECT_EQ(pj_kernel_describe(k, small, sizeof small), n);
  EXPECT_EQ(std::strlen(small), 7u);
  pj_kernel_destroy(k);
}

// Every backend this build can run, through the public API, against the golden loops.
TEST(CApi, EveryAvailableBackendMatchesGolden) {
  const uint64_t seed = pj::testing::test_seed();
  std::mt19937_64 rng(seed);
  int ran[5] = {};
  for (int64_t i = 0, n = pj::testing::scaled(1500); i < n; ++i) {
    pj::Spec spec = pj::testing::random_spec(rng, pj::testing::tf_only());
    pj::Geometry g = *pj::make_geometry(spec);
    const pj_spec s = pj::to_c(spec);
    std::vector<uint8_t> input = pj::testing::random_bytes(rng, g.input_bytes());
    std::vector<uint8_t> expected(g.output_bytes());
    pj::golden_extract(g, input.data(), expected.data());
    for (int b = 0; b < 5; ++b) {
      pj_kernel* k = nullptr;
      pj_status st = pj_kernel_create(&s, static_cast<pj_backend>(b), &k);
      if (st == PJ_UNIMPLEMENTED) continue;  // not built or not supported here
      ASSERT_EQ(st, PJ_OK) << pj_last_error();
      std::vector<uint8_t> out(g.output_bytes());
      for (size_t j = 0; j < out.size(); ++j) out[j] = static_cast<uint8_t>(~expected[j]);
      ASSERT_EQ(pj_kernel_run(k, input.data(), out.data(), static_cast<int>(rng() % 3)), PJ_OK) << pj_last_error();
      ASSERT_TRUE(out == expected) << pj_backend_name(static_cast<pj_backend>(b)) << " " << pj::testing::describe(spec)
                                   << " seed " << seed;
      pj_kernel_destroy(k);
      ++ran[b];
    }
  }
  EXPECT_GT(ran[PJ_BACKEND_REFERENCE], 0);
  EXPECT_GT(ran[PJ_BACKEND_INTERP], 0);
  EXPECT_GT(ran[PJ_BACKEND_AUTO], 0);
}

}  // namespace
