// The executors of the portable backends (reference, interp) and the choice among all of them.
#include <utility>

#include "codegen/plan/plan.h"
#include "reference/golden.h"
#include "reference/interpreter.h"
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

Backend resolve_auto() { return Backend::kInterp; }

Expected<std::shared_ptr<const Executor>> make_executor(Backend backend, const Geometry& geometry) {
  switch (backend) {
    case Backend::kReference:
      return std::shared_ptr<const Executor>(std::make_shared<ReferenceExecutor>(geometry));
    case Backend::kInterp: {
      Expected<Plan> plan = make_plan(geometry);
      if (!plan.ok()) return plan.status();
      return std::shared_ptr<const Executor>(std::make_shared<InterpExecutor>(std::move(plan).value()));
    }
    case Backend::kXbyak:
      return Unimplemented("backend xbyak is not built into this version of patchjit");
    case Backend::kLlvm:
      return Unimplemented("backend llvm is not built into this version of patchjit");
    case Backend::kAuto:
      break;
  }
  return Internal("make_executor: backend ", static_cast<int>(backend), " is not a concrete backend");
}

}  // namespace pj
