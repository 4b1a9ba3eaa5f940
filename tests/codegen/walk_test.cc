// The lowering and the walk on their own, before any emitter: a sink that records what walk()
// asks for and executes it in C++ (every access checked against the buffers), against the
// golden loops on random specs of every format, for every target's decisions (AVX-512 chunks
// and groups, AVX2, the llvm targets). An emitter bug and a walk bug can then be told apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "codegen/lower/lowering.h"
#include "codegen/lower/walk.h"
#include "codegen/plan/plan.h"
#include "reference/compare.h"
#include "tests/support/kernel_check.h"
#include "tests/support/random_spec.h"

namespace pj {
namespace {

// What walk() asked for, as a tree: loops and row classes hold their bodies.
struct Op {
  enum class Kind { kMove, kFill, kChunk, kGroup, kLoop, kRows, kRowsLoop, kRowsCopy, kAlignRun } kind = Kind::kMove;
  At at;
  int width = 0;
  const Chunk* chunk = nullptr;
  const LoweredGroup* group = nullptr;
  Level level = Level::kRow;  // kLoop: the level it sets
  At from;
  int64_t count = 0, dst_step = 0, src_step = 0;
  const RowClass* rows = nullptr;
  std::vector<Op> body;
};

class RecordingSink final : public Sink {
 public:
  std::vector<Op> kernel;
  int begun = 0, ended = 0, held = 0, released = 0, rows_copies = 0, aligned_runs = 0;

  void begin_kernel() override { ++begun, stack_ = {&kernel}; }
  void end_kernel() override { ++ended; }
  void begin_rows(int, const RowClass& rc) override {
    open(Op{Op::Kind::kRows, {}, 0, nullptr, nullptr, Level::kRow, {}, 0, 0, 0, &rc, {}});
  }
  void end_rows() override { stack_.pop_back(); }
  void begin_loop(Level level, At from, int64_t count) override {
    if (count < 2) throw std::logic_error("a loop of fewer than two iterations");
    Op op;
    op.kind = Op::Kind::kLoop;
    op.level = level, op.from = from, op.count = count;
    open(std::move(op));
  }
  void begin_rows_loop(Level level, At from) override {
    Op op;
    op.kind = Op::Kind::kRowsLoop;
    op.level = level, op.from = from;
    open(std::move(op));
  }
  void end_rows_loop(Level level) override { end_loop(level, 0, 0); }
  void begin_rows_copy(At from, int64_t row_bytes) override {
    Op op;
    op.kind = Op::Kind::kRowsCopy;
    op.from = from, op.count = row_bytes;
    ++rows_copies;
    open(std::move(op));
  }
  void end_rows_copy() override {
    if (stack_.size() < 2 || open_copies_.empty()) throw std::logic_error("a rows copy closed that is not open");
    stack_.pop_back();
    open_copies_.pop_back();
  }
  void end_loop(Level level, int64_t dst_step, int64_t src_step) override {
    Op& loop = *open_ops_.back();
    if (loop.level != level) throw std::logic_error("loops closed out of order");
    loop.dst_step = dst_step, loop.src_step = src_step;
    stack_.pop_back();
    open_ops_.pop_back();
  }
  void align_run(At at) override {
    for (const Op* o : open_ops_) {
      if (o->level == Level::kRun) throw std::logic_error("an aligned run inside a loop at the run level");
    }
    if (at.level == Level::kRun) throw std::logic_error("an aligned run from the run level's own pointers");
    ++aligned_runs;
    run_level_set_ = true;
    add({Op::Kind::kAlignRun, at});
  }
  void move(At at, int width) override { add({Op::Kind::kMove, at, width}); }
  void fill(At at, int width) override { add({Op::Kind::kFill, at, width}); }
  void chunk(At at, const Chunk& c) override {
    Op op{Op::Kind::kChunk, at};
    op.chunk = &c;
    add(std::move(op));
  }
  void group(At at, const LoweredGroup& g) override {
    Op op{Op::Kind::kGroup, at};
    op.group = &g;
    add(std::move(op));
  }
  void hold_group(const LoweredGroup&) override { ++held; }
  void release_group() override { ++released; }

