// The REST endpoints' handlers (docs/protocol.md §9.7-§9.11): each turns an admitted request into
// a reply value, running methods through the same dispatcher as the WebSocket.
#pragma once

#include <string_view>

#include "reference/http/exchange.hpp"
#include "reference/rpc/rpc_error.hpp"
#include "reference/state/rate_limiter.hpp"

namespace flake {

struct ServerState;

HttpReply rest_health();
HttpReply rest_dashboard(ServerState& server, std::string_view service);
HttpReply rest_multi_dashboard(ServerState& server);
// `bucket`: where the method would be charged (null: the action's one token was taken at admission,
// §8.2k; only the action-method-charged defect passes one).
HttpReply rest_action(ServerState& server, std::string_view service, std::string_view body,
                      TokenBucket* bucket = nullptr);
// Admission (one token available) is the caller's; valid members are charged to `bucket` here.
HttpReply rest_rpc(ServerState& server, std::string_view body, TokenBucket& bucket);
HttpReply rest_ticket(ServerState& server, std::string_view body);
HttpReply rest_log_export(ServerState& server, std::string_view service,
                          const HttpRequest& request);

// §3.10's HTTP status for an error code.
int http_status_for(int code);
HttpReply reply_for(RpcError error);

}  // namespace flake
