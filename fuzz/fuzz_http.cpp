// Target: the reference's REST side past the socket: path routing (match_route), the header
// grammars (is_json_media_type, list_allows, bearer_credentials) and the handlers that take a body
// or query (rest_rpc, rest_action, rest_ticket, rest_dashboard, rest_log_export), routed as
// reference/http/endpoints.cpp does. lws splits the request itself; the input is the request it
// hands over:
//   METHOD SP path[?query] [SP anything] LF, "Name: value" LF lines, an empty line, the body.
// Properties: statuses are HTTP statuses; 204 has no body, a JSON reply body is JSON, a MessagePack
// one MessagePack; Bearer credentials are a part of the header that holds them.
#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/http/headers.hpp"
#include "reference/http/rest_handlers.hpp"
#include "reference/http/routes.hpp"
#include "reference_state.hpp"

namespace {

using namespace flake;

std::string_view next_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

HttpRequest read_request(std::string_view text) {
  HttpRequest request;
  std::string_view start = next_line(text);
  const std::string_view method = start.substr(0, start.find(' '));
  request.method = method == "GET"       ? HttpMethod::kGet
                   : method == "POST"    ? HttpMethod::kPost
                   : method == "OPTIONS" ? HttpMethod::kOptions
                                         : HttpMethod::kOther;
  start.remove_prefix(std::min(start.size(), method.size() + 1));
  const std::string_view target = start.substr(0, start.find(' '));
  const std::size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      const std::string_view pair = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
      const std::size_t eq = pair.find('=');
      request.query.emplace_back(pair.substr(0, eq), eq == std::string_view::npos
                                                         ? std::string_view()
                                                         : pair.substr(eq + 1));
    }
  }
  while (!text.empty()) {
    const std::string_view line = next_line(text);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    const std::pair<std::string_view, std::optional<std::string>*> known[] = {
        {"authorization", &request.authorization},
        {"content-type", &request.content_type},
        {"accept", &request.accept},
        {"accept-encoding", &request.accept_encoding},
        {"origin", &request.origin},
        {"last-event-id", &request.last_event_id},
        {"transfer-encoding", &request.transfer_encoding}};
    for (const auto& [header, slot] : known) {
      if (same_name(name, header)) *slot = std::string(value);
    }
  }
  request.body = std::string(text);
  request.content_length = request.body.size();
  return request;
}

void check_reply(const HttpReply& reply) {
  FLAKE_FUZZ_CHECK(reply.status >= 100 && reply.status <= 599);
  if (reply.status == 204) {  // e.g. a batch of notifications: no content at all (§9.7)
    FLAKE_FUZZ_CHECK(reply.body.empty());
  } else if (reply.content_type == "application/json") {
    FLAKE_FUZZ_CHECK(parse_json(reply.body).value != nullptr);
  } else if (reply.content_type == "application/msgpack") {
    FLAKE_FUZZ_CHECK(decode_msgpack(reply.body, kMaxJsonDepth).value != nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const HttpRequest request = read_request(fuzz::as_text(data, size));
  if (request.authorization) {
    const std::string& header = *request.authorization;
    if (const auto credentials = bearer_credentials(header)) {
      FLAKE_FUZZ_CHECK(credentials->data() >= header.data() &&
                       credentials->data() + credentials->size() <= header.data() + header.size());
    }
  }
  if (request.content_type) static_cast<void>(is_json_media_type(*request.content_type));
  if (request.accept) {
    static_cast<void>(list_allows(*request.accept, "text/event-stream", "*/*"));
    static_cast<void>(list_allows(*request.accept, "application/msgpack", ""));
  }
  if (request.accept_encoding)
    static_cast<void>(list_allows(*request.accept_encoding, "gzip", "*"));

  const std::optional<Route> route = match_route(request.path);
  if (!route) return 0;
  FLAKE_FUZZ_CHECK(route->allow() != nullptr);
  fuzz::FreshState state;
  ServerState& server = state.get();
  TokenBucket bucket(server.options.rate, server.options.burst);
  switch (route->kind) {
    case RouteKind::kHealth:
      check_reply(rest_health());
      break;
    case RouteKind::kRpc:
      check_reply(rest_rpc(server, request.body, bucket));
      break;
    case RouteKind::kAction:
      check_reply(rest_action(server, route->service, request.body));
      break;
    case RouteKind::kTicket:
      check_reply(rest_ticket(server, request.body));
      break;
    case RouteKind::kDashboard:
      check_reply(rest_dashboard(server, route->service));
      break;
    case RouteKind::kMultiDashboard:
      check_reply(rest_multi_dashboard(server));
      break;
    case RouteKind::kLogExport:
      check_reply(rest_log_export(server, route->service, request));
      break;
    default:  // WebSocket endpoint and SSE streams: nothing past routing takes request bytes
      break;
  }
  return 0;
}
