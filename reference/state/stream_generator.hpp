// Deterministic content of live notifications (logs, metrics, deployments): the same seed and
// counters always give the same bytes, so tests, replays and benchmarks can compare exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/codec/json.hpp"

namespace flake {

struct LogEntry {
  int64_t ts = 0;  // ms since the epoch
  int level = 0;   // 0 debug, 1 info, 2 warn, 3 error
  uint64_t n = 0;  // the generator's entry counter (1, 2, ...); selects message and source
  std::string_view service;  // not owned: must outlive the entry (fixture service names do)
};

class LogGenerator {
 public:
  explicit LogGenerator(uint64_t seed = 1);

  // The next entry: n counts up from 1 over all services; the level is a fixed function of
  // (seed, n), about 15 % debug, 65 % info, 14 % warn, 6 % error.
  LogEntry next(std::string_view service, int64_t now_ms);

  // Appends {"ts":..,"level":"info","message":"...","source":"<service>/<component>"} to `out`.
  // The message comes from fixed per-level templates filled with numbers derived from n, so it is
  // JSON-safe by construction; only the service name is escaped. No allocation beyond out's growth.
  static void append_json(std::string& out, const LogEntry& entry);

 private:
  uint64_t seed_key_;
  uint64_t counter_ = 0;
};

// {"cpu":<percent>,"memoryMb":<int>,"requestsPerSec":..,"errorRate":<0..1>,"ts":now_ms}: a
// per-service baseline plus a 60-sample wave and noise, a fixed function of the inputs. cpu and
// requestsPerSec move in steps of 0.1, errorRate in steps of 0.0001.
JsonPtr make_metrics(std::string_view service, uint64_t n, int64_t now_ms);

// {"id":"dpl_...","project":..,"state":"READY"|..,"url":"https://...","createdAt":now_ms}, a fixed
// function of the inputs; project is one of the vercel fixture's project names.
JsonPtr make_deployment_event(uint64_t n, int64_t now_ms);

}  // namespace flake
