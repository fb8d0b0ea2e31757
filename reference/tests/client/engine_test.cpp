// The client's connection logic against a scripted server: resume after a seq jump (§6.2),
// re-subscription after -32007 before further service calls (§7.4), pongs (§7.6), breakers (§7.8),
// the retryAfterMs gate (§8.3) and call timeouts.
#include <gtest/gtest.h>

#include "reference/client/client.hpp"
#include "scripted_server.hpp"

namespace flake::client {
namespace {

using namespace std::chrono_literals;
using testing::ClientMessage;
using testing::ScriptedServer;
using testing::ServerConn;

ClientConfig config_for(const std::string& url) {
  ClientConfig c;
  c.url = url;
  c.token = "t";
  c.backoff_base = 50ms;
  c.breaker_open = 200ms;
  c.call_timeout = 1500ms;
  return c;
}

// Accepts the next attempt and authenticates it with `session`.
ServerConn authenticated(ScriptedServer& server, const std::string& session) {
  std::optional<ServerConn> c = server.accept();
  EXPECT_TRUE(c);
  if (!c) return ServerConn(Fd());
  EXPECT_TRUE(c->handshake());
  ClientMessage auth = c->read();
  EXPECT_EQ(auth.method(), "auth.authenticate");
  c->result(auth, R"({"sessionId":")" + session + R"(","capabilities":{}})");
  return std::move(*c);
}

ClientMessage expect_request(ServerConn& c, const std::string& method) {
  ClientMessage m = c.read();
  EXPECT_EQ(m.kind, ClientMessage::Kind::kJson);
  EXPECT_EQ(m.method(), method);
  return m;
}

void notify(ServerConn& c, int seq) {
  c.send_text(R"({"jsonrpc":"2.0","method":"logs.update","params":{"subscription":"sub-1",)"
              R"("service":"vercel","seq":)" +
              std::to_string(seq) + R"(,"entries":[{"ts":1,"level":"info","message":"m"}]}})");
}

TEST(Engine, SeqJumpResumesOnANewConnectionFromTheLastSeqBeforeIt) {
  ScriptedServer server;
  Client client(config_for(server.url()), {}, nullptr);
  client.start();
  ServerConn c = authenticated(server, "old");
  auto sub = client.subscribe("logs.subscribe", R"({"service":"vercel"})");
  c.result(expect_request(c, "logs.subscribe"), R"({"subscription":"sub-1"})");
  for (int seq : {1, 2, 3, 6}) notify(c, seq);
  const auto jump = std::chrono::steady_clock::now();
  EXPECT_EQ(c.read().kind, ClientMessage::Kind::kClose)
      << "the connection that showed the jump ends";
  ServerConn c2 = authenticated(server, "new");
  ClientMessage resume = expect_request(c2, "session.resume");
  EXPECT_LT(std::chrono::steady_clock::now() - jump, 1000ms);
  EXPECT_EQ(print_json(member(resume.json.get(), "params")), R"({"sessionId":"old","lastSeq":3})");
}

TEST(Engine, ExpiredSessionIsResubscribedBeforeTheNextServiceCall) {
  ScriptedServer server;
  std::vector<Event> events;
  std::mutex mu;
  Client client(config_for(server.url()), {}, [&](const Event& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  client.start();
  ServerConn c = authenticated(server, "old");
  auto s1 = client.subscribe("logs.subscribe", R"({"service":"vercel","level":"warn"})");
  c.result(expect_request(c, "logs.subscribe"), R"({"subscription":"sub-1"})");
  auto s2 = client.subscribe("metrics.subscribe", R"({"service":"vercel"})");
  c.result(expect_request(c, "metrics.subscribe"), R"({"subscription":"sub-2"})");
  notify(c, 1);
  ASSERT_EQ(s2.wait_for(2s), std::future_status::ready);
  c.close_tcp();  // an unexpected disconnect
  // A call made once the client knows it is disconnected waits for the restored session.
  auto disconnected = [&] {
    std::lock_guard lock(mu);
    return !events.empty() && events.back().kind == EventKind::kDisconnected;
  };
  for (int i = 0; i < 200 && !disconnected(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(disconnected());
  auto call = client.call("vercel.getDashboard");
  ServerConn c2 = authenticated(server, "new");
  ClientMessage resume = expect_request(c2, "session.resume");
  EXPECT_EQ(print_json(member(resume.json.get(), "params")), R"({"sessionId":"old","lastSeq":1})");
  c2.error(resume, -32007);
  ClientMessage r1 = expect_request(c2, "logs.subscribe");
  EXPECT_EQ(print_json(member(r1.json.get(), "params")), R"({"service":"vercel","level":"warn"})");
  c2.result(r1, R"({"subscription":"sub-3"})");
  ClientMessage r2 = expect_request(c2, "metrics.subscribe");
  EXPECT_EQ(print_json(member(r2.json.get(), "params")), R"({"service":"vercel"})");
  c2.result(r2, R"({"subscription":"sub-4"})");
  c2.result(expect_request(c2, "vercel.getDashboard"), "{}");
  ASSERT_EQ(call.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(call.get().outcome, Outcome::kResult);
  notify(c2, 1);  // the fresh session counts from 1 again: no gap
  client.stop();
  std::lock_guard lock(mu);
  bool resume_failed = false;
  for (const Event& e : events) {
    EXPECT_NE(e.kind, EventKind::kGap);
    resume_failed = resume_failed || (e.kind == EventKind::kResumeFailed && e.code == -32007);
  }
  EXPECT_TRUE(resume_failed);
}

TEST(Engine, PingsAreAnsweredWithTheirPayload) {
  ScriptedServer server;
  Client client(config_for(server.url()), {}, nullptr);
  client.start();
  ServerConn c = authenticated(server, "s");
  c.send_raw(encode_frame(Opcode::kPong, true, "unsolicited", false, {}));
  for (const std::string& payload : std::vector<std::string>{"a", "", std::string(125, 'x')}) {
    const auto t0 = std::chrono::steady_clock::now();
    c.send_ping(payload);
    ClientMessage m = c.read();
    ASSERT_EQ(m.kind, ClientMessage::Kind::kPong);
    EXPECT_EQ(m.payload, payload);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  }
}

TEST(Engine, BreakerOpensAfterFiveFailuresAndLetsOneTrialThrough) {
  ScriptedServer server;
  Client client(config_for(server.url()), {}, nullptr);
  client.start();
  ServerConn c = authenticated(server, "s");
  const int codes[] = {-32003, -32006, -32603, -32003, -32006};
  for (int code : codes) {
    auto f = client.call("vercel.getDashboard");
    c.error(expect_request(c, "vercel.getDashboard"), code);
    EXPECT_EQ(f.get().outcome, Outcome::kError);
  }
  const auto opened = std::chrono::steady_clock::now();
  auto refused = client.call("vercel.getDashboard");
  EXPECT_EQ(refused.get().outcome, Outcome::kBreaker) << "failed locally, not sent";
  auto other = client.call("supabase.getDashboard");
  c.result(expect_request(c, "supabase.getDashboard"), "{}");
  EXPECT_EQ(other.get().outcome, Outcome::kResult) << "another service has its own breaker";
  while (std::chrono::steady_clock::now() - opened < 200ms) std::this_thread::sleep_for(5ms);
  auto trial = client.call("vercel.getDashboard");
  ClientMessage t = expect_request(c, "vercel.getDashboard");
  auto during = client.call("vercel.getDashboard");
  EXPECT_EQ(during.get().outcome, Outcome::kBreaker) << "one trial at a time";
  c.result(t, "{}");
  EXPECT_EQ(trial.get().outcome, Outcome::kResult);
  auto after = client.call("vercel.getDashboard");
  c.result(expect_request(c, "vercel.getDashboard"), "{}");
  EXPECT_EQ(after.get().outcome, Outcome::kResult);
}

TEST(Engine, RetryAfterMsHoldsTheNextRequest) {
  ScriptedServer server;
  Client client(config_for(server.url()), {}, nullptr);
  client.start();
  ServerConn c = authenticated(server, "s");
  auto first = client.call("system.ping");
  c.error(expect_request(c, "system.ping"), -32002, R"({"retryAfterMs":300})");
  const auto refused = std::chrono::steady_clock::now();
  EXPECT_EQ(first.get().error->code, -32002);
  auto second = client.call("system.ping");
  c.result(expect_request(c, "system.ping"), "{}");
  EXPECT_GE(std::chrono::steady_clock::now() - refused, 290ms);
  EXPECT_EQ(second.get().outcome, Outcome::kResult);
}

TEST(Engine, UnansweredCallTimesOutAndCountsForTheBreaker) {
  ScriptedServer server;
  ClientConfig config = config_for(server.url());
  config.call_timeout = 200ms;
  Client client(config, {}, nullptr);
  client.start();
  ServerConn c = authenticated(server, "s");
  for (int i = 0; i < 5; ++i) {
    auto f = client.call("vercel.getDashboard");
    expect_request(c, "vercel.getDashboard");  // never answered
    EXPECT_EQ(f.get().outcome, Outcome::kTimeout);
  }
  EXPECT_EQ(client.call("vercel.getDashboard").get().outcome, Outcome::kBreaker);
}

}  // namespace
}  // namespace flake::client
