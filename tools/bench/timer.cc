#include "tools/bench/timer.h"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace pj::cli {
namespace {

double now(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs `run` n times; seconds for all of them.
Timing time_calls(const std::function<void()>& run, int64_t n) {
  const double real0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
  for (int64_t i = 0; i < n; ++i) run();
  return {now(CLOCK_MONOTONIC) - real0, now(CLOCK_PROCESS_CPUTIME_ID) - cpu0};
}

}  // namespace

Timing Measurement::median() const {
  std::vector<Timing> sorted = repetitions;
  if (sorted.empty()) return {};
  // Ordered by wall time: the CPU time of the same repetition goes with it.
  std::sort(sorted.begin(), sorted.end(), [](const Timing& a, const Timing& b) { return a.real < b.real; });
  const size_t mid = sorted.size() / 2;
  if (sorted.size() % 2) return sorted[mid];
  return {(sorted[mid - 1].real + sorted[mid].real) / 2, (sorted[mid - 1].cpu + sorted[mid].cpu) / 2};
}

Timing Measurement::mean() const {
  Timing sum;
  for (const Timing& t : repetitions) sum.real += t.real, sum.cpu += t.cpu;
  const double n = std::max<double>(1, static_cast<double>(repetitions.size()));
  return {sum.real / n, sum.cpu / n};
}

Timing Measurement::stddev() const {
  if (repetitions.size() < 2) return {};
  const Timing m = mean();
  Timing sq;
  for (const Timing& t : repetitions) {
    sq.real += (t.real - m.real) * (t.real - m.real);
    sq.cpu += (t.cpu - m.cpu) * (t.cpu - m.cpu);
  }
  const double n = static_cast<double>(repetitions.size() - 1);
  return {std::sqrt(sq.real / n), std::sqrt(sq.cpu / n)};
}

double Measurement::spread() const {
  if (repetitions.size() < 2) return 0;
  const auto [lo, hi] = std::minmax_element(repetitions.begin(), repetitions.end(),
                                            [](const Timing& a, const Timing& b) { return a.real < b.real; });
  const double m = median().real;
  return m > 0 ? (hi->real - lo->real) / m : 0;
}

Measurement measure(const std::function<void()>& run, double min_seconds, int repetitions) {
  const double per_repetition = min_seconds / repetitions;
  // Calibrate: grow the call count tenfold until a batch lasts a tenth of a repetition, so the
  // clock's resolution and overhead are small against it; then scale to the repetition.
  int64_t n = 1;
  Timing batch = time_calls(run, n);
  while (batch.real < per_repetition / 10 && n < (int64_t{1} << 40)) {
    n *= 10;
    batch = time_calls(run, n);
  }
  Measurement m;
  const double per_call = std::max(batch.real / static_cast<double>(n), 1e-12);
  m.iterations = std::max<int64_t>(1, static_cast<int64_t>(per_repetition / per_call));
  for (int r = 0; r < repetitions; ++r) {
    Timing t = time_calls(run, m.iterations);
    const double calls = static_cast<double>(m.iterations);
    m.repetitions.push_back({t.real / calls, t.cpu / calls});
  }
  return m;
}

}  // namespace pj::cli
