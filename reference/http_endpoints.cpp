// Plain-HTTP requests on the WebSocket's port. For now: the Host/Origin gate for every request and
// GET /api/v1/health; every other path answers 404 with a JSON error body.
#include "http_endpoints.hpp"

#include <optional>
#include <string>

#include "rpc_error.hpp"
#include "server_state.hpp"

namespace flake {

namespace {

ServerState& state_of(lws* wsi) {
  return *static_cast<ServerState*>(lws_context_user(lws_get_context(wsi)));
}

std::optional<std::string> header(lws* wsi, lws_token_indexes token) {
  const int length = lws_hdr_total_length(wsi, token);
  if (length <= 0) return std::nullopt;
  std::string value(static_cast<size_t>(length) + 1, '\0');
  if (lws_hdr_copy(wsi, value.data(), length + 1, token) < 0) return std::string("\x01invalid");
  value.resize(static_cast<size_t>(length));
  return value;
}

std::string error_body(int code, std::string_view message) {
  return "{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":\"" + std::string(message) +
         "\"}}";
}

int on_filter(lws* wsi, ServerState& server) {
  AccessVerdict verdict =
      check_access(server.access, header(wsi, WSI_TOKEN_HOST), header(wsi, WSI_TOKEN_ORIGIN));
  if (verdict == AccessVerdict::kBadHost && server.has(Defect::kAcceptAnyHost)) {
    verdict = AccessVerdict::kAllowed;
  }
  if (verdict == AccessVerdict::kBadOrigin && server.has(Defect::kAcceptForeignOrigin)) {
    verdict = AccessVerdict::kAllowed;
  }
  if (verdict == AccessVerdict::kAllowed) return 0;
  send_json_response(wsi, HTTP_STATUS_FORBIDDEN, error_body(kForbidden, "Origin or Host not allowed"));
  return 1;
}

int on_http(lws* wsi, std::string_view path) {
  if (path == "/api/v1/health") {
    return send_json_response(
        wsi, HTTP_STATUS_OK,
        std::string(R"({"status":"ok","protocol":"flake.v1","version":")") + FLAKE_VERSION + "\"}");
  }
  return send_json_response(wsi, HTTP_STATUS_NOT_FOUND, error_body(kNotFound, "no such endpoint"));
}

}  // namespace

int send_json_response(lws* wsi, int status, std::string_view body) {
  std::string buffer(LWS_PRE + 1024, '\0');
  auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size();
  if (lws_add_http_common_headers(wsi, static_cast<unsigned>(status), "application/json", body.size(),
                                  &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  std::string payload(LWS_PRE, '\0');
  payload.append(body);
  auto* data = reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE;
  if (lws_write(wsi, data, body.size(), LWS_WRITE_HTTP_FINAL) != static_cast<int>(body.size())) return 1;
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
