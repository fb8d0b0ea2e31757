// judge_trend: a level that settles after the warm-up is flat; one that keeps growing is not;
// noise around a level is flat; too few samples are not judged.
#include "conformance/soak/resource_trend.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace flake::conform::soak {
namespace {

std::vector<Sample> series(int n, double (*f)(double)) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) out.push_back({static_cast<double>(i), f(i)});
  return out;
}

TEST(ResourceTrend, GrowthDuringTheWarmUpOnlyIsFlat) {
  // 40 MiB rising to 60 MiB in the first 10 s of 60, then level.
  const auto s = series(61, [](double t) { return t < 10 ? 40960 + 2048 * t : 61440.0; });
  const Trend tr = judge_trend(s, TrendLimit{});
  EXPECT_TRUE(tr.enough);
  EXPECT_TRUE(tr.flat) << describe(tr, "RSS", "KiB");
  EXPECT_NEAR(tr.median, 61440, 1);
}

TEST(ResourceTrend, SteadyGrowthIsALeak) {
  // 100 KiB per second on 50 MiB: 4.8 MiB over the judged 48 s, above max(5 %, 2 MiB).
  const auto s = series(61, [](double t) { return 51200 + 100 * t; });
  const Trend tr = judge_trend(s, TrendLimit{});
  EXPECT_FALSE(tr.flat);
  EXPECT_NEAR(tr.growth, 4800, 1);
  EXPECT_NE(describe(tr, "RSS", "KiB").find("GROWING"), std::string::npos);
}

TEST(ResourceTrend, NoiseAroundALevelIsFlat) {
  const auto s =
      series(61, [](double t) { return 51200 + ((static_cast<int>(t) % 2) ? 900 : -900.0); });
  EXPECT_TRUE(judge_trend(s, TrendLimit{}).flat);
}

TEST(ResourceTrend, DescriptorsAllowOnePerClient) {
  // 16 clients: a count that wanders by up to 16 is flat, one that climbs by 40 is not.
  const TrendLimit fds{.warmup_fraction = 0.2, .relative = 0, .absolute = 16};
  EXPECT_TRUE(
      judge_trend(
          series(61, [](double t) { return 30 + static_cast<double>(static_cast<int>(t) % 16); }),
          fds)
          .flat);
  EXPECT_FALSE(judge_trend(series(61, [](double t) { return 30 + t * 40 / 60; }), fds).flat);
}

TEST(ResourceTrend, TooFewSamplesAreNotJudged) {
  const auto s = series(4, [](double t) { return 1000 * t; });
  const Trend tr = judge_trend(s, TrendLimit{});
  EXPECT_FALSE(tr.enough);
  EXPECT_TRUE(tr.flat);
  EXPECT_EQ(describe(tr, "RSS", "KiB"), "RSS: too few samples to judge");
}

}  // namespace
}  // namespace flake::conform::soak
