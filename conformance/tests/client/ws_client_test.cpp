// WsClient against scripted servers: handshake checks, refusals, reassembly with interleaved
// pings, automatic pongs, close versus EOF, protocol errors, permessage-deflate, and RpcClient.
#include "conformance/client/ws_client.hpp"
#include "conformance/client/permessage_deflate.hpp"
#include "conformance/client/rpc_client.hpp"
#include "conformance/tests/client/fake_server.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace flake::conform {
namespace {

using testing::FakeServer;
using testing::ServerConn;
using namespace std::chrono_literals;

Url url_of(const FakeServer& s, const std::string& path = "/rpc") {
  auto u = parse_url(s.url(path));
  EXPECT_TRUE(u);
  return *u;
}

ConnectOptions quick() {
  ConnectOptions o;
  o.timeout = 3000ms;
  return o;
}

TEST(WsClient, HandshakeSendsHostOriginProtocolAndSeesSelection) {
  std::string seen;
  FakeServer server([&](ServerConn& c) {
    seen = c.read_head();
    c.accept_upgrade(seen, "Sec-WebSocket-Protocol: flake.v1\r\n");
    Frame f;
    c.read_frame(f);  // the client's close
  });
  WsClient ws;
  ConnectOptions o = quick();
  o.origin = "tauri://localhost";
  o.subprotocols = {"flake.v1"};
  const ConnectResult r = ws.connect(url_of(server), o);
  ASSERT_TRUE(r.upgraded) << r.error;
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(r.subprotocol, "flake.v1");
  ws.send_close(1000, "");
  ws.abort();
  EXPECT_NE(seen.find("Host: 127.0.0.1:" + std::to_string(server.port())), std::string::npos);
  EXPECT_NE(seen.find("Origin: tauri://localhost"), std::string::npos);
  EXPECT_NE(seen.find("GET /rpc HTTP/1.1"), std::string::npos);
}

TEST(WsClient, RefusalStatusAndBodyAreReported) {
  FakeServer server([](ServerConn& c) {
    c.read_head();
    c.send(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
        "{\"error\":\"nope\"}\n");
  });
  WsClient ws;
  const ConnectResult r = ws.connect(url_of(server), quick());
  EXPECT_TRUE(r.connected);
  EXPECT_FALSE(r.upgraded);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "{\"error\":\"nope\"}\n");
}

