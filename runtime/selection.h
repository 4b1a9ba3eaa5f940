// The one selection policy: which backend serves a signature, as an ordered list of candidates
// tried in turn, each passed over with its reason or chosen. pj_kernel_describe and
// `patchjit info` print the chain.
//   auto:      [ahead-of-time], xbyak, xbyak with loops, [llvm, llvm with loops where the Xbyak
//              emitter cannot run at all], interp
//   xbyak:     xbyak, xbyak with loops, interp
//   llvm:      [ahead-of-time], llvm, llvm with loops, interp
// (ahead-of-time only once a table is registered).
//   interp, reference: themselves
// A candidate that cannot run here is passed over by auto, and is an error when asked for by
// name; one too large or too irregular falls through to the next (the interpreter last).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/geometry.h"
#include "codegen/plan/status.h"
#include "codegen/xbyak/isa.h"
#include "runtime/backends.h"
#include "runtime/executor.h"

namespace pj {

struct Selection {
  std::shared_ptr<const Executor> executor;
  Candidate chosen;
  // Each candidate passed over, and why.
  std::vector<std::pair<Candidate, Status>> passed_over;

  // "xbyak avx512: kernel ... would take ... over the limit", one line per candidate passed over.
  std::vector<std::string> reasons() const;
};

// The candidates for `requested` (not kAuto resolved), with the JIT at `isa` (one snapshot of
// jit_isa(), taken once per create).
struct Candidates {
  std::array<Candidate, 6> list;
  int size = 0;
  void add(const Candidate& c) { list[static_cast<size_t>(size++)] = c; }
  const Candidate* begin() const { return list.data(); }
  const Candidate* end() const { return list.data() + size; }
};
Candidates candidates(Backend requested, Isa isa);

// Tries the candidates in order; each one's executor comes from `get`, which builds it (through
// the kernel cache, say).
template <typename Get>
Expected<Selection> select(Backend requested, Isa isa, const Get& get) {
  Selection s;
  for (const Candidate& c : candidates(requested, isa)) {
    Expected<std::shared_ptr<const Executor>> built = get(c);
    if (built.ok()) {
      s.executor = std::move(built).value();
      s.chosen = c;
      return s;
    }
    const Code code = built.status().code();
    const bool asked_for = requested != Backend::kAuto && c.backend == requested && !c.aot;
    if (code == Code::kResourceExhausted || (code == Code::kUnimplemented && !asked_for)) {
      s.passed_over.emplace_back(c, built.status());
      continue;
    }
    return built.status();
  }
  return Internal("no backend could run this signature");
}

}  // namespace pj
