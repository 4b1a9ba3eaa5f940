// The LLVM fold emitter: a FoldSink of walk_fold on the skeleton and loops of ir_base.h.
//
// Every sum is its accumulators from +0 (LLVM keeps `fadd +0.0, x`: it is not x for x = -0),
// a load and an add per tap and piece in the walk's order, and one store per piece. Adds are in
// the dtype's lanes: float and double (complex as their pairs), integers wrapping, half in float
// lanes rounded back to half after every add (fptrunc: to nearest even, F16C's vcvtps2ph), as
// Eigen::half adds. Loads and stores are plain (not volatile, unlike extract's moves): a fold
// kernel has few per block, and LLVM folds each load into its add.
#include "codegen/llvm/fold_emitter.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "codegen/llvm/ir_base.h"

namespace pj {
namespace {

class FoldBuilder final : public IrBase, public FoldSink {
 public:
  FoldBuilder(const FoldPlan& plan, const LlvmTarget& target, const std::string& name, llvm::Module& module)
      : IrBase(name, module, target.vector_bytes), g_(plan.geometry) {
    switch (g_.dtype) {
      case DType::kFloat32:
      case DType::kComplex64:
        lane_ = b_.getFloatTy();
        break;
      case DType::kFloat64:
      case DType::kComplex128:
        lane_ = b_.getDoubleTy();
        break;
      case DType::kHalf:
        lane_ = b_.getHalfTy();
        break;
      default:
        lane_ = b_.getIntNTy(static_cast<unsigned>(8 * g_.elem_size));
        break;
    }
    lane_bytes_ = static_cast<int>(lane_->getPrimitiveSizeInBits() / 8);
    accumulate_ = g_.dtype == DType::kHalf ? b_.getFloatTy() : lane_;
  }

  llvm::Function* function() const { return function_; }

  void begin_kernel() override { enter(g_.rows.in, g_.image_steps.image, g_.patch_steps.image, 0); }

  void end_kernel() override {
    next_image();
    leave(false);
  }

  void begin_channel_blocks(int64_t count) override {
    blocks_left_ = variable(i64_, "blocks_left");
    b_.CreateStore(b_.getInt64(count), blocks_left_);
    blocks_top_ = block("channel_block");
    b_.CreateBr(blocks_top_);
    b_.SetInsertPoint(blocks_top_);
  }

  void end_channel_blocks(int64_t dst_step, int64_t src_step) override {
    for (auto [slot, step] : {std::pair{dst_image_, dst_step}, std::pair{src_image_, src_step}}) {
      b_.CreateStore(b_.CreatePtrAdd(b_.CreateLoad(ptr_, slot), b_.getInt64(step)), slot);
    }
    llvm::Value* left = b_.CreateSub(b_.CreateLoad(i64_, blocks_left_), b_.getInt64(1));
    b_.CreateStore(left, blocks_left_);
    llvm::BasicBlock* after = block("channel_block.end");
    back_edge(b_.CreateICmpNE(left, b_.getInt64(0)), blocks_top_, after);
    b_.SetInsertPoint(after);
  }

  // Members m of the group whose rows first + m*step + [reach_lo, reach_hi] meet [r_lo,
  // r_hi): m from ceil(max(0, r_lo - first - reach_hi) / step) to min(count, ceil(max(0, r_hi -
  // first - reach_lo) / step)). row_: the member's row.
  void begin_row_group(const FoldRowGroup& group) override {
    auto members_below = [&](llvm::Value* row, int64_t reach) {
      llvm::Value* from_first = b_.CreateSub(row, b_.getInt64(group.first + reach));
      llvm::Value* clamped = b_.CreateSelect(b_.CreateICmpSLT(from_first, b_.getInt64(0)), b_.getInt64(0), from_first);
      return group.step > 1 ? b_.CreateUDiv(b_.CreateAdd(clamped, b_.getInt64(group.step - 1)), b_.getInt64(group.step))
                            : clamped;
    };
    llvm::Value* lo = members_below(b_.CreateLoad(i64_, r_lo_), group.reach_hi);
    llvm::Value* hi = members_below(b_.CreateLoad(i64_, r_hi_), group.reach_lo);
    hi = b_.CreateSelect(b_.CreateICmpSGT(hi, b_.getInt64(group.count)), b_.getInt64(group.count), hi);
    llvm::Value* count = b_.CreateSub(hi, lo);
    RowLoop loop{block("rows"), block("rows.end"), group};
    b_.CreateCondBr(b_.CreateICmpSGT(count, b_.getInt64(0)), loop.body, loop.skip);
    b_.SetInsertPoint(loop.body);
    llvm::Value* row = b_.CreateAdd(b_.getInt64(group.first), b_.CreateMul(lo, b_.getInt64(group.step)));
    if (row_ == nullptr) row_ = variable(i64_, "row");
    b_.CreateStore(row, row_);
    llvm::Value* dst = b_.CreatePtrAdd(b_.CreateLoad(ptr_, dst_image_), b_.CreateMul(row, b_.getInt64(g_.image_steps.row)));
    llvm::Value* src = b_.CreatePtrAdd(b_.CreateLoad(ptr_, src_image_),
                                       b_.CreateAdd(b_.getInt64(group.src_first), b_.CreateMul(lo, b_.getInt64(group.src_step))));
    set_level(Level::kRow, dst, src);
    open_loop(Level::kRow, At{}, count);
    groups_.push_back(loop);
  }

