// The sidecar's own reading of an HTTP/1.1 request head and the RFC 6455 §4.2 server handshake
// checks, so the connection front can answer WebSocket upgrades without libwebsockets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flake::ws {

struct RequestHead {
  std::string method;                                        // "GET"
  std::string target;                                        // "/rpc?x=1" as sent
  std::string version;                                       // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  size_t size = 0;  // bytes of the head including the blank line that ends it

  // First value of a header, names compared ASCII-case-insensitively.
  std::optional<std::string_view> get(std::string_view name) const;
  // How many times a header occurs.
  int count(std::string_view name) const;
  // All values of a header joined with ", " (how repeated list headers combine, RFC 9110 §5.3).
  std::string joined(std::string_view name) const;
  std::string_view path() const;  // target without the query
};

enum class HeadStatus { kIncomplete, kComplete, kMalformed };

// Parses the head at the start of `bytes`; what follows the blank line (a body, a first frame) is
// left alone and `out.size` says where the head ends. Incremental by re-parsing: kIncomplete until
// the blank line has arrived, except that a line already complete (or a NUL already received) that
// can never be valid gives kMalformed at once, so garbage is refused without waiting for more.
// Line ends are "\r\n" (bare "\n" accepted). Malformed: a request line other than
// METHOD SP TARGET SP HTTP/1.x (a leading empty line included), a header line without ':', a name
// outside RFC 9110 tchar (so also whitespace before the ':'), an obs-fold continuation line,
// control characters other than HTAB in a value, a NUL anywhere. `out` is meaningful only on
// kComplete. The caller bounds how many bytes it waits for.
HeadStatus parse_request_head(std::string_view bytes, RequestHead& out);

// Whether a comma-separated header value lists `token` (ASCII-case-insensitive, spaces ignored),
// e.g. Connection: "keep-alive, Upgrade" lists "upgrade".
bool lists_token(std::string_view value, std::string_view token);

// Whether the request asks for a WebSocket upgrade at all: an Upgrade header listing "websocket".
bool wants_websocket(const RequestHead& head);

enum class UpgradeProblem { kNone, kNotHttp11, kNoConnectionUpgrade, kBadKey, kBadVersion };

// RFC 6455 §4.2.1 checks other than method, path and Upgrade (see wants_websocket), first failing
// one reported in this order: HTTP/1.1 or later, Connection lists "upgrade", exactly one
// Sec-WebSocket-Key that base64-decodes (canonically, padded) to exactly 16 bytes, and
// Sec-WebSocket-Version exactly "13" (repeated Version headers count as their joined value).
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
