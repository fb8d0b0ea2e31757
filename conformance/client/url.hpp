// ws://, wss://, http:// and https:// URLs as the harness needs them: host, port, path and the Host
// header value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform {

struct Url {
  std::string scheme;  // "ws", "wss", "http" or "https"
  std::string host;    // without IPv6 brackets, for connecting
  std::uint16_t port = 0;
  std::string path = "/";
  std::string authority;  // host[:port] exactly as a Host header would carry it

  // wss:// or https:// (docs/protocol.md §14).
  bool tls() const { return scheme == "wss" || scheme == "https"; }
  // The scheme of the HTTP endpoints beside this one: https for a TLS server, else http.
  std::string http_scheme() const { return tls() ? "https" : "http"; }
  // scheme://authority/path, as reports show the target.
  std::string text() const { return scheme + "://" + authority + path; }
};

// Accepts ws://, wss://, http:// and https:// (default ports 80 and 443).
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

// The same server, another path or scheme (e.g. the REST endpoints beside /rpc); by default the
// HTTP scheme of `base` (http, or https for a TLS server).
Url with_path(const Url& base, std::string_view path, std::string_view scheme = {});

}  // namespace flake::conform
