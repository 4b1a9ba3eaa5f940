// The LLJIT stack, set up for small self-contained kernels:
// - one TargetMachine for the host CPU (name and features), used both by the O2 IR pipeline
//   (for its cost model) and by the compile layer;
// - JITLink's ObjectLinkingLayer over the process's in-process memory manager, which maps a
//   kernel's pages read-write, links into them, then makes code read-execute (mprotect): code
//   is never writable and executable at once;
// - no platform (kernels have no initializers) and no process symbols: a kernel that named any
//   outside function (memcpy, memset) would fail to link instead of calling it, and a link
//   pass reports which symbol it was;
// - a ResourceTracker per kernel, so that its code is unmapped when its last owner lets go.
// LLVM reports failures as llvm::Error; each one becomes a Status here, none goes unchecked,
// and no C++ exception is thrown through an LLVM frame.
#include "jit/llvm_session.h"

#include "codegen/llvm/pipeline.h"
#include "jit/cpu.h"
#include "jit/llvm_errors.h"

#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "codegen/llvm/emitter.h"
#include "codegen/llvm/fold_emitter.h"

namespace pj {
namespace {

namespace orc = llvm::orc;
namespace jitlink = llvm::jitlink;

Status status_of(llvm::Error error, const std::string& what) {
  return Internal(what, ": ", llvm::toString(std::move(error)));
}

// Records where each linked function landed and how long it is, and refuses graphs that refer
// to symbols outside themselves (generated code must not call anything).
class LinkedCode final : public orc::ObjectLinkingLayer::Plugin {
 public:
  void modifyPassConfig(orc::MaterializationResponsibility&, jitlink::LinkGraph&,
                        jitlink::PassConfiguration& config) override {
    config.PostPrunePasses.emplace_back([](jitlink::LinkGraph& graph) {
      return no_exceptions([&]() -> llvm::Error {
        for (jitlink::Symbol* s : graph.external_symbols()) {
          return llvm_error("generated code refers to '" + s->getName().str() + "': kernels must not call anything");
        }
        return llvm::Error::success();
      });
    });
    config.PostAllocationPasses.emplace_back([this](jitlink::LinkGraph& graph) {
      return no_exceptions([&]() -> llvm::Error {
        std::lock_guard<std::mutex> lock(mutex_);
        for (jitlink::Symbol* s : graph.defined_symbols()) {
          if (s->hasName() && s->isCallable()) {
            ranges_[s->getName().str()] = {s->getAddress().getValue(), s->getSize()};
          }
        }
        return llvm::Error::success();
      });
    });
    config.PostFixupPasses.emplace_back([this](jitlink::LinkGraph&) -> llvm::Error {
      if (fail_next_.exchange(false)) return llvm_error("a link failure injected by a test");
      return llvm::Error::success();
    });
  }
  llvm::Error notifyFailed(orc::MaterializationResponsibility&) override { return llvm::Error::success(); }
  llvm::Error notifyRemovingResources(orc::JITDylib&, orc::ResourceKey) override { return llvm::Error::success(); }
  void notifyTransferringResources(orc::JITDylib&, orc::ResourceKey, orc::ResourceKey) override {}

  // The code of a linked symbol (linker-mangled name), forgotten once taken; a kernel whose
  // lookup failed is forgotten by its caller (forget).
  std::span<const uint8_t> take(const std::string& symbol) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = ranges_.find(symbol);
    if (it == ranges_.end()) return {};
    std::span<const uint8_t> code(reinterpret_cast<const uint8_t*>(it->second.first), it->second.second);
    ranges_.erase(it);
    return code;
  }
  void forget(const std::string& symbol) {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_.erase(symbol);
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ranges_.size();
  }
  void fail_next() { fail_next_.store(true); }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> ranges_;  // address, size
  std::atomic<bool> fail_next_{false};
};

}  // namespace

struct LlvmSession::Impl {
  // One compile at a time: the TargetMachine and the compile layer are not thread-safe.
  std::mutex mutex;
  LlvmTarget target;
  std::string cpu;
  uint64_t serial = 0;  // makes JIT symbol names unique: one signature may be compiled twice
  std::shared_ptr<LinkedCode> linked = std::make_shared<LinkedCode>();
  std::unique_ptr<llvm::TargetMachine> machine;  // declared before the JIT, which uses it
  std::unique_ptr<orc::LLJIT> jit;

  void optimize(llvm::Module& module) {
    module.setDataLayout(jit->getDataLayout());
    module.setTargetTriple(jit->getTargetTriple().str());
    optimize_kernel_module(module, *machine);
  }
};

struct LlvmKernel::Code {
  Code(std::shared_ptr<LlvmSession::Impl> s, orc::ResourceTrackerSP t) : session(std::move(s)), tracker(std::move(t)) {}
  Code(const Code&) = delete;
  Code& operator=(const Code&) = delete;

  std::shared_ptr<LlvmSession::Impl> session;
  orc::ResourceTrackerSP tracker;

  ~Code() {
    std::lock_guard<std::mutex> lock(session->mutex);
    // Removal only fails if the tracker is already gone; there is no one to tell.
    llvm::consumeError(tracker->remove());
  }
};

LlvmKernel::LlvmKernel(std::unique_ptr<Code> code, KernelFunction function, std::span<const uint8_t> bytes,
                       std::string name)
    : code_(std::move(code)), function_(function), bytes_(bytes), name_(std::move(name)) {}

LlvmKernel::~LlvmKernel() = default;

