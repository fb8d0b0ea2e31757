// The seams where the defect switches that are more than a number alter the reference: each one a
// named point the normative code passes through, so a rule's code reads as the rule and the mutant
// sits here, next to its siblings (README.md in this folder lists the seams).
#pragma once

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "reference/codec/json.hpp"
#include "reference/rpc/jsonrpc.hpp"
#include "reference/rpc/rpc_error.hpp"
#include "reference/state/rate_limiter.hpp"
#include "reference/state/server_state.hpp"
#include "reference/tls/server_tls.hpp"

namespace flake::seam {

// --- Outgoing errors: every error a request ends with passes here before it is sent. ---
inline void alter_error(const ServerState& s, RpcError& error) {
  if (error.code == kMethodNotFound && s.has(Defect::kWrongErrorCode)) error.code = kInvalidRequest;
  if (error.code == kInvalidParams && s.has(Defect::kParamsErrorNoField)) error.data.reset();
  const bool websocket =
      s.current_transport == Transport::Text || s.current_transport == Transport::MsgPack;
  if (error.code == kUnauthenticated && websocket && s.has(Defect::kForbiddenOverWebsocket)) {
    error.code = kForbidden;
  }
  if (error.code == kUnauthenticated && s.has(Defect::kTokenInError)) {
    error.message += " (expected " + s.token + ")";
  }
}

// --- Outgoing ids: the id a response carries. ---
// The request's id, except under id-int32 and null-id-zero; `storage` owns a replacement.
inline const cJSON* response_id(const ServerState& s, const cJSON* id, JsonPtr& storage) {
  if (cJSON_IsNumber(id) && s.has(Defect::kIdInt32) && std::fabs(id->valuedouble) < 9.2e18) {
    storage.reset(cJSON_CreateNumber(
        static_cast<int32_t>(static_cast<int64_t>(id->valuedouble))));  // wraps, C++20
    return storage.get();
  }
  if (cJSON_IsNull(id) && s.has(Defect::kNullIdZero)) {
    storage.reset(cJSON_CreateNumber(0));
    return storage.get();
  }
  return id;
}
// The id of a parse error: null, or 0 under parse-error-id.
inline const cJSON* parse_error_id(const ServerState& s, JsonPtr& storage) {
  if (!s.has(Defect::kParseErrorId)) return nullptr;
  storage.reset(cJSON_CreateNumber(0));
  return storage.get();
}

// --- Unparseable messages (§2.8, §3.4, §8.10), on every path that parses one. ---
// The answer to a message that did not parse: the -32700 error, or under batch-parse-error-array
// that error inside an array when the text looked like a batch.
inline JsonPtr parse_error_as_sent(const ServerState& s, std::string_view text, JsonPtr error) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (!s.has(Defect::kBatchParseErrorArray) || first == std::string_view::npos ||
      text[first] != '[')
    return error;
  JsonPtr batch(cJSON_CreateArray());
  cJSON_AddItemToArray(batch.get(), error.release());
  return batch;
}
// surrogate-closes-connection: a message with a \uD800..\uDFFF escape kills its handler (the
// socket closes with 1011, an HTTP request gets 500).
inline bool dies_on_surrogate(const ServerState& s, std::string_view text) {
  if (!s.has(Defect::kSurrogateClosesConnection)) return false;
  for (size_t at = text.find("\\u"); at != std::string_view::npos; at = text.find("\\u", at + 1)) {
    if (at + 3 < text.size() && (text[at + 2] == 'd' || text[at + 2] == 'D') &&
        std::string_view("89abcdefABCDEF").find(text[at + 3]) != std::string_view::npos)
      return true;
  }
  return false;
}

