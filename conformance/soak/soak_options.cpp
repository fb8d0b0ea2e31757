// Option parsing and the --help text of `flake-conform soak` (which must stay true to soak_run).
#include "conformance/soak/soak_options.hpp"

#include "conformance/harness/options.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace flake::conform::soak {

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCut:
      return "cut";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kThrottle:
      return "throttle";
    case FaultKind::kRefuse:
      return "refuse";
    case FaultKind::kSlowReader:
      return "slow-reader";
    case FaultKind::kDrop:
      return "drop";
  }
  return "?";
}

std::string soak_usage_text(const std::string& default_sidecar_bin) {
  return R"(usage: flake-conform soak [options] URL
       flake-conform soak [options] --spawn 'COMMAND ... {port} ...'
       flake-conform soak [options] --reference

Conformance under load and faults over time (docs/soak.md). N clients, each through its own
fault proxy, subscribe to logs and metrics of one service, emit log entries with test.emitLogs
and metrics with test.emitMetrics, call a mix of methods (JSON and MessagePack, batches,
logs.getLarge) and follow the client rules: reconnect with the delays of 7.7, resume with the
last seq they saw (7.3), resume at once on a seq jump (6.2), subscribe again after -32007
(7.4). Faults hit random clients at a set rate; a sidecar the soak started is also restarted
(SIGTERM and SIGKILL in turn). Checked all along: every notification of a session exactly once
and in seq order across reconnects, -32007 only where the spec allows it (a restart, a grace
period that passed), every emitted entry delivered, every call answered, every export
verified, the sidecar's RSS and descriptors level off, and recovery within 5 s (7.9) after an
outage like 10.8's.
An option's value may follow it ("--duration 30m") or be joined to it ("--duration=30m"); -n also
takes it glued ("-n8").

target (exactly one):
  URL                      a running sidecar started with --conformance
  --spawn 'CMD {port} {options}'
                           start CMD as flake-conform does (see flake-conform --help)
  --reference              start the reference sidecar with a random token
  --sidecar-bin PATH       the binary --reference starts (default: )" +
         default_sidecar_bin + R"()
  --sidecar-arg ARG        one more argument for --reference's sidecar (repeatable)
  --token T, --token-file F
                           the token for URL and --spawn (or FLAKE_SIDECAR_TOKEN)

load:
  -n, --clients N          simulated clients, each with its own connection (default 16, at
                           most 48: a sidecar may refuse a 65th connection, 8.4, and closed
                           ones linger a moment)
  --service NAME           the service they subscribe to and emit for (default vercel)
  --emit-rate R            test.emitLogs calls per second per client (default 1; 0: none)
  --emit-count N           entries per test.emitLogs call (default 10)
  --per-notification N     entries per logs.update (default 1)
  --call-rate R            other calls per second per client (default 4)
  --large-every S          one logs.getLarge per client every S seconds (default 20; 0: none)

bounds and faults:
  --duration D             run for D: seconds, or with a unit (90s, 30m, 2h) (default 60s)
  --disconnects N          stop once clients have survived N disconnects (--duration stays
                           the upper bound)
  --fault-rate R           faults per second across all clients (default 1; 0: none)
  --faults LIST            comma-separated, from cut, reset, stall, throttle, refuse,
                           slow-reader, drop (default: all)
  --restart-every S        restart a sidecar the soak started every S seconds, SIGTERM and
                           SIGKILL in turn (default 25; 0: never)
  --seed N                 seed of the fault and jitter choices (default: from the clock;
                           printed, so a run can be repeated)

judgement and reports:
  --timeout MS             deadline of each call (default 10000)
  --rss-slack-mib N        add N MiB to the RSS allowance (for sanitizer builds, whose
                           allocators keep freed memory by design)
  --json FILE              write the report as JSON (schema: soak-report.schema.json)
  --html FILE              write a self-contained HTML report with RSS and descriptor plots
  -v, --verbose            print every finding as it happens
  -h, --help               this text

exit status: 0 no finding, 1 a loss, duplicate, refused resume the spec does not allow, missing
entry, unanswered call, failed export, crash, leak or missed recovery, 2 usage error or the
sidecar could not be started, reached or authenticated.
)";
}