LlvmSession::LlvmSession(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
LlvmSession::~LlvmSession() = default;

Expected<std::unique_ptr<LlvmSession>> LlvmSession::create() {
  auto impl = std::make_shared<Impl>();
  // The host's features as jit/cpu.h reads them, for every decision and for LLVM.
  const uint64_t features = host_features();
  impl->target = llvm_target_for([&](std::string_view name) { return has_feature(features, std::string(name)); });
  impl->cpu = llvm::sys::getHostCPUName().str();
  std::string list;
  for (const std::string& f : llvm_feature_list(features)) list += cat(list.empty() ? "" : ",", f);
  Expected<std::unique_ptr<llvm::TargetMachine>> machine = make_target_machine(impl->cpu, list);
  if (!machine.ok()) return machine.status();
  impl->machine = std::move(machine).value();
  // LLJIT compiles with the machine above; its builder only needs the triple.
  orc::JITTargetMachineBuilder machine_builder{impl->machine->getTargetTriple()};

  llvm::TargetMachine* target_machine = impl->machine.get();
  std::shared_ptr<LinkedCode> linked = impl->linked;
  llvm::Expected<std::unique_ptr<orc::LLJIT>> jit =
      orc::LLJITBuilder()
          .setJITTargetMachineBuilder(machine_builder)
          .setDataLayout(target_machine->createDataLayout())
          .setLinkProcessSymbolsByDefault(false)
          .setPlatformSetUp(orc::setUpInactivePlatform)
          .setObjectLinkingLayerCreator(
              [linked](orc::ExecutionSession& session,
                       const llvm::Triple&) -> llvm::Expected<std::unique_ptr<orc::ObjectLayer>> {
                auto layer = std::make_unique<orc::ObjectLinkingLayer>(session);
                layer->addPlugin(linked);
                return layer;
              })
          .setCompileFunctionCreator([target_machine](orc::JITTargetMachineBuilder)
                                         -> llvm::Expected<std::unique_ptr<orc::IRCompileLayer::IRCompiler>> {
            return std::make_unique<orc::SimpleCompiler>(*target_machine);
          })
          .create();
  if (!jit) return Unimplemented("cannot start LLVM's JIT: ", llvm::toString(jit.takeError()));
  impl->jit = std::move(*jit);
  return std::unique_ptr<LlvmSession>(new LlvmSession(std::move(impl)));
}

PlanOptions LlvmSession::plan_options() const { return plan_options_for(impl_->target); }

std::string LlvmSession::describe() const {
  return cat(impl_->jit->getTargetTriple().str(), " ", impl_->cpu, ", ", impl_->target.vector_bytes, "-byte vectors");
}

Expected<std::shared_ptr<const LlvmKernel>> LlvmSession::compile(const Plan& plan) {
  auto context = std::make_unique<llvm::LLVMContext>();
  Expected<std::unique_ptr<llvm::Module>> module = emit_llvm_ir(plan, impl_->target, *context);
  if (!module.ok()) return module.status();
  return link(std::move(context), std::move(module).value(), llvm_kernel_name(plan));
}

Expected<std::shared_ptr<const LlvmKernel>> LlvmSession::compile_fold(const FoldPlan& plan, int64_t max_code_bytes) {
  PJ_RETURN_IF_ERROR(llvm_fold_supports(plan, impl_->target, kLlvmFoldOperations, max_code_bytes));
  auto context = std::make_unique<llvm::LLVMContext>();
  Expected<std::unique_ptr<llvm::Module>> module = emit_llvm_fold_ir(plan, impl_->target, *context);
  if (!module.ok()) return module.status();
  return link(std::move(context), std::move(module).value(), llvm_fold_kernel_name(plan));
}

Expected<std::shared_ptr<const LlvmKernel>> LlvmSession::link(std::unique_ptr<llvm::LLVMContext> context,
                                                              std::unique_ptr<llvm::Module> module,
                                                              const std::string& name) {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mutex);
  const std::string symbol = cat(name, ".", ++s.serial);
  module->getFunction(name)->setName(symbol);
  s.optimize(*module);
  orc::ResourceTrackerSP tracker = s.jit->getMainJITDylib().createResourceTracker();
  if (llvm::Error error = s.jit->addIRModule(tracker, orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    return status_of(std::move(error), cat("LLVM could not add kernel ", name));
  }
  llvm::Expected<orc::ExecutorAddr> address = s.jit->lookup(symbol);
  if (!address) {
    Status failed = status_of(address.takeError(), cat("LLVM could not compile kernel ", name));
    llvm::consumeError(tracker->remove());
    s.linked->forget(s.jit->mangle(symbol));
    return failed;
  }
  std::span<const uint8_t> bytes = s.linked->take(s.jit->mangle(symbol));
  auto code = std::make_unique<LlvmKernel::Code>(impl_, std::move(tracker));
  return std::shared_ptr<const LlvmKernel>(
      std::make_shared<LlvmKernel>(std::move(code), address->toPtr<KernelFunction>(), bytes, name));
}

Expected<std::string> LlvmSession::optimized_ir(const Plan& plan) {
  llvm::LLVMContext context;
  Expected<std::unique_ptr<llvm::Module>> module = emit_llvm_ir(plan, impl_->target, context);
  if (!module.ok()) return module.status();
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->optimize(**module);
  }
  std::string text;
  llvm::raw_string_ostream out(text);
  (*module)->print(out, nullptr);
  return out.str();
}

size_t LlvmSession::pending_code_ranges_for_testing() const { return impl_->linked->size(); }

void LlvmSession::fail_next_link_for_testing() { impl_->linked->fail_next(); }

Expected<LlvmSession*> llvm_session() {
  static const Expected<LlvmSession*> session = []() -> Expected<LlvmSession*> {
    Expected<std::unique_ptr<LlvmSession>> created = LlvmSession::create();
    if (!created.ok()) return created.status();
    return created->release();  // never destroyed (see the header)
  }();
  return session;
}

}  // namespace pj
