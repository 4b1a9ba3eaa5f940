// Everything the tool takes from below the public API (include/patchjit), in one place; the
// rest it does through pj_* calls, as any program would.
//  - codegen/plan: Spec and Geometry, plain data with no dependencies: TensorFlow's attribute
//    length rule in TensorFlow's words (a pj_spec has no room for a list of the wrong length),
//    and the geometry that the golden loops, the comparison and bench's peers take.
//  - runtime/c_spec.h: the runtime's own pj_spec -> Spec conversion, so the tool and the
//    library can never read a signature differently.
//  - reference/compare.h (extract --verify, bench): the first differing element, named.
// bench's peers (bench/) and the ahead-of-time compiler (jit/llvm_object.h, a plugin) are used
// by tools/bench and tools/aot only, as their CMakeLists say.
#pragma once

#include "codegen/plan/geometry.h"
#include "codegen/plan/spec.h"
#include "codegen/plan/status.h"
#include "patchjit/patchjit.h"
#include "runtime/c_spec.h"

namespace pj::cli {

// The geometry of a signature, or TensorFlow's message for why it has none.
inline Expected<Geometry> geometry_of(const pj_spec& spec) { return make_geometry(from_c(spec)); }
inline Expected<Geometry> geometry_of(const pj_spec_ex& spec) { return make_geometry(from_c(spec)); }

}  // namespace pj::cli