 private:
  void add(Op op) { stack_.back()->push_back(std::move(op)); }
  void open(Op op) {
    if (op.kind == Op::Kind::kLoop || op.kind == Op::Kind::kRowsLoop) {
      // A loop sets its level's pointers: no enclosing loop may use that level, and it starts
      // from a level that is set (the row's, or an enclosing loop's).
      bool from_set = op.from.level == Level::kRow || (op.from.level == Level::kRun && run_level_set_);
      for (const Op* o : open_ops_) {
        if (o->level == op.level || op.level == Level::kRow)
          throw std::logic_error("a loop over an enclosing loop's level");
        from_set = from_set || o->level == op.from.level;
      }
      if (!from_set) throw std::logic_error("a loop from a level no loop has set");
    }
    stack_.back()->push_back(std::move(op));
    Op& opened = stack_.back()->back();
    if (opened.kind == Op::Kind::kLoop || opened.kind == Op::Kind::kRowsLoop) open_ops_.push_back(&opened);
    if (opened.kind == Op::Kind::kRowsCopy) open_copies_.push_back(&opened);
    stack_.push_back(&opened.body);
  }
  std::vector<std::vector<Op>*> stack_;
  std::vector<Op*> open_ops_;
  std::vector<Op*> open_copies_;
  bool run_level_set_ = false;  // by an aligned run
};

// Runs a recorded kernel as the skeleton of walk.h describes it; every byte read or written is
// checked to lie inside its buffer.
class Machine {
 public:
  // `misalignment`: where the output starts past a 64-byte boundary (aligned runs align to it).
  Machine(const Lowering& L, const uint8_t* input, int64_t input_bytes, uint8_t* output, int64_t output_bytes,
          int64_t misalignment = 0)
      : L_(L),
        plan_(*L.plan),
        in_(input),
        in_bytes_(input_bytes),
        out_(output),
        out_bytes_(output_bytes),
        misalignment_(misalignment) {}

  void run(const std::vector<Op>& kernel, int64_t begin, int64_t end) {
    const int64_t R = plan_.rows_per_image;
    for (int64_t t = begin; t < end;) {
      const int64_t b = t / R, r_lo = t % R, r_hi = std::min(R, r_lo + end - t);
      for (const Op& op : kernel) {
        if (op.kind != Op::Kind::kRows) throw std::logic_error("a kernel op outside a row class");
        const int64_t lo = std::max(op.rows->begin, r_lo), hi = std::min(op.rows->end, r_hi);
        for (int64_t r = lo; r < hi; ++r) {
          dst_[0] = b * plan_.dst_image_step + r * plan_.dst_row_step;
          src_[0] = b * plan_.src_image_step + plan_.src_origin + r * plan_.src_row_step;
          rows_ = hi - lo;
          execute(op.body);
          if (plan_.rows_inside) break;  // the rows loops inside cover the class's rows
        }
      }
      t += r_hi - r_lo;
    }
  }

 private:
  int64_t dst(At at) const { return dst_[static_cast<int>(at.level)] + at.dst; }
  int64_t src(At at) const { return src_[static_cast<int>(at.level)] + at.src; }
  uint8_t* write(int64_t at, int64_t n) {
    if (at < 0 || at + n > out_bytes_)
      throw std::out_of_range(cat("a write of ", n, " bytes at ", at, " of ", out_bytes_));
    return out_ + at;
  }
  const uint8_t* read(int64_t at, int64_t n) const {
    if (at < 0 || at + n > in_bytes_)
      throw std::out_of_range(cat("a read of ", n, " bytes at ", at, " of ", in_bytes_));
    return in_ + at;
  }

