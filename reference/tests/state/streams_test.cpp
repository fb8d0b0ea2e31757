// Notifications, seq numbering, emit flow control, resume and session expiry (docs/protocol.md §6,
// §7, §11), driven through socket-less connections.
#include <gtest/gtest.h>

#include "reference/state/notifier.hpp"
#include "reference/tests/test_support.hpp"

namespace flake {
namespace {

using test::error_code;
using test::roundtrip;

struct Frames {
  std::vector<JsonPtr> notifications;
  std::vector<JsonPtr> responses;
};

Frames split(const std::vector<std::string>& raw) {
  Frames f;
  for (const std::string& text : raw) {
    JsonPtr v = test::parse(text);
    (member(v.get(), "method") ? f.notifications : f.responses).push_back(std::move(v));
  }
  return f;
}

uint64_t seq_of(const JsonPtr& n) {
  return static_cast<uint64_t>(member(member(n.get(), "params"), "seq")->valuedouble);
}

size_t entries_of(const JsonPtr& n) {
  return static_cast<size_t>(cJSON_GetArraySize(member(member(n.get(), "params"), "entries")));
}

std::string subscribe(Connection& c, const char* params) {
  JsonPtr r =
      roundtrip(c, std::string(R"({"jsonrpc":"2.0","method":"logs.subscribe","id":1,"params":)") +
                       params + "}");
  const cJSON* sub = member(member(r.get(), "result"), "subscription");
  if (!cJSON_IsString(sub)) throw std::runtime_error("subscribe failed: " + print_json(r.get()));
  return sub->valuestring;
}

Frames emit(Connection& c, int count, int per = 100) {
  handle_message(
      c,
      R"({"jsonrpc":"2.0","method":"test.emitLogs","id":"e","params":{"service":"vercel","count":)" +
          std::to_string(count) + ",\"perNotification\":" + std::to_string(per) + "}}",
      false);
  return split(test::drain(c));
}

class StreamsTest : public ::testing::Test {
 protected:
  void SetUp() override { make(test::test_options()); }
  void make(Options o) {
    state = test::make_state(std::move(o));
    conn = &test::open_connection(*state);
    test::authenticate(*conn);
  }
  std::string session_id() { return conn->session->id; }
  std::unique_ptr<ServerState> state;
  Connection* conn = nullptr;
};

TEST_F(StreamsTest, EmitDeliversEveryEntryWithContiguousSeqThenAnswers) {
  subscribe(*conn, R"({"service":"vercel"})");
  Frames f = emit(*conn, 250);
  ASSERT_EQ(f.responses.size(), 1u);
  EXPECT_EQ(member(member(f.responses[0].get(), "result"), "emitted")->valueint, 250);
  ASSERT_EQ(f.notifications.size(), 3u);
  size_t total = 0;
  for (size_t i = 0; i < f.notifications.size(); ++i) {
    EXPECT_EQ(seq_of(f.notifications[i]), i + 1);
    EXPECT_STREQ(member(f.notifications[i].get(), "method")->valuestring, "logs.update");
    total += entries_of(f.notifications[i]);
  }
  EXPECT_EQ(total, 250u);
}

TEST_F(StreamsTest, LargeEmitIsFlowControlledAndLossless) {
  subscribe(*conn, R"({"service":"vercel"})");
  Frames f = emit(*conn, 100000, 100);
  ASSERT_EQ(f.notifications.size(), 1000u);
  size_t total = 0;
  for (size_t i = 0; i < f.notifications.size(); ++i) {
    ASSERT_EQ(seq_of(f.notifications[i]), i + 1);
    total += entries_of(f.notifications[i]);
  }
  EXPECT_EQ(total, 100000u);
  EXPECT_EQ(conn->close_code, 0);
}

TEST_F(StreamsTest, SeqCountsAcrossSubscriptions) {
  subscribe(*conn, R"({"service":"vercel"})");
  subscribe(*conn, R"({"service":"vercel","level":"error"})");
  Frames f = emit(*conn, 400);
  uint64_t expected = 1;
  for (const JsonPtr& n : f.notifications) EXPECT_EQ(seq_of(n), expected++);
  EXPECT_GT(f.notifications.size(), 4u);
}

TEST_F(StreamsTest, LevelFilterKeepsThatLevelAndAbove) {
  subscribe(*conn, R"({"service":"vercel","level":"warn"})");
  Frames f = emit(*conn, 500);
  ASSERT_FALSE(f.notifications.empty());
  for (const JsonPtr& n : f.notifications) {
    for (const cJSON* e = member(member(n.get(), "params"), "entries")->child; e; e = e->next) {
      std::string level = member(e, "level")->valuestring;
      EXPECT_TRUE(level == "warn" || level == "error") << level;
    }
  }
  EXPECT_EQ(
      error_code(
          roundtrip(
              *conn,
              R"({"jsonrpc":"2.0","method":"logs.subscribe","id":1,"params":{"service":"vercel","level":"loud"}})")
              .get()),
      -32602);
}

TEST_F(StreamsTest, UnsubscribeStopsDelivery) {
  std::string sub = subscribe(*conn, R"({"service":"vercel"})");
  JsonPtr r = roundtrip(
      *conn, R"({"jsonrpc":"2.0","method":"logs.unsubscribe","id":2,"params":{"subscription":")" +
                 sub + "\"}}");
  EXPECT_TRUE(cJSON_IsTrue(member(member(r.get(), "result"), "ok")));
  EXPECT_TRUE(emit(*conn, 100).notifications.empty());
  EXPECT_EQ(
      error_code(
          roundtrip(
              *conn,
              R"({"jsonrpc":"2.0","method":"logs.unsubscribe","id":3,"params":{"subscription":")" +
                  sub + "\"}}")
              .get()),
      -32004);
}

