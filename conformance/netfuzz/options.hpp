// Command lines of `flake-conform fuzz` and `flake-conform replay`.
#pragma once

#include "conformance/netfuzz/generators.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform::netfuzz {

struct FuzzOptions {
  bool replay = false;
  std::string reproducer_in;  // replay: the file to play back
  // Target, as in the normal mode.
  std::string url;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> spawn;
  bool reference = false;
  std::string sidecar_bin;
  std::vector<std::string> sidecar_args;
  std::optional<long> pid;  // RSS of a sidecar we did not start
  // TLS (docs/protocol.md §14), as in the normal mode: --tls for a sidecar we start, a CA file or
  // a pinned fingerprint for a wss:// URL.
  bool tls = false;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_fingerprint;
  // Fuzzing.
  std::uint64_t seed = 1;
  long seconds = 60;
  std::optional<std::uint64_t> bursts;  // stop after this many bursts
  std::uint64_t first_burst = 0;
  std::vector<Family> families;  // empty: all
  std::string reproducer_out;    // default: netfuzz-repro-<seed>-<burst>.json
  int repeat = 1;                // replay: play the burst this many times
  // Checks.
  std::uint64_t rss_growth_mib = 64;
  std::chrono::milliseconds health_timeout{5000};
  std::chrono::milliseconds timeout{3000};  // each socket operation of a burst
  bool help = false;
};

struct ParsedFuzzOptions {
  FuzzOptions options;
  std::string error;  // usage error (exit 2)
};

// argv[1] is "fuzz" or "replay"; parsing starts at argv[2].
ParsedFuzzOptions parse_fuzz_options(int argc, char** argv, std::string default_sidecar_bin);
std::string fuzz_usage(const std::string& default_sidecar_bin);
std::string replay_usage(const std::string& default_sidecar_bin);

}  // namespace flake::conform::netfuzz
