// The client side of the RFC 6455 §4.1 opening handshake: the URL, the upgrade request, and the
// checks on the server's answer (status, Sec-WebSocket-Accept, subprotocol, extensions,
// Retry-After for a refused attempt, §7.7).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/client/message_reader.hpp"

namespace flake::client {

struct WsUrl {
  std::string host;  // as written (an IPv6 literal without brackets)
  uint16_t port = 80;
  std::string target = "/";  // path and query
};
// ws://host[:port][/path]; nullopt for anything else (wss is not served: loopback only).
std::optional<WsUrl> parse_ws_url(std::string_view url);

inline constexpr std::string_view kSubprotocol = "flake.v1";

// The GET request; `key` is the base64 of 16 random bytes.
std::string upgrade_request(const WsUrl& url, std::string_view key, bool offer_deflate);

// A response head, read incrementally until the blank line.
struct ResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;          // names as sent
  std::optional<std::string_view> get(std::string_view name) const;  // case-insensitive
};

class ResponseHeadParser {
 public:
  static constexpr size_t kMaxHead = 16 * 1024;
  enum class State { kNeedMore, kDone, kError };
  // Appends bytes; once kDone, rest() holds the bytes after the head (the first frames).
  State feed(std::string_view bytes);
  const ResponseHead& head() const { return head_; }
  std::string_view rest() const { return rest_; }
  const std::string& error() const { return error_; }

 private:
  State parse();
  std::string buf_;
  std::string rest_;
  ResponseHead head_;
  std::string error_;
  State state_ = State::kNeedMore;
};

struct HandshakeOutcome {
  bool upgraded = false;
  std::string error;                                // why not, for logs
  std::optional<std::chrono::seconds> retry_after;  // a 429/503 with Retry-After
  std::optional<DeflateAgreed> deflate;             // the server agreed to permessage-deflate
};

// The checks of RFC 6455 §4.1 (status 101, Upgrade, Connection, the accept key, a subprotocol we
// offered, an extension we offered) and RFC 7692 §5 for the deflate answer.
HandshakeOutcome check_response(const ResponseHead& head, std::string_view key,
                                bool offered_deflate);

}  // namespace flake::client
