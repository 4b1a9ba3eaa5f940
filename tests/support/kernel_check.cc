#include "tests/support/kernel_check.h"

#include <cstring>
#include <utility>
#include <vector>

#include "reference/compare.h"
#include "reference/golden.h"
#include "tests/support/guarded_buffer.h"
#include "tests/support/random_spec.h"

namespace pj::testing {

PlanOptions random_options(std::mt19937_64& rng, PlanOptions o) {
  switch (rng() % 5) {
    case 0:
      o.unroll_budget = 1 + rng() % 8;
      break;
    case 1:
      o.max_unrolled_run_bytes = o.vector_bytes * (1 + rng() % 3) + rng() % 2 * (rng() % 64);
      break;
    case 2:
      o.unroll_budget = 1 + rng() % 4, o.max_unrolled_run_bytes = 64 + rng() % 200;
      break;
    case 3:  // long runs loop over blocks of any size; rows loop from any length
      o.run_block_bytes = o.vector_bytes * (1 + rng() % 4) + rng() % 2 * (rng() % 64);
      o.max_unrolled_run_bytes = o.run_block_bytes * (1 + rng() % 4) + rng() % 2 * (rng() % 64);
      o.loop_rows_from_moves = 1 + rng() % 16;
      break;
    default:
      break;
  }
  o.nontemporal = rng() % 4 == 0;
  if (rng() % 2 == 0) {  // rows loops over several planes, on inputs of any size
    o.planes_per_rows_loop = 1 + rng() % 20;
    o.planes_from_input_bytes = rng() % 3 == 0 ? 0 : rng() % 8192;
  }
  return o;
}

bool has_pixel_groups(const Plan& plan) {
  for (const RowClass& rc : plan.row_classes) {
    for (const Region& r : rc.regions) {
      if (r.grouped) return true;
    }
  }
  return false;
}

ExpectedOutput expected_output(const Geometry& g, const uint8_t* input, std::mt19937_64& rng) {
  ExpectedOutput out;
  out.expected = random_bytes(rng, static_cast<size_t>(g.output_bytes()));
  if (g.extract()) {
    golden_extract(g, input, out.expected.data());
  } else {
    golden_fold(g, input, out.expected.data());
  }
  out.poison = out.expected;
  const int64_t e = g.elem_size;
  for_each_output_element(g, [&](int64_t offset) {
    for (int64_t i = 0; i < e; ++i) out.poison[static_cast<size_t>(offset + i)] ^= 0xFF;
  });
  return out;
}

std::string check_fold(const Geometry& g, std::mt19937_64& rng,
                       const std::function<void(const uint8_t* patches, uint8_t* image)>& run,
                       const std::vector<uint8_t>* given) {
  GuardedBuffer in(static_cast<size_t>(g.patches_bytes),
                   rng() % 2 ? GuardedBuffer::Placement::kStart : GuardedBuffer::Placement::kEnd);
  GuardedBuffer out(static_cast<size_t>(g.image_bytes),
                    rng() % 2 ? GuardedBuffer::Placement::kStart : GuardedBuffer::Placement::kEnd);
  const std::vector<uint8_t> data = given != nullptr ? *given : random_fold_data(rng, g.dtype, in.size());
  if (!data.empty()) std::memcpy(in.data(), data.data(), data.size());
  const ExpectedOutput want = expected_output(g, in.data(), rng);
  if (!want.poison.empty()) std::memcpy(out.data(), want.poison.data(), want.poison.size());
  run(in.data(), out.data());
  const auto m = first_mismatch(g, want.expected.data(), out.data());
  return m ? describe(g, *m, want.expected.data(), out.data()) : "";
}

std::string check_kernel(const Plan& plan, KernelFunction kernel, std::mt19937_64& rng) {
  const Geometry& g = plan.geometry;
  const auto in_place = rng() % 2 ? GuardedBuffer::Placement::kStart : GuardedBuffer::Placement::kEnd;
  const auto out_place =
      rng() % 2 || plan.options.nontemporal ? GuardedBuffer::Placement::kStart : GuardedBuffer::Placement::kEnd;
  GuardedBuffer input(g.input_bytes(), in_place), output(g.output_bytes(), out_place);
  std::vector<uint8_t> data = random_bytes(rng, g.input_bytes());
  if (!data.empty()) std::memcpy(input.data(), data.data(), data.size());
  ExpectedOutput want = expected_output(g, input.data(), rng);
  if (!want.poison.empty()) std::memcpy(output.data(), want.poison.data(), want.poison.size());

  const int64_t rows = g.total_rows();
  const int64_t cut = static_cast<int64_t>(rng() % (rows + 1));
  for (auto [b, e] : {std::pair{int64_t{0}, cut}, std::pair{cut, rows}}) {
    call_kernel(kernel, KernelArgs{input.data(), output.data(), b, e});
  }
  auto m = first_mismatch(g, want.expected.data(), output.data());
  return m ? describe(g, *m, want.expected.data(), output.data()) : "";
}

Geometry sixty_four_bit_geometry() {
  Spec spec;
  spec.dtype = DType::kUInt8;
  spec.image_shape = {1, 3, (int64_t{1} << 31) + 5, 1};
  spec.ksizes = {1, 2, 2, 1};
  spec.strides = {1, 1, int64_t{1} << 30, 1};
  spec.padding = Padding::kSame;
  return *make_geometry(spec);
}

std::string check_sixty_four_bit_kernel(const Plan& plan, KernelFunction kernel) {
  const Geometry& g = plan.geometry;
  GuardedBuffer input(g.input_bytes(), GuardedBuffer::Placement::kEnd);
  // Mark the bytes the taps read (each a distinct value); untouched pages read as zero.
  std::mt19937_64 rng(7);
  for (int64_t r = 0; r < g.rows.in; ++r) {
    for (int64_t c = 0; c < g.cols.out; ++c) {
      for (int64_t dc : {int64_t{0}, int64_t{1}}) {
        const int64_t col = c * g.cols.stride - g.cols.pad_before + dc;
        if (col >= 0 && col < g.cols.in) input.data()[r * g.cols.in + col] = static_cast<uint8_t>(1 + rng() % 255);
      }
    }
  }
  std::vector<uint8_t> expected(g.output_bytes()), actual(g.output_bytes(), 0xEE);
  golden_extract(g, input.data(), expected.data());
  call_kernel(kernel, KernelArgs{input.data(), actual.data(), 0, g.total_rows()});
  auto m = first_mismatch(g, expected.data(), actual.data());
  return m ? describe(g, *m, expected.data(), actual.data()) : "";
}

}  // namespace pj::testing
