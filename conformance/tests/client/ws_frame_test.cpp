// Frame encoder/decoder: RFC 6455 vectors, every split point, every malformed header rejected.
#include "conformance/client/ws_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flake::conform {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

struct Decoded {
  FrameDecoder::Status status = FrameDecoder::Status::Incomplete;
  FrameError error = FrameError::None;
  Frame frame;
  std::size_t consumed = 0;
};

// Feeds `wire` in the given pieces; stops at the first Frame or Error.
Decoded decode_pieces(const std::vector<std::string_view>& pieces, DecoderOptions options) {
  FrameDecoder decoder(options);
  Decoded d;
  for (const auto piece : pieces) {
    std::string_view rest = piece;
    while (!rest.empty()) {
      const auto r = decoder.feed(rest, d.frame);
      d.consumed += r.consumed;
      rest.remove_prefix(r.consumed);
      d.status = r.status;
      d.error = r.error;
      if (r.status != FrameDecoder::Status::Incomplete) return d;
      if (r.consumed == 0) break;
    }
  }
  return d;
}

Decoded decode_whole(std::string_view wire, DecoderOptions options) {
  return decode_pieces({wire}, options);
}

void expect_same(const Decoded& a, const Decoded& b, const std::string& where) {
  EXPECT_EQ(a.status, b.status) << where;
  EXPECT_EQ(a.error, b.error) << where;
  EXPECT_EQ(a.frame.fin, b.frame.fin) << where;
  EXPECT_EQ(a.frame.rsv, b.frame.rsv) << where;
  EXPECT_EQ(a.frame.opcode, b.frame.opcode) << where;
  EXPECT_EQ(a.frame.masked, b.frame.masked) << where;
  EXPECT_EQ(a.frame.payload, b.frame.payload) << where;
}

// Split in two at every boundary; also one byte at a time. Large payloads get a sparse sweep,
// because a full one is quadratic.
void check_all_splits(const std::string& wire, DecoderOptions options) {
  const Decoded whole = decode_whole(wire, options);
  const std::size_t step = wire.size() > 2000 ? 997 : 1;
  for (std::size_t i = 0; i <= wire.size(); i += (i < 20 || i + 20 > wire.size()) ? 1 : step) {
    const std::string_view w(wire);
    expect_same(whole, decode_pieces({w.substr(0, i), w.substr(i)}, options),
                "split at " + std::to_string(i));
  }
  std::vector<std::string_view> singles;
  for (std::size_t i = 0; i < wire.size(); ++i)
    singles.push_back(std::string_view(wire).substr(i, 1));
  expect_same(whole, decode_pieces(singles, options), "byte by byte");
}

TEST(WsFrame, Rfc6455Section57Vectors) {
  const std::string hello_unmasked = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  EXPECT_EQ(encode_server_frame(Opcode::Text, "Hello"), hello_unmasked);

  FrameSpec masked;
  masked.mask_key = std::array<std::uint8_t, 4>{0x37, 0xfa, 0x21, 0x3d};
  EXPECT_EQ(encode_frame(masked, "Hello"),
            bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));

  const std::string first = bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
  const std::string second = bytes({0x80, 0x02, 0x6c, 0x6f});
  EXPECT_EQ(encode_server_frame(Opcode::Text, "Hel", false), first);
  EXPECT_EQ(encode_server_frame(Opcode::Continuation, "lo"), second);

  const std::string binary256 = encode_server_frame(Opcode::Binary, std::string(256, 'x'));
  EXPECT_EQ(binary256.substr(0, 4), bytes({0x82, 0x7E, 0x01, 0x00}));
  const std::string binary64k = encode_server_frame(Opcode::Binary, std::string(65536, 'x'));
  EXPECT_EQ(binary64k.substr(0, 10), bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));

  const Decoded d =
      decode_whole(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
                   DecoderOptions{true, 0, 1 << 20});
  ASSERT_EQ(d.status, FrameDecoder::Status::Frame);
  EXPECT_EQ(d.frame.payload, "Hello");
  EXPECT_TRUE(d.frame.masked);
}

