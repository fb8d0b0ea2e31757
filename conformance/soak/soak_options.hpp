// Command line of `flake-conform soak`: resolved once into plain values the run reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform::soak {

// The faults the soak injects; each can be switched off with --faults.
enum class FaultKind { kCut, kReset, kStall, kThrottle, kRefuse, kSlowReader, kDrop };
inline constexpr FaultKind kAllFaults[] = {
    FaultKind::kCut,    FaultKind::kReset,      FaultKind::kStall, FaultKind::kThrottle,
    FaultKind::kRefuse, FaultKind::kSlowReader, FaultKind::kDrop};
const char* to_string(FaultKind kind);

struct SoakOptions {
  // Target, as for a conformance run.
  std::string url;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> spawn;
  bool reference = false;
  std::string sidecar_bin;
  std::vector<std::string> sidecar_args;

  // Load.
  int clients = 16;
  std::string service = "vercel";
  double emit_rate = 1.0;  // test.emitLogs calls per second, per client
  int emit_count = 10;     // entries per call
  int per_notification = 1;
  double call_rate = 4.0;       // other calls per second, per client
  double large_every_s = 20.0;  // one logs.getLarge per client this often (0: none)

  // Faults and bounds.
  std::chrono::seconds duration{60};
  std::uint64_t disconnects = 0;  // stop after this many disconnects (0: --duration decides)
  double fault_rate = 1.0;        // faults per second across all clients
  std::vector<FaultKind> faults{std::begin(kAllFaults), std::end(kAllFaults)};
  // Sidecar restarts (only when the soak started the sidecar): one every this many seconds,
  // alternately SIGTERM and SIGKILL; 0 turns them off.
  double restart_every_s = 25.0;
  bool restart_every_given = false;

  // Judgement.
  double rss_slack_mib = 0;  // added to the RSS allowance (sanitizer allocators grow by design)
  std::chrono::milliseconds timeout{10000};  // per call

  std::uint64_t seed = 0;
  bool seed_given = false;
  std::optional<std::string> json_file;
  std::optional<std::string> html_file;
  bool verbose = false;
  bool help = false;

  bool starts_sidecar() const { return reference || spawn.has_value(); }
  bool restarts() const { return starts_sidecar() && restart_every_s > 0; }
};

struct ParsedSoakOptions {
  SoakOptions options;
  std::string error;  // usage error (exit 2)
};

// argv[first] is the first option after "soak".
ParsedSoakOptions parse_soak_options(int argc, char** argv, int first,
                                     std::string default_sidecar_bin);
std::string soak_usage_text(const std::string& default_sidecar_bin);

}  // namespace flake::conform::soak
