// Notification fan-out shares each publish's tail (the entries) between recipients: one object in
// every send queue and replay ring, while each recipient's payload is byte for byte what one
// whole frame per recipient used to be (docs/protocol.md §6, §7).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "reference/codec/msgpack.hpp"
#include "reference/state/notifier.hpp"
#include "reference/tests/test_support.hpp"

namespace flake {
namespace {

// The payload a recipient receives: the head after the padding, then the shared tail.
std::string payload_of(const OutFrame& frame) {
  std::string out = frame.bytes->substr(kFramePad);
  if (frame.tail) out += *frame.tail;
  return out;
}

std::string payload_of(const ReplayFrame& frame) {
  return payload_of(OutFrame{frame.frame, frame.binary, frame.tail});
}

std::string subscribe(Connection& c, const std::string& method, const std::string& params) {
  JsonPtr r = test::roundtrip(
      c, R"({"jsonrpc":"2.0","method":")" + method + R"(","id":1,"params":)" + params + "}");
  const cJSON* sub = member(member(r.get(), "result"), "subscription");
  if (!cJSON_IsString(sub)) throw std::runtime_error("subscribe failed: " + print_json(r.get()));
  return sub->valuestring;
}

// The whole frame as deliver rendered it before the tail was shared: entries [first, end) of
// `run` at `min_level` and above.
std::string expected_logs_update(const std::string& subscription, uint64_t seq, const EntryRun& run,
                                 size_t first, size_t end, int min_level) {
  std::string out = R"({"jsonrpc":"2.0","method":"logs.update","params":{"subscription":")" +
                    subscription + R"(","service":"vercel","seq":)" + std::to_string(seq) +
                    R"(,"entries":[)";
  bool any = false;
  for (size_t i = first; i < end; ++i) {
    if (run.levels[i] < min_level) continue;
    const uint32_t begin = i == 0 ? 0 : run.ends[i - 1];
    if (any) out += ',';
    out.append(run.text, begin, run.ends[i] - begin);
    any = true;
  }
  return out + "]}}";
}

size_t queued_payload_bytes(const Connection& c) {
  size_t total = 0;
  for (const OutFrame& frame : c.tx) total += frame.payload_size();
  return total;
}

class NotifierTest : public ::testing::Test {
 protected:
  Connection& connect() {
    Connection& c = test::open_connection(*state);
    test::authenticate(c);
    return c;
  }
  std::unique_ptr<ServerState> state = test::make_state();
};

TEST_F(NotifierTest, SubscribersShareOneTailPerNotificationAndGetTheWholeFrameBytes) {
  Connection& a = connect();
  Connection& b = connect();
  const std::string sub_a = subscribe(a, "logs.subscribe", R"({"service":"vercel"})");
  const std::string sub_b = subscribe(b, "logs.subscribe", R"({"service":"vercel"})");
  const EntryRun run = test_entries(*state, 1, 250);
  publish_logs(*state, "vercel", run, 100);  // groups of 100, 100, 50

  ASSERT_EQ(a.tx.size(), 3u);
  ASSERT_EQ(b.tx.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const size_t first = i * 100;
    const size_t end = std::min<size_t>(first + 100, 250);
    ASSERT_NE(a.tx[i].tail, nullptr);
    EXPECT_EQ(a.tx[i].tail, b.tx[i].tail) << "one shared object, not two copies";
    EXPECT_NE(a.tx[i].bytes, b.tx[i].bytes);  // each head names its own subscription
    EXPECT_FALSE(a.tx[i].binary);
    EXPECT_EQ(payload_of(a.tx[i]), expected_logs_update(sub_a, i + 1, run, first, end, 0));
    EXPECT_EQ(payload_of(b.tx[i]), expected_logs_update(sub_b, i + 1, run, first, end, 0));
  }
  // Send-queue accounting counts both pieces.
  EXPECT_EQ(a.tx_bytes, queued_payload_bytes(a));
  EXPECT_EQ(b.tx_bytes, queued_payload_bytes(b));

  // The replay ring holds the very objects that were queued.
  auto kept = a.session->ring.since(0);
  ASSERT_TRUE(kept.has_value());
  ASSERT_EQ(kept->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*kept)[i].frame, a.tx[i].bytes);
    EXPECT_EQ((*kept)[i].tail, a.tx[i].tail);
  }
  EXPECT_EQ(a.session->ring.bytes(), 3 * kFramePad + queued_payload_bytes(a));

  // What drain() hands the tests (and a socket sends) is the joined payload.
  const std::vector<std::string> sent = test::drain(a);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2], expected_logs_update(sub_a, 3, run, 200, 250, 0));
  EXPECT_EQ(a.tx_bytes, 0u);
}

