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

int auto_threads(const Geometry& geometry, bool worker_awake) {
  // Measured on the 2-core development machine (README "Threads"), 56x56xC 3x3 kernels:
  // back to back, with the worker awake, two threads take 0.6x the time from 1.8 MB up;
  // waking a sleeping worker costs about 200 us, which only outputs of some 16 MB repay;
  // outputs that stream to DRAM (64 MiB and more) gain nothing from a second core.
  constexpr int64_t kAwakeFrom = int64_t{1} << 20, kAsleepFrom = int64_t{16} << 20, kUpTo = int64_t{64} << 20;
  const int64_t bytes = geometry.patches_bytes;  // the work: extract writes them, fold reads them
  if (bytes >= kUpTo) return 1;
  return bytes >= (worker_awake ? kAwakeFrom : kAsleepFrom) ? 2 : 1;
}

void run_rows(const Executor& executor, const Geometry& geometry, const uint8_t* input, uint8_t* output,
              int num_threads) {
  const int64_t rows = geometry.total_rows();
  int64_t threads =
      std::min<int64_t>(num_threads == 0 ? auto_threads(geometry, global_workers_awake()) : num_threads, rows);
  if (threads <= 1 || !executor.splittable()) {  // the pool is not even started
    executor.run(input, output, 0, rows);
    return;
  }
  threads = std::min<int64_t>(threads, global_thread_pool().max_threads());
  Job job{&executor, input, output, rows, static_cast<int>(threads)};
  global_thread_pool().run(job.parts, job.parts, &run_part, &job);
}

void run_positions(const Executor& executor, const Geometry& geometry, const uint8_t* input, uint8_t* output,
                   int64_t begin, int64_t end) {
  const int64_t width = geometry.cols_per_row();
  if (begin >= end || width == 0) return;
  int64_t row = begin / width, col = begin % width;
  const int64_t last_row = end / width, last_col = end % width;
  if (col != 0) {  // the partial first row
    executor.run_pixels(input, output, row, col, row == last_row ? last_col : width);
    if (row == last_row) return;
    ++row;
  }
  if (row < last_row) executor.run(input, output, row, last_row);
  if (last_col != 0) executor.run_pixels(input, output, last_row, 0, last_col);
}

}  // namespace pj
