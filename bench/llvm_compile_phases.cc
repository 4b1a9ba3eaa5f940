// Where a cold llvm compile goes, per suite shape: emitting the IR, LLVM's O2 IR pipeline, and
// code generation (instruction selection to an object in memory, as the JIT's compile layer
// does it), each the fastest of five, for the host CPU. For whoever works on the compile-time
// target: pj_suite_bench's compile_llvm adds JIT linking and the cache's bookkeeping on top.
//   build/bin/pj_llvm_compile_phases
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/peers/suite.h"
#include "codegen/llvm/emitter.h"
#include "codegen/llvm/pipeline.h"
#include "jit/cpu.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  // The JIT's own target machine and vectors, from the one detector of host features.
  const uint64_t features = pj::host_features();
  std::string list;
  for (const std::string& f : pj::llvm_feature_list(features)) list += f + ",";
  pj::Expected<std::unique_ptr<llvm::TargetMachine>> made =
      pj::make_target_machine(llvm::sys::getHostCPUName().str(), list);
  if (!made.ok()) {
    std::fprintf(stderr, "pj_llvm_compile_phases: %s\n", made.status().message().c_str());
    return 1;
  }
  std::unique_ptr<llvm::TargetMachine> machine = std::move(made).value();
  const std::string triple = llvm::sys::getProcessTriple();
  const pj::LlvmTarget vectors =
      pj::llvm_target_for([&](std::string_view name) { return pj::has_feature(features, std::string(name)); });

  std::printf("%-32s %8s %8s %8s %8s %10s\n", "shape", "emit ms", "O2 ms", "codegen", "total", "code bytes");
  std::vector<double> emits, o2s, codegens, totals;
  for (const pj::SuiteShape& shape : pj::benchmark_suite()) {
    pj::Expected<pj::Plan> plan =
        pj::make_plan_within(*pj::make_geometry(shape.spec), pj::plan_options_for(vectors), pj::kLlvmBudget, "");
    if (!plan.ok() || plan->generic) continue;
    double emit = 1e9, o2 = 1e9, codegen = 1e9;
    size_t bytes = 0;
    for (int rep = 0; rep < 5; ++rep) {
      llvm::LLVMContext context;
      Clock::time_point start = Clock::now();
      pj::Expected<std::unique_ptr<llvm::Module>> module = pj::emit_llvm_ir(*plan, vectors, context);
      if (!module.ok()) return std::fprintf(stderr, "%s\n", module.status().message().c_str()), 1;
      emit = std::min(emit, ms_since(start));
      (*module)->setDataLayout(machine->createDataLayout());
      (*module)->setTargetTriple(triple);
      start = Clock::now();
      pj::optimize_kernel_module(**module, *machine);
      o2 = std::min(o2, ms_since(start));
      start = Clock::now();
      llvm::SmallVector<char, 0> object;
      llvm::raw_svector_ostream out(object);
      llvm::legacy::PassManager passes;
      machine->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::ObjectFile);
      passes.run(**module);
      codegen = std::min(codegen, ms_since(start));
      bytes = object.size();
    }
    std::printf("%-32s %8.2f %8.2f %8.2f %8.2f %10zu\n", shape.name.c_str(), emit, o2, codegen, emit + o2 + codegen,
                bytes);
    emits.push_back(emit), o2s.push_back(o2), codegens.push_back(codegen), totals.push_back(emit + o2 + codegen);
  }
  std::printf("%-32s %8.2f %8.2f %8.2f %8.2f\n", "median", median(emits), median(o2s), median(codegens),
              median(totals));
  return 0;
}
