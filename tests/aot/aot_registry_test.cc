// pj_register_aot_kernels without LLVM: hand-made "ahead-of-time" kernels (the golden loops
// behind the kernel ABI, counting their calls) registered through the C API, then served by
// pj_kernel_create for AUTO and LLVM only, refused when they need features this CPU lacks or the
// ISA cap withholds, chosen by specificity, checked entry by entry, and registered from several
// threads. The registry is process-wide and has no removal: each test uses signatures of its own.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "codegen/plan/geometry.h"
#include "jit/aot_signature.h"
#include "patchjit/patchjit.h"
#include "patchjit/patchjit_aot.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/support/random_spec.h"

namespace {

using pj::Geometry;

constexpr int kKernels = 24;
std::array<Geometry, kKernels> geometries;  // of the kernel with that id (batch 64: any row range)
std::array<std::atomic<int>, kKernels> calls;

template <int Id>
void golden_kernel(const pj_aot_args* args) {
  ++calls[Id];
  pj::golden_extract(geometries[Id], args->input, args->output, args->row_begin, args->row_end);
}

template <int... Ids>
constexpr std::array<pj_aot_function, sizeof...(Ids)> functions(std::integer_sequence<int, Ids...>) {
  return {&golden_kernel<Ids>...};
}
const auto kFunctions = functions(std::make_integer_sequence<int, kKernels>{});

pj_spec spec_of(pj_dtype dtype, int64_t batch, int64_t rows, int64_t cols, int64_t depth, int64_t k,
                pj_padding padding = PJ_PADDING_SAME) {
  pj_spec s{};
  s.dtype = dtype;
  const int64_t shape[4] = {batch, rows, cols, depth};
  for (int i = 0; i < 4; ++i) {
    s.input_shape[i] = shape[i];
    s.ksizes[i] = i == 1 || i == 2 ? k : 1;
    s.strides[i] = s.rates[i] = 1;
  }
  s.padding = padding;
  return s;
}

// The table entry of kernel `id` for `spec`, needing `features`.
pj_aot_kernel entry(int id, const pj_spec& spec, uint64_t features, const char* name) {
  pj::Spec s = pj::from_c(spec);
  s.image_shape[0] = 64;
  geometries[id] = *pj::make_geometry(s);
  const Geometry& g = geometries[id];
  pj_aot_kernel k{};
  k.abi_version = PJ_AOT_ABI_VERSION;
  pj_aot_signature& sig = k.signature;  // the rest 0: TensorFlow's format, zero padding, dense
  sig.element_size = g.elem_size, sig.rows = g.rows.in, sig.cols = g.cols.in, sig.depth = g.depth;
  sig.ksize_rows = g.rows.ksize, sig.ksize_cols = g.cols.ksize, sig.stride_rows = g.rows.stride;
  sig.stride_cols = g.cols.stride, sig.rate_rows = g.rows.rate, sig.rate_cols = g.cols.rate;
  sig.padding = g.padding == pj::Padding::kSame ? PJ_AOT_PADDING_SAME : PJ_AOT_PADDING_VALID;
  k.out_rows = g.rows.out;
  k.out_cols = g.cols.out;
  k.out_depth = g.patch_depth;
  k.function = kFunctions[id];
  k.name = name;
  k.cpu = "test-cpu";
  k.required_features = features;
  return k;
}

std::string describe(const pj_kernel* kernel) {
  std::string text(pj_kernel_describe(kernel, nullptr, 0) + 1, '\0');
  pj_kernel_describe(kernel, text.data(), text.size());
  return text;
}

// Creates a kernel for `spec` on `backend`, runs it on random data, checks it against the
// golden loops, and returns its description.
std::string create_and_check(const pj_spec& spec, pj_backend backend) {
  pj_kernel* kernel = nullptr;
  EXPECT_EQ(pj_kernel_create(&spec, backend, &kernel), PJ_OK) << pj_last_error();
  if (kernel == nullptr) return "";
  std::mt19937_64 rng(7);
  std::vector<uint8_t> input = pj::testing::random_bytes(rng, pj_kernel_input_bytes(kernel));
  std::vector<uint8_t> output(pj_kernel_output_bytes(kernel), 0xa5), expected(output.size());
  EXPECT_EQ(pj_kernel_run(kernel, input.data(), output.data(), 2), PJ_OK) << pj_last_error();
  pj::golden_extract(*pj::make_geometry(pj::from_c(spec)), input.data(), expected.data());
  EXPECT_TRUE(output == expected) << describe(kernel);
  std::string text = describe(kernel);
  pj_kernel_destroy(kernel);
  return text;
}

const uint64_t kUnknownFeature = uint64_t{1} << 63;  // a bit no CPU has

TEST(AotRegistry, ServesAutoAndLlvmForEveryDtypeOfItsSizeAndAnyBatch) {
  const pj_aot_kernel k = entry(0, spec_of(PJ_FLOAT32, 1, 9, 11, 5, 3), 0, "test_e4_9x11x5");
  ASSERT_EQ(pj_register_aot_kernels(&k, 1), PJ_OK) << pj_last_error();
  EXPECT_STREQ(pj_last_error(), "");

  for (pj_dtype dtype : {PJ_FLOAT32, PJ_INT32, PJ_UINT32}) {
    for (int64_t batch : {1, 3}) {
      const pj_spec spec = spec_of(dtype, batch, 9, 11, 5, 3);
      const int before = calls[0];
      const std::string text = create_and_check(spec, PJ_BACKEND_AUTO);
      EXPECT_NE(text.find("backend llvm (ahead of time)\n"), std::string::npos) << text;
      EXPECT_NE(text.find("ahead-of-time kernel test_e4_9x11x5 (cpu test-cpu)"), std::string::npos) << text;
      EXPECT_GT(calls[0], before);
    }
  }
  pj_kernel* kernel = nullptr;
  const pj_spec spec = spec_of(PJ_FLOAT32, 2, 9, 11, 5, 3);
  ASSERT_EQ(pj_kernel_create(&spec, PJ_BACKEND_LLVM, &kernel), PJ_OK) << pj_last_error();
  EXPECT_EQ(pj_kernel_backend(kernel), PJ_BACKEND_LLVM);
  EXPECT_NE(describe(kernel).find("ahead-of-time kernel test_e4_9x11x5"), std::string::npos);
  EXPECT_EQ(pj_kernel_code(kernel, nullptr), 0u);
  pj_kernel_destroy(kernel);

  // Asked for by name, the other backends are what they say.
  const int before = calls[0];
  EXPECT_EQ(create_and_check(spec, PJ_BACKEND_INTERP).find("ahead-of-time kernel"), std::string::npos);
  EXPECT_EQ(create_and_check(spec, PJ_BACKEND_REFERENCE).find("ahead-of-time kernel"), std::string::npos);
  if (pj_backend_available(PJ_BACKEND_XBYAK) == PJ_OK) {
    EXPECT_EQ(create_and_check(spec, PJ_BACKEND_XBYAK).find("ahead-of-time kernel"), std::string::npos);
  }
  EXPECT_EQ(calls[0], before);
  // Other signatures are untouched: an element size of 2 is another kernel.
  EXPECT_EQ(create_and_check(spec_of(PJ_HALF, 1, 9, 11, 5, 3), PJ_BACKEND_AUTO).find("ahead-of-time kernel"),
            std::string::npos);
}

TEST(AotRegistry, AKernelNeedingAFeatureThisCpuLacksIsSkipped) {
  const pj_spec spec = spec_of(PJ_UINT8, 1, 12, 10, 6, 2, PJ_PADDING_VALID);
  std::vector<pj_aot_kernel> table = {entry(1, spec, kUnknownFeature, "needs_the_future")};
  const uint64_t host = pj_aot_host_features();
  for (int bit = 0; bit < PJ_AOT_FEATURE_COUNT; ++bit) {
    if (!(host >> bit & 1)) {  // a real feature this CPU does not have, if there is one
      table.push_back(entry(2, spec, uint64_t{1} << bit, "needs_a_missing_feature"));
      break;
    }
  }
  ASSERT_EQ(pj_register_aot_kernels(table.data(), table.size()), PJ_OK) << pj_last_error();
  const std::string text = create_and_check(spec, PJ_BACKEND_AUTO);
  EXPECT_EQ(text.find("ahead-of-time kernel"), std::string::npos) << text;
  EXPECT_EQ(calls[1] + calls[2], 0);

  // Beside them, a kernel this CPU can run serves.
  const pj_aot_kernel runnable = entry(3, spec, host, "runs_here");
  ASSERT_EQ(pj_register_aot_kernels(&runnable, 1), PJ_OK);
  EXPECT_NE(create_and_check(spec, PJ_BACKEND_AUTO).find("ahead-of-time kernel runs_here"), std::string::npos);
  EXPECT_EQ(calls[1] + calls[2], 0);
}

TEST(AotRegistry, TheKernelNeedingTheMostFeaturesThisCpuHasServes) {
  const uint64_t host = pj_aot_host_features();
  if (std::popcount(host) < 2) GTEST_SKIP() << "this CPU reports fewer than two features (not x86-64?)";
  const uint64_t one = host & -host;  // its lowest feature only
  const pj_spec spec = spec_of(PJ_FLOAT64, 1, 7, 7, 3, 3);
  const pj_aot_kernel table[] = {entry(4, spec, one, "generic"), entry(5, spec, host, "specific"),
                                 entry(6, spec, host | kUnknownFeature, "too_specific"),
                                 entry(7, spec, host, "specific_too")};
  ASSERT_EQ(pj_register_aot_kernels(table, 4), PJ_OK) << pj_last_error();
  EXPECT_NE(create_and_check(spec, PJ_BACKEND_AUTO).find("ahead-of-time kernel specific "), std::string::npos);
}

TEST(AotRegistry, TheIsaCapWithholdsAvx512FromAheadOfTimeKernels) {
  const uint64_t host = pj_aot_host_features();
  if (!(host >> PJ_AOT_FEATURE_AVX512F & 1)) GTEST_SKIP() << "this CPU has no AVX-512";
  const pj_spec spec = spec_of(PJ_INT16, 1, 8, 9, 4, 3);
  const pj_aot_kernel k = entry(8, spec, uint64_t{1} << PJ_AOT_FEATURE_AVX512F, "needs_avx512");
  ASSERT_EQ(pj_register_aot_kernels(&k, 1), PJ_OK);
  const pj_isa cap = pj_max_isa();
  ASSERT_EQ(pj_set_max_isa(PJ_ISA_AVX2), PJ_OK);
  EXPECT_EQ(create_and_check(spec, PJ_BACKEND_AUTO).find("ahead-of-time kernel"), std::string::npos);
  ASSERT_EQ(pj_set_max_isa(PJ_ISA_AVX512), PJ_OK);
  EXPECT_NE(create_and_check(spec, PJ_BACKEND_AUTO).find("ahead-of-time kernel needs_avx512"), std::string::npos);
  ASSERT_EQ(pj_set_max_isa(cap), PJ_OK);
}

TEST(AotRegistry, EveryEntryIsCheckedAndABadOneRegistersNone) {
  const pj_spec spec = spec_of(PJ_FLOAT32, 1, 6, 6, 7, 3);
  const pj_aot_kernel good = entry(9, spec, 0, "good");
  struct Case {
    const char* what;
    void (*spoil)(pj_aot_kernel*);
    const char* message;
  };
  const Case cases[] = {
      {"abi", [](pj_aot_kernel* k) { k->abi_version = 1; },
       "ahead-of-time kernel 1: abi_version is 1 in a table of version 3 (the first entry's)"},
      {"function", [](pj_aot_kernel* k) { k->function = nullptr; },
       "ahead-of-time kernel 1 (bad): its function is NULL"},
      {"name", [](pj_aot_kernel* k) { k->cpu = nullptr; }, "ahead-of-time kernel 1 (bad): its name or cpu is NULL"},
      {"size", [](pj_aot_kernel* k) { k->signature.element_size = 3; },
       "ahead-of-time kernel 1 (bad): element_size 3 is not 1, 2, 4, 8 or 16"},
      {"padding", [](pj_aot_kernel* k) { k->signature.padding = 7; },
       "ahead-of-time kernel 1 (bad): padding 7 is not one of 0..2"},
      {"layout", [](pj_aot_kernel* k) { k->signature.layout = -1; },
       "ahead-of-time kernel 1 (bad): layout -1 is not one of 0..1"},
      {"pads", [](pj_aot_kernel* k) { k->signature.pads[1] = 1; },
       "ahead-of-time kernel 1 (bad): pads: the bottom padding is 1 but padding is SAME"},
      {"pad value", [](pj_aot_kernel* k) { k->signature.pad_value[4] = 1; },
       "ahead-of-time kernel 1 (bad): pad_value's bytes past element_size must be 0"},
      {"dense strides", [](pj_aot_kernel* k) { k->signature.input_strides[2] = 7; },
       "ahead-of-time kernel 1 (bad): strides must be all 0 for a dense buffer, and the resolved strides otherwise"},
      {"rule", [](pj_aot_kernel* k) { k->signature.stride_rows = 0; },
       "ahead-of-time kernel 1 (bad): strides is out of range."},
      {"output", [](pj_aot_kernel* k) { k->out_cols = 5; },
       "ahead-of-time kernel 1 (bad): its output is 6 x 5 x 63 but its signature gives 6 x 6 x 63"},
      {"empty", [](pj_aot_kernel* k) { k->signature.depth = 0, k->out_depth = 0; },
       "ahead-of-time kernel 1 (bad): its output is empty"},
      {"extract's dtype", [](pj_aot_kernel* k) { k->signature.dtype = PJ_INT32; },
       "ahead-of-time kernel 1 (bad): dtype and mode are fold's: 0 for extract"},
      {"op", [](pj_aot_kernel* k) { k->signature.op = 2; }, "ahead-of-time kernel 1 (bad): op 2 is not one of 0..1"},
  };
  for (const Case& c : cases) {
    pj_aot_kernel bad = entry(10, spec_of(PJ_FLOAT32, 1, 6, 6, 7, 3), 0, "bad");
    c.spoil(&bad);
    const pj_aot_kernel table[] = {good, bad};
    ASSERT_EQ(pj_register_aot_kernels(table, 2), PJ_INVALID_ARGUMENT) << c.what;
    EXPECT_EQ(std::string(pj_last_error()).substr(0, std::strlen(c.message)), c.message) << c.what;
  }
  // The good entry came first, and was not registered either.
  EXPECT_EQ(create_and_check(spec, PJ_BACKEND_AUTO).find("ahead-of-time kernel"), std::string::npos);
  EXPECT_EQ(calls[9], 0);
  // A version this patchjit does not know: its entries' length is unknown, so nothing is read.
  pj_aot_kernel future = good;
  future.abi_version = 4;
  EXPECT_EQ(pj_register_aot_kernels(&future, 1), PJ_INVALID_ARGUMENT);
  EXPECT_STREQ(pj_last_error(),
               "ahead-of-time kernel 0: abi_version is 4 but this patchjit reads versions 1 to 3: "
               "make the object again with this patchjit's `patchjit aot`");
  EXPECT_EQ(pj_register_aot_kernels(nullptr, 3), PJ_INVALID_ARGUMENT);
  EXPECT_STREQ(pj_last_error(), "kernels is NULL but count is 3");
  EXPECT_EQ(pj_register_aot_kernels(nullptr, 0), PJ_OK);
}

// `k` as an entry of an older `version`, whose signature is a prefix of this one's.
template <typename Signature>
pj::AotKernelOf<Signature> older(int64_t version, const pj_aot_kernel& k) {
  pj::AotKernelOf<Signature> old{};
  old.abi_version = version;
  std::memcpy(&old.signature, &k.signature, sizeof old.signature);
  old.out_rows = k.out_rows, old.out_cols = k.out_cols, old.out_depth = k.out_depth;
  old.function = k.function, old.name = k.name, old.cpu = k.cpu, old.required_features = k.required_features;
  return old;
}

// specs[0] and specs[1] (at `batch`) served by the registered kernels names[i], ids first + i.
void expect_served(const pj_spec* specs, const char* const* names, int first, int64_t batch) {
  for (int i = 0; i < 2; ++i) {
    pj_spec spec = specs[i];
    spec.input_shape[0] = batch;
    const int before = calls[first + i];
    const std::string text = create_and_check(spec, PJ_BACKEND_AUTO);
    EXPECT_NE(text.find(std::string("ahead-of-time kernel ") + names[i]), std::string::npos) << text;
    EXPECT_GT(calls[first + i], before);
  }
}

// Objects made before the engine formats hold version 1 tables (19 eight-byte fields an entry):
// they are read as TensorFlow's op, entry by entry at their own length.
TEST(AotRegistry, VersionOneTablesStillServe) {
  const pj_spec specs[2] = {spec_of(PJ_FLOAT32, 1, 7, 5, 3, 2, PJ_PADDING_VALID), spec_of(PJ_INT16, 1, 6, 9, 2, 3)};
  const char* names[2] = {"v1_e4_7x5x3", "v1_e2_6x9x2"};
  pj::AotKernelV1 table[2];
  for (int i = 0; i < 2; ++i) table[i] = older<pj::AotSignatureV1>(1, entry(16 + i, specs[i], 0, names[i]));
  pj::AotKernelV1 bad = table[1];
  bad.signature.padding = PJ_AOT_PADDING_EXPLICIT;  // version 1 has no pads to go with it
  const pj::AotKernelV1 with_bad[2] = {table[0], bad};
  ASSERT_EQ(pj_register_aot_kernels(reinterpret_cast<const pj_aot_kernel*>(with_bad), 2), PJ_INVALID_ARGUMENT);
  EXPECT_STREQ(pj_last_error(),
               "ahead-of-time kernel 1 (v1_e2_6x9x2): padding 2 is neither PJ_AOT_PADDING_SAME nor "
               "PJ_AOT_PADDING_VALID (version 1)");

  ASSERT_EQ(pj_register_aot_kernels(reinterpret_cast<const pj_aot_kernel*>(table), 2), PJ_OK) << pj_last_error();
  expect_served(specs, names, 16, 3);
}

// Objects made before fold hold version 2 tables (33 eight-byte fields an entry, no op, dtype
// or mode): read entry by entry at their own length, as extract kernels.
TEST(AotRegistry, VersionTwoTablesStillServe) {
  const pj_spec specs[2] = {spec_of(PJ_FLOAT32, 1, 5, 7, 3, 2, PJ_PADDING_VALID), spec_of(PJ_UINT8, 1, 6, 5, 4, 3)};
  const char* names[2] = {"v2_e4_5x7x3", "v2_e1_6x5x4"};
  pj::AotKernelV2 table[2];
  for (int i = 0; i < 2; ++i) table[i] = older<pj::AotSignatureV2>(2, entry(19 + i, specs[i], 0, names[i]));
  ASSERT_EQ(pj_register_aot_kernels(reinterpret_cast<const pj_aot_kernel*>(table), 2), PJ_OK) << pj_last_error();
  expect_served(specs, names, 19, 2);
}

Geometry fold_geometry;  // of golden_fold_kernel (batch 64: any row range)
std::atomic<int> fold_calls{0};

void golden_fold_kernel(const pj_aot_args* args) {
  ++fold_calls;
  pj::golden_fold(fold_geometry, args->input, args->output, args->row_begin, args->row_end, 0, fold_geometry.cols.in);
}

// Runs the fold of `ex` (`mode`) on `backend` against the reference backend; its description.
std::string fold_and_check(const pj_spec_ex& ex, pj_fold_mode mode, pj_backend backend) {
  pj_kernel *kernel = nullptr, *reference = nullptr;
  EXPECT_EQ(pj_fold_kernel_create(&ex, mode, backend, &kernel), PJ_OK) << pj_last_error();
  EXPECT_EQ(pj_fold_kernel_create(&ex, mode, PJ_BACKEND_REFERENCE, &reference), PJ_OK) << pj_last_error();
  if (kernel == nullptr || reference == nullptr) return "";
  std::mt19937_64 rng(11);
  std::vector<float> patches(pj_kernel_input_bytes(kernel) / sizeof(float));
  for (float& x : patches) x = std::uniform_real_distribution<float>(-4, 4)(rng);
  std::vector<uint8_t> image(pj_kernel_output_bytes(kernel), 0xa5), expected(image.size());
  EXPECT_EQ(pj_kernel_run(kernel, patches.data(), image.data(), 2), PJ_OK) << pj_last_error();
  EXPECT_EQ(pj_kernel_run(reference, patches.data(), expected.data(), 1), PJ_OK) << pj_last_error();
  EXPECT_TRUE(image == expected) << describe(kernel);
  const std::string text = describe(kernel);
  pj_kernel_destroy(kernel);
  pj_kernel_destroy(reference);
  return text;
}

// Version 3 entries hold fold kernels: one serves the fold of its signature in its dtype and
// mode only (fold adds in its dtype), for AUTO and LLVM, any batch; their fields are checked.
TEST(AotRegistry, ServesFoldInItsDtypeAndModeOnly) {
  pj_spec_ex ex;
  pj_spec_ex_init(&ex, nullptr);
  ex.base = spec_of(PJ_FLOAT32, 64, 6, 7, 3, 3);
  ex.base.ksizes[2] = 2;
  pj::Spec spec = pj::from_c(ex);
  spec.op = pj::Op::kFold;
  fold_geometry = *pj::make_geometry(spec);

  // The entry as a C program writes it.
  pj_aot_kernel k{};
  k.abi_version = PJ_AOT_ABI_VERSION;
  pj_aot_signature& s = k.signature;
  s.element_size = 4, s.rows = 6, s.cols = 7, s.depth = 3, s.ksize_rows = 3, s.ksize_cols = 2;
  s.stride_rows = s.stride_cols = s.rate_rows = s.rate_cols = 1;
  s.padding = PJ_AOT_PADDING_SAME;
  s.op = PJ_AOT_OP_FOLD, s.dtype = PJ_FLOAT32, s.mode = PJ_AOT_FOLD_SUM;
  k.out_rows = 6, k.out_cols = 7, k.out_depth = 3;  // the image it writes
  k.function = golden_fold_kernel;
  k.name = "test_fold_f32";
  k.cpu = "test-cpu";
  struct Case {
    void (*spoil)(pj_aot_kernel*);
    const char* message;
  };
  const Case cases[] = {
      {[](pj_aot_kernel* b) { b->signature.dtype = PJ_FLOAT64; },
       "ahead-of-time kernel 0 (test_fold_f32): dtype float64 has 8-byte elements, not element_size 4"},
      {[](pj_aot_kernel* b) { b->signature.dtype = 15; },
       "ahead-of-time kernel 0 (test_fold_f32): dtype 15 is not one of 0..14"},
      {[](pj_aot_kernel* b) { b->signature.mode = 2; },
       "ahead-of-time kernel 0 (test_fold_f32): mode 2 is not one of 0..1"},
      {[](pj_aot_kernel* b) { b->out_depth = 54; },
       "ahead-of-time kernel 0 (test_fold_f32): its output is 6 x 7 x 54 but its signature gives 6 x 7 x 3"},
      {[](pj_aot_kernel* b) { b->signature.element_size = 1, b->signature.dtype = PJ_BOOL; },
       "ahead-of-time kernel 0 (test_fold_f32): fold: bool has no sum"},
  };
  for (const Case& c : cases) {
    pj_aot_kernel bad = k;
    c.spoil(&bad);
    ASSERT_EQ(pj_register_aot_kernels(&bad, 1), PJ_INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(std::string(pj_last_error()).substr(0, std::strlen(c.message)), c.message);
  }
  ASSERT_EQ(pj_register_aot_kernels(&k, 1), PJ_OK) << pj_last_error();

  for (int64_t batch : {1, 3}) {
    ex.base.input_shape[0] = batch;
    const int before = fold_calls;
    const std::string text = fold_and_check(ex, PJ_FOLD_SUM, PJ_BACKEND_AUTO);
    EXPECT_NE(text.find("ahead-of-time kernel test_fold_f32 (cpu test-cpu)"), std::string::npos) << text;
    EXPECT_GT(fold_calls, before);
  }
  EXPECT_NE(fold_and_check(ex, PJ_FOLD_SUM, PJ_BACKEND_LLVM).find("ahead-of-time kernel test_fold_f32"),
            std::string::npos);
  // Not the mean, another dtype of its size, nor extract of the signature.
  const int before = fold_calls;
  EXPECT_EQ(fold_and_check(ex, PJ_FOLD_MEAN, PJ_BACKEND_AUTO).find("ahead-of-time kernel"), std::string::npos);
  pj_spec_ex ints = ex;
  ints.base.dtype = PJ_INT32;
  pj_kernel* kernel = nullptr;
  ASSERT_EQ(pj_fold_kernel_create(&ints, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &kernel), PJ_OK) << pj_last_error();
  EXPECT_EQ(describe(kernel).find("ahead-of-time kernel"), std::string::npos);
  pj_kernel_destroy(kernel);
  EXPECT_EQ(create_and_check(ex.base, PJ_BACKEND_AUTO).find("ahead-of-time kernel"), std::string::npos);
  EXPECT_EQ(fold_calls, before);
}

// Version 2 entries serve every format: here torch's unfold with explicit pads, a uint8 pad
// value (a zero point) and a GEMM leading dimension, whole and in tiles that split rows.
TEST(AotRegistry, ServesEngineFormatsPadsPadValuesAndStrides) {
  pj_spec_ex ex;
  pj_spec_ex_init(&ex, nullptr);
  ex.base = spec_of(PJ_UINT8, 64, 0, 0, 0, 1);
  const int64_t nchw[4] = {64, 3, 6, 7};
  for (int i = 0; i < 4; ++i) ex.base.input_shape[i] = nchw[i];
  ex.base.ksizes[1] = 3, ex.base.ksizes[2] = 2;
  ex.base.padding = PJ_PADDING_EXPLICIT;
  const int64_t pads[4] = {1, 0, 2, 1};
  for (int i = 0; i < 4; ++i) ex.pads[i] = pads[i];
  ex.pad_value[0] = 128;
  ex.layout = PJ_LAYOUT_NCHW, ex.patch_order = PJ_PATCH_ORDER_CHW, ex.patches = PJ_PATCHES_COLUMNS;
  ex.output_strides[0] = 50;  // OH*OW = 5*9 = 45 positions a row of the [K, 45] matrix
  constexpr int kId = 18;
  geometries[kId] = *pj::make_geometry(pj::from_c(ex));
  const Geometry& g = geometries[kId];
  ASSERT_EQ(g.positions, 45);
  ASSERT_EQ(g.patch_depth, 18);

  // The signature as a C program writes it: canonical, the resolved output strides.
  pj_aot_kernel k{};
  k.abi_version = PJ_AOT_ABI_VERSION;
  pj_aot_signature& s = k.signature;
  s.element_size = 1, s.rows = 6, s.cols = 7, s.depth = 3, s.ksize_rows = 3, s.ksize_cols = 2;
  s.stride_rows = s.stride_cols = s.rate_rows = s.rate_cols = 1;
  s.padding = PJ_AOT_PADDING_EXPLICIT;
  for (int i = 0; i < 4; ++i) s.pads[i] = pads[i];
  s.pad_value[0] = 128;
  s.layout = PJ_AOT_LAYOUT_NCHW, s.patch_order = PJ_AOT_PATCH_ORDER_CHW, s.patches = PJ_AOT_PATCHES_COLUMNS;
  s.output_strides[0] = 50, s.output_strides[1] = 18 * 50;
  k.out_rows = 5, k.out_cols = 9, k.out_depth = 18;
  k.function = kFunctions[kId];
  k.name = "test_unfold_u8";
  k.cpu = "test-cpu";
  pj_aot_kernel unresolved = k;  // the image stride left 0: not the canonical form
  unresolved.signature.output_strides[1] = 0;
  ASSERT_EQ(pj_register_aot_kernels(&unresolved, 1), PJ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(pj_last_error()).find("(input 0,0,0; output 50,900)"), std::string::npos) << pj_last_error();
  ASSERT_EQ(pj_register_aot_kernels(&k, 1), PJ_OK) << pj_last_error();

  for (int64_t batch : {1, 3}) {
    ex.base.input_shape[0] = batch;
    pj_kernel* kernel = nullptr;
    ASSERT_EQ(pj_kernel_create_ex(&ex, PJ_BACKEND_AUTO, &kernel), PJ_OK) << pj_last_error();
    EXPECT_NE(describe(kernel).find("ahead-of-time kernel test_unfold_u8"), std::string::npos) << describe(kernel);
    const Geometry run_g = *pj::make_geometry(pj::from_c(ex));
    std::mt19937_64 rng(batch);
    std::vector<uint8_t> input = pj::testing::random_bytes(rng, pj_kernel_input_bytes(kernel));
    for (uint8_t fill : {uint8_t{0xa5}, uint8_t{0x5a}}) {
      std::vector<uint8_t> output(pj_kernel_output_bytes(kernel), fill), expected(output.size(), fill);
      pj::golden_extract(run_g, input.data(), expected.data());
      const int before = calls[kId];
      if (fill == 0xa5) {
        EXPECT_EQ(pj_kernel_run(kernel, input.data(), output.data(), 2), PJ_OK) << pj_last_error();
      } else {  // tiles that start and end inside rows: whole rows on the kernel, the rest interpreted
        const int64_t end = pj_kernel_positions(kernel);
        const int64_t cuts[] = {0, 4, 22, end / 2 + 1, end};
        for (int c = 0; c + 1 < 5; ++c) {
          EXPECT_EQ(pj_kernel_run_range(kernel, input.data(), output.data(), cuts[c], cuts[c + 1]), PJ_OK);
        }
      }
      EXPECT_GT(calls[kId], before);
      EXPECT_TRUE(output == expected) << "batch " << batch << " fill " << int{fill};
    }
    pj_kernel_destroy(kernel);
  }
  // Another pad value is another kernel: the JIT serves it.
  ex.pad_value[0] = 127;
  pj_kernel* other = nullptr;
  ASSERT_EQ(pj_kernel_create_ex(&ex, PJ_BACKEND_AUTO, &other), PJ_OK);
  EXPECT_EQ(describe(other).find("ahead-of-time kernel"), std::string::npos);
  pj_kernel_destroy(other);
}

TEST(AotRegistry, RegisteringAndCreatingFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> served{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &served] {
      const pj_spec spec = spec_of(PJ_INT64, 1, 5 + t, 6, 2, 2);
      const pj_aot_kernel k = entry(11 + t, spec, 0, "threaded");
      for (int i = 0; i < 50; ++i) {
        if (i == 10) {
          EXPECT_EQ(pj_register_aot_kernels(&k, 1), PJ_OK) << pj_last_error();
        }
        pj_kernel* kernel = nullptr;
        ASSERT_EQ(pj_kernel_create(&spec, PJ_BACKEND_AUTO, &kernel), PJ_OK) << pj_last_error();
        if (describe(kernel).find("ahead-of-time kernel threaded") != std::string::npos) ++served;
        pj_kernel_destroy(kernel);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(served, 4 * 40);
}

}  // namespace
