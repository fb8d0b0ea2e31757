// REST handlers (see rest_handlers.hpp). Methods run with no socket (CallContext::connection null),
// so socket-only methods answer -32601 exactly as over POST /api/v1/rpc.
#include "reference/http/rest_handlers.hpp"

#include "reference/defects/seams.hpp"

#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/codec/utf8.hpp"
#include "reference/http/headers.hpp"
#include "reference/rpc/dispatcher.hpp"
#include "reference/rpc/large_export.hpp"
#include "reference/state/http_state.hpp"
#include "reference/state/server_state.hpp"

namespace flake {

namespace {

HttpReply json_reply(const cJSON* value) {
  HttpReply reply;
  reply.body = print_json(value);
  if (reply.body.empty()) return error_reply(500, kInternalError, "cannot serialise the answer");
  return reply;
}

HttpReply unknown_service(std::string_view service) {
  return error_reply(404, kNotFound, "unknown service",
                     "{\"resource\":" + json_quote("service:" + std::string(service)) + "}");
}

// A body parsed as JSON under the message rules (§2.8, §8.9, §8.10); null with `error` set
// otherwise.
JsonPtr parse_body(const ServerState& server, std::string_view body, std::string& error) {
  if (!is_valid_utf8(body)) {
    error = "body is not valid UTF-8";
    return nullptr;
  }
  ParseResult parsed = parse_json(body, server.message_limits().max_json_depth,
                                  !server.has(Defect::kFirstDuplicateWins));
  if (!parsed.value) {
    error = parsed.error.empty() ? "body is not JSON" : parsed.error;
    return nullptr;
  }
  if (server.has(Defect::kIntegerFormChecked)) mark_float_forms(body, parsed.value.get());
  return std::move(parsed.value);
}

// A call with no socket, authenticated by the Bearer token before dispatch.
CallContext http_context(ServerState& server) {
  return CallContext(server, nullptr, true);
}

}  // namespace

int http_status_for(int code) {
  switch (code) {
    case kParseError:
    case kInvalidRequest:
    case kInvalidParams:
      return 400;
    case kMethodNotFound:
    case kNotFound:
      return 404;
    case kUnauthenticated:
      return 401;
    case kRateLimited:
      return 429;
    case kServiceUnavailable:
    case kTimeout:
      return 503;
    case kPayloadTooLarge:
      return 413;
    case kForbidden:
      return 403;
    default:
      return 500;
  }
}

HttpReply reply_for(RpcError error) {
  const std::string data = error.data ? print_json(error.data.get()) : std::string();
  HttpReply reply = error_reply(http_status_for(error.code), error.code, error.message, data);
  if (error.code == kRateLimited || error.code == kServiceUnavailable) {
    reply.headers.emplace_back("Retry-After", "1");
  }
  return reply;
}

HttpReply rest_health() {
  HttpReply reply;
  reply.body =
      std::string(R"({"status":"ok","protocol":"flake.v1","version":")") + FLAKE_VERSION + "\"}";
  return reply;
}

HttpReply rest_dashboard(ServerState& server, std::string_view service) {
  const cJSON* dashboard = server.fixtures.dashboard(service);
  if (dashboard == nullptr || !server.fixtures.has_service(service)) {
    if (server.has(Defect::kDashboardUnknownOk)) {
      HttpReply empty;
      empty.body = "{}";
      return empty;
    }
    return unknown_service(service);
  }
  return json_reply(dashboard);
}

HttpReply rest_multi_dashboard(ServerState& server) {
  CallContext ctx = http_context(server);
  Request request{"multi.getDashboard", nullptr, nullptr};
  Outcome outcome = execute_request(ctx, request);
  if (auto* error = std::get_if<RpcError>(&outcome)) return reply_for(std::move(*error));
  return json_reply(std::get<JsonPtr>(outcome).get());
}

HttpReply rest_action(ServerState& server, std::string_view service, std::string_view body,
                      TokenBucket* bucket) {
  // --defect multi-action-served: "multi" passes as a service here, so multi.<action> runs (§1.3c).
  const bool multi_served = service == "multi" && server.has(Defect::kMultiActionServed);
  if (!server.fixtures.has_service(service) && !multi_served) return unknown_service(service);
  std::string error;
  JsonPtr parsed = parse_body(server, body, error);
  const bool lenient = server.has(Defect::kActionBodyLenient);  // unusable bodies: unknown action
  if (!parsed && lenient) return error_reply(404, kMethodNotFound, "method not found");
  if (!parsed) return error_reply(400, kParseError, error);
  const auto action = string_member(parsed.get(), "action");
  if (!action && lenient) return error_reply(404, kMethodNotFound, "method not found");
  if (!action) return error_reply(400, kInvalidRequest, "body must be {\"action\":\"...\"}");
  const cJSON* params = member(parsed.get(), "params");
  if (params != nullptr && !cJSON_IsObject(params) && !cJSON_IsArray(params))
    return error_reply(400, kInvalidRequest, "params must be an object");
  const std::string method = std::string(service) + "." + std::string(*action);
  CallContext ctx = http_context(server);
  ctx.bucket = bucket;
  Request request{method, params, nullptr};
  Outcome outcome = execute_request(ctx, request);
  if (auto* failure = std::get_if<RpcError>(&outcome)) {
    HttpReply reply = reply_for(std::move(*failure));
    if (server.has(Defect::kActionErrors200)) reply.status = 200;
    return reply;
  }
  if (server.has(Defect::kActionRpcEnvelope)) {
    HttpReply reply;
    reply.body = "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":" +
                 print_json(std::get<JsonPtr>(outcome).get()) + "}";
    return reply;
  }
  return json_reply(std::get<JsonPtr>(outcome).get());
}

HttpReply rest_rpc(ServerState& server, std::string_view body, TokenBucket& bucket) {
  const TransportScope scope(server, Transport::Http);
  std::string error;
  JsonPtr message = parse_body(server, body, error);
  JsonPtr response;
  // The dispatcher's own message and batch rules, as on a socket; each valid request is charged
  // to this HTTP connection's bucket as a WebSocket message with the same body would be (§8.2).
  CallContext ctx = http_context(server);
  ctx.bucket = seam::rpc_post_charged_once(server) ? nullptr : &bucket;
  if (seam::dies_on_huge_number(server, body) ||
      (!message && seam::dies_on_surrogate(server, body))) {
    return error_reply(500, kInternalError, "internal error");  // as if the handler had died
  }
  if (!message) {
    response = seam::parse_error_as_sent(server, body, parse_error_response(server, error));
  } else {
    response = dispatch_message(ctx, message.get());
  }
  HttpReply reply;
  if (!response) {  // only notifications (§9.7)
    reply.status = 204;
    return reply;
  }
  reply.body = print_json(response.get());
  if (server.has(Defect::kRpcErrorStatus) && member(response.get(), "error") != nullptr)
    reply.status = 400;
  return reply;
}

HttpReply rest_ticket(ServerState& server, std::string_view body) {
  std::string_view rest = body;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n' || rest.front() == '\r' ||
                           rest.front() == '\t')) {
    rest.remove_prefix(1);
  }
  if (!rest.empty() && !server.has(Defect::kTicketBodyUnchecked)) {  // §9.11: empty or an object
    std::string error;
    JsonPtr parsed = parse_body(server, body, error);
    if (!parsed) return error_reply(400, kParseError, error);
    if (!cJSON_IsObject(parsed.get()))
      return error_reply(400, kInvalidRequest, "body must be empty or a JSON object");
  }
  const std::string ticket = http_state(server).tickets.issue(
      server.now_ms(), server.limits.ticket_random_bytes, server.limits.ticket_lifetime_ms);
  if (ticket.empty()) return error_reply(500, kInternalError, "cannot generate a ticket");
  HttpReply reply;
  reply.body = "{\"ticket\":\"" + ticket +
               "\",\"expiresInMs\":" + std::to_string(server.limits.ticket_announced_ms) + "}";
  return reply;
}

