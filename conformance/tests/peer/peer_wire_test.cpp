// The scripted sidecar's wire side: frame layouts it sends, client frames it reads (unmasked,
// fragmented, compressed, broken, huge), refusals, pings from a case, and stopping.
#include "conformance/tests/peer/peer_fixture.hpp"

namespace flake::conform::peer {
namespace {

using namespace fixture;

TEST(Peer, FragmentsWithPingsAndUnsolicitedPongsReassemble) {
  PeerScript script;
  script.shape = [](int, std::size_t) {
    SendShape s;
    s.fragments = 3;
    s.ping_between = true;
    s.pong_before = true;
    return s;
  };
  Running r{std::move(script)};
  auto ws = connect(r);
  EXPECT_TRUE(auth(*ws).contains("result"));
  ASSERT_TRUE(wait_for(r.peer, EventKind::PongIn));
  const auto events = r.peer.events();
  EXPECT_EQ(count(events, EventKind::PingOut), 1u);
  EXPECT_EQ(count(events, EventKind::PongOut), 1u);
}

TEST(Peer, CompressesWhenTheScriptAgrees) {
  PeerScript script;
  script.deflate = true;
  // The second message goes out uncompressed (RSV1 clear), which RFC 7692 allows per message.
  script.shape = [](int, std::size_t nth) {
    SendShape s;
    s.compress = nth != 1;
    return s;
  };
  Running r{std::move(script)};
  auto ws = connect(r, true);
  EXPECT_TRUE(ws->deflate_active());
  EXPECT_TRUE(auth(*ws).contains("result"));
  EXPECT_TRUE(auth(*ws).contains("result"));
  EXPECT_TRUE(auth(*ws).contains("result"));
  ASSERT_TRUE(wait_for(r.peer, EventKind::Sent, 3));  // recorded just after the bytes went out
  std::vector<std::string> texts;
  for (const auto& e : r.peer.events()) {
    if (e.kind == EventKind::Sent) texts.push_back(e.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"1 frame(s), compressed", "1 frame(s)",
                                             "1 frame(s), compressed"}));
  PeerScript plain;
  Running r2{std::move(plain)};
  auto ws2 = connect(r2, true);
  EXPECT_FALSE(ws2->deflate_active());
}

TEST(Peer, ReassemblesFragmentedAndCompressedClientMessages) {
  PeerScript script;
  script.deflate = true;
  Running r{std::move(script)};
  auto ws = connect(r, true);
  ASSERT_TRUE(ws->deflate_active());
  const json req = {{"jsonrpc", "2.0"}, {"id", "a"}, {"method", "system.ping"}};
  // Fragments with a ping between them, uncompressed.
  ASSERT_TRUE(ws->send_raw(encode_client_frame(Opcode::Text, req.dump().substr(0, 10), false)));
  ASSERT_TRUE(ws->send_ping("between"));
  ASSERT_TRUE(ws->send_raw(encode_client_frame(Opcode::Continuation, req.dump().substr(10))));
  EXPECT_EQ(next_json(*ws)["id"], "a");
  // A compressed message.
  ws->set_compress_outgoing(true);
  EXPECT_EQ(call(*ws, {{"jsonrpc", "2.0"}, {"id", "b"}, {"method", "system.ping"}})["id"], "b");
  const auto events = r.peer.events();
  EXPECT_EQ(count(events, EventKind::PingIn), 1u);
  EXPECT_EQ(count(events, EventKind::MessageIn), 2u);
  EXPECT_EQ(count(events, EventKind::Finding), 0u);
}

TEST(Peer, RecordsAnUnmaskedFrameAndStillReadsIt) {
  Running r{PeerScript{}};
  auto ws = connect(r);
  FrameSpec spec;
  spec.masked = false;
  const json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "system.ping"}};
  ASSERT_TRUE(ws->send_frame(spec, req.dump()));
  const json a = next_json(*ws);
  EXPECT_TRUE(a["result"].contains("now"));
  const auto events = r.peer.events();
  EXPECT_EQ(count(events, EventKind::Finding), 1u);
  bool unmasked = false;
  for (const auto& e : events) unmasked = unmasked || (e.kind == EventKind::FrameIn && !e.masked);
  EXPECT_TRUE(unmasked);
}

