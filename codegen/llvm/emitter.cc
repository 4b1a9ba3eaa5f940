// The LLVM IR emitter: a Sink of the walk (codegen/lower/walk.h) on the skeleton, loops and
// pointers of ir_base.h.
//
// The IR says exactly which moves to make, and says it in a way that spares LLVM from
// rediscovering it; measured on this machine, LLVM's O2 pipeline and instruction selection
// cost about 100 us per move otherwise, most of it in passes that can improve nothing here:
// - moves are volatile: no pass may drop, merge or reorder them, so dead-store elimination,
//   GVN, loop access analysis and the schedulers skip their pairwise alias queries (quadratic
//   in the moves of a block);
// - moves are up to two vectors wide (LLVM splits them into vector instructions), halving the
//   IR a run needs;
// - loop pointers are opaque to scalar evolution (ir_base.h).
#include "codegen/llvm/emitter.h"

#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <array>
#include <vector>

#include "codegen/llvm/ir_base.h"
#include "codegen/lower/walk.h"

namespace pj {
namespace {

bool is_power_of_two(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

class KernelBuilder final : public IrBase, public Sink {
 public:
  KernelBuilder(const Lowering& lowering, const std::string& name, llvm::Module& module)
      : IrBase(name, module, lowering.target.vector_bytes), L_(lowering), plan_(*lowering.plan) {}

  llvm::Function* function() const { return function_; }

  // ---- skeleton (walk.h) ----

  void begin_kernel() override {
    enter(plan_.rows_per_image, plan_.dst_image_step, plan_.src_image_step, plan_.src_origin);
    row_dst_ = variable(ptr_, "row_dst");
    row_src_ = variable(ptr_, "row_src");
    rows_left_ = variable(i64_, "rows_left");
  }

  void begin_rows(int, const RowClass& rc) override {
    llvm::Value* lo = b_.CreateLoad(i64_, r_lo_);
    lo = b_.CreateSelect(b_.CreateICmpSLT(lo, b_.getInt64(rc.begin)), b_.getInt64(rc.begin), lo);
    llvm::Value* hi = b_.CreateLoad(i64_, r_hi_);
    hi = b_.CreateSelect(b_.CreateICmpSGT(hi, b_.getInt64(rc.end)), b_.getInt64(rc.end), hi);
    llvm::BasicBlock* rows = block("rows");
    skip_ = block("rows.end");
    b_.CreateCondBr(b_.CreateICmpSLT(lo, hi), rows, skip_);
    b_.SetInsertPoint(rows);
    b_.CreateStore(b_.CreateSub(hi, lo), rows_left_);
    b_.CreateStore(b_.CreatePtrAdd(b_.CreateLoad(ptr_, dst_image_), b_.CreateMul(lo, b_.getInt64(plan_.dst_row_step))),
                   row_dst_);
    b_.CreateStore(b_.CreatePtrAdd(b_.CreateLoad(ptr_, src_image_), b_.CreateMul(lo, b_.getInt64(plan_.src_row_step))),
                   row_src_);
    if (!plan_.rows_inside) {  // else the rows loops count rows_left (begin_rows_loop)
      row_top_ = block("row");
      b_.CreateBr(row_top_);
      b_.SetInsertPoint(row_top_);
    }
    row_dst_value_ = b_.CreateLoad(ptr_, row_dst_);
    row_src_value_ = b_.CreateLoad(ptr_, row_src_);
    set_level(Level::kRow, row_dst_value_, row_src_value_);
  }

  void end_rows() override {
    if (plan_.rows_inside) {
      b_.CreateBr(skip_);
      b_.SetInsertPoint(skip_);
      return;
    }
    b_.CreateStore(b_.CreatePtrAdd(row_dst_value_, b_.getInt64(plan_.dst_row_step)), row_dst_);
    b_.CreateStore(b_.CreatePtrAdd(row_src_value_, b_.getInt64(plan_.src_row_step)), row_src_);
    llvm::Value* left = b_.CreateSub(b_.CreateLoad(i64_, rows_left_), b_.getInt64(1));
    b_.CreateStore(left, rows_left_);
    back_edge(b_.CreateICmpNE(left, b_.getInt64(0)), row_top_, skip_);
    b_.SetInsertPoint(skip_);
  }

  void end_kernel() override {
    next_image();
    leave(plan_.options.nontemporal);  // non-temporal stores are weakly ordered: published first
  }

  // ---- loops ----

  void begin_loop(Level level, At from, int64_t count) override { open_loop(level, from, b_.getInt64(count)); }

  void begin_rows_loop(Level level, At from) override { open_loop(level, from, b_.CreateLoad(i64_, rows_left_)); }

  void end_rows_loop(Level level) override { end_loop(level, plan_.dst_row_step, plan_.src_row_step); }

  void begin_rows_copy(At, int64_t) override { failed_ = "the llvm target has no rows copies"; }
  void end_rows_copy() override {}

  void end_loop(Level, int64_t dst_step, int64_t src_step) override { close_loop(dst_step, src_step); }

  // The first vector-aligned dst after `at`'s, src moved by as much (walk.h).
  void align_run(At at) override {
    llvm::Value* dst = pointer(at.level, true, at.dst);
    llvm::Value* src = pointer(at.level, false, at.src);
    const int64_t vector = L_.target.vector_bytes;
    llvm::Value* address = b_.CreatePtrToInt(dst, i64_);
    llvm::Value* delta =
        b_.CreateSub(b_.CreateAnd(b_.CreateAdd(address, b_.getInt64(vector)), b_.getInt64(-vector)), address);
    set_level(Level::kRun, b_.CreatePtrAdd(dst, delta), b_.CreatePtrAdd(src, delta));
  }

  // ---- moves ----

  void move(At at, int width) override {
    constexpr bool kVolatile = true;  // see the top of this file
    llvm::Type* type = move_type(width);
    llvm::Value* value = b_.CreateAlignedLoad(type, pointer(at.level, false, at.src), llvm::Align(1), kVolatile);
    store(value, at, width);
  }

  void fill(At at, int width) override { store(pattern_constant(width), at, width); }

  // A chunk (codegen/lower/chunks.h): the pad pattern, or zeros, then each load merged into its
  // lanes (a plain one masked to them; a gather's span loaded under its mask and shuffled into
  // place), then one store.
  void chunk(At at, const Chunk& c) override {
    auto* type = llvm::FixedVectorType::get(b_.getInt8Ty(), 64);
    llvm::Value* chunk = c.filled && !L_.zero_pattern ? static_cast<llvm::Value*>(pattern_constant(64))
                                                      : llvm::Constant::getNullValue(type);
    for (const ChunkLoad& load : c.loads) {
      llvm::Value* from = pointer(at.level, false, at.src + load.src);
      if (load.permute < 0) {
        chunk = b_.CreateMaskedLoad(type, from, llvm::Align(1), lanes(load.lanes), chunk);
        continue;
      }
      llvm::Value* span =
          b_.CreateMaskedLoad(type, from, llvm::Align(1), lanes(load.span_lanes), llvm::Constant::getNullValue(type));
      const std::array<uint8_t, 64>& index = L_.permutes.entries()[static_cast<size_t>(load.permute)];
      llvm::Value* placed = b_.CreateShuffleVector(span, std::vector<int>(index.begin(), index.end()));
      chunk = b_.CreateSelect(lanes(load.lanes), placed, chunk);
    }
    store_chunk(chunk, at, c.dst, c.bytes);
  }

  void hold_group(const LoweredGroup&) override {}
  void release_group() override {}

  // Window loads, one shuffle per part, ORed (parts fill disjoint lanes, zeros elsewhere), the
  // pad pattern in its lanes, then a store per chunk (masked at the end of a partial group).
  void group(At at, const LoweredGroup& lowered) override {
    const PixelGroup& group = *lowered.group;
    auto* type = llvm::FixedVectorType::get(b_.getInt8Ty(), 64);
    std::vector<std::pair<llvm::Value*, llvm::Value*>> windows;  // first and second 64 bytes
    for (const GroupWindow& w : group.windows) {
      llvm::Value* low = masked_load(pointer(at.level, false, at.src + w.src), std::min<int64_t>(w.bytes, 64));
      llvm::Value* high = w.bytes > 64 ? masked_load(pointer(at.level, false, at.src + w.src + 64), w.bytes - 64)
                                       : llvm::Constant::getNullValue(type);
      windows.push_back({low, high});
    }
    for (const GroupChunk& c : group.chunks) {
      llvm::Value* chunk = llvm::Constant::getNullValue(type);
      for (const GroupPart& part : c.parts) {
        const auto& [low, high] = windows[static_cast<size_t>(part.window)];
        std::vector<int> index(part.index.begin(), part.index.end());
        llvm::Value* bytes = b_.CreateShuffleVector(low, high, index);
        chunk = c.parts.size() == 1 ? bytes : b_.CreateOr(chunk, bytes);
      }
      if (c.fill_lanes != 0 && !L_.zero_pattern)
        chunk = b_.CreateSelect(lanes(c.fill_lanes), pattern_constant(64), chunk);
      store_chunk(chunk, at, c.dst, c.bytes);
    }
  }

  const std::string& failed() const { return failed_; }

 private:
  // Byte vectors from 16 bytes up, integers below.
  llvm::Type* move_type(int64_t width) {
    return width >= 16 ? static_cast<llvm::Type*>(llvm::FixedVectorType::get(b_.getInt8Ty(), width))
                       : b_.getIntNTy(static_cast<unsigned>(width * 8));
  }

  // The pad pattern as a value of `width` bytes (its first bytes: fills start on elements).
  llvm::Constant* pattern_constant(int64_t width) {
    if (width >= 16) {
      std::vector<uint8_t> bytes(static_cast<size_t>(width));
      for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = L_.pattern[i % 64];
      return llvm::ConstantDataVector::get(context_, llvm::ArrayRef<uint8_t>(bytes));
    }
    uint64_t value = 0;
    for (int64_t i = width - 1; i >= 0; --i) value = value << 8 | L_.pattern[static_cast<size_t>(i)];
    return llvm::ConstantInt::get(move_type(width), value);
  }

  void store(llvm::Value* value, At at, int width) {
    // Streaming plans write whole, aligned cache lines on an output the runtime checked is
    // 64-byte aligned: non-temporal stores, which LLVM emits only for stores it knows aligned.
    const bool streaming = plan_.options.nontemporal && width % 64 == 0;
    llvm::StoreInst* store =
        b_.CreateAlignedStore(value, pointer(at.level, true, at.dst), llvm::Align(streaming ? 64 : 1), true);
    if (streaming) {
      store->setMetadata(llvm::LLVMContext::MD_nontemporal,
                         llvm::MDNode::get(context_, llvm::ConstantAsMetadata::get(b_.getInt32(1))));
    }
  }

  // A chunk's `bytes` (64, or fewer at the end of a pixel, step or group) at `dst` from `at`.
  void store_chunk(llvm::Value* chunk, At at, int64_t dst, int64_t bytes) {
    llvm::Value* to = pointer(at.level, true, at.dst + dst);
    if (bytes == 64) {
      b_.CreateAlignedStore(chunk, to, llvm::Align(1), true);
    } else {
      b_.CreateMaskedStore(chunk, to, llvm::Align(1), lanes(lane_mask(0, bytes)));
    }
  }

  // The mask of the set lanes of 64.
  llvm::Constant* lanes(uint64_t set) {
    std::vector<llvm::Constant*> mask;
    for (int i = 0; i < 64; ++i) mask.push_back(b_.getInt1((set >> i) & 1));
    return llvm::ConstantVector::get(mask);
  }

  // `count` bytes from `at` (the rest zeros), in one masked load.
  llvm::Value* masked_load(llvm::Value* at, int64_t count) {
    auto* type = llvm::FixedVectorType::get(b_.getInt8Ty(), 64);
    if (count == 64) return b_.CreateAlignedLoad(type, at, llvm::Align(1), true);
    return b_.CreateMaskedLoad(type, at, llvm::Align(1), lanes(lane_mask(0, count)),
                               llvm::Constant::getNullValue(type));
  }

  const Lowering& L_;
  const Plan& plan_;
  llvm::Value *row_dst_ = nullptr, *row_src_ = nullptr, *rows_left_ = nullptr;
  llvm::Value *row_dst_value_ = nullptr, *row_src_value_ = nullptr;
  llvm::BasicBlock *row_top_ = nullptr, *skip_ = nullptr;
  std::string failed_;
};

Status check_emittable(const Plan& plan, const LlvmTarget& target) {
  if (plan.generic) return Internal("emit_llvm_ir: generic plans have no regions to emit");
  if (!is_power_of_two(target.vector_bytes) || target.vector_bytes < 16 || target.vector_bytes > 64) {
    return Internal("emit_llvm_ir: vector width ", target.vector_bytes, " is not 16, 32 or 64 bytes");
  }
  return Status::Ok();
}

// Builds the kernel into `module`; the IR is checked by the caller.
Status build(const Plan& plan, const LlvmTarget& target, const std::string& name, llvm::Module& module,
             llvm::Function** function) {
  PJ_RETURN_IF_ERROR(check_emittable(plan, target));
  const Lowering lowering = lower(plan, walk_target(target));
  KernelBuilder builder(lowering, name, module);
  walk(lowering, builder);
  if (!builder.failed().empty()) return Internal("emit_llvm_ir: ", builder.failed());
  *function = builder.function();
  return Status::Ok();
}

// Chunks and pixel groups where a 64-byte shuffle is one byte permute (VBMI).
bool has_chunks(const LlvmTarget& target) { return target.vector_bytes == 64 && target.byte_permutes; }

}  // namespace

PlanOptions plan_options_for(const LlvmTarget& target) {
  PlanOptions options;
  options.vector_bytes = target.vector_bytes;
  // Less unrolling than the Xbyak kernels: a move costs LLVM about a hundred times the compile
  // time it costs Xbyak, and on the suite loops over blocks of more than 32 moves, or over runs
  // of more than 8 vectors, ran as fast as the unrolled code.
  options.unroll_budget = 32;
  options.max_unrolled_run_bytes = 8 * target.vector_bytes;
  options.run_block_bytes = 8 * target.vector_bytes;
  options.loop_rows_from_moves = options.unroll_budget;  // rows loop by the budget alone, as measured
  options.group_pixels = has_chunks(target);
  // Its chunks (walk_target): a gather of a torch-format stem's 112 columns is 7-14 of them, not
  // 112 moves over the budget and a loop over elements.
  options.chunk_gathers = has_chunks(target);
  return options;
}

Target walk_target(const LlvmTarget& target) {
  Target t;
  t.name = "llvm";
  t.vector_bytes = target.vector_bytes;
  t.max_move_bytes = 2 * target.vector_bytes;
  t.chunks = has_chunks(target);
  return t;
}

std::string llvm_kernel_name(const Plan& plan) { return cat("eip_llvm_", plan.name()); }

Expected<std::unique_ptr<llvm::Module>> emit_llvm_ir(const Plan& plan, const LlvmTarget& target,
                                                     llvm::LLVMContext& context) {
  auto module = std::make_unique<llvm::Module>(llvm_kernel_name(plan), context);
  PJ_RETURN_IF_ERROR(emit_llvm_kernel(plan, target, llvm_kernel_name(plan), *module));
  return module;
}

Status emit_llvm_kernel(const Plan& plan, const LlvmTarget& target, const std::string& name, llvm::Module& module) {
  if (module.getNamedValue(name) != nullptr) return Internal("emit_llvm_kernel: ", name, " is already defined");
  llvm::Function* function = nullptr;
  PJ_RETURN_IF_ERROR(build(plan, target, name, module, &function));
  return verify_kernel(*function, "emit_llvm_kernel");
}

}  // namespace pj
