#include "runtime/backends.h"

#include <mutex>
#include <utility>

#include "codegen/plan/cost_model.h"
#include "codegen/plan/fold_plan.h"
#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"
#include "interp/fold.h"
#include "interp/interpreter.h"
#include "jit/cpu.h"
#include "reference/golden.h"
#include "runtime/aot_registry.h"
#include "runtime/availability.h"
#include "runtime/limits.h"
#include "runtime/llvm_backend.h"

#if PATCHJIT_HAVE_XBYAK
#include "codegen/lower/lowering.h"
#include "codegen/xbyak/emitter.h"
#include "codegen/xbyak/fold_emitter.h"
#include "jit/executable_memory.h"
#endif

namespace pj {
namespace {

// Pixels of a tile's partial rows: the interpreter on a plan of one program per pixel, made at
// the first such tile (planning is cheap, and most kernels never see one).
class PartialRows {
 public:
  explicit PartialRows(const Geometry& g) : geometry_(g) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin, int64_t col_end) const {
    std::call_once(once_, [&] {
      PlanOptions options;
      options.pixels_only = true;
      Expected<Plan> plan = make_plan(geometry_, options);
      if (plan.ok()) plan_ = std::make_unique<Plan>(std::move(plan).value());
    });
    if (plan_) {
      interpret_pixels(*plan_, input, output, row, col_begin, col_end);
    } else {  // a plan that fails for pixels failed for rows first: unreachable, but exact
      const int64_t first = row * geometry_.cols.out;
      golden_extract_positions(geometry_, input, output, first + col_begin, first + col_end);
    }
  }

 private:
  Geometry geometry_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<Plan> plan_;
};

class ReferenceExecutor final : public Executor {
 public:
  explicit ReferenceExecutor(const Geometry& g) : geometry_(g) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    golden_extract(geometry_, input, output, row_begin, row_end);
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    const int64_t first = row * geometry_.cols.out;
    golden_extract_positions(geometry_, input, output, first + col_begin, first + col_end);
  }
  bool splittable() const override { return false; }
  std::string describe() const override { return "golden loops (the element rule, docs/SEMANTICS.md §4)\n"; }

 private:
  Geometry geometry_;
};

class InterpExecutor final : public Executor {
 public:
  explicit InterpExecutor(Plan plan) : plan_(std::move(plan)), partial_(plan_.geometry) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    interpret(plan_, input, output, row_begin, row_end);
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    partial_.run(input, output, row, col_begin, col_end);
  }
  std::string describe() const override { return to_string(plan_); }

 private:
  Plan plan_;
  PartialRows partial_;
};

// A compiled kernel (Xbyak, LLVM or ahead of time): what owns its code, its entry point, and
// what describes it (the plan is printed when asked, not on every compile).
class KernelExecutor final : public Executor {
 public:
  KernelExecutor(std::shared_ptr<const void> owner, KernelFunction function, std::span<const uint8_t> code,
                 std::string description, std::shared_ptr<const Plan> plan, const Geometry& g)
      : owner_(std::move(owner)),
        function_(function),
        code_(code),
        description_(std::move(description)),
        plan_(std::move(plan)),
        partial_(g) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    call_kernel(function_, KernelArgs{input, output, row_begin, row_end});
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    partial_.run(input, output, row, col_begin, col_end);
  }
  std::string describe() const override { return plan_ ? description_ + to_string(*plan_) : description_; }
  std::span<const uint8_t> code() const override { return code_; }

 private:
  std::shared_ptr<const void> owner_;
  KernelFunction function_;
  std::span<const uint8_t> code_;
  std::string description_;
  std::shared_ptr<const Plan> plan_;
  PartialRows partial_;
};

Expected<std::shared_ptr<const Executor>> interp(const Geometry& g) {
  Expected<Plan> plan = make_plan(g);
  if (!plan.ok()) return plan.status();
  return std::shared_ptr<const Executor>(std::make_shared<InterpExecutor>(std::move(plan).value()));
}

