// The client's opening handshake: request text out, response head in, and its RFC 6455 §4.1
// checks. The accept key is computed by the same function the sidecar uses (SHA-1 and base64 of a
// fixed GUID leave no room for interpretation).
#include "reference/client/handshake.hpp"

#include <charconv>

#include "reference/codec/ascii.hpp"
#include "reference/ws/handshake.hpp"

namespace flake::client {
namespace {

// Splits a comma list (several headers are joined with ", " by the caller).
std::vector<std::string_view> split_list(std::string_view value, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = value.find(sep);
    std::string_view item = trim_ows(value.substr(0, at));
    if (!item.empty()) out.push_back(item);
    if (at == std::string_view::npos) break;
    value.remove_prefix(at + 1);
  }
  return out;
}

bool lists(std::string_view value, std::string_view token) {
  for (std::string_view item : split_list(value, ','))
    if (iequals(item, token)) return true;
  return false;
}

}  // namespace

std::optional<WsUrl> parse_ws_url(std::string_view url) {
  constexpr std::string_view kScheme = "ws://";
  if (url.size() <= kScheme.size() || !iequals(url.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  WsUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return std::nullopt;
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

std::string upgrade_request(const WsUrl& url, std::string_view key, bool offer_deflate) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  std::string req = "GET " + url.target + " HTTP/1.1\r\n";
  req += "Host: " + host + ":" + std::to_string(url.port) + "\r\n";
  req += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  req += "Sec-WebSocket-Key: ";
  req += key;
  req += "\r\nSec-WebSocket-Version: 13\r\n";
  req += "Sec-WebSocket-Protocol: ";
  req += kSubprotocol;
  req += "\r\n";
  if (offer_deflate) req += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
  req += "\r\n";
  return req;
}

std::optional<std::string_view> ResponseHead::get(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

ResponseHeadParser::State ResponseHeadParser::feed(std::string_view bytes) {
  if (state_ != State::kNeedMore) {
    if (state_ == State::kDone) rest_.append(bytes);
    return state_;
  }
  // Only the tail can complete the terminator, so search from a little before the new bytes.
  const size_t from = buf_.size() >= 3 ? buf_.size() - 3 : 0;
  buf_.append(bytes);
  const size_t end = buf_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (buf_.size() > kMaxHead) {
      error_ = "response head too long";
      state_ = State::kError;
    }
    return state_;
  }
  rest_ = buf_.substr(end + 4);
  buf_.resize(end + 2);  // keep the last line's CRLF
  state_ = parse();
  return state_;
}

ResponseHeadParser::State ResponseHeadParser::parse() {
  std::string_view text = buf_;
  size_t eol = text.find("\r\n");
  std::string_view status_line = text.substr(0, eol);
  text.remove_prefix(eol + 2);
  // "HTTP/1.1 101 Switching Protocols"
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12 || status_line[8] != ' ') {
    error_ = "bad status line";
    return State::kError;
  }
  const std::string_view code = status_line.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), head_.status);
  if (ec != std::errc() || p != code.data() + code.size()) {
    error_ = "bad status code";
    return State::kError;
  }
  while (!text.empty()) {
    eol = text.find("\r\n");
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error_ = "bad header line";
      return State::kError;
    }
    head_.headers.emplace_back(std::string(line.substr(0, colon)),
                               std::string(trim_ows(line.substr(colon + 1))));
  }
  return State::kDone;
}

HandshakeOutcome check_response(const ResponseHead& head, std::string_view key,
                                bool offered_deflate) {
  HandshakeOutcome out;
  if (head.status != 101) {
    out.error = "HTTP " + std::to_string(head.status);
    if (head.status == 429 || head.status == 503) {
      if (auto ra = head.get("Retry-After")) {
        unsigned seconds = 0;
        auto [p, ec] = std::from_chars(ra->data(), ra->data() + ra->size(), seconds);
        if (ec == std::errc() && p == ra->data() + ra->size())
          out.retry_after = std::chrono::seconds(seconds);
      }
    }
    return out;
  }
  auto upgrade = head.get("Upgrade");
  auto connection = head.get("Connection");
  if (!upgrade || !iequals(*upgrade, "websocket")) {
    out.error = "no Upgrade: websocket";
    return out;
  }
  if (!connection || !lists(*connection, "upgrade")) {
    out.error = "no Connection: Upgrade";
    return out;
  }
  auto accept = head.get("Sec-WebSocket-Accept");
  if (!accept || *accept != ws::accept_key(key)) {
    out.error = "wrong Sec-WebSocket-Accept";
    return out;
  }
  if (auto proto = head.get("Sec-WebSocket-Protocol"); proto && *proto != kSubprotocol) {
    out.error = "subprotocol not offered";
    return out;
  }
  if (auto ext = head.get("Sec-WebSocket-Extensions")) {
    for (std::string_view item : split_list(*ext, ',')) {
      std::vector<std::string_view> parts = split_list(item, ';');
      if (parts.empty() || !iequals(parts[0], "permessage-deflate") || !offered_deflate ||
          out.deflate) {
        out.error = "extension not offered";
        return out;
      }
      DeflateAgreed agreed;
      for (size_t i = 1; i < parts.size(); ++i) {
        std::string_view name = trim_ows(parts[i].substr(0, parts[i].find('=')));
        if (iequals(name, "server_no_context_takeover")) {
          agreed.server_no_context_takeover = true;
        } else if (!iequals(name, "client_no_context_takeover") &&
                   !iequals(name, "server_max_window_bits") &&
                   !iequals(name, "client_max_window_bits")) {
          // The first three constrain only what we send, and we send uncompressed; a server
          // window below 15 bits is inflated by a 15-bit window all the same. RFC 7692 §7.1.2.2
          // lets a client refuse client_max_window_bits it did not offer; nothing is gained by
          // refusing it here. Anything else is unknown.
          out.error = "bad permessage-deflate parameter";
          return out;
        }
      }
      out.deflate = agreed;
    }
  }
  out.upgraded = true;
  return out;
}

}  // namespace flake::client
