// Answering an upgrade (see upgrade.hpp). The order of the checks is the order of §1.4: the gate
// before the path, the path before the method, the method before the RFC 6455 details.
#include "reference/ws/upgrade.hpp"

#include <algorithm>

#include "reference/defects/seams.hpp"
#include "reference/http/exchange.hpp"
#include "reference/http/request_gate.hpp"
#include "reference/rpc/rpc_error.hpp"

namespace flake {

namespace {

UpgradeAnswer refuse(const ServerState& server, int status, const char* phrase, int rpc_code,
                     const std::string& message, const char* data = nullptr,
                     const char* extra_headers = "") {
  // The JSON error body of §9.3, built as for every REST refusal.
  std::string body = error_reply(status, rpc_code, message, data ? data : "").body;
  if (server.has(Defect::kRefusalNoBody)) body.clear();
  UpgradeAnswer answer;
  answer.response =
      "HTTP/1.1 " + std::to_string(status) + " " + phrase +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n" + extra_headers + "Connection: close\r\n\r\n" + body;
  return answer;
}

}  // namespace

UpgradeAnswer answer_upgrade(const ws::RequestHead& head, const ServerState& server,
                             size_t open_connections) {
  const auto text = [&head](std::string_view name) -> std::optional<std::string> {
    if (auto value = head.get(name)) return std::string(*value);
    return std::nullopt;
  };
  switch (check_gate(GateInput{head.count("host"), text("host"), text("origin"), true}, server)) {
    case GateVerdict::kDuplicateHost:
      return refuse(server, 400, "Bad Request", kInvalidRequest, "more than one Host header");
    case GateVerdict::kForbidden:
      return refuse(server, 403, "Forbidden", kForbidden, "Origin or Host not allowed");
    case GateVerdict::kAllowed:
      break;
  }
  // §1.3b: the query is not part of the path (--defect query-in-path compares it too).
  const std::string_view path =
      server.has(Defect::kQueryInPath) ? std::string_view(head.target) : head.path();
  if (path != "/rpc" && !server.has(Defect::kUpgradeAnyPath)) {
    return refuse(server, 404, "Not Found", kNotFound, "WebSocket endpoint is /rpc",
                  R"({"resource":"path"})");
  }
  if (head.method != "GET") {
    return refuse(server, 405, "Method Not Allowed", kInvalidRequest, "use GET to upgrade", nullptr,
                  "Allow: GET\r\n");
  }
  if (const ws::UpgradeProblem problem = ws::check_upgrade(head);
      problem != ws::UpgradeProblem::kNone) {
    if (problem == ws::UpgradeProblem::kBadVersion && server.has(Defect::kWsVersion426)) {
      return refuse(server, 426, "Upgrade Required", kInvalidRequest, "use WebSocket version 13",
                    nullptr, "Sec-WebSocket-Version: 13\r\n");
    }
    return refuse(
        server, 400, "Bad Request", kInvalidRequest,
        "not a valid WebSocket upgrade: " + std::string(ws::describe(problem)), nullptr,
        problem == ws::UpgradeProblem::kBadVersion ? "Sec-WebSocket-Version: 13\r\n" : "");
  }
  const std::vector<std::string> offered = ws::offered_subprotocols(head);
  const bool offers_ours = std::find(offered.begin(), offered.end(), "flake.v1") != offered.end();
  if ((server.has(Defect::kSubprotocolRequired) && offered.empty()) ||
      (server.has(Defect::kRefuseForeignSubprotocol) && !offered.empty() && !offers_ours)) {
    return refuse(server, 400, "Bad Request", kInvalidRequest, "offer flake.v1");
  }
  const size_t cap = server.limits.max_ws_connections;
  if (seam::refuses_for_shutdown(server) || open_connections >= cap) {
    return refuse(server, 503, "Service Unavailable", kServiceUnavailable,
                  "connection limit reached", R"({"service":"sidecar","retryAfterMs":1000})",
                  server.has(Defect::kNoRetryAfter) ? "" : "Retry-After: 1\r\n");
  }

  UpgradeAnswer answer;
  answer.accepted = true;
  answer.response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      ws::accept_key(*head.get("sec-websocket-key")) + "\r\n";
  // §1.6: flake.v1 when offered, no header otherwise (a foreign-only offer is still accepted).
  if (offers_ours && !server.has(Defect::kNoSubprotocol)) {
    answer.response += "Sec-WebSocket-Protocol: flake.v1\r\n";
  }
  if (!server.has(Defect::kNoDeflate)) {
    const std::string offers = head.joined("sec-websocket-extensions");
    if (auto agreed = ws::negotiate_deflate(offers)) {
      answer.response += "Sec-WebSocket-Extensions: " + agreed->response + "\r\n";
      answer.deflate = agreed->params;
    } else if (server.has(Defect::kDeflateBadOfferRefused) &&
               offers.find("permessage-deflate") != std::string::npos) {
      return refuse(server, 400, "Bad Request", kInvalidRequest,
                    "unsupported permessage-deflate parameters");
    }
  }
  answer.response += "\r\n";
  return answer;
}

}  // namespace flake
