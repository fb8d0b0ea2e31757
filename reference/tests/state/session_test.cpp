// Tests for sessions and their registry: ids, seqs, subscriptions, detach/attach and expiry.
#include "reference/state/session.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace flake {
namespace {

bool is_lower_hex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(Levels, ParseAndName) {
  EXPECT_EQ(parse_level("debug"), 0);
  EXPECT_EQ(parse_level("info"), 1);
  EXPECT_EQ(parse_level("warn"), 2);
  EXPECT_EQ(parse_level("error"), 3);
  for (const char* bad :
       {"", "DEBUG", "Info", "warning", "err", "fatal", "trace", " info", "info "}) {
    EXPECT_FALSE(parse_level(bad).has_value()) << bad;
  }
  for (int level = 0; level <= 3; ++level) EXPECT_EQ(parse_level(level_name(level)), level);
  EXPECT_STREQ(level_name(-1), "unknown");
  EXPECT_STREQ(level_name(4), "unknown");
}

TEST(Session, SeqStartsAtOneAndIncreasesByOne) {
  Session s("abc", 10, 1000);
  EXPECT_EQ(s.last_seq, 0u);
  EXPECT_EQ(s.assign_seq(), 1u);
  EXPECT_EQ(s.assign_seq(), 2u);
  EXPECT_EQ(s.last_seq, 2u);
}

TEST(Session, SubscriptionsGetDistinctIdsThatAreNeverReused) {
  Session s("abc", 10, 1000);
  const std::string a = s.add_subscription(StreamKind::kLogs, "vercel", kLevelWarn);
  const std::string b = s.add_subscription(StreamKind::kMetrics, "", 0);
  EXPECT_EQ(a, "sub-1");
  EXPECT_EQ(b, "sub-2");
  ASSERT_EQ(s.subscriptions.size(), 2u);
  const Subscription& sub = s.subscriptions.at(a);
  EXPECT_EQ(sub.id, a);
  EXPECT_EQ(sub.kind, StreamKind::kLogs);
  EXPECT_EQ(sub.service, "vercel");
  EXPECT_EQ(sub.min_level, kLevelWarn);

  EXPECT_TRUE(s.remove_subscription(a));
  EXPECT_FALSE(s.remove_subscription(a));
  EXPECT_FALSE(s.remove_subscription("sub-99"));
  EXPECT_FALSE(s.remove_subscription(""));
  EXPECT_EQ(s.subscriptions.size(), 1u);
  EXPECT_EQ(s.add_subscription(StreamKind::kLogs, "aws", 0), "sub-3");
}

TEST(Session, SubscriptionMatching) {
  const Subscription logs{"sub-1", StreamKind::kLogs, "vercel", kLevelWarn};
  EXPECT_TRUE(subscription_wants(logs, StreamKind::kLogs, "vercel", kLevelWarn));
  EXPECT_TRUE(subscription_wants(logs, StreamKind::kLogs, "vercel", kLevelError));
  EXPECT_FALSE(subscription_wants(logs, StreamKind::kLogs, "vercel", kLevelInfo));
  EXPECT_FALSE(subscription_wants(logs, StreamKind::kLogs, "aws", kLevelError));
  EXPECT_FALSE(subscription_wants(logs, StreamKind::kMetrics, "vercel"));

  const Subscription metrics{"sub-2", StreamKind::kMetrics, "", 0};
  EXPECT_TRUE(subscription_wants(metrics, StreamKind::kMetrics, "aws"));
  EXPECT_TRUE(subscription_wants(metrics, StreamKind::kMetrics, "supabase"));
  EXPECT_FALSE(subscription_wants(metrics, StreamKind::kDeployments, "aws"));

  // min_level means nothing outside logs.
  const Subscription deployments{"sub-3", StreamKind::kDeployments, "vercel", kLevelError};
  EXPECT_TRUE(subscription_wants(deployments, StreamKind::kDeployments, "vercel", kLevelDebug));
}

TEST(SessionRegistry, CreateGivesUniqueRandomHexIds) {
  SessionRegistry registry(10, 1000);
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    Session& s = registry.create();
    EXPECT_EQ(s.id.size(), 32u);
    EXPECT_TRUE(is_lower_hex(s.id)) << s.id;
    EXPECT_TRUE(s.attached);
    EXPECT_EQ(s.last_seq, 0u);
    ids.insert(s.id);
  }
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(registry.size(), 200u);
}

