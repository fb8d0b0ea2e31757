// Defect switches: each breaks exactly one rule of docs/protocol.md, so the conformance suite can
// prove that the case checking that rule fails. Never on by default; selected with --defect NAME.
// Every switch is declared once, in defects.def; the enum and the catalogue are generated from it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
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

// The paths one JSON-RPC semantics travels (docs/protocol.md §2.2 text frames, §2.3 MessagePack
// frames, §9.7 POST /api/v1/rpc), and for notifications the SSE streams (§9.12). `--defect
// NAME@PATH` breaks a rule on one of them only, so the suite can show that each path of a rule is
// checked on its own.
enum class Transport : uint8_t { Text, MsgPack, Http, Sse };
inline constexpr size_t kTransports = 4;
std::optional<Transport> parse_transport(std::string_view name);

// The switches that are on, each with the transports it acts on.
class DefectSet {
 public:
  // Turns `d` on for `only` (every transport when unset); repeated calls add transports.
  void set(Defect d, std::optional<Transport> only = std::nullopt);
  // On for this transport: what code that knows the message's transport asks.
  bool test(Defect d, Transport t) const { return (masks_[static_cast<size_t>(d)] & bit(t)) != 0; }
  // On for every transport: what code that does not know one asks, so that a switch restricted
  // to one path never acts elsewhere.
  bool test(Defect d) const { return masks_[static_cast<size_t>(d)] == kAll; }
  // Some switch is on (for any transport): fast paths that bypass the seams stand aside.
  bool any() const { return any_; }

 private:
  static constexpr uint8_t kAll = (1u << kTransports) - 1;
  static constexpr uint8_t bit(Transport t) { return uint8_t(1u << static_cast<unsigned>(t)); }
  std::array<uint8_t, static_cast<size_t>(Defect::kCount)> masks_{};
  bool any_ = false;  // kept by set(): read per message, so not a scan of masks_
};

std::span<const DefectInfo> defect_catalog();
const DefectInfo* find_defect(std::string_view name);
// "NAME" or "NAME@PATH" (PATH: text, msgpack, http, sse): the switch and the transport it is
// limited to; nullptr when either part is unknown.
const DefectInfo* find_defect_spec(std::string_view spec, std::optional<Transport>& only);
// The switches named (--defect NAME[@PATH], already validated); unknown names are ignored.
DefectSet parse_defects(const std::vector<std::string>& specs);

}  // namespace flake
