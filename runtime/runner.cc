#include "runtime/runner.h"

namespace pj {

void run_rows(const Executor& executor, const Geometry& geometry, const uint8_t* input,
              uint8_t* output, int /*num_threads*/) {
  // One thread until the thread pool lands (issue 3).
  executor.run(input, output, 0, geometry.batch * geometry.rows.out);
}

}  // namespace pj
