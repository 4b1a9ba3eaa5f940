// `patchjit bench --svg`: a horizontal bar chart, drawn as plain SVG text. Per shape, one bar per
// peer and backend (output GB/s, log scale so the slowest peers stay visible) and marks at
// the store floor; a title naming the machine and the date, and a legend.
#pragma once

#include <string>

#include "tools/bench/results.h"

namespace pj::cli {

// Bars are <rect class="bar" data-impl=ROW data-shape=SHAPE> with a <title> tooltip; the floor
// of each shape is a <g class="floor" data-x=X> of two triangles pointing at X from above and
// below the group (never across its bars and labels). Legend entries are <g class="legend-item">
// with data-group "backend" (patchjit's), "peer" or "floor".
std::string to_svg(const BenchResults& results);

}  // namespace pj::cli
