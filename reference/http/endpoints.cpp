// Plain-HTTP requests on the WebSocket's port: the Host/Origin gate, then the admission steps of
// §1.4 (route, method, preflight, cap, auth, rate limit, Content-Type, size) and the handlers.
#include "reference/http/endpoints.hpp"

#include "reference/defects/seams.hpp"

#include <string>

#include "reference/http/headers.hpp"
#include "reference/http/request_gate.hpp"
#include "reference/http/response.hpp"
#include "reference/http/rest_handlers.hpp"
#include "reference/http/routes.hpp"
#include "reference/rpc/rpc_error.hpp"
#include "reference/state/http_state.hpp"
#include "reference/state/server_state.hpp"
#include "reference/state/token.hpp"

namespace flake {

namespace {

ServerState& state_of(lws* wsi) {
  return *static_cast<ServerState*>(lws_context_user(lws_get_context(wsi)));
}

int on_filter(lws* wsi, ServerState& server) {
  if (server.has(Defect::kHealthUngated) && header(wsi, WSI_TOKEN_GET_URI) == "/api/v1/health")
    return 0;
  switch (check_gate(gate_input(wsi), server)) {
    case GateVerdict::kAllowed:
      return 0;
    case GateVerdict::kDuplicateHost:
      send_json_response(wsi, HTTP_STATUS_BAD_REQUEST,
                         error_reply(400, kInvalidRequest, "more than one Host header").body);
      return 1;
    case GateVerdict::kForbidden:
      send_json_response(wsi, HTTP_STATUS_FORBIDDEN,
                         error_reply(403, kForbidden, "Origin or Host not allowed").body);
      return 1;
  }
  return 1;
}

HttpConnection& connection_for(lws* wsi, ServerState& server, HttpConnection*& slot) {
  auto& connections = http_state(server).connections;
  auto it = connections.find(wsi);
  if (it == connections.end()) {
    auto created = std::make_unique<HttpConnection>();
    created->wsi = wsi;
    created->bucket = TokenBucket(seam::bucket_rate(server), server.options.burst);
    it = connections.emplace(wsi, std::move(created)).first;
  }
  slot = it->second.get();
  return *it->second;
}

HttpReply preflight() {
  HttpReply reply;
  reply.status = HTTP_STATUS_NO_CONTENT;
  reply.headers = {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                   {"Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"},
                   {"Access-Control-Max-Age", "600"}};
  return reply;
}

HttpReply unauthenticated(std::string_view why) {
  HttpReply reply = error_reply(401, kUnauthenticated, why);
  reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  return reply;
}

// §4.10/§4.11: an Authorization header alone decides; otherwise streams may use a ticket.
std::optional<HttpReply> check_auth(ServerState& server, const HttpRequest& request, bool stream) {
  if (server.has(Defect::kNoBearerCheck)) return std::nullopt;
  const bool ticket_first =
      stream && request.query_value("ticket") && seam::ticket_decides_over_bearer(server);
  if (request.authorization && !ticket_first) {
    auto offered = bearer_credentials(*request.authorization);
    if (offered && token_matches(server.token, *offered)) return std::nullopt;
    return unauthenticated("invalid Bearer token");
  }
  if (stream || seam::ticket_outside_streams(server)) {
    if (auto ticket = request.query_value("ticket")) {
      TicketStore& tickets = http_state(server).tickets;
      const bool valid = server.has(Defect::kTicketReuse)
                             ? tickets.valid(*ticket, server.now_ms())
                             : tickets.consume(*ticket, server.now_ms());
      if (valid) return std::nullopt;
      return unauthenticated("unknown, used or expired ticket");
    }
  }
  return unauthenticated("Authorization: Bearer <token> required");
}

HttpReply rate_limited_reply(long long retry_after_ms) {
  HttpReply reply = reply_for(rate_limited(retry_after_ms));
  reply.headers.clear();
  reply.headers.emplace_back("Retry-After",
                             std::to_string(std::max(1LL, (retry_after_ms + 999) / 1000)));
  return reply;
}

int open_stream(lws* wsi, ServerState& server, HttpConnection& c, const Route& route) {
  std::string path = c.request.path;
  std::string_view event = route.kind == RouteKind::kStreamLogs      ? "logs.update"
                           : route.kind == RouteKind::kStreamMetrics ? "metrics.update"
                                                                     : "deployments.update";
  SseEndpoint& endpoint = http_state(server).hub.endpoint(path, event);
  // §9.13h: an empty value is no value (sse-empty-id-reset: taken as unusable, hence a reset).
  const auto given = [&server](std::optional<std::string> value) {
    return value && value->empty() && !server.has(Defect::kSseEmptyIdReset) ? std::nullopt : value;
  };
  std::optional<std::string> last_id = given(c.request.last_event_id);
  if (!last_id) last_id = given(c.request.query_value("lastEventId"));
  HttpReply head;
  head.headers = {{"Cache-Control", "no-cache"}};
  if (c.request.origin) head.headers.emplace_back("Vary", "Origin");
  if (!write_head(wsi, c.request, 200, "text/event-stream", std::nullopt, head)) return -1;
  lws_http_mark_sse(wsi);
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  c.sse = std::make_unique<SseReader>(wsi, endpoint);
  c.sse->last_heartbeat_mono = ServerState::mono_ms();
  c.sse->heartbeat_idle_only = server.has(Defect::kSseHeartbeatIdleOnly);
  for (SharedText& bytes : sse_opening(endpoint, last_id, http_state(server).hub.defects())) {
    c.sse->enqueue(std::move(bytes), seam::sse_send_bound(server));
  }
  lws_set_timer_usecs(wsi, 500 * LWS_US_PER_MS);
  return 0;
}

// Runs a POST handler once its body is complete.
int finish_post(lws* wsi, ServerState& server, HttpConnection& c, bool close_after) {
  c.reading_body = false;
  const Route route = *match_route(c.request.path, server.has(Defect::kRouteServiceFirst));
  HttpReply reply;
  switch (route.kind) {
    case RouteKind::kRpc:
      reply = rest_rpc(server, c.request.body, c.bucket);
      break;
    case RouteKind::kAction:
      reply = rest_action(server, route.service, c.request.body,
                          seam::action_method_charged(server) ? &c.bucket : nullptr);
      break;
    default:
      reply = rest_ticket(server, c.request.body);
      break;
  }
  c.request.body = std::string();
  return write_reply(wsi, c.request, std::move(reply), close_after);
}

int on_http(lws* wsi, ServerState& server, HttpConnection& c, std::string_view uri) {
  c.request = capture_request(wsi, uri);
  c.reading_body = false;
  const HttpRequest& request = c.request;
  const std::optional<Route> route =
      match_route(request.path, server.has(Defect::kRouteServiceFirst));
  // --defect streams-not-served: the SSE streams are not on this port (§1.1a).
  const bool elsewhere = route && route->stream() && server.has(Defect::kStreamsNotServed);
  if (!route || elsewhere) {
    return write_reply(wsi, request,
                       error_reply(404, kNotFound, "no such endpoint",
                                   "{\"resource\":" + json_quote("path:" + request.path) + "}"));
  }
  // §9.2c: an unknown {service} is the handler's 404, after authentication; the defect routes by
  // service, before the preflight and the credentials.
  const bool has_service_segment =
      route->kind == RouteKind::kDashboard || route->kind == RouteKind::kAction ||
      route->kind == RouteKind::kLogExport || route->kind == RouteKind::kStreamLogs;
  if (server.has(Defect::kService404BeforeAuth) && has_service_segment &&
      !server.fixtures.has_service(route->service)) {
    return write_reply(
        wsi, request,
        error_reply(404, kNotFound, "unknown service",
                    "{\"resource\":" + json_quote("service:" + route->service) + "}"),
        request.method == HttpMethod::kPost);
  }
  if (server.has(Defect::kExpect417) && header(wsi, WSI_TOKEN_HTTP_EXPECT)) {
    return write_reply(wsi, request, error_reply(417, kInvalidRequest, "expectation failed"), true);
  }
  if (request.method == HttpMethod::kOptions &&
      !(route->kind == RouteKind::kWebSocket && server.has(Defect::kOptionsRpc405))) {
    return write_reply(wsi, request, preflight());
  }
  const bool method_ok =
      route->post ? request.method == HttpMethod::kPost : request.method == HttpMethod::kGet;
  if (route->kind == RouteKind::kWebSocket) {  // §1.5: the WebSocket endpoint without an upgrade
    if (!method_ok) {
      HttpReply reply = error_reply(405, kInvalidRequest, "use GET with a WebSocket upgrade");
      reply.headers.emplace_back("Allow", "GET, OPTIONS");
      return write_reply(wsi, request, std::move(reply));
    }
    return write_reply(wsi, request,
                       error_reply(400, kInvalidRequest, "WebSocket upgrade required"));
  }
  if (!method_ok && route->kind != RouteKind::kHealth && server.has(Defect::kAuthBeforeMethod)) {
    if (auto refusal = check_auth(server, request, route->stream()))
      return write_reply(wsi, request, std::move(*refusal), request.method == HttpMethod::kPost);
  }
  if (!method_ok && server.has(Defect::kNo405)) {
    return write_reply(wsi, request,
                       error_reply(404, kNotFound, "no such endpoint",
                                   "{\"resource\":" + json_quote("path:" + request.path) + "}"),
                       request.method == HttpMethod::kPost);
  }
  if (!method_ok) {
    HttpReply reply = error_reply(405, kInvalidRequest, "method not allowed on this path");
    if (!server.has(Defect::kNoAllowHeader)) reply.headers.emplace_back("Allow", route->allow());
    return write_reply(wsi, request, std::move(reply), request.method == HttpMethod::kPost);
  }
  if (route->kind == RouteKind::kHealth) {
    if (server.has(Defect::kHealthAuth)) {
      if (auto refusal = check_auth(server, request, false))
        return write_reply(wsi, request, std::move(*refusal));
    }
    const int64_t now = seam::bucket_now(server);
    if (seam::health_charged(server) && !c.bucket.try_take(now))
      return write_reply(wsi, request, rate_limited_reply(c.bucket.retry_after_ms(now)));
    return write_reply(wsi, request, rest_health());
  }
  const bool post = request.method == HttpMethod::kPost;
  // A body we will not read makes the connection unusable for another request.
  const bool unread_body = post && (request.transfer_encoding || !request.content_length);
  if (route->stream() && (seam::refuses_for_shutdown(server) ||
                          server.connections.size() + http_state(server).hub.reader_count() >=
                              static_cast<size_t>(server.options.max_connections))) {
    HttpReply reply = error_reply(503, kServiceUnavailable, "connection limit reached",
                                  R"({"service":"sidecar","retryAfterMs":1000})");
    reply.headers.emplace_back("Retry-After", "1");
    return write_reply(wsi, request, std::move(reply));
  }
  if (auto refusal = check_auth(server, request, route->stream()))
    return write_reply(wsi, request, std::move(*refusal), unread_body);
  const int64_t now = seam::bucket_now(server);
  TokenBucket& bucket = seam::bucket_charged(server, c.bucket);
  const bool rpc = route->kind == RouteKind::kRpc;
  if (rpc && !seam::rpc_post_charged_once(server)) {  // §8.3: admission only; members are charged
    if (const int64_t wait = bucket.retry_after_ms(now); wait > 0)
      return write_reply(wsi, request, rate_limited_reply(wait), unread_body);
  } else if ((rpc || !seam::rest_request_free(server)) && !bucket.try_take(now)) {
    return write_reply(wsi, request, rate_limited_reply(bucket.retry_after_ms(now)), unread_body);
  }
  if (post) {
    if (!server.has(Defect::kNo415) &&
        (!request.content_type || !is_json_media_type(*request.content_type))) {
      return write_reply(wsi, request,
                         error_reply(415, kInvalidRequest, "Content-Type must be application/json"),
                         unread_body);
    }
    if (request.transfer_encoding && !server.has(Defect::kChunkedIgnored)) {
      // §9.1: chunked request bodies are not accepted
      return write_reply(wsi, request,
                         error_reply(400, kInvalidRequest, "send the body with Content-Length"),
                         true);
    }
    const size_t limit = server.options.max_message_bytes;
    if (request.content_length && *request.content_length > limit &&
        !server.has(Defect::kNoEarly413)) {
      return write_reply(wsi, request,
                         error_reply(413, kPayloadTooLarge, "request body too large",
                                     "{\"maxBytes\":" + std::to_string(limit) + "}"),
                         true);
    }
    if (!request.content_length) return finish_post(wsi, server, c, true);  // no body at all
    c.reading_body = true;
    c.request.body.reserve(static_cast<size_t>(*request.content_length));
    return 0;  // lws delivers the body (even an explicitly empty one) through HTTP_BODY
  }
  switch (route->kind) {
    case RouteKind::kDashboard:
      return write_reply(wsi, request, rest_dashboard(server, route->service));
    case RouteKind::kMultiDashboard:
      return write_reply(wsi, request, rest_multi_dashboard(server));
    case RouteKind::kLogExport:
      return write_reply(wsi, request, rest_log_export(server, route->service, request));
    case RouteKind::kStreamLogs:
      if (!server.fixtures.has_service(route->service) &&
          !server.has(Defect::kSseUnknownServiceOk)) {
        return write_reply(
            wsi, request,
            error_reply(404, kNotFound, "unknown service",
                        "{\"resource\":" + json_quote("service:" + route->service) + "}"));
      }
      return open_stream(wsi, server, c, *route);
    default:
      return open_stream(wsi, server, c, *route);
  }
}

int on_body(HttpConnection& c, const ServerState& server, const char* data, size_t len) {
  if (!c.reading_body) return 0;
  if (c.request.body.size() + len > server.options.max_message_bytes) return -1;
  c.request.body.append(data, len);
  return 0;
}

void on_closed(ServerState& server, lws* wsi, HttpConnection*& slot) {
  slot = nullptr;
  if (server.http) server.http->connections.erase(wsi);
}

}  // namespace

HttpState::HttpState(const ServerState& server)
    : hub(server.options.replay_ring, server.options.replay_bytes,
          SseDefects{server.has(Defect::kSseNoRetry), server.has(Defect::kSseIdGap),
                     server.has(Defect::kSseReplayDuplicate), server.has(Defect::kSseNoReset),
                     server.has(Defect::kSseReplayWithoutId)}) {}

HttpState& http_state(ServerState& server) {
  if (!server.http) server.http = std::make_shared<HttpState>(server);
  return *server.http;
}

int send_json_response(lws* wsi, int status, std::string_view body, std::string_view extra_header) {
  HttpReply reply;
  reply.status = status;
  reply.body = std::string(body);
  if (!extra_header.empty()) {  // "Name: value\r\n"
    const size_t colon = extra_header.find(':');
    std::string value(extra_header.substr(colon + 1));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    reply.headers.emplace_back(std::string(extra_header.substr(0, colon)), value);
  }
  // A refusal may leave an unread body behind: ending the connection keeps lws out of the
  // pipelining spin described in write_reply.
  return write_reply(wsi, HttpRequest{}, std::move(reply), true);
}

int http_callback(lws* wsi, lws_callback_reasons reason, HttpConnection*& slot, void* user,
                  void* in, size_t len) {
  ServerState& server = state_of(wsi);
  if (slot == nullptr && server.http && reason != LWS_CALLBACK_HTTP) {
    // lws may hand out fresh user space between keep-alive requests: find the record by socket.
    auto it = server.http->connections.find(wsi);
    if (it != server.http->connections.end()) slot = it->second.get();
  }
  switch (reason) {
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
      return on_filter(wsi, server);
    case LWS_CALLBACK_HTTP: {
      HttpConnection& c = connection_for(wsi, server, slot);
      c.sse.reset();
      return on_http(wsi, server, c, std::string_view(static_cast<const char*>(in), len));
    }
    case LWS_CALLBACK_HTTP_BODY:
      return slot ? on_body(*slot, server, static_cast<const char*>(in), len) : 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (slot != nullptr && slot->reading_body) return finish_post(wsi, server, *slot, false);
      return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (slot != nullptr && slot->sse) return sse_on_writeable(wsi, *slot->sse);
      return lws_callback_http_dummy(wsi, reason, user, in, len);
    case LWS_CALLBACK_TIMER:
      if (slot != nullptr && slot->sse)
        return sse_on_timer(wsi, *slot->sse,
                            server.shutting_down && seam::sse_ended_at_shutdown(server));
      return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
      on_closed(server, wsi, slot);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

}  // namespace flake
