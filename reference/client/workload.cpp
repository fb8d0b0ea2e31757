// §13.3 step by step, each step after the previous one ended. Waits poll the stop flag so SIGTERM
// ends the driver promptly whatever it is waiting for.
#include "reference/client/workload.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace flake::client {
namespace {

using namespace std::chrono_literals;

// Waits for `f`; false when the driver is told to stop first.
template <typename T>
bool wait(std::future<T>& f, const std::atomic<bool>& stop) {
  while (f.wait_for(20ms) != std::future_status::ready) {
    if (stop.load()) return false;
  }
  return true;
}

void pause(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        5ms, until - std::chrono::steady_clock::now()));
}

std::string service_params(const std::string& service) {
  return R"({"service":")" + service + R"("})";
}

void report_call(LinePrinter& out, const CallResult& r) {
  Event e{EventKind::kCall};
  e.method = r.method;
  e.outcome = std::string(outcome_name(r.outcome));
  if (r.outcome == Outcome::kError && r.error) e.code = r.error->code;
  out.print(e);
}

// Step 3: a subscription the client keeps; made again if the connection ended before it answered.
bool subscribe(Client& client, const std::string& method, const std::string& service,
               const std::atomic<bool>& stop) {
  while (!stop.load() && !client.gave_up()) {
    auto f = client.subscribe(method, service_params(service));
    if (!wait(f, stop)) return false;
    const CallResult r = f.get();
    if (r.outcome != Outcome::kTransport && r.outcome != Outcome::kTimeout) return true;
  }
  return false;
}

}  // namespace

void LinePrinter::print(const Event& e) {
  const std::string line = to_json_line(e) + "\n";
  std::lock_guard lock(mu_);
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

void run_workload(Client& client, const ClientConfig& config, LinePrinter& out,
                  const std::atomic<bool>& stop) {
  const std::string& s = config.service_s;
  const std::string& t = config.service_t;
  // Step 3.
  if (!subscribe(client, "logs.subscribe", s, stop)) return;
  if (!subscribe(client, "metrics.subscribe", s, stop)) return;
  // Step 4.
  auto batch =
      client.batch({{"system.ping", ""}, {s + ".getDashboard", ""}, {t + ".getDashboard", ""}});
  if (!wait(batch, stop)) return;
  for (const CallResult& r : batch.get()) report_call(out, r);
  // Step 5.
  const std::string exports[] = {
      R"({"service":")" + s + R"(","timeRange":"1h","format":"json"})",
      R"({"service":")" + s + R"(","timeRange":"1h","format":"msgpack"})",
      R"({"service":")" + s + R"(","timeRange":"1h","format":"msgpack","compress":true})",
  };
  const char* formats[] = {"json", "msgpack", "msgpack"};
  for (int i = 0; i < 3; ++i) {
    auto f = client.get_large(exports[i]);
    if (!wait(f, stop)) return;
    const LargeResult r = f.get();
    Event e{EventKind::kLarge};
    e.format = formats[i];
    e.compressed = i == 2;
    e.outcome = r.verified ? "verified" : "rejected";
    if (r.verified) e.entries = r.entry_count();
    if (!r.verified) std::fprintf(stderr, "large %s rejected: %s\n", formats[i], r.reason.c_str());
    out.print(e);
  }
  // Step 6: S, T, S, ... one at a time, each starting an interval after the previous ended.
  for (uint64_t i = 0; !stop.load(); ++i) {
    if (client.gave_up()) {
      pause(100ms, stop);  // §7.7: disconnected for good; wait to be stopped
      continue;
    }
    auto f = client.call((i % 2 == 0 ? s : t) + ".getDashboard");
    if (!wait(f, stop)) return;
    const CallResult r = f.get();
    if (!(r.outcome == Outcome::kTransport && client.gave_up())) report_call(out, r);
    pause(config.call_interval, stop);
  }
}

}  // namespace flake::client
