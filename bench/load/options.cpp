// Hand-rolled parsing in the style of flake-conform's options: every option takes its value as the
// next argument; numbers are checked for range.
#include "bench/load/options.hpp"

#include "conformance/client/tls_client.hpp"

#include <cstdlib>
#include <functional>
#include <map>

namespace flake::bench {
namespace {

bool to_number(const std::string& text, double min, double max, double& out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= min && v <= max)) return false;
  out = v;
  return true;
}

// --tls compares two starts, so it needs a command to start; a wss:// URL needs a trust.
bool check_tls(const LoadOptions& o, std::string& error) {
  if (o.tls && !o.reference && !o.spawn) {
    error = "--tls starts the sidecar plain and with TLS: give --reference or --spawn";
    if (!o.url.empty()) error += " (a wss:// --url is measured over TLS without --tls)";
    return false;
  }
  const bool wss = o.url.rfind("wss://", 0) == 0;
  const bool trust_given = !o.tls_ca.empty() || !o.tls_fingerprint.empty();
  if (trust_given && !wss) {
    error = "--tls-ca and --tls-fingerprint go with a wss:// --url";
    return false;
  }
  if (wss && o.tls_ca.empty() == o.tls_fingerprint.empty()) {
    error = "a wss:// --url needs exactly one of --tls-ca FILE and --tls-fingerprint HEX";
    return false;
  }
  if (!o.tls_fingerprint.empty() && !conform::parse_fingerprint(o.tls_fingerprint)) {
    error = "--tls-fingerprint: not a SHA-256 fingerprint (32 hex octets): " + o.tls_fingerprint;
    return false;
  }
  return true;
}

}  // namespace

std::string load_usage(const std::string& sidecar_bin) {
  return "usage: flake-bench (--reference | --spawn 'CMD {port}' | --url ws[s]://HOST:PORT/rpc "
         "--token T)"
         " [options]\n"
         "       flake-bench compare OLD.json NEW.json [--tolerance T]   (compare --help)\n"
         "       flake-bench baseline RUN.json OUT.json                  (baseline --help)\n"
         "\n"
         "Target (one of):\n"
         "  --reference            start the reference sidecar (" +
         sidecar_bin +
         ")\n"
         "                         with --port 0 --conformance --rate 0 and a temporary token "
         "file\n"
         "  --sidecar-bin PATH     the sidecar --reference starts\n"
         "  --spawn CMD            start CMD (via /bin/sh; {port} becomes a free port); its token\n"
         "                         comes from --token/--token-file/$FLAKE_SIDECAR_TOKEN\n"
         "  --url URL              a running sidecar; --token T or --token-file F; a wss:// URL\n"
         "                         runs every scenario over TLS and needs one of:\n"
         "  --tls-ca FILE          trust the sidecar's chain to this CA (host or IP checked)\n"
         "  --tls-fingerprint HEX  trust the leaf with this SHA-256 fingerprint (AB:CD:... or "
         "hex)\n"
         "  --pid P                process to read RSS/CPU from (automatic with "
         "--reference/--spawn)\n"
         "  --floor-only           no sidecar: only the built-in floor server\n"
         "Runs:\n"
         "  --floor                also run everything against the built-in raw TCP floor server\n"
         "                         and print reference/floor ratios; the floor's CPU per 1k\n"
         "                         pings is its serving thread's (the kernel's share of a ping)\n"
         "  --tls                  with --reference/--spawn: every repeat runs the suite on a\n"
         "                         plain start, then starts the same command afresh with\n"
         "                         --tls-cert/--tls-key (a throwaway CA -> intermediate -> leaf,\n"
         "                         EC P-256) and runs ping, connect and large over wss:// (as\n"
         "                         --only allows); prints the \"TLS cost\" table: connect + auth\n"
         "                         and window-1 ping p50/p99, window-64 req/s, getLarge MB/s and\n"
         "                         sidecar CPU per 1,000 pings, plain beside TLS with the ratio\n"
         "  --quick                small runs (CI smoke, a few seconds)\n"
         "  --repeat K             run the suite K times; figures are medians (default 1)\n"
         "  --connections C        closed-loop run C×W: connections (default 8)\n"
         "  --window W             closed-loop run C×W: requests in flight per connection (16)\n"
         "  --requests N           requests per closed-loop run (default 20000 for W=1, 200000\n"
         "                         otherwise; --quick 2000/20000)\n"
         "  --rate R               open-loop rate in req/s over min(C, 4) connections (default\n"
         "                         10000, or a quarter of the sidecar's window-64 throughput when\n"
         "                         that is less; the floor runs at the same rate)\n"
         "  --open-seconds S       open-loop duration (default 5, --quick 1)\n"
         "  --connects N           connect+auth samples (default 200, --quick 20)\n"
         "  --log-entries N        entries for the one-subscriber log run (default 1000000,\n"
         "                         --quick 100000)\n"
         "  --large-entries N      history entries exported by logs.getLarge (default 50000)\n"
         "  --fan-out N            entries per subscriber in the 64-connection run (default "
         "20000,\n"
         "                         --quick 2000)\n"
         "  --only LIST            comma-separated subset: ping,open,connect,large,logs,fanout\n"
         "Output:\n"
         "  --json FILE            every figure, ratio, target and latency curve as JSON\n"
         "  --html FILE            one self-contained page: the figures, the targets and each\n"
         "                         latency run's percentile curve (sidecar and floor) on log axes\n"
         "  --quiet                no progress on stderr\n";
}

