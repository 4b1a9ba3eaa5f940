// to_string(Plan): the form `patchjit info` prints.
#include <sstream>

#include "codegen/plan/plan.h"

namespace pj {
namespace {

void print_step(std::ostream& out, const Step& s, const char* indent) {
  out << indent;
  switch (s.kind) {
    case Step::Kind::kCopy:
      out << "copy   dst " << s.dst << " <- src " << s.src << ", " << s.bytes << " B\n";
      break;
    case Step::Kind::kGather:
      out << "gather dst " << s.dst << " <- src " << s.src << ", " << s.count << " x " << s.bytes
          << " B every " << s.src_stride << " B" << (s.loop ? " (loop)" : "") << "\n";
      break;
    case Step::Kind::kZero:
      out << "zero   dst " << s.dst << ", " << s.bytes << " B\n";
      break;
  }
}

}  // namespace

std::string to_string(const Plan& plan) {
  const Geometry& g = plan.geometry;
  std::ostringstream out;
  out << "plan " << plan.name() << "\n";
  out << "  pixel " << plan.pixel_bytes << " B (" << g.rows.ksize << "x" << g.cols.ksize
      << " taps of " << plan.in_tap_bytes << " B); output row " << plan.out_row_bytes
      << " B, image " << plan.out_image_bytes << " B\n";
  out << "  anchor: origin " << plan.anchor_origin << " B, +" << plan.in_pixel_step
      << " B per output column, +" << plan.in_row_step << " B per output row; input image "
      << plan.in_image_bytes << " B\n";
  out << "  stores: " << (plan.options.nontemporal ? "non-temporal" : "normal") << "\n";
  if (plan.generic) {
    out << "  generic: more than " << plan.options.max_regions
        << " regions; runs the per-pixel loops\n";
    return out.str();
  }
  for (size_t i = 0; i < plan.programs.size(); ++i) {
    const PixelProgram& p = plan.programs[i];
    out << "  program " << i << ": " << p.dst_bytes << " B; valid taps rows [" << p.row_lo << ","
        << p.row_hi << ") cols [" << p.col_lo << "," << p.col_hi << ")\n";
    for (const Block& b : p.blocks) {
      const char* indent = "      ";
      if (b.rows > 1) {
        out << "    " << b.rows << " rows" << (b.loop ? " (loop)" : "") << ", each dst +"
            << b.dst_row_stride << " B, src +" << b.src_row_stride << " B:\n";
      } else {
        indent = "    ";
      }
      for (const Step& s : b.steps) print_step(out, s, indent);
    }
    if (p.group) {
      out << "    grouped: " << p.group->pixels << " pixels at a time, " << p.group->chunks.size()
          << " chunks of 64 B permuted from input windows of";
      for (const GroupWindow& w : p.group->windows) out << " " << w.bytes << " B at " << w.src;
      out << "\n";
    }
  }
  out << "  regions (" << plan.region_count() << "):\n";
  for (const RowClass& rc : plan.row_classes) {
    out << "    rows [" << rc.begin << "," << rc.end << "):";
    for (const Region& r : rc.regions) {
      out << " cols [" << r.begin << "," << r.end << ") p" << r.program;
      if (r.pixels_per_iteration > 1) out << " (fused)";
      out << ";";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace pj
