// data.chunk messages in two pieces: head + tail must be exactly the whole message, with the
// payload (or its base64) as the tail, so the send queue can share it without a copy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reference/rpc/large_export.hpp"

namespace flake {
namespace {

// RFC 4648 §4 with padding, independent of the OpenSSL encoder under test.
std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k)
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string pattern(size_t size) {
  std::string out(size, '\0');
  uint32_t state = 2463534242u;
  for (char& c : out) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = static_cast<char>(state);
  }
  return out;
}

TEST(DataChunkPieces, JoinToTheWholeMessageWithThePayloadAsTail) {
  LargeExport e;
  e.stream = "lg-12";
  for (size_t size : {1, 2, 3, 4, 100, 70'000, static_cast<int>(kMaxChunkBytes)})
    e.chunks.push_back(pattern(size));
  for (size_t i = 0; i < e.chunks.size(); ++i) {
    SCOPED_TRACE("chunk " + std::to_string(i));
    const DataChunkPieces bin = data_chunk_pieces(e.stream, i, e.chunks[i], true);
    EXPECT_EQ(bin.tail, e.chunks[i]) << "the payload is queued as it is";
    EXPECT_LT(bin.head.size(), 128u);
    EXPECT_EQ(bin.head + bin.tail, data_chunk_msgpack(e, i));
    const DataChunkPieces text = data_chunk_pieces(e.stream, i, e.chunks[i], false);
    EXPECT_LT(text.head.size(), 128u);
    EXPECT_EQ(text.tail, base64(e.chunks[i]) + "\"}}");
    EXPECT_EQ(text.head + text.tail, data_chunk_json(e, i));
  }
  EXPECT_THROW(data_chunk_msgpack(e, e.chunks.size()), std::out_of_range);
}

TEST(DataChunkPieces, SpecExampleMessage) {
  // §6.11's data.chunk, with a one-byte payload (an empty MessagePack array).
  const DataChunkPieces example = data_chunk_pieces("st-1", 0, "\x90", false);
  EXPECT_EQ(example.head + example.tail,
            R"({"jsonrpc":"2.0","method":"data.chunk","params":{"stream":"st-1","index":0,)"
            R"("payload":"kA=="}})");
  const DataChunkPieces bin = data_chunk_pieces("st-1", 3, "\x90", true);
  // ... "payload" then bin 8 of length 1, then the byte itself as the tail.
  EXPECT_EQ(bin.head.substr(bin.head.size() - 10), std::string("\xa7payload\xc4\x01", 10));
  EXPECT_EQ(bin.tail, "\x90");
}

}  // namespace
}  // namespace flake
