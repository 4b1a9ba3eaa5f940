// The C++ wrapper: RAII, errors as values or exceptions, the builder of engine formats, sized
// buffers, tiles.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "patchjit/patchjit.hpp"

namespace {

TEST(CppApi, CreateRunAndQuery) {
  patchjit::Spec spec(PJ_FLOAT32, {1, 4, 4, 2});
  spec.ksizes(2, 2).strides(2, 2).padding(PJ_PADDING_VALID);
  patchjit::Kernel kernel = patchjit::Kernel::create(spec, PJ_BACKEND_INTERP);
  EXPECT_EQ(kernel.output_shape(), (patchjit::Shape{1, 2, 2, 8}));
  EXPECT_EQ(patchjit::output_shape(spec), kernel.output_shape());
  EXPECT_EQ(kernel.input_bytes(), 128u);
  EXPECT_EQ(kernel.output_bytes(), 128u);
  EXPECT_EQ(kernel.backend(), PJ_BACKEND_INTERP);
  std::vector<float> in(32), out(32);
  for (int i = 0; i < 32; ++i) in[i] = static_cast<float>(i);
  kernel.run(in.data(), out.data());
  // Space-to-depth: pixel (0,0) holds input pixels (0,0), (0,1), (1,0), (1,1).
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 8), (std::vector<float>{0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_NE(kernel.describe().find("plan"), std::string::npos);
}

TEST(CppApi, ErrorsAsValues) {
  patchjit::Spec spec(PJ_FLOAT32, {1, 1, 1, 1});
  spec.ksizes(3, 3).padding(PJ_PADDING_VALID);
  patchjit::Result<patchjit::Kernel> k = patchjit::Kernel::try_create(spec);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code, PJ_INVALID_ARGUMENT);
  EXPECT_NE(k.status().message.find("Computed output size would be negative"), std::string::npos);
  patchjit::Result<patchjit::Shape> shape = patchjit::try_output_shape(spec);
  EXPECT_FALSE(shape.ok());
}

TEST(CppApi, ErrorsAsExceptions) {
  patchjit::Spec spec(PJ_FLOAT32, {1, 4, 4, 1});
  spec.strides(0, 1);
  try {
    patchjit::Kernel::create(spec);
    FAIL() << "no exception";
  } catch (const patchjit::Error& e) {
    EXPECT_EQ(e.code(), PJ_OUT_OF_RANGE);
    EXPECT_NE(std::string(e.what()).find("PJ_OUT_OF_RANGE: strides is out of range."), std::string::npos) << e.what();
  }
  patchjit::Spec ok(PJ_FLOAT32, {1, 4, 4, 1});
  patchjit::Kernel kernel = patchjit::Kernel::create(ok);
  std::vector<float> buf(64);
  EXPECT_THROW(kernel.run(buf.data(), buf.data()), patchjit::Error);
  patchjit::Status st = kernel.try_run(buf.data(), buf.data());
  EXPECT_EQ(st.code, PJ_INVALID_ARGUMENT);
}

TEST(CppApi, MoveOnlyOwnership) {
  patchjit::Spec spec(PJ_UINT8, {1, 3, 3, 1});
  patchjit::Kernel a = patchjit::Kernel::create(spec);
  const pj_kernel* raw = a.get();
  patchjit::Kernel b = std::move(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(a.get(), nullptr);
  a = std::move(b);
  EXPECT_EQ(a.get(), raw);
}

// torch's unfold, kernel 2, padding 1, stride 2, on [1, 2, 3, 3] (N, C, H, W): columns in
// (c, i, j) order, positions (oh, ow) along each row, zeros outside.
TEST(CppApi, BuilderOfEngineFormats) {
  patchjit::Spec spec(PJ_FLOAT32, {1, 2, 3, 3});
  spec.format(patchjit::Format::kTorch).ksizes(2, 2).strides(2, 2).pads(1, 1, 1, 1);
  patchjit::Kernel kernel = patchjit::Kernel::create(spec);
  EXPECT_EQ(kernel.output_rank(), 3);
  EXPECT_EQ(kernel.output_shape(), (patchjit::Shape{1, 8, 4, 0}));
  EXPECT_EQ(patchjit::output_shape(spec), kernel.output_shape());
  std::vector<float> in(18), out(32, -1.0f);
  for (int i = 0; i < 18; ++i) in[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  kernel.run(std::span<const float>(in), std::span<float>(out));
  // Channel 0 is 1..9 as a 3x3 image; windows start at rows/cols -1 and 1.
  // (c=0, i=0, j=0): taps (-1,-1) (-1,1) (1,-1) (1,1).
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 4), (std::vector<float>{0, 0, 0, 5}));
  // (c=0, i=1, j=1): taps (0,0) (0,2) (2,0) (2,2).
  EXPECT_EQ(std::vector<float>(out.begin() + 12, out.begin() + 16), (std::vector<float>{1, 3, 7, 9}));
  // (c=1, i=1, j=1): channel 1 is 10..18.
  EXPECT_EQ(std::vector<float>(out.begin() + 28, out.begin() + 32), (std::vector<float>{10, 12, 16, 18}));

  patchjit::Spec back(PJ_FLOAT32, {1, 2, 3, 3});
  back.format(patchjit::Format::kTorch).format(patchjit::Format::kTf);
  const pj_spec_ex& fields = back;  // the builder's methods hide the fields of the same names
  EXPECT_EQ(fields.layout, PJ_LAYOUT_NHWC);
  EXPECT_EQ(fields.patches, PJ_PATCHES_ROWS);
  back.pads(1, 0, 0, 0).padding(PJ_PADDING_VALID);
  EXPECT_EQ(fields.pads[0], 0) << "padding() clears explicit pads";
}

TEST(CppApi, PadValueIsOneElementOfTheDtype) {
  patchjit::Spec spec(PJ_UINT8, {1, 1, 1, 1});
  spec.ksizes(1, 3).pad_value(uint8_t{128});
  std::vector<uint8_t> in{7}, out(3);
  patchjit::Kernel::create(spec).run(in.data(), in.size(), out.data(), out.size());
  EXPECT_EQ(out, (std::vector<uint8_t>{128, 7, 128}));
  try {
    spec.pad_value(1.5f);
    FAIL() << "a float pad value for uint8 was taken";
  } catch (const patchjit::Error& e) {
    EXPECT_EQ(e.code(), PJ_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("pad_value: 4 bytes given, but one uint8 element has 1"), std::string::npos)
        << e.what();
  }
  patchjit::Spec f(PJ_FLOAT32, {1, 1, 1, 1});
  f.ksizes(1, 2).pad_value(-INFINITY);
  std::vector<float> fin{2.0f}, fout(2);
  patchjit::Kernel::create(f).run(fin.data(), fout.data());
  EXPECT_EQ(fout[0], 2.0f);
  EXPECT_TRUE(std::isinf(fout[1]) && fout[1] < 0);
}

TEST(CppApi, SizedBuffersRefuseShortOnesBeforeWriting) {
  patchjit::Spec spec(PJ_FLOAT32, {1, 4, 4, 2});
  spec.ksizes(2, 2);
  patchjit::Kernel kernel = patchjit::Kernel::create(spec);
  std::vector<float> in(32), out(kernel.output_bytes() / sizeof(float) - 1, 3.0f);
  patchjit::Status st = kernel.try_run(in.data(), in.size() * sizeof(float), out.data(), out.size() * sizeof(float));
  EXPECT_EQ(st.code, PJ_INVALID_ARGUMENT);
  EXPECT_NE(st.message.find("output buffer has 508 bytes, but the kernel writes 512"), std::string::npos) << st.message;
  EXPECT_THROW(kernel.run(std::span<const float>(in).first(31), std::span<float>(out)), patchjit::Error);
  for (float v : out) ASSERT_EQ(v, 3.0f);
}

TEST(CppApi, EmptyKernelAndTiles) {
  patchjit::Kernel none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none);
  EXPECT_EQ(none.output_bytes(), 0u);
  std::vector<float> buf(4);
  EXPECT_EQ(none.try_run(buf.data(), buf.data() + 2).code, PJ_INVALID_ARGUMENT);

  patchjit::Spec spec(PJ_FLOAT32, {2, 3, 3, 1});
  spec.ksizes(2, 2).padding(PJ_PADDING_VALID);
  const patchjit::Result<patchjit::Kernel> made = patchjit::Kernel::try_create(spec);
  const patchjit::Kernel& kernel = made.value();  // const access to a Result
  EXPECT_EQ(kernel.rows(), 4);
  EXPECT_EQ(kernel.positions(), 8);
  std::vector<float> in(18), whole(32), tiled(32, -1.0f), rows(32, -1.0f);
  for (int i = 0; i < 18; ++i) in[static_cast<size_t>(i)] = static_cast<float>(i);
  kernel.run(in.data(), whole.data());
  kernel.run_range(in.data(), tiled.data(), 3, 8);
  kernel.run_range(in.data(), tiled.data(), 0, 3);
  EXPECT_EQ(tiled, whole);
  kernel.run_rows(in.data(), rows.data(), 0, kernel.rows());
  EXPECT_EQ(rows, whole);
  EXPECT_THROW(kernel.run_rows(in.data(), rows.data(), 0, 5), patchjit::Error);
  EXPECT_THROW(kernel.run_range(in.data(), rows.data(), 0, 9), patchjit::Error);
}

}  // namespace
