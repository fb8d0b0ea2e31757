// The load generator's framing: round trips at every length form, split input, id scanning.
#include "bench/load/wire.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake::bench {
namespace {

TEST(Wire, ClientFramesRoundTripAtEveryLengthForm) {
  for (const std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
    std::string payload(size, 'x');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string wire;
    append_client_frame(wire, 1, payload);
    bool error = true;
    const auto f = next_frame(wire.data(), wire.size(), error);
    ASSERT_TRUE(f.has_value()) << size;
    EXPECT_FALSE(error);
    EXPECT_EQ(f->opcode, 1);
    EXPECT_TRUE(f->fin);
    EXPECT_EQ(f->size, wire.size());
    EXPECT_EQ(f->payload, payload) << size;
  }
}

TEST(Wire, ServerFramesAreUnmaskedAndIncompleteInputWaits) {
  std::string wire;
  append_server_frame(wire, 2, std::string(300, 'b'));
  EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0x82);
  EXPECT_EQ(static_cast<unsigned char>(wire[1]), 126);  // 16-bit length, no mask bit
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    std::string part = wire.substr(0, cut);
    bool error = false;
    EXPECT_FALSE(next_frame(part.data(), part.size(), error).has_value()) << cut;
    EXPECT_FALSE(error);
  }
  bool error = false;
  const auto f = next_frame(wire.data(), wire.size(), error);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->payload, std::string(300, 'b'));
}

TEST(Wire, RefusesHugeDeclaredLengths) {
  std::string wire = "\x82\x7f";
  wire += std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8);  // 4 GiB
  bool error = false;
  EXPECT_FALSE(next_frame(wire.data(), wire.size(), error).has_value());
  EXPECT_TRUE(error);
}

TEST(Wire, ScanIdFindsTheFirstIntegerId) {
  EXPECT_EQ(scan_id(R"({"jsonrpc":"2.0","id":1000123,"result":{"now":5}})"), 1000123);
  EXPECT_EQ(scan_id(R"({"id": 7})"), 7);
  EXPECT_EQ(scan_id(R"({"id":"seven"})"), -1);
  EXPECT_EQ(scan_id(R"({"id":null})"), -1);
  EXPECT_EQ(scan_id(R"({"method":"logs.update"})"), -1);
  EXPECT_EQ(scan_id(R"({"id":)"), -1);
}

TEST(Wire, CountOfCountsNonOverlapping) {
  EXPECT_EQ(count_of("aaaa", "aa"), 2u);
  EXPECT_EQ(count_of(R"([{"n":1},{"n":2},{"n":3}])", R"("n":)"), 3u);
  EXPECT_EQ(count_of("abc", ""), 0u);
  EXPECT_EQ(count_of("", "a"), 0u);
}

}  // namespace
}  // namespace flake::bench
