#include "runtime/aot_registry.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "codegen/plan/kernel_abi.h"
#include "jit/aot_signature.h"
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

// The canonical signature's bytes (jit/aot_signature.h): one kernel, one key.
using SignatureKey = std::array<unsigned char, sizeof(pj_aot_signature)>;

SignatureKey key_of(const pj_aot_signature& s) {
  SignatureKey key;
  std::memcpy(key.data(), &s, sizeof s);
  return key;
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

// Every field of an entry (any int64 can come from a caller; make_geometry checks them all).
Status check_entry(const pj_aot_kernel& k) {
  if (k.function == nullptr) return InvalidArgument("its function is NULL");
  if (k.name == nullptr || k.cpu == nullptr) return InvalidArgument("its name or cpu is NULL");
  Expected<Geometry> g = geometry_of(k.signature);
  if (!g.ok()) return g.status();
  if (Status canonical = check_canonical(k.signature, *g); !canonical.ok()) return canonical;
  if (g->empty()) return InvalidArgument("its output is empty: such signatures need no kernel");
  // What it writes: extract's patches, fold's image.
  const Vec4 out = g->extract() ? Vec4{0, g->rows.out, g->cols.out, g->patch_depth} : Vec4{0, g->rows.in, g->cols.in, g->depth};
  if (out[1] != k.out_rows || out[2] != k.out_cols || out[3] != k.out_depth) {
    return InvalidArgument("its output is ", k.out_rows, " x ", k.out_cols, " x ", k.out_depth,
                           " but its signature gives ", out[1], " x ", out[2], " x ", out[3]);
  }
  return Status::Ok();
}

}  // namespace

uint64_t aot_usable_features() { return features_under(host_features(), isa_cap()); }

Status register_aot_kernels(const pj_aot_kernel* kernels, size_t count) {
  if (count == 0) return Status::Ok();
  if (kernels == nullptr) return InvalidArgument("kernels is NULL but count is ", count);
  // Every version starts with its number; the first entry's says how long the entries are.
  int64_t version = 0;
  std::memcpy(&version, kernels, sizeof version);
  if (version < 1 || version > PJ_AOT_ABI_VERSION) {
    return InvalidArgument("ahead-of-time kernel 0: abi_version is ", version,
                           " but this patchjit reads versions 1 to ", PJ_AOT_ABI_VERSION,
                           ": make the object again with this patchjit's `patchjit aot`");
  }
  const auto* entries = static_cast<const void*>(kernels);
  std::vector<pj_aot_kernel> checked;
  for (size_t i = 0; i < count; ++i) {
    pj_aot_kernel k;
    int64_t entry_version = 0;
    if (version == 1) {
      const AotKernelV1& old = static_cast<const AotKernelV1*>(entries)[i];
      k = upgrade(old), entry_version = old.abi_version;
    } else if (version == 2) {
      const AotKernelV2& old = static_cast<const AotKernelV2*>(entries)[i];
      k = upgrade(old), entry_version = old.abi_version;
    } else {
      k = kernels[i], entry_version = k.abi_version;
    }
    Status s = Status::Ok();
    if (entry_version != version) {
      s = InvalidArgument("abi_version is ", entry_version, " in a table of version ", version, " (the first entry's)");
    } else if (version == 1 && k.signature.padding != PJ_AOT_PADDING_SAME &&
               k.signature.padding != PJ_AOT_PADDING_VALID) {
      s = InvalidArgument("padding ", k.signature.padding, " is neither PJ_AOT_PADDING_SAME nor PJ_AOT_PADDING_VALID",
                          " (version 1)");
    }
    if (s.ok()) s = check_entry(k);
    if (!s.ok()) {
      // The entry is the bad argument, whatever class TensorFlow gives its signature's problem.
      const bool named = k.name != nullptr && s.message().find("abi_version") == std::string::npos;
      return InvalidArgument("ahead-of-time kernel ", i, named ? cat(" (", k.name, ")") : std::string(), ": ",
                             s.message());
    }
    checked.push_back(k);
  }
  Registry& r = registry();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  for (const pj_aot_kernel& k : checked) {
    r.entries.push_back(k);
    r.kernels[key_of(k.signature)].push_back(&r.entries.back());
  }
  r.any.store(true);
  return Status::Ok();
}

bool aot_kernels_registered() { return registry().any.load(); }

const pj_aot_kernel* find_aot_kernel(const Geometry& geometry) {
  Registry& r = registry();
  if (!r.any.load()) return nullptr;
  const uint64_t usable = aot_usable_features();
  const SignatureKey key = key_of(aot_signature_of(geometry));
  std::shared_lock<std::shared_mutex> lock(r.mutex);
  auto it = r.kernels.find(key);
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
