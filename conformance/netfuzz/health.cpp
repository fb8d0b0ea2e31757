// Health check of the network fuzzer (health.hpp). Connection attempts are repeated until
// the deadline, so a sidecar that is briefly busy (or still closing the burst's connections
// against its connection cap) is not mistaken for a dead one.
#include "conformance/netfuzz/health.hpp"

#include "conformance/client/rpc_client.hpp"
#include "conformance/client/sidecar_process.hpp"

#include <thread>

namespace flake::conform::netfuzz {

std::string describe_exit(const ExitInfo& exit) {
  return exit.exited ? "exit status " + std::to_string(exit.code)
                     : "killed by signal " + std::to_string(exit.signal);
}

bool HealthWatch::alive(HealthResult& result) {
  if (!target_.process || target_.process->running()) return true;
  const auto exit = target_.process->exit_info();
  result.ok = false;
  result.failure = "the sidecar exited (" + (exit ? describe_exit(*exit) : std::string("?")) + ")";
  return false;
}

HealthResult HealthWatch::check() {
  HealthResult result;
  if (!alive(result)) return result;
  const auto start = Clock::now();
  const Deadline deadline = start + timeout_;
  std::string last_error = "no attempt";
  while (Clock::now() < deadline) {
    const auto left = [&] {
      return std::max(
          std::chrono::milliseconds(1),
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    };
    RpcClient rpc;
    ConnectOptions options;
    options.timeout = left();
    const ConnectResult connected = rpc.connect(target_.url, options);
    if (!connected.upgraded) {
      last_error = "upgrade: " + (connected.status != 0 ? "HTTP " + std::to_string(connected.status)
                                                        : connected.error);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const Incoming auth = rpc.authenticate(target_.token, client_info(), left());
    if (!auth.is_value() || !auth.value.contains("result")) {
      last_error = "auth.authenticate: " + auth.describe();
      if (auth.is_value()) break;  // an error answer will not change by retrying
      continue;
    }
    const json& caps = auth.value["result"].value("capabilities", json::object());
    if (caps.is_object() && caps.contains("maxMessageBytes") &&
        caps["maxMessageBytes"].is_number_unsigned()) {
      result.max_message_bytes = caps["maxMessageBytes"].get<std::uint64_t>();
    }
    const Incoming ping = rpc.call("system.ping", nullptr, left());
    if (!ping.is_value() || !ping.value.contains("result") ||
        !ping.value["result"].contains("now") || !ping.value["result"]["now"].is_number_integer()) {
      last_error = "system.ping: " + ping.describe();
      if (ping.is_value()) break;
      continue;
    }
    result.ok = true;
    result.ping_ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    rpc.ws().close(1000, deadline_in(std::chrono::milliseconds(200)));
    break;
  }
  if (!result.ok) {
    result.failure = "no system.ping answer on a fresh authenticated connection within " +
                     std::to_string(timeout_.count()) + " ms (" + last_error + ")";
    alive(result);  // a crash explains it better
    return result;
  }
  if (!alive(result)) return result;
  if (target_.pid) {
    result.rss_kib = process_rss_kib(*target_.pid);
    if (result.rss_kib == 0) {
      result.ok = false;
      result.failure = "cannot read VmRSS of pid " + std::to_string(*target_.pid);
      return result;
    }
    peak_kib_ = std::max(peak_kib_, result.rss_kib);
    if (baseline_kib_ > 0 && result.rss_kib > bound_kib()) {
      result.ok = false;
      result.failure = "VmRSS " + std::to_string(result.rss_kib / 1024) +
                       " MiB is over the bound " + std::to_string(bound_kib() / 1024) +
                       " MiB (baseline " + std::to_string(baseline_kib_ / 1024) + " MiB + " +
                       std::to_string(growth_kib_ / 1024) + " MiB)";
    }
  }
  return result;
}

HealthResult HealthWatch::baseline() {
  HealthResult result = check();
  if (result.ok) baseline_kib_ = result.rss_kib;
  return result;
}

}  // namespace flake::conform::netfuzz
