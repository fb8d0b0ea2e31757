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
    DefectInfo{Defect::kChunkedIgnored, "chunked-ignored",
               "§9.1 a chunked request body is taken as no body"},
    DefectInfo{Defect::kNoGzip, "no-gzip", "§9.6 bodies are never gzip-compressed"},
    DefectInfo{Defect::kGzipUnasked, "gzip-unasked",
               "§9.6 bodies over 1 KiB are gzip-compressed whatever Accept-Encoding says"},
    DefectInfo{Defect::kNoAllowHeader, "no-allow-header", "§9.3 405 responses carry no Allow"},
    DefectInfo{Defect::kNoRetryAfter, "no-retry-after",
               "§9.3 429 and 503 responses carry no Retry-After"},
    DefectInfo{Defect::kExportNoMsgpack, "export-no-msgpack",
               "§9.10 the log export answers JSON to Accept: application/msgpack"},
    DefectInfo{Defect::kExportRangeUnchecked, "export-range-unchecked",
               "§9.10 a missing or malformed timeRange exports the last hour"},
    DefectInfo{Defect::kSseMetricsOneService, "sse-metrics-one-service",
               "§9.12 the SSE metrics stream carries one service only"},
    DefectInfo{Defect::kSseHeartbeatIdleOnly, "sse-heartbeat-idle-only",
               "§9.14 SSE heartbeats only after 10 s without events"},
    DefectInfo{Defect::kTicketNoExpiry, "ticket-no-expiry", "§4.11 tickets never expire"},
    DefectInfo{Defect::kTicketShort, "ticket-short",
               "§4.11 tickets of 8 hex characters (32 random bits)"},
    DefectInfo{Defect::kDropOnAbruptClose, "drop-on-abrupt-close",
               "§7.1 a connection that ends without a close frame loses its session"},
    DefectInfo{Defect::kShortGrace, "short-grace",
               "§7.1 detached sessions are discarded after half the grace period"},
    DefectInfo{Defect::kRingDetachedOnly, "ring-detached-only",
               "§7.2 the replay ring records only notifications generated while detached"},
    DefectInfo{Defect::kSmallRing, "small-ring", "§7.2 replay rings hold only 1,000 notifications"},
    DefectInfo{Defect::kResumeAtLastError, "resume-at-last-error",
               "§7.3 a lastSeq equal to the session's last seq gets -32602"},
    DefectInfo{Defect::kKeepFreshSession, "keep-fresh-session",
               "§7.3 a successful resume leaves the fresh session resumable"},
    DefectInfo{Defect::kPartialReplay, "partial-replay",
               "§7.4 an overflowed ring is replayed in part instead of -32007"},
    DefectInfo{Defect::kResumeErrorResets, "resume-error-resets",
               "§7.4 a failed session.resume gives the connection a new session"},
    DefectInfo{Defect::kResumeAnySession, "resume-any-session",
               "§7.4 an unknown sessionId resumes with nothing replayed"},
    DefectInfo{Defect::kNoPings, "no-pings", "§7.6 no keepalive pings are sent"},
    DefectInfo{Defect::kNoPingTimeout, "no-ping-timeout",
               "§7.6 unanswered pings never close the connection"},
    DefectInfo{Defect::kPongMustEcho, "pong-must-echo",
               "§7.6 only pongs that echo the ping payload count as answers"},
    DefectInfo{Defect::kPingTimeoutDropsSession, "ping-timeout-drops-session",
               "§7.6 a connection closed for a ping timeout loses its session"},
    DefectInfo{Defect::kNoHeaderTimeout, "no-header-timeout",
               "§8.5 incomplete request heads are waited for 60 s"},
    DefectInfo{Defect::kSmallHeadLimit, "small-head-limit",
               "§8.5 request heads over 4 KiB are refused"},
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
