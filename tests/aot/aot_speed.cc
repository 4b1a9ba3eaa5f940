// Ahead-of-time kernels against the llvm JIT's for the same CPU: the kernels of
// tests/aot_suite.manifest compiled by `patchjit aot --cpu native` in the build, and the same
// signatures compiled by the llvm backend in this process (created before the table is
// registered, since afterwards the registered kernels serve backend llvm too). One thread, the
// whole output per call, into the same buffer, outputs compared first; median of rounds that
// alternate the two; and whether their machine code is the same bytes.
//   aot_speed [SECONDS_PER_KERNEL]   (default 0.2; the test suite runs it briefly)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "aot_suite.h"
#include "patchjit/patchjit.h"

namespace {

pj_spec spec_of(const pj_aot_kernel& k) {
  const pj_aot_signature& s = k.signature;
  pj_spec spec{};
  spec.dtype = s.element_size == 1   ? PJ_UINT8
               : s.element_size == 2 ? PJ_HALF
               : s.element_size == 4 ? PJ_FLOAT32
                                     : PJ_FLOAT64;
  const int64_t shape[4] = {1, s.rows, s.cols, s.depth}, ksizes[4] = {1, s.ksize_rows, s.ksize_cols, 1},
                strides[4] = {1, s.stride_rows, s.stride_cols, 1}, rates[4] = {1, s.rate_rows, s.rate_cols, 1};
  for (int i = 0; i < 4; ++i) {
    spec.input_shape[i] = shape[i], spec.ksizes[i] = ksizes[i], spec.strides[i] = strides[i], spec.rates[i] = rates[i];
  }
  spec.padding = s.padding == PJ_AOT_PADDING_SAME ? PJ_PADDING_SAME : PJ_PADDING_VALID;
  return spec;
}

std::string describe(const pj_kernel* kernel) {
  std::string text(pj_kernel_describe(kernel, nullptr, 0) + 1, '\0');
  pj_kernel_describe(kernel, text.data(), text.size());
  return text;
}

// Seconds per call of `kernel`, timed over about `seconds`.
double time_once(const pj_kernel* kernel, const void* in, void* out, double seconds) {
  using Clock = std::chrono::steady_clock;
  const int64_t rows = pj_kernel_output_bytes(kernel) == 0 ? 0 : [&] {
    int64_t shape[4];
    pj_kernel_output_shape(kernel, shape);
    return shape[0] * shape[1];
  }();
  int64_t calls = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 8; ++i) pj_kernel_run_rows(kernel, in, out, 0, rows);
    calls += 8;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return elapsed / static_cast<double>(calls);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.2;
  constexpr int kRounds = 11;
  if (pj_backend_available(PJ_BACKEND_LLVM) != PJ_OK) {
    std::printf("backend llvm unavailable: %s\n", pj_last_error());
    return 1;
  }
  std::vector<pj_kernel*> jit;
  for (const pj_aot_kernel& k : aot_suite_kernels) {
    const pj_spec spec = spec_of(k);
    pj_kernel* kernel = nullptr;
    if (pj_kernel_create(&spec, PJ_BACKEND_LLVM, &kernel) != PJ_OK) {
      std::printf("%s: %s\n", k.name, pj_last_error());
      return 1;
    }
    jit.push_back(kernel);
  }
  if (pj_register_aot_kernels(aot_suite_kernels, AOT_SUITE_KERNEL_COUNT) != PJ_OK) {
    std::printf("%s\n", pj_last_error());
    return 1;
  }
  std::printf("%-44s %10s %10s %10s %7s  %s\n", "kernel (batch 1)", "out bytes", "jit us", "aot us", "aot/jit",
              "machine code");
  std::vector<double> ratios;
  int failures = 0;
  for (size_t i = 0; i < jit.size(); ++i) {
    const pj_aot_kernel& k = aot_suite_kernels[i];
    const pj_spec spec = spec_of(k);
    pj_kernel* aot = nullptr;
    if (pj_kernel_create(&spec, PJ_BACKEND_AUTO, &aot) != PJ_OK ||
        describe(aot).find("ahead-of-time kernel") == std::string::npos) {
      std::printf("%-44s not served ahead of time here (compiled for %s)\n", k.name, k.cpu);
      pj_kernel_destroy(aot);
      continue;
    }
    std::mt19937_64 rng(i);
    std::vector<uint8_t> in(pj_kernel_input_bytes(aot));
    for (uint8_t& b : in) b = static_cast<uint8_t>(rng());
    std::vector<uint8_t> out_jit(pj_kernel_output_bytes(aot)), out_aot(out_jit.size(), 1);
    pj_kernel_run(jit[i], in.data(), out_jit.data(), 1);
    pj_kernel_run(aot, in.data(), out_aot.data(), 1);
    if (out_jit != out_aot) {
      std::printf("%-44s OUTPUTS DIFFER\n", k.name);
      ++failures;
    }
    std::vector<double> t_jit, t_aot;
    for (int r = 0; r < kRounds; ++r) {
      // Into the same buffer: both write the same pages, so neither gets luckier placement.
      t_jit.push_back(time_once(jit[i], in.data(), out_aot.data(), seconds / (2 * kRounds)));
      t_aot.push_back(time_once(aot, in.data(), out_aot.data(), seconds / (2 * kRounds)));
    }
    const double j = median(t_jit), a = median(t_aot);
    ratios.push_back(a / j);
    // The JIT's code against the bytes at the ahead-of-time function (readable: text is r-x).
    const void* code = nullptr;
    const size_t size = pj_kernel_code(jit[i], &code);
    // Kernels with constants (pixel groups' permutes) read them rip-relative, and the JIT and
    // the object place them at other distances from the code: those displacements may differ.
    size_t differing = 0;
    for (size_t b = 0; b < size; ++b) {
      differing += static_cast<const uint8_t*>(code)[b] != reinterpret_cast<const uint8_t*>(k.function)[b];
    }
    const std::string same = size == 0 ? "unknown"
                             : differing == 0
                                 ? "identical"
                                 : std::to_string(differing) + " of " + std::to_string(size) + " bytes differ";
    std::printf("%-44s %10zu %10.2f %10.2f %7.3f  %s\n", k.name + std::strlen("aot_suite_"), out_aot.size(), j * 1e6,
                a * 1e6, a / j, same.c_str());
    pj_kernel_destroy(aot);
  }
  double log_sum = 0;
  for (double r : ratios) log_sum += std::log(r);
  if (!ratios.empty()) {
    std::printf("geometric mean of aot/jit over %zu kernels: %.3f\n", ratios.size(),
                std::exp(log_sum / static_cast<double>(ratios.size())));
  }
  for (pj_kernel* k : jit) pj_kernel_destroy(k);
  return failures ? 1 : 0;
}