TEST_F(NotifierTest, EachLevelFilterGetsItsOwnSharedTail) {
  Connection& all1 = connect();
  Connection& all2 = connect();
  Connection& errors = connect();
  subscribe(all1, "logs.subscribe", R"({"service":"vercel"})");
  subscribe(all2, "logs.subscribe", R"({"service":"vercel"})");
  const std::string sub_e =
      subscribe(errors, "logs.subscribe", R"({"service":"vercel","level":"error"})");
  const EntryRun run = test_entries(*state, 1, 8);
  publish_logs(*state, "vercel", run, 8);
  ASSERT_EQ(all1.tx.size(), 1u);
  ASSERT_EQ(all2.tx.size(), 1u);
  ASSERT_EQ(errors.tx.size(), 1u);
  EXPECT_EQ(all1.tx[0].tail, all2.tx[0].tail);
  EXPECT_NE(all1.tx[0].tail, errors.tx[0].tail);
  EXPECT_EQ(payload_of(errors.tx[0]), expected_logs_update(sub_e, 1, run, 0, 8, 3));

  // A group the filter empties is not sent at all.
  publish_logs(*state, "vercel", test_entries(*state, 1, 2), 2);  // debug and info only
  EXPECT_EQ(all1.tx.size(), 2u);
  EXPECT_EQ(errors.tx.size(), 1u);
}

TEST_F(NotifierTest, MetricsSubscribersShareTheSampleTail) {
  Connection& a = connect();
  Connection& b = connect();
  subscribe(a, "metrics.subscribe", R"({"service":"vercel"})");
  subscribe(b, "metrics.subscribe", "{}");  // every service
  const std::vector<std::string>& services = state->fixtures.services();
  const auto vercel = std::find(services.begin(), services.end(), "vercel") - services.begin();
  publish_metrics(*state, static_cast<uint64_t>(vercel), 1, true);
  ASSERT_EQ(a.tx.size(), 1u);
  ASSERT_EQ(b.tx.size(), 1u);
  EXPECT_EQ(a.tx[0].tail, b.tx[0].tail);
  JsonPtr n = test::parse(payload_of(a.tx[0]));
  const cJSON* params = member(n.get(), "params");
  EXPECT_STREQ(member(params, "service")->valuestring, "vercel");
  EXPECT_EQ(member(params, "seq")->valueint, 1);
  EXPECT_TRUE(cJSON_IsObject(member(params, "metrics")));
}

TEST_F(NotifierTest, MessagePackSubscriberGetsWholeFrames) {
  Connection& json_reader = connect();
  Connection& packed = connect();
  const std::string sub_j = subscribe(json_reader, "logs.subscribe", R"({"service":"vercel"})");
  ParseResult request = parse_json(
      R"({"jsonrpc":"2.0","method":"logs.subscribe","id":1,"params":{"service":"vercel"}})");
  handle_message(packed, encode_msgpack(request.value.get()), true);
  ASSERT_EQ(packed.tx.size(), 1u);
  packed.tx.clear();
  packed.tx_bytes = 0;
  const EntryRun run = test_entries(*state, 1, 5);
  publish_logs(*state, "vercel", run, 5);
  ASSERT_EQ(packed.tx.size(), 1u);
  EXPECT_TRUE(packed.tx[0].binary);
  EXPECT_EQ(packed.tx[0].tail, nullptr);
  EXPECT_EQ(packed.tx_bytes, packed.tx[0].payload_size());
  MsgpackDecodeResult decoded = decode_msgpack(payload_of(packed.tx[0]), kMaxJsonDepth);
  ASSERT_NE(decoded.value, nullptr);
  const cJSON* params = member(decoded.value.get(), "params");
  EXPECT_EQ(cJSON_GetArraySize(member(params, "entries")), 5);
  // The JSON subscriber's frame is unaffected by the re-encoding.
  ASSERT_EQ(json_reader.tx.size(), 1u);
  EXPECT_EQ(payload_of(json_reader.tx[0]), expected_logs_update(sub_j, 1, run, 0, 5, 0));
}

TEST_F(NotifierTest, ResumeReplaysTheSharedPiecesAndTheSameBytes) {
  Connection& stays = connect();
  Connection& leaves = connect();
  subscribe(stays, "logs.subscribe", R"({"service":"vercel"})");
  const std::string sub = subscribe(leaves, "logs.subscribe", R"({"service":"vercel"})");
  const std::string id = leaves.session->id;
  connection_closed(*state, &leaves);
  const EntryRun run = test_entries(*state, 1, 150);
  publish_logs(*state, "vercel", run, 100);
  ASSERT_EQ(stays.tx.size(), 2u);

  Connection& again = connect();
  handle_message(again,
                 R"({"jsonrpc":"2.0","method":"session.resume","id":7,"params":{"sessionId":")" +
                     id + R"(","lastSeq":0}})",
                 false);
  ASSERT_EQ(again.tx.size(), 3u);  // the response, then the two missed notifications
  for (size_t i = 0; i < 2; ++i) {
    const OutFrame& replayed = again.tx[1 + i];
    EXPECT_EQ(replayed.tail, stays.tx[i].tail);
    EXPECT_EQ(payload_of(replayed), expected_logs_update(sub, i + 1, run, i * 100,
                                                         std::min<size_t>(i * 100 + 100, 150), 0));
  }
  EXPECT_EQ(again.tx_bytes, queued_payload_bytes(again));
  auto kept = again.session->ring.since(0);
  ASSERT_TRUE(kept.has_value());
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ(payload_of((*kept)[1]), payload_of(again.tx[2]));
}

}  // namespace
}  // namespace flake