TEST_F(StreamsTest, ResumeReplaysExactlyTheMissedNotificationsInOrder) {
  subscribe(*conn, R"({"service":"vercel"})");
  ASSERT_EQ(emit(*conn, 300).notifications.size(), 3u);  // seq 1..3 seen
  const std::string id = session_id();
  connection_closed(*state, conn);
  publish_logs(*state, "vercel", live_entries(*state, "vercel", 200), 100);  // seq 4, 5 offline

  Connection& again = test::open_connection(*state);
  test::authenticate(again);
  handle_message(again,
                 R"({"jsonrpc":"2.0","method":"session.resume","id":7,"params":{"sessionId":")" +
                     id + R"(","lastSeq":3}})",
                 false);
  std::vector<std::string> raw = test::drain(again);
  ASSERT_EQ(raw.size(), 3u);
  JsonPtr response = test::parse(raw[0]);  // the response comes first
  EXPECT_EQ(member(member(response.get(), "result"), "replayed")->valueint, 2);
  EXPECT_EQ(seq_of(test::parse(raw[1])), 4u);
  EXPECT_EQ(seq_of(test::parse(raw[2])), 5u);
  Frames live = emit(again, 100);  // the subscription survived the resume
  ASSERT_EQ(live.notifications.size(), 1u);
  EXPECT_EQ(seq_of(live.notifications[0]), 6u);
  EXPECT_EQ(again.session->id, id);
}

TEST_F(StreamsTest, LiveTickCompressesADetachedRingAndResumeReplaysItWhole) {
  subscribe(*conn, R"({"service":"vercel"})");
  ASSERT_EQ(emit(*conn, 3000).notifications.size(), 30u);  // seq 1..30, about 300 KiB
  const std::string id = session_id();
  connection_closed(*state, conn);
  live_tick(*state, 1000);  // a new second: rings and history are compressed
  const Session* detached = state->sessions.find(id);
  ASSERT_NE(detached, nullptr);
  EXPECT_GT(detached->ring.packed_bytes(), 0u);
  const uint64_t newest = detached->ring.newest_seq();

  Connection& again = test::open_connection(*state);
  test::authenticate(again);
  handle_message(again,
                 R"({"jsonrpc":"2.0","method":"session.resume","id":7,"params":{"sessionId":")" +
                     id + R"(","lastSeq":0}})",
                 false);
  std::vector<std::string> raw = test::drain(again);
  ASSERT_EQ(raw.size(), newest + 1);
  for (uint64_t seq = 1; seq <= newest; ++seq) EXPECT_EQ(seq_of(test::parse(raw[seq])), seq);
}

