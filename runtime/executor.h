// What every backend hands the runtime: something that fills a range of rows for one signature,
// whatever the batch size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "codegen/plan/geometry.h"

namespace pj {

// Same values as pj_backend.
enum class Backend : int { kAuto = 0, kReference, kInterp, kXbyak, kLlvm };
inline constexpr int kNumBackends = 5;

std::string_view backend_name(Backend backend);

class Executor {
 public:
  virtual ~Executor() = default;
  // Fills rows [row_begin, row_end) of the flattened (image, row) range (Geometry::total_rows).
  virtual void run(const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end) const = 0;
  // Fills pixels [col_begin, col_end) of flattened row `row` (a tile's partial row).
  virtual void run_pixels(const uint8_t* input, uint8_t* output, int64_t row, int64_t col_begin,
                          int64_t col_end) const = 0;
  // Whether rows may be split across threads (the golden loops are kept single-threaded).
  virtual bool splittable() const { return true; }
  // What runs and its plan, as `patchjit info` prints them.
  virtual std::string describe() const = 0;
  // Generated machine code, if any.
  virtual std::span<const uint8_t> code() const { return {}; }
  // The same kernel with non-temporal stores, for 64-byte aligned outputs, where the cost model
  // says streaming pays (codegen/plan/cost_model.h); built with this one, cached with it.
  virtual std::shared_ptr<const Executor> streaming() const { return nullptr; }
  // Machine code bytes held, the streaming twin's included (what the kernel cache counts).
  size_t code_bytes() const {
    const std::shared_ptr<const Executor> twin = streaming();
    return code().size() + (twin ? twin->code().size() : 0);
  }
};

}  // namespace pj
