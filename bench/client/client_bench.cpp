// flake-client-bench: the browser benchmark's procedures (reference/tests/browser-client/bench.mjs)
// run by the C++ reference client against a sidecar started with --conformance --rate 0, so that
// the browser's figures have native ones beside them from the same machine and run. Prints one
// JSON object; asserts no speed.
#include "reference/client/client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <string>
#include <vector>

namespace {

using flake::client::CallResult;
using flake::client::Client;
using flake::client::Outcome;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

bool ok(const CallResult& r, const char* what) {
  if (r.outcome == Outcome::kResult) return true;
  std::fprintf(
      stderr, "flake-client-bench: %s: %s%s\n", what,
      std::string(flake::client::outcome_name(r.outcome)).c_str(),
      r.error ? (" " + std::to_string(r.error->code) + " " + r.error->message).c_str() : "");
  return false;
}

double rank(const std::vector<double>& sorted, double p) {
  const auto i = static_cast<size_t>(std::max(0.0, p / 100.0 * sorted.size() - 1e-9));
  return sorted[std::min(i, sorted.size() - 1)];
}

std::string number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(
        stderr,
        "usage: flake-client-bench URL TOKEN\n"
        "  against a sidecar started with --conformance --rate 0 (the browser benchmark's\n"
        "  procedures: ping round trip and throughput, log delivery, verified exports)\n");
    return 2;
  }
  flake::client::ClientConfig config;
  config.url = argv[1];
  config.token = argv[2];
  config.call_timeout = std::chrono::milliseconds(30000);
  // Log delivery is counted from the client's own notification events, on its I/O thread.
  std::atomic<uint64_t> log_updates{0};
  Client client(config, {}, [&](const flake::client::Event& e) {
    if (e.kind == flake::client::EventKind::kNotification && e.method == "logs.update")
      ++log_updates;
  });
  client.start();

  for (int i = 0; i < 200; ++i) {  // warm-up (§10.1)
    if (!ok(client.call("system.ping").get(), "warm-up system.ping")) return 1;
  }
  std::vector<double> samples;
  for (int i = 0; i < 2000; ++i) {
    const auto t0 = Clock::now();
    if (!ok(client.call("system.ping").get(), "system.ping")) return 1;
    samples.push_back(ms_since(t0));
  }
  std::sort(samples.begin(), samples.end());

  // 20,000 pings, at most 32 unanswered (§10.4).
  constexpr int kTotal = 20000;
  std::deque<std::future<CallResult>> in_flight;
  const auto t1 = Clock::now();
  for (int sent = 0; sent < kTotal || !in_flight.empty();) {
    while (sent < kTotal && in_flight.size() < 32) {
      in_flight.push_back(client.call("system.ping"));
      ++sent;
    }
    if (!ok(in_flight.front().get(), "pipelined system.ping")) return 1;
    in_flight.pop_front();
  }
  const double throughput = kTotal / (ms_since(t1) / 1000.0);

  // 20,000 entries in notifications of 10 to one subscriber; test.emitLogs answers after its last
  // notification on this connection (§11.2).
  if (!ok(client.subscribe("logs.subscribe", R"({"service":"vercel"})").get(), "logs.subscribe"))
    return 1;
  const auto t2 = Clock::now();
  if (!ok(client.call("test.emitLogs", R"({"service":"vercel","count":20000,"perNotification":10})")
              .get(),
          "test.emitLogs"))
    return 1;
  const double log_seconds = ms_since(t2) / 1000.0;
  const uint64_t received = log_updates.load() * 10;

  if (!ok(client.call("test.emitLogs", R"({"service":"aws","count":140000,"perNotification":1000})")
              .get(),
          "test.emitLogs for the export"))
    return 1;
  std::string exports;
  const std::pair<const char*, const char*> formats[] = {
      {"json", R"("format":"json")"},
      {"msgpack", R"("format":"msgpack")"},
      {"msgpack+compress", R"("format":"msgpack","compress":true)"}};
  for (const auto& [name, format] : formats) {
    const std::string params = std::string(R"({"service":"aws","timeRange":"1h",)") + format + "}";
    client.get_large(params).get();  // warm-up
    const auto t0 = Clock::now();
    const flake::client::LargeResult r = client.get_large(params).get();
    const double seconds = ms_since(t0) / 1000.0;
    if (!r.verified) {
      std::fprintf(stderr, "flake-client-bench: %s export not verified: %s\n", name,
                   r.reason.c_str());
      return 1;
    }
    exports += std::string(exports.empty() ? "" : ",") + "\"" + name +
               "\":{\"entries\":" + std::to_string(r.entry_count()) +
               ",\"seconds\":" + number(seconds) + "}";
  }
  client.stop();

  std::printf(
      "{\"pingP50Ms\":%s,\"pingP99Ms\":%s,\"throughput\":%s,\"logsPerSecond\":%s,"
      "\"logsReceived\":%llu,\"exports\":{%s}}\n",
      number(rank(samples, 50)).c_str(), number(rank(samples, 99)).c_str(),
      number(throughput).c_str(), number(20000 / log_seconds).c_str(),
      static_cast<unsigned long long>(received), exports.c_str());
  return 0;
}
