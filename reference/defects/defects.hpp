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
  kPingTimeoutDropsSession,    // §7.6: a ping timeout discards the session
  kNoHeaderTimeout,            // §8.5: incomplete request heads are never timed out
  kSmallHeadLimit,             // §8.5: request heads over 4 KiB refused
  kAnyJsonrpcVersion,          // §3.2: requests run whatever their jsonrpc member says
  kDiscoverIncomplete,         // §5.5: rpc.discover leaves data.chunk out
  kWhitespaceRefused,          // §2.2: text messages with leading/trailing whitespace get -32700
  kBinaryRefused,              // §2.3: binary messages are closed with 1003
  kNonStrKeyParseError,        // §2.3: a map key that is not a str gets -32700 instead of -32600
  kMsgpackTrailingIgnored,     // §2.3: bytes after the first MessagePack object are ignored
  kExtAsString,                // §2.3: ext values decode as the base64 text of their data
  kTruncatedInvalidRequest,    // §2.3: a truncated MessagePack object gets -32600, not -32700
  kNotificationsJsonOnly,      // §2.4: subscription notifications always in text (JSON)
  kUtf8PerFragment,            // §2.7: UTF-8 validity judged per received fragment
  kNamedParamsIgnored,         // §3.1: paginated list methods ignore by-name params
  kCaseInsensitiveMembers,     // §3.1: request member names matched ignoring case
  kInvalidWithoutIdSilent,     // §3.2: an invalid request object without id is not answered
  kParamsUnchecked,            // §3.2: params of any type accepted
  kIdTypeUnchecked,            // §3.2: ids of any type accepted and echoed
  kNonObjectParseError,        // §3.2: a message that is not an object or array gets -32700
  kUnknownMembersRefused,      // §3.2: request members the protocol does not define get -32600
  kIdInt32,                    // §3.3: numeric ids echoed as 32-bit integers
  kNullIdZero,                 // §3.3: a null id is answered with id 0
  kMsgpackLengthClamped,       // §8.8: declared lengths beyond the message are clamped to it
  kFirstDuplicateWins,         // §8.10: the first of duplicate keys is used
  kSurrogateClosesConnection,  // §8.10: a lone surrogate escape closes the connection with 1011
  kBatchParseErrorArray,       // §3.4: a batch that does not parse is answered with [-32700]
  kBatchDropsInvalid,          // §3.4: invalid batch members (§3.2, non-objects) get no response
  kNotificationBatchArray,     // §3.4: an all-notification batch is answered with []
  kBatchLimitOffByOne,         // §3.4: a batch of exactly 100 members is refused as too long
  kBatchAuthSnapshot,          // §3.4: batch members see the auth state the batch started with
  kNoParamsRefuseArray,        // §3.6: methods without params refuse params []
  kArrayParamsAccepted,        // §3.6: array params are taken as absent params
  kParamsDefaulted,            // §3.6: a limit of the wrong type gets the default
  kUnknownParamsRejected,      // §3.6: params members a method does not define get -32602
  kLookupBeforeAuth,           // §3.7: unknown methods get -32601 before the auth gate
  kUpgradeAnyPath,             // §1.5: WebSocket upgrades accepted at any path, not only /rpc
  kRefusalNoBody,              // §1.5: refused upgrades answered without the JSON error body
  kNoDeflate,                  // §1.7: permessage-deflate not offered to lws, so never accepted
  kCompressionUnadvertised,    // §1.7: capabilities.compression is []
  kNoFragments,                // §2.5: fragmented messages closed with 1003
  kTokenLogged,                // §4.2: a failed authentication logs the expected token
  kHostCaseSensitive,          // §4.3: Host names compared case-sensitively
  kOriginCaseSensitive,        // §4.4: allowlisted origins compared case-sensitively
  kOriginRequired,             // §4.4: HTTP requests (not upgrades) without an Origin get 403
  kPingRequiresAuth,           // §4.5: system.ping gets -32001 before authentication
  kCapabilitiesIncomplete,     // §4.6: capabilities lack resumeGraceMs
  kTokenPrefixMatch,           // §4.6: any token starting with the secret authenticates
  kTokenTypeUnauthenticated,   // §4.6: a missing or non-string token gets -32001, not -32602
  kClientInfoUnchecked,        // §4.6: a clientInfo that is not an object is accepted
  kReauthNewSession,           // §4.9: authenticating again gives the connection a new session
  kCapOffByOne,                // §8.4: the connection cap lets a 65th connection in
  kShutdownNoClose,            // §8.11: SIGTERM drops connections without close 1001
  kTestMethodsUngated,         // §11.1: test.* methods run before authentication
  kSubprotocolRequired,        // §1.6: upgrades that offer no subprotocol are refused
  kBareServiceResource,        // §5.2: an unserved service's -32004 names data.resource "<name>"
  kUnknownPrefixNotFound,      // §5.2: <unserved>.getDashboard answers -32004 instead of -32601
  kPingSeconds,                // §5.4: system.ping answers now in seconds
  kMultiDashboardPartial,      // §5.6: multi.getDashboard leaves the last service out
  kPageOverlap,               // §5.7: a page after the first repeats the previous page's last item
  kLimitClamped,              // §5.7: an integer limit outside 1..100 is clamped, not refused
  kCursorUnchecked,           // §5.7: an unrecognised string cursor gives the first page
  kDefaultLimit10,            // §5.7: limit defaults to 10
  kBatchExecuteStops,         // §5.8: batch.execute stops after the first failed operation
  kBatchExecuteNoLimit,       // §5.8: batch.execute runs more than 100 operations
  kSubscribeReusesId,         // §5.9: an identical logs.subscribe returns the existing id
  kLevelIgnored,              // §5.9: logs.subscribe's level does not filter entries
  kUnsubscribeUnknownOk,      // §5.11: unsubscribing an unknown id answers {"ok":true}
  kUnsubscribeStillSends,     // §5.11: unsubscribe answers ok but the subscription stays
  kCompressUnchecked,         // §5.12: a non-boolean compress is taken for its truthiness
  kResumeNoIdExpired,         // §5.13: a missing sessionId is looked up as "" (-32007)
  kLogEntryRepeated,          // §6.1: each logs.update after the first repeats one entry
  kExpiryIgnoresClock,        // §7.4: grace periods run on the steady clock, not the sidecar clock
  kResumeAheadOk,             // §7.4: a lastSeq beyond the session's last seq resumes
  kResumeOwnSession,          // §7.4: resuming the connection's own session answers resumed
  kTakeoverClose1000,         // §7.5: a taken-over connection is closed with 1000, not 1008
  kMetricsWrongService,       // §11.3: test.emitMetrics sample n goes to service n+1 mod S
  kParamsErrorNoField,        // §3.6: -32602 errors carry no data.field
  kSlowPing,                  // §10.3: every 20th system.ping is answered 15 ms late
  kSlowRequests,              // §10.4: each request costs 1.5 ms (under 700 requests/s)
  kSlowLogDelivery,           // §10.5: log notifications leave at most ~700 entries/s
  kSlowAuth,                  // §10.6: every 10th auth.authenticate takes 120 ms
  kMemoryHog,                 // §10.7: 64 MiB of ballast kept resident
  kSlowWarmUp,                // §10.8: only auth.authenticate is served in the first 6 s
  kAcceptUnmasked,            // §2.6: unmasked client frames are read as they stand
  kReservedBitsIgnored,       // §2.6: reserved bits that no extension defines are ignored
  kViolationNoCloseFrame,     // §2.6: a framing violation ends TCP without a close frame
  kEmptyPongIgnored,          // §7.6: a pong with an empty payload does not count as an answer
  kRefuseForeignSubprotocol,  // §1.6: an upgrade offering only other subprotocols gets 400
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
