#include "runtime/kernel_cache.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <future>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>

namespace pj {
namespace {

// Multiply-rotate over the words: cheap on the cache-hit path, and mixing enough for a table.
struct KeyHash {
  size_t operator()(const KernelKey& k) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < k.size; ++i) {
      h = (h ^ static_cast<uint64_t>(k.values[static_cast<size_t>(i)])) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
    }
    return static_cast<size_t>(h);
  }
};

using Result = Expected<std::shared_ptr<const Executor>>;

std::atomic<bool> allocation_fails_for_testing{false};

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

bool KernelKey::operator==(const KernelKey& other) const {
  return size == other.size &&
         std::memcmp(values.data(), other.values.data(), sizeof(int64_t) * static_cast<size_t>(size)) == 0;
}

KernelKey make_key(const Geometry& g, const Candidate& c, size_t code_limit) {
  // Attributes fit int32 (validation checked them): pairs share a word, flags one more.
  auto pair = [](int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) << 32 | static_cast<uint32_t>(b));
  };
  uint64_t pad[2];
  std::memcpy(pad, g.pad_value.data(), sizeof pad);            // zero beyond the element (make_geometry)
  const bool explicit_pads = g.padding == Padding::kExplicit;  // SAME and VALID pads follow from the rest
  const bool pad_value = (pad[0] | pad[1]) != 0;
  const bool strided = !g.known_dense;
  const int64_t type = g.extract() ? g.elem_size : 100 + static_cast<int64_t>(g.dtype);  // < 128
  const int64_t flags = static_cast<int64_t>(g.op) | static_cast<int64_t>(g.mode) << 2 |
                        static_cast<int64_t>(g.padding) << 4 | static_cast<int64_t>(g.format.layout) << 7 |
                        static_cast<int64_t>(g.format.order) << 8 | static_cast<int64_t>(g.format.patches) << 9 |
                        static_cast<int64_t>(c.backend) << 10 | static_cast<int64_t>(c.isa) << 14 |
                        int64_t{c.smallest_code} << 17 | int64_t{c.aot} << 19 | int64_t{explicit_pads} << 20 |
                        int64_t{pad_value} << 21 | int64_t{strided} << 22 | type << 24;
  KernelKey key;
  key.values = {flags,
                g.rows.in,
                g.cols.in,
                g.depth,
                pair(g.rows.ksize, g.cols.ksize),
                pair(g.rows.stride, g.cols.stride),
                pair(g.rows.rate, g.cols.rate),
                static_cast<int64_t>(code_limit)};
  key.size = 8;
  auto add = [&](int64_t v) { key.values[static_cast<size_t>(key.size++)] = v; };
  if (explicit_pads) {
    add(pair(g.rows.pad_before, g.rows.pad_after));
    add(pair(g.cols.pad_before, g.cols.pad_after));
  }
  if (pad_value) {
    add(static_cast<int64_t>(pad[0]));
    add(static_cast<int64_t>(pad[1]));
  }
  if (strided) {
    for (int64_t v : {g.image_steps.image, g.image_steps.row, g.image_steps.pixel, g.image_steps.channel,
                      g.patch_steps.image, g.patch_steps.position, g.patch_steps.element}) {
      add(v);
    }
  }
  return key;
}

struct KernelCache::State {
  struct Entry {
    uint64_t id = 0;
    std::shared_future<Result> pending;     // while it is being built
    std::shared_ptr<const Executor> ready;  // once built
    Status refused;                         // or once refused as too large or irregular
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
    for (auto pos = lru.end();
         pos != lru.begin() && (entries.size() > max_entries || stats.code_bytes > max_code_bytes);) {
      --pos;
      auto it = entries.find(*pos);
      if (!it->second.ready && it->second.refused.ok()) continue;
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
    if (!it->second.refused.ok()) return it->second.refused;
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
    if (allocation_fails_for_testing.load()) throw std::bad_alloc();
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
    if (!result.ok() && result.status().code() == Code::kResourceExhausted) {
      it->second.refused = result.status();  // refused for good: remembered, not retried
      it->second.pending = {};
    } else if (!result.ok()) {
      ++s.stats.failures;
      s.erase(it);
    } else {
      it->second.ready = *result;
      it->second.pending = {};
      it->second.code_bytes = (*result)->code_bytes();
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

void fail_cache_allocation_for_testing(bool fail) { allocation_fails_for_testing.store(fail); }

KernelCache& global_kernel_cache() {
  static KernelCache* cache = new KernelCache(256, size_t{64} << 20);  // never destroyed: kernels may outlive main
  return *cache;
}

}  // namespace pj
