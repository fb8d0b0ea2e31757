// Parses flake-sidecar's command line; every option, its default and its meaning live in one table.
#include "reference/server/options.hpp"

#include <arpa/inet.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>

#include "reference/defects/defects.hpp"

namespace flake {

namespace {

// An installed flake-sidecar serves the fixtures installed with it (FLAKE_INSTALLED_FIXTURES,
// relative to the executable's directory); the build tree's serves the source tree's.
std::string default_fixtures_dir() {
#ifdef FLAKE_INSTALLED_FIXTURES
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    const std::string installed = dir + FLAKE_INSTALLED_FIXTURES;
    if (::access((installed + "/services").c_str(), R_OK) == 0) return installed;
  }
#endif
  return FLAKE_DEFAULT_FIXTURES;
}

struct OptionSpec {
  std::string_view name;
  std::string_view value_name;  // empty: a flag without a value
  std::string_view help;
  std::function<bool(Options&, std::string_view)> apply;  // false: bad value
};

template <class T>
bool parse_number(std::string_view text, T& out, T min_value) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min_value) return false;
  out = value;
  return true;
}

template <class T>
auto number_field(T Options::*field, T min_value) {
  return [field, min_value](Options& o, std::string_view v) {
    return parse_number(v, o.*field, min_value);
  };
}

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = {
      {"--host", "ADDR",
       "address to bind (default 127.0.0.1); any other than loopback needs --tls-cert",
       [](Options& o, std::string_view v) {
         o.host = v;
         return !v.empty();
       }},
      {"--tls-cert", "PATH", "serve TLS (wss://, https://) with this PEM certificate chain",
       [](Options& o, std::string_view v) {
         o.tls_cert = std::string(v);
         return !v.empty();
       }},
      {"--tls-key", "PATH", "the PEM private key of --tls-cert",
       [](Options& o, std::string_view v) {
         o.tls_key = std::string(v);
         return !v.empty();
       }},
      {"--insecure-plaintext", "",
       "allow a non-loopback --host without TLS (the token crosses the network)",
       [](Options& o, std::string_view) {
         o.insecure_plaintext = true;
         return true;
       }},
      {"--port", "N", "TCP port; 0 picks a free one (default 9123)",
       [](Options& o, std::string_view v) { return parse_number(v, o.port, 0) && o.port < 65536; }},
      {"--token-file", "PATH",
       "file holding the secret token (else $FLAKE_SIDECAR_TOKEN, else one is generated and "
       "printed)",
       [](Options& o, std::string_view v) {
         o.token_file = std::string(v);
         return !v.empty();
       }},
      {"--fixtures", "DIR",
       "fixture data directory (default: ../share/flake/fixtures from the executable's "
       "directory when installed, else the source tree's fixtures/)",
       [](Options& o, std::string_view v) {
         o.fixtures_dir = v;
         return !v.empty();
       }},
      {"--allow-origin", "ORIGIN", "add an allowed Origin (repeatable)",
       [](Options& o, std::string_view v) {
         o.allow_origins.emplace_back(v);
         return !v.empty();
       }},
      {"--allow-host", "NAME", "add an allowed Host name (repeatable)",
       [](Options& o, std::string_view v) {
         o.allow_hosts.emplace_back(v);
         return !v.empty();
       }},
      {"--max-message-bytes", "N", "largest accepted message, bytes (default 16777216)",
       number_field(&Options::max_message_bytes, size_t{1024})},
      {"--max-send-buffer-bytes", "N", "per-connection send buffer bound, bytes (default 67108864)",
       number_field(&Options::max_send_buffer_bytes, size_t{65536})},
      {"--max-connections", "N", "concurrent WebSocket connections (default 64)",
       number_field(&Options::max_connections, 1)},
      {"--auth-timeout-ms", "MS", "close unauthenticated sockets after this (default 10000)",
       number_field(&Options::auth_timeout_ms, int64_t{1})},
      {"--resume-grace-ms", "MS", "keep a dropped session this long (default 30000)",
       number_field(&Options::resume_grace_ms, int64_t{0})},
      {"--ping-interval-ms", "MS", "WebSocket ping interval (default 30000)",
       number_field(&Options::ping_interval_ms, int64_t{100})},
      {"--header-timeout-ms", "MS",
       "close connections whose HTTP headers are incomplete (default 5000)",
       number_field(&Options::header_timeout_ms, int64_t{1000})},
      {"--rate", "N", "requests/s per connection; 0 disables the limit (default 10000)",
       number_field(&Options::rate, 0.0)},
      {"--burst", "N", "rate-limit burst (default 20000)", number_field(&Options::burst, 1.0)},
      {"--log-rate", "N", "live log entries/s per subscribed service (default 10)",
       number_field(&Options::log_rate, 0.0)},
      {"--replay-ring", "N", "notifications kept per session for resume (default 10000)",
       number_field(&Options::replay_ring, size_t{10000})},
      {"--replay-bytes", "N", "bytes kept per replay ring, session or SSE (default 4194304)",
       number_field(&Options::replay_bytes, size_t{65536})},
      {"--log-history", "N", "log entries kept per service for exports (default 60000)",
       number_field(&Options::log_history, size_t{1000})},
      {"--conformance", "", "enable the test.* methods (never in production)",
       [](Options& o, std::string_view) {
         o.conformance = true;
         return true;
       }},
      // NAME@PATH (text, msgpack, http, sse) too: docs/protocol.md §1.9 describes it.
      {"--defect", "NAME", "break one protocol rule on purpose (see --list-defects; repeatable)",
       [](Options& o, std::string_view v) {
         std::optional<Transport> only;
         if (!find_defect_spec(v, only)) return false;
         o.defects.emplace_back(v);
         return true;
       }},
  };
  return table;
}

