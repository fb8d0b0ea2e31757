// Tests for the token bucket, driven by a fake clock (plain integers) so nothing sleeps.
#include "reference/state/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace flake {
namespace {

TEST(TokenBucket, StartsFullThenRefuses) {
  TokenBucket bucket(10, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.try_take(1000)) << i;
  EXPECT_FALSE(bucket.try_take(1000));
  EXPECT_FALSE(bucket.try_take(1000));
}

TEST(TokenBucket, StartsFullWhateverTheFirstTimestamp) {
  TokenBucket negative(1, 3);
  EXPECT_TRUE(negative.try_take(-5'000'000, 3));
  EXPECT_FALSE(negative.try_take(-5'000'000));
  TokenBucket late(1, 3);
  EXPECT_TRUE(late.try_take(INT64_C(9'000'000'000'000), 3));
  EXPECT_FALSE(late.try_take(INT64_C(9'000'000'000'000)));
}

TEST(TokenBucket, RefillsAtTheConfiguredRate) {
  TokenBucket bucket(10, 5);  // one token per 100 ms
  EXPECT_TRUE(bucket.try_take(0, 5));
  EXPECT_FALSE(bucket.try_take(99));
  EXPECT_TRUE(bucket.try_take(100));
  EXPECT_FALSE(bucket.try_take(100));
  EXPECT_FALSE(bucket.try_take(150));
  EXPECT_TRUE(bucket.try_take(200));
  // 1 s refills 10 tokens but the bucket holds at most 5.
  int taken = 0;
  while (bucket.try_take(1200)) ++taken;
  EXPECT_EQ(taken, 5);
}

TEST(TokenBucket, SustainedRateOverALongRun) {
  TokenBucket bucket(1000, 10);  // one token per ms
  EXPECT_TRUE(bucket.try_take(0, 10));
  int taken = 0;
  for (int64_t t = 0; t <= 10'000; ++t) {
    while (bucket.try_take(t)) ++taken;
  }
  EXPECT_EQ(taken, 10'000);
}

TEST(TokenBucket, FractionalRates) {
  TokenBucket bucket(0.5, 1);  // one token per 2 s
  EXPECT_TRUE(bucket.try_take(0));
  EXPECT_EQ(bucket.retry_after_ms(0), 2000);
  EXPECT_FALSE(bucket.try_take(1999));
  EXPECT_TRUE(bucket.try_take(2000));

  TokenBucket thirds(3, 1);  // 333.33... ms per token
  EXPECT_TRUE(thirds.try_take(0));
  EXPECT_EQ(thirds.retry_after_ms(0), 334);
  EXPECT_FALSE(thirds.try_take(333));
  EXPECT_TRUE(thirds.try_take(334));
}

TEST(TokenBucket, RetryAfterIsZeroWhenTokensAreAvailable) {
  TokenBucket bucket(10, 2);
  EXPECT_EQ(bucket.retry_after_ms(0), 0);
  EXPECT_EQ(bucket.retry_after_ms(0, 2), 0);
  EXPECT_TRUE(bucket.try_take(0));
  EXPECT_EQ(bucket.retry_after_ms(0), 0);
  EXPECT_EQ(bucket.retry_after_ms(0, 2), 100);
}

TEST(TokenBucket, RetryAfterIsExactAtEveryPointInTime) {
  // For many (rate, burst, cost) combinations and query times: waiting retry_after_ms is enough and
  // one millisecond less is not. Copies are probed so the probes do not change the bucket under
  // test.
  const double rates[] = {1, 3, 7, 10, 33.3, 100, 999, 1000, 10'000, 12'345.6};
  const double costs[] = {1, 2, 0.5, 3};
  for (double rate : rates) {
    for (double cost : costs) {
      TokenBucket bucket(rate, 4);
      ASSERT_TRUE(bucket.try_take(0, 4));
      ASSERT_GE(bucket.retry_after_ms(0, cost), 1) << rate << " " << cost;
      for (int64_t now = 0; now < 50; now += 7) {
        const int64_t wait = bucket.retry_after_ms(now, cost);
        if (wait == 0) {
          TokenBucket copy = bucket;
          EXPECT_TRUE(copy.try_take(now, cost)) << rate << " " << cost << " " << now;
          continue;
        }
        TokenBucket early = bucket;
        EXPECT_FALSE(early.try_take(now + wait - 1, cost)) << rate << " " << cost << " " << now;
        TokenBucket on_time = bucket;
        EXPECT_TRUE(on_time.try_take(now + wait, cost)) << rate << " " << cost << " " << now;
      }
    }
  }
}

TEST(TokenBucket, RefusedAttemptsDoNotDelayTheRefill) {
  TokenBucket bucket(10, 1);
  EXPECT_TRUE(bucket.try_take(0));
  for (int64_t t = 1; t < 100; ++t) EXPECT_FALSE(bucket.try_take(t)) << t;
  EXPECT_EQ(bucket.retry_after_ms(99), 1);
  EXPECT_TRUE(bucket.try_take(100));
}

TEST(TokenBucket, RetryAfterIsAtLeastOneWhenEmpty) {
  TokenBucket bucket(1'000'000, 1);  // a token per microsecond: less than 1 ms away
  EXPECT_TRUE(bucket.try_take(0));
  EXPECT_EQ(bucket.retry_after_ms(0), 1);
  EXPECT_TRUE(bucket.try_take(1));
}

TEST(TokenBucket, Unlimited) {
  TokenBucket bucket(0, 1);
  EXPECT_TRUE(bucket.unlimited());
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(bucket.try_take(0));
  EXPECT_TRUE(bucket.try_take(0, 1e12));
  EXPECT_EQ(bucket.retry_after_ms(0, 1e12), 0);
  EXPECT_TRUE(TokenBucket(-5, 10).unlimited());
  EXPECT_FALSE(TokenBucket(0.001, 1).unlimited());
}

TEST(TokenBucket, TimeGoingBackwardsGrantsNothingAndLocksNothing) {
  TokenBucket bucket(10, 2);
  EXPECT_TRUE(bucket.try_take(10'000, 2));
  // A jump back by an hour neither refills nor breaks anything ...
  EXPECT_FALSE(bucket.try_take(10'000 - 3'600'000));
  EXPECT_EQ(bucket.retry_after_ms(10'000 - 3'600'000), 100);
  // ... and the refill resumes from the new reading instead of waiting an hour for the old one.
  EXPECT_FALSE(bucket.try_take(10'000 - 3'600'000 + 99));
  EXPECT_TRUE(bucket.try_take(10'000 - 3'600'000 + 100));
  // A small backwards step after a take is also harmless.
  TokenBucket small(10, 1);
  EXPECT_TRUE(small.try_take(500));
  EXPECT_FALSE(small.try_take(450));
  EXPECT_FALSE(small.try_take(549));
  EXPECT_TRUE(small.try_take(550));
  EXPECT_FALSE(small.try_take(550));
}

TEST(TokenBucket, CostsAboveOneAndBelowOne) {
  TokenBucket bucket(10, 5);
  EXPECT_TRUE(bucket.try_take(0, 3));
  EXPECT_FALSE(bucket.try_take(0, 3));
  EXPECT_TRUE(bucket.try_take(0, 2));
  EXPECT_FALSE(bucket.try_take(0, 0.5));
  EXPECT_TRUE(bucket.try_take(50, 0.5));
  EXPECT_TRUE(bucket.try_take(50, 0));  // free
}

TEST(TokenBucket, FractionalCostsAddUpDespiteRounding) {
  // 1.0 - 0.05 - 0.05 - ... leaves slightly less than 0.05 for the 20th take in binary floating
  // point.
  TokenBucket twentieths(10, 1);
  int taken = 0;
  while (twentieths.try_take(0, 0.05)) ++taken;
  EXPECT_EQ(taken, 20);
  TokenBucket tenths(10, 2);
  taken = 0;
  while (tenths.try_take(0, 0.1)) ++taken;
  EXPECT_EQ(taken, 20);
}

TEST(TokenBucket, CostAboveTheBurstNeverPasses) {
  TokenBucket bucket(10, 5);
  EXPECT_FALSE(bucket.try_take(0, 6));
  EXPECT_GE(bucket.retry_after_ms(0, 6), 1);
  EXPECT_FALSE(bucket.try_take(1'000'000, 6));
  EXPECT_TRUE(bucket.try_take(1'000'000, 5));  // refusals consumed nothing
}

TEST(TokenBucket, BurstBelowOneIsRaisedToOne) {
  TokenBucket bucket(10, 0);
  EXPECT_EQ(bucket.burst(), 1);
  EXPECT_TRUE(bucket.try_take(0));
  EXPECT_FALSE(bucket.try_take(0));
  EXPECT_EQ(bucket.retry_after_ms(0), 100);
}

TEST(TokenBucket, ProtocolDefaults) {
  TokenBucket bucket(10'000, 20'000);
  int taken = 0;
  while (bucket.try_take(0)) ++taken;
  EXPECT_EQ(taken, 20'000);
  EXPECT_EQ(bucket.retry_after_ms(0), 1);
  int next_ms = 0;
  while (bucket.try_take(1)) ++next_ms;
  EXPECT_EQ(next_ms, 10);
}

}  // namespace
}  // namespace flake
