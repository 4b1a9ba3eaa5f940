// The llvm backend: the differential test of the xbyak one (random signatures of every element
// size, fresh random data, output poisoned, input and output against PROT_NONE guard pages,
// random row splits, planner budgets squeezed so every loop form appears), 64-bit offsets, the
// machine code (no calls, never writable and executable, gone with its last owner), and
// concurrent creates through the C API.
#include <gtest/gtest.h>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstrAnalysis.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "codegen/llvm/emitter.h"
#include "codegen/llvm/fold_emitter.h"
#include "codegen/llvm/pipeline.h"
#include "codegen/lower/lowering.h"
#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "jit/cpu.h"
#include "jit/llvm_session.h"
#include "patchjit/patchjit.h"
#include "reference/compare.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"
#include "tests/support/fold_kernels.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

// The process's JIT session (each test fails at once if it cannot start).
class Llvm : public ::testing::Test {
 protected:
  void SetUp() override {
    Expected<LlvmSession*> s = llvm_session();
    ASSERT_TRUE(s.ok()) << s.status().message();
    session_ = *s;
  }
  LlvmSession& session() { return *session_; }

 private:
  LlvmSession* session_ = nullptr;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST_F(Llvm, MatchesGolden) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  const int64_t n = testing::scaled(5000);
  int64_t by_size[17] = {}, kernels = 0, empty = 0, generic = 0, grouped = 0, chunked = 0;
  std::vector<double> compile_ms;
  for (int64_t i = 0; i < n; ++i) {
    Spec spec = testing::random_spec(rng);
    Geometry g = *make_geometry(spec);
    ++by_size[g.elem_size];
    if (g.empty()) {
      ++empty;
      continue;
    }
    Expected<Plan> plan = make_plan(g, testing::random_options(rng, session().plan_options()));
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    if (plan->generic) {
      ++generic;
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    Expected<std::shared_ptr<const LlvmKernel>> kernel = session().compile(*plan);
    compile_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    ASSERT_TRUE(kernel.ok()) << testing::describe(spec) << ": " << kernel.status().message();
    ++kernels;
    grouped += testing::has_pixel_groups(*plan);
    if (session().plan_options().group_pixels) {  // the walk's chunks on a byte-permute target
      const Lowering lowering = lower(*plan, walk_target(LlvmTarget{64, true}));
      bool by_chunks = !lowering.gathers.empty();
      for (const LoweredProgram& p : lowering.programs) by_chunks = by_chunks || p.by_chunks;
      chunked += by_chunks;
    }

    const std::string difference = testing::check_kernel(*plan, (*kernel)->function(), rng);
    if (!difference.empty()) {
      FAIL() << "llvm " << testing::describe(spec) << ": " << difference << "\n"
             << to_string(*plan) << "seed " << seed << " (PATCHJIT_SEED replays)";
    }
  }
  std::cout << "llvm (" << session().describe() << "): " << n << " random specs, " << kernels
            << " kernels compiled and checked (" << empty << " empty, " << generic << " generic, " << grouped
            << " with pixel groups, " << chunked << " with chunks; element sizes 1/2/4/8/16: " << by_size[1] << "/"
            << by_size[2] << "/" << by_size[4] << "/" << by_size[8] << "/" << by_size[16] << "; compile median "
            << median(compile_ms) << " ms; seed " << seed << ")\n";
  if (session().plan_options().group_pixels && n >= 1000) {
    EXPECT_GT(grouped, n / 200) << "pixel groups went untested";
    EXPECT_GT(chunked, n / 20) << "chunks went untested";
  }
}

// Offsets beyond 32 bits: a 6 GiB input (reserved, mostly never touched) whose kernel rows and
// anchors lie more than 2 GiB apart.
TEST_F(Llvm, SixtyFourBitOffsets) {
  Expected<Plan> plan = make_plan(testing::sixty_four_bit_geometry(), session().plan_options());
  ASSERT_TRUE(plan.ok());
  Expected<std::shared_ptr<const LlvmKernel>> kernel = session().compile(*plan);
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  EXPECT_EQ(testing::check_sixty_four_bit_kernel(*plan, (*kernel)->function()), "") << to_string(*plan);
}

// Found by reading: the session kept the code range of a kernel whose lookup failed, forever.
TEST_F(Llvm, AFailedLinkLeavesNothingBehind) {
  Spec spec;
  spec.image_shape = {1, 6, 6, 2};
  spec.ksizes = {1, 2, 2, 1};
  const Plan plan = *make_plan(*make_geometry(spec), session().plan_options());
  const size_t before = session().pending_code_ranges_for_testing();
  session().fail_next_link_for_testing();
  Expected<std::shared_ptr<const LlvmKernel>> failed = session().compile(plan);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("could not compile kernel"), std::string::npos) << failed.status().message();
  EXPECT_EQ(session().pending_code_ranges_for_testing(), before);
  Expected<std::shared_ptr<const LlvmKernel>> next = session().compile(plan);  // and the session goes on
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(session().pending_code_ranges_for_testing(), before);
}

