// Origin and Host allowlists. Everything is an exact comparison against a short list: parsing
// hostnames leniently is exactly what DNS-rebinding and header-smuggling tricks exploit.
#include "reference/http/access_policy.hpp"

#include <array>
#include <string>

#include "reference/codec/ascii.hpp"

namespace flake {

namespace {

constexpr std::array<std::string_view, 3> kDefaultOrigins = {
    "tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"};
constexpr std::array<std::string_view, 3> kLoopbackHosts = {"127.0.0.1", "localhost", "[::1]"};

// The shape of a Host value: reg-name, IPv4 or bracketed IPv6, then at most one ":digits". A
// character whitelist turns away userinfo ('@'), folded lists (','), whitespace, paths,
// percent-encoding and control bytes up front, so the comparisons below need not consider them.
bool plausible_host_header(std::string_view host) {
  if (host.empty()) return false;
  size_t name_end;  // where the optional ":port" starts
  if (host.front() == '[') {
    name_end = host.find(']');
    if (name_end == std::string_view::npos) return false;
    ++name_end;
  } else {
    name_end = host.find(':');
    if (name_end == std::string_view::npos) name_end = host.size();
  }
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    const bool name_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    bool ok;
    if (i < name_end) {
      ok = name_char || (host.front() == '[' &&
                         (c == ':' || (c == '[' && i == 0) || (c == ']' && i + 1 == name_end)));
    } else if (i == name_end) {
      ok = c == ':';
    } else {
      ok = c >= '0' && c <= '9';
    }
    if (!ok) return false;
  }
  return true;
}

// `host` is `name` (if port_optional) or `name:<port>`. The port is compared as text with its
// canonical decimal form, so "09123", "+9123" or "9123 " never match.
bool names_with_port(std::string_view host, std::string_view name, std::string_view port_text,
                     bool port_optional) {
  if (port_optional && iequals(host, name)) return true;
  if (host.size() != name.size() + 1 + port_text.size()) return false;
  return iequals(host.substr(0, name.size()), name) && host[name.size()] == ':' &&
         host.substr(name.size() + 1) == port_text;
}

}  // namespace

bool host_allowed(const AccessPolicy& policy, std::string_view host) {
  if (!plausible_host_header(host) || policy.port <= 0) return false;
  const std::string port_text = std::to_string(policy.port);
  for (std::string_view name : kLoopbackHosts) {
    if (names_with_port(host, name, port_text, false)) return true;
  }
  for (const std::string& name : policy.extra_hosts) {
    if (name.empty()) continue;
    if (policy.extra_hosts_bare ? iequals(host, name)
                                : names_with_port(host, name, port_text, true)) {
      return true;
    }
  }
  return false;
}

bool origin_allowed(const AccessPolicy& policy, std::string_view origin) {
  // A sandboxed iframe or file:// page sends "null"; allowlisting it would admit any such page.
  if (origin.empty() || iequals(origin, "null")) return false;
  for (std::string_view allowed : kDefaultOrigins) {
    if (iequals(origin, allowed)) return true;
  }
  for (const std::string& allowed : policy.extra_origins) {
    if (iequals(origin, allowed)) return true;
  }
  return false;
}

AccessVerdict check_access(const AccessPolicy& policy, std::optional<std::string_view> host,
                           std::optional<std::string_view> origin) {
  if (!host || !host_allowed(policy, *host)) return AccessVerdict::kBadHost;
  if (origin && !origin_allowed(policy, *origin)) return AccessVerdict::kBadOrigin;
  return AccessVerdict::kAllowed;
}

}  // namespace flake
