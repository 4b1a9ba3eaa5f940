#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace pj {

struct ThreadPool::State {
  std::mutex busy;  // held by the job that owns the workers

  std::mutex mutex;
  std::condition_variable wake, finished;
  uint64_t generation = 0;
  bool stopping = false;
  // The current job.
  Task task = nullptr;
  void* context = nullptr;
  int tasks = 0;
  int helpers = 0;  // workers that take part
  std::atomic<int> next{0};
  int running = 0;  // helpers not yet done
  std::vector<std::thread> threads;
};

ThreadPool::ThreadPool(int workers) : workers_(std::max(0, workers)), state_(new State) {
  for (int i = 0; i < workers_; ++i) state_->threads.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  for (std::thread& t : state_->threads) t.join();
  delete state_;
}

void ThreadPool::work(int index) {
  State& s = *state_;
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.wake.wait(lock, [&] { return s.stopping || s.generation != seen; });
    if (s.stopping) return;
    seen = s.generation;
    if (index >= s.helpers) continue;
    lock.unlock();
    for (int i; (i = s.next.fetch_add(1)) < s.tasks;) s.task(s.context, i);
    lock.lock();
    if (--s.running == 0) s.finished.notify_one();
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
    s.running = helpers;
    s.next.store(0);
    ++s.generation;
  }
  s.wake.notify_all();
  for (int i; (i = s.next.fetch_add(1)) < tasks;) task(context, i);
  std::unique_lock<std::mutex> lock(s.mutex);
  s.finished.wait(lock, [&] { return s.running == 0; });
}

ThreadPool& global_thread_pool() {
  // Never destroyed: a static destructor joining threads at exit could race with late users.
  static ThreadPool* pool = new ThreadPool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) - 1);
  return *pool;
}

}  // namespace pj
