// The fuzz loop and the replay of a reproducer (runner.hpp).
#include "conformance/netfuzz/runner.hpp"

#include "conformance/harness/report/text.hpp"
#include "conformance/netfuzz/exec.hpp"
#include "conformance/netfuzz/health.hpp"
#include "conformance/netfuzz/reproducer.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace flake::conform::netfuzz {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// The most one burst may take; slowloris trickles and held connections fit inside.
constexpr std::chrono::milliseconds kBurstBudget{3000};

ExecTarget exec_target(const FuzzTarget& target, const FuzzOptions& o) {
  ExecTarget t;
  t.host = target.url.host;
  t.port = target.url.port;
  t.authority = target.url.authority;
  t.ws_path = target.url.path;
  t.token = target.token;
  t.op_timeout = o.timeout;
  return t;
}

std::string mib(long kib) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return text;
}

std::string size_text(std::uint64_t bytes) {
  char text[32];
  if (bytes < 10 * 1024) {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  }
  return bytes >= (10u << 20) ? mib(static_cast<long>(bytes / 1024)) : text;
}

void release(std::vector<TcpSocket>& held) {
  for (TcpSocket& s : held) s.abort();  // RST: no TIME_WAIT pile-up over a long run
  held.clear();
}

// A failure's closing words: what the sidecar printed when it died, and how to replay.
void report_failure(const FuzzTarget& target, const HealthResult& health) {
  std::fprintf(stderr, "failure: %s\n", health.failure.c_str());
  if (target.process && target.process->exit_info()) {
    std::fprintf(stderr, "sidecar output (tail):\n%s\n", target.process->output_tail().c_str());
  }
}

// Stops a sidecar we started; a non-zero exit (e.g. a LeakSanitizer report) is a failure.
bool stop_cleanly(FuzzTarget& target) {
  if (!target.process) return true;
  const bool crashed = !target.process->running();
  const ExitInfo exit = target.process->stop(std::chrono::milliseconds(10000));
  std::fprintf(stderr, "sidecar stopped: %s after %lld ms\n", describe_exit(exit).c_str(),
               static_cast<long long>(exit.stop_time.count()));
  if (!crashed && exit.exited && exit.code == 0) return true;
  if (!crashed) {
    std::fprintf(stderr, "failure: the sidecar did not exit 0 on SIGTERM; output (tail):\n%s\n",
                 target.process->output_tail().c_str());
  }
  return false;
}

