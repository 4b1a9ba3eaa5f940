#include "codegen/llvm/ir_base.h"

#include <llvm/IR/Attributes.h>
#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <cstddef>

#include "codegen/plan/kernel_abi.h"

namespace pj {

IrBase::IrBase(const std::string& name, llvm::Module& module, int vector_bytes)
    : context_(module.getContext()), b_(context_), i64_(b_.getInt64Ty()), ptr_(b_.getPtrTy()) {
  auto* type = llvm::FunctionType::get(b_.getVoidTy(), {ptr_}, false);
  function_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
  function_->addFnAttr(llvm::Attribute::NoUnwind);  // and no uwtable: no .eh_frame to register
  function_->addFnAttr("no-builtins");              // no memcpy/memset from loop idioms or store merging
  if (vector_bytes >= 64) {
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

llvm::BasicBlock* IrBase::block(const char* name) { return llvm::BasicBlock::Create(context_, name, function_); }

void IrBase::enter(int64_t rows_per_image, int64_t dst_image_step, int64_t src_image_step, int64_t src_origin) {
  b_.SetInsertPoint(block("entry"));
  llvm::Value* args = function_->getArg(0);
  auto field = [&](llvm::Type* type, int64_t offset, const char* name) {
    return b_.CreateAlignedLoad(type, b_.CreatePtrAdd(args, b_.getInt64(offset)), llvm::Align(8), name);
  };
  input_ = field(ptr_, offsetof(KernelArgs, input), "input");
  output_ = field(ptr_, offsetof(KernelArgs, output), "output");
  llvm::Value* begin = field(i64_, offsetof(KernelArgs, row_begin), "row_begin");
  end_ = field(i64_, offsetof(KernelArgs, row_end), "row_end");
  t_ = variable(i64_, "t");
  r_lo_ = variable(i64_, "r_lo");
  r_hi_ = variable(i64_, "r_hi");
  dst_image_ = variable(ptr_, "dst_image");
  src_image_ = variable(ptr_, "src_image");
  b_.CreateStore(begin, t_);
  image_ = block("image");
  done_ = block("done");
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end_), image_, done_);

  b_.SetInsertPoint(image_);
  const int64_t R = rows_per_image;
  llvm::Value* t = b_.CreateLoad(i64_, t_);
  llvm::Value* image = b_.CreateUDiv(t, b_.getInt64(R), "b");
  llvm::Value* r_lo = b_.CreateURem(t, b_.getInt64(R), "r_lo");
  b_.CreateStore(r_lo, r_lo_);
  llvm::Value* r_hi = b_.CreateAdd(r_lo, b_.CreateSub(end_, t));
  b_.CreateStore(b_.CreateSelect(b_.CreateICmpSGT(r_hi, b_.getInt64(R)), b_.getInt64(R), r_hi), r_hi_);
  b_.CreateStore(b_.CreatePtrAdd(output_, b_.CreateMul(image, b_.getInt64(dst_image_step))), dst_image_);
  llvm::Value* src = b_.CreateAdd(b_.CreateMul(image, b_.getInt64(src_image_step)), b_.getInt64(src_origin));
  b_.CreateStore(b_.CreatePtrAdd(input_, src), src_image_);
}

void IrBase::next_image() {
  llvm::Value* t =
      b_.CreateAdd(b_.CreateLoad(i64_, t_), b_.CreateSub(b_.CreateLoad(i64_, r_hi_), b_.CreateLoad(i64_, r_lo_)));
  b_.CreateStore(t, t_);
  back_edge(b_.CreateICmpSLT(t, end_), image_, done_);
  b_.SetInsertPoint(done_);
}

void IrBase::leave(bool fence) {
  if (fence) b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent);
  b_.CreateRetVoid();
}

void IrBase::open_loop(Level level, At from, llvm::Value* count) {
  llvm::Value* dst0 = pointer(from.level, true, from.dst);
  llvm::Value* src0 = pointer(from.level, false, from.src);
  Loop loop;
  loop.before = b_.GetInsertBlock();
  loop.body = block("loop");
  loop.after = block("loop.end");
  b_.CreateBr(loop.body);
  b_.SetInsertPoint(loop.body);
  loop.left = b_.CreatePHI(i64_, 2, "left");
  loop.dst = b_.CreatePHI(ptr_, 2, "dst");
  loop.src = b_.CreatePHI(ptr_, 2, "src");
  loop.left->addIncoming(count, loop.before);
  loop.dst->addIncoming(dst0, loop.before);
  loop.src->addIncoming(src0, loop.before);
  set_level(level, loop.dst, loop.src);
  loops_.push_back(loop);
}

void IrBase::close_loop(int64_t dst_step, int64_t src_step) {
  Loop loop = loops_.back();
  loops_.pop_back();
  llvm::BasicBlock* latch = b_.GetInsertBlock();
  loop.dst->addIncoming(b_.CreatePtrAdd(loop.dst, b_.getInt64(dst_step)), latch);
  loop.src->addIncoming(b_.CreatePtrAdd(loop.src, b_.getInt64(src_step)), latch);
  llvm::Value* next = b_.CreateSub(loop.left, b_.getInt64(1));
  loop.left->addIncoming(next, latch);
  back_edge(b_.CreateICmpNE(next, b_.getInt64(0)), loop.body, loop.after);
  b_.SetInsertPoint(loop.after);
}

void IrBase::back_edge(llvm::Value* again, llvm::BasicBlock* loop, llvm::BasicBlock* exit) {
  llvm::MDNode* no_unroll = llvm::MDNode::get(context_, llvm::MDString::get(context_, "llvm.loop.unroll.disable"));
  llvm::MDNode* id = llvm::MDNode::getDistinct(context_, {nullptr, no_unroll});
  id->replaceOperandWith(0, id);
  b_.CreateCondBr(again, loop, exit)->setMetadata(llvm::LLVMContext::MD_loop, id);
}

llvm::Value* IrBase::variable(llvm::Type* type, const char* name) {
  llvm::BasicBlock& entry = function_->getEntryBlock();
  llvm::IRBuilder<> at_entry(&entry, entry.begin());
  return at_entry.CreateAlloca(type, nullptr, name);
}

void IrBase::set_level(Level level, llvm::Value* dst, llvm::Value* src) {
  levels_[static_cast<size_t>(level)] = {opaque(dst), opaque(src)};
}

llvm::Value* IrBase::pointer(Level level, bool dst, int64_t offset) {
  const Pointers& p = levels_[static_cast<size_t>(level)];
  llvm::Value* base = dst ? p.dst : p.src;
  return offset == 0 ? base : b_.CreatePtrAdd(base, b_.getInt64(offset));
}

Status verify_kernel(llvm::Function& function, const char* who) {
  std::string problems;
  llvm::raw_string_ostream out(problems);
  if (llvm::verifyFunction(function, &out)) {
    return Internal(who, ": invalid IR for ", function.getName().str(), ": ", out.str());
  }
  return Status::Ok();
}

}  // namespace pj
