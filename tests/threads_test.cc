// num_threads = 0: the thread count follows the output size and whether the pool's worker is
// awake (README "Threads").
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
  g.output_bytes = bytes;
  return g;
}

TEST(Threads, AutoCountFollowsSizeAndWorkerState) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one core";
  const int64_t MiB = int64_t{1} << 20;
  // Asleep (or not started): only outputs that repay a wake-up, never DRAM-bound ones.
  if (!global_workers_awake()) {
    EXPECT_EQ(auto_threads(of_bytes(2 * MiB)), 1);
  }
  EXPECT_EQ(auto_threads(of_bytes(100 * MiB)), 1);
  // Right after a job the worker polls: two threads pay from 1 MiB. (On a loaded machine this
  // thread may lose the core for longer than the worker polls: try a few times.)
  bool seen_awake = false;
  for (int attempt = 0; attempt < 100 && !seen_awake; ++attempt) {
    std::atomic<int> done{0};
    global_thread_pool().run(2, 2, [](void* c, int) { static_cast<std::atomic<int>*>(c)->fetch_add(1); }, &done);
    EXPECT_EQ(done.load(), 2);
    const int at_1_mib = auto_threads(of_bytes(2 * MiB));
    if (global_workers_awake() && at_1_mib == 2) seen_awake = true;
  }
  EXPECT_TRUE(seen_awake);
  EXPECT_EQ(auto_threads(of_bytes(MiB / 2)), 1);
  EXPECT_EQ(auto_threads(of_bytes(100 * MiB)), 1);
  // Idle long past its polling time, the worker sleeps: back to the higher threshold.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(global_workers_awake());
  EXPECT_EQ(auto_threads(of_bytes(2 * MiB)), 1);
  EXPECT_EQ(auto_threads(of_bytes(20 * MiB)), 2);
}

}  // namespace
}  // namespace pj
