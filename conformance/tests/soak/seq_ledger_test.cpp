// SeqLedger: in-order delivery, duplicates, a jump that a resume fills, a jump the replay repeats,
// and session losses allowed or not.
#include "conformance/soak/seq_ledger.hpp"

#include <gtest/gtest.h>

namespace flake::conform::soak {
namespace {

TEST(SeqLedger, InOrderIsDelivered) {
  SeqLedger l;
  for (int s = 1; s <= 5; ++s) EXPECT_EQ(l.observe(s), Seen::kNext);
  EXPECT_EQ(l.last(), 5);
  EXPECT_EQ(l.delivered(), 5u);
  EXPECT_EQ(l.duplicates(), 0u);
  EXPECT_TRUE(l.losses().empty());
}

TEST(SeqLedger, ASeqSeenBeforeIsADuplicate) {
  SeqLedger l;
  l.observe(1);
  l.observe(2);
  EXPECT_EQ(l.observe(2), Seen::kDuplicate);
  EXPECT_EQ(l.observe(1), Seen::kDuplicate);
  EXPECT_EQ(l.duplicates(), 2u);
  EXPECT_EQ(l.last(), 2);
}

TEST(SeqLedger, AJumpThatTheReplayFillsLosesNothing) {
  SeqLedger l;
  l.observe(1);
  EXPECT_EQ(l.observe(4), Seen::kJump);
  EXPECT_EQ(l.last(), 1);  // the client resumes with lastSeq 1
  EXPECT_EQ(l.observe(2), Seen::kNext);
  EXPECT_EQ(l.observe(3), Seen::kNext);
  EXPECT_EQ(l.observe(4), Seen::kNext);
  EXPECT_TRUE(l.losses().empty());
  EXPECT_EQ(l.disallowed_lost(), 0u);
}

TEST(SeqLedger, AReplayThatJumpsAtTheSamePlaceCountsTheLoss) {
  SeqLedger l;
  l.observe(1);
  l.observe(2);
  EXPECT_EQ(l.observe(6), Seen::kJump);
  EXPECT_EQ(l.observe(6), Seen::kLost);  // the replay starts at 6 again
  EXPECT_EQ(l.last(), 6);
  ASSERT_EQ(l.losses().size(), 1u);
  EXPECT_EQ(l.losses()[0].after, 2);
  EXPECT_EQ(l.losses()[0].count, 3);
  EXPECT_FALSE(l.losses()[0].allowed);
  EXPECT_EQ(l.disallowed_lost(), 3u);
  // A later jump elsewhere is a new jump, not a repeat.
  EXPECT_EQ(l.observe(9), Seen::kJump);
}

TEST(SeqLedger, ASessionLostStartsTheCounterAgain) {
  SeqLedger l;
  l.observe(1);
  l.session_lost(true, "the sidecar restarted");
  EXPECT_EQ(l.last(), 0);
  EXPECT_EQ(l.observe(1), Seen::kNext);
  EXPECT_EQ(l.disallowed_lost(), 0u);
  l.session_lost(false, "-32007 within the grace period");
  ASSERT_EQ(l.losses().size(), 2u);
  EXPECT_EQ(l.losses()[1].count, -1);
  EXPECT_EQ(l.disallowed_lost(), 1u);  // an unknown count counts as one
}

}  // namespace
}  // namespace flake::conform::soak