TEST_F(StreamsTest, ResumeErrors) {
  subscribe(*conn, R"({"service":"vercel"})");
  emit(*conn, 100);
  const std::string id = session_id();
  Connection& other = test::open_connection(*state);
  test::authenticate(other);
  auto resume = [&](const std::string& sid, int last) {
    return error_code(
        roundtrip(other,
                  R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" +
                      sid + R"(","lastSeq":)" + std::to_string(last) + "}}")
            .get());
  };
  EXPECT_EQ(resume("0123456789abcdef0123456789abcdef", 0), -32007);
  EXPECT_EQ(resume(id, 99), -32602);
  EXPECT_EQ(
      error_code(
          roundtrip(*conn,
                    R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" +
                        id + R"(","lastSeq":0}})")
              .get()),
      -32602);
  EXPECT_EQ(
      error_code(
          roundtrip(other,
                    R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" +
                        id + R"(","lastSeq":-1}})")
              .get()),
      -32602);
}

TEST_F(StreamsTest, ResumeTakesOverALiveSessionAndClosesTheStaleSocket) {
  const std::string id = session_id();
  Connection& other = test::open_connection(*state);
  test::authenticate(other);
  JsonPtr r = roundtrip(
      other, R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" + id +
                 R"(","lastSeq":0}})");
  EXPECT_EQ(error_code(r.get()), 0);
  EXPECT_EQ(conn->close_code, 1008);
  EXPECT_EQ(conn->session, nullptr);
}

TEST_F(StreamsTest, GapNoLongerHeldIsSessionExpired) {
  Options o = test::test_options();
  o.replay_ring = 5;
  make(o);
  subscribe(*conn, R"({"service":"vercel"})");
  emit(*conn, 100, 10);  // seq 1..10, ring keeps 6..10
  const std::string id = session_id();
  connection_closed(*state, conn);
  Connection& again = test::open_connection(*state);
  test::authenticate(again);
  auto resume = [&](int last) {
    return error_code(
        roundtrip(again,
                  R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" +
                      id + R"(","lastSeq":)" + std::to_string(last) + "}}")
            .get());
  };
  EXPECT_EQ(resume(4), -32007);
}

TEST_F(StreamsTest, SessionExpiresAfterGraceUsingTheShiftedClock) {
  const std::string id = session_id();
  connection_closed(*state, conn);
  Connection& again = test::open_connection(*state);
  test::authenticate(again);
  JsonPtr shifted = roundtrip(
      again, R"({"jsonrpc":"2.0","method":"test.setClock","id":1,"params":{"offsetMs":31000}})");
  EXPECT_EQ(error_code(shifted.get()), 0);
  state->sessions.expire(state->now_ms(), state->options.resume_grace_ms);
  EXPECT_EQ(
      error_code(
          roundtrip(again,
                    R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" +
                        id + R"(","lastSeq":0}})")
              .get()),
      -32007);
}

TEST_F(StreamsTest, SlowReaderOfLiveTrafficIsClosedWith1008) {
  Options o = test::test_options();
  o.max_send_buffer_bytes = 65536;
  make(o);
  subscribe(*conn, R"({"service":"vercel"})");  // never drained below
  for (int i = 0; i < 100 && conn->close_code == 0; ++i) {
    publish_logs(*state, "vercel", live_entries(*state, "vercel", 100), 100);
  }
  EXPECT_EQ(conn->close_code, 1008);
  EXPECT_LE(conn->tx_bytes, 65536u);
}

TEST_F(StreamsTest, EmissionPacesABackedUpRecipientInsteadOfClosingIt) {
  Options o = test::test_options();
  o.max_send_buffer_bytes = 65536;
  make(o);
  Connection& slow = test::open_connection(*state);
  test::authenticate(slow);
  subscribe(slow, R"({"service":"vercel"})");
  emit(*conn, 20000);  // conn drains; slow does not
  EXPECT_EQ(slow.close_code, 0);
  EXPECT_FALSE(conn->jobs.empty());  // paced: the emitter waits for the slow recipient
  size_t received = 0;
  for (int round = 0; round < 10000 && !conn->jobs.empty(); ++round) {
    received += test::drain(slow).size();
    test::drain(*conn);
  }
  EXPECT_TRUE(conn->jobs.empty());
  received += test::drain(slow).size();
  EXPECT_EQ(received, 200u);  // every notification arrived; none was dropped to make room
}

