// One simulated client of a soak: its own connection through its own fault proxy, the client rules
// of docs/protocol.md §6.2, §7.3, §7.4 and §7.7, a call mix, and the ledgers its checks read.
#pragma once

#include "conformance/client/rpc_client.hpp"
#include "conformance/client/url.hpp"
#include "conformance/soak/entry_runs.hpp"
#include "conformance/soak/findings.hpp"
#include "conformance/soak/seq_ledger.hpp"
#include "conformance/soak/soak_options.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace flake::conform::soak {

using SteadyClock = std::chrono::steady_clock;

// What every client reads and the run writes.
struct SharedState {
  explicit SharedState(const SoakOptions& o) : options(o) {}
  const SoakOptions& options;
  std::string token;
  std::string host_header;  // the sidecar's own authority: Host passes §4.3 through a proxy
  std::string path = "/rpc";
  SteadyClock::time_point started = SteadyClock::now();
  std::atomic<bool> stop{false};
  std::atomic<bool> draining{false};  // the run is ending: no more emits or calls, only reading
  // The sidecar's incarnation, bumped before a restart stops it: a session attached under an
  // older one may be gone (§7.4c).
  std::atomic<int> generation{0};
  // When the latest incarnation reported listening (ms since `started`).
  std::atomic<std::int64_t> back_at_ms{0};
  std::atomic<std::uint64_t> disconnects{0};
  Findings findings;

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started)
        .count();
  }
};

// Set by the fault scheduler, read by the client.
struct ClientControl {
  std::atomic<std::int64_t> refuse_until_ms{0};         // its proxy refuses connections until then
  std::atomic<std::int64_t> pause_reading_until_ms{0};  // a slow reader: reads nothing until then
  std::atomic<bool> drop{false};                        // call test.dropSession next
};

// Counters the report sums; atomics so the sampler can read them while the client runs.
struct ClientCounters {
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::uint64_t> transport_failed{0};  // ended by the connection's end
  std::atomic<std::uint64_t> notifications{0};     // seq-carrying ones delivered in order
  std::atomic<std::uint64_t> notification_bytes{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> lost{0};           // notifications lost where the spec forbids it
  std::atomic<std::uint64_t> sessions_lost{0};  // -32007 where the spec allows it
  std::atomic<std::uint64_t> resumes{0};
  std::atomic<std::uint64_t> jumps{0};  // seq jumps resumed at once (§6.2g)
  std::atomic<std::uint64_t> disconnects{0};
  std::atomic<std::uint64_t> failed_attempts{0};
  std::atomic<std::uint64_t> runs_complete{0};
  std::atomic<std::uint64_t> exports{0};
  std::atomic<std::uint64_t> emitted_entries{0};  // entries this client's emits produced
};

struct Recovery {
  double ms = 0;      // from "reachable again" to the first successful call
  double outage = 0;  // ms from the disconnect to "reachable again"
  bool judged = false;
};

struct ClientSetup {
  int index = 0;
  Url proxy_url;  // ws://127.0.0.1:<its proxy>/rpc
  std::uint64_t seed = 0;
};

class SoakClient {
 public:
  SoakClient(SharedState& shared, ClientSetup setup)
      : shared_(shared), setup_(setup), rng_(setup.seed), runs_(shared.options.emit_count) {}
  // Runs until shared.stop; then reports what it still holds open.
  void run();

  ClientControl& control() { return control_; }
  const ClientCounters& counters() const { return counters_; }
  std::vector<Recovery> recoveries() const;
  // Emitted-entry runs left incomplete at the end (counted by run()).
  std::uint64_t open_runs() const { return open_runs_; }
  int index() const { return setup_.index; }
  // Attached and serving (the end of the run waits for every client to be).
  bool connected() const { return connected_; }
  // Whether open_runs() counts: the client was connected when the run stopped.
  bool ended_connected() const { return ended_connected_; }

 private:
  // How a connection ended: the sidecar or the network ended it, a seq jump made the client
  // resume elsewhere (§6.2g), the run stopped, or the client gave up on an unanswered call.
  enum class End { kDisconnected, kJump, kStopped, kClientEnded };

  bool attach(RpcClient& rpc);
  bool resume(RpcClient& rpc, const std::string& fresh, int generation);
  bool subscribe(RpcClient& rpc);
  End serve(RpcClient& rpc);
  std::optional<End> answered(const Incoming& in, const char* what, const char* rule);
  std::optional<End> take(const json& message);
  std::optional<End> drain(RpcClient& rpc);
  std::optional<End> emit(RpcClient& rpc);
  std::optional<End> call_mix(RpcClient& rpc);
  std::optional<End> export_large(RpcClient& rpc);
  std::optional<End> drop(RpcClient& rpc);
  void dashboard_missing();
  void note_recovery(std::int64_t succeeded_ms);
  void find(const char* check, const char* rule, std::string detail);
  bool sleep_until(std::int64_t ms);

  SharedState& shared_;
  ClientSetup setup_;
  ClientControl control_;
  ClientCounters counters_;
  mutable std::mutex mutex_;
  std::vector<Recovery> recoveries_;
  std::uint64_t open_runs_ = 0;
  std::atomic<bool> connected_{false};
  bool ended_connected_ = false;
  std::mt19937_64 rng_;
  SeqLedger ledger_;
  EntryRuns runs_;

  // What the sidecar offers (auth result) and which optional methods answered -32601.
  bool msgpack_ = false;
  bool batch_ = false;
  bool has_subscribe_ = true;
  bool has_emit_ = true;
  bool has_metrics_ = true;
  bool has_large_ = true;
  bool has_drop_ = true;
  bool has_resume_ = true;
  bool has_dashboard_ = true;

  // Session state that outlives connections.
  std::string session_;
  int session_generation_ = 0;
  std::int64_t last_rx_ms_ = 0;        // last message received on the session's connection
  std::int64_t disconnected_ms_ = -1;  // pending recovery: when the disconnect was noticed
  std::int64_t grace_ms_ = 30000;
  std::int64_t subscribed_ms_ = 0;  // when the current subscriptions were made
  bool resumed_here_ = false;       // the current connection resumed its session
};

}  // namespace flake::conform::soak