TEST(SessionRegistry, SessionsUseTheRegistrysRingBounds) {
  SessionRegistry registry(2, 1'000'000);
  Session& s = registry.create();
  for (int i = 0; i < 5; ++i) {
    s.ring.push(s.assign_seq(), std::make_shared<const std::string>("x"));
  }
  EXPECT_EQ(s.ring.size(), 2u);
  EXPECT_EQ(s.ring.oldest_seq(), 4u);
}

TEST(SessionRegistry, FindAndAddressStability) {
  SessionRegistry registry(10, 1000);
  Session& first = registry.create();
  const std::string id = first.id;
  // Enough insertions to force rehashing: the first session must not move.
  for (int i = 0; i < 500; ++i) registry.create();
  EXPECT_EQ(registry.find(id), &first);
  EXPECT_EQ(registry.find("0123456789abcdef0123456789abcdef"), nullptr);
  EXPECT_EQ(registry.find(""), nullptr);
  EXPECT_EQ(registry.find(std::string_view(id).substr(0, 31)), nullptr);
}

TEST(SessionRegistry, EraseIncludingWithTheSessionsOwnId) {
  SessionRegistry registry(10, 1000);
  Session& a = registry.create();
  Session& b = registry.create();
  const std::string b_id = b.id;
  registry.erase(a.id);  // a's id is destroyed with the session
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.find(b_id), &b);
  registry.erase("no-such-session");
  EXPECT_EQ(registry.size(), 1u);
  registry.erase(b_id);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(SessionRegistry, DetachAttach) {
  SessionRegistry registry(10, 1000);
  Session& s = registry.create();
  registry.detach(s, 5000);
  EXPECT_FALSE(s.attached);
  EXPECT_EQ(s.detached_at_ms, 5000);
  registry.attach(s);
  EXPECT_TRUE(s.attached);
  EXPECT_EQ(s.detached_at_ms, 0);
}

TEST(SessionRegistry, ExpireErasesOnlyDetachedSessionsPastTheGrace) {
  SessionRegistry registry(10, 1000);
  Session& live = registry.create();
  Session& early = registry.create();
  Session& late = registry.create();
  const std::string live_id = live.id, early_id = early.id, late_id = late.id;
  registry.detach(early, 1000);
  registry.detach(late, 20'000);

  EXPECT_EQ(registry.expire(31'000, 30'000), 0u);  // exactly at the grace: still kept
  EXPECT_EQ(registry.size(), 3u);
  EXPECT_EQ(registry.expire(31'001, 30'000), 1u);
  EXPECT_EQ(registry.find(early_id), nullptr);
  EXPECT_NE(registry.find(late_id), nullptr);
  EXPECT_NE(registry.find(live_id), nullptr);

  EXPECT_EQ(registry.expire(10'000'000, 30'000), 1u);
  EXPECT_EQ(registry.find(late_id), nullptr);
  EXPECT_EQ(registry.find(live_id), &live);  // attached sessions never expire
  EXPECT_EQ(registry.size(), 1u);
}

TEST(SessionRegistry, ReattachedSessionDoesNotExpire) {
  SessionRegistry registry(10, 1000);
  Session& s = registry.create();
  registry.detach(s, 0);
  registry.attach(s);
  EXPECT_EQ(registry.expire(1'000'000, 30'000), 0u);
  EXPECT_EQ(registry.size(), 1u);
}

TEST(SessionRegistry, ClockGoingBackwardsExpiresNothing) {
  SessionRegistry registry(10, 1000);
  Session& s = registry.create();
  registry.detach(s, 100'000);
  EXPECT_EQ(registry.expire(0, 30'000), 0u);
  EXPECT_EQ(registry.expire(-1'000'000, 30'000), 0u);
  EXPECT_EQ(registry.size(), 1u);
}

TEST(SessionRegistry, ForEachVisitsAttachedAndDetachedSessions) {
  SessionRegistry registry(10, 1000);
  Session& a = registry.create();
  Session& b = registry.create();
  registry.create();
  registry.detach(b, 0);
  a.add_subscription(StreamKind::kLogs, "aws", 0);
  b.add_subscription(StreamKind::kLogs, "aws", 0);
  int visited = 0;
  int with_subscriptions = 0;
  registry.for_each([&](Session& s) {
    ++visited;
    if (!s.subscriptions.empty()) {
      ++with_subscriptions;
      s.ring.push(s.assign_seq(), std::make_shared<const std::string>("n"));
    }
  });
  EXPECT_EQ(visited, 3);
  EXPECT_EQ(with_subscriptions, 2);
  EXPECT_EQ(b.last_seq, 1u);  // the detached session still collects notifications for resume
  EXPECT_EQ(b.ring.size(), 1u);
}

}  // namespace
}  // namespace flake