TEST_F(StreamsTest, DropSessionHangsUpWithoutAnswering) {
  handle_message(*conn, R"({"jsonrpc":"2.0","method":"test.dropSession","id":1})", false);
  EXPECT_TRUE(test::drain(*conn).empty());
  EXPECT_TRUE(conn->drop_now);
}

TEST_F(StreamsTest, EmittedEntriesAreNumberedAndGroupedBeforeFiltering) {
  subscribe(*conn, R"({"service":"vercel","level":"error"})");
  Frames f = emit(*conn, 40, 8);  // groups of 8 hold n%4==3 twice each
  ASSERT_EQ(f.notifications.size(), 5u);
  uint64_t expected_n = 3;
  for (const JsonPtr& n : f.notifications) {
    ASSERT_EQ(entries_of(n), 2u);
    for (const cJSON* e = member(member(n.get(), "params"), "entries")->child; e; e = e->next) {
      EXPECT_EQ(member(e, "n")->valueint, static_cast<int>(expected_n));
      EXPECT_EQ(std::string(member(e, "message")->valuestring),
                "test entry " + std::to_string(expected_n));
      EXPECT_STREQ(member(e, "source")->valuestring, "test.emitLogs");
      expected_n += 4;
    }
  }
}

TEST_F(StreamsTest, EmitMetricsRotatesServicesAndTagsSamples) {
  JsonPtr r = roundtrip(
      *conn, R"({"jsonrpc":"2.0","method":"metrics.subscribe","id":1,"params":{"service":"aws"}})");
  ASSERT_EQ(error_code(r.get()), 0);
  handle_message(
      *conn, R"({"jsonrpc":"2.0","method":"test.emitMetrics","id":2,"params":{"count":9}})", false);
  Frames f = split(test::drain(*conn));
  ASSERT_EQ(f.notifications.size(), 3u);  // services sorted: aws, supabase, vercel -> n = 0, 3, 6
  for (size_t i = 0; i < 3; ++i) {
    const cJSON* params = member(f.notifications[i].get(), "params");
    EXPECT_STREQ(member(params, "service")->valuestring, "aws");
    EXPECT_EQ(member(member(params, "metrics"), "test.n")->valueint, static_cast<int>(3 * i));
  }
}

TEST(StreamsContract, TestMethodsNeedConformanceMode) {
  Options o = test::test_options();
  o.conformance = false;
  auto state = test::make_state(o);
  Connection& c = test::open_connection(*state);
  test::authenticate(c);
  EXPECT_EQ(
      error_code(
          roundtrip(
              c,
              R"({"jsonrpc":"2.0","method":"test.emitLogs","id":1,"params":{"service":"vercel","count":1}})")
              .get()),
      -32601);
  EXPECT_EQ(
      error_code(
          roundtrip(c,
                    R"({"jsonrpc":"2.0","method":"test.setClock","id":1,"params":{"offsetMs":1}})")
              .get()),
      -32601);
}

TEST(StreamsDefects, SeqGapAndResumeDuplicate) {
  Options o = test::test_options();
  o.defects = {"seq-gap", "resume-duplicate"};
  auto state = test::make_state(o);
  Connection& c = test::open_connection(*state);
  test::authenticate(c);
  subscribe(c, R"({"service":"vercel"})");
  Frames f = emit(c, 1500);
  bool gap = false;
  for (size_t i = 1; i < f.notifications.size(); ++i)
    gap |= seq_of(f.notifications[i]) != seq_of(f.notifications[i - 1]) + 1;
  EXPECT_TRUE(gap);
  const std::string id = c.session->id;
  connection_closed(*state, &c);
  Connection& again = test::open_connection(*state);
  test::authenticate(again);
  handle_message(again,
                 R"({"jsonrpc":"2.0","method":"session.resume","id":1,"params":{"sessionId":")" +
                     id + R"(","lastSeq":3}})",
                 false);
  std::vector<std::string> raw = test::drain(again);
  ASSERT_GE(raw.size(), 2u);
  EXPECT_EQ(seq_of(test::parse(raw[1])), 3u);  // lastSeq itself replayed: the defect
}

}  // namespace
}  // namespace flake
