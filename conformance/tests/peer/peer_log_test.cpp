// The peer's record: bounded by events and by bytes, rendered one line per event.
#include "conformance/peer/peer_log.hpp"

#include <gtest/gtest.h>

namespace flake::conform::peer {
namespace {

TEST(PeerLog, KeepsAtMostMaxEvents) {
  PeerLog log(Clock::now(), 3);
  for (int i = 0; i < 5; ++i) log.add(1, EventKind::Note, "n" + std::to_string(i));
  EXPECT_EQ(log.snapshot().size(), 3u);
  EXPECT_EQ(log.dropped(), 2u);
  EXPECT_EQ(log.lines().back(), "(2 more events not kept)");
}

TEST(PeerLog, KeepsAtMostMaxBytes) {
  PeerLog log(Clock::now(), 1000, 10000);
  PeerEvent big;
  big.kind = EventKind::MessageIn;
  big.size = 6000;
  log.add(big);
  log.add(big);
  EXPECT_EQ(log.snapshot().size(), 1u);
  EXPECT_EQ(log.dropped(), 1u);
}

TEST(PeerLog, FormatsFramesControlAndMessages) {
  const auto start = Clock::now();
  PeerEvent frame;
  frame.at = start;
  frame.conn = 2;
  frame.kind = EventKind::FrameIn;
  frame.opcode = 1;
  frame.masked = false;
  EXPECT_EQ(PeerLog::format(frame, start), "+0.0ms c2 frame<- opcode 1 UNMASKED");
  PeerEvent pong;
  pong.at = start;
  pong.conn = 1;
  pong.kind = EventKind::PongIn;
  pong.payload = "p-1";
  EXPECT_EQ(PeerLog::format(pong, start), "+0.0ms c1 pong<- payload \"p-1\"");
  PeerEvent close;
  close.at = start;
  close.kind = EventKind::CloseOut;
  close.code = 4401;
  EXPECT_EQ(PeerLog::format(close, start), "+0.0ms c0 close-> code 4401");
  PeerEvent sent;
  sent.at = start;
  sent.conn = 3;
  sent.kind = EventKind::Sent;
  sent.binary = true;
  sent.message = {{"id", 1}};
  EXPECT_EQ(PeerLog::format(sent, start), "+0.0ms c3 -> [msgpack] {\"id\":1}");
}

}  // namespace
}  // namespace flake::conform::peer
