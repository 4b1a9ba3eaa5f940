// The planner: structure of plans for known shapes, and verify_plan on random ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "codegen/plan/plan.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

Geometry geometry(Vec4 shape, int64_t k, int64_t s, int64_t r, Padding p, DType t = DType::kFloat32) {
  Expected<Geometry> g = make_geometry(square_spec(t, shape, k, s, r, p));
  EXPECT_TRUE(g.ok()) << g.status().message();
  return *g;
}

TEST(Plan, Same3x3HasNineRegionsAndOneCopyPerKernelRow) {
  Expected<Plan> plan = make_plan(geometry({1, 56, 56, 64}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->name(), "e4_56x56x64_k3x3_s1x1_r1x1_same");
  ASSERT_EQ(plan->row_classes.size(), 3u);
  EXPECT_EQ(plan->region_count(), 9);
  EXPECT_EQ(plan->row_classes[1].begin, 1);
  EXPECT_EQ(plan->row_classes[1].end, 55);
  const Region& interior = plan->row_classes[1].regions[1];
  EXPECT_EQ(interior.begin, 1);
  EXPECT_EQ(interior.end, 55);
  const PixelProgram& p = plan->programs[interior.program];
  ASSERT_EQ(p.blocks.size(), 1u);
  EXPECT_EQ(p.blocks[0].rows, 3);
  EXPECT_EQ(p.blocks[0].src_row_stride, 56 * 64 * 4);
  ASSERT_EQ(p.blocks[0].steps.size(), 1u);
  EXPECT_EQ(p.blocks[0].steps[0].kind, Step::Kind::kCopy);
  EXPECT_EQ(p.blocks[0].steps[0].bytes, 3 * 64 * 4);
  EXPECT_TRUE(verify_plan(*plan).ok());
}

TEST(Plan, ValidHasOnlyTheInterior) {
  Expected<Plan> plan = make_plan(geometry({4, 32, 32, 16}, 5, 2, 1, Padding::kValid));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->region_count(), 1);
  EXPECT_EQ(plan->programs.size(), 1u);
}

TEST(Plan, DilatedColumnsGather) {
  Expected<Plan> plan = make_plan(geometry({1, 64, 64, 1}, 3, 1, 2, Padding::kValid));
  ASSERT_TRUE(plan.ok());
  const Step& s = plan->programs[0].blocks[0].steps[0];
  EXPECT_EQ(s.kind, Step::Kind::kGather);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.bytes, 4);
  EXPECT_EQ(s.src_stride, 8);
  EXPECT_TRUE(verify_plan(*plan).ok());
}

// The torch format at stride 1: one whole-row program per row class, rows innermost, whose
// steps are run copies (one per (c, i, j) segment, contiguous in input and output) and the
// fills at their ends: no gathers, for every element size and widths around a vector.
TEST(Plan, TorchStrideOneIsRunCopiesAndFills) {
  for (DType t : {DType::kUInt8, DType::kHalf, DType::kFloat32, DType::kFloat64, DType::kComplex128}) {
    for (int64_t w : {1, 2, 5, 16, 17, 33}) {
      Spec spec = square_spec(t, {2, 3, 6, w}, 3, 1, 1, Padding::kExplicit);
      spec.format = kTorchFormat;
      spec.pads = {1, 2, 2, 1};
      spec.pad_value[0] = 7;
      Expected<Geometry> g = make_geometry(spec);
      ASSERT_TRUE(g.ok()) << g.status().message();
      Expected<Plan> plan = make_plan(*g);
      ASSERT_TRUE(plan.ok()) << plan.status().message();
      EXPECT_TRUE(plan->whole_rows);
      EXPECT_TRUE(plan->rows_inside);
      const int64_t OW = g->cols.out, e = g->elem_size;
      for (const PixelProgram& p : plan->programs) {
        for (const Block& b : p.blocks) {
          for (const Step& s : b.steps) {
            if (s.kind == Step::Kind::kFill) continue;
            // Never element by element along a row: a copy, or equal runs a constant distance apart.
            EXPECT_FALSE(s.kind == Step::Kind::kGather && s.bytes == e && s.src_stride == plan->src_pixel_step)
                << to_string(*plan);
            EXPECT_LE(s.bytes, OW * e) << to_string(*plan);
          }
        }
      }
      EXPECT_TRUE(verify_plan(*plan).ok()) << verify_plan(*plan).message();
      EXPECT_NE(to_string(*plan).find("rows innermost"), std::string::npos);
    }
  }
}

