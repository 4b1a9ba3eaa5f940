// The differential check every JIT backend's random test shares: planner options squeezed so
// that every loop form appears, and one kernel run against the golden loops between guard
// pages, on fresh random data, with the output poisoned and the rows split at random.
#pragma once

#include <random>
#include <string>

#include "codegen/plan/kernel_abi.h"
#include "codegen/plan/plan.h"

namespace pj::testing {

// `options` as the runtime picks them, or squeezed (tiny unroll budgets and run limits) so that
// row loops, gather loops and long-run loops all appear in small signatures; non-temporal
// stores one time in four (honoured by the plan only where taps are whole cache lines).
PlanOptions random_options(std::mt19937_64& rng, PlanOptions options);

// Runs `kernel`, compiled from `plan`, over all rows of `plan.geometry` (batch included) in
// two random parts. Returns "" when the output equals the golden loops', else the first
// differing element. Streaming plans get a 64-byte aligned output, as the runtime ensures.
std::string check_kernel(const Plan& plan, KernelFunction kernel, std::mt19937_64& rng);

}  // namespace pj::testing
