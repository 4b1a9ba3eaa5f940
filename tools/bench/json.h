// `patchjit bench --json`: Google Benchmark's JSON format, so Google Benchmark's compare.py
// (Debian: libbenchmark-tools) compares two runs and bench/summarize.py tabulates one.
#pragma once

#include <string>

#include "tools/bench/results.h"

namespace pj::cli {

// A "context" object (Google Benchmark's fields, plus cpu_model, host_isa, peers,
// patchjit_version, min_time) and a "benchmarks" array: per row, one "iteration" entry per
// repetition named "<row>/<shape>" (time_unit "us"), then with two or more repetitions the
// "aggregate" entries "<row>/<shape>_mean", "_median" and "_stddev", as Google Benchmark writes
// them.
std::string to_benchmark_json(const BenchResults& results, const std::string& executable);

}  // namespace pj::cli
