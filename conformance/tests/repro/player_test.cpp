// play(): placeholders filled, frames masked afresh (the server unmasks the recorded plaintext),
// answers printed with the token hidden, and an unreachable target reported, not hung on.
#include "conformance/repro/player.hpp"

#include "conformance/client/ws_frame.hpp"
#include "conformance/tests/client/fake_server.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace flake::conform::repro {
namespace {

using testing::FakeServer;
using testing::ServerConn;

std::string captured_output(const std::function<void(std::FILE*)>& body) {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&data, &size);
  body(out);
  std::fclose(out);
  std::string text(data, size);
  std::free(data);
  return text;
}

TEST(ReproPlayer, PlaysAWebSocketConnection) {
  const std::string token = "player-test-token-0123";
  std::string head_seen;
  std::string payload_seen;
  bool was_masked = false;
  FakeServer server([&](ServerConn& conn) {
    head_seen = conn.read_head();
    conn.accept_upgrade(head_seen);
    Frame f;
    if (conn.read_frame(f)) {
      payload_seen = f.payload;
      was_masked = f.masked;
    }
    conn.send(encode_server_frame(Opcode::Text, R"({"echo":")" + token + "\"}"));
    conn.send(encode_server_frame(Opcode::Close, close_payload(1000, "bye")));
  });
  // A masked text frame as the capture stores it: key 0, payload in plain, token as placeholder.
  std::string header =
      encode_frame(FrameSpec{0x1, true, 0, true, std::array<std::uint8_t, 4>{}, {}, {}, false},
                   std::string(12 + token.size(), 'x'));
  header.resize(header.size() - 12 - token.size());
  const std::string text =
      "# flake-replay/1\nconnect 1 +0\n"
      "send 1 +0 \"GET ${PATH} HTTP/1.1\\r\\nHost: ${AUTHORITY}\\r\\n"
      "Upgrade: websocket\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n"
      "\\r\\n\"\nframes 1 +1\nrecv 1 +2 129\n";
  std::string error;
  auto script = parse_script(text, error);
  ASSERT_TRUE(script) << error;
  Step send{StepKind::Send, 1, 3, {{PieceKind::Bytes, header + "{\"token\":\""}}, 0};
  send.pieces.push_back({PieceKind::Token, {}});
  send.pieces.push_back({PieceKind::Bytes, "\"}"});
  script->steps.push_back(send);
  script->steps.push_back({StepKind::Recv, 1, 4, {}, 40});
  const PlayTarget target{"127.0.0.1", server.port(),
                          Fill{token, "127.0.0.1:" + std::to_string(server.port()), "/ws"}};
  PlayResult result;
  const std::string out = captured_output([&](std::FILE* f) {
    result = play(*script, target,
                  PlayOptions{std::chrono::milliseconds(5000), std::chrono::milliseconds(500),
                              std::chrono::milliseconds(500)},
                  f);
  });
  EXPECT_TRUE(result.completed) << result.error;
  EXPECT_TRUE(head_seen.starts_with("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:")) << head_seen;
  EXPECT_TRUE(was_masked);
  EXPECT_EQ(payload_seen, "{\"token\":\"" + token + "\"}");
  EXPECT_NE(out.find("<- HTTP HTTP/1.1 101 Switching Protocols | "), std::string::npos) << out;
  EXPECT_NE(out.find("<- text {\"echo\":\"<token>\"}"), std::string::npos) << out;
  EXPECT_NE(out.find("<- close 1000 bye"), std::string::npos) << out;
  EXPECT_EQ(out.find(token), std::string::npos) << out;
}

TEST(ReproPlayer, UnreachableTargetIsAnError) {
  std::string error;
  const auto script = parse_script("# flake-replay/1\nconnect 1 +0\nsend 1 +0 \"x\"\n", error);
  ASSERT_TRUE(script);
  PlayResult result;
  captured_output([&](std::FILE* f) {
    result = play(*script, PlayTarget{"127.0.0.1", 1, {}}, {}, f);
  });
  EXPECT_FALSE(result.completed);
  EXPECT_NE(result.error.find("cannot connect to 127.0.0.1:1"), std::string::npos) << result.error;
}

TEST(ReproPlayer, LongPausesAreCappedAndTheTimeoutHolds) {
  std::string error;
  const auto script = parse_script(
      "# flake-replay/1\nshutdown 1 +0\nclose 1 +100000\nclose 1 +200000\nclose 1 +300000\n",
      error);
  ASSERT_TRUE(script);
  const auto start = std::chrono::steady_clock::now();
  PlayResult result;
  captured_output([&](std::FILE* f) {
    result = play(*script, PlayTarget{"127.0.0.1", 1, {}},
                  PlayOptions{std::chrono::milliseconds(250), std::chrono::milliseconds(100),
                              std::chrono::milliseconds(0)},
                  f);
  });
  // Pauses of 100 000 ms and more are played as 100 ms; the third passes the 250 ms bound.
  EXPECT_FALSE(result.completed);
  EXPECT_NE(result.error.find("stopped after --timeout 250 ms"), std::string::npos) << result.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace flake::conform::repro