int fuzz(const FuzzOptions& o, FuzzTarget& target) {
  HealthWatch watch(target, o.health_timeout, o.rss_growth_mib);
  const HealthResult first = watch.baseline();
  if (!first.ok) {
    std::fprintf(stderr, "flake-conform fuzz: the sidecar is not healthy before any burst: %s\n",
                 first.failure.c_str());
    return kExitUsage;
  }
  // The tls family joins the default set only when the run is over TLS.
  const std::span<const Family> families = !o.families.empty()
                                               ? std::span<const Family>(o.families)
                                               : (target.tls ? tls_families() : all_families());
  GenContext context;
  if (target.tls) {
    context.client_hello = capture_client_hello();
    if (context.client_hello.size() <= 9) {
      std::fprintf(stderr, "flake-conform fuzz: OpenSSL made no ClientHello to mutate\n");
      return kExitUsage;
    }
  }
  if (first.max_message_bytes > 0) context.max_message_bytes = first.max_message_bytes;
  context.ws_path = target.url.path;
  const ExecTarget exec = exec_target(target, o);
  std::fprintf(stderr,
               "flake-conform fuzz: %s%s%s, seed %llu, %ld s, maxMessageBytes %llu, RSS %s%s\n",
               target.text().c_str(), target.tls ? " over TLS" : "",
               target.description.empty() ? "" : (" (started: " + target.description + ")").c_str(),
               static_cast<unsigned long long>(o.seed), o.seconds,
               static_cast<unsigned long long>(context.max_message_bytes),
               target.pid ? mib(first.rss_kib).c_str() : "not watched (no pid)",
               target.pid ? (", bound " + mib(watch.bound_kib())).c_str() : "");

  const auto start = Clock::now();
  const Deadline end = start + std::chrono::seconds(o.seconds);
  std::uint64_t bursts = 0;
  std::uint64_t sent = 0;
  std::uint64_t conns = 0;
  long worst_ping = 0;
  std::uint64_t raw_tls_conns = 0;  // plain scripts that reached the TLS port
  std::uint64_t raw_tls_handshakes = 0;
  std::map<std::string, std::uint64_t> per_family;
  std::optional<HealthResult> failed;
  std::uint64_t index = o.first_burst;
  for (; Clock::now() < end && (!o.bursts || bursts < *o.bursts); ++index, ++bursts) {
    const Burst burst = generate_burst(o.seed, index, context, families);
    BurstOutcome outcome = run_burst(burst, exec, std::min(end, deadline_in(kBurstBudget)));
    const HealthResult health = watch.check();  // held connections still open
    release(outcome.held);
    sent += outcome.sent;
    conns += burst.conns.size();
    ++per_family[burst.family];
    for (std::size_t i = 0; i < outcome.conns.size(); ++i) {
      if (!burst.conns[i].plain || !target.tls) continue;
      raw_tls_conns += outcome.conns[i].connected ? 1 : 0;
      raw_tls_handshakes += static_cast<std::uint64_t>(outcome.conns[i].tls_handshakes);
    }
    worst_ping = std::max(worst_ping, health.ping_ms);
    std::fprintf(stderr, "burst %llu %-9s %zu conn, %s sent: %s",
                 static_cast<unsigned long long>(index), burst.family.c_str(), burst.conns.size(),
                 size_text(outcome.sent).c_str(),
                 health.ok ? ("ping " + std::to_string(health.ping_ms) + " ms").c_str() : "FAIL");
    if (health.rss_kib > 0) {
      std::fprintf(stderr, ", rss %s (%+ld KiB)", mib(health.rss_kib).c_str(),
                   health.rss_kib - watch.baseline_kib());
    }
    std::fputc('\n', stderr);
    if (!health.ok) {
      for (const ConnOutcome& c : outcome.conns) {
        std::fprintf(stderr, "  conn \"%s\": sent %s, %s\n", c.label.c_str(),
                     size_text(c.sent).c_str(), c.end.c_str());
      }
      Reproducer r;
      r.seed = o.seed;
      r.max_message_bytes = context.max_message_bytes;
      r.failure = health.failure;
      r.target = target.text();
      r.tls = target.tls;
      r.burst = burst;
      const std::string path =
          o.reproducer_out.empty()
              ? "netfuzz-repro-" + std::to_string(o.seed) + "-" + std::to_string(index) + ".json"
              : o.reproducer_out;
      std::string error;
      report_failure(target, health);
      if (write_reproducer(path, r, error)) {
        std::fprintf(
            stderr,
            "reproducer: %s\n  replay: flake-conform replay %s <URL|--spawn CMD|--reference>%s\n",
            path.c_str(), path.c_str(), target.tls ? " (over TLS: --tls or a wss:// URL)" : "");
      } else {
        std::fprintf(stderr, "flake-conform fuzz: %s\n", error.c_str());
      }
      failed = health;
      ++index;
      ++bursts;
      break;
    }
  }
  const bool stopped_ok = stop_cleanly(target);
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start);
  std::string family_counts;
  for (const auto& [name, count] : per_family)
    family_counts += " " + name + "=" + std::to_string(count);
  if (target.tls) {
    std::fprintf(stderr,
                 "tls family: %llu raw connections reached the TLS port, %llu script handshakes "
                 "completed\n",
                 static_cast<unsigned long long>(raw_tls_conns),
                 static_cast<unsigned long long>(raw_tls_handshakes));
  }
  std::fprintf(stderr,
               "\nsummary: %s (%llu..%llu) in %lld s, %s, %s sent; slowest "
               "health check %ld ms; RSS baseline %s, peak %s; families:%s\nresult: %s\n",
               counted(bursts, "burst").c_str(), static_cast<unsigned long long>(o.first_burst),
               static_cast<unsigned long long>(index == o.first_burst ? index : index - 1),
               static_cast<long long>(elapsed.count()), counted(conns, "connection").c_str(),
               size_text(sent).c_str(), worst_ping,
               target.pid ? mib(watch.baseline_kib()).c_str() : "-",
               target.pid ? mib(watch.peak_kib()).c_str() : "-", family_counts.c_str(),
               failed ? "FAILURE FOUND" : (stopped_ok ? "survived" : "FAILURE at shutdown"));
  return failed || !stopped_ok ? kExitFailure : 0;
}

