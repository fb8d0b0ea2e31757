// flake-bench: load generator for flake.v1 sidecars. Runs every scenario against the
// target and, with --floor, against a built-in floor server, then prints figures, ratios and the
// reference targets; --json writes the same as JSON, --html as a page with latency plots. The
// subcommands `compare` and `baseline` work on those JSON files. With --tls every repeat also
// starts the sidecar with a throwaway certificate and prints the "TLS cost" beside plain text.
#include "bench/load/bench_compare.hpp"
#include "bench/load/bench_html.hpp"
#include "bench/load/bench_report.hpp"
#include "bench/load/floor_echo.hpp"
#include "bench/load/options.hpp"
#include "bench/load/proc_stats.hpp"
#include "bench/load/scenarios.hpp"
#include "bench/load/sidecar_launch.hpp"
#include "bench/load/tls_cost.hpp"
#include "conformance/client/tls_certs.hpp"
#include "conformance/client/tls_client.hpp"
#include "conformance/harness/report/text.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"
#include "conformance/harness/target/tool_path.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#ifndef FLAKE_BENCH_SIDECAR_BIN
#define FLAKE_BENCH_SIDECAR_BIN "flake-sidecar"
#endif
#ifndef FLAKE_BENCH_BUILD_DIR
#define FLAKE_BENCH_BUILD_DIR ""
#endif

