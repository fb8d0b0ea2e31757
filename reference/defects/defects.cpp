// The catalogue of defect switches, generated from defects.def.
#include "reference/defects/defects.hpp"

#include <array>

namespace flake {

namespace {

// The size is spelled out: deducing it from more than 256 initializers exceeds clang's fold
// expression limit. Every entry in order, so the last one is the last enumerator.
constexpr std::array<DefectInfo, static_cast<size_t>(Defect::kCount)> kCatalog{{
#define FLAKE_DEFECT(id, name, section, description, must_fail, may_fail) \
  DefectInfo{Defect::id, name, section, description, must_fail, may_fail},
#include "reference/defects/defects.def"
#undef FLAKE_DEFECT
}};
static_assert(kCatalog.back().defect ==
                  static_cast<Defect>(static_cast<size_t>(Defect::kCount) - 1),
              "every defect needs an entry, in the order of defects.def");

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

std::optional<Transport> parse_transport(std::string_view name) {
  if (name == "text") return Transport::Text;
  if (name == "msgpack") return Transport::MsgPack;
  if (name == "http") return Transport::Http;
  if (name == "sse") return Transport::Sse;
  return std::nullopt;
}

void DefectSet::set(Defect d, std::optional<Transport> only) {
  masks_[static_cast<size_t>(d)] |= only ? bit(*only) : kAll;
  any_ = true;
}

const DefectInfo* find_defect_spec(std::string_view spec, std::optional<Transport>& only) {
  only.reset();
  const size_t at = spec.find('@');
  if (at != std::string_view::npos) {
    only = parse_transport(spec.substr(at + 1));
    if (!only) return nullptr;
  }
  return find_defect(spec.substr(0, at));
}

DefectSet parse_defects(const std::vector<std::string>& specs) {
  DefectSet set;
  for (const std::string& spec : specs) {
    std::optional<Transport> only;
    if (const DefectInfo* info = find_defect_spec(spec, only)) set.set(info->defect, only);
  }
  return set;
}

}  // namespace flake
