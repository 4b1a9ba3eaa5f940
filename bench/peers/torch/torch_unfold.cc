// The torch peer's plugin (torch_unfold.h): ATen's im2col on the harness's buffers.
#include <torch/torch.h>

#include <exception>
#include <string>
#include <vector>

#include "bench/peers/torch/torch_unfold.h"
#include "jit/plugin_file.h"

namespace pj {
namespace {

namespace F = torch::nn::functional;

// torch 1.13's im2col (so F.unfold) has floating and complex types only.
bool torch_dtype(DType t, torch::Dtype* out) {
  switch (t) {
    case DType::kFloat32:
      return *out = torch::kFloat32, true;
    case DType::kFloat64:
      return *out = torch::kFloat64, true;
    case DType::kHalf:
      return *out = torch::kFloat16, true;
    case DType::kBFloat16:
      return *out = torch::kBFloat16, true;
    case DType::kComplex64:
      return *out = torch::kComplexFloat, true;
    case DType::kComplex128:
      return *out = torch::kComplexDouble, true;
    default:
      return false;
  }
}

class Unfold final : public TorchUnfold {
 public:
  Unfold(const Geometry& g, torch::Dtype dtype, const void* input, void* output)
      : x_(torch::from_blob(const_cast<void*>(input), {g.batch, g.depth, g.rows.in, g.cols.in},
                            torch::TensorOptions().dtype(dtype))),
        out_(torch::from_blob(output, {g.batch, g.patch_depth, g.rows.out * g.cols.out},
                              torch::TensorOptions().dtype(dtype))),
        kernel_{g.rows.ksize, g.cols.ksize},
        dilation_{g.rows.rate, g.cols.rate},
        stride_{g.rows.stride, g.cols.stride},
        symmetric_(g.rows.pad_before == g.rows.pad_after && g.cols.pad_before == g.cols.pad_after),
        pads_{g.cols.pad_before, g.cols.pad_after, g.rows.pad_before, g.rows.pad_after} {}

  // unfold pads both sides alike; TensorFlow's SAME can pad one more after: F.pad first, as a
  // torch program would (its time counts).
  void run() override {
    if (symmetric_) {
      at::im2col_out(out_, x_, kernel_, dilation_, {pads_[2], pads_[0]}, stride_);
    } else {
      at::im2col_out(out_, F::pad(x_, F::PadFuncOptions(pads_)), kernel_, dilation_, {0, 0}, stride_);
    }
  }
  const void* written() const { return out_.data_ptr(); }

 private:
  torch::Tensor x_, out_;
  std::vector<int64_t> kernel_, dilation_, stride_;
  bool symmetric_;
  std::vector<int64_t> pads_;
};

TorchUnfold* make(const Geometry& g, const void* input, void* output, std::string* error) {
  torch::Dtype dtype;
  if (!torch_dtype(g.dtype, &dtype)) {
    *error = cat("torch's unfold has no ", dtype_name(g.dtype), " (floating and complex types only)");
    return nullptr;
  }
  try {
    torch::set_num_threads(1);
    auto unfold = std::make_unique<Unfold>(g, dtype, input, output);
    unfold->run();  // once: a dtype im2col lacks throws here, not in the timed loop
    if (unfold->written() != output) {
      *error = "torch's im2col wrote a tensor of its own, not the given buffer";
      return nullptr;
    }
    return unfold.release();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    *error = "torch: " + what.substr(0, what.find('\n'));
  }
  return nullptr;
}

const TorchPeerPlugin kPlugin{kPluginBuildId, make};

}  // namespace
}  // namespace pj

extern "C" __attribute__((visibility("default"))) const void* pj_torch_peer_plugin() { return &pj::kPlugin; }
