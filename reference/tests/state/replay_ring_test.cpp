// Tests for the replay ring: order, eviction by count and by bytes, gap detection at the boundary.
#include "reference/state/replay_ring.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flake {
namespace {

SharedText text(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

// A frame whose content names its seq, so replayed order and identity can be checked.
SharedText frame(uint64_t seq, size_t pad = 0) {
  return text("n" + std::to_string(seq) + std::string(pad, '.'));
}

std::vector<std::string> contents(const std::vector<ReplayFrame>& frames) {
  std::vector<std::string> out;
  for (const ReplayFrame& f : frames) out.push_back(*f.frame);
  return out;
}

void push_range(ReplayRing& ring, uint64_t first, uint64_t last) {
  for (uint64_t s = first; s <= last; ++s) ring.push(s, frame(s));
}

TEST(ReplayRing, EmptyRing) {
  ReplayRing ring(10, 1000);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.bytes(), 0u);
  EXPECT_EQ(ring.oldest_seq(), 0u);
  EXPECT_EQ(ring.newest_seq(), 0u);
  auto all = ring.since(0);
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
}

TEST(ReplayRing, SinceReturnsLaterFramesInOrder) {
  ReplayRing ring(10, 1000);
  push_range(ring, 1, 5);
  EXPECT_EQ(ring.oldest_seq(), 1u);
  EXPECT_EQ(ring.newest_seq(), 5u);
  EXPECT_EQ(ring.size(), 5u);
  EXPECT_EQ(contents(*ring.since(0)), (std::vector<std::string>{"n1", "n2", "n3", "n4", "n5"}));
  EXPECT_EQ(contents(*ring.since(2)), (std::vector<std::string>{"n3", "n4", "n5"}));
  EXPECT_EQ(contents(*ring.since(4)), (std::vector<std::string>{"n5"}));
  EXPECT_TRUE(ring.since(5)->empty());   // up to date
  EXPECT_TRUE(ring.since(99)->empty());  // beyond newest: nothing to send
}

TEST(ReplayRing, FramesAreSharedNotCopied) {
  ReplayRing ring(10, 1000);
  SharedText f = frame(1);
  ring.push(1, f);
  auto got = ring.since(0);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].frame.get(), f.get());
  EXPECT_FALSE((*got)[0].binary);
}

TEST(ReplayRing, KeepsEachFramesEncoding) {
  ReplayRing ring(10, 1000);
  ring.push(1, frame(1), true);
  ring.push(2, frame(2), false);
  auto got = ring.since(0);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_TRUE((*got)[0].binary);
  EXPECT_FALSE((*got)[1].binary);
}

TEST(ReplayRing, EvictsByCount) {
  ReplayRing ring(3, 1'000'000);
  push_range(ring, 1, 10);
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.oldest_seq(), 8u);
  EXPECT_EQ(ring.newest_seq(), 10u);
  EXPECT_EQ(ring.bytes(), 2u + 2u + 3u);  // "n8", "n9", "n10"
}

TEST(ReplayRing, GapDetectionAtTheExactBoundary) {
  ReplayRing ring(3, 1'000'000);
  push_range(ring, 1, 10);  // holds 8, 9, 10; 7 was evicted
  EXPECT_FALSE(ring.since(0).has_value());
  EXPECT_FALSE(ring.since(6).has_value());  // 7 is needed and gone
  auto from7 = ring.since(7);               // 8.. needed, all held
  ASSERT_TRUE(from7.has_value());
  EXPECT_EQ(contents(*from7), (std::vector<std::string>{"n8", "n9", "n10"}));
  EXPECT_EQ(contents(*ring.since(8)), (std::vector<std::string>{"n9", "n10"}));
  EXPECT_TRUE(ring.since(10)->empty());
}

TEST(ReplayRing, ZeroMeansEverythingSinceSeqOne) {
  ReplayRing ring(5, 1'000'000);
  push_range(ring, 1, 5);
  EXPECT_EQ(ring.since(0)->size(), 5u);
  ring.push(6, frame(6));  // evicts seq 1
  EXPECT_FALSE(ring.since(0).has_value());
  EXPECT_EQ(ring.since(1)->size(), 5u);
}

