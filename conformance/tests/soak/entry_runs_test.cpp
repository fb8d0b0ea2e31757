// EntryRuns: interleaved runs of emitted entries, a hole, a repeat, and forgetting after a loss.
#include "conformance/soak/entry_runs.hpp"

#include <gtest/gtest.h>

namespace flake::conform::soak {
namespace {

TEST(EntryRuns, OneRunInOrderCompletes) {
  EntryRuns runs(3);
  EXPECT_TRUE(runs.observe(0));
  EXPECT_TRUE(runs.observe(1));
  EXPECT_EQ(runs.open(), 1u);
  EXPECT_TRUE(runs.observe(2));
  EXPECT_EQ(runs.complete(), 1u);
  EXPECT_EQ(runs.open(), 0u);
}

TEST(EntryRuns, InterleavedRunsOfTwoEmittersBothComplete) {
  EntryRuns runs(3);
  for (int n : {0, 0, 1, 2, 1, 2}) EXPECT_TRUE(runs.observe(n)) << n;
  EXPECT_EQ(runs.complete(), 2u);
  EXPECT_EQ(runs.open(), 0u);
}

TEST(EntryRuns, AHoleIsOneFalseAndTheRunGoesOn) {
  EntryRuns runs(6);
  EXPECT_TRUE(runs.observe(0));
  EXPECT_TRUE(runs.observe(1));
  EXPECT_FALSE(runs.observe(3));  // 2 never came
  EXPECT_TRUE(runs.observe(4));   // the same run, one finding for its hole
  EXPECT_TRUE(runs.observe(5));
  EXPECT_EQ(runs.open(), 0u);
  EXPECT_EQ(runs.complete(), 0u);  // it reached its end, but not whole
}

TEST(EntryRuns, AHoleInOneRunLeavesAnInterleavedRunWhole) {
  EntryRuns runs(4);
  for (int n : {0, 0, 1, 1, 2}) EXPECT_TRUE(runs.observe(n)) << n;
  EXPECT_TRUE(runs.observe(3));   // the first run completes, whole
  EXPECT_FALSE(runs.observe(3));  // the second run's 2 never came: its hole, once
  EXPECT_EQ(runs.open(), 0u);
  EXPECT_EQ(runs.complete(), 1u);
}

TEST(EntryRuns, ARepeatedEntryContinuesNothing) {
  EntryRuns runs(3);
  EXPECT_TRUE(runs.observe(0));
  EXPECT_TRUE(runs.observe(1));
  EXPECT_FALSE(runs.observe(1));
}

TEST(EntryRuns, ARunJoinedInTheMiddleIsAdopted) {
  EntryRuns runs(5);
  EXPECT_FALSE(runs.observe(2));  // the subscription began after 0 and 1
  EXPECT_TRUE(runs.observe(3));
  EXPECT_TRUE(runs.observe(4));
  EXPECT_EQ(runs.open(), 0u);
  EXPECT_EQ(runs.complete(), 0u);
}

TEST(EntryRuns, OutOfRangeEntriesContinueNothing) {
  EntryRuns runs(3);
  EXPECT_FALSE(runs.observe(-1));
  EXPECT_FALSE(runs.observe(3));
}

TEST(EntryRuns, ASingleEntryRunCompletesAtOnce) {
  EntryRuns runs(1);
  EXPECT_TRUE(runs.observe(0));
  EXPECT_EQ(runs.complete(), 1u);
  EXPECT_EQ(runs.open(), 0u);
}

TEST(EntryRuns, ForgetDropsOpenRuns) {
  EntryRuns runs(3);
  runs.observe(0);
  runs.observe(0);
  EXPECT_EQ(runs.open(), 2u);
  runs.forget();
  EXPECT_EQ(runs.open(), 0u);
  EXPECT_FALSE(runs.observe(1));  // a run that began before the loss: adopted
  EXPECT_TRUE(runs.observe(2));
}

}  // namespace
}  // namespace flake::conform::soak