// huge-number-closes: a JSON number whose exponent puts it beyond a double's range (1e400)
// "kills the handler", like surrogate-closes-connection. Text inside strings is skipped: a token
// of hex digits such as "...3e512..." is not a number.
inline bool dies_on_huge_number(const ServerState& s, std::string_view text) {
  if (!s.has(Defect::kHugeNumberClosesConnection)) return false;
  bool in_string = false;
  for (size_t at = 0; at + 3 < text.size(); ++at) {
    if (in_string) {
      if (text[at] == '\\')
        ++at;
      else if (text[at] == '"')
        in_string = false;
      continue;
    }
    if (text[at] == '"') {
      in_string = true;
      continue;
    }
    if (at == 0 || (text[at] != 'e' && text[at] != 'E') || text[at - 1] < '0' || text[at - 1] > '9')
      continue;
    size_t d = at + 1;
    if (text[d] == '+' || text[d] == '-') ++d;
    int exponent = 0;
    for (; d < text.size() && text[d] >= '0' && text[d] <= '9' && exponent < 100000; ++d)
      exponent = exponent * 10 + (text[d] - '0');
    if (exponent > 308) return true;
  }
  return false;
}

// --- Answers (§3.2, §3.4, §3.5, §5.2): which messages get an answer, and its shape. ---
// unknown-prefix-not-found: "<unserved>.getDashboard" gets -32004 instead of -32601.
inline std::optional<RpcError> unknown_method_error(const ServerState& s, std::string_view method) {
  if (!s.has(Defect::kUnknownPrefixNotFound) || !method.ends_with(".getDashboard"))
    return std::nullopt;
  return not_found("service:" + std::string(method.substr(0, method.find('.'))));
}
// An invalid request that gets no answer: a batch member under batch-drops-invalid, an invalid
// object without id (taken for a notification) under invalid-without-id-silent.
inline bool invalid_request_unanswered(const ServerState& s, const cJSON* item, bool in_batch) {
  if (in_batch && s.has(Defect::kBatchDropsInvalid)) return true;
  return s.has(Defect::kInvalidWithoutIdSilent) && cJSON_IsObject(item) &&
         member(item, "id") == nullptr;
}
// answer-notifications: client notifications get a response.
inline bool notifications_answered(const ServerState& s) {
  return s.has(Defect::kAnswerNotifications);
}
// non-object-parse-error: a message that is neither an object nor an array gets -32700.
inline bool non_object_is_parse_error(const ServerState& s) {
  return s.has(Defect::kNonObjectParseError);
}
// empty-batch-array: [] answers an empty batch instead of one -32600.
inline bool empty_batch_gets_array(const ServerState& s) {
  return s.has(Defect::kEmptyBatchArray);
}
// batch-auth-snapshot: every member sees the authentication the connection had when the batch
// began, not what earlier members did.
inline bool batch_auth_from_start(const ServerState& s) {
  return s.has(Defect::kBatchAuthSnapshot);
}
// notification-batch-array: a batch of notifications only is answered with [].
inline bool silent_batch_gets_array(const ServerState& s) {
  return s.has(Defect::kNotificationBatchArray);
}
// no-rate-limit: requests are never charged to a token bucket.
// invalid-costs-token: an invalid request or member takes a token first, and gets -32002 when the
// bucket is empty.
inline bool invalid_costs_token(const ServerState& s) {
  return s.has(Defect::kInvalidCostsToken);
}
// refused-notification-answered: a client notification that finds the bucket empty gets a -32002
// answer (id null) instead of being dropped.
inline bool refused_notifications_answered(const ServerState& s) {
  return s.has(Defect::kRefusedNotificationAnswered);
}
inline bool rate_limit_off(const ServerState& s) {
  return s.has(Defect::kNoRateLimit);
}

