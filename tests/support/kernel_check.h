// The differential check every JIT backend's random test shares: planner options squeezed so
// that every loop form appears, and one kernel run against the golden loops between guard
// pages, on fresh random data, with the output poisoned and the rows split at random.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"

namespace pj::testing {

// `options` as the runtime picks them, or squeezed (tiny unroll budgets and run limits) so that
// row loops, gather loops and long-run loops all appear in small signatures; non-temporal
// stores one time in four (honoured by the plan only where taps are whole cache lines).
PlanOptions random_options(std::mt19937_64& rng, PlanOptions options);

// Whether some region of `plan` writes pixel groups (what the AVX-512 kernels do with them).
bool has_pixel_groups(const Plan& plan);

// An output buffer's expected bytes (the golden loops' elements, extract's or fold's, random bytes between them)
// and its poison: the same with every element byte complemented, so that an element left
// unwritten differs, and a byte between elements written over differs too.
struct ExpectedOutput {
  std::vector<uint8_t> expected, poison;
};
ExpectedOutput expected_output(const Geometry& g, const uint8_t* input, std::mt19937_64& rng);

// Fold's differential check: patches of random_fold_data (or `data`, of the patches' size) and
// the image (poisoned) each against a guard page at a random end; run(patches, image) fills the
// image. Returns "" when it equals fold's golden loops, else the first differing element.
std::string check_fold(const Geometry& g, std::mt19937_64& rng,
                       const std::function<void(const uint8_t* patches, uint8_t* image)>& run,
                       const std::vector<uint8_t>* data = nullptr);

// Runs `kernel`, compiled from `plan`, over all rows of `plan.geometry` (batch included) in
// two random parts. Returns "" when the output equals the golden loops', else the first
// differing element. Streaming plans get a 64-byte aligned output, as the runtime ensures.
std::string check_kernel(const Plan& plan, KernelFunction kernel, std::mt19937_64& rng);

// Offsets beyond 32 bits: uint8 [1, 3, 2^31 + 5, 1], 2x2 SAME, column stride 2^30, whose
// kernel rows and anchors lie more than 2 GiB apart (a 6 GiB input, reserved, mostly never
// touched).
Geometry sixty_four_bit_geometry();
// Runs `kernel` (compiled from a plan of that geometry) with only the bytes its taps read
// written, and returns "" or the first difference from the golden loops.
std::string check_sixty_four_bit_kernel(const Plan& plan, KernelFunction kernel);

}  // namespace pj::testing
