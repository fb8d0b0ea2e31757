// What a client case can use: the scripted sidecar (peer), the driver process started against it
// with the §13.2 environment, bounded waits, and at the end one record of both, merged by time,
// in the case's wire log.
#pragma once

#include "conformance/client/wire_log.hpp"
#include "conformance/client_cases/driver_process.hpp"
#include "conformance/harness/case_context.hpp"
#include "conformance/harness/catalog.hpp"
#include "conformance/peer/dispatch.hpp"
#include "conformance/peer/peer.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform::client {

// The suite values of §13.2.
inline constexpr const char* kServiceS = "vercel";
inline constexpr const char* kServiceT = "supabase";
inline constexpr int kBaseMs = 100;          // FLAKE_BACKOFF_BASE_MS
inline constexpr int kBreakerOpenMs = 600;   // FLAKE_BREAKER_OPEN_MS
inline constexpr int kCallTimeoutMs = 1500;  // FLAKE_CALL_TIMEOUT_MS
inline constexpr int kCallIntervalMs = 20;   // FLAKE_CALL_INTERVAL_MS

struct ClientSetup {
  std::string command;  // for /bin/sh -c, with {url} and {token}
  std::string token;    // the suite's token for this run
  // How long the client may take to reach a point of the workload (--timeout); every case budget
  // is this plus the time its scenario needs.
  std::chrono::milliseconds timeout{5000};
};

// FLAKE_URL, FLAKE_TOKEN and the suite values of §13.2.
EnvList suite_environment(const std::string& url, const std::string& token);

class ClientCase {
 public:
  ClientCase(const ClientSetup& setup, WireLog& log, Deadline deadline);
  ~ClientCase();
  ClientCase(const ClientCase&) = delete;
  ClientCase& operator=(const ClientCase&) = delete;

  // Starts the peer with `script` (its token set to the suite's) and then the driver; the case
  // fails when either cannot start.
  void start(peer::PeerScript script);
  peer::Peer& peer() { return *peer_; }
  std::vector<peer::PeerEvent> wire() const;
  std::vector<DriverEvent> events() const;
  std::chrono::milliseconds timeout() const { return setup_.timeout; }
  Clock::time_point started() const { return start_; }

  // Polls `done` every 10 ms until it holds or `wait` has passed (never past the case budget), or
  // the driver process has ended.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds wait);
  // Lets `wait` pass (bounded by the budget): for "nothing happens within" checks.
  void sleep_for(std::chrono::milliseconds wait);

  // Stops the driver (SIGTERM, SIGKILL after 2 s) and the peer, and writes the merged record,
  // the driver's exit and its standard error into the wire log. Idempotent.
  void finish();
  // How the driver ended, once finish() has stopped it.
  const std::optional<DriverExit>& driver_exit() const { return exit_; }
  // Output lines that are not §13.4 events ("line N: why: text").
  std::vector<std::string> malformed_lines() const;

 private:
  void write_record();

  const ClientSetup& setup_;
  WireLog& log_;
  Deadline deadline_;
  Clock::time_point start_;
  std::unique_ptr<peer::Peer> peer_;
  std::unique_ptr<DriverProcess> driver_;
  std::optional<DriverExit> exit_;
  bool finished_ = false;
};

using ClientRun = std::function<Outcome(ClientCase&)>;

// Adapts a client case to the harness's Case::run: a ClientCase around `run`, finished whatever
// happens; a malformed event line fails a case that would otherwise pass (§13.4 is a MUST).
std::function<Outcome(CaseContext&)> client_run(const ClientSetup& setup, ClientRun run);

}  // namespace flake::conform::client