TEST(WsFrame, EveryValidFrameDecodesIdenticallyAtEverySplit) {
  std::vector<std::pair<std::string, DecoderOptions>> frames;
  const DecoderOptions from_server{false, 0, 1 << 24};
  const DecoderOptions from_client{true, 0, 1 << 24};
  const DecoderOptions deflate_server{false, kRsv1, 1 << 24};
  std::string text;
  for (int i = 0; i < 70000; ++i) text.push_back(static_cast<char>('a' + i % 26));
  for (const std::size_t len : {0u, 1u, 125u, 126u, 127u, 1000u, 65535u, 65536u, 70000u}) {
    const std::string payload = text.substr(0, len);
    frames.emplace_back(encode_server_frame(Opcode::Text, payload), from_server);
    frames.emplace_back(encode_client_frame(Opcode::Binary, payload), from_client);
  }
  frames.emplace_back(encode_server_frame(Opcode::Text, "frag", false), from_server);
  frames.emplace_back(encode_server_frame(Opcode::Continuation, "ment", true), from_server);
  frames.emplace_back(encode_server_frame(Opcode::Ping, std::string(125, 'p')), from_server);
  frames.emplace_back(encode_server_frame(Opcode::Pong, ""), from_server);
  frames.emplace_back(encode_server_frame(Opcode::Close, close_payload(1000, "bye")), from_server);
  frames.emplace_back(encode_client_frame(Opcode::Close, close_payload(4401, "")), from_client);
  frames.emplace_back(encode_server_frame(Opcode::Binary, "zz", true, kRsv1), deflate_server);
  for (const auto& [wire, options] : frames) {
    SCOPED_TRACE("frame of " + std::to_string(wire.size()) + " bytes");
    const Decoded whole = decode_whole(wire, options);
    ASSERT_EQ(whole.status, FrameDecoder::Status::Frame);
    EXPECT_EQ(whole.consumed, wire.size());
    check_all_splits(wire, options);
  }
}

TEST(WsFrame, StreamOfFramesInAnyChunkSize) {
  std::string stream;
  std::vector<std::string> payloads = {"one", std::string(300, 'b'), "", "four"};
  for (const auto& p : payloads) stream += encode_server_frame(Opcode::Binary, p);
  stream += encode_server_frame(Opcode::Ping, "pp");
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    FrameDecoder decoder;
    Frame frame;
    std::vector<std::string> got;
    for (std::size_t off = 0; off < stream.size(); off += chunk) {
      std::string_view piece = std::string_view(stream).substr(off, chunk);
      while (!piece.empty()) {
        const auto r = decoder.feed(piece, frame);
        ASSERT_NE(r.status, FrameDecoder::Status::Error);
        piece.remove_prefix(r.consumed);
        if (r.status == FrameDecoder::Status::Frame) got.push_back(frame.payload);
      }
    }
    ASSERT_EQ(got.size(), 5u) << "chunk " << chunk;
    for (std::size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(got[i], payloads[i]);
    EXPECT_EQ(got[4], "pp");
  }
}

struct Malformed {
  const char* name;
  std::string wire;
  DecoderOptions options;
  FrameError expected;
};

