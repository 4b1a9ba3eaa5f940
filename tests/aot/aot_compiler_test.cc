// The ahead-of-time compiler (jit/llvm_object.h) directly: CPU names and what they give (vector
// width, planner options, required features), unknown and 32-bit CPUs refused with the reason,
// the object's symbols (the kernels and the table, nothing undefined), progress, and errors
// that name the manifest line, and the llvm budget applied as the JIT applies it.
#include <gtest/gtest.h>

#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>

#include <set>
#include <string>
#include <vector>

#include "codegen/llvm/emitter.h"
#include "codegen/llvm/pipeline.h"
#include "jit/llvm_object.h"
#include "patchjit/patchjit_aot.h"

namespace pj {
namespace {

bool needs(const AotTarget& t, int feature) { return t.required_features >> feature & 1; }

Geometry geometry(DType dtype, int64_t rows, int64_t cols, int64_t depth, int64_t k, int64_t rate = 1) {
  Spec s;
  s.dtype = dtype;
  s.image_shape = {1, rows, cols, depth};
  s.ksizes = {1, k, k, 1};
  s.rates = {1, rate, rate, 1};
  return *make_geometry(s);
}

std::unique_ptr<AotCompiler> compiler_for(const std::string& cpu) {
  Expected<std::unique_ptr<AotCompiler>> c = make_aot_compiler(cpu);
  EXPECT_TRUE(c.ok()) << cpu << ": " << c.status().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

TEST(AotCompiler, CpuNamesGiveTheirVectorsAndFeatures) {
  std::unique_ptr<AotCompiler> v3 = compiler_for("x86-64-v3");
  ASSERT_TRUE(v3);
  EXPECT_EQ(v3->target().cpu, "x86-64-v3");
  EXPECT_EQ(v3->target().vector_bytes, 32);
  EXPECT_EQ(v3->target().plan_options.max_unrolled_run_bytes, plan_options_for(LlvmTarget{32}).max_unrolled_run_bytes);
  EXPECT_TRUE(needs(v3->target(), PJ_AOT_FEATURE_AVX2));
  EXPECT_TRUE(needs(v3->target(), PJ_AOT_FEATURE_BMI2));
  EXPECT_FALSE(needs(v3->target(), PJ_AOT_FEATURE_AVX512F));

  std::unique_ptr<AotCompiler> v4 = compiler_for("x86-64-v4");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->target().vector_bytes, 64);
  EXPECT_EQ(v4->target().plan_options.vector_bytes, 64);
  for (int f : {PJ_AOT_FEATURE_AVX512F, PJ_AOT_FEATURE_AVX512BW, PJ_AOT_FEATURE_AVX512VL, PJ_AOT_FEATURE_AVX2}) {
    EXPECT_TRUE(needs(v4->target(), f)) << pj_aot_feature_name(f);
  }
  EXPECT_EQ(v4->target().required_features & v3->target().required_features, v3->target().required_features);

  std::unique_ptr<AotCompiler> sse = compiler_for("x86-64");
  ASSERT_TRUE(sse);
  EXPECT_EQ(sse->target().vector_bytes, 16);
  EXPECT_FALSE(needs(sse->target(), PJ_AOT_FEATURE_AVX));

  // native is this CPU, which must then run its kernels.
  std::unique_ptr<AotCompiler> native = compiler_for("native");
  ASSERT_TRUE(native);
  EXPECT_FALSE(native->target().cpu.empty());
  EXPECT_NE(native->target().cpu, "native");
  EXPECT_EQ(native->target().required_features & ~pj_aot_host_features(), 0u);
}

TEST(AotCompiler, UnknownAndThirtyTwoBitCpusAreRefusedWithTheReason) {
  Expected<std::unique_ptr<AotCompiler>> typo = make_aot_compiler("skylake-avx513");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Code::kInvalidArgument);
  const std::string& m = typo.status().message();
  EXPECT_EQ(m.rfind("unknown CPU 'skylake-avx513' for x86_64", 0), 0u) << m;
  EXPECT_NE(m.find("such as skylake-avx512"), std::string::npos) << m;  // the closest first
  EXPECT_EQ(m.find("i386"), std::string::npos) << m;                    // 32-bit CPUs are not offered

  Expected<std::unique_ptr<AotCompiler>> old = make_aot_compiler("pentium4");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().message(), "CPU 'pentium4' cannot run 64-bit code: the kernels are for x86_64-pc-linux-gnu");
  EXPECT_FALSE(make_aot_compiler("").ok());
}

