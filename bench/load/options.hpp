// flake-bench's command line: the target, which runs, their sizes and the outputs.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>

namespace flake::bench {

struct LoadOptions {
  // Target: exactly one of url, spawn, reference (or none with --floor-only).
  std::string url;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> spawn;
  bool reference = false;
  std::string sidecar_bin;
  pid_t pid = -1;
  bool floor = false;
  bool floor_only = false;  // no target: the floor alone (measures the client's ceiling)
  // --tls (--reference/--spawn): every repeat also starts the sidecar with a throwaway
  // certificate and runs the TLS-relevant scenarios over wss:// (the "TLS cost" table).
  bool tls = false;
  // A wss:// --url: trust by CA file or by the leaf's SHA-256 fingerprint (exactly one).
  std::string tls_ca;
  std::string tls_fingerprint;

  // Sizes (--quick lowers every default).
  bool quick = false;
  unsigned repeat = 1;
  unsigned connections = 8;
  unsigned window = 16;
  std::uint64_t requests = 0;  // per closed-loop run; 0: the mode's default
  double open_rate = 0;        // 0: half the measured window-64 throughput
  double open_seconds = 0;
  unsigned connect_count = 0;
  std::uint64_t log_entries = 0;
  std::uint64_t large_entries = 50000;
  unsigned fan_out_connections = 64;
  std::uint64_t fan_out_entries = 0;

  // Scenarios to run (--only): ping, open, connect, large, logs, fanout. Empty: all.
  std::string only;
  bool runs(const std::string& scenario) const;

  std::string json_path;
  std::string html_path;
  bool quiet = false;
  bool help = false;
};

// Fills defaults that depend on --quick. Returns false with `error` on a usage error.
bool parse_load_options(int argc, char** argv, LoadOptions& out, std::string& error);
std::string load_usage(const std::string& sidecar_bin);

}  // namespace flake::bench
