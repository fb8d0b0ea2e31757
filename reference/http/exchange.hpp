// One HTTP request as the REST and SSE handlers see it, and the reply they return: plain values, so
// the handlers never touch lws and protocol errors travel as values (docs/protocol.md §9).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flake {

enum class HttpMethod { kGet, kPost, kOptions, kHead, kOther };

struct HttpRequest {
  HttpMethod method = HttpMethod::kOther;
  std::string path;  // without the query
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<std::string> authorization, content_type, accept, accept_encoding, origin,
      last_event_id, transfer_encoding;
  std::optional<uint64_t> content_length;
  std::string body;

  // The first value of a query parameter; later duplicates are ignored.
  std::optional<std::string> query_value(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Allow
  bool vary_accept = false;  // the body's format depends on Accept (§9.10)
};

// The §9.3 error body: {"error":{"code","message","data"?}}; `data_json` is raw JSON or empty.
HttpReply error_reply(int status, int code, std::string_view message,
                      std::string_view data_json = {});

// Minimal JSON string escaping for values echoed into hand-built bodies.
std::string json_quote(std::string_view text);

}  // namespace flake
