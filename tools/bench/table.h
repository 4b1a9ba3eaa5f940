// The text `patchjit bench` prints: the machine, then per shape a table of every
// implementation (time, output GB/s, x floor, speed-up over each peer) and the creation times
// of the JIT backends, then geometric means over the shapes.
#pragma once

#include <string>

#include "tools/bench/results.h"

namespace pj::cli {

// Machine, date, how the peers were built, and what the columns mean.
std::string format_header(const BenchResults& results);

// One shape's block.
std::string format_shape(const ShapeResult& shape);

// Per backend row, the geometric means over all shapes of x floor and the speed-ups; empty for
// a single shape.
std::string format_summary(const BenchResults& results);

// The random sweep's report: per backend row, the `count` worst shapes by time over the floor
// (highest first) and by speed-up over each peer (lowest first).
std::string format_worst(const BenchResults& results, size_t count);

// "45.2 us", "1.23 ms", "850 ns": three significant digits.
std::string format_seconds(double seconds);

}  // namespace pj::cli
