// Defect switches: each breaks exactly one rule of docs/protocol.md, so the conformance suite can
// prove that the case checking that rule fails. Never on by default; selected with --defect NAME.
#pragma once

#include <span>
#include <string_view>

namespace flake {

enum class Defect {
  kNoAuthRequired,        // §4: methods run before auth.authenticate
  kAcceptForeignOrigin,   // §4: Origin allowlist not applied
  kAcceptAnyHost,         // §4: Host allowlist not applied
  kNoDepthLimit,          // §3: JSON deeper than 64 levels accepted
  kAnswerNotifications,   // §3: notifications get a response
  kEmptyBatchArray,       // §3: empty batch answered with [] instead of one error
  kNoBatchLimit,          // §3: batches over 100 members executed
  kSeqGap,                // §6: every 10th notification skips a seq number
  kResumeDuplicate,       // §7: resume replays lastSeq itself again
  kNoUtf8Check,           // §2: invalid UTF-8 in text messages not closed with 1007
  kNoSizeLimit,           // §2: oversized messages not closed with 1009
  kNoAuthLockout,         // §4: no close 4401 after the third failed authentication
  kNoAuthTimeout,         // §4: unauthenticated sockets not closed with 4408
  kParseErrorId,          // §3: parse errors carry id 0 instead of null
  kWrongErrorCode,        // §3: unknown methods answer -32600 instead of -32601
  kNoRateLimit,           // §8: rate limit not enforced
  kNoSubprotocol,         // §1: the flake.v1 subprotocol is not selected when offered
  kChunkCorrupt,          // §6.10: one byte of the first data.chunk payload is flipped
  kChunkOrder,            // §6.9: the first two data.chunk notifications swap places
  kChunkCount,            // §6.7: the metadata announces one chunk more than is sent
  kBinaryAsText,          // §2.4: MessagePack requests are answered in text frames
  kCorsWildcard,          // §9.5: Access-Control-Allow-Origin: * instead of the Origin
  kNoBearerCheck,         // §4.10: HTTP endpoints served without authentication
  kTicketReuse,           // §4.11: a ticket authenticates more than one SSE request
  kNo415,                 // §9.4: POST bodies accepted whatever their Content-Type
  kSseNoRetry,            // §9.12: SSE bodies do not start with a retry: line
  kSseIdGap,              // §9.13: SSE event ids skip a number every second event
  kSseReplayDuplicate,    // §9.13: Last-Event-ID replay repeats the given id
  kDuplicateHost,         // §1.4: requests with two Host headers accepted
  kNo405,                 // §9.2: a wrong method on a known path answered 404
  kRpcErrorStatus,        // §9.7: JSON-RPC errors over POST /api/v1/rpc come with HTTP 400
  kHealthAuth,            // §9.8: GET /api/v1/health requires the Bearer token
  kDashboardUnknownOk,    // §9.9: an unknown service's dashboard answered 200 {}
  kTicketExpiry,          // §9.11: the ticket answer says expiresInMs 60000
  kSseNoReset,            // §9.13: an unusable Last-Event-ID gets live events without a reset
  kChunkedIgnored,        // §9.1: a chunked request body is taken as no body
  kNoGzip,                // §9.6: bodies are never gzip-compressed
  kGzipUnasked,           // §9.6: bodies over 1 KiB are compressed whatever Accept-Encoding says
  kNoAllowHeader,         // §9.3: 405 responses carry no Allow header
  kNoRetryAfter,          // §9.3: 429 and 503 responses carry no Retry-After header
  kExportNoMsgpack,       // §9.10: the log export ignores Accept: application/msgpack
  kExportRangeUnchecked,  // §9.10: a missing or malformed timeRange exports the last hour
  kSseMetricsOneService,  // §9.12: the SSE metrics stream carries one service only
  kSseHeartbeatIdleOnly,  // §9.14: SSE heartbeats only after 10 s without events
  kTicketNoExpiry,        // §4.11: tickets never expire
  kTicketShort,           // §4.11: tickets of 8 hex characters (32 random bits)
  kDropOnAbruptClose,     // §7.1: a connection ending without a close frame loses its session
  kShortGrace,            // §7.1: detached sessions expire after half the grace period
  kRingDetachedOnly,      // §7.2: the ring records only what is generated while detached
  kSmallRing,             // §7.2: replay rings hold 1,000 notifications
  kResumeAtLastError,     // §7.3: lastSeq equal to the last seq is refused
  kKeepFreshSession,      // §7.3: a resume keeps the connection's fresh session
  kPartialReplay,         // §7.4: resume replays what is left of an overflowed ring
  kResumeErrorResets,     // §7.4: a failed resume gives the connection a new session
  kResumeAnySession,      // §7.4: unknown session ids resume with nothing replayed
  kNoPings,               // §7.6: no keepalive pings
  kNoPingTimeout,         // §7.6: unanswered pings never close the connection
  kPongMustEcho,          // §7.6: only pongs echoing the ping payload count
  kPingTimeoutDropsSession,  // §7.6: a ping timeout discards the session
  kNoHeaderTimeout,          // §8.5: incomplete request heads are never timed out
  kSmallHeadLimit,           // §8.5: request heads over 4 KiB refused
  kAnyJsonrpcVersion,    // §3.2: requests run whatever their jsonrpc member says
  kDiscoverIncomplete,   // §5.5: rpc.discover leaves data.chunk out
  kCount
};

struct DefectInfo {
  Defect defect;
  std::string_view name;
  std::string_view description;
};

std::span<const DefectInfo> defect_catalog();
const DefectInfo* find_defect(std::string_view name);

}  // namespace flake
