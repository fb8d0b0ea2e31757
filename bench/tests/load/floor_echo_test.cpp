// The floor server against the benchmark client on loopback: handshake, answers by id, a canned
// log stream whose entries carry the same marker as test.emitLogs, and a chunked export.
#include "bench/load/floor_echo.hpp"
#include "bench/load/bench_conn.hpp"
#include "bench/load/scenarios.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace flake::bench {
namespace {

Deadline soon() {
  return conform::deadline_in(std::chrono::milliseconds(5000));
}

TEST(FloorServer, AnswersRequestsById) {
  FloorServer floor;
  std::string error;
  ASSERT_TRUE(floor.start(error)) << error;
  BenchConn c;
  ASSERT_TRUE(c.open(*conform::parse_url(floor.url()), soon(), error)) << error;
  ASSERT_TRUE(c.authenticate("any", soon(), error)) << error;
  const auto answer = c.call("system.ping", "", soon(), error);
  ASSERT_TRUE(answer.has_value()) << error;
  EXPECT_NE(answer->find("\"result\""), std::string::npos);
}

TEST(FloorServer, CannedNotificationHasTheEntryShape) {
  const std::string n = floor_log_notification(3, 10, 100);
  EXPECT_NE(n.find("\"method\":\"logs.update\""), std::string::npos);
  EXPECT_NE(n.find("\"seq\":3"), std::string::npos);
  EXPECT_NE(n.find("\"message\":\"test entry 109\""), std::string::npos);
  EXPECT_EQ(count_of(n, "\"source\":\"test.emitLogs\""), 100u);
}

TEST(FloorServer, ScenariosRunAgainstIt) {
  FloorServer floor;
  std::string error;
  ASSERT_TRUE(floor.start(error)) << error;
  const BenchTarget t{*conform::parse_url(floor.url()), "token", "floor", -1};
  const LatencyRun run = closed_loop(t, 2, 4, 200, true);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.completed, 200u);
  EXPECT_EQ(run.latency_ns.count(), 200u);
  const StreamRun logs = log_stream(t, 1050, true);
  EXPECT_EQ(logs.error, "");
  EXPECT_EQ(logs.entries, 1050u);
  EXPECT_EQ(logs.notifications, 11u);  // 100 per notification, the last one shorter
  const LargeRun large = get_large(t, 10, 1, true);
  EXPECT_EQ(large.error, "");
  EXPECT_EQ(large.chunks, 5u);
  EXPECT_GT(large.payload_bytes, 0u);
  EXPECT_GT(large.wire_bytes, large.payload_bytes);
}

TEST(FloorServer, ItsThreadsCpuTimeIsTheTargetsOverAPingRun) {
  FloorServer floor;
  EXPECT_FALSE(floor.cpu_clock().has_value());  // no thread yet
  std::string error;
  ASSERT_TRUE(floor.start(error)) << error;
  ASSERT_TRUE(floor.cpu_clock().has_value());
  const BenchTarget t{*conform::parse_url(floor.url()), "token", "floor", -1, floor.cpu_clock()};
  const LatencyRun run = closed_loop(t, 1, 64, 2000, true);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.completed, 2000u);
  EXPECT_TRUE(std::isfinite(run.cpu_seconds));
  EXPECT_GT(run.cpu_seconds, 0);  // serving 2,000 pings takes some CPU time, counted in ns
  // Without a clock or a pid the target's CPU time is unknown.
  const BenchTarget unknown{*conform::parse_url(floor.url()), "token", "floor", -1};
  EXPECT_EQ(closed_loop(unknown, 1, 64, 200, true).cpu_seconds, -1);
  floor.stop();
  EXPECT_FALSE(floor.cpu_clock().has_value());
}

}  // namespace
}  // namespace flake::bench