namespace flake::bench {
namespace {

constexpr int kExitErrors = 1;
constexpr int kExitUsage = 2;

struct SuiteSizes {
  std::uint64_t w1, w64, cxw;
};

SuiteSizes sizes(const LoadOptions& o) {
  if (o.requests) return {o.requests, o.requests, o.requests};
  return o.quick ? SuiteSizes{2000, 20000, 20000} : SuiteSizes{20000, 200000, 200000};
}

void record_latency(BenchResults& r, Side side, const std::string& name, const LatencyRun& run) {
  auto& m = side == Side::Sidecar ? r.latency_sidecar : r.latency_floor;
  m[name].merge(run.latency_ns);
}

bool check(BenchResults& r, const BenchTarget& t, const std::string& what,
           const std::string& error) {
  if (error.empty()) return true;
  r.errors.push_back(t.name + " " + what + ": " + error);
  std::fprintf(stderr, "flake-bench: %s %s: %s\n", t.name.c_str(), what.c_str(), error.c_str());
  return false;
}

// The closed-loop ping runs. The first sidecar pass also fixes the default open-loop rate.
void run_pings(const LoadOptions& o, const BenchTarget& t, Side side, double& open_rate,
               BenchResults& r) {
  const bool q = o.quiet;
  const SuiteSizes n = sizes(o);
  const LatencyRun w1 = closed_loop(t, 1, 1, n.w1, q);
  if (check(r, t, "ping window 1", w1.error)) {
    record_latency(r, side, "ping_w1", w1);
    r.add(side, "ping_w1_p50_us", "system.ping window 1: p50", "us", false,
          w1.latency_ns.percentile(50) / 1000.0);
    r.add(side, "ping_w1_per_s", "system.ping window 1: throughput", "req/s", true,
          w1.per_second());
  }
  const LatencyRun w64 = closed_loop(t, 1, 64, n.w64, q);
  if (check(r, t, "ping window 64", w64.error)) {
    record_latency(r, side, "ping_w64", w64);
    r.add(side, "ping_w64_per_s", "system.ping 1 conn x window 64: throughput", "req/s", true,
          w64.per_second());
    // The sidecar's process from /proc, the floor's serving thread from its CPU clock: the
    // floor's figure is what a ping costs the machine (the kernel's share) with no server work.
    if (w64.cpu_seconds >= 0) {
      r.add(side, "cpu_s_per_1k_msgs", "server CPU per 1k pings (window 64)", "CPU s", false,
            w64.cpu_seconds / (static_cast<double>(w64.completed) / 1000.0));
    }
    // Default open-loop rate: 10,000 req/s (one connection's default rate limit), or a quarter of
    // what the sidecar managed when that is less, so the run measures latency, not overload.
    if (side == Side::Sidecar && open_rate == 0) {
      open_rate = std::max(100.0, std::min(10000.0, std::floor(w64.per_second() / 4)));
    }
  }
  const LatencyRun cxw = closed_loop(t, o.connections, o.window, n.cxw, q);
  if (check(r, t, "ping C x W", cxw.error)) {
    const std::string name =
        "ping_c" + std::to_string(o.connections) + "_w" + std::to_string(o.window);
    record_latency(r, side, name, cxw);
    r.add(side, "ping_cxw_per_s",
          "system.ping " + std::to_string(o.connections) + " conns x window " +
              std::to_string(o.window) + ": throughput",
          "req/s", true, cxw.per_second());
  }
}

// One pass of every scenario against `t`. `open_rate` is decided by the first sidecar pass.
void run_suite(const LoadOptions& o, const BenchTarget& t, Side side, double& open_rate,
               BenchResults& r) {
  const bool q = o.quiet;
  const bool is_floor = side == Side::Floor;
  if (o.runs("ping")) run_pings(o, t, side, open_rate, r);
  if (open_rate == 0 && side == Side::Sidecar) open_rate = 10000;
  if (open_rate > 0 && o.runs("open")) {
    const auto count = static_cast<std::uint64_t>(std::max(1.0, open_rate * o.open_seconds));
    const LatencyRun open = open_loop(t, std::min(o.connections, 4u), open_rate, count, q);
    if (check(r, t, "open loop", open.error)) {
      record_latency(r, side, "open_loop", open);
      r.add(side, "open_p50_us",
            "open loop " + std::to_string(static_cast<long long>(open_rate)) + " req/s: p50", "us",
            false, open.latency_ns.percentile(50) / 1000.0);
      r.add(side, "open_p99_us",
            "open loop " + std::to_string(static_cast<long long>(open_rate)) + " req/s: p99", "us",
            false, open.latency_ns.percentile(99) / 1000.0);
    }
  }
  const LatencyRun ca = o.runs("connect") ? connect_auth(t, o.connect_count, q) : LatencyRun{};
  if (o.runs("connect") && check(r, t, "connect+auth", ca.error)) {
    record_latency(r, side, "connect_auth", ca);
    r.add(side, "connect_auth_p50_ms", "connect + upgrade + auth: p50", "ms", false,
          ca.latency_ns.percentile(50) / 1e6);
  }
  const LargeRun large =
      o.runs("large") ? get_large(t, o.large_entries, o.quick ? 1 : 3, q) : LargeRun{};
  if (o.runs("large") && check(r, t, "logs.getLarge", large.error)) {
    r.add(side, "getlarge_mb_per_s", "logs.getLarge msgpack (payload MB/s)", "MB/s", true,
          large.mb_per_second());
  }
  const StreamRun logs = o.runs("logs") ? log_stream(t, o.log_entries, q) : StreamRun{};
  if (o.runs("logs") && check(r, t, "log stream", logs.error)) {
    r.add(side, "log_entries_per_s", "log entries/s to one subscriber (100/notif.)", "entries/s",
          true, logs.per_second());
  }
  if (!is_floor &&
      o.runs("fanout")) {  // the floor serves no subscriptions: fan-out is the sidecar's work only
    const StreamRun fan = fan_out(t, o.fan_out_connections, o.fan_out_entries, q);
    if (check(r, t, "64-connection streaming", fan.error)) {
      r.add(side, "fanout_entries_per_s",
            "log entries/s delivered, " + std::to_string(o.fan_out_connections) + " subscribers",
            "entries/s", true, fan.per_second());
      if (fan.start_rss_mib >= 0) {
        r.add(side, "rss_before_fanout_mib", "RSS before the 64-connection run", "MiB", false,
              fan.start_rss_mib);
      }
      if (fan.peak_rss_mib >= 0) {
        r.add(side, "rss_64_streaming_mib",
              "RSS peak, " + std::to_string(o.fan_out_connections) + " connections streaming",
              "MiB", false, fan.peak_rss_mib);
      }
    }
  }
}

// A pass's figures join the report's: one more sample per figure, histograms merged.
void merge_pass(BenchResults& r, const BenchResults& pass) {
  for (const Figure& f : pass.figures) {
    for (const double v : f.sidecar)
      r.add(Side::Sidecar, f.key, f.label, f.unit, f.higher_better, v);
  }
  for (const auto& [name, h] : pass.latency_sidecar) r.latency_sidecar[name].merge(h);
  r.errors.insert(r.errors.end(), pass.errors.begin(), pass.errors.end());
}

// The scenarios whose cost TLS changes: new connections (the handshake), round trips and bulk
// bytes (the record layer); "" when --only leaves none of them.
std::string tls_scenarios(const LoadOptions& o) {
  std::string list;
  for (const char* s : {"ping", "connect", "large"}) {
    if (o.runs(s)) list += std::string(list.empty() ? "" : ",") + s;
  }
  return list;
}

// What the handshake of one connection negotiated, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
std::string negotiated(const BenchTarget& t) {
  BenchConn c;
  std::string error;
  if (!c.open(t.url, conform::deadline_in(std::chrono::milliseconds(5000)), error)) return {};
  const conform::TlsInfo* info = c.tls_info();
  return info ? info->version_name + " " + info->cipher : std::string();
}

// --tls: the client trusting the throwaway CA whose leaf the TLS starts serve.
struct TlsRun {
  std::unique_ptr<conform::ThrowawayPki> pki;
  std::shared_ptr<const conform::TlsClient> client;
  TlsCost cost;
};

// The TLS start of one repeat: a fresh process, the TLS-relevant scenarios over wss://.
bool run_tls_pass(const LoadOptions& o, TlsRun& tls, const std::string& name, double open_rate,
                  BenchResults& r) {
  LoadOptions tls_o = o;
  tls_o.only = tls_scenarios(o);
  if (tls_o.only.empty()) return true;
  std::string error;
  const TlsFiles files{tls.pki->chain_file(), tls.pki->key_file()};
  const auto launched = launch_sidecar(o, error, &files);
  if (!launched) {
    std::fprintf(stderr, "flake-bench: the TLS start: %s\n", error.c_str());
    return false;
  }
  const BenchTarget t{launched->url, launched->token, name + " over TLS", launched->process->pid()};
  conform::set_target_tls(tls.client);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // as the plain start settles
  BenchResults pass;
  run_suite(tls_o, t, Side::Sidecar, open_rate, pass);
  if (tls.cost.negotiated.empty()) tls.cost.negotiated = negotiated(t);
  conform::set_target_tls(nullptr);
  tls.cost.add_pass(pass, true);
  r.errors.insert(r.errors.end(), pass.errors.begin(), pass.errors.end());
  return true;
}

// A wss:// --url: every connection of the run trusts the CA file or the pinned leaf.
bool trust_url_target(const LoadOptions& o, std::string& error) {
  if (o.tls_ca.empty() && o.tls_fingerprint.empty()) return true;
  conform::TlsClientOptions options;
  options.enabled = true;
  options.ca_file = o.tls_ca;
  options.fingerprint_sha256 = conform::parse_fingerprint(o.tls_fingerprint);
  auto client = conform::TlsClient::create(options, error);
  if (!client) return false;
  conform::set_target_tls(std::move(client));
  return true;
}

int run(int argc, char** argv) {
  if (argc > 1) {
    const std::string command = argv[1];
    const std::vector<std::string> rest(argv + 2, argv + argc);
    if (command == "compare") return compare_command(rest, stdout, stderr);
    if (command == "baseline") return baseline_command(rest, stdout, stderr);
  }
  LoadOptions o;
  // --reference: the flake-sidecar installed beside flake-bench, else the build tree's.
  o.sidecar_bin = conform::companion_program("flake-sidecar", FLAKE_BENCH_SIDECAR_BIN);
  std::string error;
  if (!parse_load_options(argc, argv, o, error)) {
    std::fprintf(stderr, "flake-bench: %s\n\n%s", error.c_str(), load_usage(o.sidecar_bin).c_str());
    return kExitUsage;
  }
  if (o.help) {
    std::fputs(load_usage(o.sidecar_bin).c_str(), stdout);
    return 0;
  }
  BenchResults r;
  r.repeats = o.repeat;
  r.options = {{"quick", o.quick},
               {"repeat", o.repeat},
               {"connections", o.connections},
               {"window", o.window},
               {"requests", o.requests},
               {"open_rate", o.open_rate},
               {"open_seconds", o.open_seconds},
               {"connects", o.connect_count},
               {"log_entries", o.log_entries},
               {"large_entries", o.large_entries},
               {"fan_out_connections", o.fan_out_connections},
               {"fan_out_entries", o.fan_out_entries},
               {"floor", o.floor},
               {"tls", o.tls}};

  // A started sidecar is started afresh for every repeat: sessions of one pass stay detached
  // (with their subscriptions and replay rings) for resumeGraceMs after their connections close
  // (§7.1), and would weigh on the next pass.
  const bool starts_sidecar = o.reference || o.spawn.has_value();
  BenchTarget sidecar;
  if (starts_sidecar) {
    // Named relative to the build directory: reports (and baselines made from them) are
    // checked in and compared across machines.
    r.target = o.reference ? target_name(o.sidecar_bin, FLAKE_BENCH_BUILD_DIR) +
                                 " --port 0 --conformance --rate 0 --token-file <temporary>"
                           : *o.spawn;
    if (o.reference) {
      r.notes =
          "rate limiter disabled (--rate 0): the reference's default of 10,000 req/s per "
          "connection would cap the ping runs; a fresh sidecar process for every repeat";
    }
  } else if (!o.url.empty()) {
    const auto url = conform::parse_url(o.url, &error);
    if (!url) {
      std::fprintf(stderr, "flake-bench: bad URL %s: %s\n", o.url.c_str(), error.c_str());
      return kExitUsage;
    }
    std::string token = o.token.value_or("");
    if (token.empty() && o.token_file) {
      token = conform::read_token_file(*o.token_file, error);
      if (token.empty()) {
        std::fprintf(stderr, "flake-bench: %s\n", error.c_str());
        return kExitUsage;
      }
    }
    if (!trust_url_target(o, error)) {
      std::fprintf(stderr, "flake-bench: %s\n", error.c_str());
      return kExitUsage;
    }
    sidecar = {*url, token, "sidecar", o.pid};
    r.target = o.url;
    if (url->tls()) r.notes = "every connection over TLS (wss://)";
  } else {
    r.target = "floor only";
  }

  FloorServer floor_server;
  BenchTarget floor;
  if (o.floor) {
    if (!floor_server.start(error)) {
      std::fprintf(stderr, "flake-bench: %s\n", error.c_str());
      return kExitUsage;
    }
    floor = {*conform::parse_url(floor_server.url()), "floor-token", "floor", -1,
             floor_server.cpu_clock()};
  }

  TlsRun tls;
  if (o.tls) {
    tls.pki = conform::ThrowawayPki::create(error);
    conform::TlsClientOptions options;
    options.enabled = true;
    if (tls.pki) options.ca_file = tls.pki->ca_file();
    if (tls.pki) tls.client = conform::TlsClient::create(options, error);
    if (!tls.client) {
      std::fprintf(stderr, "flake-bench: --tls: %s\n", error.c_str());
      return kExitUsage;
    }
    tls.cost.order =
        "every repeat: the plain start's pass, then the same command started afresh with "
        "--tls-cert/--tls-key (throwaway CA -> intermediate -> leaf, EC P-256) running " +
        tls_scenarios(o) + " over wss://";
  }

  double open_rate = o.open_rate;
  if (o.floor_only && open_rate == 0) open_rate = 10000;
  for (unsigned i = 0; i < o.repeat; ++i) {
    if (!o.quiet && o.repeat > 1) std::fprintf(stderr, "run %u of %u\n", i + 1, o.repeat);
    std::unique_ptr<LaunchedSidecar> launched;
    if (starts_sidecar) {
      launched = launch_sidecar(o, error);
      if (!launched) {
        std::fprintf(stderr, "flake-bench: %s\n", error.c_str());
        return kExitUsage;
      }
      sidecar = {launched->url, launched->token, o.reference ? "reference" : "sidecar",
                 launched->process->pid()};
    }
    if (o.pid > 0) sidecar.pid = o.pid;
    if (!o.floor_only) {
      // Idle: started, listening, nothing connected yet (after a moment to settle). A sidecar we
      // did not start is idle only before our first pass.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const auto s = starts_sidecar || i == 0 ? sample_process(sidecar.pid) : std::nullopt;
      if (s) {
        r.add(Side::Sidecar, "rss_idle_mib", "RSS idle (before any connection)", "MiB", false,
              s->rss_mib);
      }
      BenchResults pass;
      run_suite(o, sidecar, Side::Sidecar, open_rate, pass);
      merge_pass(r, pass);
      if (o.tls) tls.cost.add_pass(pass, false);
    }
    launched.reset();  // stopped before the floor runs: it would only be noise
    if (o.tls && !run_tls_pass(o, tls, sidecar.name, open_rate, r)) return kExitUsage;
    if (o.floor) run_suite(o, floor, Side::Floor, open_rate, r);
  }
  r.options["open_rate"] = open_rate;
  evaluate_targets(r);
  print_report(r, stdout);
  print_tls_cost(tls.cost, stdout);
  nlohmann::json report = report_json(r);
  if (!tls.cost.empty()) report["tls"] = tls_cost_json(tls.cost);
  if (!o.json_path.empty() && !conform::write_file(o.json_path, report.dump(2) + "\n", error)) {
    std::fprintf(stderr, "flake-bench: %s\n", error.c_str());
    return kExitErrors;
  }
  if (!o.html_path.empty() && !conform::write_file(o.html_path, report_html(report), error)) {
    std::fprintf(stderr, "flake-bench: %s\n", error.c_str());
    return kExitErrors;
  }
  return r.errors.empty() ? 0 : kExitErrors;
}

}  // namespace
}  // namespace flake::bench

int main(int argc, char** argv) {
  return flake::bench::run(argc, argv);
}
