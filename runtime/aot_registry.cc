#include "runtime/aot_registry.h"

#include <array>
#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/kernel_abi.h"
#include "runtime/dispatch.h"

namespace pj {
namespace {

// Generated kernels read pj_aot_args as pj::KernelArgs: one ABI for JIT and AOT code.
static_assert(sizeof(pj_aot_args) == sizeof(KernelArgs));
static_assert(offsetof(pj_aot_args, input) == offsetof(KernelArgs, input) &&
              offsetof(pj_aot_args, output) == offsetof(KernelArgs, output) &&
              offsetof(pj_aot_args, row_begin) == offsetof(KernelArgs, row_begin) &&
              offsetof(pj_aot_args, row_end) == offsetof(KernelArgs, row_end));
static_assert(PJ_AOT_FEATURE_COUNT <= 64);

using SignatureKey = std::array<int64_t, 11>;

SignatureKey key_of(const pj_aot_signature& s) {
  return {s.element_size, s.rows,        s.cols,      s.depth,     s.ksize_rows, s.ksize_cols,
          s.stride_rows,  s.stride_cols, s.rate_rows, s.rate_cols, s.padding};
}

SignatureKey key_of(const Geometry& g) {
  return {g.elem_size,    g.rows.in,     g.cols.in,    g.depth,      g.rows.ksize,
          g.cols.ksize,   g.rows.stride, g.cols.stride, g.rows.rate, g.cols.rate,
          g.padding == Padding::kSame ? PJ_AOT_PADDING_SAME : PJ_AOT_PADDING_VALID};
}

// A generated kernel is called through the C type it was declared with. Exempt from clang's
// -fsanitize=function, which expects a type signature before the function that LLVM-compiled
// code without it does not have (as codegen/plan/kernel_abi.h's call_kernel).
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
void call_aot(pj_aot_function function, const pj_aot_args& args) {
  function(&args);
}

class AotExecutor final : public Executor {
 public:
  explicit AotExecutor(const pj_aot_kernel& kernel) : kernel_(kernel) {}
  void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const override {
    call_aot(kernel_.function, pj_aot_args{input, output, row_begin, row_end});
  }
  std::string describe() const override {
    return cat("ahead-of-time kernel ", kernel_.name, " (cpu ", kernel_.cpu, ")\n");
  }
  uint64_t required_features() const { return kernel_.required_features; }

