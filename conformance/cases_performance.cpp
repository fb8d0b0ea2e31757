// §10 PERF bars, measured as §10.3-10.7 describe: ping round trip (P1), request throughput
// (P2), log delivery (P3), connect + authenticate (P4) and RSS while under load (P5).
#include "case_util.hpp"
#include "cases.hpp"
#include "sidecar_process.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace flake::conform {
namespace {

using Ms = std::chrono::duration<double, std::milli>;

double nearest_rank(std::vector<double> samples, double percentile) {
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(
      std::max(1.0, std::ceil(percentile / 100.0 * static_cast<double>(samples.size()))));
  return samples[std::min(rank, samples.size()) - 1];
}

void warm_up(CaseContext& ctx, RpcClient& rpc) {
  for (int i = 0; i < 200; ++i) ctx.call_result(rpc, "system.ping", nullptr);
}

void ping_round_trips(CaseContext& ctx, int count, std::vector<double>* samples) {
  auto rpc = ctx.connect_authenticated();
  warm_up(ctx, *rpc);
  for (int i = 0; i < count; ++i) {
    const json id = i;
    const auto start = Clock::now();
    rpc->ws().send_text(make_request("system.ping", nullptr, id).dump());
    require_result(rpc->wait_for_id(id, ctx.deadline()), id, "system.ping round trip");
    if (samples) samples->push_back(Ms(Clock::now() - start).count());
  }
}

// P2 procedure: `total` pings, at most 32 unanswered; returns requests per second.
double throughput(CaseContext& ctx, int total) {
  auto warm = ctx.connect_authenticated();
  warm_up(ctx, *warm);
  auto rpc = ctx.connect_authenticated();
  std::vector<char> answered(static_cast<std::size_t>(total), 0);
  int sent = 0;
  int received = 0;
  const auto start = Clock::now();
  while (received < total) {
    while (sent < total && sent - received < 32) {
      rpc->ws().send_text(make_request("system.ping", nullptr, sent).dump());
      ++sent;
    }
    const Incoming in = rpc->receive(ctx.deadline());
    const json& r = require_value(in, "answers to all pipelined requests");
    if (is_notification(r)) continue;
    require(r.is_object() && r.contains("result") && r["id"].is_number_integer(),
            "a result for every request", show(r));
    const int id = r["id"];
    require(id >= 0 && id < total && answered[static_cast<std::size_t>(id)] == 0,
            "each request answered exactly once", "id " + std::to_string(id) + " again or unknown");
    answered[static_cast<std::size_t>(id)] = 1;
    ++received;
  }
  return total / std::chrono::duration<double>(Clock::now() - start).count();
}

// P3 procedure: entries per second to one subscriber; all entries once, contiguous seq.
double log_delivery(CaseContext& ctx, int count) {
  auto rpc = ctx.connect_authenticated();
  ctx.call_result(*rpc, "logs.subscribe", {{"service", "vercel"}});
  SeqCollector c;
  while (!rpc->notifications().empty()) {
    c.add(rpc->notifications().front());
    rpc->notifications().pop_front();
  }
  const json id = "emit";
  const auto start = Clock::now();
  rpc->send(make_request("test.emitLogs", {{"service", "vercel"}, {"count", count}, {"perNotification", 10}}, id));
  for (;;) {
    const Incoming in = rpc->receive(ctx.deadline());
    const json& v = require_value(in, "logs.update notifications, then the test.emitLogs response");
    if (is_notification(v)) {
      c.add(v);
      continue;
    }
    unimplemented_if_missing(in, "test.emitLogs");
    require(v.value("id", json()) == id && v.contains("result"), "the test.emitLogs result", show(v));
    break;
  }
  const double rate = count / std::chrono::duration<double>(Clock::now() - start).count();
  require(c.problem.empty(), "contiguous seq, no empty notification (P7)", c.problem);
  require(c.has_all_entries(count), "every emitted entry before the response (P7)",
          std::to_string(c.test_entries()) + " of " + std::to_string(count));
  for (const auto& [n, times] : c.entries_by_n) {
    require(times == 1, "each entry exactly once (P7)", "entry " + std::to_string(n) + " " +
                                                            std::to_string(times) + " times");
  }
  return rate;
}

std::vector<double> connect_times(CaseContext& ctx, int count) {
  std::vector<double> samples;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    auto rpc = ctx.connect_authenticated();
    samples.push_back(Ms(Clock::now() - start).count());
    rpc->ws().close(1000, ctx.deadline_after(std::chrono::milliseconds(500)));
  }
  return samples;
}

