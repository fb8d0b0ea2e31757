// SSE formatting (docs/protocol.md §9.12-§9.13): rendering one event ("event:", "id:", "data:"
// with the notification's params), padding it for lws and keeping it in the endpoint's replay ring,
// with no reader attached, so the figure is the formatting cost alone.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench/micro/bench_payloads.hpp"
#include "reference/http/sse_stream.hpp"
#include "reference/state/notifier.hpp"
#include "reference/state/server_state.hpp"

namespace {

using namespace flake;

// The params tail sse_publish_logs builds: ,"entries":[...] of `count` test.emitLogs entries.
std::string log_fields(const ServerState& state, uint64_t count) {
  const EntryRun run = test_entries(state, 0, count);
  std::string fields = R"(,"entries":[)";
  for (size_t i = 0; i < run.size(); ++i) {
    const uint32_t from = i == 0 ? 0 : run.ends[i - 1];
    if (i != 0) fields += ',';
    fields.append(run.text, from, run.ends[i] - from);
  }
  fields += ']';
  return fields;
}

void BM_SseLogEvent(benchmark::State& st) {
  Options o;
  o.fixtures_dir = FLAKE_BENCH_FIXTURES;
  const ServerState state(std::move(o), bench::load_fixtures(), "bench-token");
  const std::string fields = log_fields(state, static_cast<uint64_t>(st.range(0)));
  SseEndpoint endpoint("/api/v1/stream/logs/vercel", "logs.update", 10000, 4u << 20);
  for (auto _ : st) endpoint.publish("vercel", fields, 1u << 20);
  st.SetItemsProcessed(st.iterations() * st.range(0));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(fields.size() + 96));
  st.counters["event_bytes"] = static_cast<double>(fields.size() + 96);
}
BENCHMARK(BM_SseLogEvent)->Arg(1)->Arg(100);

void BM_SseMetricsEvent(benchmark::State& st) {
  const std::string fields =
      R"(,"metrics":{"cpu":0.42,"memory":0.61,"requests":1234,"errors":3,"latencyMs":87.5})";
  SseEndpoint endpoint("/api/v1/stream/metrics", "metrics.update", 10000, 4u << 20);
  for (auto _ : st) endpoint.publish("vercel", fields, 1u << 20);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_SseMetricsEvent);

}  // namespace
