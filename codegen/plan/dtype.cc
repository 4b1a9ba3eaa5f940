#include "codegen/plan/dtype.h"

#include <array>

namespace pj {
namespace {

struct DTypeInfo {
  std::string_view name;
  int size;
};

constexpr std::array<DTypeInfo, kNumDTypes> kInfo = {{
    {"float32", 4},
    {"float64", 8},
    {"int32", 4},
    {"int64", 8},
    {"uint8", 1},
    {"int16", 2},
    {"int8", 1},
    {"uint16", 2},
    {"half", 2},
    {"bfloat16", 2},
    {"complex64", 8},
    {"complex128", 16},
    {"bool", 1},
    {"uint32", 4},
    {"uint64", 8},
}};

}  // namespace

int element_size(DType dtype) { return kInfo[static_cast<int>(dtype)].size; }

std::string_view dtype_name(DType dtype) { return kInfo[static_cast<int>(dtype)].name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  if (name == "float16") return DType::kHalf;
  for (int i = 0; i < kNumDTypes; ++i) {
    if (kInfo[i].name == name) return static_cast<DType>(i);
  }
  return std::nullopt;
}

}  // namespace pj
