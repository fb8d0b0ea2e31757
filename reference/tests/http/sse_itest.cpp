// The real flake-sidecar's SSE side over raw sockets (docs/protocol.md §4.11, §9.11-§9.14):
// tickets, stream framing, Last-Event-ID replay, reset, the connection cap and heartbeats.
#include <signal.h>

#include <thread>

#include "reference/tests/http/http_test_client.hpp"

namespace flake::itest {
namespace {

std::string issue_ticket(Http& http) {
  Response r = http.request("POST", "/api/v1/auth/ticket", kJsonPost, "");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json_body()["expiresInMs"], 30000);
  return r.json_body()["ticket"].get<std::string>();
}

TEST(HttpTickets, OneUseSseOnlyAndExpiring) {
  Sidecar s;
  Http http(s);
  const std::string ticket = issue_ticket(http);
  EXPECT_GE(ticket.size(), 22u);
  expect_error(http.request("GET", "/api/v1/vercel/dashboard?ticket=" + ticket), 401, -32001);
  Http stream(s);
  stream.send("GET", "/api/v1/stream/metrics?ticket=" + ticket);
  EXPECT_EQ(stream.read_head().status, 200);
  Http again(s);
  expect_error(again.request("GET", "/api/v1/stream/metrics?ticket=" + ticket), 401, -32001);

  const std::string late = issue_ticket(http);
  rpc_over_http(s, json{{"jsonrpc", "2.0"},
                        {"method", "test.setClock"},
                        {"params", {{"offsetMs", 30'001}}},
                        {"id", 1}});
  Http expired(s);
  expect_error(expired.request("GET", "/api/v1/stream/metrics?ticket=" + late), 401, -32001);
  rpc_over_http(s, json{{"jsonrpc", "2.0"},
                        {"method", "test.setClock"},
                        {"params", {{"offsetMs", 0}}},
                        {"id", 2}});
  // The ticket that opened a stream is spent, but the stream outlives the ticket's expiry (§4.11).
  ASSERT_TRUE(s.client()->call("test.emitMetrics", json{{"count", 1}}, 5s).is_value());
  auto event = next_data_event(stream, deadline_in(3s));
  if (event && event->event == "(retry)") event = next_data_event(stream, deadline_in(3s));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "metrics.update");
}

TEST(HttpSse, FramingAndEvents) {
  Sidecar s;
  Http http(s);
  http.send("GET", "/api/v1/stream/metrics", {"Authorization: " + kAuth});
  Response head = http.read_head();
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-type"), "text/event-stream");
  EXPECT_EQ(head.header("cache-control"), "no-cache");
  EXPECT_EQ(head.header("content-encoding"), "");
  auto retry = next_event(http, deadline_in(3s));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->event, "(retry)");
  auto ws = s.client();
  ASSERT_TRUE(ws->call("test.emitMetrics", json{{"count", 3}}, 5s).is_value());
  for (int n = 0; n < 3; ++n) {
    auto e = next_data_event(http, deadline_in(3s));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, "metrics.update");
    const json data = json::parse(e->data);
    EXPECT_EQ(std::to_string(data["seq"].get<int>()), e->id);
    EXPECT_EQ(data["subscription"], "/api/v1/stream/metrics");
    EXPECT_EQ(data["metrics"]["test.n"], n);
  }
  expect_error(Http(s).request("GET", "/api/v1/stream/logs/nope", {"Authorization: " + kAuth}), 404,
               -32004);
}

// Events 1..count of the vercel logs stream were emitted; a reader resuming after `last` gets
// exactly last+1..count, then live events continue from count+1.
TEST(HttpSse, LastEventIdReplaysWithoutLossOrDuplicates) {
  Sidecar s;
  emit_logs(s, "vercel", 20, 1);
  for (const bool header : {true, false}) {
    Http http(s);
    std::vector<std::string> headers{"Authorization: " + kAuth};
    if (header) headers.push_back("Last-Event-ID: 12");
    http.send(
        "GET",
        std::string("/api/v1/stream/logs/vercel") + (header ? "?lastEventId=3" : "?lastEventId=12"),
        headers);
    ASSERT_EQ(http.read_head().status, 200);
    ASSERT_EQ(next_event(http, deadline_in(3s))->event, "(retry)");
    for (int id = 13; id <= 20; ++id) {
      auto e = next_data_event(http, deadline_in(3s));
      ASSERT_TRUE(e);
      EXPECT_EQ(e->id, std::to_string(id));
      EXPECT_EQ(json::parse(e->data)["entries"][0]["n"], id - 1);
    }
  }
  Http live(s);
  live.send("GET", "/api/v1/stream/logs/vercel", {"Authorization: " + kAuth, "Last-Event-ID: 20"});
  ASSERT_EQ(live.read_head().status, 200);
  ASSERT_EQ(next_event(live, deadline_in(3s))->event, "(retry)");
  emit_logs(s, "vercel", 2, 1);
  EXPECT_EQ(next_data_event(live, deadline_in(3s))->id, "21");
  EXPECT_EQ(next_data_event(live, deadline_in(3s))->id, "22");
}

TEST(HttpSse, ResetWhenTheGapIsGone) {
  Sidecar s({"--replay-bytes", "65536"});  // ~200 bytes per event: about 300 are held
  emit_logs(s, "aws", 1000, 1);
  for (const char* last : {"2", "1001", "abc", "-1"}) {
    Http http(s);
    http.send("GET", "/api/v1/stream/logs/aws",
              {"Authorization: " + kAuth, std::string("Last-Event-ID: ") + last});
    ASSERT_EQ(http.read_head().status, 200);
    ASSERT_EQ(next_event(http, deadline_in(3s))->event, "(retry)");
    auto reset = next_data_event(http, deadline_in(3s));
    ASSERT_TRUE(reset);
    EXPECT_EQ(reset->event, "reset") << last;
    EXPECT_EQ(reset->id, "1000");
    EXPECT_EQ(json::parse(reset->data)["latestId"], 1000);
  }
  Http ok(s);  // the newest events are still held
  ok.send("GET", "/api/v1/stream/logs/aws", {"Authorization: " + kAuth, "Last-Event-ID: 990"});
  ASSERT_EQ(ok.read_head().status, 200);
  next_event(ok, deadline_in(3s));
  EXPECT_EQ(next_data_event(ok, deadline_in(3s))->id, "991");
}

TEST(HttpSse, CapAndSlowReaders) {
  Sidecar s({"--max-connections", "2", "--max-send-buffer-bytes", "200000"});
  Http first(s);
  first.send("GET", "/api/v1/stream/logs/vercel", {"Authorization: " + kAuth});
  ASSERT_EQ(first.read_head().status, 200);
  auto ws = s.client();
  Http second(s);
  Response refused = second.request("GET", "/api/v1/stream/metrics", {"Authorization: " + kAuth});
  expect_error(refused, 503, -32003);
  EXPECT_EQ(refused.header("retry-after"), "1");
  // `first` reads nothing while far more than its bound is produced: its response is ended.
  ASSERT_TRUE(ws->call("test.emitLogs",
                       json{{"service", "vercel"}, {"count", 100000}, {"perNotification", 1000}},
                       30s)
                  .is_value());
  size_t received = 0;
  const auto deadline = deadline_in(10s);
  while (first.fill(deadline)) received = first.buffer().size();
  EXPECT_LT(received, 100000u * 60u);
  EXPECT_LT(conform::Clock::now(), deadline) << "the slow reader's response was not ended";
}

// A client that hangs up frees its connection-cap slot (§8.4) within a timer tick, not only when
// the next write fails (here nothing is written for 10 s: no live logs, no heartbeat yet).
TEST(HttpSse, ClosedClientFreesItsCapSlot) {
  Sidecar s({"--max-connections", "1", "--log-rate", "0"});
  {
    Http first(s);
    first.send("GET", "/api/v1/stream/logs/vercel", {"Authorization: " + kAuth});
    ASSERT_EQ(first.read_head().status, 200);
    Http refused(s);
    EXPECT_EQ(
        refused.request("GET", "/api/v1/stream/logs/vercel", {"Authorization: " + kAuth}).status,
        503);
  }
  const auto deadline = deadline_in(3s);
  int status = 0;
  while (status != 200 && conform::Clock::now() < deadline) {
    Http again(s);
    again.send("GET", "/api/v1/stream/logs/vercel", {"Authorization: " + kAuth});
    status = again.read_head().status;
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 200) << "the closed stream still holds the only slot";
}

TEST(HttpSse, HeartbeatWithin15Seconds) {
  Sidecar s;
  Http http(s);
  http.send("GET", "/api/v1/stream/deployments", {"Authorization: " + kAuth});
  ASSERT_EQ(http.read_head().status, 200);
  const auto deadline = deadline_in(15s);
  bool heartbeat = false;
  while (auto e = next_event(http, deadline)) {
    if (e->comment) {
      heartbeat = true;
      break;
    }
  }
  EXPECT_TRUE(heartbeat);
}

TEST(HttpSse, ShutdownEndsStreamsAndExitsZero) {
  Sidecar s;
  Http http(s);
  http.send("GET", "/api/v1/stream/metrics", {"Authorization: " + kAuth});
  ASSERT_EQ(http.read_head().status, 200);
  const auto start = conform::Clock::now();
  ::kill(s.process().pid(), SIGTERM);
  const auto deadline = deadline_in(3s);
  while (http.fill(deadline)) {
  }
  EXPECT_LT(conform::Clock::now() - start, 2s) << "the SSE response was not ended";
  conform::ExitInfo exit = s.process().stop(3000ms);
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 0);
}

}  // namespace
}  // namespace flake::itest
