// §7.7's reconnect schedule: base·1,2,4,8,16, ±20 % jitter, give up after 5 failed attempts.
#include "reference/client/backoff.hpp"

#include <gtest/gtest.h>

#include <random>

namespace flake::client {
namespace {

TEST(Backoff, NominalDelaysDouble) {
  BackoffPolicy p;
  p.base = Millis(100);
  EXPECT_EQ(nominal_delay(p, 1), Millis(100));
  EXPECT_EQ(nominal_delay(p, 2), Millis(200));
  EXPECT_EQ(nominal_delay(p, 3), Millis(400));
  EXPECT_EQ(nominal_delay(p, 4), Millis(800));
  EXPECT_EQ(nominal_delay(p, 5), Millis(1600));
  EXPECT_EQ(nominal_delay(p, 9), Millis(1600)) << "capped at the fifth delay";
}

TEST(Backoff, DefaultBaseIsOneSecond) {
  BackoffPolicy p;
  EXPECT_EQ(nominal_delay(p, 1), Millis(1000));
  EXPECT_EQ(nominal_delay(p, 5), Millis(16000));
}

TEST(Backoff, JitterStaysWithinTwentyPercent) {
  BackoffPolicy p;
  p.base = Millis(100);
  EXPECT_EQ(jittered_delay(p, 3, 0.0), Millis(320));
  EXPECT_EQ(jittered_delay(p, 3, 0.5), Millis(400));
  EXPECT_EQ(jittered_delay(p, 3, 1.0), Millis(480));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int k = 1; k <= 5; ++k) {
    const double d = double(nominal_delay(p, k).count());
    Millis lo = Millis::max(), hi = Millis::min();
    for (int i = 0; i < 2000; ++i) {
      const Millis j = jittered_delay(p, k, unit(rng));
      EXPECT_GE(double(j.count()), 0.8 * d - 0.5);
      EXPECT_LE(double(j.count()), 1.2 * d + 0.5);
      lo = std::min(lo, j);
      hi = std::max(hi, j);
    }
    // The jitter is actually used: both ends of the range are approached.
    EXPECT_LT(double(lo.count()), 0.85 * d);
    EXPECT_GT(double(hi.count()), 1.15 * d);
  }
}

TEST(Backoff, GivesUpAfterFiveFailedAttempts) {
  BackoffPolicy p;
  for (int n = 0; n < 5; ++n) EXPECT_FALSE(should_give_up(p, n));
  EXPECT_TRUE(should_give_up(p, 5));
}

TEST(Backoff, DefectSwitches) {
  BackoffPolicy fixed;
  fixed.base = Millis(100);
  fixed.doubles = false;
  for (int k = 1; k <= 5; ++k) EXPECT_EQ(nominal_delay(fixed, k), Millis(100));
  BackoffPolicy forever;
  forever.gives_up = false;
  EXPECT_FALSE(should_give_up(forever, 50));
}

}  // namespace
}  // namespace flake::client