TEST(Plan, OneByOneKernelFusesWholeRows) {
  Expected<Plan> plan = make_plan(geometry({1, 7, 7, 2048}, 1, 1, 1, Padding::kValid));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->row_classes.size(), 1u);
  const Region& r = plan->row_classes[0].regions[0];
  EXPECT_EQ(r.pixels_per_iteration, 7);
  EXPECT_EQ(r.iterations(), 1);
  EXPECT_EQ(plan->programs[r.program].blocks[0].steps[0].bytes, 7 * 2048 * 4);
  EXPECT_TRUE(verify_plan(*plan).ok());
}

TEST(Plan, AllPaddingPixelIsOneZero) {
  // 1 row, ksize 2 rate 3: both taps outside.
  Spec spec;
  spec.image_shape = {1, 1, 3, 1};
  spec.ksizes = {1, 2, 1, 1};
  spec.rates = {1, 3, 1, 1};
  Expected<Plan> plan = make_plan(*make_geometry(spec));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->programs.size(), 1u);
  const PixelProgram& p = plan->programs[0];
  ASSERT_EQ(p.blocks.size(), 1u);
  ASSERT_EQ(p.blocks[0].steps.size(), 1u);
  EXPECT_EQ(p.blocks[0].steps[0].kind, Step::Kind::kFill);
  EXPECT_EQ(p.blocks[0].steps[0].bytes, 8);
  EXPECT_TRUE(verify_plan(*plan).ok());
}

TEST(Plan, TooManyRegionsIsGeneric) {
  PlanOptions options;
  options.max_regions = 4;
  Expected<Plan> plan = make_plan(geometry({1, 9, 9, 1}, 3, 1, 1, Padding::kSame), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->generic);
  EXPECT_NE(to_string(*plan).find("generic"), std::string::npos);
}

TEST(Plan, LongBlocksLoopOverRows) {
  PlanOptions options;
  options.unroll_budget = 8;
  Expected<Plan> plan = make_plan(geometry({1, 40, 40, 64}, 7, 1, 1, Padding::kValid), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->programs[0].blocks[0].loop);
  EXPECT_NE(to_string(*plan).find("(loop)"), std::string::npos);
}

