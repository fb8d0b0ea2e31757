// Option parsing and --help of the fuzz and replay subcommands (options.hpp).
#include "conformance/netfuzz/options.hpp"

#include "conformance/harness/options.hpp"

#include <charconv>
#include <string_view>

namespace flake::conform::netfuzz {
namespace {

const char* const kTargetHelp = R"(target (exactly one, as in the normal mode):
  URL                      a running sidecar, e.g. ws://127.0.0.1:9123/rpc, or
                           wss://HOST:PORT/rpc with --tls-ca or --tls-fingerprint
  --spawn 'CMD {port}'     start CMD (through /bin/sh, with exec) after replacing {port} by a
                           free port, wait for its start-up line, stop it at the end
  --reference              start the reference sidecar with --port 0 --conformance and a random
                           token
  --sidecar-bin PATH       the binary --reference starts (default: )";

const char* const kCheckHelp = R"(
  --tls                    with --reference or --spawn: a throwaway CA, intermediate and leaf;
                           the sidecar gets --tls-cert CHAIN --tls-key KEY ({options} of a
                           --spawn command) and every connection goes through TLS; the fuzz
                           run adds the tls family (raw mutated TLS records on plain TCP)
  --tls-ca FILE            with a wss:// URL: trust the PEM CA certificates in FILE
  --tls-fingerprint HEX    with a wss:// URL: trust exactly the leaf with this SHA-256
  --sidecar-arg ARG        one more argument for the sidecar --reference starts (repeatable)
  --token T | --token-file F   the sidecar's token (URL and --spawn; else FLAKE_SIDECAR_TOKEN)
  --pid P                  the sidecar's process id, for the RSS check of a URL target
                           (spawned sidecars are watched without it)

checks after every burst:
  --health-timeout MS      a fresh connection must authenticate and answer system.ping within
                           MS (default 5000)
  --rss-growth-mib M       the sidecar's VmRSS must stay under its value before the first
                           burst plus M MiB (default 64); needs a spawned sidecar or --pid
  --timeout MS             deadline of each socket operation in a burst (default 3000)
)";

bool parse_number(std::string_view text, long min, long max, long& out) {
  long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

std::string fuzz_usage(const std::string& default_sidecar_bin) {
  std::string families;
  for (const Family f : tls_families())
    families += (families.empty() ? "" : ",") + std::string(to_string(f));
  return std::string(R"(usage: flake-conform fuzz [options] URL
       flake-conform fuzz [options] --spawn 'COMMAND ... {port} ...'
       flake-conform fuzz [options] --reference

Throws malformed traffic at a sidecar in bursts (WebSocket framing, UTF-8, close handshakes,
JSON-RPC mutations, MessagePack bombs, oversized messages, slowloris, half-open connections,
abrupt closes, HTTP request smuggling; over TLS also raw mutated TLS records) and after each
burst checks that it still answers. The traffic depends only on --seed, the burst index and the
sidecar's advertised maxMessageBytes (the tls family also on the ClientHello OpenSSL makes at the
start of the run).
The first failure writes a reproducer file for `flake-conform replay` and ends the run. An
option's value may follow it ("--seed 7") or be joined to it ("--seed=7").

)") + kTargetHelp +
         default_sidecar_bin + ")" + kCheckHelp + R"(
fuzzing:
  --seconds N              stop starting bursts after N seconds (default 60)
  --seed S                 PRNG seed (default 1); the same seed sends the same bytes
  --bursts N               stop after N bursts
  --first-burst K          start at burst K (regenerates exactly the bursts of a longer run)
  --families LIST          comma-separated subset of: )" +
         families + R"(
  --reproducer FILE        where a failure is written (default netfuzz-repro-SEED-BURST.json)
  -h, --help               this text

output: one progress line per burst on stderr, a summary at the end.
exit status: 0 the sidecar survived every burst, 1 a failure was found (reproducer written),
2 usage error or the sidecar could not be started, reached or authenticated.
)";
}

std::string replay_usage(const std::string& default_sidecar_bin) {
  return std::string(
             R"(usage: flake-conform replay [options] FILE (URL | --spawn 'CMD {port}' | --reference)

Plays back the burst of a reproducer file written by `flake-conform fuzz` (the exact bytes per
connection; the target's Host value and token fill the placeholders), then runs the same checks
and reports whether the failure reproduces. An option's value may follow it ("--repeat 5") or be
joined to it ("--repeat=5"). A FILE.flake-replay, written by `flake-conform --reproducers DIR`,
plays otherwise: see `flake-conform replay FILE.flake-replay --help`.

)") + kTargetHelp +
         default_sidecar_bin + ")" + kCheckHelp + R"(
  --repeat N               play the burst N times before the check (default 1), for failures
                           that build up, such as memory growth
  -h, --help               this text

exit status: 0 the failure did not reproduce, 1 it did, 2 usage error, unreadable file, or the
sidecar could not be started, reached or authenticated.
)";
}

