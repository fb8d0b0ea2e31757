// The reference client against the real reference sidecar (a separate process, docs §11.7):
// authenticate, subscribe, test.emitLogs, logs.getLarge verified in all three formats, and
// reconnect + session.resume after test.dropSession without losing a seq. Then the driver binary
// itself: its §13.3 workload, §13.4 lines and SIGTERM.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "process.hpp"
#include "reference/client/client.hpp"
#include "reference/codec/json_parse.hpp"

namespace flake::client {
namespace {

using namespace std::chrono_literals;
using testing::kToken;
using testing::Sidecar;

class EventLog {
 public:
  void add(const Event& e) {
    std::lock_guard lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  // Waits until an event of `kind` has been seen `count` times.
  bool wait_for(EventKind kind, size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_locked(kind) >= count; });
  }
  std::vector<Event> snapshot() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  size_t count_locked(EventKind kind) const {
    size_t n = 0;
    for (const Event& e : events_) n += e.kind == kind;
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

ClientConfig config_for(const std::string& url) {
  ClientConfig c;
  c.url = url;
  c.token = kToken;
  c.backoff_base = 100ms;
  c.breaker_open = 600ms;
  c.call_timeout = 3000ms;
  c.call_interval = 20ms;
  return c;
}

template <typename T>
T get(std::future<T>& f) {
  EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
  return f.get();
}

TEST(ClientE2E, SubscribeEmitExportsAndResumeWithoutLoss) {
  Sidecar sidecar;
  ASSERT_FALSE(sidecar.url().empty()) << "sidecar did not start";
  EventLog log;
  Client client(config_for(sidecar.url()), {}, [&log](const Event& e) { log.add(e); });
  client.start();

  auto sub = client.subscribe("logs.subscribe", R"({"service":"vercel"})");
  CallResult s = get(sub);
  ASSERT_EQ(s.outcome, Outcome::kResult) << (s.error ? s.error->message : "");
  auto msub = client.subscribe("metrics.subscribe", R"({"service":"vercel"})");
  ASSERT_EQ(get(msub).outcome, Outcome::kResult);

  auto emit =
      client.call("test.emitLogs", R"({"service":"vercel","count":40,"perNotification":4})");
  CallResult e = get(emit);
  ASSERT_EQ(e.outcome, Outcome::kResult);
  EXPECT_EQ(e.result_json, R"({"emitted":40})");

  for (const char* params :
       {R"({"service":"vercel","timeRange":"1h","format":"json"})",
        R"({"service":"vercel","timeRange":"1h","format":"msgpack"})",
        R"({"service":"vercel","timeRange":"1h","format":"msgpack","compress":true})"}) {
    auto f = client.get_large(params);
    LargeResult r = get(f);
    EXPECT_TRUE(r.verified) << params << ": " << r.reason;
    EXPECT_GE(r.entry_count(), 40u) << params;
  }

  // The sidecar drops the TCP connection without answering (§11.4); the client reconnects,
  // authenticates and resumes.
  auto drop = client.call("test.dropSession");
  EXPECT_EQ(get(drop).outcome, Outcome::kTransport);
  ASSERT_TRUE(log.wait_for(EventKind::kResumed, 1, 5s));
  auto emit2 =
      client.call("test.emitLogs", R"({"service":"vercel","count":40,"perNotification":4})");
  EXPECT_EQ(get(emit2).outcome, Outcome::kResult);
  client.stop();

  std::vector<int64_t> seqs;
  size_t authenticated = 0;
  for (const Event& ev : log.snapshot()) {
    EXPECT_NE(ev.kind, EventKind::kGap) << "expected " << ev.expected << ", got " << ev.seq;
    EXPECT_NE(ev.kind, EventKind::kResumeFailed);
    if (ev.kind == EventKind::kNotification) seqs.push_back(ev.seq);
    if (ev.kind == EventKind::kAuthenticated) ++authenticated;
  }
  EXPECT_EQ(authenticated, 2u);
  ASSERT_GE(seqs.size(), 20u) << "two emissions of 10 notifications each";
  for (size_t i = 0; i < seqs.size(); ++i)
    EXPECT_EQ(seqs[i], int64_t(i + 1)) << "no seq lost or repeated";
}

TEST(ClientE2E, CallsWaitForTheConnectionAndBatchesMatch) {
  Sidecar sidecar;
  ASSERT_FALSE(sidecar.url().empty());
  Client client(config_for(sidecar.url()), {}, nullptr);
  // Made before start(): it waits for authentication, then goes out.
  auto ping = client.call("system.ping");
  client.start();
  CallResult r = get(ping);
  ASSERT_EQ(r.outcome, Outcome::kResult);
  EXPECT_NE(r.result_json.find("\"now\""), std::string::npos);
  // An unknown method is an error with its code.
  auto unknown = client.call("no.such");
  CallResult u = get(unknown);
  ASSERT_EQ(u.outcome, Outcome::kError);
  EXPECT_EQ(u.error->code, -32601);
  auto batch = client.batch({{"system.ping", ""}, {"vercel.getDashboard", ""}, {"nope.x", ""}});
  std::vector<CallResult> b = get(batch);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].outcome, Outcome::kResult);
  EXPECT_EQ(b[1].outcome, Outcome::kResult);
  EXPECT_EQ(b[2].method, "nope.x");
}

TEST(ClientE2E, NoSidecarMeansFiveFailedAttemptsThenGaveUp) {
  EventLog log;
  ClientConfig c = config_for("ws://127.0.0.1:1/rpc");  // nothing listens on port 1
  c.backoff_base = 10ms;
  Client client(c, {}, [&log](const Event& e) { log.add(e); });
  client.start();
  ASSERT_TRUE(log.wait_for(EventKind::kGaveUp, 1, 5s));
  EXPECT_TRUE(client.gave_up());
  auto f = client.call("system.ping");
  EXPECT_EQ(get(f).outcome, Outcome::kTransport);
}

TEST(DriverE2E, WorkloadLinesThenCleanStopOnSigterm) {
  Sidecar sidecar;
  ASSERT_FALSE(sidecar.url().empty());
  testing::ChildProcess driver({FLAKE_CLIENT_DRIVER_BIN, sidecar.url(), kToken},
                               {"FLAKE_BACKOFF_BASE_MS=100", "FLAKE_BREAKER_OPEN_MS=600",
                                "FLAKE_CALL_TIMEOUT_MS=1500", "FLAKE_CALL_INTERVAL_MS=20"});
  std::vector<std::string> kinds;
  size_t loop_calls = 0;
  while (loop_calls < 6) {
    auto line = driver.read_line(5s);
    ASSERT_TRUE(line) << "driver stopped writing";
    ParseResult p = parse_json(*line);
    ASSERT_TRUE(p.value) << *line;
    const std::string kind(string_member(p.value.get(), "event").value_or(""));
    if (kind == "notification") continue;  // the sidecar's own activity may interleave
    kinds.push_back(kind);
    if (kind == "large") {
      EXPECT_EQ(string_member(p.value.get(), "outcome").value_or(""), "verified") << *line;
    }
    if (kind == "call") {
      EXPECT_EQ(string_member(p.value.get(), "outcome").value_or(""), "result") << *line;
      if (kinds.size() > 10) ++loop_calls;
    }
  }
  const std::vector<std::string> start = {"connected", "authenticated", "subscribed", "subscribed",
                                          "call",      "call",          "call",       "large",
                                          "large",     "large"};
  ASSERT_GE(kinds.size(), start.size());
  EXPECT_EQ(std::vector<std::string>(kinds.begin(), kinds.begin() + 10), start);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(driver.stop(2000ms), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}

TEST(DriverE2E, ListDefectsTsv) {
  testing::ChildProcess driver({FLAKE_CLIENT_DRIVER_BIN, "--list-defects", "--tsv"});
  size_t rows = 0;
  while (auto line = driver.read_line(5s)) {
    size_t tabs = 0;
    for (char ch : *line) tabs += ch == '\t';
    EXPECT_EQ(tabs, 3u) << *line;
    EXPECT_EQ(line->find("\tC"), line->find('\t', line->find('\t') + 1)) << "must-fail is column 3";
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<size_t>(ClientDefect::kCount));
}

}  // namespace
}  // namespace flake::client
