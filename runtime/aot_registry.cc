#include "runtime/aot_registry.h"

#include <array>
#include <deque>
#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/kernel_abi.h"
#include "jit/cpu.h"
#include "runtime/availability.h"

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

struct Registry {
  std::shared_mutex mutex;
  // Entries are copied; each stays at its address (a deque) as long as the process.
  std::deque<pj_aot_kernel> entries;
  std::map<SignatureKey, std::vector<const pj_aot_kernel*>> kernels;
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
  spec.image_shape = {1, s.rows, s.cols, s.depth};
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

}  // namespace

uint64_t aot_usable_features() { return features_under(host_features(), isa_cap()); }

Status register_aot_kernels(const pj_aot_kernel* kernels, size_t count) {
  if (count == 0) return Status::Ok();
  if (kernels == nullptr) return InvalidArgument("kernels is NULL but count is ", count);
  std::vector<const pj_aot_kernel*> checked;
  for (size_t i = 0; i < count; ++i) {
    const pj_aot_kernel& k = kernels[i];
    if (Status s = check_entry(k); !s.ok()) {
      // The entry is the bad argument, whatever class TensorFlow gives its signature's problem.
      const bool named = k.abi_version == PJ_AOT_ABI_VERSION && k.name != nullptr;
      return InvalidArgument("ahead-of-time kernel ", i, named ? cat(" (", k.name, ")") : std::string(), ": ",
                             s.message());
    }
    checked.push_back(&k);
  }
  Registry& r = registry();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  for (const pj_aot_kernel* k : checked) {
    r.entries.push_back(*k);
    r.kernels[key_of(k->signature)].push_back(&r.entries.back());
  }
  r.any.store(true);
  return Status::Ok();
}

bool aot_kernels_registered() { return registry().any.load(); }

const pj_aot_kernel* find_aot_kernel(const Geometry& geometry) {
  Registry& r = registry();
  if (!r.any.load()) return nullptr;
  // Tables hold TensorFlow's op only: dense NHWC rows, SAME or VALID, zero padding.
  const Geometry& g = geometry;
  if (!g.extract() || !(g.format == kTfFormat) || g.padding == Padding::kExplicit || !g.zero_pad() ||
      !g.dense_image() || !g.dense_patches()) {
    return nullptr;
  }
  const uint64_t usable = aot_usable_features();
  std::shared_lock<std::shared_mutex> lock(r.mutex);
  auto it = r.kernels.find(key_of(geometry));
  if (it == r.kernels.end()) return nullptr;
  const pj_aot_kernel* best = nullptr;
  for (const pj_aot_kernel* candidate : it->second) {
    const uint64_t needs = candidate->required_features;
    if ((needs & ~usable) != 0) continue;
    if (!best || std::popcount(needs) > std::popcount(best->required_features)) best = candidate;
  }
  return best;
}

}  // namespace pj