// --tsv is the machine-readable table the conformance self-test takes its expectations from.
void print_defects(bool tsv) {
  if (tsv) {
    for (const DefectInfo& info : defect_catalog()) {
      std::printf("%.*s\t%.*s\t%.*s\t%.*s\t%.*s\n", static_cast<int>(info.name.size()),
                  info.name.data(), static_cast<int>(info.section.size()), info.section.data(),
                  static_cast<int>(info.must_fail.size()), info.must_fail.data(),
                  static_cast<int>(info.may_fail.size()), info.may_fail.data(),
                  static_cast<int>(info.description.size()), info.description.data());
    }
    return;
  }
  int width = 0;
  for (const DefectInfo& info : defect_catalog()) {
    width = std::max(width, static_cast<int>(info.name.size()));
  }
  for (const DefectInfo& info : defect_catalog()) {
    std::printf("%-*.*s  §%.*s %.*s\n", width, static_cast<int>(info.name.size()), info.name.data(),
                static_cast<int>(info.section.size()), info.section.data(),
                static_cast<int>(info.description.size()), info.description.data());
  }
}

// The switches named anywhere on the command line: the parser's own defects (§1.1, §1.8) act while
// it reads the options before them.
DefectSet named_defects(int argc, const char* const* argv) {
  std::vector<std::string> specs;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--defect" && i + 1 < argc) specs.emplace_back(argv[i + 1]);
    if (arg.starts_with("--defect=")) specs.emplace_back(arg.substr(9));
  }
  return parse_defects(specs);
}

}  // namespace

std::string usage_text() {
  std::string text =
      "usage: flake-sidecar [options]\n"
      "Reference flake.v1 sidecar: JSON-RPC 2.0 over WebSocket at ws://HOST:PORT/rpc.\n"
      "On start it prints one line: flake-sidecar listening on ws://HOST:PORT/rpc\n\noptions:\n";
  for (const OptionSpec& spec : option_table()) {
    std::string left("  ");
    left.append(spec.name);
    if (!spec.value_name.empty()) left.append(" ").append(spec.value_name);
    if (left.size() < 28) {
      left.resize(28, ' ');
    } else {
      left += '\n';
      left.append(28, ' ');
    }
    text += left + std::string(spec.help) + "\n";
  }
  text +=
      "  --list-defects [--tsv]    list the defect switches and exit; --tsv: name, section,\n"
      "                            must-fail, may-also-fail, description, tab-separated\n"
      "  --version                 print the version and exit\n"
      "  --help                    print this help and exit\n";
  return text;
}

