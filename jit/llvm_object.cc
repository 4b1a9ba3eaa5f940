// Ahead-of-time kernels as one object file. Each kernel is emitted (codegen/llvm/emitter.h) and
// optimized in a module of its own, exactly as the JIT session does it, then linked into the
// object's module beside the table; one code generation pass makes the object:
// - a TargetMachine for the CPU asked (its own feature set, or the host's for "native"), with
//   position-independent code: the object links into executables (PIE) and shared libraries;
// - the kernels call nothing (see the emitter), and the table refers only to the kernels and
//   to private strings: the object has no undefined symbols;
// - CPUs that cannot run 64-bit code on an x86-64 target are refused here, where LLVM would
//   abort the process.
// LLVM reports failures as llvm::Error or through the context's diagnostic handler; both become
// a Status, and no C++ exception crosses an LLVM frame.
#include "jit/llvm_object.h"

#include "codegen/llvm/pipeline.h"
#include "jit/cpu.h"
#include "jit/llvm_errors.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/DiagnosticHandler.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Pass.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CodeGen.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "codegen/llvm/emitter.h"
#include "codegen/llvm/fold_emitter.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/plan/kernel_abi.h"
#include "jit/aot_signature.h"
#include "patchjit/patchjit_aot.h"

namespace pj {
namespace {

std::vector<std::string> enabled_features(const llvm::MCSubtargetInfo& subtarget) {
  std::vector<std::string> names;
  for (const llvm::SubtargetFeatureKV& f : subtarget.getEnabledProcessorFeatures()) names.emplace_back(f.Key);
  return names;
}

bool has(const std::vector<std::string>& features, const char* name) {
  return std::find(features.begin(), features.end(), name) != features.end();
}

// As the JIT session chooses its vectors for the host, for any CPU.
LlvmTarget vectors_for(const std::vector<std::string>& features) {
  return llvm_target_for([&](std::string_view name) { return has(features, std::string(name).c_str()); });
}

uint64_t feature_bits(const llvm::Triple& triple, const std::vector<std::string>& features) {
  if (triple.getArch() != llvm::Triple::x86_64) return 0;  // the bits name x86-64 features
  uint64_t bits = 0;
  for (int bit = 0; bit < PJ_AOT_FEATURE_COUNT; ++bit) {
    if (has(features, pj_aot_feature_name(bit))) bits |= uint64_t{1} << bit;
  }
  return bits;
}

// Whether code for `features` can run on `triple` at all: LLVM aborts on 32-bit-only x86 CPUs
// asked for 64-bit code.
bool runs_on(const llvm::Triple& triple, const std::vector<std::string>& features) {
  return triple.getArch() != llvm::Triple::x86_64 || has(features, "64bit");
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "unknown CPU 'x' for T: expected native or one of LLVM's N CPU names for it, e.g. a, b, c".
Status unknown_cpu(const std::string& cpu, const llvm::Triple& triple, const llvm::Target& target,
                   const llvm::MCSubtargetInfo& any) {
  std::vector<std::pair<size_t, std::string>> valid;
  for (const llvm::SubtargetSubTypeKV& p : any.getAllProcessorDescriptions()) {
    std::unique_ptr<llvm::MCSubtargetInfo> s(target.createMCSubtargetInfo(triple.str(), p.Key, ""));
    if (s && runs_on(triple, enabled_features(*s))) valid.emplace_back(edit_distance(cpu, p.Key), p.Key);
  }
  std::sort(valid.begin(), valid.end());
  std::string closest;
  for (size_t i = 0; i < valid.size() && i < 6; ++i) closest += cat(i ? ", " : "", valid[i].second);
  return InvalidArgument("unknown CPU '", cpu, "' for ", triple.str(), ": expected native or one of LLVM's ",
                         valid.size(), " CPU names for this target, such as ", closest);
}

// Keeps LLVM's error diagnostics (which would otherwise end the process) for a Status.
class DiagnosticsToStatus final : public llvm::DiagnosticHandler {
 public:
  explicit DiagnosticsToStatus(std::string* errors) : errors_(errors) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo& info) override {
    if (info.getSeverity() != llvm::DS_Error) return true;
    llvm::consumeError(no_exceptions([&] {
      llvm::raw_string_ostream out(*errors_);
      if (!errors_->empty()) out << "; ";
      llvm::DiagnosticPrinterRawOStream printer(out);
      info.print(printer);
      return llvm::Error::success();
    }));
    return true;
  }

 private:
  std::string* errors_;
};

// A pass placed after code generation's last pass: it runs once per function as that function's
// machine code is done, which is where the time goes.
class CodegenProgress final : public llvm::FunctionPass {
 public:
  static char ID;
  explicit CodegenProgress(std::function<void(const llvm::Function&)> done)
      : llvm::FunctionPass(ID), done_(std::move(done)) {}
  bool runOnFunction(llvm::Function& function) override {
    llvm::consumeError(no_exceptions([&] {
      done_(function);
      return llvm::Error::success();
    }));
    return false;
  }
  void getAnalysisUsage(llvm::AnalysisUsage& usage) const override { usage.setPreservesAll(); }
  llvm::StringRef getPassName() const override { return "patchjit ahead-of-time progress"; }

