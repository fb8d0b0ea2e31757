// The send buffer keeps every byte in order whatever the socket takes: copied and shared pieces,
// writes cut at every byte, a full socket, a broken one, more appended while bytes wait.
#include "reference/ws/send_buffer.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace flake::ws {
namespace {

// A socket that takes at most `take` bytes per call, then reports EAGAIN once every `full_every`
// calls (0: never), or fails with EPIPE when `broken`.
struct FakeSocket {
  std::string received;
  size_t take = SIZE_MAX;
  int full_every = 0;
  bool broken = false;
  int calls = 0;
  int iov_seen_max = 0;
};

ssize_t fake_send(int, const ::iovec* iov, int count, void* context) {
  auto& socket = *static_cast<FakeSocket*>(context);
  ++socket.calls;
  socket.iov_seen_max = std::max(socket.iov_seen_max, count);
  if (socket.broken) {
    errno = EPIPE;
    return -1;
  }
  if (socket.full_every != 0 && socket.calls % socket.full_every == 0) {
    errno = EAGAIN;
    return -1;
  }
  size_t left = socket.take;
  size_t sent = 0;
  for (int i = 0; i < count && left > 0; ++i) {
    const size_t n = std::min(left, iov[i].iov_len);
    socket.received.append(static_cast<const char*>(iov[i].iov_base), n);
    left -= n;
    sent += n;
  }
  return static_cast<ssize_t>(sent);
}

// Flushes until empty, as repeated writeable callbacks would.
std::string drain(SendBuffer& buffer, FakeSocket& socket) {
  for (int rounds = 0; !buffer.empty() && rounds < 100000; ++rounds) {
    EXPECT_NE(buffer.flush_with(-1, fake_send, &socket), SendBuffer::Flush::kFailed);
  }
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0u);
  return socket.received;
}

std::shared_ptr<const std::string> shared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

TEST(SendBuffer, CopiedAndSharedPiecesLeaveInOrderAtEveryWriteSize) {
  const auto big = shared(std::string(70000, 'b') + "END");
  std::string expected;
  for (size_t take = 1; take <= 40; ++take) {
    SendBuffer buffer;
    FakeSocket socket;
    socket.take = take * 997;  // many cut points, inside copied and shared pieces alike
    buffer.append_copy("head1");
    buffer.append_shared(big, std::string_view(*big).substr(10));
    buffer.append_copy("mid");
    buffer.append_shared(big, std::string_view(*big).substr(0, 5));
    buffer.append_copy(std::string(100000, 'c'));  // more than one batch
    expected = "head1" + big->substr(10) + "mid" + big->substr(0, 5) + std::string(100000, 'c');
    EXPECT_EQ(buffer.size(), expected.size());
    EXPECT_EQ(drain(buffer, socket), expected) << "take " << socket.take;
  }
}

TEST(SendBuffer, EveryByteCutOfSmallFrames) {
  const std::string frames =
      "\x81\x05hello\x82\x03"
      "abc\x81\x00";
  for (size_t take = 1; take <= frames.size(); ++take) {
    SendBuffer buffer;
    FakeSocket socket;
    socket.take = take;
    buffer.append_copy(std::string_view(frames).substr(0, 7));
    buffer.append_shared(shared(frames), std::string_view(frames).substr(7));
    EXPECT_EQ(drain(buffer, socket), frames) << take;
  }
}

TEST(SendBuffer, FullSocketKeepsTheRestAndMoreCanBeAppended) {
  SendBuffer buffer;
  FakeSocket socket;
  socket.take = 3;
  socket.full_every = 2;
  buffer.append_copy("abcdefgh");
  EXPECT_EQ(buffer.flush_with(-1, fake_send, &socket), SendBuffer::Flush::kBlocked);
  EXPECT_EQ(socket.received, "abc");
  EXPECT_EQ(buffer.size(), 5u);
  buffer.append_copy("ij");  // appended into the partly sent batch
  buffer.append_shared(shared("XYZ"), "XYZ");
  EXPECT_EQ(drain(buffer, socket), "abcdefghijXYZ");
}

TEST(SendBuffer, BrokenSocketIsReportedAndNothingIsLost) {
  SendBuffer buffer;
  FakeSocket socket;
  socket.broken = true;
  buffer.append_copy("abc");
  EXPECT_EQ(buffer.flush_with(-1, fake_send, &socket), SendBuffer::Flush::kFailed);
  EXPECT_EQ(buffer.size(), 3u);
}

TEST(SendBuffer, ManyPiecesGoInBoundedSyscalls) {
  SendBuffer buffer;
  FakeSocket socket;
  const auto piece = shared(std::string(20000, 'p'));
  for (int i = 0; i < 500; ++i) buffer.append_shared(piece, *piece);
  EXPECT_EQ(buffer.flush_with(-1, fake_send, &socket), SendBuffer::Flush::kDone);
  EXPECT_EQ(socket.received.size(), 500u * 20000u);
  EXPECT_LE(socket.iov_seen_max, 64);
  EXPECT_EQ(socket.calls, 8);  // 500 pieces, 64 per sendmsg()
}

TEST(SendBuffer, EmptyPiecesAddNothing) {
  SendBuffer buffer;
  buffer.append_copy("");
  buffer.append_shared(shared(""), "");
  EXPECT_TRUE(buffer.empty());
  FakeSocket socket;
  EXPECT_EQ(buffer.flush_with(-1, fake_send, &socket), SendBuffer::Flush::kDone);
  EXPECT_EQ(socket.calls, 0);
}

}  // namespace
}  // namespace flake::ws
