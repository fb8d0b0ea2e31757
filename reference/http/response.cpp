// HTTP response writing (see response.hpp). Bodies go out in one lws_write: lws keeps what the
// socket does not take and finishes it from its own writeable handling.
#include "reference/http/response.hpp"

#include <string>

#include "reference/codec/gzip.hpp"
#include "reference/http/headers.hpp"
#include "reference/state/server_state.hpp"

namespace flake {

namespace {

bool add_header(lws* wsi, std::string_view name_colon, std::string_view value, unsigned char** p,
                unsigned char* end) {
  const std::string name(name_colon);
  return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), p, end) == 0;
}

}  // namespace

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

HttpReply error_reply(int status, int code, std::string_view message, std::string_view data_json) {
  HttpReply reply;
  reply.status = status;
  reply.body =
      "{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":" + json_quote(message);
  if (!data_json.empty()) reply.body += ",\"data\":" + std::string(data_json);
  reply.body += "}}";
  return reply;
}

bool write_head(lws* wsi, const HttpRequest& request, int status, std::string_view content_type,
                std::optional<size_t> content_length, const HttpReply& extra) {
  size_t room = 2048 + content_type.size();
  for (const auto& [name, value] : extra.headers) room += name.size() + value.size() + 8;
  if (request.origin) room += request.origin->size();
  std::string buffer(LWS_PRE + room, '\0');
  auto* start = reinterpret_cast<unsigned char*>(buffer.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(buffer.data()) + buffer.size();
  const std::string type(content_type);
  if (status == HTTP_STATUS_NO_CONTENT) {  // RFC 9110: a 204 carries no Content-Length
    if (lws_add_http_header_status(wsi, static_cast<unsigned>(status), &p, end)) return false;
  } else if (lws_add_http_common_headers(
                 wsi, static_cast<unsigned>(status), type.empty() ? nullptr : type.c_str(),
                 content_length ? static_cast<lws_filepos_t>(*content_length)
                                : LWS_ILLEGAL_HTTP_CONTENT_LEN,
                 &p, end)) {
    return false;
  }
  for (const auto& [name, value] : extra.headers) {
    if (!add_header(wsi, name + ":", value, &p, end)) return false;
  }
  if (request.origin) {  // the gate already refused any Origin not on the allowlist
    const auto& server = *static_cast<const ServerState*>(lws_context_user(lws_get_context(wsi)));
    const std::string_view allowed =
        server.has(Defect::kCorsWildcard) ? std::string_view("*") : *request.origin;
    if (!add_header(wsi, "Access-Control-Allow-Origin:", allowed, &p, end) ||
        (!server.has(Defect::kNoExposeHeaders) &&
         !add_header(wsi, "Access-Control-Expose-Headers:", "Retry-After", &p, end)) ||
        (server.has(Defect::kCorsCredentials) &&
         !add_header(wsi, "Access-Control-Allow-Credentials:", "true", &p, end))) {
      return false;
    }
  }
  return lws_finalize_write_http_header(wsi, start, &p, end) == 0;
}

int write_reply(lws* wsi, const HttpRequest& request, HttpReply reply, bool close_after) {
  std::string vary;
  auto vary_on = [&vary](std::string_view what) {
    vary += vary.empty() ? "" : ", ";
    vary += what;
  };
  if (request.origin) vary_on("Origin");
  const bool has_body = reply.status != HTTP_STATUS_NO_CONTENT;
  if (has_body) vary_on("Accept-Encoding");
  if (reply.vary_accept) vary_on("Accept");
  if (!vary.empty()) reply.headers.emplace_back("Vary", vary);
  const auto& server = *static_cast<const ServerState*>(lws_context_user(lws_get_context(wsi)));
  const bool gzip_accepted =
      request.accept_encoding && list_allows(*request.accept_encoding, "gzip", "*");
  if (server.has(Defect::kNoRetryAfter)) {
    std::erase_if(reply.headers, [](const auto& h) { return h.first == "Retry-After"; });
  }
  if (has_body && reply.body.size() > kGzipThreshold && !server.has(Defect::kNoGzip) &&
      (gzip_accepted || server.has(Defect::kGzipUnasked))) {
    if (auto packed = gzip_compress(reply.body)) {
      reply.body = std::move(*packed);
      reply.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  // Every answer to a POST ends its connection: libwebsockets 4.1.6 spins at 100 % CPU in its
  // rx-flow loop, serving nobody, when more requests follow a POST in the same read (HTTP
  // pipelining).
  if (request.method == HttpMethod::kPost || server.has(Defect::kNoKeepAlive)) close_after = true;
  // §9.1e: the answer to HEAD has a head only. Its Content-Length is that of the body it leaves
  // out, so the connection ends after it rather than leave lws waiting for that body.
  const bool head_only = request.method == HttpMethod::kHead && !server.has(Defect::kHeadWithBody);
  if (head_only) close_after = true;
  if (close_after) reply.headers.emplace_back("Connection", "close");
  if (!write_head(wsi, request, reply.status, has_body ? reply.content_type : "", reply.body.size(),
                  reply)) {
    return -1;
  }
  if (has_body && !head_only) {
    std::string payload(LWS_PRE, '\0');
    payload += reply.body;
    auto* data = reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE;
    if (lws_write(wsi, data, reply.body.size(), LWS_WRITE_HTTP_FINAL) !=
        static_cast<int>(reply.body.size())) {
      return -1;
    }
  }
  if (close_after) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

}  // namespace flake
