#include "codegen/llvm/pipeline.h"

#include <llvm/IR/Module.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <utility>

namespace pj {

LlvmTarget llvm_target_for(const std::function<bool(std::string_view)>& has_feature) {
  if (has_feature("avx512f") && has_feature("avx512bw")) return {64, has_feature("avx512vbmi")};
  if (has_feature("avx")) return {32};
  return {16};
}

std::vector<std::string> host_cpu_features() {
  std::vector<std::string> features;
  for (const auto& f : llvm::sys::getHostCPUFeatures()) {
    std::string feature(1, f.second ? '+' : '-');
    feature += f.first().str();
    features.push_back(std::move(feature));
  }
  return features;
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
