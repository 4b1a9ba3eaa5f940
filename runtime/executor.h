// What every backend hands the runtime: something that fills a range of output rows for one
// signature, whatever the batch size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"

namespace pj {

// Same values as pj_backend.
enum class Backend : int { kAuto = 0, kReference, kInterp, kXbyak, kLlvm };
inline constexpr int kNumBackends = 5;

std::string_view backend_name(Backend backend);

class Executor {
 public:
  virtual ~Executor() = default;
  // Fills output rows [row_begin, row_end) of the flattened (image, output row) range.
  virtual void run(const uint8_t* input, uint8_t* output, int64_t row_begin,
                   int64_t row_end) const = 0;
  // Whether rows may be split across threads (the golden loops are kept single-threaded).
  virtual bool splittable() const { return true; }
  // Signature, plan and code, as `patchjit info` prints them.
  virtual std::string describe() const = 0;
  // Generated machine code, if any.
  virtual std::span<const uint8_t> code() const { return {}; }
};

// Builds the executor of a concrete backend (not kAuto) for a non-empty geometry.
Expected<std::shared_ptr<const Executor>> make_executor(Backend backend, const Geometry& geometry);

// The portable ones (runtime/executors.cc) and the JIT ones (runtime/xbyak_executor.cc,
// runtime/llvm_executor.cc).
std::shared_ptr<const Executor> make_reference_executor(const Geometry& geometry);
Expected<std::shared_ptr<const Executor>> make_interp_executor(const Geometry& geometry);
// The interpreter standing in for a JIT kernel that could not be made (too large, too
// irregular); its description says why.
Expected<std::shared_ptr<const Executor>> make_interp_fallback(const Geometry& geometry, const std::string& why);
// nontemporal: stores that bypass the caches (for outputs far larger than the last-level
// cache); such a kernel must only run on 64-byte aligned outputs.
Expected<std::shared_ptr<const Executor>> make_xbyak_executor(const Geometry& geometry, bool nontemporal = false);
Expected<std::shared_ptr<const Executor>> make_llvm_executor(const Geometry& geometry, bool nontemporal = false);
// Ok when backend llvm is built and its JIT session starts (at the first call), else why not.
Status llvm_backend_status();

}  // namespace pj
