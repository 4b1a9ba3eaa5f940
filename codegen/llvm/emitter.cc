// The LLVM IR emitter. The kernel's shape is the Xbyak emitter's (codegen/xbyak/emitter.cc):
//   entry:   t = row_begin; b, r = divmod(t, out_rows); output row and anchor row pointers
//   class k: while r < end_k: each region of the class (a column loop around the pixel
//            program), then advance to the next output row
//   after the last class: next image (r = 0), back to class 0
// The row state lives in allocas (SROA turns them into registers); loops count down and move
// their pointers on by constant strides, as the Xbyak kernels do.
//
// Addresses are plain pointer arithmetic (GEPs without inbounds): an anchor may lie before the
// input (padding), and only the address a step finally reads is inside it. Offsets are i64.
//
// The IR says exactly which moves to make, and says it in a way that spares LLVM from
// rediscovering it; measured on this machine, LLVM's O2 pipeline and instruction selection
// cost about 100 us per move otherwise, most of it in passes that can improve nothing here:
// - moves are volatile: no pass may drop, merge or reorder them, so dead-store elimination,
//   GVN, loop access analysis and the schedulers skip their pairwise alias queries (quadratic
//   in the moves of a block);
// - moves are up to two vectors wide (LLVM splits them into vector instructions), halving the
//   IR a run needs;
// - the pointers a loop hands its body pass through llvm.launder.invariant.group, which emits
//   nothing but hides them from scalar evolution: induction-variable simplification and loop
//   strength reduction have nothing to rewrite, since the increments are already written.
#include "codegen/llvm/emitter.h"

#include <llvm/IR/Attributes.h>
#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "codegen/plan/kernel_abi.h"

namespace pj {
namespace {

// A pointer plus a constant byte offset, folded into one GEP where the address is used.
struct Address {
  llvm::Value* base;
  int64_t offset;

  Address plus(int64_t bytes) const { return {base, offset + bytes}; }
};

// A contiguous run of output bytes: copied from `src`, or zeroed when there is no source.
struct Run {
  Address dst;
  std::optional<Address> src;
  int64_t bytes;

