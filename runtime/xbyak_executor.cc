// Backend xbyak: plan -> Xbyak machine code -> read-execute pages -> a callable kernel.
#include <utility>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "runtime/dispatch.h"
#include "runtime/executor.h"

#if PATCHJIT_HAVE_XBYAK
#include "codegen/xbyak/emitter.h"
#include "jit/executable_memory.h"
#include "jit/jit_events.h"
#endif

namespace pj {

#if PATCHJIT_HAVE_XBYAK
namespace {

class XbyakExecutor final : public Executor {
 public:
  XbyakExecutor(Plan plan, std::shared_ptr<const ExecutableMemory> memory, std::string name)
      : plan_(std::move(plan)), memory_(std::move(memory)), name_(std::move(name)),
        function_(reinterpret_cast<KernelFunction>(const_cast<void*>(memory_->code()))) {}

  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    const KernelArgs args{input, output, row_begin, row_end};
    function_(&args);
  }
  std::string describe() const override {
    return cat("kernel ", name_, ": ", memory_->code_size(), " bytes of machine code\n", to_string(plan_));
  }
  std::span<const uint8_t> code() const override {
    return {static_cast<const uint8_t*>(memory_->code()), memory_->code_size()};
  }

 private:
  Plan plan_;
  std::shared_ptr<const ExecutableMemory> memory_;
  std::string name_;
  KernelFunction function_;
};

}  // namespace

Expected<std::shared_ptr<const Executor>> make_xbyak_executor(const Geometry& geometry, bool nontemporal) {
  const Isa isa = jit_isa();
  PlanOptions options = plan_options_for(isa);
  options.nontemporal = nontemporal;
  Expected<Plan> plan = make_plan(geometry, options);
  if (!plan.ok()) return plan.status();
  // Signatures too irregular to specialize run the generic loops; the plan says so.
  if (plan->generic) return make_interp_executor(geometry);
  Expected<MachineCode> code = emit_x86(*plan, isa);
  if (!code.ok()) return code.status();
  Expected<std::shared_ptr<const ExecutableMemory>> memory = ExecutableMemory::create(code->bytes);
  if (!memory.ok()) {
    if (memory.status().code() == Code::kUnimplemented) record_jit_refusal(memory.status());
    return memory.status();
  }
  announce_code((*memory)->code(), (*memory)->code_size(), code->name);
  return std::shared_ptr<const Executor>(
      std::make_shared<XbyakExecutor>(std::move(plan).value(), std::move(memory).value(), std::move(code->name)));
}

#else

Expected<std::shared_ptr<const Executor>> make_xbyak_executor(const Geometry&, bool) {
  return backend_status(Backend::kXbyak);
}

#endif

}  // namespace pj