bool is_loopback_host(std::string_view host) {
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

ListenCheck check_listen_policy(const Options& options, bool checked, bool warned) {
  ListenCheck check;
  if (options.tls_cert || is_loopback_host(options.host)) return check;
  if (!options.insecure_plaintext) {
    if (checked) {
      check.error = "TLS required: --host " + options.host +
                    " is not a loopback address; give --tls-cert and --tls-key (or "
                    "--insecure-plaintext to send the token over the network unencrypted)";
    }
  } else if (warned) {
    check.warning = "warning: --insecure-plaintext on " + options.host +
                    ": the token crosses the network unencrypted";
  }
  return check;
}

ParsedOptions parse_options(int argc, const char* const* argv) {
  ParsedOptions parsed;
  const DefectSet defects = named_defects(argc, argv);
  std::set<std::string_view> given;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text().c_str(), stdout);
      parsed.exit_now = true;
      return parsed;
    }
    if (arg == "--version") {
      std::printf("flake-sidecar %s (protocol flake.v1)\n", FLAKE_VERSION);
      parsed.exit_now = true;
      return parsed;
    }
    if (arg == "--list-defects") {
      const bool tsv = i + 1 < argc && std::string_view(argv[i + 1]) == "--tsv";
      print_defects(tsv);
      parsed.exit_now = true;
      return parsed;
    }
    std::string_view value;
    bool has_inline_value = false;
    if (size_t eq = arg.find('='); eq != std::string_view::npos && arg.starts_with("--")) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : option_table()) {
      if (candidate.name == arg) spec = &candidate;
    }
    if (spec == nullptr) {
      if (defects.test(Defect::kUnknownOptionIgnored)) continue;  // --defect unknown-option-ignored
      parsed.error = "unknown option " + std::string(arg) + " (see --help)";
      return parsed;
    }
    if (!spec->value_name.empty() && !has_inline_value) {
      if (i + 1 >= argc) {
        parsed.error = "option " + std::string(arg) + " needs a value";
        return parsed;
      }
      value = argv[++i];
    }
    // §1.8c: a later occurrence wins (the values of the repeatable options accumulate). Two
    // defects apply a value to a scratch copy only, so that it is still checked.
    const bool repeatable =
        spec->name == "--allow-origin" || spec->name == "--allow-host" || spec->name == "--defect";
    const bool repeated = !given.insert(spec->name).second;
    Options scratch;
    const bool ignored =
        (repeated && !repeatable && defects.test(Defect::kOptionsFirstWins)) ||
        (spec->name == "--max-message-bytes" && defects.test(Defect::kMaxMessageBytesIgnored));
    if (!spec->apply(ignored ? scratch : parsed.options, value)) {
      parsed.error =
          "bad value '" + std::string(value) + "' for " + std::string(arg) + " (see --help)";
      return parsed;
    }
  }
  // Defaults the defects change (§1.1b, §1.1c, §1.8e).
  if (!given.contains("--port") && defects.test(Defect::kDefaultPort9124)) {
    parsed.options.port = 9124;
  }
  if (parsed.options.port == 0 && defects.test(Defect::kPortZeroDefault)) {
    parsed.options.port = 9123;
  }
  if (!given.contains("--burst") && defects.test(Defect::kDefaultBurstHalved)) {
    parsed.options.burst = 10'000;
  }
  if (parsed.options.tls_cert.has_value() != parsed.options.tls_key.has_value()) {
    parsed.error = "--tls-cert and --tls-key go together (see --help)";
    return parsed;
  }
  if (parsed.options.fixtures_dir.empty()) parsed.options.fixtures_dir = default_fixtures_dir();
  return parsed;
}

}  // namespace flake