  Run at(int64_t offset, int64_t n) const {
    return {dst.plus(offset), src ? std::optional(src->plus(offset)) : std::nullopt, n};
  }
};

bool is_power_of_two(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

class KernelBuilder {
 public:
  KernelBuilder(const Plan& plan, const LlvmTarget& target, const std::string& name, llvm::Module& module)
      : plan_(plan), vector_(target.vector_bytes),
        context_(module.getContext()), b_(context_), i64_(b_.getInt64Ty()), ptr_(b_.getPtrTy()) {
    auto* type = llvm::FunctionType::get(b_.getVoidTy(), {ptr_}, false);
    function_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
    function_->addFnAttr(llvm::Attribute::NoUnwind);  // and no uwtable: no .eh_frame to register
    function_->addFnAttr("no-builtins");              // no memcpy/memset from loop idioms or store merging
    if (vector_ >= 64) {
      // Keep the explicit 512-bit moves whole on CPUs that LLVM tunes for 256-bit vectors.
      function_->addFnAttr("min-legal-vector-width", "512");
      function_->addFnAttr("prefer-vector-width", "512");
    }
    llvm::Argument* args = function_->getArg(0);
    args->setName("args");
    for (auto kind : {llvm::Attribute::NoAlias, llvm::Attribute::NoCapture, llvm::Attribute::ReadOnly}) {
      args->addAttr(kind);
    }
    args->addAttr(llvm::Attribute::getWithDereferenceableBytes(context_, sizeof(KernelArgs)));
  }

  void build();
  llvm::Function* function() const { return function_; }

 private:
  llvm::BasicBlock* block(const char* name) { return llvm::BasicBlock::Create(context_, name, function_); }

  llvm::Value* pointer(Address a) {
    return a.offset == 0 ? a.base : b_.CreatePtrAdd(a.base, b_.getInt64(a.offset));
  }

  // The back edge of a loop the planner chose: LLVM must not unroll it again.
  void back_edge(llvm::Value* again, llvm::BasicBlock* loop, llvm::BasicBlock* exit) {
    llvm::MDNode* no_unroll = llvm::MDNode::get(context_, llvm::MDString::get(context_, "llvm.loop.unroll.disable"));
    llvm::MDNode* id = llvm::MDNode::getDistinct(context_, {nullptr, no_unroll});
    id->replaceOperandWith(0, id);
    b_.CreateCondBr(again, loop, exit)->setMetadata(llvm::LLVMContext::MD_loop, id);
  }

  // The same pointer, opaque to scalar evolution (see the top of this file).
  llvm::Value* opaque(llvm::Value* p) { return b_.CreateLaunderInvariantGroup(p); }

  // A loop of n iterations (n >= 1 is a constant) moving `dst` (and `src`, if any) on by a
  // stride per iteration: body(dst_i, src_i).
  template <typename Body>
  void strided_loop(int64_t n, Address dst, int64_t dst_stride, std::optional<Address> src, int64_t src_stride,
                    const Body& body) {
    if (n == 1) return body(dst, src);
    llvm::Value* dst0 = pointer(dst);
    llvm::Value* src0 = src ? pointer(*src) : nullptr;
    llvm::BasicBlock* before = b_.GetInsertBlock();
    llvm::BasicBlock* loop = block("loop");
    llvm::BasicBlock* after = block("loop.end");
    b_.CreateBr(loop);
    b_.SetInsertPoint(loop);
    llvm::PHINode* left = b_.CreatePHI(i64_, 2, "left");
    llvm::PHINode* d = b_.CreatePHI(ptr_, 2, "dst");
    llvm::PHINode* s = src ? b_.CreatePHI(ptr_, 2, "src") : nullptr;
    left->addIncoming(b_.getInt64(n), before);
    d->addIncoming(dst0, before);
    if (s) s->addIncoming(src0, before);
    std::optional<Address> src_i;
    if (s) src_i = Address{opaque(s), 0};
    body(Address{opaque(d), 0}, src_i);
    llvm::BasicBlock* latch = b_.GetInsertBlock();
    d->addIncoming(b_.CreatePtrAdd(d, b_.getInt64(dst_stride)), latch);
    if (s) s->addIncoming(b_.CreatePtrAdd(s, b_.getInt64(src_stride)), latch);
    llvm::Value* next = b_.CreateSub(left, b_.getInt64(1));
    left->addIncoming(next, latch);
    back_edge(b_.CreateICmpNE(next, b_.getInt64(0)), loop, after);
    b_.SetInsertPoint(after);
  }

  // Byte vectors from 16 bytes up, integers below.
  llvm::Type* move_type(int64_t width) {
    return width >= 16 ? static_cast<llvm::Type*>(llvm::FixedVectorType::get(b_.getInt8Ty(), width))
                       : b_.getIntNTy(static_cast<unsigned>(width * 8));
  }

  // `width` bytes of the run at `offset`, in one load and store (or one store of zeros).
  void piece(const Run& run, int64_t offset, int64_t width) {
    constexpr bool kVolatile = true;  // see the top of this file
    llvm::Type* type = move_type(width);
    llvm::Value* value = llvm::Constant::getNullValue(type);
    if (run.src) value = b_.CreateAlignedLoad(type, pointer(run.src->plus(offset)), llvm::Align(1), kVolatile);
    // Streaming plans write whole, aligned cache lines on an output the runtime checked is
    // 64-byte aligned: non-temporal stores, which LLVM emits only for stores it knows aligned.
    const bool streaming = plan_.options.nontemporal && width % 64 == 0;
    llvm::StoreInst* store = b_.CreateAlignedStore(value, pointer(run.dst.plus(offset)),
                                                   llvm::Align(streaming ? 64 : 1), kVolatile);
    if (streaming) {
      store->setMetadata(llvm::LLVMContext::MD_nontemporal,
                         llvm::MDNode::get(b_.getContext(), llvm::ConstantAsMetadata::get(b_.getInt32(1))));
    }
  }

  // Shorter than a vector: one move of a power of two, or two overlapping moves of the widest
  // power of two below the length (the overlap is rewritten with the same bytes). Masked
  // moves would do it in one, but measured slower here (as in the Xbyak kernels), and their
  // 64-lane mask constants make instruction selection several times slower.
  void short_run(const Run& run) {
    const int64_t n = run.bytes;
    if (is_power_of_two(n)) return piece(run, 0, n);
    int64_t width = 1;
    while (width * 2 < n) width *= 2;
    piece(run, 0, width);
    piece(run, n - width, width);
  }

  // At least a vector: pairs of vectors, a last whole vector, and the remainder as the
  // narrowest vector (16 bytes or more) that covers it, ending at the run's end. A 64-byte store
  // costs Zen 4 two store operations, a 32-byte one only one.
  void vector_run(const Run& run) {
    int64_t i = 0;
    for (; i + 2 * vector_ <= run.bytes; i += 2 * vector_) piece(run, i, 2 * vector_);
    for (; i + vector_ <= run.bytes; i += vector_) piece(run, i, vector_);
    if (i == run.bytes) return;
    int64_t width = 16;
    while (width < run.bytes - i) width *= 2;
    piece(run, run.bytes - width, width);
  }

  // Runs longer than the planner's limit loop over blocks of that size (whole vectors); the
  // rest ends at the run's end, reaching back into the run when shorter than a vector.
  void emit_run(const Run& run) {
    if (run.bytes < vector_) return short_run(run);
    const int64_t limit = plan_.options.max_unrolled_run_bytes;
    const int64_t block = limit / vector_ * vector_;
    if (run.bytes <= limit || block < vector_) return vector_run(run);
    strided_loop(run.bytes / block, run.dst, block, run.src, block,
                 [&](Address dst, std::optional<Address> src) { vector_run({dst, src, block}); });
    const int64_t rest = run.bytes % block;
    if (rest > 0) {
      const int64_t tail = std::max<int64_t>(rest, vector_);
      vector_run(run.at(run.bytes - tail, tail));
    }
  }

  void emit_step(const Step& s, Address dst, Address src) {
    switch (s.kind) {
      case Step::Kind::kCopy:
        return emit_run({dst.plus(s.dst), src.plus(s.src), s.bytes});
      case Step::Kind::kZero:
        return emit_run({dst.plus(s.dst), std::nullopt, s.bytes});
      case Step::Kind::kGather:
        if (!s.loop) {
          for (int64_t j = 0; j < s.count; ++j) {
            emit_run({dst.plus(s.dst + j * s.bytes), src.plus(s.src + j * s.src_stride), s.bytes});
          }
          return;
        }
        return strided_loop(s.count, dst.plus(s.dst), s.bytes, src.plus(s.src), s.src_stride,
                            [&](Address d, std::optional<Address> from) { emit_run({d, from, s.bytes}); });
    }
  }

  void emit_program(const PixelProgram& program, Address dst, Address src) {
    for (const Block& block : program.blocks) {
      if (!block.loop) {
        for (int64_t row = 0; row < block.rows; ++row) {
          for (const Step& s : block.steps) {
            emit_step(s, dst.plus(row * block.dst_row_stride), src.plus(row * block.src_row_stride));
          }
        }
        continue;
      }
      strided_loop(block.rows, dst, block.dst_row_stride, src, block.src_row_stride,
                   [&](Address row_dst, std::optional<Address> row_src) {
                     for (const Step& s : block.steps) emit_step(s, row_dst, *row_src);
                   });
    }
  }

  // ---- pixel groups (codegen/plan/pixel_group.h), as the Xbyak kernels write them ----

  // The mask of the first `lanes` of 64.
  llvm::Constant* first_lanes(int64_t lanes) {
    std::vector<llvm::Constant*> mask;
    for (int64_t i = 0; i < 64; ++i) mask.push_back(b_.getInt1(i < lanes));
    return llvm::ConstantVector::get(mask);
  }

  // `lanes` bytes from `at` (the rest zeros), in one masked load.
  llvm::Value* masked_load(llvm::Value* at, int64_t lanes) {
    auto* type = llvm::FixedVectorType::get(b_.getInt8Ty(), 64);
    if (lanes == 64) return b_.CreateAlignedLoad(type, at, llvm::Align(1), true);
    return b_.CreateMaskedLoad(type, at, llvm::Align(1), first_lanes(lanes), llvm::Constant::getNullValue(type));
  }

  void emit_group(const PixelGroup& group, Address dst, Address src) {
    auto* type = llvm::FixedVectorType::get(b_.getInt8Ty(), 64);
    std::vector<std::pair<llvm::Value*, llvm::Value*>> windows;  // first and second 64 bytes
    for (const GroupWindow& w : group.windows) {
      llvm::Value* low = masked_load(pointer(src.plus(w.src)), std::min<int64_t>(w.bytes, 64));
      llvm::Value* high = w.bytes > 64 ? masked_load(pointer(src.plus(w.src + 64)), w.bytes - 64)
                                       : llvm::Constant::getNullValue(type);
      windows.push_back({low, high});
    }
    for (const GroupChunk& c : group.chunks) {
      llvm::Value* chunk = llvm::Constant::getNullValue(type);
      for (const GroupPart& part : c.parts) {
        // Lanes of other windows read a zero past this one's end; the parts' lanes are disjoint.
        const auto& [low, high] = windows[static_cast<size_t>(part.window)];
        std::vector<int> index(part.index.begin(), part.index.end());
        llvm::Value* bytes = b_.CreateShuffleVector(low, high, index);
        chunk = c.parts.size() == 1 ? bytes : b_.CreateOr(chunk, bytes);
      }
      if (c.bytes == 64) {
        b_.CreateAlignedStore(chunk, pointer(dst.plus(c.dst)), llvm::Align(1), true);
      } else {
        b_.CreateMaskedStore(chunk, pointer(dst.plus(c.dst)), llvm::Align(1), first_lanes(c.bytes));
      }
    }
  }

  // Whole groups, then the last pixels as a partial group, or one at a time if they do not fit one.
  void emit_grouped_region(const Region& region, const PixelGroup& group, Address dst, Address src) {
    const PixelProgram& program = plan_.programs[region.program];
    const int64_t pixels = group.pixels, n = region.iterations() / pixels, rest = region.iterations() % pixels;
    strided_loop(n, dst, plan_.pixel_bytes * pixels, src, plan_.in_pixel_step * pixels,
                 [&](Address d, std::optional<Address> s) { emit_group(group, d, *s); });
    const Address tail_dst = dst.plus(n * pixels * plan_.pixel_bytes), tail_src = src.plus(n * pixels * plan_.in_pixel_step);
    if (rest == 0) return;
    if (std::optional<PixelGroup> tail = group_pixels(program, plan_.in_pixel_step, rest)) {
      return emit_group(*tail, tail_dst, tail_src);
    }
    strided_loop(rest, tail_dst, plan_.pixel_bytes, tail_src, plan_.in_pixel_step,
                 [&](Address d, std::optional<Address> s) { emit_program(program, d, *s); });
  }

  void emit_region(const Region& region, llvm::Value* out_row, llvm::Value* anchor_row) {
    if (region.iterations() <= 0) return;
    const Address dst{out_row, region.begin * plan_.pixel_bytes};
    const Address src{anchor_row, region.begin * plan_.in_pixel_step};
    const PixelProgram& program = plan_.programs[region.program];
    if (program.group && vector_ == 64 && region.pixels_per_iteration == 1 &&
        region.iterations() >= program.group->pixels) {
      return emit_grouped_region(region, *program.group, dst, src);
    }
    strided_loop(region.iterations(), dst, plan_.pixel_bytes * region.pixels_per_iteration, src,
                 plan_.in_pixel_step * region.pixels_per_iteration,
                 [&](Address pixel_dst, std::optional<Address> pixel_src) { emit_program(program, pixel_dst, *pixel_src); });
  }

  const Plan& plan_;
  const int64_t vector_;
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> b_;
  llvm::Type* i64_;
  llvm::PointerType* ptr_;
  llvm::Function* function_ = nullptr;
};

void KernelBuilder::build() {
  const Plan& p = plan_;
  const int64_t out_rows = p.geometry.rows.out;
  llvm::BasicBlock* entry = block("entry");
  b_.SetInsertPoint(entry);
  llvm::Value* args = function_->getArg(0);
  auto field = [&](llvm::Type* type, int64_t offset, const char* name) {
    return b_.CreateAlignedLoad(type, pointer({args, offset}), llvm::Align(8), name);
  };
  llvm::Value* input = field(ptr_, offsetof(KernelArgs, input), "input");
  llvm::Value* output = field(ptr_, offsetof(KernelArgs, output), "output");
  llvm::Value* begin = field(i64_, offsetof(KernelArgs, row_begin), "row_begin");
  llvm::Value* end = field(i64_, offsetof(KernelArgs, row_end), "row_end");
  // Row state: flat output row t, row in image r, output row and anchor row pointers.
  llvm::Value* t = b_.CreateAlloca(i64_, nullptr, "t");
  llvm::Value* r = b_.CreateAlloca(i64_, nullptr, "r");
  llvm::Value* out_row = b_.CreateAlloca(ptr_, nullptr, "out_row");
  llvm::Value* anchor_row = b_.CreateAlloca(ptr_, nullptr, "anchor_row");

  std::vector<llvm::BasicBlock*> classes;  // one per row class, then "next image"
  for (size_t k = 0; k < p.row_classes.size(); ++k) classes.push_back(block("class"));
  classes.push_back(block("next_image"));
  llvm::BasicBlock* start = block("start");
  llvm::BasicBlock* done = block("done");
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), start, done);

