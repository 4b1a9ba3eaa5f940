// What both LLVM IR emitters (extract's emitter.cc, fold's fold_emitter.cc) build alike: the
// kernel function and its attributes, the skeleton's image loop over the flattened (image, row)
// range of KernelArgs, counted loops whose pointers step by constants, and the IR checks. The
// IR twin of codegen/xbyak/x86_base.h; internal to codegen/llvm (it includes LLVM).
//
// The skeleton's image and row state lives in allocas (SROA turns them into registers); loops
// count down and move their pointers on by constant strides. Addresses are plain pointer
// arithmetic (GEPs without inbounds): a point may lie outside the buffers, only the addresses a
// kernel finally reads and writes are inside them. The pointers a loop hands its body pass
// through llvm.launder.invariant.group, which emits nothing but hides them from scalar
// evolution: induction-variable simplification and loop strength reduction have nothing to
// rewrite, since the increments are already written.
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/lower/walk.h"
#include "codegen/plan/status.h"

namespace pj {

class IrBase {
 protected:
  // `void name(const KernelArgs*)`, external, in `module`; `vector_bytes` of 64 keeps 512-bit
  // vectors whole on CPUs LLVM tunes for 256.
  IrBase(const std::string& name, llvm::Module& module, int vector_bytes);

  llvm::BasicBlock* block(const char* name);

  // The skeleton (kernel_abi.h): reads the arguments, then opens the image loop at t =
  // row_begin: b = t / rows, r_lo = t - b*rows, r_hi = min(rows, r_lo + row_end - t), and the
  // image's dst and src (input + b*src_image_step + src_origin).
  void enter(int64_t rows_per_image, int64_t dst_image_step, int64_t src_image_step, int64_t src_origin);
  // t += r_hi - r_lo; the next image while t < row_end.
  void next_image();
  // Returns; `fence`: after non-temporal stores, which are weakly ordered.
  void leave(bool fence);

  // Loops at `level` of `count` (at least 1) iterations, pointers from `from`'s.
  void open_loop(Level level, At from, llvm::Value* count);
  void close_loop(int64_t dst_step, int64_t src_step);
  // The back edge of a loop the planner chose: LLVM must not unroll it again.
  void back_edge(llvm::Value* again, llvm::BasicBlock* loop, llvm::BasicBlock* exit);
  // The same pointer, opaque to scalar evolution (see the top of this file).
  llvm::Value* opaque(llvm::Value* p) { return b_.CreateLaunderInvariantGroup(p); }

  // A variable of `type` on the stack, allocated in the entry block (where SROA makes it a
  // register), wherever the builder is.
  llvm::Value* variable(llvm::Type* type, const char* name);

  void set_level(Level level, llvm::Value* dst, llvm::Value* src);
  llvm::Value* pointer(Level level, bool dst, int64_t offset);

  llvm::LLVMContext& context_;
  llvm::IRBuilder<> b_;
  llvm::Type* i64_;
  llvm::PointerType* ptr_;
  llvm::Function* function_ = nullptr;
  llvm::Value *input_ = nullptr, *output_ = nullptr, *end_ = nullptr;
  // The image's state (allocas): t, r_lo, r_hi, dst_image, src_image.
  llvm::Value *t_ = nullptr, *r_lo_ = nullptr, *r_hi_ = nullptr, *dst_image_ = nullptr, *src_image_ = nullptr;

 private:
  struct Loop {
    llvm::BasicBlock *before, *body, *after;
    llvm::PHINode *left, *dst, *src;
  };
  struct Pointers {
    llvm::Value *dst = nullptr, *src = nullptr;
  };
  llvm::BasicBlock *image_ = nullptr, *done_ = nullptr;
  std::array<Pointers, kLevels> levels_;
  std::vector<Loop> loops_;
};

// `function` checked by LLVM's verifier; `who` names the emitter in the error.
Status verify_kernel(llvm::Function& function, const char* who);

}  // namespace pj