// Runs up to the limit are unrolled and rows of eight vector moves or more are the loop, so no
// short loop runs inside a pixel; shorter rows stay unrolled; longer runs loop over blocks.
TEST(Plan, LongRowsLoopAroundUnrolledRuns) {
  Expected<Plan> deep = make_plan(geometry({8, 28, 28, 128}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(deep.ok());
  const Block& rows = deep->programs[deep->row_classes[1].regions[1].program].blocks[0];
  EXPECT_EQ(rows.rows, 3);
  EXPECT_TRUE(rows.loop);
  ASSERT_EQ(rows.steps.size(), 1u);
  EXPECT_EQ(rows.steps[0].bytes, 1536);
  EXPECT_LE(rows.steps[0].bytes, deep->options.max_unrolled_run_bytes);

  Expected<Plan> shallow = make_plan(geometry({1, 10, 10, 3}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(shallow.ok());
  for (const PixelProgram& p : shallow->programs) {
    for (const Block& b : p.blocks) EXPECT_FALSE(b.loop) << to_string(*shallow);
  }

  PlanOptions options;
  options.max_unrolled_run_bytes = 512;
  options.run_block_bytes = 128;
  Expected<Plan> small = make_plan(geometry({8, 28, 28, 128}, 3, 1, 1, Padding::kSame), options);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(run_block(small->options), 128);
  options.run_block_bytes = 1024;  // never more than the longest unrolled run
  EXPECT_EQ(run_block(options), 512);
  const CodeEstimate unrolled = estimate_code(*deep), looped = estimate_code(*small);
  EXPECT_GT(looped.loops, unrolled.loops);
  EXPECT_LT(looped.bytes, unrolled.bytes);
}

// Where gathers are written by chunks (PlanOptions::chunk_gathers: LLVM's small budget of 32
// moves), a torch-format row at stride 2 costs its chunks, not a move an element: 112 floats
// are 7 chunks, unrolled, and the code estimate counts them so; without, a loop over elements.
TEST(Plan, ChunkedGathersCostTheirChunks) {
  Spec spec = square_spec(DType::kFloat32, {1, 3, 224, 224}, 7, 2, 1, Padding::kSame);
  spec.format = kTorchFormat;
  const Geometry g = *make_geometry(spec);
  PlanOptions options;
  options.unroll_budget = 32;
  options.loop_rows_from_moves = 32;
  auto gathers = [](const Plan& plan, bool looped) {
    int64_t n = 0;
    for (const PixelProgram& p : plan.programs) {
      for (const Block& b : p.blocks) {
        for (const Step& s : b.steps) {
          if (s.kind == Step::Kind::kGather && s.count == 112 && gather_fits_chunks(s)) n += s.loop == looped;
        }
      }
    }
    return n;
  };
  Expected<Plan> by_moves = make_plan(g, options);
  options.chunk_gathers = true;
  Expected<Plan> by_chunks = make_plan(g, options);
  ASSERT_TRUE(by_moves.ok() && by_chunks.ok());
  EXPECT_GT(gathers(*by_moves, true), 0);
  EXPECT_EQ(gathers(*by_moves, false), 0);
  EXPECT_GT(gathers(*by_chunks, false), 0) << to_string(*by_chunks);
  EXPECT_EQ(gathers(*by_chunks, true), 0) << to_string(*by_chunks);
  EXPECT_TRUE(verify_plan(*by_chunks).ok());
  // The estimate of the unrolled gathers: their chunks, less than a move an element would be.
  Plan as_moves = *by_chunks;
  as_moves.options.chunk_gathers = false;
  EXPECT_LT(estimate_code(*by_chunks).bytes, estimate_code(as_moves).bytes);
}

TEST(Plan, PrintsStepsAndRegions) {
  Expected<Plan> plan = make_plan(geometry({1, 10, 10, 3}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(plan.ok());
  std::string text = to_string(*plan);
  EXPECT_NE(text.find("plan e4_10x10x3_k3x3_s1x1_r1x1_same"), std::string::npos) << text;
  EXPECT_NE(text.find("copy"), std::string::npos);
  EXPECT_NE(text.find("fill"), std::string::npos);
  EXPECT_NE(text.find("rows [1,9): cols [0,1) p"), std::string::npos) << text;
}

TEST(Plan, EmptyGeometryIsRefused) { EXPECT_FALSE(make_plan(geometry({0, 5, 5, 1}, 3, 1, 1, Padding::kSame)).ok()); }

// Every random plan passes the independent check: in bounds, each output byte written once,
// each tap read from where TensorFlow's rule says.
TEST(Plan, RandomPlansVerify) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  testing::RandomSpecOptions options;
  options.max_output_bytes = 1 << 22;
  options.max_ksize = 9;
  options.max_rate = 4;
  const int64_t n = testing::scaled(3000);
  for (int64_t i = 0; i < n; ++i) {
    Spec spec = testing::random_spec(rng, options);
    Geometry g = *make_geometry(spec);
    if (g.empty()) continue;
    PlanOptions plan_options;
    plan_options.unroll_budget = 1 + static_cast<int64_t>(rng() % 512);
    plan_options.group_pixels = rng() % 2;
    plan_options.groups_by_lanes = plan_options.group_pixels && rng() % 2;
    Expected<Plan> plan = make_plan(g, plan_options);
    ASSERT_TRUE(plan.ok()) << testing::describe(spec) << ": " << plan.status().message() << " seed " << seed;
    Status s = verify_plan(*plan);
    ASSERT_TRUE(s.ok()) << testing::describe(spec) << ": " << s.message() << " seed " << seed;
  }
}

}  // namespace
}  // namespace pj

namespace pj {
namespace {

// The dilated depth-1 shape of the suite: f32 [1,64,64,1], 3x3 taps at rate 2, VALID.
Geometry dilated_shallow() {
  Spec s;
  s.image_shape = {1, 64, 64, 1};
  s.ksizes = {1, 3, 3, 1};
  s.rates = {1, 2, 2, 1};
  s.padding = Padding::kValid;
  return *make_geometry(s);
}

// verify_plan is the independent check the random tests rely on: it must catch broken plans.
TEST(Plan, VerifyCatchesBrokenPlans) {
  Expected<Plan> good = make_plan(geometry({1, 6, 6, 2}, 3, 1, 1, Padding::kSame));
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(verify_plan(*good).ok());

  Plan wrong_source = *good;
  wrong_source.programs[wrong_source.row_classes[1].regions[1].program].blocks[0].steps[0].src += 8;
  EXPECT_FALSE(verify_plan(wrong_source).ok());

  Plan missing_zero = *good;
  std::vector<Step>& steps = missing_zero.programs[missing_zero.row_classes[0].regions[0].program].blocks[0].steps;
  ASSERT_EQ(steps[0].kind, Step::Kind::kFill);
  steps.erase(steps.begin());
  EXPECT_FALSE(verify_plan(missing_zero).ok());

  Plan short_cover = *good;
  short_cover.row_classes.back().end -= 1;
  EXPECT_FALSE(verify_plan(short_cover).ok());

  PlanOptions grouping;
  grouping.group_pixels = true;
  Expected<Plan> grouped = make_plan(dilated_shallow(), grouping);
  ASSERT_TRUE(grouped.ok() && grouped->programs[0].group);
  ASSERT_TRUE(verify_plan(*grouped).ok());
  Plan wrong_byte = *grouped;
  GroupPart& part = wrong_byte.programs[0].group->chunks[4].parts[1];
  const auto lane = std::find_if(part.index.begin(), part.index.end(), [](uint8_t at) { return at < 80; });
  ASSERT_NE(lane, part.index.end());
  *lane ^= 4;  // the neighbouring element of the window
  EXPECT_FALSE(verify_plan(wrong_byte).ok());
  Plan wide_window = *grouped;
  wide_window.programs[0].group->windows[2].bytes += 1;  // one byte past what the steps read
  EXPECT_FALSE(verify_plan(wide_window).ok());
  Plan wrapping_index = *grouped;  // a "zero" lane the permute would wrap into real bytes
  wrapping_index.programs[0].group->chunks[0].parts[0].index[0] = 200;
  EXPECT_FALSE(verify_plan(wrapping_index).ok());
  Plan two_parts_of_one = *grouped;
  two_parts_of_one.programs[0].group->chunks[0].parts[1].window =
      two_parts_of_one.programs[0].group->chunks[0].parts[0].window;
  EXPECT_FALSE(verify_plan(two_parts_of_one).ok());
}

// The uint8 stem's 21-byte runs may spill 11 bytes into the next run, one 32-byte move each,
// but for a pixel's last run (its block's last row, split off); its 42-byte fill may be one
// 64-byte move. verify_plan rejects spills into bytes no later piece writes.
TEST(Plan, ShortRunsSpillIntoTheNextRun) {
  Expected<Plan> plan = make_plan(geometry({1, 30, 30, 3}, 7, 2, 1, Padding::kSame, DType::kUInt8));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_TRUE(verify_plan(*plan).ok()) << verify_plan(*plan).message();
  int32_t index = -1;  // all 7x7 taps inside
  for (size_t i = 0; i < plan->programs.size(); ++i) {
    const PixelProgram& p = plan->programs[i];
    if (p.row_lo == 0 && p.row_hi == 7 && p.col_lo == 0 && p.col_hi == 7) index = static_cast<int32_t>(i);
  }
  ASSERT_GE(index, 0) << to_string(*plan);
  const PixelProgram& inside = plan->programs[index];
  ASSERT_EQ(inside.blocks.size(), 2u) << to_string(*plan);
  EXPECT_EQ(inside.blocks[0].rows, 6);
  EXPECT_EQ(inside.blocks[0].steps[0].bytes, 21);
  EXPECT_EQ(inside.blocks[0].steps[0].spill, 11);
  EXPECT_EQ(inside.blocks[1].rows, 1);
  EXPECT_EQ(inside.blocks[1].steps[0].dst, 126);
  EXPECT_EQ(inside.blocks[1].steps[0].spill, 0);
  EXPECT_NE(to_string(*plan).find("21 B (may spill 11 B)"), std::string::npos);
  const PixelProgram& top = plan->programs[plan->row_classes[0].regions[1].program];
  EXPECT_EQ(top.blocks[0].steps[0].kind, Step::Kind::kFill);
  EXPECT_EQ(top.blocks[0].steps[0].spill, 64 - top.blocks[0].steps[0].bytes);

  Plan past_the_pixel = *plan;  // the last run spills past the pixel's end
  past_the_pixel.programs[index].blocks[1].steps[0].spill = 11;
  EXPECT_FALSE(verify_plan(past_the_pixel).ok());
  Plan into_written = *plan;  // the last run first: the runs before it spill into it after it is written
  std::vector<Block>& blocks = into_written.programs[index].blocks;
  std::swap(blocks[0], blocks[1]);
  EXPECT_FALSE(verify_plan(into_written).ok());
  std::swap(blocks[0], blocks[1]);
  EXPECT_TRUE(verify_plan(into_written).ok());
}

// Short dilated pixels are written 16 at a time when the backend asks: three windows (one per
// kernel row), nine whole chunks of three parts; the row's last 12 pixels as a partial group.
TEST(Plan, ShortDilatedPixelsAreGroupedWhenAsked) {
  EXPECT_FALSE(make_plan(dilated_shallow())->programs[0].group);  // not asked
  PlanOptions options;
  options.group_pixels = true;
  Expected<Plan> plan = make_plan(dilated_shallow(), options);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->programs[0].group);
  const PixelGroup& g = *plan->programs[0].group;
  EXPECT_EQ(g.pixels, 16);
  ASSERT_EQ(g.windows.size(), 3u);
  for (int w = 0; w < 3; ++w) {
    EXPECT_EQ(g.windows[w].src, w * 2 * 64 * 4);  // kernel row w: input row 2w
    EXPECT_EQ(g.windows[w].bytes, 80);            // pixels 0-15 read columns 0-19 of the row
  }
  ASSERT_EQ(g.chunks.size(), 9u);
  for (const GroupChunk& c : g.chunks) EXPECT_EQ(c.parts.size(), 3u);
  std::optional<PixelGroup> tail = group_pixels(plan->programs[0], plan->src_pixel_step, 60 % 16);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->chunks.size(), 7u);  // 12 x 36 = 432 bytes
  EXPECT_EQ(tail->chunks.back().bytes, 432 - 6 * 64);
  EXPECT_NE(to_string(*plan).find("grouped: 16 pixels at a time, 9 chunks of 64 B"), std::string::npos)
      << to_string(*plan);
  EXPECT_TRUE(verify_plan(*plan).ok());
}

// AVX2's groups (by lanes): int8 depth 3 under a 2x2 kernel at rate 3, 12-byte pixels, 16 at
// a time: three chunks, each 32-byte half assembled from 16-byte blocks of the two input rows,
// all of them within the bytes the group reads; a row's last 13 pixels a partial group (156
// bytes: its last half of 28 bytes stored in pieces). verify_plan catches a block shuffling in
// the wrong byte, and one reaching past the bytes read.
TEST(Plan, Avx2GroupsAssembleHalvesFromSixteenByteBlocks) {
  Spec s;
  s.dtype = DType::kInt8;
  s.image_shape = {1, 40, 80, 3};
  s.ksizes = {1, 2, 2, 1};
  s.rates = {1, 3, 3, 1};
  s.padding = Padding::kValid;
  PlanOptions options;
  options.vector_bytes = 32;
  options.group_pixels = options.groups_by_lanes = true;
  Expected<Plan> plan = make_plan(*make_geometry(s), options);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->programs[0].group) << to_string(*plan);
  const PixelGroup& g = *plan->programs[0].group;
  EXPECT_TRUE(g.by_lanes);
  EXPECT_EQ(g.pixels, 16);
  ASSERT_EQ(g.chunks.size(), 3u);
  for (const GroupChunk& c : g.chunks) {
    EXPECT_EQ(c.bytes, 64);
    int halves[2] = {0, 0};
    for (const LaneBlock& b : c.blocks) ++halves[b.half];
    // A half: 16 bytes of each of about three pixels, from two input rows.
    EXPECT_GE(halves[0], 2);
    EXPECT_GE(halves[1], 2);
  }
  for (const RowClass& rc : plan->row_classes) {
    for (const Region& r : rc.regions) {
      ASSERT_TRUE(r.grouped && r.tail) << to_string(*plan);
      EXPECT_EQ(r.tail->pixels, 77 % 16);
      EXPECT_TRUE(r.tail->by_lanes);
      EXPECT_EQ(r.tail->chunks.back().bytes, 13 * 12 - 2 * 64);
    }
  }
  ASSERT_TRUE(verify_plan(*plan).ok()) << verify_plan(*plan).message();
  EXPECT_NE(to_string(*plan).find("grouped: 16 pixels at a time, 3 chunks of 64 B, by 32-byte halves shuffled from"),
            std::string::npos)
      << to_string(*plan);

  Plan wrong_byte = *plan;
  LaneBlock& block = wrong_byte.programs[0].group->chunks[1].blocks[0];
  const auto lane = std::find_if(block.index.begin(), block.index.end(), [](uint8_t at) { return at < 15; });
  ASSERT_NE(lane, block.index.end());
  *lane += 1;  // the next input byte
  EXPECT_FALSE(verify_plan(wrong_byte).ok());
  // The last block, moved one byte on with its indices one less: the same bytes, but its load
  // now reaches one past the last byte the group reads.
  Plan past_the_end = *plan;
  LaneBlock& last = past_the_end.programs[0].group->chunks.back().blocks.back();
  ASSERT_TRUE(std::none_of(last.index.begin(), last.index.end(), [](uint8_t at) { return at == 0; }));
  last.src += 1;
  for (uint8_t& at : last.index) at = at == 0x80 ? at : static_cast<uint8_t>(at - 1);
  EXPECT_FALSE(verify_plan(past_the_end).ok());
}

// AVX2's strided output rows (gather_by_lanes): every output byte from exactly one block, the
// byte the gather names, and every block within the bytes the gather reads; elements of 4 and
// 8 bytes by dword permutes.
TEST(Plan, GathersByLanesReadOnlyWhatTheyGather) {
  std::mt19937_64 rng(testing::test_seed());
  int taken = 0, by_dwords = 0;
  for (int i = 0; i < 2000; ++i) {
    const int64_t bytes = int64_t{1} << (rng() % 4), count = 2 + static_cast<int64_t>(rng() % 200);
    const int64_t stride = bytes * (2 + static_cast<int64_t>(rng() % 4)) + bytes * static_cast<int64_t>(rng() % 2);
    const std::optional<PixelGroup> g = gather_by_lanes(count, bytes, stride);
    if (!g) continue;
    ++taken;
    const int64_t end = (count - 1) * stride + bytes;
    int64_t next = 0;
    for (const GroupChunk& c : g->chunks) {
      ASSERT_EQ(c.dst, next);
      next += c.bytes;
      const int64_t loaded = g->by_dwords ? 32 : 16;
      for (const LaneBlock& b : c.blocks) ASSERT_TRUE(b.src >= 0 && b.src + loaded <= end) << b.src << " of " << end;
      for (int64_t lane = 0; lane < c.bytes; ++lane) {
        const int64_t out = c.dst + lane, want = out / bytes * stride + out % bytes;
        int found = 0;
        for (const LaneBlock& b : c.blocks) {
          const int64_t from = block_source(b, g->by_dwords, static_cast<int>(lane));
          if (from < 0) continue;
          ++found;
          EXPECT_EQ(from, want) << "count " << count << ", " << bytes << " bytes every " << stride;
        }
        ASSERT_EQ(found, 1) << "output byte " << out;
      }
    }
    ASSERT_EQ(next, count * bytes);
    by_dwords += g->by_dwords;
  }
  EXPECT_GT(taken, 200);
  EXPECT_GT(by_dwords, 50);  // elements of 4 and 8 bytes
  EXPECT_LT(by_dwords, taken);
}

// Five kernel rows of 2-byte pixels (int8 depth 2, 5x1 at rate 2 down the rows): every pixel
// reads five input rows, more windows than register pairs hold: windows of at most 63 bytes,
// the first six in registers, the others loaded where used. The output is 29 pixels wide, narrower than a group of 32:
// each row is one partial group.
TEST(Plan, ManyKernelRowsAreGroupedAndNarrowRowsTakePartialGroups) {
  Spec s;
  s.dtype = DType::kInt8;
  s.image_shape = {1, 68, 29, 2};
  s.ksizes = {1, 5, 1, 1};
  s.strides = {1, 2, 1, 1};
  s.rates = {1, 2, 1, 1};
  PlanOptions options;
  options.group_pixels = true;
  Expected<Plan> plan = make_plan(*make_geometry(s), options);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(verify_plan(*plan).ok()) << verify_plan(*plan).message();
  int many = 0, partial = 0;
  for (const RowClass& rc : plan->row_classes) {
    for (const Region& r : rc.regions) {
      if (!r.grouped) continue;
      const PixelGroup& g = *plan->programs[r.program].group;
      EXPECT_EQ(g.pixels, 32);
      ASSERT_LT(r.iterations(), 32);
      ASSERT_TRUE(r.tail);
      EXPECT_EQ(r.tail->pixels, r.iterations());
      ++partial;
      if (r.tail->windows.size() <= kPairWindows) continue;
      ++many;
      for (const GroupWindow& w : r.tail->windows) EXPECT_LT(w.bytes, 64);
    }
  }
  EXPECT_GT(many, 0) << to_string(*plan);
  EXPECT_GT(partial, 0);
  // In such a group no window may need two registers.
  Plan wide = *plan;
  for (RowClass& rc : wide.row_classes) {
    for (Region& r : rc.regions) {
      if (r.grouped && r.tail && r.tail->windows.size() > kPairWindows) r.tail->windows[0].bytes = 64;
    }
  }
  EXPECT_FALSE(verify_plan(wide).ok());
}

}  // namespace
}  // namespace pj