#if PATCHJIT_HAVE_XBYAK
// Emitted code into executable memory, and "kernel NAME: N bytes of machine code" for
// pj_kernel_describe. Over the code limit names the setting; a refused mapping is recorded.
Expected<std::shared_ptr<const ExecutableMemory>> map_code(Expected<MachineCode> code, std::string* description) {
  if (!code.ok()) {
    if (code.status().code() == Code::kResourceExhausted) {
      return ResourceExhausted(code.status().message(), " (pj_set_kernel_code_limit)");
    }
    return code.status();
  }
  Expected<std::shared_ptr<const ExecutableMemory>> memory = map_kernel(code->bytes, code->name);
  if (!memory.ok()) {
    if (memory.status().code() == Code::kUnimplemented) record_jit_refusal(memory.status());
    return memory.status();
  }
  *description = cat("kernel ", code->name, ": ", (*memory)->code_size(), " bytes of machine code\n");
  return memory;
}

Expected<std::shared_ptr<const Executor>> xbyak(const Candidate& c, const Geometry& g) {
  PJ_RETURN_IF_ERROR(backend_status(Backend::kXbyak, c.isa));
  Expected<std::shared_ptr<const Plan>> planned = jit_plan(g, plan_options_for(c.isa), c.nontemporal, c.smallest_code);
  if (!planned.ok()) return planned.status();
  std::shared_ptr<const Plan> plan = std::move(planned).value();
  // The planner's estimate judges kernels far beyond the limit before they are lowered, and
  // sizes the code buffer; the walk's exact bound (emit_x86) judges those near the limit.
  const size_t limit = kernel_code_limit();
  const CodeEstimate e = estimate_code(*plan);
  if (static_cast<uint64_t>(e.bytes) > limit) {
    return ResourceExhausted("kernel ", x86_kernel_name(*plan, c.isa), " would take about ", e.bytes,
                             " bytes of code, over the limit of ", limit, " (pj_set_kernel_code_limit)");
  }
  const Lowering lowering = lower(*plan, x86_target(c.isa));
  std::string description;
  Expected<std::shared_ptr<const ExecutableMemory>> memory =
      map_code(emit_x86(lowering, c.isa, limit, static_cast<size_t>(e.bytes)), &description);
  if (!memory.ok()) return memory.status();
  const ExecutableMemory& m = **memory;
  return std::shared_ptr<const Executor>(std::make_shared<KernelExecutor>(
      *memory, m.function(), std::span<const uint8_t>(static_cast<const uint8_t*>(m.code()), m.code_size()),
      std::move(description), std::move(plan), g));
}
#else
Expected<std::shared_ptr<const Executor>> xbyak(const Candidate& c, const Geometry&) {
  return backend_status(Backend::kXbyak, c.isa);
}
#endif

Expected<std::shared_ptr<const Executor>> llvm(const Candidate& c, const Geometry& g) {
  Expected<LlvmCompiled> compiled = compile_llvm(g, c.nontemporal, c.smallest_code);
  if (!compiled.ok()) return compiled.status();
  LlvmCompiled& k = *compiled;
  return std::shared_ptr<const Executor>(std::make_shared<KernelExecutor>(
      std::move(k.owner), k.function, k.code, std::move(k.description), std::move(k.plan), g));
}

// The ahead-of-time kernel registered for `g` on this CPU (aot_registry.h), or why none.
Expected<const pj_aot_kernel*> registered(const Geometry& g) {
  const pj_aot_kernel* kernel = find_aot_kernel(g);
  if (kernel == nullptr) return Unimplemented("none registered for this signature and CPU");
  return kernel;
}

std::string aot_description(const pj_aot_kernel& kernel) {
  return cat("ahead-of-time kernel ", kernel.name, " (cpu ", kernel.cpu, ")\n");
}

// Fold (docs/SEMANTICS.md §12): image rows, each pixel gathering its taps.
class FoldReferenceExecutor final : public Executor {
 public:
  explicit FoldReferenceExecutor(const Geometry& g) : geometry_(g) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    golden_fold(geometry_, input, output, row_begin, row_end, 0, geometry_.cols.in);
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    golden_fold(geometry_, input, output, row, row + 1, col_begin, col_end);
  }
  bool splittable() const override { return false; }
  std::string describe() const override { return "golden loops (fold's element rule, docs/SEMANTICS.md §12)\n"; }

 private:
  Geometry geometry_;
};

