// The C++ wrapper: RAII, errors as values or exceptions.
#include <gtest/gtest.h>

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

}  // namespace