namespace pj {
namespace {

// Found by the API fuzzer under UBSan: with a huge rate the distance between kernel rows
// (rate x input row bytes) overflows int64, although at most one kernel row is ever valid.
TEST(Plan, HugeRatesDoNotOverflowOffsets) {
  Spec spec;
  spec.dtype = DType::kInt16;
  spec.image_shape = {3, 3, 2147483561, 4};
  spec.ksizes = {1, 1, 3, 1};
  spec.strides = {1, 3, 1, 1};
  spec.rates = {1, 2147483561, 3, 1};
  spec.padding = Padding::kSame;
  Expected<Geometry> g = make_geometry(spec);
  ASSERT_TRUE(g.ok()) << g.status().message();
  Expected<Plan> plan = make_plan(*g);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(verify_plan(*plan).ok());
  // Two kernel rows that far apart: the second is never inside the image.
  spec.ksizes = {1, 2, 3, 1};
  plan = make_plan(*make_geometry(spec));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(verify_plan(*plan).ok());
}

// Found by the API fuzzer: a kernel 2^31 columns wide with rate 8 over an image as wide has 2^28
// valid columns per pixel, and listing them a step each took a minute. Programs that would list
// that many taps are not made: the generic loops serve such kernels at once.
TEST(Plan, KernelsTooWideToListAreGeneric) {
  Spec spec;
  spec.dtype = DType::kInt64;
  spec.image_shape = {4, 2, 2147483646, 3};
  spec.ksizes = {1, 2, 2147483646, 1};
  spec.strides = {1, 3, 2147483645, 1};
  spec.rates = {1, 2, 8, 1};
  spec.padding = Padding::kSame;
  auto plan_quickly = [](const Spec& s) {
    Expected<Geometry> g = make_geometry(s);
    EXPECT_TRUE(g.ok()) << g.status().message();
    const auto start = std::chrono::steady_clock::now();
    Expected<Plan> plan = make_plan(*g);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    return plan.ok() && plan->generic;
  };
  EXPECT_TRUE(plan_quickly(spec));  // hwc: a step per valid kernel column
  spec.format.order = PatchOrder::kChw;
  EXPECT_FALSE(plan_quickly(spec));  // chw: a step per kernel row, two of them
  spec.format.patches = PatchesAs::kColumns;
  EXPECT_TRUE(plan_quickly(spec));  // columns: a step per tap
  // As tall in chw: a step per kernel row.
  spec.format.patches = PatchesAs::kRows;
  std::swap(spec.image_shape[1], spec.image_shape[2]), std::swap(spec.ksizes[1], spec.ksizes[2]);
  std::swap(spec.strides[1], spec.strides[2]), std::swap(spec.rates[1], spec.rates[2]);
  EXPECT_TRUE(plan_quickly(spec));
}

}  // namespace
}  // namespace pj
