// The executors of the portable backends (reference, interp), and the switch over all backends.
#include <utility>

#include "codegen/plan/plan.h"
#include "reference/golden.h"
#include "reference/interpreter.h"
#include "runtime/dispatch.h"
#include "runtime/executor.h"

namespace pj {
namespace {

class ReferenceExecutor final : public Executor {
 public:
  explicit ReferenceExecutor(const Geometry& g) : geometry_(g) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    golden_extract(geometry_, input, output, row_begin, row_end);
  }
  bool splittable() const override { return false; }
  std::string describe() const override { return "golden loops (TensorFlow's element rule)\n"; }

 private:
  Geometry geometry_;
};

class InterpExecutor final : public Executor {
 public:
  explicit InterpExecutor(Plan plan) : plan_(std::move(plan)) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    interpret(plan_, input, output, row_begin, row_end);
  }
  std::string describe() const override { return to_string(plan_); }

 private:
  Plan plan_;
};

class FallbackExecutor final : public Executor {
 public:
  FallbackExecutor(std::shared_ptr<const Executor> interp, std::string why)
      : interp_(std::move(interp)), why_(std::move(why)) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    interp_->run(input, output, row_begin, row_end);
  }
  std::string describe() const override { return cat("interpreted: ", why_, "\n", interp_->describe()); }

 private:
  std::shared_ptr<const Executor> interp_;
  std::string why_;
};

}  // namespace

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::kAuto: return "auto";
    case Backend::kReference: return "reference";
    case Backend::kInterp: return "interp";
    case Backend::kXbyak: return "xbyak";
    case Backend::kLlvm: return "llvm";
  }
  return "?";
}

std::shared_ptr<const Executor> make_reference_executor(const Geometry& geometry) {
  return std::make_shared<ReferenceExecutor>(geometry);
}

Expected<std::shared_ptr<const Executor>> make_interp_executor(const Geometry& geometry) {
  Expected<Plan> plan = make_plan(geometry);
  if (!plan.ok()) return plan.status();
  return std::shared_ptr<const Executor>(std::make_shared<InterpExecutor>(std::move(plan).value()));
}

Expected<std::shared_ptr<const Executor>> make_interp_fallback(const Geometry& geometry, const std::string& why) {
  Expected<std::shared_ptr<const Executor>> interp = make_interp_executor(geometry);
  if (!interp.ok()) return interp.status();
  return std::shared_ptr<const Executor>(std::make_shared<FallbackExecutor>(std::move(interp).value(), why));
}

Expected<std::shared_ptr<const Executor>> make_executor(Backend backend, const Geometry& geometry) {
  PJ_RETURN_IF_ERROR(backend_status(backend));
  switch (backend) {
    case Backend::kReference: return make_reference_executor(geometry);
    case Backend::kInterp: return make_interp_executor(geometry);
    case Backend::kXbyak: return make_xbyak_executor(geometry);
    case Backend::kLlvm: return make_llvm_executor(geometry);
    case Backend::kAuto: break;
  }
  return Internal("make_executor: backend ", backend_name(backend), " has no executor");
}

}  // namespace pj
