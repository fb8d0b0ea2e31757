// The path table of docs/protocol.md §1.3: which endpoint a path names and which methods it takes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flake {

enum class RouteKind {
  kWebSocket,  // /rpc without an upgrade
  kHealth,
  kRpc,
  kDashboard,
  kMultiDashboard,
  kAction,
  kTicket,
  kLogExport,
  kStreamLogs,
  kStreamMetrics,
  kStreamDeployments,
};

struct Route {
  RouteKind kind;
  std::string service;  // the {service} segment, when the path has one
  bool post = false;    // the method the path takes besides OPTIONS: POST, else GET
  bool stream() const {
    return kind == RouteKind::kStreamLogs || kind == RouteKind::kStreamMetrics ||
           kind == RouteKind::kStreamDeployments;
  }
  const char* allow() const { return post ? "POST, OPTIONS" : "GET, OPTIONS"; }
};

// Exact, case-sensitive matching; a trailing slash is a different (unknown) path.
// A path that fits two rows goes to the row whose first differing segment is literal (§1.3):
// /api/v1/logs/dashboard is a log export. `service_rows_first` (route-service-first) inverts that.
std::optional<Route> match_route(std::string_view path, bool service_rows_first = false);

}  // namespace flake
