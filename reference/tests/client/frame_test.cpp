// Client-role framing (§2.5): every frame the client writes is masked, server frames are read
// incrementally whatever the split, fragments with control frames between them are reassembled,
// and compressed messages are inflated (§1.7).
#include "reference/client/frame.hpp"

#include <gtest/gtest.h>

#include "reference/client/message_reader.hpp"
#include "reference/ws/deflate.hpp"

namespace flake::client {
namespace {

constexpr std::array<uint8_t, 4> kKey = {0x37, 0xfa, 0x21, 0x3d};

std::string server_frame(Opcode op, bool fin, std::string_view payload, bool rsv1 = false) {
  std::string f = encode_frame(op, fin, payload, false, {});
  if (rsv1) f[0] = char(uint8_t(f[0]) | 0x40);
  return f;
}

std::string unmask(std::string_view frame) {
  // Only for frames under 126 bytes: header 2 + key 4.
  std::string out(frame.substr(6));
  for (size_t i = 0; i < out.size(); ++i) out[i] ^= char(frame[2 + (i & 3)]);
  return out;
}

TEST(EncodeFrame, MasksWithTheKey) {
  // RFC 6455 §5.7: a masked "Hello" with key 37 fa 21 3d.
  const std::string f = encode_frame(Opcode::kText, true, "Hello", true, kKey);
  const std::string expected = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  EXPECT_EQ(f, expected);
  EXPECT_EQ(unmask(f), "Hello");
}

TEST(EncodeFrame, LengthForms) {
  for (size_t n : {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}}) {
    const std::string payload(n, 'a');
    const std::string f = encode_frame(Opcode::kBinary, true, payload, true, kKey);
    EXPECT_EQ(uint8_t(f[1]) & 0x80, 0x80) << "mask bit";
    const size_t header = n < 126 ? 2 : n <= 65535 ? 4 : 10;
    EXPECT_EQ(f.size(), header + 4 + n);
    EXPECT_EQ(uint8_t(f[1]) & 0x7f, n < 126 ? n : n <= 65535 ? 126u : 127u);
  }
  const std::string plain = encode_frame(Opcode::kText, true, "x", false, kKey);
  EXPECT_EQ(plain, std::string("\x81\x01x", 3)) << "only the unmasked-frames defect asks for this";
}

TEST(ClosePayload, CodeAndReason) {
  EXPECT_EQ(close_payload(1000, "bye"), std::string("\x03\xe8"
                                                    "bye",
                                                    5));
  EXPECT_EQ(close_payload(0), "");
}

// Feeds `wire` to a reader in pieces of `step` bytes (0: every byte on its own) and returns what
// came out, as "kind:payload[:code]" lines.
std::vector<std::string> read_all(const std::string& wire, size_t step,
                                  std::optional<DeflateAgreed> deflate = std::nullopt,
                                  ClientBehaviour b = {}) {
  MessageReader reader(deflate, 1 << 20, b);
  std::vector<Incoming> items;
  const size_t n = step == 0 ? 1 : step;
  for (size_t i = 0; i < wire.size(); i += n) {
    const std::string_view piece = std::string_view(wire).substr(i, n);
    reader.feed(std::span(reinterpret_cast<const uint8_t*>(piece.data()), piece.size()), items);
  }
  std::vector<std::string> out;
  for (const Incoming& in : items) {
    static const char* kNames[] = {"text", "binary", "ping", "pong", "close", "fail"};
    std::string line = std::string(kNames[int(in.kind)]) + ":" + in.payload;
    if (in.code) line += ":" + std::to_string(*in.code);
    out.push_back(line);
  }
  return out;
}

std::string fragmented_stream() {
  std::string big(70000, 'z');
  return server_frame(Opcode::kText, false, "{\"a\":") + server_frame(Opcode::kPing, true, "p1") +
         server_frame(Opcode::kContinuation, false, "1") + server_frame(Opcode::kPong, true, "") +
         server_frame(Opcode::kContinuation, true, "}") + server_frame(Opcode::kBinary, true, big) +
         server_frame(Opcode::kClose, true, close_payload(1001, "going"));
}

TEST(MessageReader, FragmentsWithControlFramesBetween) {
  const auto items = read_all(fragmented_stream(), 1 << 20);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0], "ping:p1");
  EXPECT_EQ(items[1], "pong:");
  EXPECT_EQ(items[2], "text:{\"a\":1}");
  EXPECT_EQ(items[3], "binary:" + std::string(70000, 'z'));
  EXPECT_EQ(items[4], "close:going:1001");
}

