// PyTorch's F.unfold and F.fold through libtorch (Debian libtorch-dev) beside patchjit and the
// careful NCHW peers, on the suite's shapes in the torch format (NCHW, CHW, columns), one thread:
// the F.unfold column of issue 12's table and the F.fold column of issue 13's. Built only when
// CMake finds Torch; the other benchmarks never need it. Asymmetric padding (TensorFlow's SAME at
// some strides) cannot be given to unfold or fold, which pad both sides alike: unfold gets F.pad
// first, fold folds into the padded image and crops it, as a torch program would; that time
// counts. Unfold's outputs are compared with patchjit's byte for byte; fold's within rounding
// (F.fold adds each pixel's taps in another order than TensorFlow's gradient, which patchjit
// follows bit for bit).
//   build/bin/pj_torch_bench [unfold|fold]   both when neither is named
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/peers/fold_peers.h"
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
    case pj::DType::kFloat32:
      return torch::kFloat32;
    case pj::DType::kFloat64:
      return torch::kFloat64;
    case pj::DType::kHalf:
      return torch::kFloat16;
    case pj::DType::kUInt8:
      return torch::kUInt8;
    default:
      return torch::kFloat32;
  }
}

double geomean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += std::log(x);
  return v.empty() ? 0.0 : std::exp(sum / static_cast<double>(v.size()));
}

double worst(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }

void unfold_table() {
  std::printf(
      "F.unfold (libtorch %s, %d thread) beside patchjit (auto backend, 1 thread) and the careful NCHW im2col\n",
      TORCH_VERSION, torch::get_num_threads());
  std::printf("%-36s %10s %10s %10s %10s %12s  %s\n", "shape", "unfold", "im2col", "patchjit", "x unfold", "x im2col",
              "check");
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
    const double t_im2col =
        median_seconds([&] { pj::im2col_nchw(g, static_cast<const uint8_t*>(input.data_ptr()), careful.data()); });
    const double t_ours = median_seconds([&] { pj_kernel_run(kernel, input.data_ptr(), ours.data(), 1); });
    over_unfold.push_back(t_unfold / t_ours);
    over_im2col.push_back(t_im2col / t_ours);
    std::printf("%-36s %10s %10s %10s %9.1fx %11.2fx  %s%s\n", shape.name.c_str(), time_text(t_unfold).c_str(),
                time_text(t_im2col).c_str(), time_text(t_ours).c_str(), t_unfold / t_ours, t_im2col / t_ours,
                same ? "identical" : "DIFFERS", symmetric ? "" : " (F.pad first)");
    pj_kernel_destroy(kernel);
  }
  std::printf("over %zu shapes: patchjit %.1fx F.unfold (worst %.1fx), %.2fx the careful NCHW im2col (worst %.2fx)\n",
              over_unfold.size(), geomean(over_unfold), worst(over_unfold), geomean(over_im2col), worst(over_im2col));
}