// --- The token bucket (§8.1, §8.2): which bucket, on which clock, and what it is charged for. ---
// shared-bucket: every connection is charged to one bucket, kept with the defect counters.
inline TokenBucket& bucket_charged(ServerState& s, TokenBucket& own) {
  if (!s.has(Defect::kSharedBucket)) return own;
  std::optional<TokenBucket>& shared = s.defect_counters.shared_bucket;
  if (!shared) shared.emplace(s.options.rate, s.options.burst);
  return *shared;
}
// bucket-on-sidecar-clock: the bucket refills on the clock test.setClock moves.
inline int64_t bucket_now(const ServerState& s) {
  return s.has(Defect::kBucketOnSidecarClock) ? s.now_ms() : ServerState::mono_ms();
}
// rate-zero-limited: with --rate 0 a connection's bucket still holds burst tokens, refilling at
// one token a day, instead of being unlimited.
inline double bucket_rate(const ServerState& s) {
  if (s.options.rate <= 0 && s.has(Defect::kRateZeroLimited)) return 1.0 / 86400;
  return s.options.rate;
}
// notifications-free, operations-free, batch-members-free: a valid request, notification or
// batch.execute operation that is not charged.
inline bool charge_waived(const ServerState& s, bool notification, bool operation,
                          bool batch_member) {
  if (operation) return s.has(Defect::kOperationsFree);
  return (notification && s.has(Defect::kNotificationsFree)) ||
         (batch_member && s.has(Defect::kBatchMembersFree));
}
// refused-batch-costs-token: an empty or oversized batch takes a token (answered -32600 anyway).
inline bool refused_batch_charged(const ServerState& s) {
  return s.has(Defect::kRefusedBatchCostsToken);
}
// parse-error-costs-token: a message that fails to parse takes a token (answered -32700 anyway).
inline bool parse_error_charged(const ServerState& s) {
  return s.has(Defect::kParseErrorCostsToken);
}
// ping-frame-costs-token: a WebSocket ping frame takes a token (answered with its pong anyway).
inline bool ping_frame_charged(const ServerState& s) {
  return s.has(Defect::kPingFrameCostsToken);
}
// operation-refusal-fails-batch: an operation's -32002 becomes the batch.execute request's error.
inline bool operation_refusal_fails_batch(const ServerState& s) {
  return s.has(Defect::kOperationRefusalFailsBatch);
}
// rpc-post-charged-once: POST /api/v1/rpc pays one token at admission, its body's requests none.
inline bool rpc_post_charged_once(const ServerState& s) {
  return s.has(Defect::kRpcPostChargedOnce);
}
// rest-requests-free: HTTP requests other than POST /api/v1/rpc take no token.
inline bool rest_request_free(const ServerState& s) {
  return s.has(Defect::kRestRequestsFree);
}
// action-method-charged: the method an action runs is charged a token of its own, beside the
// action's token of §8.2i.
inline bool action_method_charged(const ServerState& s) {
  return s.has(Defect::kActionMethodCharged);
}
// health-costs-token: GET /api/v1/health takes a token, 429 when the bucket is empty.
inline bool health_charged(const ServerState& s) {
  return s.has(Defect::kHealthCostsToken);
}

// --- The bounded send buffer (§8.7) ---
// unbounded-send-buffer: a WebSocket connection's queue has no bound.
inline size_t send_buffer_bound(const ServerState& s) {
  return s.has(Defect::kUnboundedSendBuffer) ? SIZE_MAX : s.options.max_send_buffer_bytes;
}
// unbounded-sse-queue: an SSE response's queue has no bound.
inline size_t sse_send_bound(const ServerState& s) {
  return s.has(Defect::kUnboundedSseQueue) ? SIZE_MAX : s.options.max_send_buffer_bytes;
}
// overflow-flushes-queue: an overflowing connection sends its whole queue before close 1008.
inline bool overflow_flushes_queue(const ServerState& s) {
  return s.has(Defect::kOverflowFlushesQueue);
}
// overflow-drops-session: the session of an overflowing connection is discarded with it.
inline bool overflow_drops_session(const ServerState& s) {
  return s.has(Defect::kOverflowDropsSession);
}
// close-inside-frame: the close frame of an overflow goes out inside a text frame begun before it
// (the frame's head and a few payload bytes, then the close frame).
inline bool close_inside_frame(const ServerState& s) {
  return s.has(Defect::kCloseInsideFrame);
}