  void execute(const std::vector<Op>& ops) {
    for (const Op& op : ops) {
      switch (op.kind) {
        case Op::Kind::kMove:
          std::memcpy(write(dst(op.at), op.width), read(src(op.at), op.width), op.width);
          break;
        case Op::Kind::kFill: {
          uint8_t* to = write(dst(op.at), op.width);
          for (int i = 0; i < op.width; ++i) to[i] = L_.pattern[static_cast<size_t>(i % 64)];
          break;
        }
        case Op::Kind::kChunk:
          chunk(op.at, *op.chunk);
          break;
        case Op::Kind::kAlignRun: {
          const int64_t vector = L_.target.vector_bytes, from = dst(op.at);
          const int64_t aligned = (misalignment_ + from + vector) / vector * vector - misalignment_;
          const int l = static_cast<int>(Level::kRun);
          src_[l] = src(op.at) + (aligned - from), dst_[l] = aligned;
          break;
        }
        case Op::Kind::kGroup:
          group(op.at, *op.group->group);
          break;
        case Op::Kind::kLoop: {
          const int l = static_cast<int>(op.level);
          dst_[l] = dst(op.from), src_[l] = src(op.from);
          for (int64_t i = 0; i < op.count; ++i) {
            execute(op.body);
            dst_[l] += op.dst_step, src_[l] += op.src_step;
          }
          break;
        }
        case Op::Kind::kRowsLoop: {
          if (!plan_.rows_inside) throw std::logic_error("a rows loop in a plan with rows outside");
          const int l = static_cast<int>(op.level);
          dst_[l] = dst(op.from), src_[l] = src(op.from);
          for (int64_t i = 0; i < rows_; ++i) {
            execute(op.body);
            dst_[l] += plan_.dst_row_step, src_[l] += plan_.src_row_step;
          }
          break;
        }
        case Op::Kind::kRowsCopy: {
          // At least a vector: one contiguous copy; else its body (the rows loop).
          const int64_t total = rows_ * op.count;
          if (total < L_.target.vector_bytes) {
            execute(op.body);
          } else {
            std::memmove(write(dst(op.from), total), read(src(op.from), total), static_cast<size_t>(total));
          }
          break;
        }
        case Op::Kind::kRows:
          throw std::logic_error("a row class inside a row class");
      }
    }
  }

  // A masked load touches only its enabled lanes; a gather's span is put in place by a permute.
  void chunk(At at, const Chunk& c) {
    uint8_t reg[64];
    for (int i = 0; i < 64; ++i) reg[i] = c.filled && !L_.zero_pattern ? L_.pattern[i] : 0;
    for (const ChunkLoad& load : c.loads) {
      uint8_t span[64] = {};
      const uint64_t read_lanes = load.permute < 0 ? load.lanes : load.span_lanes;
      for (int i = 0; i < 64; ++i) {
        if ((read_lanes >> i) & 1) span[i] = *read(src(at) + load.src + i, 1);
      }
      for (int i = 0; i < 64; ++i) {
        if (!((load.lanes >> i) & 1)) continue;
        reg[i] = load.permute < 0 ? span[i] : span[L_.permutes.entries()[load.permute][i] & 63];
      }
    }
    std::memcpy(write(dst(at) + c.dst, c.bytes), reg, c.bytes);
  }

  void group(At at, const PixelGroup& g) {
    std::vector<std::array<uint8_t, 128>> windows;
    for (const GroupWindow& w : g.windows) {
      std::array<uint8_t, 128> bytes{};
      std::memcpy(bytes.data(), read(src(at) + w.src, w.bytes), w.bytes);
      windows.push_back(bytes);
    }
    for (const GroupChunk& c : g.chunks) {
      uint8_t reg[64] = {};
      for (const GroupPart& part : c.parts) {
        const auto& w = windows[static_cast<size_t>(part.window)];
        const bool two = g.windows[static_cast<size_t>(part.window)].bytes >= 64;
        for (int i = 0; i < 64; ++i) reg[i] |= w[part.index[i] & (two ? 127 : 63)];
      }
      for (int i = 0; i < 64; ++i) {
        if (((c.fill_lanes >> i) & 1) && !L_.zero_pattern) reg[i] = L_.pattern[i];
      }
      std::memcpy(write(dst(at) + c.dst, c.bytes), reg, c.bytes);
    }
  }

