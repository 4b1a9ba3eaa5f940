#include "codegen/llvm/pipeline.h"

#include <llvm/IR/Module.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Target/TargetMachine.h>

namespace pj {

LlvmTarget llvm_target_for(const std::function<bool(std::string_view)>& has_feature) {
  if (has_feature("avx512f") && has_feature("avx512bw")) return {64, has_feature("avx512vbmi")};
  if (has_feature("avx")) return {32};
  return {16};
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
