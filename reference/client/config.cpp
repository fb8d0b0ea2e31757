// §13.2's environment variables onto ClientConfig; a malformed value is an error, not a default.
#include "reference/client/config.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace flake::client {
namespace {

bool read_ms(const char* name, std::chrono::milliseconds& out, std::string& error) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return true;
  std::string_view text(v);
  long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) {
    error = std::string(name) + " is not a non-negative integer";
    return false;
  }
  out = std::chrono::milliseconds(n);
  return true;
}

}  // namespace

std::optional<ClientConfig> config_from_env(ClientConfig c, std::string& error) {
  if (const char* v = std::getenv("FLAKE_URL"); v && *v) c.url = v;
  if (const char* v = std::getenv("FLAKE_TOKEN"); v && *v) c.token = v;
  if (const char* v = std::getenv("FLAKE_SERVICES"); v && *v) {
    std::string_view s(v);
    const size_t comma = s.find(',');
    if (comma == std::string_view::npos || comma == 0 || comma + 1 == s.size()) {
      error = "FLAKE_SERVICES must be two names, comma-separated";
      return std::nullopt;
    }
    c.service_s = std::string(s.substr(0, comma));
    c.service_t = std::string(s.substr(comma + 1));
  }
  if (!read_ms("FLAKE_BACKOFF_BASE_MS", c.backoff_base, error) ||
      !read_ms("FLAKE_BREAKER_OPEN_MS", c.breaker_open, error) ||
      !read_ms("FLAKE_CALL_TIMEOUT_MS", c.call_timeout, error) ||
      !read_ms("FLAKE_CALL_INTERVAL_MS", c.call_interval, error))
    return std::nullopt;
  return c;
}

}  // namespace flake::client