TEST(WsFrame, EveryMalformedFrameIsRejectedWithItsReason) {
  const DecoderOptions server{false, 0, 1 << 20};
  const DecoderOptions client{true, 0, 1 << 20};
  auto spec = [](std::uint8_t opcode) {
    FrameSpec s;
    s.opcode = opcode;
    s.masked = false;
    return s;
  };
  std::vector<Malformed> cases;
  for (const std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    cases.push_back(
        {"reserved opcode", encode_frame(spec(op), "x"), server, FrameError::ReservedOpcode});
  }
  for (const std::uint8_t rsv : {kRsv1, kRsv2, kRsv3, std::uint8_t(kRsv1 | kRsv3)}) {
    FrameSpec s = spec(0x1);
    s.rsv = rsv;
    cases.push_back({"rsv", encode_frame(s, "x"), server, FrameError::ReservedBits});
  }
  {
    FrameSpec s = spec(0x1);
    s.rsv = kRsv2;
    cases.push_back({"rsv2 with deflate", encode_frame(s, "x"),
                     DecoderOptions{false, kRsv1, 1 << 20}, FrameError::ReservedBits});
  }
  for (const std::uint8_t op : {0x8, 0x9, 0xA}) {
    cases.push_back({"control > 125", encode_frame(spec(op), std::string(126, 'c')), server,
                     FrameError::ControlTooLong});
    FrameSpec s = spec(op);
    s.fin = false;
    cases.push_back(
        {"control fragmented", encode_frame(s, "c"), server, FrameError::ControlFragmented});
  }
  cases.push_back({"masked from server", encode_client_frame(Opcode::Text, "m"), server,
                   FrameError::UnexpectedMask});
  cases.push_back({"unmasked from client", encode_server_frame(Opcode::Text, "m"), client,
                   FrameError::MissingMask});
  {
    FrameSpec s = spec(0x2);
    s.length_msb = true;
    cases.push_back({"64-bit length MSB", encode_frame(s, std::string(70000, 'z')), server,
                     FrameError::LengthMsbSet});
    s.length_msb = false;
    s.length_form = LengthForm::Extended16;
    cases.push_back(
        {"non-minimal 16", encode_frame(s, "abc"), server, FrameError::NonMinimalLength});
    s.length_form = LengthForm::Extended64;
    cases.push_back({"non-minimal 64", encode_frame(s, std::string(300, 'q')), server,
                     FrameError::NonMinimalLength});
    s.length_form = LengthForm::Auto;
    cases.push_back({"too large", encode_frame(s, std::string(2000, 'q')),
                     DecoderOptions{false, 0, 1000}, FrameError::TooLarge});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Decoded whole = decode_whole(c.wire, c.options);
    EXPECT_EQ(whole.status, FrameDecoder::Status::Error);
    EXPECT_EQ(whole.error, c.expected) << to_string(whole.error);
    EXPECT_FALSE(to_string(whole.error).empty());
    for (std::size_t i = 0; i <= std::min<std::size_t>(c.wire.size(), 16); ++i) {
      const std::string_view w(c.wire);
      const Decoded split = decode_pieces({w.substr(0, i), w.substr(i)}, c.options);
      EXPECT_EQ(split.status, FrameDecoder::Status::Error) << "split at " << i;
      EXPECT_EQ(split.error, c.expected) << "split at " << i;
    }
  }
}

TEST(WsFrame, ErrorIsStickyUntilReset) {
  FrameDecoder decoder;
  Frame frame;
  const std::string bad = encode_frame(FrameSpec{0x3, true, 0, false, {}, {}, {}, false}, "");
  EXPECT_EQ(decoder.feed(bad, frame).status, FrameDecoder::Status::Error);
  const std::string good = encode_server_frame(Opcode::Text, "ok");
  const auto again = decoder.feed(good, frame);
  EXPECT_EQ(again.status, FrameDecoder::Status::Error);
  EXPECT_EQ(again.consumed, 0u);
  decoder.reset();
  EXPECT_EQ(decoder.feed(good, frame).status, FrameDecoder::Status::Frame);
  EXPECT_EQ(frame.payload, "ok");
}

TEST(WsFrame, RoundTripOfEveryOpcodeAndLengthForm) {
  for (const Opcode op : {Opcode::Continuation, Opcode::Text, Opcode::Binary, Opcode::Close,
                          Opcode::Ping, Opcode::Pong}) {
    for (const std::size_t len : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
      if (is_control_opcode(static_cast<std::uint8_t>(op)) && len > 125) continue;
      std::string payload(len, '\0');
      for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(i * 31 + 7);
      for (const bool masked : {false, true}) {
        FrameSpec s;
        s.opcode = static_cast<std::uint8_t>(op);
        s.masked = masked;
        const Decoded d =
            decode_whole(encode_frame(s, payload), DecoderOptions{masked, 0, 1 << 20});
        ASSERT_EQ(d.status, FrameDecoder::Status::Frame);
        EXPECT_EQ(d.frame.opcode, static_cast<std::uint8_t>(op));
        EXPECT_EQ(d.frame.payload, payload);
        EXPECT_EQ(d.frame.masked, masked);
      }
    }
  }
}

TEST(WsFrame, DeclaredLengthCanLie) {
  FrameSpec s;
  s.masked = false;
  s.declared_length = 10;
  const std::string wire = encode_frame(s, "abc");
  EXPECT_EQ(wire.size(), 5u);
  const Decoded d = decode_whole(wire, DecoderOptions{});
  EXPECT_EQ(d.status, FrameDecoder::Status::Incomplete);
  EXPECT_EQ(d.frame.payload, "abc");
}

TEST(WsFrame, ClosePayload) {
  EXPECT_EQ(close_payload(1000, "ok"), bytes({0x03, 0xE8, 'o', 'k'}));
  EXPECT_EQ(close_payload(4408, ""), bytes({0x11, 0x38}));
}

}  // namespace
}  // namespace flake::conform
