// Minimal URL parsing for sidecar addresses; no userinfo, no query handling.
#include "conformance/client/url.hpp"

#include <charconv>

namespace flake::conform {

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Url> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  Url url;
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return fail("missing scheme (expected ws://HOST:PORT/PATH)");
  url.scheme = std::string(text.substr(0, sep));
  std::uint16_t default_port = 0;
  if (url.scheme == "ws" || url.scheme == "http") {
    default_port = 80;
  } else if (url.scheme == "wss" || url.scheme == "https") {
    default_port = 443;
  } else {
    return fail("unsupported scheme '" + url.scheme + "' (use ws://, wss://, http:// or https://)");
  }
  std::string_view rest = text.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) return fail("missing host");
  url.authority = std::string(authority);
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("junk after IPv6 address");
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  url.host = std::string(host);
  url.port = default_port;
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return fail("bad port '" + std::string(port) + "'");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  if (url.host.empty()) return fail("missing host");
  return url;
}

Url with_path(const Url& base, std::string_view path, std::string_view scheme) {
  Url url = base;
  url.scheme = scheme.empty() ? base.http_scheme() : std::string(scheme);
  url.path = std::string(path);
  return url;
}

}  // namespace flake::conform