// --- Shutdown (§8.11) ---
// upgrade-during-shutdown: new upgrades and SSE requests are still served after SIGTERM.
inline bool refuses_for_shutdown(const ServerState& s) {
  return s.shutting_down && !s.has(Defect::kUpgradeDuringShutdown);
}
// sse-kept-at-shutdown: SSE responses are not ended on SIGTERM, and the process waits for their
// readers to leave (up to the shutdown budget) before it exits.
inline bool sse_ended_at_shutdown(const ServerState& s) {
  return !s.has(Defect::kSseKeptAtShutdown);
}

// --- What an ended connection leaves behind (§8.12): the soak-only leaks. ---
// Each WebSocket connection that ended without a close frame (the peer's TCP went away) leaves
// something in ServerState::defect_counters for the rest of the process's life. The regular cases
// end too few connections that way for any of them to notice; a soak ends thousands, and the
// descriptor count or resident set climbs instead of levelling off.
inline constexpr size_t kHeldBlockBytes = size_t{256} << 10;
inline void after_abrupt_close(ServerState& s, int socket_fd) {
  if (s.has(Defect::kFdLeakAbruptClose) && socket_fd >= 0) {
    const int copy = fcntl(socket_fd, F_DUPFD_CLOEXEC, 0);
    if (copy >= 0) {
      // The descriptor leaks, not the connection: shutting the copy down ends the TCP connection
      // as it would end without the defect, so only the process's descriptor count shows it.
      (void)shutdown(copy, SHUT_RDWR);
      s.defect_counters.held_descriptors.emplace_back(copy);
    }
  }
  if (s.has(Defect::kMemoryLeakAbruptClose)) {
    // Written to, so that every page is resident: untouched, it would only reserve address space.
    auto block = std::make_unique_for_overwrite<uint8_t[]>(kHeldBlockBytes);
    std::memset(block.get(), 0xA5, kHeldBlockBytes);
    s.defect_counters.held_blocks.push_back(std::move(block));
  }
}

// --- session.resume's replay (§7.3) ---
// replay-drops-newest: from a session's fourth successful resume on, the newest notification of
// the missed run stays out of the replay, while the answer still counts it. No regular case resumes
// one session that often; a soak's clients do, and find a seq missing after the replay.
inline void replay_as_sent(ServerState& s, const Session& session, std::vector<ReplayFrame>& run) {
  if (!s.has(Defect::kReplayDropsNewest)) return;
  std::unordered_map<std::string, uint64_t>& resumes = s.defect_counters.resumes;
  // Discarded sessions leave the count, so that it does not grow over a long run.
  std::erase_if(resumes,
                [&s](const auto& entry) { return s.sessions.find(entry.first) == nullptr; });
  if (++resumes[session.id] >= 4 && !run.empty()) run.pop_back();
}

// --- The connection cap (§8.4): what counts toward it beside the open connections. ---
// detached-count-toward-cap: every detached session counts as an open connection.
inline size_t cap_counts_extra(const ServerState& s) {
  if (!s.has(Defect::kDetachedCountTowardCap)) return 0;
  return s.sessions.size() - std::min(s.sessions.size(), s.attached.size());
}