TEST_F(Llvm, NamesKernelsBySignature) {
  Spec spec;
  spec.image_shape = {1, 56, 56, 64};
  spec.ksizes = {1, 3, 3, 1};
  Plan plan = *make_plan(*make_geometry(spec), session().plan_options());
  Expected<std::shared_ptr<const LlvmKernel>> kernel = session().compile(plan);
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  EXPECT_EQ((*kernel)->name(), "eip_llvm_e4_56x56x64_k3x3_s1x1_r1x1_same");
  EXPECT_FALSE((*kernel)->bytes().empty());
  Expected<std::string> ir = session().optimized_ir(plan);
  ASSERT_TRUE(ir.ok()) << ir.status().message();
  EXPECT_NE(ir->find("define void @eip_llvm_e4_56x56x64_k3x3_s1x1_r1x1_same(ptr"), std::string::npos) << *ir;
  // Compiled twice, one signature gets two kernels side by side (a cache miss in two threads).
  Expected<std::shared_ptr<const LlvmKernel>> again = session().compile(plan);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_NE((*again)->function(), (*kernel)->function());
}

// The machine code calls nothing. Checked on the bytes the JIT linked (the function's symbol
// gives its size), with LLVM's own x86 disassembler: a linear sweep decodes every byte of the
// function (it holds no data: constants would live in other sections), no instruction is a
// call, and every branch is direct and lands inside the function (so no tail call either).
// The JIT also refuses to link code that names any outside symbol; this checks the result.
class Disassembler {
 public:
  Disassembler() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetDisassembler();
    const std::string triple = llvm::sys::getProcessTriple();
    std::string error;
    const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
    if (target == nullptr) {
      ADD_FAILURE() << error;
      return;
    }
    std::string features;
    for (const std::string& f : llvm_feature_list(host_features())) features += f + ",";
    registers_.reset(target->createMCRegInfo(triple));
    asm_info_.reset(target->createMCAsmInfo(*registers_, triple, llvm::MCTargetOptions()));
    subtarget_.reset(target->createMCSubtargetInfo(triple, llvm::sys::getHostCPUName(), features));
    instructions_.reset(target->createMCInstrInfo());
    context_ =
        std::make_unique<llvm::MCContext>(llvm::Triple(triple), asm_info_.get(), registers_.get(), subtarget_.get());
    disassembler_.reset(target->createMCDisassembler(*subtarget_, *context_));
    analysis_.reset(target->createMCInstrAnalysis(instructions_.get()));
  }

  // Empty when the code is call-free; else what is wrong, at which offset.
  std::string problems(std::span<const uint8_t> code) const {
    if (!disassembler_ || !analysis_) return "no disassembler";
    std::string found;
    const uint64_t size = code.size();
    for (uint64_t pc = 0; pc < size;) {
      llvm::MCInst inst;
      uint64_t length = 0;
      auto decoded =
          disassembler_->getInstruction(inst, length, llvm::ArrayRef(code.data() + pc, size - pc), pc, llvm::nulls());
      if (decoded != llvm::MCDisassembler::Success || length == 0) return cat(found, "undecodable byte at +", pc, "\n");
      const llvm::MCInstrDesc& desc = instructions_->get(inst.getOpcode());
      uint64_t target = 0;
      if (desc.isCall()) found += cat("call at +", pc, "\n");
      if (desc.isIndirectBranch()) found += cat("indirect branch at +", pc, "\n");
      if (desc.isBranch() && !desc.isIndirectBranch() &&
          (!analysis_->evaluateBranch(inst, pc, length, target) || target >= size)) {
        found += cat("branch out of the function at +", pc, "\n");
      }
      pc += length;
    }
    return found;
  }

 private:
  std::unique_ptr<llvm::MCRegisterInfo> registers_;
  std::unique_ptr<llvm::MCAsmInfo> asm_info_;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget_;
  std::unique_ptr<llvm::MCInstrInfo> instructions_;
  std::unique_ptr<llvm::MCContext> context_;
  std::unique_ptr<llvm::MCDisassembler> disassembler_;
  std::unique_ptr<llvm::MCInstrAnalysis> analysis_;
};

