// Process-wide state of the reference sidecar, owned by main and reached from every lws callback.
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference/defects/defects.hpp"
#include "reference/defects/limits.hpp"
#include "reference/http/access_policy.hpp"
#include "reference/server/options.hpp"
#include "reference/state/fixture_store.hpp"
#include "reference/state/log_history.hpp"
#include "reference/state/rate_limiter.hpp"
#include "reference/state/session.hpp"
#include "reference/state/stream_generator.hpp"
#include "reference/ws/connection.hpp"

namespace flake {

struct HttpState;  // http_state.hpp: tickets, SSE endpoints, HTTP connections

// An open descriptor, closed when its owner goes away.
class HeldDescriptor {
 public:
  explicit HeldDescriptor(int fd) : fd_(fd) {}
  HeldDescriptor(HeldDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  HeldDescriptor& operator=(HeldDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  HeldDescriptor(const HeldDescriptor&) = delete;
  HeldDescriptor& operator=(const HeldDescriptor&) = delete;
  ~HeldDescriptor() { reset(); }

 private:
  void reset();  // closes it (server_state.cpp, so that this header needs no <unistd.h>)
  int fd_;
};

struct ServerState {
  ServerState(Options opts, FixtureStore store, std::string secret);

  Options options;
  DefectSet defects;
  Limits limits;  // resolved from options and defects; the code enforcing a rule reads these
  FixtureStore fixtures;
  std::string token;
  AccessPolicy access;
  SessionRegistry sessions;
  LogGenerator log_generator;
  LogHistory log_history;

  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;
  std::unordered_map<const Session*, Connection*> attached;  // sessions with a live socket
  std::shared_ptr<HttpState> http;  // REST/SSE side, created on first use (http_state())
  int64_t clock_offset_ms = 0;      // test.setClock
  int64_t started_mono_ms = mono_ms();
  std::vector<char> ballast;  // --defect memory-hog
  bool shutting_down = false;
  bool trim_due = false;  // much was freed at once: return free heap pages at the next tick
  uint64_t metrics_counter = 0;
  uint64_t deployments_counter = 0;
  uint64_t export_counter = 0;  // logs.getLarge stream ids
  double log_credit = 0;        // fractional live log entries carried between ticks
  int64_t live_elapsed_ms = 0;  // drives the once-a-second and once-every-5-s live streams
  // Which call the slow-auth and slow-ping defects delay (every 10th, every 20th), and what the
  // soak-only defects accumulate: they live as long as the process, so a leak they plant grows
  // resident memory or the descriptor count without ever being unreachable (LeakSanitizer stays
  // quiet, and the destructor still releases everything at exit).
  struct DefectCounters {
    uint64_t auth_calls = 0;
    uint64_t ping_calls = 0;
    std::optional<TokenBucket> shared_bucket;  // shared-bucket: the one bucket of every connection
    std::vector<HeldDescriptor> held_descriptors;         // fd-leak-abrupt-close
    std::vector<std::unique_ptr<uint8_t[]>> held_blocks;  // memory-leak-abrupt-close
    // replay-drops-newest: successful session.resume calls per session id, of live sessions only.
    std::unordered_map<std::string, uint64_t> resumes;
  } defect_counters;
  // Whether a defect switch is on. While a message is handled (TransportScope) the answer is for
  // that message's transport, so `--defect NAME@PATH` acts on one path only; elsewhere a switch
  // counts only when it is on for every transport.
  bool has(Defect d) const {
    return current_transport ? defects.test(d, *current_transport) : defects.test(d);
  }
  // The limits for the message being handled (see has()).
  const Limits& message_limits() const {
    return current_transport ? transport_limits[static_cast<size_t>(*current_transport)] : limits;
  }
  std::optional<Transport> current_transport;  // set by TransportScope only
  std::array<Limits, kTransports> transport_limits;
  // The protocol clock for auth deadlines, grace periods and tickets: monotonic ms shifted by
  // test.setClock.
  int64_t now_ms() const;
  // Unshifted monotonic ms, for pings and rate limits, which test.setClock must not disturb.
  static int64_t mono_ms();
  // Wall-clock milliseconds since the epoch (timestamps in payloads), also shifted.
  int64_t epoch_ms() const;
};

// Registers a new connection with the server. `wsi` is its socket; without one (unit tests, the
// fuzz target, benchmarks) the frames it queues stay in its tx for the caller to read.
Connection& add_connection(ServerState& state, lws* wsi = nullptr);

// Marks the handling of one message on one transport (see ServerState::has); the loop is single
// threaded and handling is synchronous, so the scope is exactly the message's handling.
class TransportScope {
 public:
  TransportScope(ServerState& s, Transport t) : s_(s), previous_(s.current_transport) {
    s_.current_transport = t;
  }
  ~TransportScope() { s_.current_transport = previous_; }
  TransportScope(const TransportScope&) = delete;
  TransportScope& operator=(const TransportScope&) = delete;

 private:
  ServerState& s_;
  std::optional<Transport> previous_;
};

}  // namespace flake
