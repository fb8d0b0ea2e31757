// The measurements flake-bench runs against one target (a sidecar or the floor server). Each is a
// bounded run with a deadline; failures come back as text, never as a hang.
#pragma once

#include "bench/load/bench_conn.hpp"
#include "bench/load/histogram.hpp"

#include <sys/types.h>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>

namespace flake::bench {

struct BenchTarget {
  conform::Url url;
  std::string token;
  std::string name;  // "reference", "sidecar", "floor": for progress lines
  pid_t pid = -1;    // for /proc figures; -1 when unknown
  // A serving thread's CPU clock (the floor's, FloorServer::cpu_clock): its CPU time replaces the
  // process's, which for the floor would be flake-bench's own client as well.
  std::optional<clockid_t> cpu_clock;
};

// The target's CPU seconds so far: its cpu_clock to the nanosecond when it has one, else its
// process's user + system time from /proc (in clock ticks); nullopt when neither can be read.
std::optional<double> cpu_seconds(const BenchTarget& t);

// Progress on stderr, at most about once a second per run.
class Progress {
 public:
  Progress(bool quiet, std::string label, std::uint64_t total);
  void tick(std::uint64_t done);
  void finish(const std::string& summary);

 private:
  bool quiet_;
  std::string label_;
  std::uint64_t total_;
  Clock::time_point start_, last_;
};

struct LatencyRun {
  Histogram latency_ns;
  std::uint64_t completed = 0;
  double seconds = 0;
  double cpu_seconds = -1;  // the target's (cpu_seconds(BenchTarget)) over the run, when known
  std::string error;
  double per_second() const { return seconds > 0 ? completed / seconds : 0; }
};

// C connections, each keeping W system.ping requests in flight, N requests in all.
LatencyRun closed_loop(const BenchTarget& t, unsigned connections, unsigned window,
                       std::uint64_t requests, bool quiet);
// N requests at `rate` per second spread over C connections; latency counts from each request's
// intended send time, so a stalled server is charged for the queue it causes.
LatencyRun open_loop(const BenchTarget& t, unsigned connections, double rate,
                     std::uint64_t requests, bool quiet);
// `count` sequential TCP connect + upgrade + auth.authenticate round trips.
LatencyRun connect_auth(const BenchTarget& t, unsigned count, bool quiet);

struct StreamRun {
  std::uint64_t entries = 0;
  std::uint64_t notifications = 0;
  double seconds = 0;
  double start_rss_mib = -1;  // before the run's connections opened
  double peak_rss_mib = -1;
  std::string error;
  double per_second() const { return seconds > 0 ? entries / seconds : 0; }
};
// One subscriber; test.emitLogs of `entries` entries, 100 per notification, on its connection.
StreamRun log_stream(const BenchTarget& t, std::uint64_t entries, bool quiet);
// `connections` subscribers of one service, each receiving `entries`; RSS sampled throughout.
StreamRun fan_out(const BenchTarget& t, unsigned connections, std::uint64_t entries, bool quiet);

struct LargeRun {
  std::uint64_t payload_bytes = 0;  // the metadata's "bytes"
  std::uint64_t wire_bytes = 0;     // all data.chunk messages
  std::uint64_t entries = 0;
  unsigned chunks = 0;
  double seconds = 0;
  std::string error;
  double mb_per_second() const { return seconds > 0 ? payload_bytes / seconds / 1e6 : 0; }
};
// Fills the history with `entries` test entries (sidecars only), then logs.getLarge msgpack,
// uncompressed; time from the request to the last chunk.
LargeRun get_large(const BenchTarget& t, std::uint64_t entries, unsigned repeats, bool quiet);

}  // namespace flake::bench
