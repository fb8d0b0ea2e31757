// JSON (cJSON) against MessagePack (msgpack-c packer, our decoder), encode and decode, for the
// message sizes the sidecar sees: a system.ping response, a request, a dashboard response and a
// 10,000-entry page; and print_json against cJSON_PrintUnformatted, which it reproduces.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "bench/micro/bench_payloads.hpp"
#include "reference/codec/json.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace {

using namespace flake;

enum class Payload { kPing, kRequest, kDashboard, kLogPage };

// What system.ping answers over a text connection: an epoch-ms timestamp, beyond int range.
inline constexpr const char* kPingResponse =
    R"({"jsonrpc":"2.0","id":12345,"result":{"now":1765118765123}})";
inline constexpr size_t kLogPageEntries = 10'000;

struct Message {
  JsonPtr tree;
  std::string json, msgpack;
  int64_t items = 1;  // messages, or log entries for the log page
};

const Message& message(Payload p) {
  static const Message ping = [] {
    Message m{bench::parse_or_throw(kPingResponse), {}, {}, 1};
    m.json = print_json(m.tree.get());
    m.msgpack = encode_msgpack(m.tree.get());
    return m;
  }();
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
    case Payload::kPing:
      return ping;
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

// cJSON's own printer, as print_json used it: print, then copy into a std::string.
void BM_CjsonPrint(benchmark::State& state, Payload p) {
  const Message& m = message(p);
  for (auto _ : state) {
    std::unique_ptr<char, CjsonFree> text(cJSON_PrintUnformatted(m.tree.get()));
    std::string copy(text.get());
    benchmark::DoNotOptimize(copy.data());
  }
  report(state, m, m.json.size());
}

// print_json_to after a frame header's room in a buffer that the loop reuses, as a connection
// that keeps its frame buffer would.
void BM_JsonPrintTo(benchmark::State& state, Payload p) {
  const Message& m = message(p);
  std::string frame;
  for (auto _ : state) {
    frame.assign(16, '\0');
    if (!print_json_to(m.tree.get(), frame)) state.SkipWithError("print_json_to failed");
    benchmark::DoNotOptimize(frame.data());
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

BENCHMARK_CAPTURE(BM_CjsonPrint, ping_response, Payload::kPing);
BENCHMARK_CAPTURE(BM_JsonEncode, ping_response, Payload::kPing);
BENCHMARK_CAPTURE(BM_JsonPrintTo, ping_response, Payload::kPing);
BENCHMARK_CAPTURE(BM_MsgpackEncode, ping_response, Payload::kPing);
BENCHMARK_CAPTURE(BM_CjsonPrint, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_JsonEncode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_MsgpackEncode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_JsonDecode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_MsgpackDecode, request, Payload::kRequest);
BENCHMARK_CAPTURE(BM_CjsonPrint, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_JsonEncode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_MsgpackEncode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_JsonDecode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_MsgpackDecode, dashboard, Payload::kDashboard);
BENCHMARK_CAPTURE(BM_CjsonPrint, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_JsonEncode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MsgpackEncode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_JsonDecode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MsgpackDecode, log_page_10k, Payload::kLogPage)->Unit(benchmark::kMillisecond);
