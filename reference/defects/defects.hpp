// Defect switches: each breaks exactly one rule of docs/protocol.md, so the conformance suite can
// prove that the case checking that rule fails. Never on by default; selected with --defect NAME.
// Every switch is declared once, in defects.def; the enum and the catalogue are generated from it.
#pragma once

#include <bitset>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flake {

enum class Defect {
#define FLAKE_DEFECT(id, name, section, description, must_fail, may_fail) id,
#include "reference/defects/defects.def"
#undef FLAKE_DEFECT
  kCount
};

struct DefectInfo {
  Defect defect;
  std::string_view name;         // the --defect NAME
  std::string_view section;      // where the broken rule is written in docs/protocol.md ("4.5")
  std::string_view description;  // what the reference then does
  std::string_view must_fail;    // self-test selectors that must fail, comma-separated
  std::string_view may_fail;     // selectors that may fail as well, or "-"
};

using DefectSet = std::bitset<static_cast<size_t>(Defect::kCount)>;

std::span<const DefectInfo> defect_catalog();
const DefectInfo* find_defect(std::string_view name);
// The switches named (--defect NAME, already validated); unknown names are ignored.
DefectSet parse_defects(const std::vector<std::string>& names);

}  // namespace flake
