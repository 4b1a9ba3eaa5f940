#include "runtime/availability.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "jit/cpu.h"

namespace pj {
namespace {

// -1: not read yet.
std::atomic<int> cap_value{-1};

std::mutex refusal_mutex;
std::string refusal;  // non-empty once executable memory was refused
std::atomic<bool> refused{false};

Isa cap_from_environment() {
  const char* env = std::getenv("PATCHJIT_MAX_ISA");
  if (env == nullptr || env[0] == '\0') return Isa::kAvx512;
  if (!std::strcmp(env, "none")) return Isa::kNone;
  if (!std::strcmp(env, "avx2")) return Isa::kAvx2;
  if (!std::strcmp(env, "avx512")) return Isa::kAvx512;
  std::fprintf(stderr, "patchjit: ignoring PATCHJIT_MAX_ISA=%s (expected none, avx2 or avx512)\n", env);
  return Isa::kAvx512;
}

}  // namespace

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::kAuto:
      return "auto";
    case Backend::kReference:
      return "reference";
    case Backend::kInterp:
      return "interp";
    case Backend::kXbyak:
      return "xbyak";
    case Backend::kLlvm:
      return "llvm";
  }
  return "?";
}

Isa detected_isa() {
#if PATCHJIT_HAVE_XBYAK
  return host_isa();
#else
  return Isa::kNone;
#endif
}

Isa isa_cap() {
  int v = cap_value.load(std::memory_order_relaxed);
  if (v < 0) {
    int from_env = static_cast<int>(cap_from_environment());
    cap_value.compare_exchange_strong(v, from_env);
    v = cap_value.load();
  }
  return static_cast<Isa>(v);
}

void set_isa_cap(Isa cap) { cap_value.store(static_cast<int>(cap)); }

Isa jit_isa() { return std::min(detected_isa(), isa_cap()); }

void record_jit_refusal(const Status& why) {
  std::lock_guard<std::mutex> lock(refusal_mutex);
  if (refused.load()) return;
  refusal = why.message();
  refused.store(true);
}

bool jit_refused() { return refused.load(); }

Status backend_status(Backend backend, Isa isa) {
  switch (backend) {
    case Backend::kAuto:
    case Backend::kReference:
    case Backend::kInterp:
      return Status::Ok();
    case Backend::kXbyak:
#if !PATCHJIT_HAVE_XBYAK
      (void)isa;
      return Unimplemented("backend xbyak is not built into this patchjit (configured without Xbyak)");
#else
      if (detected_isa() == Isa::kNone)
        return Unimplemented("backend xbyak needs an x86-64 CPU with AVX2; this one has none");
      if (isa == Isa::kNone) {
        return Unimplemented("backend xbyak is turned off: the ISA cap is 'none' (PATCHJIT_MAX_ISA or pj_set_max_isa)");
      }
      if (refused.load()) {
        std::lock_guard<std::mutex> lock(refusal_mutex);
        return Unimplemented("backend xbyak cannot run: ", refusal);
      }
      return Status::Ok();
#endif
    case Backend::kLlvm:
      return llvm_backend_status();
  }
  return InvalidArgument("backend ", static_cast<int>(backend), " is not a valid pj_backend");
}

}  // namespace pj