class FoldExecutor final : public Executor {
 public:
  explicit FoldExecutor(FoldPlan plan) : plan_(std::move(plan)) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    run_fold(plan_, input, output, row_begin, row_end, 0, plan_.geometry.cols.in);
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    run_fold(plan_, input, output, row, row + 1, col_begin, col_end);
  }
  std::string describe() const override { return to_string(plan_); }

 private:
  FoldPlan plan_;
};

// A JIT fold kernel (Xbyak or LLVM): whole rows in machine code, a tile's partial rows by the
// plan's loops.
class FoldKernelExecutor final : public Executor {
 public:
  FoldKernelExecutor(std::shared_ptr<const void> owner, KernelFunction function, std::span<const uint8_t> code,
                     std::string description, FoldPlan plan)
      : owner_(std::move(owner)),
        function_(function),
        code_(code),
        description_(std::move(description)),
        plan_(std::move(plan)) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    call_kernel(function_, KernelArgs{input, output, row_begin, row_end});
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    run_fold(plan_, input, output, row, row + 1, col_begin, col_end);
  }
  std::string describe() const override { return description_ + to_string(plan_); }
  std::span<const uint8_t> code() const override { return code_; }

 private:
  std::shared_ptr<const void> owner_;
  KernelFunction function_;
  std::span<const uint8_t> code_;
  std::string description_;
  FoldPlan plan_;
};

#if PATCHJIT_HAVE_XBYAK
Expected<std::shared_ptr<const Executor>> xbyak_fold(const Candidate& c, FoldPlan plan) {
  PJ_RETURN_IF_ERROR(backend_status(Backend::kXbyak, c.isa));
  if (c.smallest_code) return Unimplemented("fold's kernels loop over pixels and blocks already");
  std::string description;
  Expected<std::shared_ptr<const ExecutableMemory>> memory =
      map_code(emit_x86_fold(plan, c.isa, kernel_code_limit()), &description);
  if (!memory.ok()) return memory.status();
  const ExecutableMemory& m = **memory;
  return std::shared_ptr<const Executor>(std::make_shared<FoldKernelExecutor>(
      *memory, m.function(), std::span<const uint8_t>(static_cast<const uint8_t*>(m.code()), m.code_size()),
      std::move(description), std::move(plan)));
}
#else
Expected<std::shared_ptr<const Executor>> xbyak_fold(const Candidate& c, FoldPlan) {
  return backend_status(Backend::kXbyak, c.isa);
}
#endif

Expected<std::shared_ptr<const Executor>> llvm_fold(const Candidate& c, FoldPlan plan) {
  if (c.smallest_code) return Unimplemented("fold's kernels loop over pixels and blocks already");
  Expected<LlvmCompiled> compiled = compile_llvm_fold(plan);
  if (!compiled.ok()) return compiled.status();
  LlvmCompiled& k = *compiled;
  return std::shared_ptr<const Executor>(std::make_shared<FoldKernelExecutor>(
      std::move(k.owner), k.function, k.code, std::move(k.description), std::move(plan)));
}

Expected<std::shared_ptr<const Executor>> fold(const Candidate& c, const Geometry& g) {
  if (c.backend == Backend::kReference)
    return std::shared_ptr<const Executor>(std::make_shared<FoldReferenceExecutor>(g));
  const pj_aot_kernel* kernel = nullptr;
  if (c.aot) {
    Expected<const pj_aot_kernel*> found = registered(g);
    if (!found.ok()) return found.status();
    kernel = *found;
  }
  // The isa is the interpreter's adds' (a tile's partial rows): the candidate's, or the host's.
  // An ahead-of-time kernel's plan is made as `patchjit aot` made it, for no known caches.
  const Isa isa = c.backend == Backend::kLlvm ? std::min(host_isa(), isa_cap()) : c.isa;
  Expected<FoldPlan> plan = make_fold_plan(g, isa, kernel != nullptr ? MachineModel{} : host_machine());
  if (!plan.ok()) return plan.status();
  if (kernel != nullptr) {
    // Sums of lanes only where it was compiled with 64-byte permutes (what describe() prints).
    const uint64_t permutes = (uint64_t{1} << PJ_AOT_FEATURE_AVX512F) | (uint64_t{1} << PJ_AOT_FEATURE_AVX512BW) |
                              (uint64_t{1} << PJ_AOT_FEATURE_AVX512VBMI);
    if ((kernel->required_features & permutes) != permutes) plan->sums_lanes = false;
    return std::shared_ptr<const Executor>(std::make_shared<FoldKernelExecutor>(
        nullptr, reinterpret_cast<KernelFunction>(kernel->function), std::span<const uint8_t>(), aot_description(*kernel),
        std::move(plan).value()));
  }
  if (c.backend == Backend::kXbyak) return xbyak_fold(c, std::move(plan).value());
  if (c.backend == Backend::kLlvm) return llvm_fold(c, std::move(plan).value());
  return std::shared_ptr<const Executor>(std::make_shared<FoldExecutor>(std::move(plan).value()));
}

