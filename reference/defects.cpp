// The catalogue of defect switches (see defects.hpp).
#include "defects.hpp"

#include <array>

namespace flake {

namespace {

constexpr std::array kCatalog{
    DefectInfo{Defect::kNoAuthRequired, "no-auth-required",
               "§4.5 methods run without authentication"},
    DefectInfo{Defect::kAcceptForeignOrigin, "accept-foreign-origin",
               "§4.4 a foreign Origin is accepted"},
    DefectInfo{Defect::kAcceptAnyHost, "accept-any-host", "§4.3 any Host header is accepted"},
    DefectInfo{Defect::kNoDepthLimit, "no-depth-limit",
               "§8.9 JSON nested deeper than 64 levels is accepted"},
    DefectInfo{Defect::kAnswerNotifications, "answer-notifications",
               "§3.5 client notifications are answered"},
    DefectInfo{Defect::kEmptyBatchArray, "empty-batch-array",
               "§3.4 an empty batch is answered with []"},
    DefectInfo{Defect::kNoBatchLimit, "no-batch-limit",
               "§3.4 batches over 100 members are executed"},
    DefectInfo{Defect::kSeqGap, "seq-gap", "§6.2 every 10th notification skips a seq number"},
    DefectInfo{Defect::kResumeDuplicate, "resume-duplicate",
               "§7.3 resume replays lastSeq itself again"},
    DefectInfo{Defect::kNoUtf8Check, "no-utf8-check",
               "§2.7 invalid UTF-8 text is not closed with 1007"},
    DefectInfo{Defect::kNoSizeLimit, "no-size-limit",
               "§2.9 oversized messages are not closed with 1009"},
    DefectInfo{Defect::kNoAuthLockout, "no-auth-lockout",
               "§4.7 no close 4401 after three failed authentications"},
    DefectInfo{Defect::kNoAuthTimeout, "no-auth-timeout",
               "§4.8 silent unauthenticated sockets are not closed with 4408"},
    DefectInfo{Defect::kParseErrorId, "parse-error-id",
               "§2.8 parse errors carry id 0 instead of null"},
    DefectInfo{Defect::kWrongErrorCode, "wrong-error-code",
               "§3.8 unknown methods answer -32600 instead of -32601"},
    DefectInfo{Defect::kNoRateLimit, "no-rate-limit", "§8.3 the rate limit is not enforced"},
    DefectInfo{Defect::kNoSubprotocol, "no-subprotocol",
               "§1.6 the flake.v1 subprotocol is not selected when offered"},
    DefectInfo{Defect::kChunkCorrupt, "chunk-corrupt", "§6.10 a data.chunk payload is corrupted"},
    DefectInfo{Defect::kChunkOrder, "chunk-order",
               "§6.9 the first two data.chunk notifications swap"},
    DefectInfo{Defect::kChunkCount, "chunk-count",
               "§6.7 the metadata announces one chunk too many"},
    DefectInfo{Defect::kBinaryAsText, "binary-as-text",
               "§2.4 MessagePack requests are answered in text"},
    DefectInfo{Defect::kCorsWildcard, "cors-wildcard",
               "§9.5 Access-Control-Allow-Origin: * instead of the request's Origin"},
    DefectInfo{Defect::kNoBearerCheck, "no-bearer-check",
               "§4.10 HTTP endpoints run without Authorization: Bearer"},
    DefectInfo{Defect::kTicketReuse, "ticket-reuse", "§4.11 a ticket can be used more than once"},
    DefectInfo{Defect::kNo415, "no-415",
               "§9.4 POST without Content-Type application/json accepted"},
    DefectInfo{Defect::kSseNoRetry, "sse-no-retry", "§9.12 SSE bodies do not start with retry:"},
    DefectInfo{Defect::kSseIdGap, "sse-id-gap",
               "§9.13 SSE event ids skip a number every second event"},
    DefectInfo{Defect::kSseReplayDuplicate, "sse-replay-duplicate",
               "§9.13 Last-Event-ID replay sends the given id again"},
    DefectInfo{Defect::kDuplicateHost, "duplicate-host",
               "§1.4 requests with two Host headers are accepted"},
    DefectInfo{Defect::kNo405, "no-405", "§9.2 a wrong method on a known path answers 404"},
    DefectInfo{Defect::kRpcErrorStatus, "rpc-error-status",
               "§9.7 JSON-RPC errors over POST /api/v1/rpc come with HTTP 400"},
    DefectInfo{Defect::kHealthAuth, "health-auth", "§9.8 GET /api/v1/health requires the token"},
    DefectInfo{Defect::kDashboardUnknownOk, "dashboard-unknown-ok",
               "§9.9 an unknown service's dashboard answers 200 {}"},
    DefectInfo{Defect::kTicketExpiry, "ticket-expiry",
               "§9.11 the ticket answer says expiresInMs 60000"},
    DefectInfo{Defect::kSseNoReset, "sse-no-reset",
               "§9.13 an unusable Last-Event-ID gets no reset event"},
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

}  // namespace flake
