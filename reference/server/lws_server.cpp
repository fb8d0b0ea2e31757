// libwebsockets integration: context set-up (a raw listening vhost for the front and WebSockets, an
// HTTP vhost for the rest), thin callback switches handing off to named functions, timers for auth
// deadlines, pings, session expiry and live streams, and graceful shutdown.
#include "reference/server/lws_server.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "reference/defects/seams.hpp"
#include "reference/http/endpoints.hpp"
#include "reference/state/http_state.hpp"
#include "reference/state/notifier.hpp"
#include "reference/tls/front.hpp"
#include "reference/ws/connection.hpp"
#include "reference/ws/frame_writer.hpp"
#include "reference/ws/reader.hpp"
#include "reference/ws/takeover.hpp"

namespace flake {

namespace {

constexpr int64_t kTickMs = 50;
constexpr int64_t kShutdownBudgetMs = 1500;
constexpr size_t kRxChunk = 64 * 1024;
// Bytes lws hands the socket in one send; what the socket does not take, lws keeps and sends when
// it is writeable again.
constexpr size_t kTxPacket = 256 * 1024;

std::atomic<bool> g_stop_requested{false};
lws_context* g_context = nullptr;

// Per-connection user data; lws allocates it zeroed and frees it with free().
struct PerSession {
  Connection* connection;  // after our 101; owned by ServerState::connections
  HttpConnection* http;    // HTTP vhost: owned by ServerState::http, for plain HTTP and SSE
};

ServerState& state_of(lws* wsi) {
  return *static_cast<ServerState*>(lws_context_user(lws_get_context(wsi)));
}

Takeover g_takeover;

void attach_connection(lws* wsi, Connection& c) {
  static_cast<PerSession*>(lws_wsi_user(wsi))->connection = &c;
}

int on_writeable(lws* wsi, Connection& c) {
  if (write_pending(wsi, c) < 0) return -1;
  if (c.close_sent) return 0;
  if (c.close_code == 0 && c.tx_bytes < kJobLowWater) step_jobs(c);
  if (!c.tx.empty() || c.close_code != 0) lws_callback_on_writable(wsi);
  return 0;
}

// The input first, then one write for all it queued, without waiting for poll() to report the
// socket writeable.
int on_raw_rx(lws* wsi, Connection& c, std::span<uint8_t> bytes) {
  // Bytes left from before this read: the socket is full, the writeable callback is already due.
  const bool blocked = !c.out.empty();
  c.in_rx = true;
  const int result = receive_bytes(c, bytes);
  c.in_rx = false;
  if (result < 0) return -1;
  if (blocked) return 0;
  // Answers framed during the read (frame_now) are in c.out.
  if (c.out.empty() && c.tx.empty() && !c.pong_due && (c.close_code == 0 || c.close_sent)) return 0;
  return on_writeable(wsi, c);
}

void on_raw_closed(ServerState& server, PerSession* pss) {
  Connection* c = pss ? pss->connection : nullptr;
  if (c == nullptr) return;
  pss->connection = nullptr;
  connection_closed(server, c);
}

void begin_shutdown(ServerState& server) {
  if (server.shutting_down) return;
  server.shutting_down = true;
  if (server.has(Defect::kShutdownNoClose)) return;  // run_server leaves at once, no close frames
  for (auto& [raw, connection] : server.connections) {
    request_close(*connection, 1001, "server shutting down", false);
  }
}

void tick_connections(ServerState& server) {
  const int64_t now = server.now_ms();
  const int64_t mono = ServerState::mono_ms();
  const Limits& limits = server.limits;
  for (auto& [raw, connection] : server.connections) {
    Connection& c = *connection;
    // Defect auth-deadline-ignores-clock: the deadline counts steady time only.
    const int64_t auth_elapsed = server.has(Defect::kAuthDeadlineIgnoresClock)
                                     ? mono - c.opened_at_mono_ms
                                     : now - c.opened_at_ms;
    if (!c.authenticated() && auth_elapsed >= limits.auth_timeout_ms) {
      request_close(c, 4408, "authentication timeout", false);
    }
    // Due one tick early, so no gap between pings exceeds the interval (§7.6).
    // Defect pings-follow-clock: pings are timed on the shifted clock.
    const int64_t ping_now = server.has(Defect::kPingsFollowClock) ? now : mono;
    if (ping_now - c.last_ping_ms >= limits.ping_interval_ms - kTickMs) {
      c.last_ping_ms = ping_now;
      if (c.unanswered_pings >= limits.max_unanswered_pings) {
        c.discard_session = server.has(Defect::kPingTimeoutDropsSession);
        request_close(c, 1008, "ping timeout", false);
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
    const int64_t grace = server.limits.resume_grace_ms;
    const int64_t now = server.has(Defect::kExpiryIgnoresClock) ? mono : server.now_ms();
    const size_t expired = server.sessions.expire(now, grace);
    live_tick(server, mono - g_timer.last_ms);
    // Bursts (exports, emits, expired sessions' rings) free many small blocks; give the pages back
    // now and then so RSS follows what is really held (§10 P5).
    if (expired > 0 || server.trim_due || ++g_timer.ticks_since_trim >= kTrimEveryTicks) {
      malloc_trim(0);
      g_timer.ticks_since_trim = 0;
      server.trim_due = false;
    }
  }
  g_timer.last_ms = mono;
  lws_sul_schedule(g_context, 0, sul, on_tick, kTickMs * LWS_US_PER_MS);
}

// Upgraded sockets, adopted from the HTTP vhost (ws/takeover.cpp): our own RFC 6455 framing.
int callback_raw(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_RAW_RX:
      return pss->connection
                 ? on_raw_rx(wsi, *pss->connection, std::span(static_cast<uint8_t*>(in), len))
                 : -1;
    case LWS_CALLBACK_RAW_WRITEABLE:
      return pss->connection ? on_writeable(wsi, *pss->connection) : 0;
    case LWS_CALLBACK_RAW_CLOSE:
      on_raw_closed(state_of(wsi), pss);
      return 0;
    default:
      return 0;
  }
}

// Every connection starts here: plain HTTP, REST and SSE stay, WebSocket upgrades leave.
int callback_http(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return take_upgrade(g_takeover, wsi, state_of(wsi), in ? static_cast<const char*>(in) : "");
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return 1;  // never reached: lws' own WebSocket code is not used
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

// lws 4.1 creates a vhost for an --host address the machine does not have: it logs and listens
// nowhere, and the start-up line would name a port nobody serves (§1.1f, §1.2c). A bind to port 0
// of that address tells beforehand; names other than IPv4 literals are left to lws.
bool address_is_bindable(const std::string& host) {
  in_addr address{};
  if (inet_pton(AF_INET, host.c_str(), &address) != 1) return true;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  sockaddr_in probe{};
  probe.sin_family = AF_INET;
  probe.sin_addr = address;
  const bool bound = bind(fd, reinterpret_cast<const sockaddr*>(&probe), sizeof probe) == 0 ||
                     errno != EADDRNOTAVAIL;
  close(fd);
  return bound;
}

void on_signal(int) {
  g_stop_requested.store(true);
  if (g_context) lws_cancel_service(g_context);
}

}  // namespace

int run_server(ServerState& state, const tls::ServerTls* tls) {
  // Outlives the context, whose destruction closes the links it holds.
  tls::TlsFront front;
  // FLAKE_LWS_LOG=<lws log bitmask> turns on libwebsockets' own logging when debugging.
  const char* lws_log = std::getenv("FLAKE_LWS_LOG");
  lws_set_log_level(lws_log ? std::atoi(lws_log) : LLL_ERR, nullptr);
  // Written to, so every page is resident for as long as the server runs.
  state.ballast.assign(state.limits.ballast_bytes, 1);
  const lws_protocols raw_protocols[] = {
      {"flake-raw", callback_raw, sizeof(PerSession), kRxChunk, 0, nullptr, kTxPacket},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
  const lws_protocols http_protocols[] = {
      {"flake-http", callback_http, sizeof(PerSession), kRxChunk, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.user = &state;
  info.timeout_secs = state.limits.body_timeout_s;
  info.timeout_secs_ah_idle = state.limits.header_timeout_s;
  info.max_http_header_data = static_cast<unsigned short>(state.limits.max_head_bytes);
  info.pt_serv_buf_size = 64 * 1024;
  std::unique_ptr<lws_context, decltype(&lws_context_destroy)> context(lws_create_context(&info),
                                                                       lws_context_destroy);
  if (!context) {
    std::fprintf(stderr, "flake-sidecar: cannot create the libwebsockets context\n");
    return 1;
  }
  // --defect startup-slow (§1.2d) and startup-line-early (§1.2c, on a port given in advance).
  if (state.has(Defect::kStartupSlow)) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const bool early_line = state.has(Defect::kStartupLineEarly) && state.options.port != 0;
  const char* scheme = seam::listen_scheme(state, tls != nullptr);
  if (early_line) {
    std::printf("flake-sidecar listening on %s://%s:%d/rpc\n", scheme, state.options.host.c_str(),
                state.options.port);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  lws_context_creation_info http = info;
  http.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  http.port = state.options.port;
  // --defect listen-any-address: every address of the machine (lws binds INADDR_ANY for no iface).
  http.iface = state.has(Defect::kListenAnyAddress) ? nullptr : state.options.host.c_str();
  http.protocols = http_protocols;
  http.vhost_name = "flake";
  // With TLS the front listens on the port and the HTTP vhost only takes the front's plain text.
  const lws_protocols front_protocols[] = {
      {tls::kFrontProtocol, tls::front_callback, tls::front_session_size(), kRxChunk, 0, &front, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
  lws_context_creation_info front_info = http;
  if (tls != nullptr) {
    http.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    front_info.options |= LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
    front_info.listen_accept_role = "raw-skt";
    front_info.listen_accept_protocol = tls::kFrontProtocol;
    front_info.protocols = front_protocols;
    front_info.vhost_name = "flake-tls";
  }
  const bool bindable =
      state.has(Defect::kListenAnyAddress) || address_is_bindable(state.options.host);
  lws_vhost* http_vhost = bindable ? lws_create_vhost(context.get(), &http) : nullptr;
  lws_vhost* listen_vhost = http_vhost;
  if (tls != nullptr && http_vhost != nullptr) {
    front.ctx = tls->ctx.get();
    front.http_vhost = http_vhost;
    front.plaintext_served = tls->policy->plaintext_served;
    front.handshake_timeout_s = static_cast<int>(state.limits.header_timeout_s);
    listen_vhost = lws_create_vhost(context.get(), &front_info);
  }
  // The raw vhost listens nowhere: upgraded sockets are handed to it (ws/takeover.cpp).
  lws_context_creation_info raw = info;
  raw.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  raw.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  raw.protocols = raw_protocols;
  raw.vhost_name = "flake-raw";
  lws_vhost* raw_vhost = listen_vhost ? lws_create_vhost(context.get(), &raw) : nullptr;
  if (!raw_vhost) {
    std::fprintf(stderr, "flake-sidecar: cannot listen on %s:%d\n", state.options.host.c_str(),
                 state.options.port);
    return state.has(Defect::kBindFailureExitZero) ? 0 : 1;
  }
  g_context = context.get();
  const int port = lws_get_vhost_listen_port(listen_vhost);
  state.access.port = port;

  g_timer.server = &state;
  g_timer.last_ms = ServerState::mono_ms();
  lws_sul_schedule(context.get(), 0, &g_timer.sul, on_tick, kTickMs * LWS_US_PER_MS);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  // §1.2: one line, flushed at once (the defects write it twice, or flush it 3 s later).
  // §14.2d: the fingerprint a client can pin, on standard error.
  if (tls != nullptr && seam::fingerprint_printed(state)) {
    std::fprintf(stderr, "flake-sidecar certificate sha256 %s\n", tls->fingerprint.c_str());
  }
  for (int i = state.has(Defect::kStartupLineTwice) ? 2 : 1; i > 0 && !early_line; --i) {
    std::printf("flake-sidecar listening on %s://%s:%d/rpc\n", scheme, state.options.host.c_str(),
                port);
  }
  std::optional<int64_t> late_flush;
  if (state.has(Defect::kStartupLineUnflushed)) {
    late_flush = ServerState::mono_ms() + 3000;
  } else {
    std::fflush(stdout);
  }

  std::optional<int64_t> shutdown_deadline;
  while (true) {
    if (g_stop_requested.load() && !state.shutting_down) begin_shutdown(state);
    if (state.shutting_down) {
      if (state.has(Defect::kShutdownNoClose)) break;
      if (!shutdown_deadline) shutdown_deadline = ServerState::mono_ms() + kShutdownBudgetMs;
      const bool sse_waited_for =
          !seam::sse_ended_at_shutdown(state) && http_state(state).hub.reader_count() > 0;
      if (!sse_waited_for &&
          (state.connections.empty() || ServerState::mono_ms() >= *shutdown_deadline))
        break;
    }
    if (late_flush && ServerState::mono_ms() >= *late_flush) {
      std::fflush(stdout);
      late_flush.reset();
    }
    if (lws_service(context.get(), 0) < 0) break;
    adopt_upgraded(g_takeover, raw_vhost, state, attach_connection);
  }
  lws_sul_cancel(&g_timer.sul);
  context.reset();
  g_context = nullptr;
  return 0;
}

}  // namespace flake
