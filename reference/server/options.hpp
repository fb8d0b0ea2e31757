// Command-line options of flake-sidecar, their defaults and the --help text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake {

struct Options {
  std::string host = "127.0.0.1";
  std::optional<std::string> tls_cert;  // with tls_key: serve TLS (§14.2)
  std::optional<std::string> tls_key;
  bool insecure_plaintext = false;  // the §14.1 opt-out: plain text on a non-loopback host
  int port = 9123;
  std::optional<std::string> token_file;
  std::string fixtures_dir;
  std::vector<std::string> allow_origins;
  std::vector<std::string> allow_hosts;
  size_t max_message_bytes = 16u << 20;
  size_t max_send_buffer_bytes = 64u << 20;
  int max_connections = 64;
  int64_t auth_timeout_ms = 10'000;
  int64_t resume_grace_ms = 30'000;
  int64_t ping_interval_ms = 30'000;
  int64_t header_timeout_ms = 5'000;
  double rate = 10'000;
  double burst = 20'000;
  double log_rate = 10;
  size_t replay_ring = 10'000;
  size_t replay_bytes = 4u << 20;  // per ring; §12.1 explains why not more
  size_t log_history = 60'000;     // entries kept per service for logs.getLarge and the export
  bool conformance = false;
  std::vector<std::string> defects;
};

struct ParsedOptions {
  Options options;
  bool exit_now = false;  // --help, --version, --list-defects: output already printed
  int exit_code = 0;
  std::string error;  // non-empty: usage error, exit 2
};

ParsedOptions parse_options(int argc, const char* const* argv);

// 127.0.0.0/8 and ::1 (§14.1); anything else, names included, is not loopback.
bool is_loopback_host(std::string_view host);

// §14.1 for the options as parsed: an error when a non-loopback host would be served in plain
// text without the opt-out, else a warning when the opt-out is used; both empty otherwise.
// `checked` and `warned` are the rule's two halves (false under their defect switches).
struct ListenCheck {
  std::string error;
  std::string warning;
};
ListenCheck check_listen_policy(const Options& options, bool checked, bool warned);
std::string usage_text();

}  // namespace flake