  const Lowering& L_;
  const Plan& plan_;
  const uint8_t* in_;
  int64_t in_bytes_;
  uint8_t* out_;
  int64_t out_bytes_;
  int64_t misalignment_ = 0;
  int64_t dst_[kLevels] = {}, src_[kLevels] = {};
  int64_t rows_ = 0;  // rows of the current class in this image's share of the range
};

struct TargetCase {
  const char* name;
  Target target;
  PlanOptions options;
};

std::vector<TargetCase> targets() {
  Target avx512{"avx512", 64, 64, true, 8, 11, 7, true};
  Target avx2{"avx2", 32, 32, false, 0, 0, 0, true};
  PlanOptions o512, o256, llvm64, llvm16;
  o512.vector_bytes = 64, o512.group_pixels = true;
  o256.vector_bytes = 32;
  llvm64.vector_bytes = 64, llvm64.unroll_budget = 32, llvm64.group_pixels = true;
  llvm64.max_unrolled_run_bytes = llvm64.run_block_bytes = 512;
  llvm16.vector_bytes = 16, llvm16.unroll_budget = 32, llvm16.max_unrolled_run_bytes = llvm16.run_block_bytes = 128;
  return {{"avx512", avx512, o512},
          {"avx2", avx2, o256},
          {"llvm 64", {"llvm", 64, 128, false, 0, 0, 0}, llvm64},
          {"llvm 16", {"llvm", 16, 32, false, 0, 0, 0}, llvm16}};
}

// How many planes each rows loop of a recorded kernel writes, in order (its ops at the rows
// loop's level: aligned runs add ops relative to the run's own pointers, inside the same planes).
void planes_of_rows_loops(const std::vector<Op>& ops, int64_t plane, std::vector<int64_t>* out) {
  for (const Op& op : ops) {
    if (op.kind != Op::Kind::kRowsLoop) {
      planes_of_rows_loops(op.body, plane, out);
      continue;
    }
    std::set<int64_t> planes;
    for (const Op& inner : op.body) {
      if (inner.at.level == op.level) planes.insert(inner.at.dst / plane);
    }
    out->push_back(static_cast<int64_t>(planes.size()));
  }
}

TEST(Walk, ExecutedWalksMatchGoldenOnEveryTarget) {
  const uint64_t seed = testing::test_seed();
  std::mt19937_64 rng(seed);
  const int64_t n = testing::scaled(3000);
  int64_t kernels = 0, chunked = 0, grouped = 0, rows_copied = 0, aligned = 0, planes_shared = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Spec spec = testing::random_spec(rng);
    const Geometry g = *make_geometry(spec);
    if (g.empty()) continue;
    const std::vector<TargetCase> all = targets();
    const TargetCase& t = all[rng() % all.size()];
    Expected<Plan> plan = make_plan(g, testing::random_options(rng, t.options));
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    if (plan->generic) continue;
    const Lowering lowering = lower(*plan, t.target);
    RecordingSink recorded;
    walk(lowering, recorded);
    ASSERT_EQ(recorded.begun, 1);
    ASSERT_EQ(recorded.ended, 1);
    ASSERT_EQ(recorded.held, recorded.released);
    ++kernels;
    rows_copied += recorded.rows_copies > 0;
    for (const LoweredProgram& p : lowering.programs) chunked += p.by_chunks;
    grouped += testing::has_pixel_groups(*plan);
    std::vector<int64_t> planes;
    planes_of_rows_loops(recorded.kernel, g.patch_steps.element, &planes);
    planes_shared += std::any_of(planes.begin(), planes.end(), [](int64_t p) { return p > 1; });

    const std::vector<uint8_t> input = testing::random_bytes(rng, g.input_bytes());
    const testing::ExpectedOutput want = testing::expected_output(g, input.data(), rng);
    std::vector<uint8_t> output = want.poison;
    Machine machine(lowering, input.data(), g.input_bytes(), output.data(), g.output_bytes(),
                    static_cast<int64_t>(rng() % 64));
    aligned += recorded.aligned_runs > 0;
    const int64_t rows = g.total_rows(), cut = static_cast<int64_t>(rng() % (rows + 1));
    try {
      machine.run(recorded.kernel, 0, cut);
      machine.run(recorded.kernel, cut, rows);
    } catch (const std::exception& e) {
      FAIL() << t.name << " " << testing::describe(spec) << ": " << e.what() << "\n"
             << to_string(*plan) << "seed " << seed;
    }
    if (auto m = first_mismatch(g, want.expected.data(), output.data())) {
      FAIL() << t.name << " " << testing::describe(spec) << ": " << describe(g, *m, want.expected.data(), output.data())
             << "\n"
             << to_string(*plan) << "seed " << seed << " (PATCHJIT_SEED replays)";
    }
  }
  std::cout << n << " random specs, " << kernels << " walks executed (" << chunked << " programs by chunks, " << grouped
            << " kernels with groups, " << rows_copied << " with rows copies, " << aligned << " with aligned runs, "
            << planes_shared << " with rows loops over several planes; seed " << seed << ")\n";
  if (n >= 1000) {
    EXPECT_GT(aligned, n / 200);
    EXPECT_GT(rows_copied, n / 200);
    EXPECT_GT(chunked, n / 20);
    EXPECT_GT(grouped, n / 200);
    EXPECT_GT(planes_shared, n / 200);
  }
}

// Runs a recorded kernel over all rows of random input into a poisoned output and compares it
// with the golden loops'.
void expect_golden(const Lowering& lowering, const RecordingSink& recorded, const Spec& spec, std::mt19937_64& rng) {
  const Geometry& g = lowering.plan->geometry;
  const std::vector<uint8_t> input = testing::random_bytes(rng, g.input_bytes());
  const testing::ExpectedOutput want = testing::expected_output(g, input.data(), rng);
  std::vector<uint8_t> output = want.poison;
  Machine machine(lowering, input.data(), g.input_bytes(), output.data(), g.output_bytes());
  machine.run(recorded.kernel, 0, g.total_rows());
  if (auto m = first_mismatch(g, want.expected.data(), output.data())) {
    ADD_FAILURE() << testing::describe(spec) << ": " << describe(g, *m, want.expected.data(), output.data()) << "\n"
                  << to_string(*lowering.plan);
  }
}

// Strided output rows of the torch format on AVX-512: their gathers are written by chunks
// (span loads and byte permutes), and the executed walk matches the golden loops.
TEST(Walk, StridedTorchRowsGatherByChunks) {
  std::mt19937_64 rng(testing::test_seed());
  for (DType t : {DType::kUInt8, DType::kHalf, DType::kFloat32, DType::kFloat64}) {
    for (int64_t w : {9, 40, 133}) {
      Spec spec = square_spec(t, {2, 2, 5, w}, 3, 2, 1, Padding::kSame);
      spec.format = kTorchFormat;
      const Geometry g = *make_geometry(spec);
      const TargetCase avx512 = targets()[0];
      Expected<Plan> plan = make_plan(g, avx512.options);
      ASSERT_TRUE(plan.ok()) << plan.status().message();
      const Lowering lowering = lower(*plan, avx512.target);
      EXPECT_FALSE(lowering.gathers.empty()) << to_string(*plan);
      RecordingSink recorded;
      walk(lowering, recorded);
      expect_golden(lowering, recorded, spec, rng);
    }
  }
}

// Dilated taps of any length whose kernel row spans at most a vector are permuted into chunks
// on AVX-512 (int8 depth 7 and 3 at rate 2: 7- and 3-byte pieces, some straddling two chunks;
// int16 depth 5: 10-byte pieces), and the executed walk matches the golden loops.
TEST(Walk, DilatedTapsOfAnyLengthArePermutedIntoChunks) {
  std::mt19937_64 rng(testing::test_seed());
  const TargetCase avx512 = targets()[0];
  for (const auto& [t, depth] : {std::pair{DType::kInt8, 7}, std::pair{DType::kInt8, 3}, std::pair{DType::kInt16, 5}}) {
    const Spec spec = square_spec(t, {2, 13, 11, depth}, 5, 2, 2, Padding::kSame);
    const Geometry g = *make_geometry(spec);
    Expected<Plan> plan = make_plan(g, avx512.options);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    const Lowering lowering = lower(*plan, avx512.target);
    bool straddles = false, chunked = false;
    for (const LoweredProgram& p : lowering.programs) {
      chunked = chunked || p.by_chunks;
      for (const Chunk& c : p.chunks) {
        for (const ChunkLoad& load : c.loads) straddles = straddles || (load.permute >= 0 && (load.lanes >> 63) & 1);
      }
    }
    EXPECT_TRUE(chunked) << to_string(*plan);
    if (depth == 7) EXPECT_TRUE(straddles) << "no gather reaches a chunk's last lane";
    RecordingSink recorded;
    walk(lowering, recorded);
    expect_golden(lowering, recorded, spec, rng);
  }
}

// The torch format's taps of one channel share a rows loop where a loop's sweep of input rows
// outgrows L1 (PlanOptions::planes_from_input_bytes), up to planes_per_rows_loop planes, shared
// out evenly (49 taps of a 7x7 kernel: 13, 12, 12, 12), the whole-row copy of a stride-1
// kernel's middle column among them (a rows copy of its own would read the input once more);
// where the sweep fits, a loop a plane, and that copy a rows copy.
TEST(Walk, ChannelTapsShareRowsLoopsWhereTheInputOutgrowsL1) {
  struct Case {
    Vec4 image;
    int64_t k, s;
    std::vector<int64_t> planes;  // some channel's loops, in order; {1}: one plane every loop
  };
  // Sweeps: 32 output rows x 2 input rows of 96 floats (24 KiB); 64 x 1 x 96 floats (24 KiB);
  // 3 x 2 x 8 and 6 x 1 x 8 floats (192 bytes).
  const Case cases[] = {{{1, 2, 64, 96}, 7, 2, {13, 12, 12, 12}},
                        {{1, 2, 64, 96}, 3, 1, {9}},
                        {{1, 2, 6, 8}, 7, 2, {1}},
                        {{1, 2, 6, 8}, 3, 1, {1}}};
  std::mt19937_64 rng(testing::test_seed());
  const TargetCase avx512 = targets()[0];
  for (const Case& c : cases) {
    Spec spec = square_spec(DType::kFloat32, c.image, c.k, c.s, 1, Padding::kSame);
    spec.format = kTorchFormat;
    const Geometry g = *make_geometry(spec);
    Expected<Plan> plan = make_plan(g, avx512.options);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    const bool wide = c.planes != std::vector<int64_t>{1};
    EXPECT_EQ(plan->planes_per_rows_loop, wide ? 16 : 1);
    const Lowering lowering = lower(*plan, avx512.target);
    RecordingSink recorded;
    walk(lowering, recorded);
    std::vector<int64_t> planes;
    planes_of_rows_loops(recorded.kernel, g.patch_steps.element, &planes);
    ASSERT_FALSE(planes.empty());
    const std::string context = testing::describe(spec) + "\n" + to_string(*plan);
    if (wide) {
      // Every row class has a step (a copy, gather or fill) in each of a channel's planes.
      for (int64_t n : planes) EXPECT_LE(n, 16) << context;
      EXPECT_NE(std::search(planes.begin(), planes.end(), c.planes.begin(), c.planes.end()), planes.end()) << context;
      EXPECT_EQ(recorded.rows_copies, 0) << context;
    } else {
      for (int64_t n : planes) EXPECT_EQ(n, 1) << context;
      if (c.s == 1) EXPECT_GT(recorded.rows_copies, 0) << context;
    }
    expect_golden(lowering, recorded, spec, rng);
  }
}

// Runs are cut into moves that cover them exactly, never outside, widest first.
TEST(Walk, RunsAreCutExactly) {
  for (const TargetCase& t : targets()) {
    for (int64_t bytes = 1; bytes <= 300; ++bytes) {
      std::vector<int> covered(static_cast<size_t>(bytes), 0);
      int moves = 0;
      cut_run(t.target, bytes, 0, [&](int64_t offset, int width) {
        ASSERT_GE(offset, 0);
        ASSERT_LE(offset + width, bytes) << t.name << " " << bytes;
        ASSERT_TRUE(width > 0 && (width & (width - 1)) == 0 && width <= t.target.max_move_bytes);
        for (int64_t i = offset; i < offset + width; ++i) covered[static_cast<size_t>(i)] = 1;
        ++moves;
      });
      for (int c : covered) ASSERT_EQ(c, 1) << t.name << " " << bytes;
      EXPECT_LE(moves, bytes / t.target.max_move_bytes + 2) << t.name << " " << bytes;
    }
  }
}

// A run may reach up to its spill past its end: then a run shorter than a vector that is no
// move width is one move of the next one, and only then does a move pass the end.
TEST(Walk, RunsSpillIntoOneWiderMove) {
  for (const TargetCase& t : targets()) {
    for (int64_t bytes = 1; bytes <= 130; ++bytes) {
      for (int64_t spill = 0; spill <= 40; ++spill) {
        int64_t wider = 1;
        while (wider < bytes) wider *= 2;
        const bool one = bytes < t.target.vector_bytes && wider - bytes <= spill;
        std::vector<int> covered(static_cast<size_t>(bytes), 0);
        int moves = 0;
        int64_t reach = 0;
        cut_run(t.target, bytes, spill, [&](int64_t offset, int width) {
          ASSERT_GE(offset, 0);
          ASSERT_TRUE(width > 0 && (width & (width - 1)) == 0 && width <= t.target.max_move_bytes);
          for (int64_t i = offset; i < std::min<int64_t>(offset + width, bytes); ++i) covered[static_cast<size_t>(i)] = 1;
          reach = std::max(reach, offset + width);
          ++moves;
        });
        const std::string context = std::string(t.name) + " " + std::to_string(bytes) + " spill " + std::to_string(spill);
        for (int c : covered) ASSERT_EQ(c, 1) << context;
        EXPECT_EQ(reach, one ? wider : bytes) << context;
        if (one) EXPECT_EQ(moves, 1) << context;
      }
    }
  }
}

// The kernel's masks, ranked by use: no more kept than the target has registers for (one left
// to load the others), the most used first.
TEST(Lowering, MasksAreRankedByUse) {
  Spec spec;
  spec.dtype = DType::kUInt8;
  spec.image_shape = {1, 30, 30, 3};
  spec.ksizes = {1, 7, 7, 1};
  spec.strides = {1, 2, 2, 1};
  PlanOptions options;
  options.group_pixels = true;
  Expected<Plan> plan = make_plan(*make_geometry(spec), options);
  ASSERT_TRUE(plan.ok());
  Target t{"avx512", 64, 64, true, 8, 11, 7};
  const Lowering lowering = lower(*plan, t);
  EXPECT_LE(static_cast<int>(lowering.preloaded_masks.size()), t.mask_registers);
  t.mask_registers = 3;
  const Lowering fewer = lower(*plan, t);
  ASSERT_LE(fewer.preloaded_masks.size(), 3u);
  // The few kept are the first of the full ranking.
  for (size_t i = 0; i < fewer.preloaded_masks.size() && i < lowering.preloaded_masks.size(); ++i) {
    EXPECT_EQ(fewer.preloaded_masks[i], lowering.preloaded_masks[i]);
  }
}

// Where stores would straddle cache lines the lowering says how to avoid it: long runs align
// at run time wherever an output place is not a whole number of vectors, and where every place
// is a whole number of half vectors, AVX-512 moves half vectors and assembles no chunks.
TEST(Lowering, StoresThatWouldStraddleLinesAreAvoided) {
  const Target avx512{"avx512", 64, 64, true, 8, 11, 7, true};
  PlanOptions options;
  options.group_pixels = true;
  std::vector<std::unique_ptr<Plan>> plans;  // each lowering points at its plan
  const auto lowered = [&](DType dtype, int64_t depth, int64_t kh, int64_t kw) {
    Spec spec;
    spec.dtype = dtype;
    spec.image_shape = {2, 20, 20, depth};
    spec.ksizes = {1, kh, kw, 1};
    spec.padding = Padding::kValid;
    plans.push_back(std::make_unique<Plan>(*make_plan(*make_geometry(spec), options)));
    return lower(*plans.back(), avx512);
  };
  // complex128 depth 2: 32-byte taps, 480-byte pixels.
  const Lowering halves = lowered(DType::kComplex128, 2, 5, 3);
  EXPECT_EQ(halves.target.max_move_bytes, 32);
  EXPECT_FALSE(halves.target.chunks);
  EXPECT_EQ(halves.aligned_runs.from_bytes, 256);
  // float32 depth 16: 64-byte taps, every place a whole number of vectors.
  const Lowering whole = lowered(DType::kFloat32, 16, 3, 3);
  EXPECT_EQ(whole.target.max_move_bytes, 64);
  EXPECT_TRUE(whole.target.chunks);
  EXPECT_EQ(whole.aligned_runs.from_bytes, 0);
  // float32 depth 3: 12-byte taps, neither.
  const Lowering odd = lowered(DType::kFloat32, 3, 3, 3);
  EXPECT_EQ(odd.target.max_move_bytes, 64);
  EXPECT_EQ(odd.aligned_runs.from_bytes, 256);
}

// Chunk layouts are data: every lane of a chunk is loaded once or filled, and loads never
// reach past the bytes the program's steps read.
TEST(Lowering, ChunkLayoutsCoverEveryLaneOnce) {
  std::mt19937_64 rng(testing::test_seed());
  PlanOptions options;
  for (int i = 0; i < 300; ++i) {
    const Geometry g = *make_geometry(testing::random_spec(rng));
    if (g.empty()) continue;
    Expected<Plan> plan = make_plan(g, options);
    if (!plan.ok() || plan->generic || plan->whole_rows) continue;
    for (const PixelProgram& p : plan->programs) {
      if (!chunkable(p, options) || g.patch_steps.element != g.elem_size) continue;
      PermuteTable table;
      for (const Chunk& c : chunks_of(p, &table)) {
        uint64_t seen = 0;
        for (const ChunkLoad& load : c.loads) {
          EXPECT_EQ(seen & load.lanes, 0u) << "two loads fill one lane";
          seen |= load.lanes;
        }
        const uint64_t all = c.bytes == 64 ? ~uint64_t{0} : (uint64_t{1} << c.bytes) - 1;
        EXPECT_EQ(seen & ~all, 0u) << "a load beyond the chunk";
        if (seen != all) EXPECT_TRUE(c.filled) << "lanes neither loaded nor filled";
      }
    }
  }
}

}  // namespace
}  // namespace pj
