// PyTorch's F.unfold through libtorch (Debian libtorch-dev) beside patchjit and the careful NCHW
// im2col, on the suite's shapes in the torch format (NCHW, CHW, columns), one thread: the
// F.unfold column of issue 12's table. Built only when CMake finds Torch; the other benchmarks
// never need it. Asymmetric padding (TensorFlow's SAME at some strides) cannot be given to
// unfold, which pads both sides alike: F.pad goes first then, as a torch program would do, and
// its time counts. Every output is compared with patchjit's, byte for byte.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/peers/im2col_nchw.h"
#include "bench/peers/suite.h"
#include "codegen/plan/geometry.h"
#include "patchjit/patchjit.h"
#include "runtime/c_spec.h"

namespace {

// Median over `repetitions` of the mean time of a call, each repetition at least `min_time`.
double median_seconds(const std::function<void()>& call, double min_time = 0.2, int repetitions = 5) {
  using clock = std::chrono::steady_clock;
  call();  // warm
  std::vector<double> times;
  for (int r = 0; r < repetitions; ++r) {
    int64_t n = 0;
    const auto start = clock::now();
    double elapsed = 0;
    do {
      call();
      ++n;
      elapsed = std::chrono::duration<double>(clock::now() - start).count();
    } while (elapsed < min_time);
    times.push_back(elapsed / static_cast<double>(n));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

const char* unit(double s, double* v) {
  if (s < 1e-3) return *v = s * 1e6, "us";
  return *v = s * 1e3, "ms";
}

std::string time_text(double s) {
  double v = 0;
  const char* u = unit(s, &v);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g %s", v, u);
  return buf;
}

torch::Dtype torch_dtype(pj::DType t) {
  switch (t) {
    case pj::DType::kFloat32: return torch::kFloat32;
    case pj::DType::kFloat64: return torch::kFloat64;
    case pj::DType::kHalf: return torch::kFloat16;
    case pj::DType::kUInt8: return torch::kUInt8;
    default: return torch::kFloat32;
  }
}

}  // namespace

int main() {
  torch::set_num_threads(1);
  std::printf("F.unfold (libtorch %s, %d thread) beside patchjit (auto backend, 1 thread) and the careful NCHW im2col\n",
              TORCH_VERSION, torch::get_num_threads());
  std::printf("%-36s %10s %10s %10s %10s %12s  %s\n", "shape", "unfold", "im2col", "patchjit", "x unfold", "x im2col", "check");
  std::vector<double> over_unfold, over_im2col;
  for (const pj::SuiteShape& base : pj::benchmark_suite()) {
    const pj::SuiteShape shape = pj::in_format(base, pj::kTorchFormat);
    const pj::Geometry g = *pj::make_geometry(shape.spec);
    const pj_spec_ex spec = pj::to_c_ex(shape.spec);
    pj_kernel* kernel = nullptr;
    if (pj_kernel_create_ex(&spec, PJ_BACKEND_AUTO, &kernel) != PJ_OK) {
      std::printf("%-36s patchjit: %s\n", shape.name.c_str(), pj_last_error());
      continue;
    }
    const pj::Vec4 s = shape.spec.image_shape;  // N, C, H, W
    torch::Tensor input = torch::empty({s[0], s[1], s[2], s[3]}, torch::TensorOptions().dtype(torch_dtype(g.dtype)));
    {
      auto* bytes = static_cast<uint8_t*>(input.data_ptr());
      for (int64_t i = 0; i < g.image_bytes; ++i) bytes[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
      if (g.dtype != pj::DType::kUInt8) input = torch::nan_to_num(input, 0.0, 0.0, 0.0);  // no NaN payloads to compare
    }
    std::vector<uint8_t> ours(static_cast<size_t>(g.patches_bytes)), careful(ours.size());
    const bool symmetric = g.rows.pad_before == g.rows.pad_after && g.cols.pad_before == g.cols.pad_after;
    namespace F = torch::nn::functional;
    auto unfold = [&] {
      torch::Tensor x = input;
      auto options = F::UnfoldFuncOptions({g.rows.ksize, g.cols.ksize})
                         .dilation({g.rows.rate, g.cols.rate})
                         .stride({g.rows.stride, g.cols.stride});
      if (symmetric) {
        options.padding({g.rows.pad_before, g.cols.pad_before});
      } else {
        x = F::pad(x, F::PadFuncOptions({g.cols.pad_before, g.cols.pad_after, g.rows.pad_before, g.rows.pad_after}));
      }
      return F::unfold(x, options);
    };
    torch::Tensor theirs;
    try {
      theirs = unfold().contiguous();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      std::printf("%-36s F.unfold: %s\n", shape.name.c_str(), what.substr(0, what.find('\n')).c_str());
      pj_kernel_destroy(kernel);
      continue;
    }
    pj_kernel_run(kernel, input.data_ptr(), ours.data(), 1);
    const bool same = static_cast<size_t>(theirs.nbytes()) == ours.size() &&
                      std::memcmp(theirs.data_ptr(), ours.data(), ours.size()) == 0;
    const double t_unfold = median_seconds([&] { theirs = unfold(); });
    const double t_im2col = median_seconds([&] { pj::im2col_nchw(g, static_cast<const uint8_t*>(input.data_ptr()), careful.data()); });
    const double t_ours = median_seconds([&] { pj_kernel_run(kernel, input.data_ptr(), ours.data(), 1); });
    over_unfold.push_back(t_unfold / t_ours);
    over_im2col.push_back(t_im2col / t_ours);
    std::printf("%-36s %10s %10s %10s %9.1fx %11.2fx  %s%s\n", shape.name.c_str(), time_text(t_unfold).c_str(),
                time_text(t_im2col).c_str(), time_text(t_ours).c_str(), t_unfold / t_ours, t_im2col / t_ours,
                same ? "identical" : "DIFFERS", symmetric ? "" : " (F.pad first)");
    pj_kernel_destroy(kernel);
  }
  auto geomean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += std::log(x);
    return v.empty() ? 0.0 : std::exp(sum / static_cast<double>(v.size()));
  };
  auto worst = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); };
  std::printf("over %zu shapes: patchjit %.1fx F.unfold (worst %.1fx), %.2fx the careful NCHW im2col (worst %.2fx)\n",
              over_unfold.size(), geomean(over_unfold), worst(over_unfold), geomean(over_im2col), worst(over_im2col));
  return 0;
}