TEST(Peer, FailsTheConnectionOnAFramingErrorAndOnHugeMessages) {
  Running r{PeerScript{}};
  auto ws = connect(r);
  ASSERT_TRUE(ws->send_raw(encode_client_frame(Opcode::Continuation, "x")));
  Message m = ws->next_message(deadline_in(2000ms));
  EXPECT_EQ(m.kind, MessageKind::Close);
  EXPECT_EQ(m.close_code, 1002);
  auto big = connect(r);
  ASSERT_TRUE(big->send_text(std::string((1 << 20) + 10, ' ')));
  m = big->next_message(deadline_in(2000ms));
  EXPECT_EQ(m.kind, MessageKind::Close);
  EXPECT_EQ(m.close_code, 1009);
}

TEST(Peer, GarbageInsteadOfAnUpgradeIsRefused) {
  Running r{PeerScript{}};
  TcpSocket s;
  ASSERT_TRUE(s.connect("127.0.0.1", r.peer.port(), deadline_in(1000ms)));
  ASSERT_EQ(s.send_all("GET /rpc HTTP/1.1\r\nHost: x\r\n\r\n", deadline_in(1000ms)), IoStatus::Ok);
  char buf[512];
  const RecvResult got = s.recv_some(buf, sizeof buf, deadline_in(2000ms));
  ASSERT_EQ(got.status, IoStatus::Ok);
  EXPECT_TRUE(std::string_view(buf, got.bytes).starts_with("HTTP/1.1 400"));
  ASSERT_TRUE(wait_for(r.peer, EventKind::Finding));
}

TEST(Peer, RefusalKinds) {
  PeerScript script;
  script.refusal = [](int conn) {
    Refusal x;
    if (conn == 1) x.kind = Refusal::Kind::FinAtAccept;
    if (conn == 2) x.kind = Refusal::Kind::ResetAtAccept;
    if (conn == 3) {
      x.kind = Refusal::Kind::Http503;
      x.retry_after_s = 1;
    }
    if (conn == 4) x.kind = Refusal::Kind::UpgradeThenClose;
    if (conn == 5) {
      x.kind = Refusal::Kind::UpgradeThenCloseCode;
      x.close_code = 4408;
    }
    return x;
  };
  Running r{std::move(script)};
  ConnectOptions o;
  o.timeout = 2000ms;
  WsClient fin;
  EXPECT_FALSE(fin.connect(r.url(), o).upgraded);
  WsClient rst;
  const ConnectResult reset = rst.connect(r.url(), o);
  EXPECT_FALSE(reset.upgraded);
  WsClient busy;
  const ConnectResult refused = busy.connect(r.url(), o);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.head.header("retry-after"), "1");
  WsClient closed;
  ASSERT_TRUE(closed.connect(r.url(), o).upgraded);
  EXPECT_EQ(closed.next_message(deadline_in(2000ms)).kind, MessageKind::Eof);
  WsClient coded;
  ASSERT_TRUE(coded.connect(r.url(), o).upgraded);
  const Message m = coded.next_message(deadline_in(2000ms));
  EXPECT_EQ(m.kind, MessageKind::Close);
  EXPECT_EQ(m.close_code, 4408);
  ASSERT_TRUE(wait_for(r.peer, EventKind::Refuse, 5));
}

TEST(Peer, StopsWithASilentClientConnected) {
  auto r = std::make_unique<Running>(PeerScript{});
  TcpSocket silent;
  ASSERT_TRUE(silent.connect("127.0.0.1", r->peer.port(), deadline_in(1000ms)));
  ASSERT_TRUE(wait_for(r->peer, EventKind::Accept));
  const auto start = Clock::now();
  r.reset();
  EXPECT_LT(Clock::now() - start, 1000ms);
}

TEST(Peer, PingsAnOpenConnection) {
  Running r{PeerScript{}};
  auto ws = connect(r);
  auth(*ws);
  ASSERT_EQ(r.peer.open_connection(), 1);
  EXPECT_TRUE(r.peer.ping(1, "hello"));
  EXPECT_FALSE(r.peer.ping(7, "nobody"));
  ws->next_message(deadline_in(300ms));  // reads the ping and answers it
  ASSERT_TRUE(wait_for(r.peer, EventKind::PongIn));
  for (const auto& e : r.peer.events()) {
    if (e.kind == EventKind::PongIn) {
      EXPECT_EQ(e.payload, "hello");
    }
  }
}

}  // namespace
}  // namespace flake::conform::peer
