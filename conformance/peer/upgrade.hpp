// The server side of the WebSocket opening handshake (RFC 6455 §4.2): an incremental HTTP request
// head parser (the head may arrive split at any byte), the upgrade check, and the answers the peer
// gives: 101 with the negotiated subprotocol and extension, or a scripted refusal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flake::conform::peer {

struct RequestHead {
  std::string method;
  std::string target;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed

  // All values of a header joined with ", " (RFC 9110 §5.3); nullopt when absent.
  std::optional<std::string> header(std::string_view lower_name) const;
};

class RequestHeadParser {
 public:
  enum class Status { Incomplete, Done, Error };
  struct Result {
    Status status = Status::Incomplete;
    std::size_t consumed = 0;  // bytes of this feed that belong to the head
  };
  explicit RequestHeadParser(std::size_t max_head_bytes = 16384) : max_(max_head_bytes) {}
  Result feed(std::string_view bytes);
  const RequestHead& head() const { return head_; }
  const std::string& error() const { return error_; }

 private:
  bool parse(std::string_view text);
  std::size_t max_;
  std::string buffer_;
  RequestHead head_;
  std::string error_;
  Status status_ = Status::Incomplete;
};

// What the client asked for in a valid upgrade request.
struct UpgradeOffer {
  std::string key;
  std::vector<std::string> subprotocols;
  bool offers_flake = false;
  bool offers_deflate = false;
  // From the first permessage-deflate offer: parameters the answer must honour.
  bool server_no_context_takeover = false;
  std::optional<int> server_max_window_bits;
  bool client_no_context_takeover = false;
  bool client_max_window_bits_offered = false;
};

// nullopt with `error` when the request is not a valid RFC 6455 upgrade (GET, Upgrade: websocket,
// Connection: Upgrade, a 16-byte Sec-WebSocket-Key, Sec-WebSocket-Version: 13).
std::optional<UpgradeOffer> check_upgrade(const RequestHead& head, std::string& error);

struct DeflateAgreement {
  bool server_no_context_takeover = false;
  int server_window_bits = 15;
  bool client_no_context_takeover = false;
  int client_window_bits = 15;
};

// The extension answer for an offer the peer agrees to, and what it then means for both sides.
std::string deflate_answer(const UpgradeOffer& offer, DeflateAgreement& agreed);

// "HTTP/1.1 101 ..." with Sec-WebSocket-Accept, flake.v1 when offered, the extension when given.
std::string switching_protocols(const UpgradeOffer& offer, const std::string& extension_answer);
// A complete refusal (Connection: close, JSON error body of §9.3); retry_after_s < 0: no header.
std::string refusal_response(int status, std::string_view reason, int retry_after_s);

}  // namespace flake::conform::peer