 private:
  std::function<void(const llvm::Function&)> done_;
};
char CodegenProgress::ID = 0;

class LlvmAotCompiler final : public AotCompiler {
 public:
  LlvmAotCompiler(AotTarget target, std::unique_ptr<llvm::TargetMachine> machine)
      : target_(std::move(target)), machine_(std::move(machine)) {}

  const AotTarget& target() const override { return target_; }

  Expected<std::vector<uint8_t>> compile(const std::vector<AotKernelSource>& kernels, const std::string& prefix,
                                         const AotProgress& progress) override;

 private:
  void prepare(llvm::Module& module) const {
    module.setDataLayout(machine_->createDataLayout());
    module.setTargetTriple(target_.triple);
  }

  // The JIT session's pipeline, so that the code is the JIT's.
  void optimize(llvm::Module& module) const { optimize_kernel_module(module, *machine_); }

  // One kernel into `object` as function `symbol`: planned, emitted and optimized as the JIT
  // session does it.
  Status add_kernel(llvm::Module& object, const AotKernelSource& k, const std::string& prefix,
                    const std::string& symbol, const std::string& diagnostics) const;
  Status add_table(llvm::Module& module, const std::vector<Geometry>& geometries,
                   const std::vector<std::string>& symbols, const std::string& prefix) const;

