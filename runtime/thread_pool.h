// A small persistent pool: workers are created once and sleep between jobs, so running a
// kernel on several threads creates no thread and allocates nothing.
#pragma once

#include <chrono>

namespace pj {

class ThreadPool {
 public:
  using Task = void (*)(void* context, int index);

  // Workers poll for a new job for `poll` after each one before they sleep.
  explicit ThreadPool(int workers, std::chrono::microseconds poll = std::chrono::microseconds(100));
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads a job can use: the workers and the caller.
  int max_threads() const { return workers_ + 1; }

  // Whether every worker is awake (polling after a recent job): a job starts on them at once,
  // where waking a sleeping one costs about 200 us on this machine.
  bool workers_awake() const;

  // Runs task(context, i) for i in [0, tasks) on the caller and up to threads - 1 workers, and
  // returns when all are done. If another job holds the pool, the caller runs them all.
  void run(int threads, int tasks, Task task, void* context);

 private:
  struct State;
  void work(int index);
  int workers_;
  std::chrono::microseconds poll_;
  State* state_;
};

// The pool pj_kernel_run uses: one worker per core beyond the caller's, started on first use.
ThreadPool& global_thread_pool();
// Whether the global pool exists with every worker awake (false before its first use).
bool global_workers_awake();

}  // namespace pj
