// §7.8's breaker on a fake clock: counting, opening, the single half-open trial, and the defects
// that break each of those.
#include "reference/client/breaker.hpp"

#include <gtest/gtest.h>

namespace flake::client {
namespace {

using std::chrono::milliseconds;

struct FakeClock {
  Clock::time_point now{std::chrono::seconds(1000)};
  void advance(milliseconds d) { now += d; }
};

BreakerPolicy policy(milliseconds open = milliseconds(600)) {
  BreakerPolicy p;
  p.open_for = open;
  return p;
}

void fail(Breaker& b, FakeClock& c, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(b.allow(c.now));
    b.record(c.now, CallVerdict::kFailure);
  }
}

TEST(Breaker, OpensAfterFiveConsecutiveFailures) {
  FakeClock c;
  Breaker b(policy());
  fail(b, c, 4);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  fail(b, c, 1);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.allow(c.now));
  c.advance(milliseconds(599));
  EXPECT_FALSE(b.allow(c.now));
}

TEST(Breaker, VerdictsFollowTheErrorCodes) {
  EXPECT_EQ(verdict_for_error(-32003), CallVerdict::kFailure);
  EXPECT_EQ(verdict_for_error(-32006), CallVerdict::kFailure);
  EXPECT_EQ(verdict_for_error(-32603), CallVerdict::kFailure);
  EXPECT_EQ(verdict_for_error(-32002), CallVerdict::kNeutral);
  EXPECT_EQ(verdict_for_error(-32602), CallVerdict::kNeutral);
  EXPECT_EQ(verdict_for_error(-32004), CallVerdict::kNeutral);
}

TEST(Breaker, ResultResetsAndOtherErrorsLeaveTheCount) {
  FakeClock c;
  Breaker b(policy());
  fail(b, c, 4);
  b.record(c.now, CallVerdict::kNeutral);
  EXPECT_EQ(b.failures(), 4);
  b.record(c.now, CallVerdict::kSuccess);
  EXPECT_EQ(b.failures(), 0);
  // F,F,F,F,result repeated never opens it.
  for (int round = 0; round < 5; ++round) {
    fail(b, c, 4);
    ASSERT_TRUE(b.allow(c.now));
    b.record(c.now, CallVerdict::kSuccess);
  }
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(Breaker, HalfOpenLetsExactlyOneTrialThrough) {
  FakeClock c;
  Breaker b(policy());
  fail(b, c, 5);
  c.advance(milliseconds(600));
  EXPECT_TRUE(b.allow(c.now)) << "the trial";
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(b.allow(c.now)) << "a second call while the trial runs fails locally";
  b.record(c.now, CallVerdict::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.allow(c.now));
}

TEST(Breaker, FailedTrialOpensForAnotherPeriod) {
  FakeClock c;
  Breaker b(policy());
  fail(b, c, 5);
  c.advance(milliseconds(650));
  ASSERT_TRUE(b.allow(c.now));
  b.record(c.now, CallVerdict::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  c.advance(milliseconds(599));
  EXPECT_FALSE(b.allow(c.now));
  c.advance(milliseconds(1));
  EXPECT_TRUE(b.allow(c.now));
}

TEST(Breaker, NeutralTrialLeavesItHalfOpenForTheNextTrial) {
  FakeClock c;
  Breaker b(policy());
  fail(b, c, 5);
  c.advance(milliseconds(600));
  ASSERT_TRUE(b.allow(c.now));
  b.record(c.now, CallVerdict::kNeutral);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(b.allow(c.now));
  EXPECT_FALSE(b.allow(c.now));
}

TEST(Breaker, DefectNoBreakerNeverOpens) {
  FakeClock c;
  BreakerPolicy p = policy();
  p.enabled = false;
  Breaker b(p);
  fail(b, c, 20);
  EXPECT_TRUE(b.allow(c.now));
}

TEST(Breaker, DefectNoHalfOpenStaysOpen) {
  FakeClock c;
  BreakerPolicy p = policy();
  p.half_opens = false;
  Breaker b(p);
  fail(b, c, 5);
  c.advance(std::chrono::hours(1));
  EXPECT_FALSE(b.allow(c.now));
}

TEST(Breaker, DefectNeverResetsOpensOnScatteredFailures) {
  FakeClock c;
  BreakerPolicy p = policy();
  p.result_resets = false;
  Breaker b(p);
  fail(b, c, 4);
  b.record(c.now, CallVerdict::kSuccess);
  fail(b, c, 1);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(BreakerSet, OnePerServiceAndNoneForProtocolMethods) {
  BreakerSet set(policy(), true);
  EXPECT_EQ(set.for_method("system.ping"), nullptr);
  EXPECT_EQ(set.for_method("logs.getLarge"), nullptr);
  EXPECT_EQ(set.for_method("auth.authenticate"), nullptr);
  Breaker* s = set.for_method("vercel.getDashboard");
  Breaker* t = set.for_method("supabase.getDashboard");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(t, nullptr);
  EXPECT_NE(s, t);
  EXPECT_EQ(s, set.for_method("vercel.getDeployments"));
  BreakerSet shared(policy(), false);
  EXPECT_EQ(shared.for_method("vercel.getDashboard"), shared.for_method("supabase.getDashboard"));
}

}  // namespace
}  // namespace flake::client
