// The relay buffer of a TLS link: bounded fill reporting, order kept across partial consumes, and
// a send that stops at a full socket instead of blocking or losing bytes.
#include "reference/tls/relay_buffer.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <numeric>
#include <vector>

namespace flake::tls {
namespace {

std::vector<uint8_t> counting(size_t n, size_t from = 0) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>((from + i) * 7);
  return bytes;
}

TEST(RelayBuffer, FullAtTheBoundButKeepsWhatItTakes) {
  RelayBuffer buffer(100);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.room(), 100u);
  buffer.append(counting(60));
  EXPECT_FALSE(buffer.full());
  EXPECT_EQ(buffer.room(), 40u);
  buffer.append(counting(60, 60));
  EXPECT_TRUE(buffer.full());
  EXPECT_EQ(buffer.room(), 0u);
  EXPECT_EQ(buffer.size(), 120u);
  buffer.consume(30);
  EXPECT_FALSE(buffer.full());
  EXPECT_EQ(buffer.pending()[0], counting(1, 30)[0]);
}

TEST(RelayBuffer, OrderSurvivesManyPartialConsumes) {
  RelayBuffer buffer(1 << 20);
  const std::vector<uint8_t> all = counting(300'000);
  std::vector<uint8_t> out;
  size_t fed = 0;
  while (out.size() < all.size()) {
    const size_t n = std::min<size_t>(70'001, all.size() - fed);
    buffer.append(std::span(all).subspan(fed, n));
    fed += n;
    const size_t take = std::min<size_t>(buffer.size(), 50'003);
    const std::span<const uint8_t> pending = buffer.pending();
    out.insert(out.end(), pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(take));
    buffer.consume(take);
    if (fed == all.size() && !buffer.empty()) {
      out.insert(out.end(), buffer.pending().begin(), buffer.pending().end());
      buffer.consume(buffer.size());
    }
  }
  EXPECT_EQ(out, all);
  EXPECT_TRUE(buffer.empty());
}

TEST(SendPending, StopsAtAFullSocketAndResumesWithoutLoss) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
  RelayBuffer buffer(1 << 20);
  const std::vector<uint8_t> all = counting(4u << 20);
  buffer.append(all);
  EXPECT_EQ(send_pending(pair[0], buffer), SendResult::kPartial);  // a socketpair holds far less
  EXPECT_FALSE(buffer.empty());
  std::vector<uint8_t> received;
  std::vector<uint8_t> chunk(1 << 16);
  while (received.size() < all.size()) {
    const ssize_t n = read(pair[1], chunk.data(), chunk.size());
    if (n > 0) received.insert(received.end(), chunk.begin(), chunk.begin() + n);
    if (send_pending(pair[0], buffer) == SendResult::kFailed) break;
  }
  EXPECT_EQ(received, all);
  EXPECT_TRUE(buffer.empty());
  close(pair[1]);
  buffer.append(counting(10));
  EXPECT_EQ(send_pending(pair[0], buffer), SendResult::kFailed);  // the reader is gone
  close(pair[0]);
}

}  // namespace
}  // namespace flake::tls
