// The kernel cache: one executor per (signature without batch, candidate backend, code limit),
// built once even when many threads ask at the same time (the others wait for it), bounded by
// entries and code bytes with least-recently-used eviction. Executors are shared: eviction only
// drops the cache's reference, so code that is running stays mapped. A candidate refused as too
// large or too irregular (kResourceExhausted) is remembered too: the refusal does not change.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "codegen/plan/geometry.h"
#include "runtime/backends.h"
#include "runtime/executor.h"

namespace pj {

// Everything that makes one kernel differ from another: the geometry but its batch (and, for
// extract, its dtype but its size), the candidate, the code limit it was built under. Eight
// words for TensorFlow's op; explicit pads, a pad value and buffer strides add theirs only when
// they are there (a flag says so), since hashing and comparing it is most of a cache hit.
struct KernelKey {
  std::array<int64_t, 19> values{};  // the first `size` count, the rest stay zero
  int size = 0;
  bool operator==(const KernelKey& other) const;
};

KernelKey make_key(const Geometry& geometry, const Candidate& candidate, size_t code_limit);

struct CacheStats {
  uint64_t hits = 0, misses = 0, evictions = 0, failures = 0;
  uint64_t uncached = 0;  // built but not cached: the cache could not allocate its entry
  uint64_t entries = 0, code_bytes = 0;
  uint64_t max_entries = 0, max_code_bytes = 0;
  double compile_seconds = 0;  // total time spent building missed entries
};

class KernelCache {
 public:
  // What builds a missed entry, called at most once during get(): a reference to the caller's
  // callable, not a std::function (no copy of it on the cache-hit path).
  class Builder {
   public:
    template <typename F, typename = std::enable_if_t<!std::is_same_v<F, Builder>>>
    Builder(const F& f) : callable_(&f), call_([](const void* c) { return (*static_cast<const F*>(c))(); }) {}
    Expected<std::shared_ptr<const Executor>> operator()() const { return call_(callable_); }

   private:
    const void* callable_;
    Expected<std::shared_ptr<const Executor>> (*call_)(const void*);
  };

  KernelCache(size_t max_entries, size_t max_code_bytes);
  ~KernelCache();

  // The cached executor for `key`, or the one `build` makes (failures are not cached).
  Expected<std::shared_ptr<const Executor>> get(const KernelKey& key, const Builder& build);

  // Bounds; 0 entries disables caching. Shrinking evicts at once.
  void set_limits(size_t max_entries, size_t max_code_bytes);
  void clear();
  CacheStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The process-wide cache pj_kernel_create uses.
KernelCache& global_kernel_cache();

// Fault injection for tests (an internal hook, not exported): every new entry fails to allocate.
void fail_cache_allocation_for_testing(bool fail);

}  // namespace pj
