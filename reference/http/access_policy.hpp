// Origin and Host allowlists checked on every HTTP request and WebSocket upgrade (docs/protocol.md
// §4): the defence against cross-site pages and DNS rebinding reaching the sidecar.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake {

struct AccessPolicy {
  int port = 0;  // the port actually listened on (--port 0 resolved); 0 refuses every Host
  std::vector<std::string> extra_origins;  // --allow-origin: exact, ASCII case-insensitive
  std::vector<std::string> extra_hosts;    // --allow-host: matches "name" or "name:<port>"
  bool extra_hosts_bare = false;           // --defect allow-host-bare-only: "name" only
};

enum class AccessVerdict { kAllowed, kBadHost, kBadOrigin };

// Host is required; an absent Origin is allowed (non-browser clients send none). The Host is judged
// first, so a request failing both reports kBadHost.
AccessVerdict check_access(const AccessPolicy& policy, std::optional<std::string_view> host,
                           std::optional<std::string_view> origin);

// Whether `origin` is allowlisted; also what decides which Origin may be echoed in CORS headers.
bool origin_allowed(const AccessPolicy& policy, std::string_view origin);

// Whether `host` (a Host header value) names this sidecar.
bool host_allowed(const AccessPolicy& policy, std::string_view host);

}  // namespace flake