  void begin_guard(int64_t rows) override {
    llvm::Value* row = b_.CreateAdd(b_.CreateLoad(i64_, row_), b_.getInt64(rows));
    llvm::Value* in = b_.CreateAnd(b_.CreateICmpSGE(row, b_.CreateLoad(i64_, r_lo_)),
                                   b_.CreateICmpSLT(row, b_.CreateLoad(i64_, r_hi_)));
    llvm::BasicBlock* body = block("guard");
    guards_.push_back(block("guard.end"));
    b_.CreateCondBr(in, body, guards_.back());
    b_.SetInsertPoint(body);
  }

  void end_guard() override {
    b_.CreateBr(guards_.back());
    b_.SetInsertPoint(guards_.back());
    guards_.pop_back();
  }

  void end_row_group() override {
    const RowLoop loop = groups_.back();
    groups_.pop_back();
    // A group of one member never steps (its step need not be a valid offset at all).
    const bool steps = loop.group.count > 1;
    if (steps) b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, row_), b_.getInt64(loop.group.step)), row_);
    close_loop(steps ? loop.group.step * g_.image_steps.row : 0, steps ? loop.group.src_step : 0);
    b_.CreateBr(loop.skip);
    b_.SetInsertPoint(loop.skip);
  }

  void begin_loop(Level level, At from, int64_t count) override { open_loop(level, from, b_.getInt64(count)); }

  void end_loop(Level, int64_t dst_step, int64_t src_step) override { close_loop(dst_step, src_step); }

  void sum(At at, const FoldSum& s) override {
    const auto np = static_cast<int>(s.pieces.size());
    if (np == 0) return;
    std::vector<llvm::Value*> acc;
    for (int px = 0; px < s.pixels; ++px) {
      for (const FoldPiece& piece : s.pieces) {
        // From +0, or from the partial sum (row passes: exactly its value, half's as float).
        acc.push_back(s.from_image ? load(pointer(at.level, true, at.dst + px * s.dst_step + piece.offset), piece, false)
                                   : llvm::Constant::getNullValue(vector(accumulate_, piece.wide)));
      }
    }
    const int64_t first = s.pieces.front().offset, span = s.pieces.back().offset + s.pieces.back().width - first;
    for (size_t t = 0; t < s.taps.size(); ++t) {
      for (int px = 0; px < s.pixels; ++px) {
        const int64_t src = at.src + px * s.src_step + s.taps[t];
        if (s.prefetch > 0) {
          for (int64_t x = 0; x < span; x += 64) prefetch(pointer(at.level, false, src + s.prefetch + first + x));
        }
        for (int i = 0; i < np; ++i) {
          const FoldPiece& piece = s.pieces[static_cast<size_t>(i)];
          llvm::Value*& sum = acc[static_cast<size_t>(px * np + i)];
          sum = add(sum, load(pointer(at.level, false, src + piece.offset), piece, s.wide[t]));
        }
      }
    }
    for (int px = 0; px < s.pixels; ++px) {
      for (int i = 0; i < np; ++i) {
        const FoldPiece& piece = s.pieces[static_cast<size_t>(i)];
        llvm::Value* value = acc[static_cast<size_t>(px * np + i)];
        if (s.divisor > 1) value = b_.CreateFDiv(value, llvm::ConstantFP::get(value->getType(), static_cast<double>(s.divisor)));
        store(value, piece, pointer(at.level, true, at.dst + px * s.dst_step + piece.offset));
      }
    }
  }

  // Each run a load (masked where only its used lanes may be read), a shuffle of zero and it
  // into the vector's lanes, and an add; the mean's divide; a store (masked: the row's end).
  void sum_lanes(Level level, int lane_bytes, const std::vector<FoldLanes>& vectors) override {
    const int lanes = 64 / lane_bytes;
    auto* type = vector(lane_, 64);
    llvm::Constant* zero = llvm::Constant::getNullValue(type);
    // Lanes a run does not reach add the identity: -0 for floats (x + -0 is x for every x; +0
    // would turn a sum flushed to -0 under FTZ into +0), 0 for integers.
    llvm::Constant* identity =
        lane_->isFloatingPointTy() ? llvm::ConstantFP::getNegativeZero(type) : static_cast<llvm::Constant*>(zero);
    for (const FoldLanes& v : vectors) {
      llvm::Value* sum = zero;
      if (v.from_image) {  // the partial sum (row passes)
        llvm::Value* at = pointer(level, true, v.dst);
        sum = v.stored == lanes ? static_cast<llvm::Value*>(b_.CreateAlignedLoad(type, at, llvm::Align(1)))
                                : b_.CreateMaskedLoad(type, at, llvm::Align(1), low_lanes(lanes, v.stored), zero);
      }
      for (const FoldLaneRun& run : v.runs) {
        llvm::Value* at = pointer(level, false, run.src);
        llvm::Value* loaded = nullptr;
        if (run.loaded == lanes) {
          loaded = b_.CreateAlignedLoad(type, at, llvm::Align(1));
        } else {
          loaded = b_.CreateMaskedLoad(type, at, llvm::Align(1), low_lanes(lanes, run.loaded), zero);
        }
        std::vector<int> index(static_cast<size_t>(lanes));
        bool whole = true;  // the run is the vector, as loaded
        for (int l = 0; l < lanes; ++l) {
          const int16_t i = run.index[static_cast<size_t>(l)];
          index[static_cast<size_t>(l)] = i < 0 ? 0 : lanes + i;  // lane 0 of the identity, or a loaded lane
          whole = whole && i == l;
        }
        sum = add(sum, whole ? loaded : b_.CreateShuffleVector(identity, loaded, index));
      }
      if (!v.divisors.empty()) {
        std::vector<llvm::Constant*> divisors;
        for (int64_t d : v.divisors) divisors.push_back(llvm::ConstantFP::get(lane_, static_cast<double>(d)));
        sum = b_.CreateFDiv(sum, llvm::ConstantVector::get(divisors));
      }
      llvm::Value* to = pointer(level, true, v.dst);
      if (v.stored == lanes) {
        b_.CreateAlignedStore(sum, to, llvm::Align(1));
      } else {
        b_.CreateMaskedStore(sum, to, llvm::Align(1), low_lanes(lanes, v.stored));
      }
    }
  }

 private:
  struct RowLoop {
    llvm::BasicBlock *body, *skip;
    FoldRowGroup group;
  };

  // `bytes` of the dtype's lanes as a vector of `type`.
  llvm::FixedVectorType* vector(llvm::Type* type, int bytes) const {
    return llvm::FixedVectorType::get(type, static_cast<unsigned>(bytes / lane_bytes_));
  }

  // A tap's piece as an accumulator's vector: `wide` lanes read at once where allowed, else
  // exactly its `width`, widened with zeros (lanes past the width are never stored).
  llvm::Value* load(llvm::Value* at, const FoldPiece& piece, bool wide) {
    const int bytes = wide ? piece.wide : piece.width;
    llvm::Value* value = b_.CreateAlignedLoad(vector(lane_, bytes), at, llvm::Align(1));
    if (bytes < piece.wide) value = resize(value, piece.wide / lane_bytes_);
    return accumulate_ == lane_ ? value : b_.CreateFPExt(value, vector(accumulate_, piece.wide));
  }

  // sum + value in the dtype: half's float sum rounded to half (nearest even) and back.
  llvm::Value* add(llvm::Value* sum, llvm::Value* value) {
    if (!lane_->isFloatingPointTy()) return b_.CreateAdd(sum, value);
    llvm::Value* total = b_.CreateFAdd(sum, value);
    if (accumulate_ == lane_) return total;
    auto* type = llvm::cast<llvm::FixedVectorType>(total->getType());
    return b_.CreateFPExt(b_.CreateFPTrunc(total, llvm::FixedVectorType::get(lane_, type->getNumElements())), type);
  }

  void store(llvm::Value* value, const FoldPiece& piece, llvm::Value* at) {
    const int lanes = piece.width / lane_bytes_;
    if (accumulate_ != lane_) {
      auto* type = llvm::cast<llvm::FixedVectorType>(value->getType());
      value = b_.CreateFPTrunc(value, llvm::FixedVectorType::get(lane_, type->getNumElements()));
    }
    if (piece.wide > piece.width) value = resize(value, lanes);
    b_.CreateAlignedStore(value, at, llvm::Align(1));
  }

  // The first `lanes` of `value`, or `value` with zero lanes after it.
  llvm::Value* resize(llvm::Value* value, int lanes) {
    const auto have = static_cast<int>(llvm::cast<llvm::FixedVectorType>(value->getType())->getNumElements());
    std::vector<int> index(static_cast<size_t>(lanes));
    std::iota(index.begin(), index.end(), 0);
    for (int& i : index) {
      if (i >= have) i = have;  // lane 0 of the zero vector
    }
    return b_.CreateShuffleVector(value, llvm::Constant::getNullValue(value->getType()), index);
  }

  // A mask of `lanes` lanes, the first `on` set.
  llvm::Constant* low_lanes(int lanes, int on) {
    std::vector<llvm::Constant*> bits;
    for (int l = 0; l < lanes; ++l) bits.push_back(b_.getInt1(l < on));
    return llvm::ConstantVector::get(bits);
  }

  void prefetch(llvm::Value* at) {
    llvm::Function* f = llvm::Intrinsic::getDeclaration(function_->getParent(), llvm::Intrinsic::prefetch, {ptr_});
    b_.CreateCall(f, {at, b_.getInt32(0), b_.getInt32(3), b_.getInt32(1)});  // read, keep in all caches, data
  }

  const Geometry& g_;
  llvm::Type* lane_ = nullptr;        // the dtype's lane: float, double, half, iN
  llvm::Type* accumulate_ = nullptr;  // what sums are held in: float for half, else the lane
  int lane_bytes_ = 1;
  std::vector<RowLoop> groups_;
  std::vector<llvm::BasicBlock*> guards_;
  llvm::Value* row_ = nullptr;  // the row group member's row (row passes' guards)
  llvm::Value* blocks_left_ = nullptr;
  llvm::BasicBlock* blocks_top_ = nullptr;
};

