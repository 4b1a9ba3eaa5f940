#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace pj {
namespace {

// After a job, workers of the global pool poll for the next one this long before sleeping:
// back-to-back kernel runs (an inference loop) then find them awake; waking a sleeping thread
// costs about 200 us here, more than a 7 MB output takes on one core.
constexpr auto kPoll = std::chrono::microseconds(100);

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

struct ThreadPool::State {
  std::mutex busy;  // held by the job that owns the workers

  std::mutex mutex;
  std::condition_variable wake, finished;
  std::atomic<uint64_t> generation{0};
  bool stopping = false;
  // The current job (written before generation is bumped, read after it is seen).
  Task task = nullptr;
  void* context = nullptr;
  int tasks = 0;
  int helpers = 0;  // workers that take part
  std::atomic<int> next{0};
  std::atomic<int> running{0};  // helpers not yet done
  std::atomic<int> asleep{0};   // workers blocked on `wake`
  std::vector<std::thread> threads;
};

ThreadPool::ThreadPool(int workers, std::chrono::microseconds poll)
    : workers_(std::max(0, workers)), poll_(poll), state_(new State) {
  for (int i = 0; i < workers_; ++i) state_->threads.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
    state_->generation.fetch_add(1);
  }
  state_->wake.notify_all();
  for (std::thread& t : state_->threads) t.join();
  delete state_;
}

void ThreadPool::work(int index) {
  State& s = *state_;
  uint64_t seen = 0;
  for (;;) {
    // Poll, then sleep.
    const auto until = std::chrono::steady_clock::now() + poll_;
    for (int i = 0; s.generation.load(std::memory_order_acquire) == seen; ++i) {
      cpu_relax();
      if (i % 64 == 63 && std::chrono::steady_clock::now() > until) {
        std::unique_lock<std::mutex> lock(s.mutex);
        s.asleep.fetch_add(1);
        s.wake.wait(lock, [&] { return s.generation.load() != seen; });
        s.asleep.fetch_sub(1);
        break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (s.stopping) return;
    }
    seen = s.generation.load(std::memory_order_acquire);
    if (index >= s.helpers) continue;
    for (int i; (i = s.next.fetch_add(1)) < s.tasks;) s.task(s.context, i);
    if (s.running.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.finished.notify_one();
    }
  }
}

void ThreadPool::run(int threads, int tasks, Task task, void* context) {
  State& s = *state_;
  const int helpers = std::min({threads - 1, workers_, tasks - 1});
  std::unique_lock<std::mutex> busy(s.busy, std::try_to_lock);
  if (helpers <= 0 || !busy.owns_lock()) {
    for (int i = 0; i < tasks; ++i) task(context, i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.task = task;
    s.context = context;
    s.tasks = tasks;
    s.helpers = helpers;
    s.running.store(helpers);
    s.next.store(0);
    s.generation.fetch_add(1, std::memory_order_release);
  }
  s.wake.notify_all();
  for (int i; (i = s.next.fetch_add(1)) < tasks;) task(context, i);
  // The helpers are about to finish their last task: poll briefly, then sleep.
  for (int i = 0; s.running.load(std::memory_order_acquire) != 0; ++i) {
    cpu_relax();
    if (i > 4096) {
      std::unique_lock<std::mutex> lock(s.mutex);
      s.finished.wait(lock, [&] { return s.running.load() == 0; });
      break;
    }
  }
}

bool ThreadPool::workers_awake() const { return workers_ > 0 && state_->asleep.load() == 0; }

namespace {
std::atomic<ThreadPool*> global_pool{nullptr};
}  // namespace

bool global_workers_awake() {
  ThreadPool* pool = global_pool.load(std::memory_order_acquire);
  return pool != nullptr && pool->workers_awake();
}

ThreadPool& global_thread_pool() {
  // Never destroyed: a static destructor joining threads at exit could race with late users.
  static ThreadPool* pool = [] {
    auto* p = new ThreadPool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) - 1, kPoll);
    global_pool.store(p, std::memory_order_release);
    return p;
  }();
  return *pool;
}

}  // namespace pj