TEST(ReplayRing, EvictsByBytes) {
  ReplayRing ring(1000, 30);
  for (uint64_t s = 1; s <= 5; ++s) ring.push(s, frame(s, 8));  // 10 bytes each
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.bytes(), 30u);  // exactly at the bound is allowed
  EXPECT_EQ(ring.oldest_seq(), 3u);
  EXPECT_FALSE(ring.since(1).has_value());
  EXPECT_EQ(ring.since(2)->size(), 3u);
  ring.push(6, frame(6, 9));  // 11 bytes: 3 items would be 31, so 4 goes too
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.bytes(), 21u);
  EXPECT_EQ(ring.oldest_seq(), 5u);
  EXPECT_FALSE(ring.since(3).has_value());
  EXPECT_EQ(contents(*ring.since(4)).front(), "n5" + std::string(8, '.'));
}

TEST(ReplayRing, OversizedFrameIsStillKeptAlone) {
  ReplayRing ring(1000, 10);
  push_range(ring, 1, 3);
  ring.push(4, frame(4, 100));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.oldest_seq(), 4u);
  EXPECT_EQ(ring.bytes(), 102u);
  EXPECT_FALSE(ring.since(2).has_value());
  EXPECT_EQ(ring.since(3)->size(), 1u);
  ring.push(5, frame(5));  // the big one goes as soon as something newer exists
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.oldest_seq(), 5u);
  EXPECT_EQ(ring.bytes(), 2u);
}

TEST(ReplayRing, ZeroBoundsKeepOnlyTheNewest) {
  ReplayRing ring(0, 0);
  push_range(ring, 1, 4);
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.newest_seq(), 4u);
  EXPECT_EQ(ring.since(3)->size(), 1u);
  EXPECT_FALSE(ring.since(2).has_value());
}

TEST(ReplayRing, BytesTrackPushesAndEvictions) {
  ReplayRing ring(2, 1'000'000);
  ring.push(1, text(std::string(100, 'a')));
  ring.push(2, text(std::string(200, 'b')));
  EXPECT_EQ(ring.bytes(), 300u);
  ring.push(3, text(std::string(50, 'c')));
  EXPECT_EQ(ring.bytes(), 250u);
  ring.push(4, text(""));
  EXPECT_EQ(ring.bytes(), 50u);
}

TEST(ReplayRing, RingStartingAboveOne) {
  ReplayRing ring(10, 1000);
  push_range(ring, 41, 45);  // e.g. an SSE stream ring created after some events
  EXPECT_EQ(ring.since(40)->size(), 5u);
  EXPECT_EQ(ring.since(43)->size(), 2u);
  EXPECT_EQ(ring.since(0)->size(), 5u);  // nothing pushed was evicted
}

TEST(ReplayRing, SkippedSeqsAreNotAnEvictionGap) {
  // The ring replays what was sent; a seq the sender skipped never existed, and the client is the
  // one to notice the hole (the seq-gap defect relies on that).
  ReplayRing ring(10, 1000);
  ring.push(1, frame(1));
  ring.push(2, frame(2));
  ring.push(4, frame(4));
  ring.push(5, frame(5));
  EXPECT_EQ(contents(*ring.since(0)), (std::vector<std::string>{"n1", "n2", "n4", "n5"}));
  EXPECT_EQ(contents(*ring.since(2)), (std::vector<std::string>{"n4", "n5"}));
  EXPECT_EQ(contents(*ring.since(3)), (std::vector<std::string>{"n4", "n5"}));
}

TEST(ReplayRing, NonIncreasingSeqRestartsTheRing) {
  ReplayRing ring(10, 1000);
  push_range(ring, 1, 5);
  ring.push(3, frame(3));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.bytes(), 2u);
  EXPECT_EQ(ring.oldest_seq(), 3u);
  EXPECT_FALSE(ring.since(1).has_value());
  EXPECT_EQ(contents(*ring.since(2)), (std::vector<std::string>{"n3"}));
}

