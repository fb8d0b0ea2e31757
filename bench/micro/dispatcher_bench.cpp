// The dispatcher end to end without sockets (parse, validate, route, serialise, queue), and log
// notification fan-out to N subscribers.
#include <benchmark/benchmark.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/micro/bench_payloads.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/state/notifier.hpp"
#include "reference/state/server_state.hpp"
#include "reference/ws/connection.hpp"

namespace {

using namespace flake;

constexpr const char* kToken = "bench-token";

// Rate limiting off (--rate 0): the bench sends far more than a client may.
std::unique_ptr<ServerState> make_state() {
  Options o;
  o.fixtures_dir = FLAKE_BENCH_FIXTURES;
  o.rate = 0;
  return std::make_unique<ServerState>(std::move(o), bench::load_fixtures(), kToken);
}

// Drops what a socket would have sent; returns the payload bytes dropped.
size_t discard_tx(Connection& c) {
  const size_t bytes = c.tx_bytes;
  c.tx.clear();
  c.tx_bytes = 0;
  return bytes;
}

void send(Connection& c, const std::string& text) {
  handle_message(c, text, false);
  if (c.tx.empty() || c.close_code != 0) throw std::runtime_error("no answer to " + text);
  discard_tx(c);
}

Connection& authenticated_connection(ServerState& state) {
  Connection& c = add_connection(state);
  send(c, std::string(R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":")") +
              kToken + R"("},"id":0})");
  if (!c.authenticated()) throw std::runtime_error("authentication failed");
  return c;
}

void run_request(benchmark::State& state, const std::string& payload, bool binary) {
  auto server = make_state();
  Connection& c = authenticated_connection(*server);
  size_t out = 0;
  for (auto _ : state) {
    handle_message(c, payload, binary);
    out += discard_tx(c);
  }
  if (c.close_code != 0) state.SkipWithError("connection closed");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(out));  // response bytes produced
  state.counters["response_bytes"] =
      state.iterations() ? static_cast<double>(out) / static_cast<double>(state.iterations()) : 0;
}

void BM_Request(benchmark::State& state, const char* text) {
  run_request(state, text, false);
}

// The same request arriving as a MessagePack frame (and answered in MessagePack, §2.4).
void BM_RequestMsgpack(benchmark::State& state, const char* text) {
  run_request(state, encode_msgpack(bench::parse_or_throw(text).get()), true);
}

constexpr const char* kPing = R"({"jsonrpc":"2.0","method":"system.ping","id":1})";
// The same call with an empty params object: the tree-less ping path declines it (params), so this
// is what a small request costs through parse, validation, dispatch and print.
constexpr const char* kPingGeneral =
    R"({"jsonrpc":"2.0","method":"system.ping","params":{},"id":1})";
constexpr const char* kDashboard = R"({"jsonrpc":"2.0","method":"vercel.getDashboard","id":2})";
constexpr const char* kDeployments =
    R"({"jsonrpc":"2.0","method":"vercel.getDeployments","params":{"limit":20},"id":3})";
constexpr const char* kBatch =
    R"([{"jsonrpc":"2.0","method":"system.ping","id":1},)"
    R"({"jsonrpc":"2.0","method":"vercel.getProjects","params":{"limit":5},"id":2},)"
    R"({"jsonrpc":"2.0","method":"aws.getInstances","params":{"limit":5},"id":3}])";

// publish_logs of one 100-entry logs.update to range(0) subscribers, each on its own connection,
// all at level debug so every subscriber gets every entry.
void BM_LogFanOut(benchmark::State& state) {
  auto server = make_state();
  std::vector<Connection*> subscribers;
  for (int64_t i = 0; i < state.range(0); ++i) {
    Connection& c = authenticated_connection(*server);
    send(c, R"({"jsonrpc":"2.0","method":"logs.subscribe","params":{"service":"vercel"},"id":1})");
    subscribers.push_back(&c);
  }
  constexpr uint32_t kEntries = 100;
  const EntryRun run = test_entries(*server, 0, kEntries);
  size_t out = 0;
  for (auto _ : state) {
    publish_logs(*server, "vercel", run, kEntries);
    for (Connection* c : subscribers) out += discard_tx(*c);
  }
  if (out == 0) state.SkipWithError("no notification was queued");
  state.SetItemsProcessed(state.iterations() * state.range(0));  // notifications delivered
  state.SetBytesProcessed(static_cast<int64_t>(out));
}

}  // namespace

BENCHMARK_CAPTURE(BM_Request, ping, kPing);
BENCHMARK_CAPTURE(BM_Request, ping_general_path, kPingGeneral);
BENCHMARK_CAPTURE(BM_Request, dashboard, kDashboard);
BENCHMARK_CAPTURE(BM_Request, deployments_page, kDeployments);
BENCHMARK_CAPTURE(BM_Request, batch_of_3, kBatch);
BENCHMARK_CAPTURE(BM_RequestMsgpack, ping, kPing);
BENCHMARK_CAPTURE(BM_RequestMsgpack, dashboard, kDashboard);
BENCHMARK(BM_LogFanOut)->Arg(1)->Arg(8)->Arg(64);