 private:
  pj_aot_kernel kernel_;  // its strings and function live in the program's object
};

struct Registry {
  std::shared_mutex mutex;
  std::map<SignatureKey, std::vector<std::shared_ptr<const AotExecutor>>> kernels;
  std::atomic<bool> any{false};  // lets creates skip the lock until something is registered
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: executors may outlive main
  return *r;
}

// Any int64 in the entry's signature can come from a caller; make_geometry checks them all.
Expected<Geometry> geometry_of(const pj_aot_signature& s) {
  Spec spec;
  switch (s.element_size) {
    case 1: spec.dtype = DType::kUInt8; break;
    case 2: spec.dtype = DType::kHalf; break;
    case 4: spec.dtype = DType::kFloat32; break;
    case 8: spec.dtype = DType::kFloat64; break;
    case 16: spec.dtype = DType::kComplex128; break;
    default: return InvalidArgument("element_size ", s.element_size, " is not 1, 2, 4, 8 or 16");
  }
  if (s.padding != PJ_AOT_PADDING_SAME && s.padding != PJ_AOT_PADDING_VALID) {
    return InvalidArgument("padding ", s.padding, " is neither PJ_AOT_PADDING_SAME nor PJ_AOT_PADDING_VALID");
  }
  spec.padding = s.padding == PJ_AOT_PADDING_SAME ? Padding::kSame : Padding::kValid;
  spec.input_shape = {1, s.rows, s.cols, s.depth};
  spec.ksizes = {1, s.ksize_rows, s.ksize_cols, 1};
  spec.strides = {1, s.stride_rows, s.stride_cols, 1};
  spec.rates = {1, s.rate_rows, s.rate_cols, 1};
  return make_geometry(spec);
}

Status check_entry(const pj_aot_kernel& k) {
  if (k.abi_version != PJ_AOT_ABI_VERSION) {
    return InvalidArgument("abi_version is ", k.abi_version, " but this patchjit reads version ", PJ_AOT_ABI_VERSION,
                           ": make the object again with this patchjit's `patchjit aot`");
  }
  if (k.function == nullptr) return InvalidArgument("its function is NULL");
  if (k.name == nullptr || k.cpu == nullptr) return InvalidArgument("its name or cpu is NULL");
  Expected<Geometry> g = geometry_of(k.signature);
  if (!g.ok()) return g.status();
  if (g->empty()) return InvalidArgument("its output is empty: such signatures need no kernel");
  if (g->rows.out != k.out_rows || g->cols.out != k.out_cols || g->patch_depth != k.out_depth) {
    return InvalidArgument("its output is ", k.out_rows, " x ", k.out_cols, " x ", k.out_depth,
                           " but its signature gives ", g->rows.out, " x ", g->cols.out, " x ", g->patch_depth);
  }
  return Status::Ok();
}

uint64_t bits(std::initializer_list<int> features) {
  uint64_t b = 0;
  for (int f : features) b |= uint64_t{1} << f;
  return b;
}

}  // namespace

uint64_t aot_usable_features() {
  static const uint64_t host = pj_aot_host_features();  // CPUID is slow in virtual machines
  static const uint64_t avx512 =
      bits({PJ_AOT_FEATURE_AVX512F, PJ_AOT_FEATURE_EVEX512, PJ_AOT_FEATURE_AVX512DQ, PJ_AOT_FEATURE_AVX512IFMA,
            PJ_AOT_FEATURE_AVX512CD, PJ_AOT_FEATURE_AVX512BW, PJ_AOT_FEATURE_AVX512VL, PJ_AOT_FEATURE_AVX512VBMI,
            PJ_AOT_FEATURE_AVX512VBMI2, PJ_AOT_FEATURE_AVX512VNNI, PJ_AOT_FEATURE_AVX512BITALG,
            PJ_AOT_FEATURE_AVX512VPOPCNTDQ, PJ_AOT_FEATURE_AVX512FP16, PJ_AOT_FEATURE_AVX512BF16});
  static const uint64_t avx = avx512 | bits({PJ_AOT_FEATURE_AVX, PJ_AOT_FEATURE_FMA, PJ_AOT_FEATURE_F16C,
                                             PJ_AOT_FEATURE_AVX2, PJ_AOT_FEATURE_VAES, PJ_AOT_FEATURE_VPCLMULQDQ,
                                             PJ_AOT_FEATURE_AVXVNNI});
  switch (isa_cap()) {
    case Isa::kNone: return host & ~avx;
    case Isa::kAvx2: return host & ~avx512;
    case Isa::kAvx512: break;
  }
  return host;
}

Status register_aot_kernels(const pj_aot_kernel* kernels, size_t count) {
  if (count == 0) return Status::Ok();
  if (kernels == nullptr) return InvalidArgument("kernels is NULL but count is ", count);
  std::vector<std::pair<SignatureKey, std::shared_ptr<const AotExecutor>>> checked;
  for (size_t i = 0; i < count; ++i) {
    const pj_aot_kernel& k = kernels[i];
    if (Status s = check_entry(k); !s.ok()) {
      // The entry is the bad argument, whatever class TensorFlow gives its signature's problem.
      const bool named = k.abi_version == PJ_AOT_ABI_VERSION && k.name != nullptr;
      return InvalidArgument("ahead-of-time kernel ", i, named ? cat(" (", k.name, ")") : std::string(), ": ",
                             s.message());
    }
    checked.emplace_back(key_of(k.signature), std::make_shared<AotExecutor>(k));
  }
  Registry& r = registry();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  for (auto& [key, executor] : checked) r.kernels[key].push_back(std::move(executor));
  r.any.store(true);
  return Status::Ok();
}

std::shared_ptr<const Executor> find_aot_executor(const Geometry& geometry) {
  Registry& r = registry();
  if (!r.any.load()) return nullptr;
  const uint64_t usable = aot_usable_features();
  std::shared_lock<std::shared_mutex> lock(r.mutex);
  auto it = r.kernels.find(key_of(geometry));
  if (it == r.kernels.end()) return nullptr;
  std::shared_ptr<const AotExecutor> best;
  for (const std::shared_ptr<const AotExecutor>& candidate : it->second) {
    const uint64_t needs = candidate->required_features();
    if ((needs & ~usable) != 0) continue;
    if (!best || std::popcount(needs) > std::popcount(best->required_features())) best = candidate;
  }
  return best;
}

}  // namespace pj
