// Server notifications: seq assignment, the resume ring and fan-out to subscribers (docs/protocol.md §6).
#pragma once

#include <cstdint>
#include <string_view>

#include "server_state.hpp"

namespace flake {

// Assigns the session's next seq, keeps the frame for resume and sends it when the session has a socket.
// `fields` is appended inside "params" after "seq" and must start with a comma (or be empty).
void deliver(ServerState& server, Session& session, std::string_view method,
             std::string_view subscription, std::string_view service, std::string_view fields);

// `count` generated log entries for `service`, to every logs subscription of it, in notifications of at
// most `per_notification` entries (after each subscription's level filter).
void publish_logs(ServerState& server, std::string_view service, uint64_t count,
                  uint32_t per_notification);
// `count` metrics.update notifications to every metrics subscription.
void publish_metrics(ServerState& server, uint64_t count);
// One deployments.update event to every deployments subscription.
void publish_deployment(ServerState& server);

// Live traffic for `elapsed_ms`: --log-rate entries/s per subscribed service, metrics every second,
// a deployment event every five seconds.
void live_tick(ServerState& server, int64_t elapsed_ms);

}  // namespace flake
