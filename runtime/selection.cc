#include "runtime/selection.h"

#include <algorithm>

#include "jit/cpu.h"
#include "runtime/aot_registry.h"
#include "runtime/availability.h"

namespace pj {

std::vector<std::string> Selection::reasons() const {
  std::vector<std::string> lines;
  for (const auto& [candidate, why] : passed_over) lines.push_back(cat(candidate.name(), ": ", why.message()));
  return lines;
}

namespace {

// The interpreter, with the vector instruction set of its fold adds (interp/vector_adds.h): the
// host's, capped as the JIT is, whether or not the Xbyak backend is built.
Candidate interp_candidate() {
  Candidate c;
  c.backend = Backend::kInterp;
  c.isa = std::min(host_isa(), isa_cap());
  return c;
}

}  // namespace

Candidates candidates(Backend requested, Isa isa) {
  auto jit = [&](Backend backend, bool loops) {
    Candidate c;
    c.backend = backend;
    c.isa = backend == Backend::kXbyak ? isa : Isa::kNone;
    c.smallest_code = loops;
    return c;
  };
  Candidate aot;
  aot.backend = Backend::kLlvm;
  aot.aot = true;
  const bool tables = aot_kernels_registered();
  Candidates list;
  switch (requested) {
    case Backend::kReference: {
      Candidate c;
      c.backend = requested;
      list.add(c);
      return list;
    }
    case Backend::kInterp:
      list.add(interp_candidate());
      return list;
    case Backend::kXbyak:
      list.add(jit(Backend::kXbyak, false));
      list.add(jit(Backend::kXbyak, true));
      break;
    case Backend::kLlvm:
      if (tables) list.add(aot);
      list.add(jit(Backend::kLlvm, false));
      list.add(jit(Backend::kLlvm, true));
      break;
    case Backend::kAuto:
      if (tables) list.add(aot);
      list.add(jit(Backend::kXbyak, false));
      list.add(jit(Backend::kXbyak, true));
      // llvm only where the Xbyak emitter cannot run at all (not built, or no AVX2). The cap
      // 'none' turns every JIT off, and a refusal of executable memory holds for LLVM's pages too.
      if (detected_isa() == Isa::kNone && isa_cap() != Isa::kNone && !jit_refused()) {
        list.add(jit(Backend::kLlvm, false));
        list.add(jit(Backend::kLlvm, true));
      }
      break;
  }
  list.add(interp_candidate());
  return list;
}

}  // namespace pj