HttpReply rest_log_export(ServerState& server, std::string_view service,
                          const HttpRequest& request) {
  const std::optional<std::string> range = request.query_value("timeRange");
  std::optional<int64_t> range_ms = range ? parse_time_range_ms(*range) : std::nullopt;
  if (!range_ms && server.has(Defect::kExportRangeUnchecked)) range_ms = 3'600'000;
  if (!range_ms) {
    return error_reply(400, kInvalidParams, "timeRange must match ^[1-9][0-9]{0,8}(s|m|h|d)$",
                       R"({"field":"timeRange"})");
  }
  if (!server.fixtures.has_service(service)) return unknown_service(service);
  // §5.12a, §9.10: ts in (now - duration, now], in whole milliseconds.
  const int64_t now = server.epoch_ms();
  JsonPtr entries = server.log_history.entries_since(service, now - *range_ms + 1, now);
  const int total = cJSON_GetArraySize(entries.get());
  JsonPtr document(cJSON_CreateObject());
  cJSON_AddStringToObject(document.get(), "service", std::string(service).c_str());
  cJSON_AddStringToObject(document.get(), "timeRange", range.value_or("").c_str());
  cJSON_AddNumberToObject(document.get(), "totalEntries", total);
  cJSON_AddItemToObject(document.get(), "entries", entries.release());
  HttpReply reply;
  reply.vary_accept = true;
  if (request.accept && list_allows(*request.accept, "application/msgpack", "") &&
      !server.has(Defect::kExportNoMsgpack)) {
    reply.content_type = "application/msgpack";
    reply.body = encode_msgpack(document.get());
  } else {
    reply.body = print_json(document.get());
  }
  return reply;
}

}  // namespace flake