  b_.SetInsertPoint(start);
  llvm::Value* image = b_.CreateUDiv(begin, b_.getInt64(out_rows), "b");
  llvm::Value* row = b_.CreateURem(begin, b_.getInt64(out_rows), "r0");
  // anchor row = input + b*in_image + anchor_origin + r*in_row_step (may lie before input)
  llvm::Value* anchor = b_.CreateAdd(b_.CreateMul(image, b_.getInt64(p.in_image_bytes)),
                                     b_.CreateMul(row, b_.getInt64(p.in_row_step)));
  anchor = b_.CreateAdd(anchor, b_.getInt64(p.anchor_origin));
  b_.CreateStore(begin, t);
  b_.CreateStore(row, r);
  b_.CreateStore(b_.CreatePtrAdd(input, anchor), anchor_row);
  b_.CreateStore(b_.CreatePtrAdd(output, b_.CreateMul(begin, b_.getInt64(p.out_row_bytes))), out_row);
  b_.CreateBr(classes[0]);

  for (size_t k = 0; k < p.row_classes.size(); ++k) {
    const RowClass& rc = p.row_classes[k];
    b_.SetInsertPoint(classes[k]);
    llvm::BasicBlock* body = block("rows");
    b_.CreateCondBr(b_.CreateICmpSLT(b_.CreateLoad(i64_, r), b_.getInt64(rc.end)), body, classes[k + 1]);
    b_.SetInsertPoint(body);
    llvm::Value* out_ptr = b_.CreateLoad(ptr_, out_row);
    llvm::Value* anchor_ptr = b_.CreateLoad(ptr_, anchor_row);
    for (const Region& region : rc.regions) emit_region(region, opaque(out_ptr), opaque(anchor_ptr));
    b_.CreateStore(b_.CreatePtrAdd(out_ptr, b_.getInt64(p.out_row_bytes)), out_row);
    b_.CreateStore(b_.CreatePtrAdd(anchor_ptr, b_.getInt64(p.in_row_step)), anchor_row);
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, r), b_.getInt64(1)), r);
    llvm::Value* next = b_.CreateAdd(b_.CreateLoad(i64_, t), b_.getInt64(1));
    b_.CreateStore(next, t);
    back_edge(b_.CreateICmpSLT(next, end), classes[k], done);
  }
  b_.SetInsertPoint(classes.back());  // r == out_rows: the first row of the next image
  b_.CreateStore(b_.getInt64(0), r);
  llvm::Value* anchor_ptr = b_.CreateLoad(ptr_, anchor_row);
  b_.CreateStore(b_.CreatePtrAdd(anchor_ptr, b_.getInt64(p.in_image_bytes - out_rows * p.in_row_step)), anchor_row);
  b_.CreateBr(classes[0]);

  b_.SetInsertPoint(done);
  // Non-temporal stores are weakly ordered: publish them before returning.
  if (p.options.nontemporal) b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent);
  b_.CreateRetVoid();
}

}  // namespace

