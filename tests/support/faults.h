// The faults a test binary linked with the static runtime was asked to inject
// (tests/support/fault_main.cc).
#pragma once

namespace pj::testing {

struct Faults {
  bool deny_exec = false;              // executable memory refused
  bool cache_cannot_allocate = false;  // the kernel cache cannot allocate its entries
};

const Faults& faults();

}  // namespace pj::testing
