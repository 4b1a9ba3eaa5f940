// Backend xbyak: plan -> Xbyak machine code -> read-execute pages -> a callable kernel.
#include <utility>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "runtime/dispatch.h"
#include "runtime/executor.h"
#include "runtime/limits.h"

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
    call_kernel(function_, KernelArgs{input, output, row_begin, row_end});
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

// The plan the emitter can fit within `limit` bytes: fully unrolled where the budget allows,
// else every block, gather and long run as a run-time loop (the smallest code the planner
// makes). The planner's estimate rules plans out before anything is emitted; the emitter's own
// limit is the backstop.
Expected<MachineCode> emit_within_limit(const Geometry& geometry, Isa isa, PlanOptions options, Plan* plan) {
  const size_t limit = kernel_code_limit();
  for (int attempt = 0;; ++attempt) {
    Expected<Plan> planned = make_plan(geometry, options);
    if (!planned.ok()) return planned.status();
    *plan = std::move(planned).value();
    if (plan->generic) return Unimplemented("more than ", options.max_regions, " regions to specialize");
    const int64_t estimate = estimate_code(*plan).bytes;
    Expected<MachineCode> code = ResourceExhausted("kernel eip_", isa_name(isa), "_", plan->name(), " would take about ",
                                                   estimate, " bytes of code, over the limit of ", limit,
                                                   " (pj_set_kernel_code_limit)");
    if (static_cast<uint64_t>(estimate) <= limit) {
      EmitOptions emit;
      emit.max_code_bytes = limit;
      code = emit_x86(*plan, isa, emit);
    }
    if (code.ok() || code.status().code() != Code::kResourceExhausted || attempt == 1) return code;
    options = smallest_code(options);
  }
}

}  // namespace

Expected<std::shared_ptr<const Executor>> make_xbyak_executor(const Geometry& geometry, bool nontemporal) {
  const Isa isa = jit_isa();
  PlanOptions options = plan_options_for(isa);
  options.nontemporal = nontemporal;
  Plan plan;
  Expected<MachineCode> code = emit_within_limit(geometry, isa, options, &plan);
  if (!code.ok() && (code.status().code() == Code::kResourceExhausted || code.status().code() == Code::kUnimplemented)) {
    // Too irregular to specialize (the plan is generic) or too large even with loops.
    return make_interp_fallback(geometry, code.status().message());
  }
  if (!code.ok()) return code.status();
  Expected<std::shared_ptr<const ExecutableMemory>> memory = ExecutableMemory::create(code->bytes);
  if (!memory.ok()) {
    if (memory.status().code() == Code::kUnimplemented) record_jit_refusal(memory.status());
    return memory.status();
  }
  announce_code((*memory)->code(), (*memory)->code_size(), code->name);
  return std::shared_ptr<const Executor>(
      std::make_shared<XbyakExecutor>(std::move(plan), std::move(memory).value(), std::move(code->name)));
}

#else

Expected<std::shared_ptr<const Executor>> make_xbyak_executor(const Geometry&, bool) {
  return backend_status(Backend::kXbyak);
}

#endif

}  // namespace pj