TEST(WsClient, WrongAcceptKeyIsRejected) {
  FakeServer server([](ServerConn& c) {
    c.read_head();
    c.send(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
  });
  WsClient ws;
  const ConnectResult r = ws.connect(url_of(server), quick());
  EXPECT_FALSE(r.upgraded);
  EXPECT_EQ(r.status, 101);
  EXPECT_NE(r.error.find("Accept"), std::string::npos);
}

TEST(WsClient, ReassemblesAroundPingsAndAnswersThem) {
  std::string pong_payload;
  FakeServer server([&](ServerConn& c) {
    c.accept_upgrade(c.read_head());
    // Head and first frames in one write: the client must keep the bytes behind the head.
    c.send(encode_server_frame(Opcode::Text, "{\"a\":", false) +
           encode_server_frame(Opcode::Ping, "p1") +
           encode_server_frame(Opcode::Continuation, "1", false) +
           encode_server_frame(Opcode::Continuation, "}", true) +
           encode_server_frame(Opcode::Binary, std::string("\x01\x02", 2)));
    Frame f;
    if (c.read_frame(f) && f.opcode == static_cast<std::uint8_t>(Opcode::Pong)) {
      pong_payload = f.payload;
    }
    c.send(encode_server_frame(Opcode::Close, close_payload(4401, "bye")));
    c.read_frame(f);
  });
  WireLog log;
  WsClient ws(&log, 1);
  ASSERT_TRUE(ws.connect(url_of(server), quick()).upgraded);
  const Deadline d = deadline_in(3000ms);
  Message m = ws.next_message(d);
  ASSERT_EQ(m.kind, MessageKind::Text) << m.data;
  EXPECT_EQ(m.data, "{\"a\":1}");
  m = ws.next_message(d);
  ASSERT_EQ(m.kind, MessageKind::Binary);
  EXPECT_EQ(m.data, std::string("\x01\x02", 2));
  m = ws.next_message(d);
  ASSERT_EQ(m.kind, MessageKind::Close);
  EXPECT_EQ(m.close_code.value_or(0), 4401);
  EXPECT_EQ(m.close_reason, "bye");
  EXPECT_EQ(ws.pings_received(), 1u);
  ws.abort();
  EXPECT_EQ(pong_payload, "p1");
  EXPECT_FALSE(log.lines().empty());
}

TEST(WsClient, AutoPongCanBeTurnedOff) {
  bool got_pong = false;
  FakeServer server([&](ServerConn& c) {
    c.accept_upgrade(c.read_head());
    c.send(encode_server_frame(Opcode::Ping, "x") + encode_server_frame(Opcode::Text, "after"));
    Frame f;
    if (c.read_frame(f)) got_pong = f.opcode == static_cast<std::uint8_t>(Opcode::Pong);
  });
  WsClient ws;
  ConnectOptions o = quick();
  o.auto_pong = false;
  ASSERT_TRUE(ws.connect(url_of(server), o).upgraded);
  const Message m = ws.next_message(deadline_in(3000ms));
  EXPECT_EQ(m.kind, MessageKind::Text);
  EXPECT_EQ(ws.pings_received(), 1u);
  ws.send_close(1000, "");
  ws.abort();
  EXPECT_FALSE(got_pong);  // the next frame the server saw was the close
}

TEST(WsClient, AbruptEofIsNotAClose) {
  FakeServer server([](ServerConn& c) {
    c.accept_upgrade(c.read_head());
    c.send(encode_server_frame(Opcode::Text, "partial", false));
    c.shutdown_now();
  });
  WsClient ws;
  ASSERT_TRUE(ws.connect(url_of(server), quick()).upgraded);
  const Message m = ws.next_message(deadline_in(3000ms));
  EXPECT_EQ(m.kind, MessageKind::Eof);
  EXPECT_NE(m.data.find("middle of a message"), std::string::npos);
}

TEST(WsClient, TimeoutWhenTheServerIsSilent) {
  FakeServer server([](ServerConn& c) {
    c.accept_upgrade(c.read_head());
    Frame f;
    c.read_frame(f);
  });
  WsClient ws;
  ASSERT_TRUE(ws.connect(url_of(server), quick()).upgraded);
  const auto start = Clock::now();
  EXPECT_EQ(ws.next_message(deadline_in(200ms)).kind, MessageKind::Timeout);
  EXPECT_GE(Clock::now() - start, 150ms);
  ws.send_close(1000, "");
}

TEST(WsClient, ServerProtocolErrorsAreReported) {
  const std::string bad_frames[] = {
      encode_client_frame(Opcode::Text, "masked by server"),
      encode_server_frame(Opcode::Continuation, "no start"),
      encode_server_frame(Opcode::Text, "a", false) + encode_server_frame(Opcode::Text, "b"),
      encode_server_frame(Opcode::Text, std::string("\xC0\x80", 2)),
  };
  for (const auto& bad : bad_frames) {
    FakeServer server([&](ServerConn& c) {
      c.accept_upgrade(c.read_head());
      c.send(bad);
      Frame f;
      c.read_frame(f);
    });
    WsClient ws;
    ASSERT_TRUE(ws.connect(url_of(server), quick()).upgraded);
    const Message m = ws.next_message(deadline_in(3000ms));
    EXPECT_EQ(m.kind, MessageKind::Error);
    EXPECT_FALSE(m.data.empty());
    ws.abort();
  }
}

TEST(WsClient, PermessageDeflateBothWays) {
  std::string received;
  std::optional<FakeServer> server;
  server.emplace([&](ServerConn& c) {
    const std::string head = c.read_head();
    if (head.find("permessage-deflate") == std::string::npos) return;
    c.accept_upgrade(head, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    MessageDeflater deflater(15, false);
    // Sequenced on purpose: the second message refers back into the first one's window.
    const std::string first = deflater.compress("compressed hello");
    const std::string second = deflater.compress("compressed hello");
    c.send(encode_server_frame(Opcode::Text, first, true, kRsv1) +
           encode_server_frame(Opcode::Text, second, true, kRsv1) +
           encode_server_frame(Opcode::Text, "plain"));
    Frame f;
    if (c.read_frame(f) && (f.rsv & kRsv1) != 0) {
      MessageInflater inflater(15, false);
      std::string error;
      inflater.decompress(f.payload, 1 << 20, received, error);
    }
  });
  WsClient ws;
  ConnectOptions o = quick();
  o.offer_deflate = true;
  const ConnectResult r = ws.connect(url_of(*server), o);
  ASSERT_TRUE(r.upgraded) << r.error;
  EXPECT_TRUE(r.deflate);
  const Deadline d = deadline_in(3000ms);
  EXPECT_EQ(ws.next_message(d).data, "compressed hello");
  EXPECT_EQ(ws.next_message(d).data, "compressed hello");
  EXPECT_EQ(ws.next_message(d).data, "plain");
  ws.send_text("from the client");
  ws.abort();
  server.reset();  // joins the server thread, so `received` is final
  EXPECT_EQ(received, "from the client");
}

TEST(RpcClient, CallMatchesIdAndQueuesNotifications) {
  FakeServer server([](ServerConn& c) {
    c.accept_upgrade(c.read_head());
    Frame f;
    if (!c.read_frame(f)) return;
    const json request = json::parse(f.payload);
    c.send(encode_server_frame(Opcode::Text,
                               R"({"jsonrpc":"2.0","method":"logs.update","params":{"seq":1}})") +
           encode_server_frame(Opcode::Text, R"({"jsonrpc":"2.0","id":999,"result":0})"));
    const json response = {{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", {{"now", 5}}}};
    const auto packed = json::to_msgpack(response);
    c.send(encode_server_frame(Opcode::Binary, std::string(packed.begin(), packed.end())));
    c.read_frame(f);
  });
  RpcClient rpc;
  ASSERT_TRUE(rpc.connect(url_of(server), quick()).upgraded);
  const Incoming in = rpc.call("system.ping", nullptr, 3000ms);
  ASSERT_TRUE(in.is_value()) << in.describe();
  EXPECT_EQ(in.value["result"]["now"], 5);
  EXPECT_EQ(in.encoding, Encoding::MsgPack);
  ASSERT_EQ(rpc.notifications().size(), 1u);
  EXPECT_EQ(rpc.stray_responses().size(), 1u);
  const auto n = rpc.next_notification(deadline_in(10ms));
  ASSERT_TRUE(n);
  EXPECT_EQ((*n)["params"]["seq"], 1);
  rpc.ws().send_close(1000, "");
}

// A sidecar's deeply nested answer must not crash the harness when a report prints it (printing a
// JSON value recurses per level): such text is undecodable, and its description is the raw prefix.
TEST(RpcClient, DeeplyNestedTextIsUndecodableNotACrash) {
  FakeServer server([](ServerConn& c) {
    c.accept_upgrade(c.read_head());
    Frame f;
    if (!c.read_frame(f)) return;
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    c.send(encode_server_frame(Opcode::Text, deep) +
           encode_server_frame(Opcode::Text, R"({"jsonrpc":"2.0","id":1,"result":[[["ok"]]]})"));
    c.read_frame(f);
  });
  RpcClient rpc;
  ASSERT_TRUE(rpc.connect(url_of(server), quick()).upgraded);
  rpc.ws().send_text("{}");
  const Incoming deep = rpc.receive(deadline_in(3000ms));
  EXPECT_EQ(deep.kind, Incoming::Kind::Undecodable);
  EXPECT_NE(deep.describe().find("[[["), std::string::npos);
  const Incoming shallow = rpc.receive(deadline_in(3000ms));
  ASSERT_TRUE(shallow.is_value()) << shallow.describe();
  EXPECT_EQ(shallow.value["result"][0][0][0], "ok");
  rpc.ws().send_close(1000, "");
}

TEST(Url, Parsing) {
  auto u = parse_url("ws://127.0.0.1:9123/rpc");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9123);
  EXPECT_EQ(u->path, "/rpc");
  EXPECT_EQ(u->authority, "127.0.0.1:9123");
  u = parse_url("ws://[::1]:80");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->path, "/");
  std::string error;
  EXPECT_FALSE(parse_url("ftp://x/rpc", &error));
  EXPECT_FALSE(parse_url("ws://x:99999/", &error));
  EXPECT_FALSE(parse_url("127.0.0.1:9123", &error));
}

}  // namespace
}  // namespace flake::conform