bool LoadOptions::runs(const std::string& scenario) const {
  if (only.empty()) return true;
  const std::string list = "," + only + ",";
  return list.find("," + scenario + ",") != std::string::npos;
}

bool parse_load_options(int argc, char** argv, LoadOptions& o, std::string& error) {
  using Setter = std::function<bool(const std::string&)>;
  const auto number = [&](auto* field, double min, double max) -> Setter {
    return [field, min, max](const std::string& v) {
      double d = 0;
      if (!to_number(v, min, max, d)) return false;
      *field = static_cast<std::remove_pointer_t<decltype(field)>>(d);
      return true;
    };
  };
  const auto text = [](std::string* field) -> Setter {
    return [field](const std::string& v) {
      *field = v;
      return !v.empty();
    };
  };
  const auto opt_text = [](std::optional<std::string>* field) -> Setter {
    return [field](const std::string& v) {
      *field = v;
      return !v.empty();
    };
  };
  const std::map<std::string, Setter> with_value = {
      {"--url", text(&o.url)},
      {"--token", opt_text(&o.token)},
      {"--token-file", opt_text(&o.token_file)},
      {"--spawn", opt_text(&o.spawn)},
      {"--sidecar-bin", text(&o.sidecar_bin)},
      {"--pid", number(&o.pid, 1, 4194304)},
      {"--repeat", number(&o.repeat, 1, 100)},
      {"--connections", number(&o.connections, 1, 1000)},
      {"--window", number(&o.window, 1, 10000)},
      {"--requests", number(&o.requests, 1, 1e9)},
      {"--rate", number(&o.open_rate, 1, 1e8)},
      {"--open-seconds", number(&o.open_seconds, 0.1, 3600)},
      {"--connects", number(&o.connect_count, 1, 100000)},
      {"--log-entries", number(&o.log_entries, 100, 1e9)},
      {"--large-entries", number(&o.large_entries, 1, 1e6)},
      {"--fan-out", number(&o.fan_out_entries, 100, 1e6)},
      {"--json", text(&o.json_path)},
      {"--html", text(&o.html_path)},
      {"--only", text(&o.only)},
      {"--tls-ca", text(&o.tls_ca)},
      {"--tls-fingerprint", text(&o.tls_fingerprint)},
  };
  const std::map<std::string, bool*> flags = {
      {"--reference", &o.reference},
      {"--floor", &o.floor},
      {"--floor-only", &o.floor_only},
      {"--tls", &o.tls},
      {"--quick", &o.quick},
      {"--quiet", &o.quiet},
      {"--help", &o.help},
      {"-h", &o.help},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (const auto f = flags.find(arg); f != flags.end()) {
      *f->second = true;
      continue;
    }
    const auto s = with_value.find(arg);
    if (s == with_value.end()) {
      error = "unknown option " + arg;
      return false;
    }
    if (i + 1 >= argc) {
      error = arg + " needs a value";
      return false;
    }
    if (!s->second(argv[++i])) {
      error = "bad value for " + arg + ": " + argv[i];
      return false;
    }
  }
  if (o.help) return true;
  const int targets =
      (o.url.empty() ? 0 : 1) + (o.spawn ? 1 : 0) + (o.reference ? 1 : 0) + (o.floor_only ? 1 : 0);
  if (targets != 1) {
    error = "give exactly one of --reference, --spawn, --url, --floor-only";
    return false;
  }
  if (o.floor_only) o.floor = true;
  if (!check_tls(o, error)) return false;
  for (std::size_t at = 0; at <= o.only.size() && !o.only.empty();) {
    const std::size_t end = std::min(o.only.find(',', at), o.only.size());
    const std::string name = o.only.substr(at, end - at);
    if (std::string(",ping,open,connect,large,logs,fanout,").find("," + name + ",") ==
        std::string::npos) {
      error = "--only: unknown scenario '" + name + "'";
      return false;
    }
    at = end + 1;
  }
  if (o.open_seconds == 0) o.open_seconds = o.quick ? 1 : 5;
  if (o.connect_count == 0) o.connect_count = o.quick ? 20 : 200;
  if (o.log_entries == 0) o.log_entries = o.quick ? 100000 : 1000000;
  if (o.fan_out_entries == 0) o.fan_out_entries = o.quick ? 2000 : 20000;
  return true;
}

}  // namespace flake::bench
