// The latency histogram: bucket arithmetic, precision bound, percentiles against exact ranks.
#include "bench/load/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace flake::bench {
namespace {

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_DOUBLE_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  for (std::uint64_t v = 0; v < 2 * Histogram::kSub; ++v) {
    EXPECT_EQ(Histogram::index_of(v), v);
    EXPECT_EQ(Histogram::lowest_of(v), v);
    EXPECT_EQ(Histogram::highest_of(v), v);
  }
}

TEST(Histogram, BucketsAreContiguousAndBoundValues) {
  // Every index's range starts right after the previous one ends, up to very large values.
  for (std::size_t i = 1; i < 40 * Histogram::kSub; ++i) {
    ASSERT_EQ(Histogram::lowest_of(i), Histogram::highest_of(i - 1) + 1) << i;
  }
  std::mt19937_64 rng(7);
  for (int n = 0; n < 100000; ++n) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const std::size_t i = Histogram::index_of(v);
    ASSERT_LE(Histogram::lowest_of(i), v);
    ASSERT_GE(Histogram::highest_of(i), v);
    // Relative width of a bucket is below 1/kSub: the precision promised.
    const double width = static_cast<double>(Histogram::highest_of(i) - Histogram::lowest_of(i));
    ASSERT_LE(width, static_cast<double>(v) / Histogram::kSub + 1e-9) << v;
  }
  EXPECT_GE(Histogram::highest_of(Histogram::index_of(UINT64_MAX)), UINT64_MAX);
}

TEST(Histogram, PercentilesMatchExactRanksWithinPrecision) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // a long-tailed latency shape, ns
  std::vector<std::uint64_t> values;
  Histogram h;
  for (int n = 0; n < 200000; ++n) {
    const auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
    const std::uint64_t exact = values[rank - 1];
    const std::uint64_t got = h.percentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / Histogram::kSub + 1)
        << p;
  }
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.percentile(100), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, CountsAndMeanWithWeights) {
  Histogram h;
  h.record(100, 3);
  h.record(1000);
  h.record(5, 0);  // a zero count records nothing
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.min(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 325.0);
  EXPECT_EQ(h.percentile(75), 100u);
  EXPECT_EQ(h.percentile(76), 1000u);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; v += 7) {
    ((v % 2) ? a : b).record(v * 13);
    all.record(v * 13);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (const double p : {10.0, 50.0, 99.0}) EXPECT_EQ(a.percentile(p), all.percentile(p));
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(50), 0u);
}

}  // namespace
}  // namespace flake::bench
