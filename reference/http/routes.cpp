// Path matching for §1.3. {service} is one non-empty segment; whether it is served is the
// handler's 404, after authentication.
#include "reference/http/routes.hpp"

namespace flake {

namespace {

// The single segment between `prefix` and `suffix`, if `path` is exactly that shape.
std::optional<std::string> segment(std::string_view path, std::string_view prefix,
                                   std::string_view suffix) {
  if (path.size() <= prefix.size() + suffix.size() || !path.starts_with(prefix) ||
      !path.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string_view middle = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (middle.empty() || middle.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(middle);
}

}  // namespace

std::optional<Route> match_route(std::string_view path, bool service_rows_first) {
  if (service_rows_first) {
    if (auto s = segment(path, "/api/v1/", "/dashboard"))
      return Route{RouteKind::kDashboard, *s, false};
    if (auto s = segment(path, "/api/v1/", "/action")) return Route{RouteKind::kAction, *s, true};
  }
  if (path == "/rpc") return Route{RouteKind::kWebSocket, {}, false};
  if (path == "/api/v1/health") return Route{RouteKind::kHealth, {}, false};
  if (path == "/api/v1/rpc") return Route{RouteKind::kRpc, {}, true};
  if (path == "/api/v1/auth/ticket") return Route{RouteKind::kTicket, {}, true};
  if (path == "/api/v1/multi/dashboard") return Route{RouteKind::kMultiDashboard, {}, false};
  if (path == "/api/v1/stream/metrics") return Route{RouteKind::kStreamMetrics, {}, false};
  if (path == "/api/v1/stream/deployments") return Route{RouteKind::kStreamDeployments, {}, false};
  if (auto s = segment(path, "/api/v1/stream/logs/", ""))
    return Route{RouteKind::kStreamLogs, *s, false};
  if (auto s = segment(path, "/api/v1/logs/", "")) return Route{RouteKind::kLogExport, *s, false};
  if (auto s = segment(path, "/api/v1/", "/dashboard"))
    return Route{RouteKind::kDashboard, *s, false};
  if (auto s = segment(path, "/api/v1/", "/action")) return Route{RouteKind::kAction, *s, true};
  return std::nullopt;
}

}  // namespace flake
