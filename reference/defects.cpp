// The catalogue of defect switches (see defects.hpp).
#include "defects.hpp"

#include <array>

namespace flake {

namespace {

constexpr std::array kCatalog{
    DefectInfo{Defect::kNoAuthRequired, "no-auth-required", "§4.2 methods run without authentication"},
    DefectInfo{Defect::kAcceptForeignOrigin, "accept-foreign-origin", "§4.5 foreign Origin accepted"},
    DefectInfo{Defect::kAcceptAnyHost, "accept-any-host", "§4.6 any Host header accepted"},
    DefectInfo{Defect::kNoDepthLimit, "no-depth-limit", "§3 JSON nested deeper than 64 accepted"},
    DefectInfo{Defect::kAnswerNotifications, "answer-notifications", "§3 notifications answered"},
    DefectInfo{Defect::kEmptyBatchArray, "empty-batch-array", "§3 empty batch answered with []"},
    DefectInfo{Defect::kNoBatchLimit, "no-batch-limit", "§3 batches over 100 members executed"},
    DefectInfo{Defect::kSeqGap, "seq-gap", "§6 every 10th notification skips a seq number"},
    DefectInfo{Defect::kResumeDuplicate, "resume-duplicate", "§7 resume replays lastSeq again"},
    DefectInfo{Defect::kNoUtf8Check, "no-utf8-check", "§2 invalid UTF-8 text not closed with 1007"},
    DefectInfo{Defect::kNoSizeLimit, "no-size-limit", "§2 oversized messages not closed with 1009"},
    DefectInfo{Defect::kNoAuthLockout, "no-auth-lockout", "§4 no close 4401 after 3 failed auths"},
    DefectInfo{Defect::kNoAuthTimeout, "no-auth-timeout", "§4 no close 4408 for silent sockets"},
    DefectInfo{Defect::kParseErrorId, "parse-error-id", "§3 parse errors carry id 0, not null"},
    DefectInfo{Defect::kWrongErrorCode, "wrong-error-code", "§3 unknown method answers -32600"},
    DefectInfo{Defect::kNoRateLimit, "no-rate-limit", "§8 rate limit not enforced"},
    DefectInfo{Defect::kNoSubprotocol, "no-subprotocol", "§1 flake.v1 subprotocol not selected"},
};
static_assert(kCatalog.size() == static_cast<size_t>(Defect::kCount), "every defect needs an entry");

}  // namespace

std::span<const DefectInfo> defect_catalog() { return kCatalog; }

const DefectInfo* find_defect(std::string_view name) {
  for (const DefectInfo& info : kCatalog) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace flake
