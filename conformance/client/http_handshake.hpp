// The WebSocket opening handshake (RFC 6455 section 4) from the client side, and an incremental
// HTTP/1.1 response-head parser shared with the harness's plain HTTP requests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flake::conform {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct UpgradeRequest {
  std::string path = "/rpc";
  std::optional<std::string> host;    // nullopt: send no Host header at all (negative test)
  std::optional<std::string> origin;  // nullopt: no Origin header (non-browser client)
  std::vector<std::string> subprotocols;
  HeaderList extra_headers;
  bool offer_deflate = false;
  std::string key;  // Sec-WebSocket-Key; generated when empty
};

// A fresh base64 encoding of 16 random bytes.
std::string make_websocket_key();

// base64(SHA-1(key + GUID)), RFC 6455 section 1.3.
std::string compute_accept(std::string_view key);

std::string base64_encode(std::string_view bytes);

// Fills in request.key when empty, so the caller can verify the answer.
std::string build_upgrade_request(UpgradeRequest& request);

struct HttpResponseHead {
  int status = 0;
  std::string reason;
  HeaderList headers;  // names lower-cased, values trimmed, in arrival order

  std::optional<std::string> header(std::string_view lower_name) const;
  // All values of a repeated header joined with ", " (RFC 9110 5.3).
  std::optional<std::string> combined(std::string_view lower_name) const;
};

// Feed bytes until Done; `consumed` tells how many bytes of the last feed belong to the head,
// the rest is body or WebSocket frames.
class ResponseHeadParser {
 public:
  enum class Status { Incomplete, Done, Error };
  struct Result {
    Status status = Status::Incomplete;
    std::size_t consumed = 0;
  };

  explicit ResponseHeadParser(std::size_t max_head_bytes = 16384) : max_(max_head_bytes) {}
  Result feed(std::string_view bytes);
  const HttpResponseHead& head() const { return head_; }
  const std::string& error() const { return error_; }

 private:
  bool parse(std::string_view text);

  std::size_t max_;
  std::string buffer_;
  HttpResponseHead head_;
  std::string error_;
  Status status_ = Status::Incomplete;
};

struct UpgradeCheck {
  bool ok = false;
  std::string error;
  std::string subprotocol;  // empty when none was selected
  std::string extensions;   // Sec-WebSocket-Extensions as answered
};

// Checks a 101 answer against what was asked: Upgrade, Connection, Accept, subprotocol, extensions.
UpgradeCheck verify_upgrade(const HttpResponseHead& head, const UpgradeRequest& request);

// Token lists such as "Upgrade, keep-alive": true when `token` is one of them (case-insensitive).
bool header_has_token(std::string_view value, std::string_view token);

std::string to_lower(std::string_view text);
std::string_view trim(std::string_view text);

}  // namespace flake::conform