// F.fold of each shape's columns into its image, beside patchjit's fold and the careful scatter.
void fold_table() {
  std::printf(
      "\nF.fold (libtorch %s, %d thread) beside patchjit's fold (auto backend, 1 thread) and the careful scatter "
      "col2im\n",
      TORCH_VERSION, torch::get_num_threads());
  std::printf("%-36s %10s %10s %10s %10s %12s  %s\n", "shape", "fold", "scatter", "patchjit", "x F.fold", "x scatter",
              "check");
  std::vector<double> over_fold, over_scatter;
  for (const pj::SuiteShape& base : pj::benchmark_suite()) {
    pj::SuiteShape shape = pj::in_format(base, pj::kTorchFormat);
    shape.spec.op = pj::Op::kFold;
    const pj::Geometry g = *pj::make_geometry(shape.spec);
    if (g.dtype != pj::DType::kFloat32 && g.dtype != pj::DType::kFloat64 && g.dtype != pj::DType::kHalf) {
      std::printf("%-36s F.fold adds floating types only\n", shape.name.c_str());
      continue;
    }
    const pj_spec_ex spec = pj::to_c_ex(shape.spec);
    pj_kernel* kernel = nullptr;
    if (pj_fold_kernel_create(&spec, PJ_FOLD_SUM, PJ_BACKEND_AUTO, &kernel) != PJ_OK) {
      std::printf("%-36s patchjit: %s\n", shape.name.c_str(), pj_last_error());
      continue;
    }
    const auto options = torch::TensorOptions().dtype(torch_dtype(g.dtype));
    const int64_t positions = g.rows.out * g.cols.out;
    const torch::Tensor columns = torch::rand({g.batch, g.patch_depth, positions}, torch::kFloat64).to(options.dtype());
    std::vector<uint8_t> careful(static_cast<size_t>(g.image_bytes));
    torch::Tensor ours = torch::empty({g.batch, g.depth, g.rows.in, g.cols.in}, options);
    const bool symmetric = g.rows.pad_before == g.rows.pad_after && g.cols.pad_before == g.cols.pad_after;
    namespace F = torch::nn::functional;
    auto fold = [&] {
      if (symmetric) {
        return F::fold(columns, F::FoldFuncOptions({g.rows.in, g.cols.in}, {g.rows.ksize, g.cols.ksize})
                                    .dilation({g.rows.rate, g.cols.rate})
                                    .stride({g.rows.stride, g.cols.stride})
                                    .padding({g.rows.pad_before, g.cols.pad_before}));
      }
      const torch::Tensor padded =
          F::fold(columns, F::FoldFuncOptions({g.rows.in + g.rows.pad_before + g.rows.pad_after,
                                               g.cols.in + g.cols.pad_before + g.cols.pad_after},
                                              {g.rows.ksize, g.cols.ksize})
                               .dilation({g.rows.rate, g.cols.rate})
                               .stride({g.rows.stride, g.cols.stride}));
      return padded.narrow(2, g.rows.pad_before, g.rows.in).narrow(3, g.cols.pad_before, g.cols.in).contiguous();
    };
    torch::Tensor theirs;
    try {
      theirs = fold();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      std::printf("%-36s F.fold: %s\n", shape.name.c_str(), what.substr(0, what.find('\n')).c_str());
      pj_kernel_destroy(kernel);
      continue;
    }
    pj_kernel_run(kernel, columns.data_ptr(), ours.data_ptr(), 1);
    // Each pixel sums at most kh * kw values in [0, 1): rounding apart, the results agree.
    const double tolerance = g.dtype == pj::DType::kHalf ? 2e-2 : g.dtype == pj::DType::kFloat32 ? 1e-5 : 1e-12;
    const bool close = torch::allclose(theirs.to(torch::kFloat64), ours.to(torch::kFloat64), tolerance, tolerance);
    const double t_fold = median_seconds([&] { theirs = fold(); });
    const double t_scatter = median_seconds([&] { pj::scatter_col2im(g, columns.data_ptr(), careful.data()); });
    const double t_ours = median_seconds([&] { pj_kernel_run(kernel, columns.data_ptr(), ours.data_ptr(), 1); });
    over_fold.push_back(t_fold / t_ours);
    over_scatter.push_back(t_scatter / t_ours);
    std::printf("%-36s %10s %10s %10s %9.1fx %11.2fx  %s%s\n", shape.name.c_str(), time_text(t_fold).c_str(),
                time_text(t_scatter).c_str(), time_text(t_ours).c_str(), t_fold / t_ours, t_scatter / t_ours,
                close ? "close" : "DIFFERS", symmetric ? "" : " (padded, cropped)");
    pj_kernel_destroy(kernel);
  }
  std::printf("over %zu shapes: patchjit %.1fx F.fold (worst %.1fx), %.2fx the careful scatter col2im (worst %.2fx)\n",
              over_fold.size(), geomean(over_fold), worst(over_fold), geomean(over_scatter), worst(over_scatter));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (argc > 2 || (which != "" && which != "unfold" && which != "fold")) {
    std::fprintf(stderr, "usage: pj_torch_bench [unfold|fold]\n");
    return 2;
  }
  torch::set_num_threads(1);
  if (which != "fold") unfold_table();
  if (which != "unfold") fold_table();
  return 0;
}
