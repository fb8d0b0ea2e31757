// Plain-HTTP requests on the WebSocket's port. For now: the Host/Origin gate for every request and
// GET /api/v1/health; every other path answers 404 with a JSON error body.
#include "http_endpoints.hpp"

#include <optional>
#include <string>

#include "request_gate.hpp"
#include "rpc_error.hpp"
#include "server_state.hpp"

namespace flake {

namespace {

ServerState& state_of(lws* wsi) {
  return *static_cast<ServerState*>(lws_context_user(lws_get_context(wsi)));
}

std::string error_body(int code, std::string_view message, std::string_view data = {}) {
  std::string body = "{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":\"" +
                     std::string(message) + "\"";
  if (!data.empty()) body += ",\"data\":" + std::string(data);
  return body + "}}";
}

int on_filter(lws* wsi, ServerState& server) {
  switch (check_gate(wsi, server)) {
    case GateVerdict::kAllowed:
      return 0;
    case GateVerdict::kDuplicateHost:
      send_json_response(wsi, HTTP_STATUS_BAD_REQUEST,
                         error_body(kInvalidRequest, "more than one Host header"));
      return 1;
    case GateVerdict::kForbidden:
      send_json_response(wsi, HTTP_STATUS_FORBIDDEN,
                         error_body(kForbidden, "Origin or Host not allowed"));
      return 1;
  }
  return 1;
}

bool is_post(lws* wsi) {
  return lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
}

int on_http(lws* wsi, std::string_view path) {
  if (path == "/api/v1/health") {
    return send_json_response(
        wsi, HTTP_STATUS_OK,
        std::string(R"({"status":"ok","protocol":"flake.v1","version":")") + FLAKE_VERSION + "\"}");
  }
  if (path == "/rpc") {  // §1.5: the WebSocket endpoint without an upgrade
    if (is_post(wsi)) {
      return send_json_response(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED,
                                error_body(kInvalidRequest, "use GET with a WebSocket upgrade"),
                                "Allow: GET\r\n");
    }
    return send_json_response(wsi, HTTP_STATUS_BAD_REQUEST,
                              error_body(kInvalidRequest, "WebSocket upgrade required"));
  }
  std::string resource = R"({"resource":"path:)";
  for (char ch : path) {  // the path is echoed as a JSON string: escape what needs it
    if (ch == '"' || ch == '\\') resource += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) resource += ch;
  }
  resource += "\"}";
  return send_json_response(wsi, HTTP_STATUS_NOT_FOUND,
                            error_body(kNotFound, "no such endpoint", resource));
}

}  // namespace

int send_json_response(lws* wsi, int status, std::string_view body, std::string_view extra_header) {
  std::string buffer(LWS_PRE + 1024, '\0');
  auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size();
  if (lws_add_http_common_headers(wsi, static_cast<unsigned>(status), "application/json",
                                  body.size(), &p, end)) {
    return 1;
  }
  if (!extra_header.empty()) {  // "Name: value\r\n"
    const size_t colon = extra_header.find(':');
    const std::string name = std::string(extra_header.substr(0, colon + 1));
    std::string value = std::string(extra_header.substr(colon + 1));
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end)) {
      return 1;
    }
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
  std::string payload(LWS_PRE, '\0');
  payload.append(body);
  auto* data = reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE;
  if (lws_write(wsi, data, body.size(), LWS_WRITE_HTTP_FINAL) != static_cast<int>(body.size()))
    return 1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
      return on_filter(wsi, state_of(wsi));
    case LWS_CALLBACK_HTTP:
      return on_http(wsi, std::string_view(static_cast<const char*>(in), len));
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

}  // namespace flake
