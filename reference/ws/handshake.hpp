// The RFC 6455 §4.2 server handshake checks and accept key of the sidecar's own WebSocket
// handshake, on a request head libwebsockets parsed (takeover.cpp fills RequestHead from it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flake::ws {

struct RequestHead {
  std::string method;  // "GET"
  std::string target;  // "/rpc?x=1" as sent
  // Values as lws stored them; a repeated header is one entry per occurrence (lws' fragments).
  std::vector<std::pair<std::string, std::string>> headers;

  // First value of a header, names compared ASCII-case-insensitively.
  std::optional<std::string_view> get(std::string_view name) const;
  // How many times a header occurs.
  int count(std::string_view name) const;
  // All values of a header joined with ", " (how repeated list headers combine, RFC 9110 §5.3).
  std::string joined(std::string_view name) const;
  std::string_view path() const;  // target without the query
};

// Whether a comma-separated header value lists `token` (ASCII-case-insensitive, spaces ignored),
// e.g. Connection: "keep-alive, Upgrade" lists "upgrade".
bool lists_token(std::string_view value, std::string_view token);

enum class UpgradeProblem { kNone, kNoConnectionUpgrade, kBadKey, kBadVersion };

// RFC 6455 §4.2.1 checks other than method, path and Upgrade (the caller's), first failing one
// reported in this order: Connection lists "upgrade", exactly one Sec-WebSocket-Key that
// base64-decodes (canonically, padded) to exactly 16 bytes, and Sec-WebSocket-Version exactly "13"
// (repeated Version headers count as their joined value). The HTTP version is not checked: lws
// does not report it.
UpgradeProblem check_upgrade(const RequestHead& head);

// A short name for logs, e.g. "bad Sec-WebSocket-Key".
std::string_view describe(UpgradeProblem problem);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) (RFC 6455 §4.2.2). Empty only if
// OpenSSL fails.
std::string accept_key(std::string_view client_key);

// The subprotocols a client offers: every Sec-WebSocket-Protocol header, split at commas, trimmed,
// empty elements dropped, in the order sent.
std::vector<std::string> offered_subprotocols(const RequestHead& head);

}  // namespace flake::ws
