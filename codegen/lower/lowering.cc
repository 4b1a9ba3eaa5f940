#include "codegen/lower/lowering.h"

#include <algorithm>

namespace pj {
namespace {

// `group` lowered: its permutes in the table.
LoweredGroup lowered_group(Lowering* L, const PixelGroup& group) {
  LoweredGroup lowered;
  lowered.group = &group;
  for (const GroupChunk& c : group.chunks) {
    if (group.by_lanes) {
      // Per half: each block's 32-byte shuffle (or dword permute) index, then, by bytes, the mask
      // of its pad lanes (0xff), if any, each in a 64-byte entry.
      for (int half = 0; half < 2; ++half) {
        std::array<uint8_t, 64> entry{};
        for (const LaneBlock& b : c.blocks) {
          if (b.half != half) continue;
          entry.fill(0);
          if (group.by_dwords) {  // vpermd's eight 32-bit indices
            for (int d = 0; d < 8; ++d) entry[static_cast<size_t>(4 * d)] = b.index[static_cast<size_t>(d)];
          } else {
            std::copy(b.index.begin(), b.index.end(), entry.begin());
          }
          lowered.permutes.push_back(L->permutes.add(entry));
        }
        const auto fill = static_cast<uint32_t>(c.fill_lanes >> (32 * half));
        if (fill == 0 || group.by_dwords) continue;  // by dwords the pad value is blended by dwords
        entry.fill(0);
        for (int lane = 0; lane < 32; ++lane) entry[static_cast<size_t>(lane)] = (fill >> lane) & 1 ? 0xff : 0;
        lowered.permutes.push_back(L->permutes.add(entry));
      }
      continue;
    }
    for (const GroupPart& part : c.parts) lowered.permutes.push_back(L->permutes.add(part.index));
  }
  return lowered;
}

// Adds a group of `program` to the lowering (once per size).
const LoweredGroup* add_group(Lowering* L, int32_t program, const PixelGroup& group) {
  auto [it, added] = L->groups.try_emplace({program, group.pixels});
  if (added) it->second = lowered_group(L, group);
  return &it->second;
}

// Pixels a region writes with the one-pixel program (not by groups).
int64_t one_at_a_time(const Plan& plan, const Region& region, const LoweredRegion& lowered) {
  if (!region.grouped) return region.iterations();
  const int64_t rest = region.iterations() % plan.programs[region.program].group->pixels;
  return lowered.tail ? 0 : rest;
}

// The masks the kernel uses, weighted by how often they run; the most used stay in registers.
// With more than fit, one register is left for loading the others where they are used.
void rank_masks(Lowering* L) {
  const Plan& plan = *L->plan;
  std::map<uint64_t, int64_t> uses;
  auto group_uses = [&](const LoweredGroup& g, int64_t runs) {
    for (const GroupWindow& w : g.group->windows) {
      if (w.bytes != 64) uses[lane_mask(0, w.bytes < 64 ? w.bytes : w.bytes - 64)] += runs;
    }
    for (const GroupChunk& c : g.group->chunks) {  // windows loaded where a part uses them
      for (const GroupPart& part : c.parts) {
        if (!window_in_registers(*g.group, part.window))
          uses[lane_mask(0, g.group->windows[part.window].bytes)] += runs;
      }
    }
    for (const GroupChunk& c : g.group->chunks) {
      if (!L->zero_pattern && c.fill_lanes != 0) uses[c.fill_lanes] += runs;
    }
    if (g.group->chunks.back().bytes < 64) uses[lane_mask(0, g.group->chunks.back().bytes)] += runs;
  };
  for (size_t k = 0; k < plan.row_classes.size(); ++k) {
    const RowClass& rc = plan.row_classes[k];
    const int64_t rows = rc.end - rc.begin;
    for (size_t r = 0; r < rc.regions.size(); ++r) {
      const Region& region = rc.regions[r];
      const LoweredRegion& lowered = L->regions[k][r];
      if (lowered.whole) group_uses(*lowered.whole, rows * (region.iterations() / lowered.whole->group->pixels));
      if (lowered.tail) group_uses(*lowered.tail, rows);
      const LoweredProgram& p = L->programs[region.program];
      if (!p.by_chunks) continue;
      const int64_t runs = rows * one_at_a_time(plan, region, lowered);
      for (const Chunk& c : p.chunks) {
        for (const ChunkLoad& load : c.loads) {
          if (load.lanes != ~uint64_t{0} || load.permute >= 0) uses[load.lanes] += runs;
          if (load.permute >= 0) uses[load.span_lanes] += runs;
        }
        if (c.bytes < 64) uses[lane_mask(0, c.bytes)] += runs;
      }
    }
  }
  // Gathers of whole rows by chunks: each runs once per row of its class and block row.
  if (!L->gathers.empty()) {
    for (const RowClass& rc : plan.row_classes) {
      for (const Region& region : rc.regions) {
        for (const Block& b : plan.programs[region.program].blocks) {
          for (const Step& s : b.steps) {
            const std::vector<Chunk>* chunks = L->gather_chunks_of(s);
            if (chunks == nullptr) continue;
            const int64_t runs = (rc.end - rc.begin) * b.rows;
            for (const Chunk& c : *chunks) {
              for (const ChunkLoad& load : c.loads) uses[load.lanes] += runs, uses[load.span_lanes] += runs;
              if (c.bytes < 64) uses[lane_mask(0, c.bytes)] += runs;
            }
          }
        }
      }
    }
  }
  std::vector<std::pair<int64_t, uint64_t>> ranked;  // (uses, lanes)
  for (auto [lanes, count] : uses) ranked.push_back({count, lanes});
  std::sort(ranked.rbegin(), ranked.rend());
  const size_t fit = static_cast<size_t>(L->target.mask_registers);
  const size_t kept = ranked.size() <= fit ? ranked.size() : fit - 1;
  for (size_t i = 0; i < kept; ++i) L->preloaded_masks.push_back(ranked[i].second);
}

// Whether every output offset the plan writes at is a whole number of `vector` bytes from the
// output's start: pixel, row and image steps, and each step's place and stride in its pixel.
bool output_offsets_aligned(const Plan& plan, int64_t vector) {
  const auto whole = [vector](int64_t bytes) { return bytes % vector == 0; };
  if (!whole(plan.dst_pixel_step) || !whole(plan.dst_row_step) || !whole(plan.dst_image_step)) return false;
  for (const PixelProgram& program : plan.programs) {
    for (const Block& b : program.blocks) {
      if (!whole(b.dst_row_stride)) return false;
      for (const Step& s : b.steps) {
        if (!whole(s.dst) || (s.count > 1 && !whole(s.dst_stride))) return false;
      }
    }
  }
  return true;
}

}  // namespace

Lowering lower(const Plan& plan, const Target& target) {
  Lowering L;
  L.plan = &plan;
  L.target = target;
  const Geometry& g = plan.geometry;
  for (size_t i = 0; i < L.pattern.size(); ++i) L.pattern[i] = g.pad_value[i % static_cast<size_t>(g.elem_size)];
  L.zero_pattern = g.zero_pad();
  if (!plan.options.nontemporal && !output_offsets_aligned(plan, target.vector_bytes)) {
    L.aligned_runs.from_bytes = 4 * int64_t{target.vector_bytes};
    // Every place a whole number of half vectors, not of vectors: half-vector moves never
    // straddle a cache line where whole ones (and 64-byte chunks) straddle every other, as
    // AVX2's kernels showed (complex128 depth 2, 5x3: 118 us on AVX-512, 98 us on AVX2).
    if (target.vector_bytes == 64 && output_offsets_aligned(plan, 32)) {
      L.target.max_move_bytes = 32;
      L.target.chunks = false;
    }
  }

  // Groups first, so that their permutes are the ones kept in registers for the whole kernel.
  L.regions.resize(plan.row_classes.size());
  for (size_t k = 0; k < plan.row_classes.size(); ++k) {
    for (const Region& region : plan.row_classes[k].regions) {
      LoweredRegion lowered;
      if (region.grouped) {
        const PixelGroup& group = *plan.programs[region.program].group;
        if (region.iterations() >= group.pixels) lowered.whole = add_group(&L, region.program, group);
        if (region.tail) lowered.tail = add_group(&L, region.program, *region.tail);
      }
      L.regions[k].push_back(lowered);
    }
  }
  // Chunk layouts of the programs some region writes one pixel at a time.
  L.programs.resize(plan.programs.size());
  const bool rows_of_elements = g.patch_steps.element == g.elem_size && !plan.whole_rows;
  for (size_t k = 0; k < plan.row_classes.size(); ++k) {
    const RowClass& rc = plan.row_classes[k];
    for (size_t r = 0; r < rc.regions.size(); ++r) {
      const Region& region = rc.regions[r];
      LoweredProgram& p = L.programs[region.program];
      if (p.by_chunks || one_at_a_time(plan, region, L.regions[k][r]) == 0) continue;
      const PixelProgram& program = plan.programs[region.program];
      if (target.chunks && rows_of_elements && chunkable(program, plan.options)) {
        p.by_chunks = true;
        p.chunks = chunks_of(program, &L.permutes);
      }
    }
  }
  if (target.chunks && plan.whole_rows) {
    for (const PixelProgram& program : plan.programs) {
      for (const Block& b : program.blocks) {
        for (const Step& s : b.steps) {
          if (!chunkable_gather(s)) continue;
          auto [it, added] = L.gathers.try_emplace({s.bytes, s.count, s.src_stride});
          if (added) it->second = gather_chunks(s, &L.permutes);
        }
      }
    }
  }
  if (target.lane_gathers && plan.whole_rows) {
    for (const PixelProgram& program : plan.programs) {
      for (const Block& b : program.blocks) {
        for (const Step& s : b.steps) {
          if (s.kind != Step::Kind::kGather || s.loop || !s.contiguous()) continue;
          const std::tuple<int64_t, int64_t, int64_t> key{s.bytes, s.count, s.src_stride};
          if (L.lane_gather_groups.count(key)) continue;
          std::optional<PixelGroup> group = gather_by_lanes(s.count, s.bytes, s.src_stride);
          if (!group) continue;
          const PixelGroup& kept = L.lane_gather_groups.emplace(key, std::move(*group)).first->second;
          L.lane_gathers.emplace(key, lowered_group(&L, kept));
        }
      }
    }
  }
  // Permutes a group loop holds in registers: those not kept for the whole kernel, in order.
  const int kernel_wide = L.preloaded_permute_count();
  for (auto& [key, group] : L.groups) {
    for (int32_t id : group.permutes) {
      if (static_cast<int>(group.held.size()) == target.group_held_permutes) break;
      if (id < kernel_wide || std::find(group.held.begin(), group.held.end(), id) != group.held.end()) continue;
      group.held.push_back(id);
    }
  }
  if (target.mask_registers > 0) rank_masks(&L);
  return L;
}

const LoweredGroup* Lowering::lane_gather_of(const Step& step) const {
  if (lane_gathers.empty() || step.kind != Step::Kind::kGather || step.loop || !step.contiguous()) return nullptr;
  auto it = lane_gathers.find({step.bytes, step.count, step.src_stride});
  return it == lane_gathers.end() ? nullptr : &it->second;
}

const std::vector<Chunk>* Lowering::gather_chunks_of(const Step& step) const {
  if (gathers.empty() || step.kind != Step::Kind::kGather) return nullptr;
  auto it = gathers.find({step.bytes, step.count, step.src_stride});
  return it == gathers.end() || !chunkable_gather(step) ? nullptr : &it->second;
}

}  // namespace pj
