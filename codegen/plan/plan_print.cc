// to_string(Plan): the form `patchjit info` prints.
#include <sstream>

#include "codegen/plan/plan.h"

namespace pj {
namespace {

void print_step(std::ostream& out, const Step& s, const char* indent) {
  out << indent;
  switch (s.kind) {
    case Step::Kind::kCopy:
      out << "copy   dst " << s.dst << " <- src " << s.src << ", " << s.bytes << " B";
      if (s.spill > 0) out << " (may spill " << s.spill << " B)";
      out << "\n";
      break;
    case Step::Kind::kGather:
      out << "gather dst " << s.dst << " <- src " << s.src << ", " << s.count << " x " << s.bytes << " B every "
          << s.src_stride << " B";
      if (!s.contiguous()) out << ", to every " << s.dst_stride << " B";
      if (s.spill > 0) out << " (may spill " << s.spill << " B)";
      out << (s.loop ? " (loop)" : "") << "\n";
      break;
    case Step::Kind::kFill:
      out << "fill   dst " << s.dst << ", ";
      if (s.count > 1) out << s.count << " x ";
      out << s.bytes << " B";
      if (!s.contiguous()) out << " every " << s.dst_stride << " B";
      if (s.spill > 0) out << " (may spill " << s.spill << " B)";
      out << (s.loop ? " (loop)" : "") << "\n";
      break;
  }
}

}  // namespace

std::string to_string(const Plan& plan) {
  const Geometry& g = plan.geometry;
  std::ostringstream out;
  out << "plan " << plan.name() << "\n";
  out << "  patch " << g.patch_depth << " elements of " << g.elem_size << " B (" << g.rows.ksize << "x" << g.cols.ksize
      << " taps of " << g.depth << " channels, " << order_name(g.format.order) << " order) as "
      << patches_name(g.format.patches) << "; input " << layout_name(g.format.layout) << "\n";
  out << "  dst: +" << plan.dst_pixel_step << " B per pixel, +" << plan.dst_row_step << " B per row, +"
      << plan.dst_image_step << " B per image\n";
  out << "  src: origin " << plan.src_origin << " B, +" << plan.src_pixel_step << " B per pixel, +" << plan.src_row_step
      << " B per row, +" << plan.src_image_step << " B per image (" << plan.src_image_extent << " B each)\n";
  if (!g.zero_pad()) {
    out << "  pad value bytes";
    for (int64_t i = 0; i < g.elem_size; ++i) out << " " << int{g.pad_value[i]};
    out << "\n";
  }
  out << "  stores: " << (plan.options.nontemporal ? "non-temporal" : "normal") << "\n";
  if (plan.rows_inside) {
    out << "  rows innermost: each output plane's part of a row class written front to back, up to "
        << plan.planes_per_rows_loop << (plan.planes_per_rows_loop == 1 ? " plane" : " planes") << " a rows loop\n";
  }
  if (plan.generic) {
    out << "  generic: more than " << plan.options.max_regions << " regions; runs the per-pixel loops\n";
    return out.str();
  }
  for (size_t i = 0; i < plan.programs.size(); ++i) {
    const PixelProgram& p = plan.programs[i];
    out << "  program " << i << ": " << p.dst_bytes << " B; valid taps rows [" << p.row_lo << "," << p.row_hi << ")";
    if (plan.whole_rows)
      out << ", a whole output row\n";
    else
      out << " cols [" << p.col_lo << "," << p.col_hi << ")\n";
    for (const Block& b : p.blocks) {
      const char* indent = "      ";
      if (b.rows > 1) {
        out << "    " << b.rows << " rows" << (b.loop ? " (loop)" : "") << ", each dst +" << b.dst_row_stride
            << " B, src +" << b.src_row_stride << " B:\n";
      } else {
        indent = "    ";
      }
      for (const Step& s : b.steps) print_step(out, s, indent);
    }
    if (p.group && p.group->by_lanes) {
      size_t blocks = 0;
      for (const GroupChunk& c : p.group->chunks) blocks += c.blocks.size();
      out << "    grouped: " << p.group->pixels << " pixels at a time, " << p.group->chunks.size()
          << " chunks of 64 B, by 32-byte halves "
          << (p.group->by_dwords ? "permuted by dwords from " : "shuffled from ") << blocks << " blocks of "
          << (p.group->by_dwords ? 32 : 16) << " input bytes\n";
    } else if (p.group) {
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
      if (r.pixels_per_iteration > 1 && !plan.whole_rows) out << " (fused)";
      if (r.grouped) out << " (grouped" << (r.tail ? cat(", tail of ", r.tail->pixels) : std::string()) << ")";
      out << ";";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace pj