ParsedFuzzOptions parse_fuzz_options(int argc, char** argv, std::string default_sidecar_bin) {
  ParsedFuzzOptions parsed;
  FuzzOptions& o = parsed.options;
  o.sidecar_bin = std::move(default_sidecar_bin);
  o.replay = argc > 1 && std::string_view(argv[1]) == "replay";
  auto error = [&](std::string message) {
    if (parsed.error.empty()) parsed.error = std::move(message);
  };
  ArgReader args(argc, argv, 2, "", error);
  while (args.next()) {
    const std::string_view arg = args.arg();
    std::string v;
    auto value = [&]() { return args.value(v); };
    auto number = [&](long min, long max, long& out) {
      if (value() && !parse_number(v, min, max, out)) {
        error(std::string(arg) + " needs a number between " + std::to_string(min) + " and " +
              std::to_string(max));
      }
    };
    long n = 0;
    if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (arg == "--token") {
      if (value()) o.token = v;
    } else if (arg == "--token-file") {
      if (value()) o.token_file = v;
    } else if (arg == "--spawn") {
      if (value()) o.spawn = v;
    } else if (arg == "--reference") {
      o.reference = true;
    } else if (arg == "--sidecar-bin") {
      if (value()) o.sidecar_bin = v;
    } else if (arg == "--sidecar-arg") {
      if (value()) o.sidecar_args.push_back(v);
    } else if (arg == "--tls") {
      o.tls = true;
    } else if (arg == "--tls-ca") {
      if (value()) o.tls_ca = v;
    } else if (arg == "--tls-fingerprint") {
      if (value()) o.tls_fingerprint = v;
    } else if (arg == "--pid") {
      number(1, 1L << 30, n);
      if (n > 0) o.pid = n;
    } else if (arg == "--health-timeout") {
      number(1, 600000, n);
      if (n > 0) o.health_timeout = std::chrono::milliseconds(n);
    } else if (arg == "--timeout") {
      number(1, 600000, n);
      if (n > 0) o.timeout = std::chrono::milliseconds(n);
    } else if (arg == "--rss-growth-mib") {
      number(1, 1L << 20, n);
      if (n > 0) o.rss_growth_mib = static_cast<std::uint64_t>(n);
    } else if (!o.replay && arg == "--seconds") {
      number(1, 7L * 24 * 3600, o.seconds);
    } else if (!o.replay && arg == "--seed") {
      if (value()) {
        std::uint64_t s = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
        if (ec != std::errc() || end != v.data() + v.size())
          error("--seed needs an unsigned number");
        o.seed = s;
      }
    } else if (!o.replay && arg == "--bursts") {
      number(1, 1L << 40, n);
      if (n > 0) o.bursts = static_cast<std::uint64_t>(n);
    } else if (!o.replay && arg == "--first-burst") {
      number(0, 1L << 40, n);
      o.first_burst = static_cast<std::uint64_t>(n);
    } else if (!o.replay && arg == "--families") {
      if (value()) {
        for (std::size_t at = 0; at <= v.size();) {
          const std::size_t comma = std::min(v.find(',', at), v.size());
          const std::string name = v.substr(at, comma - at);
          if (auto f = family_from_string(name)) {
            o.families.push_back(*f);
          } else {
            error("unknown family \"" + name + "\" (see --help)");
          }
          at = comma + 1;
        }
      }
    } else if (!o.replay && arg == "--reproducer") {
      if (value()) o.reproducer_out = v;
    } else if (o.replay && arg == "--repeat") {
      number(1, 100000, n);
      if (n > 0) o.repeat = static_cast<int>(n);
    } else if (!arg.empty() && arg.front() == '-') {
      error("unknown option " + std::string(arg));
    } else if (o.replay && o.reproducer_in.empty()) {
      o.reproducer_in = std::string(arg);
    } else if (o.url.empty()) {
      o.url = std::string(arg);
    } else {
      error("more than one URL given");
    }
  }
  if (o.help || !parsed.error.empty()) return parsed;
  if (o.replay && o.reproducer_in.empty()) error("no reproducer FILE given");
  const int targets = (o.url.empty() ? 0 : 1) + (o.spawn ? 1 : 0) + (o.reference ? 1 : 0);
  if (targets != 1) error("give exactly one of URL, --spawn and --reference");
  if (o.token && o.token_file) error("give --token or --token-file, not both");
  if (o.reference && (o.token || o.token_file)) {
    error("--reference makes its own token; --token/--token-file are for URL and --spawn");
  }
  if (!o.sidecar_args.empty() && !o.reference) error("--sidecar-arg is for --reference only");
  if (o.pid && (o.reference || o.spawn))
    error("--pid is for a URL target (a spawned sidecar is watched anyway)");
  const bool tls_url = o.url.starts_with("wss://");
  if (o.tls && !o.reference && !o.spawn) {
    error("--tls is for --reference and --spawn; a wss:// URL takes --tls-ca or --tls-fingerprint");
  }
  if (o.tls_ca && o.tls_fingerprint) error("give --tls-ca or --tls-fingerprint, not both");
  if ((o.tls_ca || o.tls_fingerprint) && !tls_url) {
    error(std::string(o.tls_ca ? "--tls-ca" : "--tls-fingerprint") + " is for a wss:// URL target");
  }
  if (tls_url && !o.tls_ca && !o.tls_fingerprint) {
    error("a wss:// URL needs --tls-ca FILE or --tls-fingerprint HEX");
  }
  for (const Family f : o.families) {
    if (f == Family::Tls && !o.tls && !tls_url) {
      error("the tls family needs a run over TLS (--tls or a wss:// URL)");
    }
  }
  return parsed;
}

}  // namespace flake::conform::netfuzz
