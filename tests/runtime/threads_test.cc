// num_threads = 0: the thread count follows the output size and whether the pool's worker is
// awake (README "Threads"); the pool knows whether its workers are awake.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/runner.h"
#include "runtime/thread_pool.h"

namespace pj {
namespace {

Geometry of_bytes(int64_t bytes) {
  Geometry g;
  g.patches_bytes = bytes;  // extract: the output
  return g;
}

TEST(Threads, AutoCountFollowsSizeAndWorkerState) {
  const int64_t MiB = int64_t{1} << 20;
  for (bool awake : {false, true}) {
    EXPECT_EQ(auto_threads(of_bytes(MiB / 2), awake), 1);
    EXPECT_EQ(auto_threads(of_bytes(2 * MiB), awake), awake ? 2 : 1);
    EXPECT_EQ(auto_threads(of_bytes(20 * MiB), awake), 2);
    EXPECT_EQ(auto_threads(of_bytes(100 * MiB), awake), 1);  // streams to DRAM: one core saturates it
  }
}

void run_job(ThreadPool& pool) {
  std::atomic<int> done{0};
  pool.run(
      2, 2, [](void* c, int) { static_cast<std::atomic<int>*>(c)->fetch_add(1); }, &done);
  EXPECT_EQ(done.load(), 2);
}

// After a job a worker polls (here for a minute: awake however the test is scheduled), then
// sleeps (here at once).
TEST(Threads, PoolKnowsWhetherItsWorkerIsAwake) {
  ThreadPool polling(1, std::chrono::minutes(1)), sleeping(1, std::chrono::microseconds(0));
  run_job(polling);
  EXPECT_TRUE(polling.workers_awake());
  run_job(sleeping);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (sleeping.workers_awake() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_FALSE(sleeping.workers_awake());
  run_job(sleeping);  // and it still wakes for the next job
}

}  // namespace
}  // namespace pj
