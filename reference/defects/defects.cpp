// The catalogue of defect switches, generated from defects.def.
#include "reference/defects/defects.hpp"

#include <array>

namespace flake {

namespace {

constexpr std::array kCatalog{
#define FLAKE_DEFECT(id, name, section, description, must_fail, may_fail) \
  DefectInfo{Defect::id, name, section, description, must_fail, may_fail},
#include "reference/defects/defects.def"
#undef FLAKE_DEFECT
};
static_assert(kCatalog.size() == static_cast<size_t>(Defect::kCount),
              "every defect needs an entry");

}  // namespace

std::span<const DefectInfo> defect_catalog() {
  return kCatalog;
}

const DefectInfo* find_defect(std::string_view name) {
  for (const DefectInfo& info : kCatalog) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

DefectSet parse_defects(const std::vector<std::string>& names) {
  DefectSet set;
  for (const std::string& name : names) {
    if (const DefectInfo* info = find_defect(name)) set.set(static_cast<size_t>(info->defect));
  }
  return set;
}

}  // namespace flake