TEST_F(Llvm, CallCheckerSeesCallsAndJumpsOut) {
  Disassembler disassembler;
  const uint8_t ret[] = {0xC3};
  const uint8_t call[] = {0xE8, 0, 0, 0, 0, 0xC3};              // call next; ret
  const uint8_t call_rax[] = {0xFF, 0xD0, 0xC3};                // call rax; ret
  const uint8_t jump_out[] = {0xE9, 0x10, 0, 0, 0, 0xC3};       // jmp +16 (a tail call); ret
  const uint8_t loop[] = {0x48, 0xFF, 0xC9, 0x75, 0xFB, 0xC3};  // dec rcx; jnz back; ret
  EXPECT_EQ(disassembler.problems(ret), "");
  EXPECT_EQ(disassembler.problems(loop), "");
  EXPECT_NE(disassembler.problems(call), "");
  EXPECT_NE(disassembler.problems(call_rax), "");
  EXPECT_NE(disassembler.problems(jump_out), "");
}

TEST_F(Llvm, MachineCodeCallsNothing) {
  Disassembler disassembler;
  std::mt19937_64 rng(testing::test_seed());
  // Long zero and copy runs (the memset/memcpy idioms LLVM would otherwise form), loops of
  // every kind (squeezed budgets), and random signatures.
  std::vector<Spec> specs;
  for (int64_t depth : {1, 3, 64, 512, 2048}) {
    Spec s;
    s.image_shape = {1, 9, 9, depth};
    s.ksizes = {1, 3, 3, 1};
    specs.push_back(s);
  }
  for (int i = 0; i < testing::scaled(200); ++i) specs.push_back(testing::random_spec(rng));
  int checked = 0;
  for (const Spec& spec : specs) {
    Geometry g = *make_geometry(spec);
    if (g.empty()) continue;
    const PlanOptions options = session().plan_options();
    Expected<Plan> plan = make_plan(g, checked % 2 ? testing::random_options(rng, options) : options);
    ASSERT_TRUE(plan.ok());
    if (plan->generic) continue;
    Expected<std::shared_ptr<const LlvmKernel>> kernel = session().compile(*plan);
    ASSERT_TRUE(kernel.ok()) << kernel.status().message();
    ASSERT_FALSE((*kernel)->bytes().empty());
    EXPECT_EQ((*kernel)->bytes().data(), reinterpret_cast<const uint8_t*>((*kernel)->function()));
    std::string problems = disassembler.problems((*kernel)->bytes());
    EXPECT_EQ(problems, "") << (*kernel)->name() << "\n" << to_string(*plan);
    ++checked;
  }
  EXPECT_GE(checked, static_cast<int>(specs.size()) / 2);  // most specs make a kernel
}

