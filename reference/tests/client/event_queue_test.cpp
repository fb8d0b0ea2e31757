// EventQueue: events in order, bounded by dropping the oldest, pop with a timeout.
#include "reference/client/event_queue.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace flake::client {
namespace {

using namespace std::chrono_literals;

Event notification(int64_t seq) {
  Event e(EventKind::kNotification);
  e.seq = seq;
  return e;
}

TEST(EventQueue, InOrderAndBounded) {
  EventQueue q(3);
  EventHandler h = q.handler();
  for (int64_t s = 1; s <= 5; ++s) h(notification(s));
  EXPECT_EQ(q.dropped(), 2u);
  for (int64_t s = 3; s <= 5; ++s) {
    auto e = q.pop(0ms);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->seq, s);
  }
  EXPECT_FALSE(q.pop(10ms));
}

TEST(EventQueue, PopWaitsForAPush) {
  EventQueue q;
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    q.push(Event(EventKind::kGaveUp));
  });
  auto e = q.pop(2000ms);
  t.join();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, EventKind::kGaveUp);
}

TEST(Events, JsonLines) {
  Event gap(EventKind::kGap);
  gap.expected = 4;
  gap.seq = 6;
  EXPECT_EQ(to_json_line(gap), R"({"event":"gap","expected":4,"seq":6})");
  Event call(EventKind::kCall);
  call.method = "supabase.getDashboard";
  call.outcome = "error";
  call.code = -32003;
  EXPECT_EQ(to_json_line(call),
            R"({"event":"call","method":"supabase.getDashboard","outcome":"error","code":-32003})");
  Event closed(EventKind::kDisconnected);
  EXPECT_EQ(to_json_line(closed), R"({"event":"disconnected"})");
  closed.code = 1001;
  EXPECT_EQ(to_json_line(closed), R"({"event":"disconnected","code":1001})");
  Event large(EventKind::kLarge);
  large.format = "msgpack";
  large.compressed = true;
  large.outcome = "verified";
  large.entries = 5;
  EXPECT_EQ(
      to_json_line(large),
      R"({"event":"large","format":"msgpack","compressed":true,"outcome":"verified","entries":5})");
}

}  // namespace
}  // namespace flake::client