namespace {

bool parse_number(std::string_view text, double& out) {
  if (text.empty()) return false;
  const std::string copy(text);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && std::isfinite(out);
}

bool parse_uint(std::string_view text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "90", "90s", "30m", "2h".
bool parse_duration(std::string_view text, std::chrono::seconds& out) {
  long scale = 1;
  if (!text.empty() && (text.back() == 's' || text.back() == 'm' || text.back() == 'h')) {
    scale = text.back() == 'h' ? 3600 : text.back() == 'm' ? 60 : 1;
    text.remove_suffix(1);
  }
  std::uint64_t n = 0;
  if (!parse_uint(text, n) || n == 0 || n > 7 * 24 * 3600 / static_cast<std::uint64_t>(scale)) {
    return false;
  }
  out = std::chrono::seconds(static_cast<long>(n) * scale);
  return true;
}

bool parse_faults(std::string_view list, std::vector<FaultKind>& out) {
  out.clear();
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    bool known = false;
    for (FaultKind kind : kAllFaults) {
      if (name == to_string(kind)) {
        out.push_back(kind);
        known = true;
      }
    }
    if (!known) return false;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return !out.empty();
}

}  // namespace

ParsedSoakOptions parse_soak_options(int argc, char** argv, int first,
                                     std::string default_sidecar_bin) {
  ParsedSoakOptions parsed;
  SoakOptions& o = parsed.options;
  o.sidecar_bin = std::move(default_sidecar_bin);
  auto error = [&](std::string message) {
    if (parsed.error.empty()) parsed.error = std::move(message);
  };
  // The reader every flake-conform parser uses: -n takes its value glued as well ("-n16").
  ArgReader args(argc, argv, first, "n", error);
  while (args.next()) {
    const std::string_view arg = args.arg();
    std::string v;
    auto value = [&]() { return args.value(v); };
    auto number = [&](double low, double high, double& out) {
      double d = 0;
      if (!value()) return;
      if (!parse_number(v, d) || d < low || d > high) {
        error(std::string(arg) + " needs a number from " + std::to_string(low).substr(0, 4) +
              " to " + std::to_string(static_cast<long>(high)));
        return;
      }
      out = d;
    };
    auto integer = [&](long low, long high, auto& out) {
      std::uint64_t n = 0;
      if (!value()) return;
      if (!parse_uint(v, n) || static_cast<long>(n) < low || static_cast<long>(n) > high) {
        error(std::string(arg) + " needs a whole number from " + std::to_string(low) + " to " +
              std::to_string(high));
        return;
      }
      out = static_cast<std::remove_reference_t<decltype(out)>>(n);
    };
    if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (arg == "--reference") {
      o.reference = true;
    } else if (arg == "--spawn") {
      if (value()) o.spawn = v;
    } else if (arg == "--sidecar-bin") {
      if (value()) o.sidecar_bin = v;
    } else if (arg == "--sidecar-arg") {
      if (value()) o.sidecar_args.push_back(v);
    } else if (arg == "--token") {
      if (value()) o.token = v;
    } else if (arg == "--token-file") {
      if (value()) o.token_file = v;
    } else if (arg == "-n" || arg == "--clients") {
      integer(1, 48, o.clients);
    } else if (arg == "--service") {
      if (value()) o.service = v;
    } else if (arg == "--emit-rate") {
      number(0, 100, o.emit_rate);
    } else if (arg == "--emit-count") {
      integer(1, 1000, o.emit_count);
    } else if (arg == "--per-notification") {
      integer(1, 1000, o.per_notification);
    } else if (arg == "--call-rate") {
      number(0, 1000, o.call_rate);
    } else if (arg == "--large-every") {
      number(0, 86400, o.large_every_s);
    } else if (arg == "--duration") {
      if (value() && !parse_duration(v, o.duration)) {
        error("--duration needs a positive number of seconds, or one with a unit: 90s, 30m, 2h");
      }
    } else if (arg == "--disconnects") {
      integer(1, 100000000, o.disconnects);
    } else if (arg == "--fault-rate") {
      number(0, 1000, o.fault_rate);
    } else if (arg == "--faults") {
      if (value() && !parse_faults(v, o.faults)) {
        error(
            "--faults takes a comma-separated list of cut, reset, stall, throttle, refuse, "
            "slow-reader, drop");
      }
    } else if (arg == "--restart-every") {
      number(0, 86400, o.restart_every_s);
      o.restart_every_given = true;
    } else if (arg == "--seed") {
      integer(0, 0x7fffffff, o.seed);
      o.seed_given = true;
    } else if (arg == "--timeout") {
      double ms = 0;
      number(1, 600000, ms);
      o.timeout = std::chrono::milliseconds(static_cast<long>(ms));
    } else if (arg == "--rss-slack-mib") {
      number(0, 65536, o.rss_slack_mib);
    } else if (arg == "--json") {
      if (value()) o.json_file = v;
    } else if (arg == "--html") {
      if (value()) o.html_file = v;
    } else if (arg == "-v" || arg == "--verbose") {
      o.verbose = true;
    } else if (!arg.starts_with("-") && o.url.empty()) {
      o.url = std::string(arg);
    } else {
      error("unknown option " + std::string(arg));
    }
  }
  if (o.help) return parsed;
  const int targets = (o.url.empty() ? 0 : 1) + (o.spawn ? 1 : 0) + (o.reference ? 1 : 0);
  if (targets != 1) error("give exactly one target: URL, --spawn or --reference");
  if (o.restart_every_given && o.restart_every_s > 0 && !o.starts_sidecar()) {
    error(
        "--restart-every needs --spawn or --reference (the soak restarts only a sidecar it "
        "started)");
  }
  if (o.per_notification > o.emit_count) o.per_notification = o.emit_count;
  return parsed;
}

}  // namespace flake::conform::soak
