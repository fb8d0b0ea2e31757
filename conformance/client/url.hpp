// ws:// and http:// URLs as the harness needs them: host, port, path and the Host header value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform {

struct Url {
  std::string scheme;  // "ws" or "http"
  std::string host;    // without IPv6 brackets, for connecting
  std::uint16_t port = 0;
  std::string path = "/";
  std::string authority;  // host[:port] exactly as a Host header would carry it
};

// Accepts ws://, http:// (wss/https are refused: the sidecar is loopback-only and plain).
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

// The same server, another path or scheme (e.g. the REST endpoints beside /rpc).
Url with_path(const Url& base, std::string_view path, std::string_view scheme = "http");

}  // namespace flake::conform