// --- auth.authenticate (§4.2, §4.6, §4.9) ---
// token-type-unauthenticated: a missing or non-string token gets -32001 instead of -32602.
inline bool bad_token_unauthenticated(const ServerState& s) {
  return s.has(Defect::kTokenTypeUnauthenticated);
}
// client-info-unchecked: a clientInfo that is not an object is accepted.
inline bool client_info_unchecked(const ServerState& s) {
  return s.has(Defect::kClientInfoUnchecked);
}
// token-prefix-match: a token that starts with the secret authenticates too; the part compared.
inline std::string_view token_as_compared(const ServerState& s, std::string_view token) {
  return s.has(Defect::kTokenPrefixMatch) ? token.substr(0, s.token.size()) : token;
}
// token-logged: a failed attempt writes the secret to standard error (§4.2 forbids it).
inline void after_failed_token(const ServerState& s) {
  if (s.has(Defect::kTokenLogged)) {
    std::fprintf(stderr, "flake-sidecar: authentication failed, expected token %s\n",
                 s.token.c_str());
  }
}
// reauth-new-session: authenticating again gives the connection a new session.
inline bool reauth_replaces_session(const ServerState& s) {
  return s.has(Defect::kReauthNewSession);
}
// Which members of clientInfo must be strings: `version` and `platform` (§4.6d); none under
// client-info-members-unchecked, every member under client-info-all-strings.
inline bool client_info_member_checked(const ServerState& s, std::string_view name) {
  if (s.has(Defect::kClientInfoMembersUnchecked)) return false;
  return name == "version" || name == "platform" || s.has(Defect::kClientInfoAllStrings);
}
// notification-auth-uncounted: a failed auth.authenticate sent as a client notification does not
// count toward the 4401 close.
inline bool failed_attempt_counted(const ServerState& s, bool notification) {
  return !(notification && s.has(Defect::kNotificationAuthUncounted));
}
// failed-reauth-unauthenticates: a failed attempt on an authenticated connection takes its session
// away (the connection is unauthenticated again).
inline bool failed_attempt_unauthenticates(const ServerState& s) {
  return s.has(Defect::kFailedReauthUnauthenticates);
}

// --- HTTP authentication (§4.10) ---
// ticket-before-bearer: a stream request's ticket decides even when an Authorization header is
// present (the header alone must).
inline bool ticket_decides_over_bearer(const ServerState& s) {
  return s.has(Defect::kTicketBeforeBearer);
}
// ticket-any-endpoint: a ticket authenticates requests to every HTTP endpoint, not only SSE.
inline bool ticket_outside_streams(const ServerState& s) {
  return s.has(Defect::kTicketAnyEndpoint);
}

// --- Notifications and exports (§6.2, §6.6, §6.7) ---
// chunk-advances-seq: an export's data.chunk notifications take seq numbers they do not carry.
inline void after_export_chunks(const ServerState& s, uint64_t& last_seq, size_t chunks) {
  if (s.has(Defect::kChunkAdvancesSeq)) last_seq += chunks;
}
// stream-id-reused: every export is numbered 1, so its stream id repeats on the connection.
inline uint64_t export_number(const ServerState& s, uint64_t counted) {
  return s.has(Defect::kStreamIdReused) ? 1 : counted;
}
// metrics-as-strings: the members of a metrics.update's metrics are sent as strings.
inline void alter_metrics(const ServerState& s, cJSON* metrics) {
  if (!s.has(Defect::kMetricsAsStrings)) return;
  for (cJSON* m = metrics->child; m != nullptr;) {
    cJSON* next = m->next;  // m is freed when replaced
    if (cJSON_IsNumber(m)) {
      char text[64];
      std::snprintf(text, sizeof text, "%g", m->valuedouble);
      const std::string name = m->string;
      cJSON_ReplaceItemInObjectCaseSensitive(metrics, name.c_str(), cJSON_CreateString(text));
    }
    m = next;
  }
}

// --- Transport availability (§5.3): a socket-only method reached over HTTP. ---
// The refusal socket-only-http-invalid gives it instead of -32601.
inline std::optional<RpcError> socket_only_over_http(const ServerState& s) {
  if (!s.has(Defect::kSocketOnlyHttpInvalid)) return std::nullopt;
  return rpc_error(kInvalidRequest, "not available over HTTP");
}

// --- The auth gate (§4.5, §3.7, §11.1): which methods it lets through, and whether it runs. ---
inline bool open_before_auth(const ServerState& s, std::string_view method, bool requires_auth,
                             bool conformance_only) {
  if (method == "system.ping" && s.has(Defect::kPingRequiresAuth)) return false;
  if (conformance_only && s.has(Defect::kTestMethodsUngated)) return true;
  return !requires_auth;
}
// Whether the test.* methods exist: only in conformance mode (§11.1), always under
// test-methods-always.
inline bool test_methods_on(const ServerState& s) {
  return s.options.conformance || s.has(Defect::kTestMethodsAlways);
}
// §11.1e: under unknown-method-data-outside-conformance, -32601 has no data outside conformance
// mode.
inline bool unknown_method_data_dropped(const ServerState& s) {
  return !s.options.conformance && s.has(Defect::kUnknownMethodDataOutsideConformance);
}
// test.dropSession (§11.4): hang up without an answer, or under drop-session-answered answer first.
inline bool answers_drop_session(const ServerState& s) {
  return s.has(Defect::kDropSessionAnswered);
}
inline bool unknown_methods_before_auth(const ServerState& s) {
  return s.has(Defect::kLookupBeforeAuth);
}
inline bool auth_gate_skipped(const ServerState& s) {
  return s.has(Defect::kNoAuthRequired);
}