PlanOptions plan_options_for(const LlvmTarget& target) {
  PlanOptions options;
  options.vector_bytes = target.vector_bytes;
  // Less unrolling than the Xbyak kernels: a move costs LLVM about a hundred times the compile
  // time it costs Xbyak, and on the suite loops over blocks of more than 32 moves, or over runs
  // of more than 8 vectors, ran as fast as the unrolled code.
  options.unroll_budget = 32;
  options.max_unrolled_run_bytes = 8 * target.vector_bytes;
  options.group_pixels = target.vector_bytes == 64 && target.byte_permutes;
  return options;
}

std::string llvm_kernel_name(const Plan& plan) { return cat("eip_llvm_", plan.name()); }

namespace {

Status check_emittable(const Plan& plan, const LlvmTarget& target) {
  if (plan.generic) return Internal("emit_llvm_ir: generic plans have no regions to emit");
  if (!is_power_of_two(target.vector_bytes) || target.vector_bytes < 16 || target.vector_bytes > 64) {
    return Internal("emit_llvm_ir: vector width ", target.vector_bytes, " is not 16, 32 or 64 bytes");
  }
  return Status::Ok();
}

}  // namespace

Expected<std::unique_ptr<llvm::Module>> emit_llvm_ir(const Plan& plan, const LlvmTarget& target,
                                                     llvm::LLVMContext& context) {
  PJ_RETURN_IF_ERROR(check_emittable(plan, target));
  auto module = std::make_unique<llvm::Module>(llvm_kernel_name(plan), context);
  KernelBuilder(plan, target, llvm_kernel_name(plan), *module).build();
  std::string problems;
  llvm::raw_string_ostream out(problems);
  if (llvm::verifyModule(*module, &out)) {
    return Internal("emit_llvm_ir: invalid IR for ", llvm_kernel_name(plan), ": ", out.str());
  }
  return module;
}

Status emit_llvm_kernel(const Plan& plan, const LlvmTarget& target, const std::string& name,
                        llvm::Module& module) {
  PJ_RETURN_IF_ERROR(check_emittable(plan, target));
  if (module.getNamedValue(name) != nullptr) return Internal("emit_llvm_kernel: ", name, " is already defined");
  KernelBuilder builder(plan, target, name, module);
  builder.build();
  std::string problems;
  llvm::raw_string_ostream out(problems);
  if (llvm::verifyFunction(*builder.function(), &out)) {
    return Internal("emit_llvm_kernel: invalid IR for ", name, ": ", out.str());
  }
  return Status::Ok();
}

}  // namespace pj
