// Open loop (as wrk2 does it): request k of connection j is due at start + (k·C + j)/rate whether
// or not earlier answers came back, and its latency counts from that due time. A server that
// stalls is thus charged for every request that waited behind the stall (no coordinated omission).
#include "bench/load/connections.hpp"

namespace flake::bench {
namespace {

constexpr std::int64_t kIdBase = 1'000'000;

}  // namespace

LatencyRun open_loop(const BenchTarget& t, unsigned connections, double rate,
                     std::uint64_t requests, bool quiet) {
  LatencyRun run;
  if (rate <= 0) {
    run.error = "open loop needs a rate above 0";
    return run;
  }
  const Deadline setup = conform::deadline_in(std::chrono::milliseconds(10000));
  ConnSet conns = open_connections(t, connections, setup, run.error);
  if (conns.empty()) return run;
  const double interval_ns = 1e9 / rate;
  const std::size_t c = conns.size();
  std::vector<std::uint64_t> next(c, 0), quota(c, 0);
  for (std::size_t j = 0; j < c; ++j) quota[j] = requests / c + (j < requests % c ? 1 : 0);
  Progress progress(
      quiet, t.name + " open loop " + std::to_string(static_cast<long long>(rate)) + " req/s",
      requests);
  const auto start = Clock::now() + std::chrono::milliseconds(1);
  // Due time of request k on connection j, in ns after start.
  const auto due_ns = [&](std::size_t j, std::uint64_t k) {
    return static_cast<long long>((static_cast<double>(k) * c + static_cast<double>(j)) *
                                  interval_ns);
  };
  const auto limit =
      std::chrono::nanoseconds(due_ns(0, requests / c + 1)) + std::chrono::seconds(30);
  while (run.error.empty() && run.completed < requests) {
    const auto now = Clock::now();
    if (now - start > limit) {
      run.error = "run deadline passed with " + std::to_string(run.completed) + " answers";
      break;
    }
    const long long elapsed =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count();
    long long wait = 100'000'000;
    for (std::size_t j = 0; j < c; ++j) {
      while (next[j] < quota[j] && due_ns(j, next[j]) <= elapsed) {
        // The request's number on its connection doubles as its id, so its due time is known.
        std::string r = "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\",\"id\":";
        r.append(std::to_string(kIdBase + static_cast<std::int64_t>(next[j]))).push_back('}');
        conns[j]->queue_text(r);
        ++next[j];
      }
      if (!conns[j]->flush()) run.error = conns[j]->error();
      if (next[j] < quota[j]) wait = std::min(wait, due_ns(j, next[j]) - elapsed);
    }
    for (const std::size_t j : poll_ready(conns, wait)) {
      const bool ok = conns[j]->read_frames([&](const WireFrame& f) {
        const std::int64_t k = scan_id(f.payload) - kIdBase;
        if (k < 0 || static_cast<std::uint64_t>(k) >= next[j]) return;
        const auto received =
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        run.latency_ns.record(static_cast<std::uint64_t>(
            std::max(0LL, received - due_ns(j, static_cast<std::uint64_t>(k)))));
        ++run.completed;
      });
      if (!ok || !conns[j]->flush()) run.error = conns[j]->error();
    }
    progress.tick(run.completed);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.finish(run.error.empty() ? "done" : run.error);
  return run;
}

}  // namespace flake::bench
