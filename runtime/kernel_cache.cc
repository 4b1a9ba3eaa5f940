#include "runtime/kernel_cache.h"

#include <chrono>
#include <cstdlib>
#include <exception>
#include <future>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>

namespace pj {
namespace {

struct KeyHash {
  size_t operator()(const KernelKey& k) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int64_t v : {k.elem_size, k.in_rows, k.in_cols, k.depth, k.ksize_rows, k.ksize_cols,
                      k.stride_rows, k.stride_cols, k.rate_rows, k.rate_cols,
                      int64_t{k.padding}, int64_t{k.backend}, int64_t{k.isa}, int64_t{k.version},
                      int64_t{k.nontemporal}}) {
      h ^= static_cast<uint64_t>(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    }
    return static_cast<size_t>(h);
  }
};

using Result = Expected<std::shared_ptr<const Executor>>;

// PATCHJIT_TEST_CACHE_ALLOC_FAIL=1 makes every new cache entry fail to allocate (fault tests).
bool entry_allocation_fails_for_testing() {
  static const bool fails = [] {
    const char* env = std::getenv("PATCHJIT_TEST_CACHE_ALLOC_FAIL");
    return env != nullptr && env[0] == '1';
  }();
  return fails;
}

Result build_guarded(const KernelCache::Builder& build) {
  try {
    return build();
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory while building a kernel");
  } catch (const std::exception& e) {
    return Internal("unexpected error while building a kernel: ", e.what());
  }
}

}  // namespace

KernelKey make_key(const Geometry& g, Backend backend, int isa, bool nontemporal) {
  return {g.elem_size,   g.rows.in,     g.cols.in,    g.depth,      g.rows.ksize,
          g.cols.ksize,  g.rows.stride, g.cols.stride, g.rows.rate, g.cols.rate,
          static_cast<int>(g.padding), static_cast<int>(backend), isa, kCodegenVersion, nontemporal};
}

struct KernelCache::State {
  struct Entry {
    uint64_t id = 0;
    std::shared_future<Result> pending;       // while it is being built
    std::shared_ptr<const Executor> ready;    // once built
    std::list<KernelKey>::iterator lru;
    size_t code_bytes = 0;
  };

  mutable std::mutex mutex;
  std::unordered_map<KernelKey, Entry, KeyHash> entries;
  std::list<KernelKey> lru;  // front: most recently used
  size_t max_entries, max_code_bytes;
  uint64_t next_id = 1;
  CacheStats stats;

  void erase(std::unordered_map<KernelKey, Entry, KeyHash>::iterator it) {
    stats.code_bytes -= it->second.code_bytes;
    lru.erase(it->second.lru);
    entries.erase(it);
  }

  // Least recently used first; entries still being built are skipped.
  void evict_over_limits() {
    for (auto pos = lru.end(); pos != lru.begin() &&
                               (entries.size() > max_entries || stats.code_bytes > max_code_bytes);) {
      --pos;
      auto it = entries.find(*pos);
      if (!it->second.ready) continue;
      auto next = pos;
      ++next;
      erase(it);
      ++stats.evictions;
      pos = next;
    }
  }
};

KernelCache::KernelCache(size_t max_entries, size_t max_code_bytes) : state_(std::make_unique<State>()) {
  state_->max_entries = max_entries;
  state_->max_code_bytes = max_code_bytes;
}

KernelCache::~KernelCache() = default;

Expected<std::shared_ptr<const Executor>> KernelCache::get(const KernelKey& key, const Builder& build) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  auto it = s.entries.find(key);
  if (it != s.entries.end()) {
    ++s.stats.hits;
    s.lru.splice(s.lru.begin(), s.lru, it->second.lru);
    if (it->second.ready) return it->second.ready;
    std::shared_future<Result> pending = it->second.pending;
    lock.unlock();
    return pending.get();  // built by another thread right now
  }
  ++s.stats.misses;
  if (s.max_entries == 0) {
    lock.unlock();
    return build_guarded(build);
  }
  std::promise<Result> promise;
  const uint64_t id = s.next_id++;
  try {
    if (entry_allocation_fails_for_testing()) throw std::bad_alloc();
    s.lru.push_front(key);
    try {
      State::Entry& entry = s.entries[key];
      entry.id = id;
      entry.pending = promise.get_future().share();
      entry.lru = s.lru.begin();
    } catch (...) {
      s.lru.pop_front();
      throw;
    }
  } catch (const std::bad_alloc&) {
    // No room for the entry: the kernel is built all the same, just not shared.
    ++s.stats.uncached;
    lock.unlock();
    return build_guarded(build);
  }
  lock.unlock();

  const auto start = std::chrono::steady_clock::now();
  Result result = build_guarded(build);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  promise.set_value(result);

  lock.lock();
  s.stats.compile_seconds += seconds;
  it = s.entries.find(key);
  if (it != s.entries.end() && it->second.id == id) {  // not cleared meanwhile
    if (!result.ok()) {
      ++s.stats.failures;
      s.erase(it);
    } else {
      it->second.ready = *result;
      it->second.pending = {};
      it->second.code_bytes = (*result)->code().size();
      s.stats.code_bytes += it->second.code_bytes;
      s.evict_over_limits();
    }
  }
  return result;
}

void KernelCache::set_limits(size_t max_entries, size_t max_code_bytes) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->max_entries = max_entries;
  state_->max_code_bytes = max_code_bytes;
  state_->evict_over_limits();
}

void KernelCache::clear() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->entries.clear();
  state_->lru.clear();
  state_->stats.code_bytes = 0;
}

CacheStats KernelCache::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  CacheStats out = state_->stats;
  out.entries = state_->entries.size();
  out.max_entries = state_->max_entries;
  out.max_code_bytes = state_->max_code_bytes;
  return out;
}

KernelCache& global_kernel_cache() {
  static KernelCache* cache = new KernelCache(256, size_t{64} << 20);  // never destroyed: kernels may outlive main
  return *cache;
}

}  // namespace pj
