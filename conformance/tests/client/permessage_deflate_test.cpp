// permessage-deflate: the RFC 7692 "Hello" vectors, round trips with and without context
// takeover, negotiation answers, and the inflation limit.
#include "conformance/client/permessage_deflate.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

std::string b(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(PermessageDeflate, Rfc7692HelloVectors) {
  MessageInflater inflater(15, false);
  std::string out;
  std::string error;
  ASSERT_TRUE(inflater.decompress(b({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), 1000, out, error))
      << error;
  EXPECT_EQ(out, "Hello");
  // Section 7.2.3.2: the second "Hello" refers back into the shared window.
  ASSERT_TRUE(inflater.decompress(b({0xf2, 0x00, 0x11, 0x00, 0x00}), 1000, out, error)) << error;
  EXPECT_EQ(out, "Hello");

  MessageDeflater deflater(15, true);
  EXPECT_EQ(deflater.compress("Hello"), b({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
}

TEST(PermessageDeflate, RoundTrips) {
  for (const bool no_takeover : {false, true}) {
    MessageDeflater deflater(15, no_takeover);
    MessageInflater inflater(15, no_takeover);
    for (int i = 0; i < 20; ++i) {
      std::string message =
          "{\"jsonrpc\":\"2.0\",\"method\":\"logs.update\",\"seq\":" + std::to_string(i) + "}" +
          std::string(static_cast<std::size_t>(i) * 100, 'x');
      const std::string packed = deflater.compress(message);
      std::string out;
      std::string error;
      ASSERT_TRUE(inflater.decompress(packed, 1 << 20, out, error)) << error;
      EXPECT_EQ(out, message);
    }
  }
  MessageDeflater deflater(15, false);
  MessageInflater inflater(15, false);
  std::string big(3 << 20, 'a');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  std::string out;
  std::string error;
  ASSERT_TRUE(inflater.decompress(deflater.compress(big), 4 << 20, out, error)) << error;
  EXPECT_EQ(out, big);
}

TEST(PermessageDeflate, InflationLimitAndCorruptData) {
  MessageDeflater deflater(15, false);
  MessageInflater inflater(15, false);
  std::string out;
  std::string error;
  EXPECT_FALSE(inflater.decompress(deflater.compress(std::string(100000, 'z')), 1000, out, error));
  EXPECT_NE(error.find("larger"), std::string::npos);
  MessageInflater fresh(15, false);
  EXPECT_FALSE(fresh.decompress(b({0xff, 0xff, 0xff, 0xff, 0x00}), 1000, out, error));
}

TEST(PermessageDeflate, NegotiationAnswer) {
  std::string error;
  auto p = parse_deflate_answer("permessage-deflate", error);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->server_no_context_takeover);
  p = parse_deflate_answer(
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=10", error);
  ASSERT_TRUE(p) << error;
  EXPECT_TRUE(p->server_no_context_takeover);
  EXPECT_EQ(p->client_max_window_bits, 10);
  p = parse_deflate_answer("permessage-deflate; server_max_window_bits=\"12\"", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->server_max_window_bits, 12);
  EXPECT_FALSE(parse_deflate_answer("x-webkit-deflate-frame", error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(parse_deflate_answer("permessage-deflate; server_max_window_bits=16", error));
  EXPECT_FALSE(parse_deflate_answer("permessage-deflate; bogus", error));
  EXPECT_FALSE(parse_deflate_answer(
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover", error));
}

}  // namespace
}  // namespace flake::conform
