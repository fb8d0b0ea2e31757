// MaskRewriter: re-masking keeps what a server unmasks, across any split of the writes.
#include "conformance/client/mask_stream.hpp"

#include "conformance/client/ws_frame.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

std::string unmask_all(std::string_view wire) {
  FrameDecoder decoder(DecoderOptions{true, 7, std::uint64_t{1} << 31});
  std::string out;
  Frame f;
  while (!wire.empty()) {
    const auto r = decoder.feed(wire, f);
    wire.remove_prefix(r.consumed);
    if (r.status != FrameDecoder::Status::Frame) break;
    out += std::to_string(f.opcode) + ":" + f.payload + "|";
    f = Frame{};
  }
  return out;
}

TEST(MaskRewriter, ZeroKeysThenFreshKeysKeepThePlaintext) {
  std::string wire = encode_client_frame(Opcode::Text, "hello") +
                     encode_client_frame(Opcode::Binary, std::string(300, 'x')) +
                     encode_client_frame(Opcode::Ping, "") +
                     encode_client_frame(Opcode::Binary, std::string(70000, 'y'));
  for (std::size_t step : {1u, 3u, 7u, 1000u, 100000u}) {
    MaskRewriter to_zero([] { return MaskKey{}; });
    std::string zeroed;
    for (std::size_t i = 0; i < wire.size(); i += step) {
      zeroed += to_zero.rewrite(std::string_view(wire).substr(i, step));
    }
    EXPECT_NE(zeroed.find("hello"), std::string::npos);  // key 0: payload in plain
    MaskRewriter fresh([] { return MaskKey{1, 2, 3, 4}; });
    const std::string again = fresh.rewrite(zeroed);
    EXPECT_EQ(again.find("hello"), std::string::npos);
    EXPECT_EQ(unmask_all(again), unmask_all(wire)) << "step " << step;
  }
}

TEST(MaskRewriter, UnmaskedFramesPassUnchangedAndFramesAreReported) {
  std::string seen;
  MaskRewriter r(
      [] {
        return MaskKey{9, 9, 9, 9};
      },
      [&](std::uint8_t op, bool fin, std::string_view p) {
        seen += std::to_string(op) + (fin ? "f" : "") + ":" + std::string(p) + ";";
      });
  const std::string plain = encode_server_frame(Opcode::Text, "abc");
  EXPECT_EQ(r.rewrite(plain), plain);
  r.rewrite(encode_client_frame(Opcode::Text, "de", false));
  r.rewrite(encode_client_frame(Opcode::Continuation, "f", true));
  EXPECT_EQ(seen, "1f:abc;1:de;0f:f;");
}

}  // namespace
}  // namespace flake::conform