// Fold's llvm kernels against fold's golden loops (tests/support/fold_kernels.h), each one's
// machine code calling nothing (half's conversions are instructions, not library calls).
TEST_F(Llvm, FoldMatchesGolden) {
  Disassembler disassembler;
  const uint64_t features = host_features();
  const LlvmTarget target = llvm_target_for([&](std::string_view name) { return has_feature(features, std::string(name)); });
  testing::FoldEmitter emitter;
  emitter.target = llvm_fold_target(target);
  emitter.plan_isa = std::min(host_isa(), Isa::kAvx512);
  emitter.supports = [&](const FoldPlan& plan) { return llvm_fold_supports(plan, target, kLlvmFoldOperations); };
  emitter.compile = [&](const FoldPlan& plan) -> Expected<testing::CompiledFold> {
    Expected<std::shared_ptr<const LlvmKernel>> kernel = session().compile_fold(plan, INT64_MAX);
    if (!kernel.ok()) return kernel.status();
    EXPECT_EQ(disassembler.problems((*kernel)->bytes()), "") << (*kernel)->name();
    const KernelFunction function = (*kernel)->function();
    return testing::CompiledFold{std::move(kernel).value(), function};
  };
  testing::check_fold_emitter(emitter);
}

// What the llvm fold emitter does not serve, said: half without F16C, kernels over the budget
// or over the kernel code limit (as the xbyak fold's).
TEST_F(Llvm, FoldRefusesHalfWithoutF16cAndKernelsOverItsBudget) {
  const Geometry half = *make_geometry(testing::fold_spec(DType::kHalf, {1, 6, 6, 8}, 3, 1, 1, Padding::kSame));
  const Status no_f16c = llvm_fold_supports(*make_fold_plan(half), LlvmTarget{16, false, false}, kLlvmFoldOperations);
  EXPECT_EQ(no_f16c.code(), Code::kUnimplemented);
  EXPECT_NE(no_f16c.message().find("no F16C"), std::string::npos) << no_f16c.message();
  EXPECT_TRUE(llvm_fold_supports(*make_fold_plan(half), LlvmTarget{16, false, true}, kLlvmFoldOperations).ok());
  const Geometry big = *make_geometry(testing::fold_spec(DType::kFloat32, {1, 40, 40, 64}, 7, 1, 1, Padding::kSame));
  const Status over = llvm_fold_supports(*make_fold_plan(big), LlvmTarget{32, false, true}, 1000);
  EXPECT_EQ(over.code(), Code::kResourceExhausted);
  EXPECT_NE(over.message().find("over the llvm budget of 1000"), std::string::npos) << over.message();
  const Status code = llvm_fold_supports(*make_fold_plan(half), LlvmTarget{32, false, true}, kLlvmFoldOperations, 1024);
  EXPECT_EQ(code.code(), Code::kResourceExhausted);
  EXPECT_NE(code.message().find("bytes of code, over the limit of 1024 (pj_set_kernel_code_limit)"), std::string::npos)
      << code.message();
}

// The mapping (permissions) of the page holding `address`, or "" when it is unmapped.
std::string mapping_of(const void* address) {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return "?";
  char line[512];
  std::string found;
  const auto a = reinterpret_cast<uintptr_t>(address);
  while (std::fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char perms[8];
    if (std::sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi) found = perms;
  }
  std::fclose(maps);
  return found;
}