TEST(AotCompiler, TheObjectHoldsTheKernelsAndTheTableAndNeedsNothing) {
  std::unique_ptr<AotCompiler> c = compiler_for("x86-64-v3");
  ASSERT_TRUE(c);
  const std::vector<AotKernelSource> kernels = {{geometry(DType::kFloat32, 9, 9, 4, 3), "m:1"},
                                                {geometry(DType::kUInt8, 12, 8, 1, 3, 2), "m:2"}};
  std::vector<std::string> seen;
  Expected<std::vector<uint8_t>> object =
      c->compile(kernels, "t", [&](bool machine_code, size_t index, size_t count, const std::string& name) {
        seen.push_back(cat(machine_code ? "code " : "opt ", index, "/", count, " ", name));
      });
  ASSERT_TRUE(object.ok()) << object.status().message();
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "opt 0/2 t_e4_9x9x4_k3x3_s1x1_r1x1_same", "opt 1/2 t_e1_12x8x1_k3x3_s1x1_r2x2_same",
                      "code 0/2 t_e4_9x9x4_k3x3_s1x1_r1x1_same", "code 1/2 t_e1_12x8x1_k3x3_s1x1_r2x2_same"}));

  llvm::StringRef bytes(reinterpret_cast<const char*>(object->data()), object->size());
  auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(bytes, "t.o"));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  std::set<std::string> defined, undefined;
  for (const llvm::object::SymbolRef& symbol : (*file)->symbols()) {
    auto name = symbol.getName();
    auto flags = symbol.getFlags();
    ASSERT_TRUE(name && flags);
    if (*flags & llvm::object::SymbolRef::SF_Undefined) {
      undefined.insert(name->str());
    } else if (*flags & llvm::object::SymbolRef::SF_Global) {
      defined.insert(name->str());
    }
  }
  EXPECT_EQ(undefined, std::set<std::string>{});
  EXPECT_EQ(defined,
            (std::set<std::string>{"t_e4_9x9x4_k3x3_s1x1_r1x1_same", "t_e1_12x8x1_k3x3_s1x1_r2x2_same", "t_kernels"}));
  for (const llvm::object::SectionRef& section : (*file)->sections()) {
    if (section.isText()) {  // position-independent: no relocations in the code
      EXPECT_EQ(section.relocations().begin(), section.relocations().end());
    }
  }
}

TEST(AotCompiler, ErrorsNameTheLineTheyComeFrom) {
  std::unique_ptr<AotCompiler> c = compiler_for("x86-64-v3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->compile({}, "t", nullptr).status().message(), "no kernels to compile");
  const Geometry g = geometry(DType::kFloat32, 9, 9, 4, 3);
  Expected<std::vector<uint8_t>> twice = c->compile({{g, "m:1"}, {g, "m:7"}}, "t", nullptr);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "m:7: t_e4_9x9x4_k3x3_s1x1_r1x1_same is already in this object");
  Geometry empty = g;
  empty.batch = 0, empty.patches_bytes = 0;
  EXPECT_EQ(c->compile({{empty, "m:3"}}, "t", nullptr).status().message(),
            "m:3: the output is empty: there is no kernel to make");
}

// The JIT and ahead of time plan a kernel alike (their code is the same): a kernel over the llvm
// budget unrolled is made with loops, and one over it even then is refused, naming the line,
// within milliseconds instead of seconds of LLVM.
TEST(AotCompiler, KernelsOverTheLlvmBudgetAreLoopedOrRefused) {
  std::unique_ptr<AotCompiler> c = compiler_for("x86-64-v4");
  ASSERT_TRUE(c);
  const Geometry looped = geometry(DType::kFloat32, 12, 12, 200, 8);
  const PlanOptions options = c->target().plan_options;
  ASSERT_GT(estimate_code(*make_plan(looped, options)).loops, kLlvmBudget.loops);  // the premise
  Expected<Plan> planned = make_plan_within(looped, options, kLlvmBudget, "t_");
  ASSERT_TRUE(planned.ok()) << planned.status().message();
  EXPECT_EQ(planned->options.unroll_budget, 1);
  EXPECT_TRUE(c->compile({{looped, "m:2"}}, "t", nullptr).ok());

  const Geometry huge = geometry(DType::kFloat32, 32, 32, 64, 9);
  Expected<std::vector<uint8_t>> refused = c->compile({{looped, "m:2"}, {huge, "m:5"}}, "t", nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  const std::string why = refused.status().message();
  EXPECT_EQ(why.rfind("m:5: kernel t_e4_32x32x64_k9x9_s1x1_r1x1_same would take about ", 0), 0u) << why;
  EXPECT_NE(why.find(" loops, over the llvm budget of 262144 bytes and 256 loops"), std::string::npos) << why;
}

}  // namespace
}  // namespace pj