Expected<std::shared_ptr<const Executor>> aot(const Geometry& g) {
  Expected<const pj_aot_kernel*> kernel = registered(g);
  if (!kernel.ok()) return kernel.status();
  return std::shared_ptr<const Executor>(
      std::make_shared<KernelExecutor>(nullptr, reinterpret_cast<KernelFunction>((*kernel)->function),
                                       std::span<const uint8_t>(), aot_description(**kernel), nullptr, g));
}

}  // namespace

std::string Candidate::name() const {
  if (aot) return "ahead-of-time";
  std::string n(backend_name(backend));
  if (backend == Backend::kXbyak && isa != Isa::kNone) n += cat(" ", isa_name(isa));
  if (smallest_code) n += " with loops";
  return n;
}

Expected<std::shared_ptr<const Plan>> jit_plan(const Geometry& g, PlanOptions options, bool nontemporal,
                                               bool smallest) {
  options.nontemporal = nontemporal;
  if (smallest) options = smallest_code(options);
  Expected<Plan> planned = make_plan(g, options);
  if (!planned.ok()) return planned.status();
  if (planned->generic) return ResourceExhausted("more than ", options.max_regions, " regions to specialize");
  return std::make_shared<const Plan>(std::move(planned).value());
}

// A JIT kernel and its twin with non-temporal stores, one cache entry (so one lookup per create).
class WithStreaming final : public Executor {
 public:
  WithStreaming(std::shared_ptr<const Executor> cached, std::shared_ptr<const Executor> streaming)
      : cached_(std::move(cached)), streaming_(std::move(streaming)) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    cached_->run(input, output, row_begin, row_end);
  }
  void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                  int64_t col_end) const override {
    cached_->run_pixels(input, output, row, col_begin, col_end);
  }
  bool splittable() const override { return cached_->splittable(); }
  std::string describe() const override { return cached_->describe(); }
  std::span<const uint8_t> code() const override { return cached_->code(); }
  std::shared_ptr<const Executor> streaming() const override { return streaming_; }

 private:
  std::shared_ptr<const Executor> cached_, streaming_;
};

// A JIT backend's kernel; where the cost model says non-temporal stores pay on this machine,
// built twice, with cached and with streaming stores (the runtime runs the second on 64-byte
// aligned outputs).
Expected<std::shared_ptr<const Executor>> jit(const Candidate& c, const Geometry& g) {
  const auto one = [&](const Candidate& k) { return k.backend == Backend::kXbyak ? xbyak(k, g) : llvm(k, g); };
  Expected<std::shared_ptr<const Executor>> cached = one(c);
  if (!cached.ok() || c.nontemporal || !streaming_pays(g, host_machine())) return cached;
  Candidate twin = c;
  twin.nontemporal = true;
  Expected<std::shared_ptr<const Executor>> streaming = one(twin);
  if (!streaming.ok()) return streaming.status();
  return std::shared_ptr<const Executor>(
      std::make_shared<WithStreaming>(std::move(cached).value(), std::move(streaming).value()));
}

Expected<std::shared_ptr<const Executor>> build(const Candidate& c, const Geometry& g) {
  if (!g.extract()) return fold(c, g);
  if (c.aot) return aot(g);
  switch (c.backend) {
    case Backend::kReference:
      return std::shared_ptr<const Executor>(std::make_shared<ReferenceExecutor>(g));
    case Backend::kInterp:
      return interp(g);
    case Backend::kXbyak:
    case Backend::kLlvm:
      return jit(c, g);
    case Backend::kAuto:
      break;
  }
  return Internal("build: backend ", backend_name(c.backend), " has no executor");
}

}  // namespace pj
