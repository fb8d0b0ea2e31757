// resolve_limits: the protocol's numbers by default, and exactly one number changed per defect.
#include "reference/defects/limits.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace flake {
namespace {

Limits with(std::vector<std::string> names, Options o = {}) {
  return resolve_limits(o, parse_defects(names));
}

TEST(Limits, DefaultsAreTheProtocolsAndTheOptions) {
  Options o;
  o.max_connections = 7;
  o.resume_grace_ms = 1234;
  o.replay_ring = 5000;
  o.header_timeout_ms = 1500;
  const Limits l = with({}, o);
  EXPECT_EQ(l.max_batch, 100u);
  EXPECT_EQ(l.max_operations, 100u);
  EXPECT_EQ(l.default_page_limit, 20u);
  EXPECT_EQ(l.max_json_depth, 64);
  EXPECT_EQ(l.max_ws_message_bytes, o.max_message_bytes);
  EXPECT_EQ(l.max_ws_connections, 7u);
  EXPECT_EQ(l.max_failed_auths, 3);
  EXPECT_EQ(l.auth_timeout_ms, o.auth_timeout_ms);
  EXPECT_EQ(l.ping_interval_ms, o.ping_interval_ms);
  EXPECT_EQ(l.max_unanswered_pings, 2);
  EXPECT_EQ(l.resume_grace_ms, 1234);
  EXPECT_EQ(l.session_ring_items, 5000u);
  EXPECT_EQ(l.session_ring_bytes, o.replay_bytes);
  EXPECT_EQ(l.header_timeout_s, 2u);  // rounded up to whole seconds
  EXPECT_EQ(l.max_head_bytes, 8192u);
  EXPECT_EQ(l.body_timeout_s, 5u);
  EXPECT_EQ(l.ticket_random_bytes, 16u);
  EXPECT_EQ(l.ticket_lifetime_ms, 30'000);
  EXPECT_EQ(l.ticket_announced_ms, 30'000);
  EXPECT_EQ(l.ballast_bytes, 0u);
}

TEST(Limits, EachNumberDefectChangesItsNumber) {
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  EXPECT_EQ(with({"no-batch-limit"}).max_batch, kMax);
  EXPECT_EQ(with({"batch-limit-off-by-one"}).max_batch, 99u);
  EXPECT_EQ(with({"batch-execute-no-limit"}).max_operations, kMax);
  EXPECT_EQ(with({"default-limit-10"}).default_page_limit, 10u);
  EXPECT_GT(with({"no-depth-limit"}).max_json_depth, 64);
  EXPECT_EQ(with({"no-size-limit"}).max_ws_message_bytes, kMax);
  EXPECT_EQ(with({"cap-off-by-one"}).max_ws_connections, 65u);
  EXPECT_GT(with({"no-auth-lockout"}).max_failed_auths, 1'000'000);
  EXPECT_EQ(with({"no-auth-timeout"}).auth_timeout_ms, kNever);
  EXPECT_EQ(with({"no-pings"}).ping_interval_ms, kNever);
  EXPECT_GT(with({"no-ping-timeout"}).max_unanswered_pings, 1'000'000);
  EXPECT_EQ(with({"short-grace"}).resume_grace_ms, 15'000);
  EXPECT_EQ(with({"small-ring"}).session_ring_items, 1000u);
  EXPECT_EQ(with({"small-ring-bytes"}).session_ring_bytes, size_t{2} << 20);
  EXPECT_EQ(with({"no-header-timeout"}).header_timeout_s, 60u);
  EXPECT_EQ(with({"no-body-timeout"}).body_timeout_s, 60u);
  EXPECT_EQ(with({"small-head-limit"}).max_head_bytes, 4096u);
  EXPECT_EQ(with({"ticket-short"}).ticket_random_bytes, 4u);
  EXPECT_EQ(with({"ticket-no-expiry"}).ticket_lifetime_ms, kNever);
  EXPECT_EQ(with({"ticket-expiry"}).ticket_announced_ms, 60'000);
  EXPECT_EQ(with({"memory-hog"}).ballast_bytes, size_t{64} << 20);
}

TEST(Limits, OtherDefectsLeaveTheNumbersAlone) {
  const Limits clean = with({});
  const Limits other = with({"seq-gap", "parse-error-id"});
  EXPECT_EQ(other.max_batch, clean.max_batch);
  EXPECT_EQ(other.resume_grace_ms, clean.resume_grace_ms);
  EXPECT_EQ(other.ticket_lifetime_ms, clean.ticket_lifetime_ms);
}

}  // namespace
}  // namespace flake
