// The C header `patchjit aot` writes beside its object: the table, a declaration and a
// whole-tensor convenience per kernel, and a lookup by signature (C99, C++-compatible).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"
#include "tools/aot/manifest.h"

namespace pj::cli {

struct AotHeader {
  std::string name;      // the prefix of every symbol (a C identifier)
  std::string manifest;  // the manifest's path, as given
  std::string cpu, triple;
  int vector_bytes = 16;
  uint64_t required_features = 0;       // PJ_AOT_FEATURE_* bits
  std::vector<ManifestKernel> kernels;  // in the object's order
};

// NAME_<signature> (Plan::name(): e.g. NAME_e4_56x56x64_k3x3_s1x1_r1x1_same), the object's name.
std::string aot_symbol(const std::string& name, const Geometry& geometry);

// Whether `name` can prefix C identifiers: [A-Za-z_][A-Za-z0-9_]*.
bool is_c_identifier(const std::string& name);

std::string aot_header_text(const AotHeader& header);

}  // namespace pj::cli
