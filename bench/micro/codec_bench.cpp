// JSON (cJSON) against MessagePack (msgpack-c packer, our decoder), encode and decode, for the
// three message sizes the sidecar sees: a request, a dashboard response and a 10,000-entry page.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "bench/micro/bench_payloads.hpp"
#include "reference/codec/json.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace {

using namespace flake;

enum class Payload { kRequest, kDashboard, kLogPage };
inline constexpr size_t kLogPageEntries = 10'000;

struct Message {
  JsonPtr tree;
  std::string json, msgpack;
  int64_t items = 1;  // messages, or log entries for the log page
};

const Message& message(Payload p) {
  static const Message request = [] {
    Message m{bench::parse_or_throw(bench::kTypicalRequest), {}, {}, 1};
    m.json = print_json(m.tree.get());
    m.msgpack = encode_msgpack(m.tree.get());
    return m;
  }();
  static const Message dashboard = [] {
    Message m{bench::dashboard_response(), {}, {}, 1};
    m.json = print_json(m.tree.get());
    m.msgpack = encode_msgpack(m.tree.get());
    return m;
  }();
  static const Message page = [] {
    Message m{bench::log_page(kLogPageEntries), {}, {}, kLogPageEntries};
    m.json = print_json(m.tree.get());
    m.msgpack = encode_msgpack(m.tree.get());
    return m;
  }();
  switch (p) {
    case Payload::kRequest:
      return request;
    case Payload::kDashboard:
      return dashboard;
    case Payload::kLogPage:
      return page;
  }
  return request;
}

// Bytes are the encoded form's size, so JSON and MessagePack bytes/s are each in their own unit;
// items/s (messages or entries) compares the two directly.
void report(benchmark::State& state, const Message& m, size_t encoded_bytes) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(encoded_bytes));
  state.SetItemsProcessed(state.iterations() * m.items);
  state.counters["encoded_bytes"] = static_cast<double>(encoded_bytes);
}

void BM_JsonEncode(benchmark::State& state, Payload p) {
  const Message& m = message(p);
  for (auto _ : state) {
    std::string text = print_json(m.tree.get());
    benchmark::DoNotOptimize(text.data());
  }
  report(state, m, m.json.size());
}

void BM_JsonDecode(benchmark::State& state, Payload p) {
  const Message& m = message(p);
  for (auto _ : state) {
    ParseResult r = parse_json(m.json);
    if (!r.value) state.SkipWithError("parse_json failed");
    benchmark::DoNotOptimize(r.value.get());
  }
  report(state, m, m.json.size());
}

void BM_MsgpackEncode(benchmark::State& state, Payload p) {
  const Message& m = message(p);
  for (auto _ : state) {
    std::string bytes = encode_msgpack(m.tree.get());
    benchmark::DoNotOptimize(bytes.data());
  }
  report(state, m, m.msgpack.size());
}

void BM_MsgpackDecode(benchmark::State& state, Payload p) {
  const Message& m = message(p);
  for (auto _ : state) {
    MsgpackDecodeResult r = decode_msgpack(m.msgpack, kMaxJsonDepth);
    if (!r.value) state.SkipWithError("decode_msgpack failed");
    benchmark::DoNotOptimize(r.value.get());
  }
  report(state, m, m.msgpack.size());
}

}  // namespace

BENCHMARK_CAPTURE(BM_JsonEncode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_MsgpackEncode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_JsonDecode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_MsgpackDecode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_JsonEncode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_MsgpackEncode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_JsonDecode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_MsgpackDecode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_JsonEncode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MsgpackEncode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_JsonDecode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MsgpackDecode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
