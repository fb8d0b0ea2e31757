// Closed loop: every answer frees a slot that is refilled at once, so the target sets the pace.
// Also the connect+auth round trip, which is a closed loop of one.
#include "bench/load/connections.hpp"
#include "bench/load/proc_stats.hpp"

namespace flake::bench {
namespace {

constexpr std::int64_t kIdBase = 1'000'000;  // above the ids of the setup calls

std::uint64_t ns_since(Clock::time_point a, Clock::time_point b) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

std::string ping_request(std::int64_t id) {
  std::string r = "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\",\"id\":";
  r.append(std::to_string(id)).push_back('}');
  return r;
}

std::chrono::seconds run_limit(std::uint64_t requests) {
  return std::chrono::seconds(30 + static_cast<long long>(requests / 2000));
}

}  // namespace

std::optional<double> cpu_seconds(const BenchTarget& t) {
  if (t.cpu_clock) return clock_cpu_seconds(*t.cpu_clock);
  const auto s = sample_process(t.pid);
  return s ? std::optional<double>(s->cpu_seconds) : std::nullopt;
}

LatencyRun closed_loop(const BenchTarget& t, unsigned connections, unsigned window,
                       std::uint64_t requests, bool quiet) {
  LatencyRun run;
  const Deadline setup = conform::deadline_in(std::chrono::milliseconds(10000));
  ConnSet conns = open_connections(t, connections, setup, run.error);
  if (conns.empty()) return run;
  struct Slot {
    std::uint64_t quota = 0, sent = 0, done = 0;
    std::vector<Clock::time_point> sent_at;
  };
  std::vector<Slot> slots(conns.size());
  for (std::size_t i = 0; i < conns.size(); ++i) {
    slots[i].quota = requests / conns.size() + (i < requests % conns.size() ? 1 : 0);
    slots[i].sent_at.resize(slots[i].quota);
  }
  const auto before = cpu_seconds(t);
  Progress progress(
      quiet, t.name + " ping C=" + std::to_string(connections) + " W=" + std::to_string(window),
      requests);
  const auto refill = [&](std::size_t i) {
    Slot& s = slots[i];
    while (s.sent < s.quota && s.sent - s.done < window) {
      s.sent_at[s.sent] = Clock::now();
      conns[i]->queue_text(ping_request(kIdBase + static_cast<std::int64_t>(s.sent)));
      ++s.sent;
    }
    return conns[i]->flush();
  };
  const auto start = Clock::now();
  const Deadline end = start + run_limit(requests);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    if (!refill(i)) run.error = conns[i]->error();
  }
  while (run.error.empty() && run.completed < requests) {
    if (Clock::now() > end) {
      run.error = "run deadline passed with " + std::to_string(run.completed) + " answers";
      break;
    }
    for (const std::size_t i : poll_ready(conns, 100'000'000)) {
      Slot& s = slots[i];
      const bool ok = conns[i]->read_frames([&](const WireFrame& f) {
        const std::int64_t k = scan_id(f.payload) - kIdBase;
        if (k < 0 || static_cast<std::uint64_t>(k) >= s.sent) return;  // not one of ours
        run.latency_ns.record(ns_since(s.sent_at[static_cast<std::size_t>(k)], Clock::now()));
        ++s.done;
        ++run.completed;
      });
      if (!ok || !refill(i)) {
        run.error = conns[i]->error();
        break;
      }
    }
    progress.tick(run.completed);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto after = cpu_seconds(t);
  if (before && after) run.cpu_seconds = *after - *before;
  progress.finish(run.error.empty()
                      ? std::to_string(static_cast<long long>(run.per_second())) + " req/s"
                      : run.error);
  return run;
}

LatencyRun connect_auth(const BenchTarget& t, unsigned count, bool quiet) {
  LatencyRun run;
  Progress progress(quiet, t.name + " connect+auth", count);
  const auto start = Clock::now();
  for (unsigned i = 0; i < count && run.error.empty(); ++i) {
    const auto t0 = Clock::now();
    BenchConn c;
    std::string error;
    const Deadline deadline = conform::deadline_in(std::chrono::milliseconds(5000));
    if (!c.open(t.url, deadline, error) || !c.authenticate(t.token, deadline, error)) {
      run.error = error;
      break;
    }
    run.latency_ns.record(ns_since(t0, Clock::now()));
    ++run.completed;
    c.close();
    progress.tick(run.completed);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.finish(run.error.empty() ? "done" : run.error);
  return run;
}

}  // namespace flake::bench
