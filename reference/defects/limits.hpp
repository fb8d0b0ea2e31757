// The numbers the reference enforces (sizes, counts, deadlines), resolved once at start-up from the
// options and the defect switches that only change a number, so the code enforcing a rule reads
// server.limits.max_batch and never asks which defect is on.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>

#include "reference/defects/defects.hpp"
#include "reference/server/options.hpp"

namespace flake {

// Protocol numbers of docs/protocol.md that no option changes.
inline constexpr size_t kMaxBatch = 100;          // §3.4 members per batch
inline constexpr size_t kMaxOperations = 100;     // §5.8 operations per batch.execute
inline constexpr int kMaxFailedAuths = 3;         // §4.7 failed authentications before 4401
inline constexpr int kMaxUnansweredPings = 2;     // §7.6 pings left unanswered before 1008
inline constexpr size_t kMaxHeadBytes = 8192;     // §8.5 request head the reference reads
inline constexpr int64_t kNever = INT64_MAX / 4;  // a deadline that never comes (no overflow)

// The numbers a message's handling reads (max_batch, max_operations, default_page_limit,
// max_json_depth) come from ServerState::message_limits(), which honours a switch limited to one
// path (NAME@PATH); the rest are per connection or per process.
struct Limits {
  size_t max_batch;             // larger batches get -32600 {"maxBatch":100} (§3.4)
  size_t max_operations;        // larger batch.execute calls get -32602 (§5.8)
  size_t default_page_limit;    // list methods without limit (§5.7)
  int max_json_depth;           // deeper messages get -32700 (§8.9)
  size_t max_ws_message_bytes;  // larger WebSocket messages are closed with 1009 (§2.9)
  size_t max_ws_connections;    // the connection cap for upgrades (§8.4)
  int max_failed_auths;         // failed authentications before close 4401 (§4.7)
  int64_t auth_timeout_ms;      // unauthenticated sockets closed with 4408 after this (§4.8)
  int64_t ping_interval_ms;     // keepalive pings (§7.6)
  int max_unanswered_pings;     // a further due ping closes with 1008 instead (§7.6)
  int64_t resume_grace_ms;      // detached sessions kept this long (§7.1)
  size_t session_ring_items;    // notifications kept per session for resume (§7.2)
  size_t session_ring_bytes;    // encoded bytes kept per session ring (§7.2, §12.1)
  unsigned header_timeout_s;    // incomplete request heads closed after this (§8.5)
  size_t max_head_bytes;        // request heads larger than this are refused (§8.5)
  unsigned body_timeout_s;      // lws's pending timeout: incomplete request bodies (§8.5)
  size_t ticket_random_bytes;   // SSE ticket entropy (§4.11)
  int64_t ticket_lifetime_ms;   // tickets stop authenticating after this (§4.11)
  int64_t ticket_announced_ms;  // expiresInMs in the ticket answer (§9.11)
  size_t ballast_bytes;         // memory held resident for nothing (§10.7)
  size_t log_history;  // entries kept per service for logs.getLarge and the export (§11.6)
};

// The only place where a defect that changes a number is read: for one transport (a switch
// limited with NAME@PATH counts there), or for code that knows none.
Limits resolve_limits(const Options& options, const DefectSet& defects,
                      std::optional<Transport> transport = std::nullopt);

}  // namespace flake
