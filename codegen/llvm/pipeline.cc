#include "codegen/llvm/pipeline.h"

#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <utility>

namespace pj {

LlvmTarget llvm_target_for(const std::function<bool(std::string_view)>& has_feature) {
  const bool f16c = has_feature("f16c");
  if (has_feature("avx512f") && has_feature("avx512bw")) return {64, has_feature("avx512vbmi"), f16c};
  if (has_feature("avx")) return {32, false, f16c};
  return {16, false, f16c};
}

Expected<std::unique_ptr<llvm::TargetMachine>> make_target_machine(const std::string& cpu,
                                                                   const std::string& features) {
  static const bool native_ready = !llvm::InitializeNativeTarget() && !llvm::InitializeNativeTargetAsmPrinter();
  const std::string triple = llvm::sys::getProcessTriple();
  if (!native_ready) return Unimplemented("LLVM has no code generator for this machine (", triple, ")");
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (target == nullptr) return Unimplemented("LLVM cannot target ", triple, ": ", error);
  // Position-independent, small code model: constants (the byte permutes of pixel groups) are
  // read rip-relative from the kernel's own allocation, and the JIT's code is the AOT code.
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(triple, cpu, features, llvm::TargetOptions(),
                                                                           llvm::Reloc::PIC_, llvm::CodeModel::Small,
                                                                           llvm::CodeGenOptLevel::Default));
  if (!machine) return Unimplemented("LLVM cannot compile for CPU ", cpu, " on ", triple);
  return machine;
}

bool enables(const std::vector<std::string>& features, std::string_view name) {
  return std::any_of(features.begin(), features.end(), [&](const std::string& f) {
    return f.size() == name.size() + 1 && f[0] == '+' && f.compare(1, name.size(), name) == 0;
  });
}

void optimize_kernel_module(llvm::Module& module, llvm::TargetMachine& machine) {
  // The analysis managers are declared in this order so that they are destroyed in reverse.
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(module, modules);
}

}  // namespace pj
