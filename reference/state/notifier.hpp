// Server notifications: seq assignment, the resume ring and fan-out to subscribers
// (docs/protocol.md §6).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/state/server_state.hpp"

namespace flake {

// The part of a notification after its seq: `fields` (appended inside "params", starting with a
// comma or empty) and the closing braces. Made once per publish and shared by every recipient.
SharedText notification_tail(std::string fields);

// Assigns the session's next seq, keeps the frame for resume and sends it when the session has a
// socket. The frame is the per-session head (up to the seq) followed by `tail`, which stays one
// shared object in the ring and the send queue. A subscription made in MessagePack gets its
// notifications in MessagePack (§2.4), re-encoded whole.
void deliver(ServerState& server, Session& session, const Subscription& subscription,
             std::string_view method, std::string_view service, const SharedText& tail);

// Log entries rendered once as JSON and shared by every subscriber of a service.
struct EntryRun {
  std::string text;             // the entries' JSON objects, back to back
  std::vector<uint32_t> ends;   // end offset of each entry in text
  std::vector<uint8_t> levels;  // 0 debug .. 3 error, for per-subscription filters
  void add(int level, std::string_view json);
  size_t size() const { return ends.size(); }
};

// Entries from the live generator (--log-rate traffic).
EntryRun live_entries(ServerState& server, std::string_view service, uint64_t count);
// test.emitLogs entries n = first_n .. first_n + count - 1 (docs/protocol.md §11.2).
// With `message_bytes` larger than "test entry <n>", the message is padded with "x" to that many
// bytes (test.emitLogs' messageBytes).
EntryRun test_entries(const ServerState& server, uint64_t first_n, uint64_t count,
                      uint32_t message_bytes = 0);

// Groups `run` in order into notifications of `per_notification` entries, then delivers each group,
// filtered by level, to every logs subscription of `service`; a group left empty is not sent.
void publish_logs(ServerState& server, std::string_view service, const EntryRun& run,
                  uint32_t per_notification);
// Metric samples n = first_n .. first_n + count - 1; sample n belongs to the n mod S-th served
// service and goes to every metrics subscription of that service or of all services (§11.3).
void publish_metrics(ServerState& server, uint64_t first_n, uint64_t count, bool test_samples);
// One deployments.update event to every deployments subscription.
void publish_deployment(ServerState& server);

// Live traffic for `elapsed_ms`: --log-rate entries/s per subscribed service, metrics every second,
// a deployment event every five seconds.
void live_tick(ServerState& server, int64_t elapsed_ms);

}  // namespace flake