TEST(MessageReader, SplitAtEveryByteGivesTheSameItems) {
  const std::string wire = fragmented_stream();
  const auto whole = read_all(wire, 1 << 20);
  EXPECT_EQ(read_all(wire, 0), whole);
  for (size_t step : {2, 3, 7, 125, 126, 4096}) EXPECT_EQ(read_all(wire, step), whole) << step;
}

TEST(MessageReader, InflatesCompressedMessagesInEveryLayout) {
  ws::DeflateParams params;
  ws::Deflater deflater(params);
  const std::string one = deflater.compress(R"({"jsonrpc":"2.0","method":"x","params":{}})");
  const std::string two = deflater.compress(std::string(5000, 'q'));  // uses the kept window too
  // The first message in one frame, the second in three fragments with a ping between.
  const size_t third = two.size() / 3;
  const std::string wire = server_frame(Opcode::kText, true, one, true) +
                           server_frame(Opcode::kBinary, false, two.substr(0, third), true) +
                           server_frame(Opcode::kPing, true, "k") +
                           server_frame(Opcode::kContinuation, false, two.substr(third, third)) +
                           server_frame(Opcode::kContinuation, true, two.substr(2 * third));
  const std::vector<std::string> expected = {R"(text:{"jsonrpc":"2.0","method":"x","params":{}})",
                                             "ping:k", "binary:" + std::string(5000, 'q')};
  EXPECT_EQ(read_all(wire, 1 << 20, DeflateAgreed{}), expected);
  EXPECT_EQ(read_all(wire, 0, DeflateAgreed{}), expected);
  // Defect deflate-ignored: the compressed bytes come out as they are.
  ClientBehaviour ignored;
  ignored.enable(ClientDefect::kDeflateIgnored);
  const auto raw = read_all(wire, 1 << 20, DeflateAgreed{}, ignored);
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw[0], "text:" + one);
}

TEST(MessageReader, ServerFramingViolationsFailWith1002) {
  auto first = [](const std::string& wire, std::optional<DeflateAgreed> d = std::nullopt) {
    auto items = read_all(wire, 0, d);
    return items.empty() ? std::string() : items.back();
  };
  EXPECT_EQ(first(encode_frame(Opcode::kText, true, "x", true, kKey)),
            "fail:server frame masked:1002");
  EXPECT_EQ(first(server_frame(Opcode::kContinuation, true, "x")),
            "fail:continuation outside a message:1002");
  EXPECT_EQ(first(server_frame(Opcode::kText, true, "x", true)), "fail:reserved bits set:1002")
      << "RSV1 without permessage-deflate";
  EXPECT_EQ(first(server_frame(Opcode::kText, false, "x") + server_frame(Opcode::kText, true, "y")),
            "fail:data frame inside a fragmented message:1002");
  EXPECT_EQ(first(server_frame(Opcode::kPing, false, "x")), "fail:fragmented control frame:1002");
  EXPECT_EQ(first(std::string("\x83\x00", 2)), "fail:unknown opcode:1002");
}

TEST(MessageReader, OversizedMessageFailsWith1009) {
  MessageReader reader(std::nullopt, 100, {});
  std::vector<Incoming> items;
  const std::string wire = server_frame(Opcode::kText, true, std::string(101, 'a'));
  reader.feed(std::span(reinterpret_cast<const uint8_t*>(wire.data()), wire.size()), items);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, Incoming::Kind::kFail);
  EXPECT_EQ(items[0].code, 1009);
}

TEST(MessageReader, DefectsRejectContinuationsAndPongs) {
  ClientBehaviour no_fragments;
  no_fragments.enable(ClientDefect::kFragmentsRejected);
  auto items = read_all(fragmented_stream(), 1 << 20, std::nullopt, no_fragments);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1], "fail:continuation frame:1002");
  ClientBehaviour no_pongs;
  no_pongs.enable(ClientDefect::kPongRejected);
  items = read_all(server_frame(Opcode::kPong, true, "") + server_frame(Opcode::kText, true, "{}"),
                   1 << 20, std::nullopt, no_pongs);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], "fail:unexpected pong:1002");
}

}  // namespace
}  // namespace flake::client
