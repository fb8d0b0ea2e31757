// libwebsockets integration: context set-up, a thin callback switch handing off to named functions,
// timers for auth deadlines, pings, session expiry and live streams, and graceful shutdown.
#include "ws_server.hpp"

#include <libwebsockets.h>
#include <malloc.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "connection.hpp"
#include "frame_writer.hpp"
#include "http_endpoints.hpp"
#include "http_state.hpp"
#include "notifier.hpp"
#include "request_gate.hpp"
#include "rpc_error.hpp"
#include "utf8.hpp"

namespace flake {

namespace {

constexpr int64_t kTickMs = 50;
constexpr int64_t kShutdownBudgetMs = 1500;
constexpr size_t kRxChunk = 64 * 1024;

std::atomic<bool> g_stop_requested{false};
lws_context* g_context = nullptr;

struct PerSession {
  Connection* connection;  // owned by ServerState::connections; lws frees this struct with free()
  HttpConnection* http;    // owned by ServerState::http, for plain-HTTP requests and SSE
};

ServerState& state_of(lws* wsi) {
  return *static_cast<ServerState*>(lws_context_user(lws_get_context(wsi)));
}

// Refuses a WebSocket upgrade with a plain HTTP status before any 101 is sent. At this point lws
// has already switched the wsi to the ws role, so the response goes straight to the socket; it is
// tiny and the socket's send buffer is empty, so one send() suffices.
int refuse_upgrade(lws* wsi, int status, const char* phrase, int rpc_code, const char* message,
                   const char* data = nullptr, const char* extra_headers = "") {
  std::string body =
      "{\"error\":{\"code\":" + std::to_string(rpc_code) + ",\"message\":\"" + message + "\"";
  if (data != nullptr) body += std::string(",\"data\":") + data;
  body += "}}";
  if (state_of(wsi).has(Defect::kRefusalNoBody)) body.clear();
  const std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + phrase +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n" + extra_headers + "Connection: close\r\n\r\n" + body;
  (void)send(lws_get_socket_fd(wsi), response.data(), response.size(), MSG_NOSIGNAL);
  return 1;
}

int on_filter_upgrade(lws* wsi, ServerState& server) {
  switch (check_gate(wsi, server)) {  // §1.4: the gate comes before the path
    case GateVerdict::kDuplicateHost:
      return refuse_upgrade(wsi, 400, "Bad Request", kInvalidRequest, "more than one Host header");
    case GateVerdict::kForbidden:
      return refuse_upgrade(wsi, 403, "Forbidden", kForbidden, "Origin or Host not allowed");
    case GateVerdict::kAllowed:
      break;
  }
  if (header(wsi, WSI_TOKEN_GET_URI).value_or("") != "/rpc" &&
      !server.has(Defect::kUpgradeAnyPath)) {
    return refuse_upgrade(wsi, 404, "Not Found", kNotFound, "WebSocket endpoint is /rpc",
                          R"({"resource":"path"})");
  }
  if (server.has(Defect::kSubprotocolRequired) && !header(wsi, WSI_TOKEN_PROTOCOL)) {
    return refuse_upgrade(wsi, 400, "Bad Request", kInvalidRequest, "offer flake.v1");
  }
  // Open SSE streams count toward the cap too (§8.4).
  const size_t open = server.connections.size() + http_state(server).hub.reader_count();
  const size_t cap = static_cast<size_t>(server.options.max_connections) +
                     (server.has(Defect::kCapOffByOne) ? 1 : 0);
  if (server.shutting_down || open >= cap) {
    return refuse_upgrade(wsi, 503, "Service Unavailable", kServiceUnavailable,
                          "connection limit reached",
                          R"({"service":"sidecar","retryAfterMs":1000})", "Retry-After: 1\r\n");
  }
  return 0;
}

void on_established(lws* wsi, ServerState& server, PerSession* pss) {
  Connection& connection = add_connection(server, wsi);
  // The handshake headers are still attached during ESTABLISHED, and lws enables an extension
  // only when the client offers it.
  connection.raw_frames = lws_hdr_total_length(wsi, WSI_TOKEN_EXTENSIONS) == 0;
  pss->connection = &connection;
}

int on_receive(lws* wsi, Connection& c, const char* data, size_t length) {
  if (lws_is_first_fragment(wsi)) {
    c.rx.clear();
    c.rx_binary = lws_frame_is_binary(wsi) != 0;
  }
  if (c.close_code != 0) return 0;  // closing: the rest of the message is discarded
  const ServerState& server = *c.server;
  // A whole frame that does not end its message: the message is fragmented. Only without
  // permessage-deflate is this exact (lws also reports inflated output in pieces).
  if (server.has(Defect::kNoFragments) && c.raw_frames && !lws_is_final_fragment(wsi) &&
      lws_remaining_packet_payload(wsi) == 0) {
    request_close(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "fragmented messages unsupported",
                  false);
    return 0;
  }
  // The rest of this frame counts too, so a header declaring too much is refused before its payload
  // arrives (§2.9); with permessage-deflate lws reports inflated bytes, which is what the limit is
  // on.
  const size_t declared = c.rx.size() + length + lws_remaining_packet_payload(wsi);
  if (declared > server.options.max_message_bytes && !server.has(Defect::kNoSizeLimit)) {
    // Closed from the writeable callback: returning -1 here while lws is still draining inflated
    // permessage-deflate output leaves the connection hanging in lws 4.1.
    c.rx = std::string();
    request_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                  "message larger than " + std::to_string(server.options.max_message_bytes), false);
    return 0;
  }
  if (!c.rx_binary && server.has(Defect::kUtf8PerFragment) &&
      !is_valid_utf8(std::string_view(data, length))) {
    request_close(c, 1007, "invalid UTF-8 in a fragment", false);
    return 0;
  }
  c.rx.append(data, length);
  if (!lws_is_final_fragment(wsi)) return 0;
  std::string message = std::move(c.rx);
  c.rx = std::string();
  handle_message(c, message, c.rx_binary);
  if (c.drop_now)
    return -1;  // no close reason: lws hangs up without a close frame (test.dropSession)
  return 0;
}

int on_writeable(lws* wsi, Connection& c) {
  if (c.close_code != 0 && (!c.close_flush_first || c.tx.empty())) {
    lws_close_reason(wsi, static_cast<lws_close_status>(c.close_code),
                     reinterpret_cast<unsigned char*>(c.close_reason.data()),
                     c.close_reason.size());
    return -1;
  }
  if (c.ping_due) {
    c.ping_due = false;
    unsigned char ping[LWS_PRE + 4] = {};
    std::memcpy(ping + LWS_PRE, "flk", 3);  // lws reports a pong to us only when it has a payload
    if (lws_write(wsi, ping + LWS_PRE, 3, LWS_WRITE_PING) < 0) return -1;
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (write_queued_frames(wsi, c) < 0) return -1;
  if (c.tx_bytes < kJobLowWater) step_jobs(c);
  if (!c.tx.empty() || c.close_code != 0) lws_callback_on_writable(wsi);
  return 0;
}

void on_closed(ServerState& server, PerSession* pss) {
  Connection* c = pss->connection;
  if (c == nullptr) return;
  pss->connection = nullptr;
  connection_closed(server, c);
}

void begin_shutdown(ServerState& server) {
  if (server.shutting_down) return;
  server.shutting_down = true;
  if (server.has(Defect::kShutdownNoClose)) return;  // run_server leaves at once, no close frames
  for (auto& [raw, connection] : server.connections) {
    request_close(*connection, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down", false);
  }
}

void tick_connections(ServerState& server) {
  const int64_t now = server.now_ms();
  const int64_t mono = ServerState::mono_ms();
  const Options& o = server.options;
  for (auto& [raw, connection] : server.connections) {
    Connection& c = *connection;
    if (!c.authenticated() && now - c.opened_at_ms >= o.auth_timeout_ms &&
        !server.has(Defect::kNoAuthTimeout)) {
      request_close(c, 4408, "authentication timeout", false);
    }
    // Due one tick early, so no gap between pings exceeds the interval (§7.6).
    if (mono - c.last_ping_ms >= o.ping_interval_ms - kTickMs && !server.has(Defect::kNoPings)) {
      c.last_ping_ms = mono;
      if (c.unanswered_pings >= 2 && !server.has(Defect::kNoPingTimeout)) {
        c.discard_session = server.has(Defect::kPingTimeoutDropsSession);
        request_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "ping timeout", false);
      } else {
        ++c.unanswered_pings;
        c.ping_due = true;
        lws_callback_on_writable(c.wsi);
      }
    }
    if (!c.jobs.empty()) lws_callback_on_writable(c.wsi);
  }
}

constexpr int kTrimEveryTicks = 40;  // two seconds

struct TimerState {
  lws_sorted_usec_list_t sul{};
  ServerState* server = nullptr;
  int64_t last_ms = 0;
  int ticks_since_trim = 0;
};
TimerState g_timer;

void on_tick(lws_sorted_usec_list_t* sul) {
  ServerState& server = *g_timer.server;
  const int64_t mono = ServerState::mono_ms();
  if (!server.shutting_down) {
    tick_connections(server);
    const int64_t grace =
        server.options.resume_grace_ms / (server.has(Defect::kShortGrace) ? 2 : 1);
    const int64_t now = server.has(Defect::kExpiryIgnoresClock) ? mono : server.now_ms();
    const size_t expired = server.sessions.expire(now, grace);
    live_tick(server, mono - g_timer.last_ms);
    // Bursts (exports, emits, expired sessions' rings) free many small blocks; give the pages back
    // now and then so RSS follows what is really held (§10 P5).
    if (expired > 0 || ++g_timer.ticks_since_trim >= kTrimEveryTicks) {
      malloc_trim(0);
      g_timer.ticks_since_trim = 0;
    }
  }
  g_timer.last_ms = mono;
  lws_sul_schedule(g_context, 0, sul, on_tick, kTickMs * LWS_US_PER_MS);
}

int callback_flake(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return on_filter_upgrade(wsi, state_of(wsi));
    case LWS_CALLBACK_ESTABLISHED:
      on_established(wsi, state_of(wsi), pss);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      return pss->connection ? on_receive(wsi, *pss->connection, static_cast<const char*>(in), len)
                             : -1;
    case LWS_CALLBACK_RECEIVE_PONG:
      if (pss->connection && !(state_of(wsi).has(Defect::kPongMustEcho) &&
                               std::string_view(static_cast<const char*>(in), len) != "flk")) {
        pss->connection->unanswered_pings = 0;
      }
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (pss->connection) pss->connection->peer_closed = true;
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return pss->connection ? on_writeable(wsi, *pss->connection) : -1;
    case LWS_CALLBACK_CLOSED:
      on_closed(state_of(wsi), pss);
      return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      if (g_stop_requested.load()) begin_shutdown(state_of(wsi));
      return 0;
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_TIMER: {
      HttpConnection* no_session = nullptr;  // lws may not have allocated user space yet
      return http_callback(wsi, reason, pss ? pss->http : no_session, user, in, len);
    }
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

void on_signal(int) {
  g_stop_requested.store(true);
  if (g_context) lws_cancel_service(g_context);
}

}  // namespace

int run_server(ServerState& state) {
  // FLAKE_LWS_LOG=<lws log bitmask> turns on libwebsockets' own logging when debugging.
  const char* lws_log = std::getenv("FLAKE_LWS_LOG");
  lws_set_log_level(lws_log ? std::atoi(lws_log) : LLL_ERR, nullptr);
  // Written to, so every page is resident for as long as the server runs.
  if (state.has(Defect::kMemoryHog)) state.ballast.assign(64u << 20, 1);
  static const lws_extension extensions[] = {
      {"permessage-deflate", lws_extension_callback_pm_deflate,
       "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
      {nullptr, nullptr, nullptr}};
  // The defect switch renames the protocol so a client offering flake.v1 is not answered with it.
  const char* protocol_name = state.has(Defect::kNoSubprotocol) ? "flake.v0" : "flake.v1";
  const lws_protocols protocols[] = {
      {protocol_name, callback_flake, sizeof(PerSession), kRxChunk, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

  lws_context_creation_info info{};
  info.port = state.options.port;
  info.iface = state.options.host.c_str();
  info.protocols = protocols;
  info.extensions = state.has(Defect::kNoDeflate) ? nullptr : extensions;
  info.user = &state;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  info.timeout_secs = 5;
  info.timeout_secs_ah_idle =
      state.has(Defect::kNoHeaderTimeout)
          ? 60
          : static_cast<unsigned>((state.options.header_timeout_ms + 999) / 1000);
  info.max_http_header_data = state.has(Defect::kSmallHeadLimit) ? 4096 : 8192;
  info.pt_serv_buf_size = 64 * 1024;
  info.vhost_name = "flake";

  std::unique_ptr<lws_context, decltype(&lws_context_destroy)> context(lws_create_context(&info),
                                                                       lws_context_destroy);
  if (!context) {
    std::fprintf(stderr, "flake-sidecar: cannot listen on %s:%d\n", state.options.host.c_str(),
                 state.options.port);
    return 1;
  }
  g_context = context.get();
  lws_vhost* vhost = lws_get_vhost_by_name(context.get(), "flake");
  const int port = vhost ? lws_get_vhost_listen_port(vhost) : state.options.port;
  state.access.port = port;

  g_timer.server = &state;
  g_timer.last_ms = ServerState::mono_ms();
  lws_sul_schedule(context.get(), 0, &g_timer.sul, on_tick, kTickMs * LWS_US_PER_MS);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("flake-sidecar listening on ws://%s:%d/rpc\n", state.options.host.c_str(), port);
  std::fflush(stdout);

  std::optional<int64_t> shutdown_deadline;
  while (true) {
    if (g_stop_requested.load() && !state.shutting_down) begin_shutdown(state);
    if (state.shutting_down) {
      if (state.has(Defect::kShutdownNoClose)) break;
      if (!shutdown_deadline) shutdown_deadline = ServerState::mono_ms() + kShutdownBudgetMs;
      if (state.connections.empty() || ServerState::mono_ms() >= *shutdown_deadline) break;
    }
    if (lws_service(context.get(), 0) < 0) break;
  }
  lws_sul_cancel(&g_timer.sul);
  context.reset();
  g_context = nullptr;
  return 0;
}

}  // namespace flake