// --- Timing (§10): the slow-* defects, once per request just before its method runs. ---
// The warm-up refusal of slow-warm-up, if any; otherwise sleeps as the slow-* defects say.
inline std::optional<RpcError> slow_down(ServerState& s, std::string_view method) {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  if (s.has(Defect::kSlowWarmUp) && method != "auth.authenticate" &&
      ServerState::mono_ms() - s.started_mono_ms < 6000) {
    return rpc_error(kInternalError, "warming up");
  }
  if (s.has(Defect::kSlowRequests)) std::this_thread::sleep_for(microseconds(1500));
  if (method == "auth.authenticate" && s.has(Defect::kSlowAuth) &&
      ++s.defect_counters.auth_calls % 10 == 0) {
    std::this_thread::sleep_for(milliseconds(120));
  }
  if (method == "system.ping" && s.has(Defect::kSlowPing) &&
      ++s.defect_counters.ping_calls % 20 == 0) {
    std::this_thread::sleep_for(milliseconds(15));
  }
  return std::nullopt;
}

// --- Params as the method reads them (§3.6, §3.1). ---
// -32602 for params [] of a method without params, under no-params-refuse-array.
inline bool refuses_array_params(const ServerState& s, const cJSON* params, bool takes_none) {
  return cJSON_IsArray(params) && takes_none && s.has(Defect::kNoParamsRefuseArray);
}
inline const cJSON* params_as_read(const ServerState& s, const cJSON* params, bool list_method) {
  if (cJSON_IsArray(params) && s.has(Defect::kArrayParamsAccepted)) return nullptr;
  if (cJSON_IsObject(params) && list_method && s.has(Defect::kNamedParamsIgnored)) return nullptr;
  return params;
}

// --- Request validation (§3.1, §3.2): how strictly a request object is read. ---
inline RequestLeniency request_leniency(const ServerState& s) {
  return RequestLeniency{s.has(Defect::kCaseInsensitiveMembers), s.has(Defect::kParamsUnchecked),
                         s.has(Defect::kIdTypeUnchecked), s.has(Defect::kUnknownMembersRefused),
                         s.has(Defect::kHugeIdNull)};
}
inline bool jsonrpc_version_checked(const ServerState& s) {
  return !s.has(Defect::kAnyJsonrpcVersion);
}