  AotTarget target_;
  std::unique_ptr<llvm::TargetMachine> machine_;
};

llvm::Constant* string_constant(llvm::Module& module, const std::string& text) {
  llvm::Constant* bytes = llvm::ConstantDataArray::getString(module.getContext(), text, true);
  auto* global =
      new llvm::GlobalVariable(module, bytes->getType(), true, llvm::GlobalValue::PrivateLinkage, bytes, ".str");
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  global->setAlignment(llvm::Align(1));
  return global;
}

Status LlvmAotCompiler::add_table(llvm::Module& module, const std::vector<Geometry>& geometries,
                                  const std::vector<std::string>& symbols, const std::string& prefix) const {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  llvm::Type* ptr = llvm::PointerType::get(context, 0);
  // pj_aot_kernel, flat: abi_version, the signature (11 attributes, 4 pads, the 16-byte pad
  // value, layout, patch order, patches, 3 input and 2 output strides, op, dtype, mode),
  // out_rows/cols/depth, function, name, cpu, required_features.
  llvm::ArrayType* bytes16 = llvm::ArrayType::get(llvm::Type::getInt8Ty(context), 16);
  std::vector<llvm::Type*> fields(16, i64);
  fields.push_back(bytes16);
  fields.insert(fields.end(), 14, i64);
  fields.insert(fields.end(), {ptr, ptr, ptr, i64});
  llvm::StructType* entry_type = llvm::StructType::create(context, fields, "pj_aot_kernel");
  if (module.getDataLayout().getTypeAllocSize(entry_type) != sizeof(pj_aot_kernel)) {
    return Internal("the table's entries would not be laid out as pj_aot_kernel on ", target_.triple);
  }
  llvm::Constant* cpu = string_constant(module, target_.cpu);
  auto int64 = [&](int64_t v) { return llvm::ConstantInt::get(i64, static_cast<uint64_t>(v), true); };
  std::vector<llvm::Constant*> entries;
  for (size_t i = 0; i < geometries.size(); ++i) {
    const Geometry& g = geometries[i];
    llvm::Function* function = module.getFunction(symbols[i]);
    if (function == nullptr) return Internal("kernel ", symbols[i], " is missing from the object");
    // The signature the runtime looks kernels up by (jit/aot_signature.h), field by field.
    const pj_aot_signature s = aot_signature_of(g);
    std::vector<llvm::Constant*> values = {
        int64(PJ_AOT_ABI_VERSION),
        int64(s.element_size),
        int64(s.rows),
        int64(s.cols),
        int64(s.depth),
        int64(s.ksize_rows),
        int64(s.ksize_cols),
        int64(s.stride_rows),
        int64(s.stride_cols),
        int64(s.rate_rows),
        int64(s.rate_cols),
        int64(s.padding),
        int64(s.pads[0]),
        int64(s.pads[1]),
        int64(s.pads[2]),
        int64(s.pads[3]),
        llvm::ConstantDataArray::get(context, llvm::ArrayRef<uint8_t>(s.pad_value, sizeof s.pad_value)),
        int64(s.layout),
        int64(s.patch_order),
        int64(s.patches),
        int64(s.input_strides[0]),
        int64(s.input_strides[1]),
        int64(s.input_strides[2]),
        int64(s.output_strides[0]),
        int64(s.output_strides[1]),
        int64(s.op),
        int64(s.dtype),
        int64(s.mode),
        int64(g.extract() ? g.rows.out : g.rows.in),  // what it writes: patches, or fold's image
        int64(g.extract() ? g.cols.out : g.cols.in),
        int64(g.extract() ? g.patch_depth : g.depth),
        function,
        string_constant(module, symbols[i]),
        cpu,
        int64(static_cast<int64_t>(target_.required_features))};
    entries.push_back(llvm::ConstantStruct::get(entry_type, values));
  }
  llvm::ArrayType* table_type = llvm::ArrayType::get(entry_type, entries.size());
  auto* table = new llvm::GlobalVariable(module, table_type, true, llvm::GlobalValue::ExternalLinkage,
                                         llvm::ConstantArray::get(table_type, entries), prefix + "_kernels");
  table->setAlignment(llvm::Align(8));
  return Status::Ok();
}

Status LlvmAotCompiler::add_kernel(llvm::Module& object, const AotKernelSource& k, const std::string& prefix,
                                   const std::string& symbol, const std::string& diagnostics) const {
  auto module = std::make_unique<llvm::Module>(symbol, object.getContext());
  prepare(*module);
  Status emitted;
  if (k.geometry.extract()) {
    // Planned as the llvm JIT plans it (the same code), within the same budget: a kernel the JIT
    // would interpret is refused here rather than left to LLVM for seconds or minutes.
    Expected<Plan> plan = make_plan_within(k.geometry, target_.plan_options, kLlvmBudget, cat(prefix, "_"));
    if (!plan.ok()) {
      const std::string also =
          plan.status().code() == Code::kResourceExhausted
              ? ": the llvm JIT runs it with the interpreter, and there is no ahead-of-time kernel for it"
              : "";
      return Status(plan.status().code(), cat(k.where, ": ", plan.status().message(), also));
    }
    if (plan->generic) {
      return Unimplemented(k.where, ": the signature is too irregular to specialize (more than ",
                           target_.plan_options.max_regions,
                           " regions): the JIT runs it with generic loops, "
                           "and there is no ahead-of-time kernel for it");
    }
    emitted = emit_llvm_kernel(*plan, target_.vectors, symbol, *module);
  } else {
    // As the JIT plans it, with no prefetches (the caches of the CPU it will run on are unknown),
    // for that CPU's vectors (sums in lanes need 64-byte permutes).
    const bool permutes = target_.vectors.vector_bytes == 64 && target_.vectors.byte_permutes;
    Expected<FoldPlan> plan = make_fold_plan(k.geometry, permutes ? Isa::kAvx512 : Isa::kNone);
    if (!plan.ok()) return Status(plan.status().code(), cat(k.where, ": ", plan.status().message()));
    emitted = llvm_fold_supports(*plan, target_.vectors, kLlvmFoldOperations);
    if (!emitted.ok()) {
      return Status(emitted.code(), cat(k.where, ": ", emitted.message(), " (there is no ahead-of-time kernel for it)"));
    }
    emitted = emit_llvm_fold_kernel(*plan, target_.vectors, symbol, *module);
  }
  if (!emitted.ok()) return Status(emitted.code(), cat(k.where, ": ", emitted.message()));
  optimize(*module);
  if (llvm::Linker::linkModules(object, std::move(module))) {
    return Internal(k.where, ": LLVM could not link ", symbol, " into the object: ", diagnostics);
  }
  return Status::Ok();
}

Expected<std::vector<uint8_t>> LlvmAotCompiler::compile(const std::vector<AotKernelSource>& kernels,
                                                        const std::string& prefix, const AotProgress& progress) {
  if (kernels.empty()) return InvalidArgument("no kernels to compile");
  llvm::LLVMContext context;
  std::string diagnostics;
  context.setDiagnosticHandler(std::make_unique<DiagnosticsToStatus>(&diagnostics));
  auto object = std::make_unique<llvm::Module>(prefix, context);
  prepare(*object);
  object->setPICLevel(llvm::PICLevel::BigPIC);

  std::vector<Geometry> geometries;
  std::vector<std::string> symbols;
  std::set<std::string> seen;
  for (const AotKernelSource& k : kernels) {
    if (k.geometry.empty()) return InvalidArgument(k.where, ": the output is empty: there is no kernel to make");
    const std::string symbol = cat(prefix, "_", signature_name(k.geometry));
    if (progress) progress(false, symbols.size(), kernels.size(), symbol);
    if (!seen.insert(symbol).second) return InvalidArgument(k.where, ": ", symbol, " is already in this object");
    PJ_RETURN_IF_ERROR(add_kernel(*object, k, prefix, symbol, diagnostics));
    geometries.push_back(k.geometry);
    symbols.push_back(symbol);
  }
  PJ_RETURN_IF_ERROR(add_table(*object, geometries, symbols, prefix));
  std::string problems;
  llvm::raw_string_ostream problem_stream(problems);
  if (llvm::verifyModule(*object, &problem_stream)) return Internal("invalid IR in the object: ", problem_stream.str());

  llvm::SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream out(bytes);
  llvm::legacy::PassManager passes;
  if (machine_->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    return Unimplemented("LLVM cannot write object files for ", target_.triple);
  }
  size_t done = 0;
  if (progress) {
    progress(true, 0, symbols.size(), symbols[0]);
    passes.add(new CodegenProgress([&](const llvm::Function&) {
      if (++done < symbols.size()) progress(true, done, symbols.size(), symbols[done]);
    }));
  }
  passes.run(*object);
  if (!diagnostics.empty()) return Internal("LLVM could not compile the kernels: ", diagnostics);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace

Expected<std::unique_ptr<AotCompiler>> make_aot_compiler(const std::string& cpu) {
  // Target lookups first: they also make the native target ready, for the CPU list below.
  Expected<std::unique_ptr<llvm::TargetMachine>> probe = make_target_machine("", "");
  if (!probe.ok()) return probe.status();
  const llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target& target = (*probe)->getTarget();
  std::string cpu_name = cpu, features;
  if (cpu == "native") {
    cpu_name = llvm::sys::getHostCPUName().str();
    for (const std::string& f : llvm_feature_list(host_features())) features += cat(features.empty() ? "" : ",", f);
  } else {
    std::unique_ptr<llvm::MCSubtargetInfo> any(target.createMCSubtargetInfo(triple.str(), "", ""));
    if (!any) return Unimplemented("LLVM has no subtarget information for ", triple.str());
    if (cpu.empty() || !any->isCPUStringValid(cpu)) return unknown_cpu(cpu, triple, target, *any);
  }
  Expected<std::unique_ptr<llvm::TargetMachine>> made = make_target_machine(cpu_name, features);
  if (!made.ok()) return made.status();
  std::unique_ptr<llvm::TargetMachine> machine = std::move(made).value();

  const std::vector<std::string> enabled = enabled_features(*machine->getMCSubtargetInfo());
  if (!runs_on(triple, enabled)) {
    return InvalidArgument("CPU '", cpu, "' cannot run 64-bit code: the kernels are for ", triple.str());
  }
  AotTarget t;
  t.cpu = cpu_name;
  t.triple = triple.str();
  t.vectors = vectors_for(enabled);
  t.vector_bytes = t.vectors.vector_bytes;
  t.required_features = feature_bits(triple, enabled);
  t.plan_options = plan_options_for(t.vectors);
  return std::unique_ptr<AotCompiler>(std::make_unique<LlvmAotCompiler>(std::move(t), std::move(machine)));
}

namespace {

Expected<std::unique_ptr<AotCompiler>> make_guarded(const std::string& cpu) {
  try {
    return make_aot_compiler(cpu);
  } catch (const std::exception& e) {
    return Internal("cannot start the ahead-of-time compiler: ", e.what());
  }
}

constexpr AotCompilerPlugin kPlugin{kPluginBuildId, &make_guarded};

}  // namespace
}  // namespace pj

extern "C" __attribute__((visibility("default"))) const void* pj_aot_compiler_plugin() { return &pj::kPlugin; }
