// The machine a benchmark ran on, for the table, the JSON context and the SVG title.
#pragma once

#include "tools/bench/results.h"

namespace pj::cli {

// CPU model, host name, core count, clock and the date now; host_isa and peers stay empty
// (the caller knows them).
Machine describe_machine();

}  // namespace pj::cli