TEST(ReplayRing, ProtocolSizedRing) {
  ReplayRing ring(10'000, 16u << 20);
  push_range(ring, 1, 25'000);
  EXPECT_EQ(ring.size(), 10'000u);
  EXPECT_EQ(ring.oldest_seq(), 15'001u);
  EXPECT_FALSE(ring.since(14'999).has_value());
  auto missed = ring.since(15'000);
  ASSERT_TRUE(missed.has_value());
  ASSERT_EQ(missed->size(), 10'000u);
  EXPECT_EQ(*missed->front().frame, "n15001");
  EXPECT_EQ(*missed->back().frame, "n25000");
}

TEST(ReplayRing, HeadAndSharedTailAreKeptAndReplayedAsTheyWerePushed) {
  ReplayRing ring(10, 1000);
  const SharedText tail = text(R"(,"entries":[]}})");
  ring.push(1, frame(1), false, tail);
  ring.push(2, frame(2), true);  // a whole frame (MessagePack) has no tail
  ring.push(3, frame(3), false, tail);
  auto got = ring.since(0);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ(contents(*got), (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_EQ((*got)[0].tail, tail);  // the same object, not a copy
  EXPECT_EQ((*got)[1].tail, nullptr);
  EXPECT_TRUE((*got)[1].binary);
  EXPECT_EQ((*got)[2].tail, tail);
  EXPECT_FALSE((*got)[2].binary);
  EXPECT_EQ(tail.use_count(), 1 + 2 + 2);  // ours, the ring's two items, the two replayed
}

TEST(ReplayRing, ByteBoundCountsHeadAndTail) {
  // The tail is shared between rings, but each ring's bound still counts it, so the documented
  // bound (bytes a session may hold for resume) does not change.
  ReplayRing ring(100, 30);
  const SharedText tail = text(std::string(8, 't'));
  ring.push(1, frame(1), false, tail);  // 2 + 8
  EXPECT_EQ(ring.bytes(), 10u);
  ring.push(2, frame(2), false, tail);
  ring.push(3, frame(3), false, tail);
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.bytes(), 30u);            // exactly at the bound
  ring.push(4, frame(4, 1), false, tail);  // 11 bytes: 41, then 31, so seq 1 and 2 go
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.bytes(), 21u);
  EXPECT_EQ(ring.oldest_seq(), 3u);
  EXPECT_FALSE(ring.since(1).has_value());
  EXPECT_EQ(ring.since(2)->size(), 2u);
  ring.push(5, frame(5));  // no tail: 2 bytes
  EXPECT_EQ(ring.bytes(), 23u);
  ring.push(6, frame(6), false, text(std::string(40, 't')));  // alone over the bound: kept alone
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.bytes(), 42u);
  EXPECT_EQ(tail.use_count(), 1);  // evicted items let go of the shared tail
}

}  // namespace
}  // namespace flake

namespace flake {
namespace {

// Frames of about 1 KiB that compress well, as log notifications do.
SharedText log_frame(uint64_t seq) {
  return text("n" + std::to_string(seq) + "," + std::string(1000, 'l'));
}

TEST(ReplayRing, FramesOnlyTheRingHoldsAreCompressedAndReplayedIntact) {
  ReplayRing ring(10'000, 4 << 20);
  const SharedText tail = text(R"(,"entries":[]}})");
  for (uint64_t s = 1; s <= 1000; ++s) {
    if (s % 3 == 0) {
      ring.push(s, log_frame(s), true);
    } else {
      ring.push(s, log_frame(s), false, text(*tail + std::to_string(s)));
    }
  }
  EXPECT_EQ(ring.packed_bytes(), 0u);  // only when asked
  ring.pack_idle();
  EXPECT_EQ(ring.size(), 1000u);
  EXPECT_GT(ring.packed_bytes(), 0u);
  EXPECT_LT(ring.packed_bytes(), ring.bytes() / 4);
  for (uint64_t last : {0u, 1u, 500u, 998u}) {
    SCOPED_TRACE(last);
    auto got = ring.since(last);
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(got->size(), 1000 - last);
    for (size_t i = 0; i < got->size(); ++i) {
      const uint64_t s = last + 1 + i;
      const ReplayFrame& f = (*got)[i];
      EXPECT_EQ(*f.frame, *log_frame(s));
      EXPECT_EQ(f.binary, s % 3 == 0);
      if (s % 3 == 0) {
        EXPECT_EQ(f.tail, nullptr);
      } else {
        ASSERT_NE(f.tail, nullptr);
        EXPECT_EQ(*f.tail, *tail + std::to_string(s));
      }
    }
  }
}

TEST(ReplayRing, EvictionReachesIntoCompressedFrames) {
  ReplayRing ring(300, 4 << 20);
  for (uint64_t s = 1; s <= 1000; ++s) {
    ring.push(s, log_frame(s));
    if (s % 200 == 0) ring.pack_idle();
  }
  EXPECT_GT(ring.packed_bytes(), 0u);
  EXPECT_EQ(ring.size(), 300u);
  EXPECT_EQ(ring.oldest_seq(), 701u);
  EXPECT_EQ(ring.newest_seq(), 1000u);
  size_t expected_bytes = 0;
  for (uint64_t s = 701; s <= 1000; ++s) expected_bytes += log_frame(s)->size();
  EXPECT_EQ(ring.bytes(), expected_bytes);
  EXPECT_FALSE(ring.since(699).has_value());
  auto got = ring.since(700);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 300u);
  EXPECT_EQ(*got->front().frame, *log_frame(701));
  EXPECT_EQ(*got->back().frame, *log_frame(1000));
}

TEST(ReplayRing, FramesStillQueuedStayWholeAndSharedTailsStayShared) {
  // A tail shared with other subscribers' rings stays one object (copying it into each ring's
  // compressed block would hold it many times); frames still queued for a socket stay whole.
  ReplayRing ring(10'000, 4 << 20);
  const SharedText tail = text(std::string(1000, 't'));
  for (uint64_t s = 1; s <= 500; ++s) ring.push(s, log_frame(s), false, tail);
  std::vector<SharedText> queued;
  for (uint64_t s = 501; s <= 1000; ++s) {
    queued.push_back(log_frame(s));
    ring.push(s, queued.back());
  }
  ring.pack_idle();
  EXPECT_GT(ring.packed_bytes(), 0u);
  auto got = ring.since(0);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 1000u);
  for (uint64_t s = 1; s <= 500; ++s) {
    EXPECT_EQ(*(*got)[s - 1].frame, *log_frame(s));
    EXPECT_EQ((*got)[s - 1].tail, tail);  // the same object
  }
  for (uint64_t s = 501; s <= 1000; ++s) EXPECT_EQ((*got)[s - 1].frame, queued[s - 501]);
  ReplayRing small(100, 4 << 20);  // evicting packed frames lets go of their shared tail
  for (uint64_t s = 1; s <= 300; ++s) small.push(s, log_frame(s), false, tail);
  small.pack_idle();
  for (uint64_t s = 301; s <= 500; ++s) small.push(s, log_frame(s));
  EXPECT_EQ(tail.use_count(), 1 + 500 + 500);  // ours, `ring`, `got`; none from `small`
}

TEST(ReplayRing, UnforcedPackingWaitsForTheStreamToPause) {
  ReplayRing ring(10'000, 4 << 20);
  for (uint64_t s = 1; s <= 300; ++s) ring.push(s, log_frame(s));
  EXPECT_EQ(ring.pack_idle(false), 0u);  // pushed to since the last call
  EXPECT_EQ(ring.packed_bytes(), 0u);
  const size_t packed = ring.pack_idle(false);               // nothing pushed since: compressed now
  EXPECT_EQ(packed, ring.bytes() - log_frame(300)->size());  // all but the newest
  EXPECT_GT(ring.packed_bytes(), 0u);
  EXPECT_EQ(ring.since(0)->size(), 300u);
}

}  // namespace
}  // namespace flake