Outcome p1(CaseContext& ctx) {
  std::vector<double> samples;
  ping_round_trips(ctx, 1000, &samples);
  const double p99 = nearest_rank(samples, 99);
  ctx.log().note("ping p50 " + fmt(nearest_rank(samples, 50)) + " ms, p99 " + fmt(p99) + " ms");
  require(p99 < 10.0, "system.ping round trip p99 < 10 ms", "p99 " + fmt(p99) + " ms");
  return pass("p99 " + fmt(p99) + " ms");
}

Outcome p2(CaseContext& ctx) {
  const double rate = throughput(ctx, 20000);
  ctx.log().note(fmt(rate) + " requests/s");
  require(rate > 1000, "more than 1,000 requests answered per second", fmt(rate) + " requests/s");
  return pass(fmt(rate) + " requests/s");
}

Outcome p3(CaseContext& ctx) {
  const double rate = log_delivery(ctx, 20000);
  ctx.log().note(fmt(rate) + " entries/s");
  require(rate > 1000, "more than 1,000 log entries per second to one subscriber",
          fmt(rate) + " entries/s");
  return pass(fmt(rate) + " entries/s");
}

Outcome p4(CaseContext& ctx) {
  const std::vector<double> samples = connect_times(ctx, 100);
  const double p99 = nearest_rank(samples, 99);
  ctx.log().note("connect+auth p50 " + fmt(nearest_rank(samples, 50)) + " ms, p99 " + fmt(p99) + " ms");
  require(p99 < 100.0, "connection + authentication p99 < 100 ms", "p99 " + fmt(p99) + " ms");
  return pass("p99 " + fmt(p99) + " ms");
}

Outcome p5(CaseContext& ctx) {
  SidecarProcess* process = ctx.target().process;
  if (process == nullptr) skip_case("needs a sidecar started by the harness to read its RSS");
  std::atomic<bool> stop{false};
  std::atomic<long> peak{process->rss_kib()};
  std::thread sampler([&] {
    while (!stop.load()) {
      const long kib = process->rss_kib();
      if (kib > peak.load()) peak.store(kib);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop.store(true);
      t.join();
    }
  } join{stop, sampler};
  ping_round_trips(ctx, 1000, nullptr);
  throughput(ctx, 20000);
  log_delivery(ctx, 20000);
  connect_times(ctx, 100);
  const double mib = static_cast<double>(peak.load()) / 1024.0;
  ctx.log().note("peak RSS " + fmt(mib) + " MiB");
  require(peak.load() > 0, "a readable RSS", "0");
  require(mib < 50.0, "sidecar RSS < 50 MiB while P1-P4 run", "peak " + fmt(mib) + " MiB");
  return pass("peak RSS " + fmt(mib) + " MiB");
}

}  // namespace

void add_performance_cases(Catalog& c) {
  c.add({"10.3/1", Tier::Perf, Group::Performance,
         "P1: system.ping round trip p99 < 10 ms over 1,000 sequential requests.", p1,
         std::chrono::milliseconds(30000)});
  c.add({"10.4/1", Tier::Perf, Group::Performance,
         "P2: more than 1,000 requests answered per second on one connection (20,000, 32 in flight).",
         p2, std::chrono::milliseconds(60000)});
  c.add({"10.5/1", Tier::Perf, Group::Performance,
         "P3: more than 1,000 log entries per second delivered to one subscriber, none lost.", p3,
         std::chrono::milliseconds(60000)});
  c.add({"10.6/1", Tier::Perf, Group::Performance,
         "P4: connection + authentication p99 < 100 ms over 100 connections.", p4,
         std::chrono::milliseconds(30000)});
  c.add({"10.7/1", Tier::Perf, Group::Performance,
         "P5: sidecar RSS < 50 MiB while P1-P4 run (sampled every 50 ms).", p5,
         std::chrono::milliseconds(120000)});
}

}  // namespace flake::conform
