// The catalogue of the reference client's defect switches, generated from client_defects.def.
#include "reference/client/client_defects.hpp"

#include <array>

namespace flake::client {
namespace {

constexpr std::array kCatalog{
#define FLAKE_CLIENT_DEFECT(id, name, rule, must_fail, description) \
  ClientDefectInfo{ClientDefect::id, name, rule, must_fail, description},
#include "reference/client/client_defects.def"
#undef FLAKE_CLIENT_DEFECT
};
static_assert(kCatalog.size() == static_cast<size_t>(ClientDefect::kCount),
              "every client defect needs an entry");

}  // namespace

std::span<const ClientDefectInfo> client_defect_catalog() {
  return kCatalog;
}

const ClientDefectInfo* find_client_defect(std::string_view name) {
  for (const ClientDefectInfo& info : kCatalog) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

ClientBehaviour ClientBehaviour::from_names(const std::vector<std::string>& names) {
  ClientBehaviour b;
  for (const std::string& name : names) {
    if (const ClientDefectInfo* info = find_client_defect(name)) b.enable(info->defect);
  }
  return b;
}

}  // namespace flake::client