// --- JSON-RPC §3.4-§3.7: batches, client notifications, parameters, processing order. ---
// batch-export-text: a batch answer stays in the batch's encoding even when it holds a msgpack
// logs.getLarge (§3.4i).
inline bool batch_answer_in_request_encoding(const ServerState& s, bool batch) {
  return batch && s.has(Defect::kBatchExportText);
}
// batch-drop-ignored: a test.dropSession member of a batch does not drop the connection (§3.4j).
inline void after_batch_member(const ServerState& s, bool& drop_now) {
  if (s.has(Defect::kBatchDropIgnored)) drop_now = false;
}
// notification-export-chunks: a logs.getLarge client notification streams its chunks (§3.5c).
inline bool export_chunks_sent(const ServerState& s, bool notification) {
  return !notification || s.has(Defect::kNotificationExportChunks);
}
// notifications-skipped: client notifications are validated but not executed (§3.5b).
inline bool notification_skipped(const ServerState& s) {
  return s.has(Defect::kNotificationsSkipped);
}
// no-params-values-ignored: a non-empty params array of a method that takes none is read as
// absent params (§3.6g).
inline bool array_values_ignored(const ServerState& s) {
  return s.has(Defect::kNoParamsValuesIgnored);
}
// null-as-absent: params members whose value is null are dropped before the method reads them
// (§3.6h); `storage` owns the copy.
inline const cJSON* params_without_nulls(const ServerState& s, const cJSON* params,
                                         JsonPtr& storage) {
  if (!cJSON_IsObject(params) || !s.has(Defect::kNullAsAbsent)) return params;
  storage.reset(cJSON_CreateObject());
  for (const cJSON* m = params->child; m != nullptr; m = m->next) {
    if (!cJSON_IsNull(m)) cJSON_AddItemToObject(storage.get(), m->string, cJSON_Duplicate(m, true));
  }
  return storage.get();
}
// metrics-service-ignored: a metrics subscription keeps no service, so it gets every update.
inline bool subscription_service_kept(const ServerState& s, bool metrics) {
  return !(metrics && s.has(Defect::kMetricsServiceIgnored));
}
// export-default-msgpack: logs.getLarge without format exports in MessagePack (§5.12c).
inline const char* default_export_format(const ServerState& s) {
  return s.has(Defect::kExportDefaultMsgpack) ? "msgpack" : nullptr;
}
// batch-execute-reversed: batch.execute runs its operations last to first; each result still goes
// to its operation's slot (§5.8b).
inline size_t operation_order(const ServerState& s, size_t i, size_t n) {
  return s.has(Defect::kBatchExecuteReversed) ? n - 1 - i : i;
}
// service-before-params: logs.subscribe looks its service up before it checks level (§3.7b).
inline bool service_checked_first(const ServerState& s) {
  return s.has(Defect::kServiceBeforeParams);
}

// --- TLS (§14). The start-up ones act before ServerState exists: they read the switches the
// command line names. ---
// non-loopback-plaintext: no "TLS required" refusal (§14.1a); insecure-plaintext-silent: no
// warning for --insecure-plaintext (§14.1b).
inline bool tls_required_checked(const DefectSet& d) {
  return !d.test(Defect::kNonLoopbackPlaintext);
}
inline bool plaintext_warned(const DefectSet& d) {
  return !d.test(Defect::kInsecurePlaintextSilent);
}
// tls-fallback-plaintext: an unreadable certificate or key starts a plain-text sidecar (§14.2c).
inline bool tls_falls_back_to_plaintext(const DefectSet& d) {
  return d.test(Defect::kTlsFallbackPlaintext);
}
// The handshake's defects, as the policy tls/server_tls.cpp and tls/front.cpp apply (§14.2b,
// §14.3).
inline tls::TlsPolicy tls_policy(const DefectSet& d) {
  tls::TlsPolicy policy;
  policy.leaf_only = d.test(Defect::kTlsLeafOnly);
  policy.old_versions = d.test(Defect::kTlsOldVersions);
  policy.max_tls12 = d.test(Defect::kTlsMax12);
  policy.alpn_none = d.test(Defect::kTlsAlpnNone);
  policy.alpn_any = d.test(Defect::kTlsAlpnAny);
  policy.plaintext_served = d.test(Defect::kTlsPlaintextServed);
  return policy;
}
// The scheme of the start-up line (§1.2a, §14.2a): wss with TLS, ws under tls-scheme-ws.
inline const char* listen_scheme(const ServerState& s, bool tls) {
  return tls && !s.has(Defect::kTlsSchemeWs) ? "wss" : "ws";
}
// tls-no-fingerprint: no "certificate sha256" line (§14.2d).
inline bool fingerprint_printed(const ServerState& s) {
  return !s.has(Defect::kTlsNoFingerprint);
}
// tls-no-host-check: a TLS sidecar admits any Host (§14.3g). Every connection of a TLS port came
// through the front, so serving TLS is what marks the request.
inline bool host_check_skipped(const ServerState& s) {
  return s.options.tls_cert.has_value() && s.has(Defect::kTlsNoHostCheck);
}

}  // namespace flake::seam
