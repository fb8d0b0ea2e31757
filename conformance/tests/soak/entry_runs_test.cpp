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

TEST(EntryRuns, AHoleIsAnEntryThatContinuesNothing) {
  EntryRuns runs(4);
  EXPECT_TRUE(runs.observe(0));
  EXPECT_TRUE(runs.observe(1));
  EXPECT_FALSE(runs.observe(3));  // 2 never came
  EXPECT_EQ(runs.open(), 1u);     // the run still waits for 2
  EXPECT_EQ(runs.complete(), 0u);
}

TEST(EntryRuns, ARepeatedEntryContinuesNothing) {
  EntryRuns runs(3);
  EXPECT_TRUE(runs.observe(0));
  EXPECT_TRUE(runs.observe(1));
  EXPECT_FALSE(runs.observe(1));
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
  EXPECT_FALSE(runs.observe(1));  // a run that began before the loss
}

}  // namespace
}  // namespace flake::conform::soak