int replay(const FuzzOptions& o, const Reproducer& r, FuzzTarget& target) {
  if (r.tls != target.tls) {
    std::fprintf(stderr,
                 "flake-conform replay: the burst was recorded over %s; replay it against a %s "
                 "target (%s)\n",
                 r.tls ? "TLS" : "plain text", r.tls ? "TLS" : "plain-text",
                 r.tls ? "--tls, or a wss:// URL with --tls-ca or --tls-fingerprint"
                       : "no --tls, a ws:// URL");
    return kExitUsage;
  }
  HealthWatch watch(target, o.health_timeout, o.rss_growth_mib);
  const HealthResult first = watch.baseline();
  if (!first.ok) {
    std::fprintf(stderr, "flake-conform replay: the sidecar is not healthy before the replay: %s\n",
                 first.failure.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr,
               "flake-conform replay: seed %llu burst %llu (%s, %s) against %s\n"
               "recorded failure: %s\n",
               static_cast<unsigned long long>(r.seed),
               static_cast<unsigned long long>(r.burst.index), r.burst.family.c_str(),
               counted(r.burst.conns.size(), "connection").c_str(), target.text().c_str(),
               r.failure.c_str());
  const ExecTarget exec = exec_target(target, o);
  HealthResult health;
  for (int i = 0; i < o.repeat; ++i) {
    BurstOutcome outcome = run_burst(r.burst, exec, deadline_in(kBurstBudget + o.timeout));
    health = watch.check();
    release(outcome.held);
    std::fprintf(stderr, "play %d: %s sent: %s\n", i + 1, size_text(outcome.sent).c_str(),
                 health.ok ? ("ping " + std::to_string(health.ping_ms) + " ms").c_str()
                           : health.failure.c_str());
    if (!health.ok) break;
  }
  if (!health.ok) report_failure(target, health);
  const bool stopped_ok = stop_cleanly(target);
  const bool reproduced = !health.ok || !stopped_ok;
  std::fprintf(stderr, "result: %s\n", reproduced ? "REPRODUCED" : "did not reproduce");
  return reproduced ? kExitFailure : 0;
}

}  // namespace

int netfuzz_main(int argc, char** argv, const std::string& default_sidecar_bin) {
  const ParsedFuzzOptions parsed = parse_fuzz_options(argc, argv, default_sidecar_bin);
  const FuzzOptions& o = parsed.options;
  if (o.help) {
    std::fputs((o.replay ? replay_usage(o.sidecar_bin) : fuzz_usage(o.sidecar_bin)).c_str(),
               stdout);
    return 0;
  }
  const char* name = o.replay ? "replay" : "fuzz";
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "flake-conform %s: %s\n(see flake-conform %s --help)\n", name,
                 parsed.error.c_str(), name);
    return kExitUsage;
  }
  std::string error;
  std::optional<Reproducer> reproducer;
  if (o.replay) {
    reproducer = read_reproducer(o.reproducer_in, error);
    if (!reproducer) {
      std::fprintf(stderr, "flake-conform replay: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  FuzzTarget target;
  if (!open_target(o, target, error)) {
    std::fprintf(stderr, "flake-conform %s: %s\n", name, error.c_str());
    return kExitUsage;
  }
  return o.replay ? replay(o, *reproducer, target) : fuzz(o, target);
}

}  // namespace flake::conform::netfuzz