Status build(const FoldPlan& plan, const LlvmTarget& target, const std::string& name, llvm::Module& module) {
  if (module.getNamedValue(name) != nullptr) return Internal("emit_llvm_fold_kernel: ", name, " is already defined");
  PJ_RETURN_IF_ERROR(fold_walk_supports(plan));
  FoldBuilder builder(plan, target, name, module);
  walk_fold(plan, llvm_fold_target(target), builder);
  return verify_kernel(*builder.function(), "emit_llvm_fold_kernel");
}

}  // namespace

FoldTarget llvm_fold_target(const LlvmTarget& target) {
  FoldTarget t;
  t.name = "llvm";
  t.vector_bytes = target.vector_bytes;
  t.accumulators = 12;
  t.lane_permutes = target.vector_bytes == 64 && target.byte_permutes;
  return t;
}

std::string llvm_fold_kernel_name(const FoldPlan& plan) {
  std::string signature = signature_name(plan.geometry);  // fold_<dtype>_...
  if (signature.rfind("fold_", 0) == 0) signature.erase(0, 5);
  return cat("fold_llvm_", signature);
}

Status llvm_fold_supports(const FoldPlan& plan, const LlvmTarget& target, int64_t max_operations,
                          int64_t max_code_bytes) {
  PJ_RETURN_IF_ERROR(fold_walk_supports(plan));
  if (plan.geometry.dtype == DType::kHalf && !target.f16c) {
    return Unimplemented("fold's llvm kernels add half in float lanes, and the CPU they are compiled for has no F16C ",
                         "to convert them (x86-64-v3 and later have it); the interpreter's loops run it");
  }
  const int64_t operations = fold_operations(plan, llvm_fold_target(target));
  if (operations > max_operations) {
    return ResourceExhausted("kernel ", llvm_fold_kernel_name(plan), " would take about ", operations,
                             " loads, adds and stores, over the llvm budget of ", max_operations);
  }
  const int64_t bytes = operations * kFoldBytesPerOperation + kFoldSkeletonBytes;
  if (bytes > max_code_bytes) {
    return ResourceExhausted("kernel ", llvm_fold_kernel_name(plan), " would take about ", bytes,
                             " bytes of code, over the limit of ", max_code_bytes, " (pj_set_kernel_code_limit)");
  }
  return Status::Ok();
}

Status emit_llvm_fold_kernel(const FoldPlan& plan, const LlvmTarget& target, const std::string& name,
                             llvm::Module& module) {
  return build(plan, target, name, module);
}

Expected<std::unique_ptr<llvm::Module>> emit_llvm_fold_ir(const FoldPlan& plan, const LlvmTarget& target,
                                                          llvm::LLVMContext& context) {
  const std::string name = llvm_fold_kernel_name(plan);
  auto module = std::make_unique<llvm::Module>(name, context);
  PJ_RETURN_IF_ERROR(build(plan, target, name, *module));
  return module;
}

}  // namespace pj
