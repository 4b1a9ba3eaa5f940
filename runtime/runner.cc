#include "runtime/runner.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace pj {
namespace {

struct Job {
  const Executor* executor;
  const uint8_t* input;
  uint8_t* output;
  int64_t rows;
  int parts;
};

void run_part(void* context, int part) {
  const Job& job = *static_cast<const Job*>(context);
  const int64_t begin = job.rows * part / job.parts, end = job.rows * (part + 1) / job.parts;
  if (begin < end) job.executor->run(job.input, job.output, begin, end);
}

}  // namespace

int auto_threads(const Geometry& geometry) {
  // A second thread pays off only on large outputs: small ones lose more to waking it than
  // they gain. (Threshold from the thread benchmark; see README.)
  constexpr int64_t kTwoThreadsFrom = int64_t{4} << 20;
  return geometry.output_bytes >= kTwoThreadsFrom ? 2 : 1;
}

void run_rows(const Executor& executor, const Geometry& geometry, const uint8_t* input,
              uint8_t* output, int num_threads) {
  const int64_t rows = geometry.batch * geometry.rows.out;
  int64_t threads = std::min<int64_t>(num_threads == 0 ? auto_threads(geometry) : num_threads, rows);
  if (threads <= 1 || !executor.splittable()) {  // the pool is not even started
    executor.run(input, output, 0, rows);
    return;
  }
  threads = std::min<int64_t>(threads, global_thread_pool().max_threads());
  Job job{&executor, input, output, rows, static_cast<int>(threads)};
  global_thread_pool().run(job.parts, job.parts, &run_part, &job);
}

}  // namespace pj