bool any_mapping_writable_and_executable() {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  char line[512];
  bool found = false;
  while (maps != nullptr && std::fgets(line, sizeof line, maps)) {
    char perms[8];
    if (std::sscanf(line, "%*x-%*x %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x') found = true;
  }
  if (maps != nullptr) std::fclose(maps);
  return found;
}

TEST_F(Llvm, CodeIsNeverWritableAndExecutableAndLeavesWithItsLastOwner) {
  Spec spec;
  spec.image_shape = {1, 12, 12, 5};
  spec.ksizes = {1, 3, 3, 1};
  Plan plan = *make_plan(*make_geometry(spec), session().plan_options());
  Expected<std::shared_ptr<const LlvmKernel>> kernel = session().compile(plan);
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  const void* code = (*kernel)->bytes().data();
  EXPECT_EQ(mapping_of(code), "r-xp");
  EXPECT_FALSE(any_mapping_writable_and_executable());
  kernel = Status(Code::kInternal, "dropped");  // the last owner lets go
  EXPECT_EQ(mapping_of(code), "");
}

std::string describe(const pj_kernel* k) {
  std::string text(pj_kernel_describe(k, nullptr, 0), '\0');
  pj_kernel_describe(k, text.data(), text.size() + 1);
  return text;
}

TEST(LlvmApi, BackendIsAvailableAndDescribed) {
  ASSERT_EQ(pj_backend_available(PJ_BACKEND_LLVM), PJ_OK) << pj_last_error();
  Spec spec;
  spec.image_shape = {2, 10, 10, 3};
  spec.ksizes = {1, 3, 3, 1};
  pj_spec s = to_c(spec);
  pj_kernel* k = nullptr;
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_LLVM, &k), PJ_OK) << pj_last_error();
  EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_LLVM);
  EXPECT_NE(describe(k).find("kernel eip_llvm_e4_10x10x3_k3x3_s1x1_r1x1_same: "), std::string::npos) << describe(k);
  const void* code = nullptr;
  EXPECT_GT(pj_kernel_code(k, &code), 0u);
  EXPECT_NE(code, nullptr);
  pj_kernel_destroy(k);
  // auto keeps preferring xbyak where it runs; the cap 'none' turns every JIT off.
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  EXPECT_EQ(pj_kernel_backend(k), pj_backend_available(PJ_BACKEND_XBYAK) == PJ_OK ? PJ_BACKEND_XBYAK : PJ_BACKEND_LLVM);
  pj_kernel_destroy(k);
  const pj_isa cap = pj_max_isa();
  ASSERT_EQ(pj_set_max_isa(PJ_ISA_NONE), PJ_OK);
  ASSERT_EQ(pj_kernel_create(&s, PJ_BACKEND_AUTO, &k), PJ_OK);
  EXPECT_EQ(pj_kernel_backend(k), PJ_BACKEND_INTERP);
  pj_kernel_destroy(k);
  pj_set_max_isa(cap);
}

// Four threads create llvm kernels at once through the C API, for a mix of signatures that
// they share (one compile, the others wait) and that are their own; then again with the kernel
// cache off, so the same signature is compiled by several threads side by side.
TEST(LlvmApi, ConcurrentCreates) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  struct Case {
    Spec spec;
    Geometry g;
    std::vector<uint8_t> input, expected;
  };
  std::vector<Case> cases;
  while (cases.size() < 24) {
    Spec spec = testing::random_spec(rng, testing::tf_only());
    Geometry g = *make_geometry(spec);
    if (g.empty()) continue;
    Case c{spec, g, testing::random_bytes(rng, g.input_bytes()), std::vector<uint8_t>(g.output_bytes())};
    golden_extract(g, c.input.data(), c.expected.data());
    cases.push_back(std::move(c));
  }
  pj_cache_stats saved;
  pj_cache_get_stats(&saved);
  for (bool cached : {true, false}) {
    pj_cache_clear();
    if (!cached) pj_cache_set_limits(0, 0);
    std::vector<std::string> failures(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = 0; i < cases.size(); ++i) {
          // Every thread does the first 8 cases; the others are split among them.
          if (i >= 8 && i % 4 != static_cast<size_t>(t)) continue;
          const Case& c = cases[i];
          pj_spec s = to_c(c.spec);
          pj_kernel* k = nullptr;
          if (pj_kernel_create(&s, PJ_BACKEND_LLVM, &k) != PJ_OK) {
            failures[t] += cat(testing::describe(c.spec), ": ", pj_last_error(), "\n");
            continue;
          }
          std::vector<uint8_t> out(c.g.output_bytes(), 0x5A);
          if (pj_kernel_run(k, c.input.data(), out.data(), 1) != PJ_OK || out != c.expected) {
            failures[t] += cat(testing::describe(c.spec), ": wrong output\n");
          }
          pj_kernel_destroy(k);
        }
      });
    }
    for (std::thread& th : threads) th.join();
    for (const std::string& f : failures) EXPECT_EQ(f, "") << (cached ? "cached" : "uncached") << ", seed " << seed;
  }
  pj_cache_set_limits(saved.max_entries, saved.max_code_bytes);
}

}  // namespace
}  // namespace pj
