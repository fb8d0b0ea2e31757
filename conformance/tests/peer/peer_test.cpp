// The scripted sidecar end to end, driven by the suite's own WebSocket client: default answers,
// frame layouts, refusals, faults, and clients that break the rules.
#include "conformance/peer/peer.hpp"

#include "conformance/client/data_codec.hpp"
#include "conformance/client/url.hpp"
#include "conformance/client/ws_client.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace flake::conform::peer {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "peer-test-token-0123456789";

struct Running {
  explicit Running(PeerScript script)
      : peer([&] {
          script.token = kToken;
          return std::move(script);
        }()) {
    std::string error;
    EXPECT_TRUE(peer.start(error)) << error;
  }
  Url url() const { return *parse_url(peer.url()); }
  Peer peer;
};

std::unique_ptr<WsClient> connect(const Running& r, bool deflate = false) {
  auto ws = std::make_unique<WsClient>();
  ConnectOptions o;
  o.subprotocols = {"flake.v1"};
  o.offer_deflate = deflate;
  o.timeout = 2000ms;
  const ConnectResult c = ws->connect(r.url(), o);
  EXPECT_TRUE(c.upgraded) << c.error;
  return ws;
}

json call(WsClient& ws, const json& request) {
  EXPECT_TRUE(ws.send_text(request.dump()));
  for (;;) {
    const Message m = ws.next_message(deadline_in(2000ms));
    if (m.kind != MessageKind::Text && m.kind != MessageKind::Binary) {
      ADD_FAILURE() << "no answer: " << to_string(m.kind) << " " << m.data;
      return json();
    }
    json v = m.kind == MessageKind::Text ? json::parse(m.data) : json::from_msgpack(m.data);
    if (v.is_array() || v.contains("id")) return v;
  }
}

json next_json(WsClient& ws) {
  const Message m = ws.next_message(deadline_in(2000ms));
  if (m.kind == MessageKind::Text) return json::parse(m.data);
  if (m.kind == MessageKind::Binary) return json::from_msgpack(m.data);
  ADD_FAILURE() << "expected a message, got " << to_string(m.kind);
  return json();
}

json auth(WsClient& ws) {
  return call(ws, {{"jsonrpc", "2.0"},
                   {"id", 1},
                   {"method", "auth.authenticate"},
                   {"params", {{"token", kToken}}}});
}

std::size_t count(const std::vector<PeerEvent>& events, EventKind kind) {
  std::size_t n = 0;
  for (const auto& e : events) n += e.kind == kind ? 1 : 0;
  return n;
}

bool wait_for(const Peer& p, EventKind kind, std::size_t n = 1) {
  for (int i = 0; i < 200; ++i) {
    if (count(p.events(), kind) >= n) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(Peer, DefaultWorkloadAnswers) {
  Running r{PeerScript{}};
  auto ws = connect(r);
  const json a = auth(*ws);
  ASSERT_TRUE(a.contains("result")) << a.dump();
  EXPECT_EQ(a["result"]["sessionId"].get<std::string>().size(), 32u);
  EXPECT_EQ(a["result"]["server"]["protocol"], "flake.v1");
  const json wrong = call(*ws, {{"jsonrpc", "2.0"},
                                {"id", 9},
                                {"method", "auth.authenticate"},
                                {"params", {{"token", "nope"}}}});
  EXPECT_EQ(wrong["error"]["code"], -32001);
  const json s1 = call(*ws, {{"jsonrpc", "2.0"},
                             {"id", 2},
                             {"method", "logs.subscribe"},
                             {"params", {{"service", "vercel"}}}});
  EXPECT_EQ(s1["result"]["subscription"], "sub-1");
  const json s2 = call(*ws, {{"jsonrpc", "2.0"},
                             {"id", 3},
                             {"method", "metrics.subscribe"},
                             {"params", {{"service", "vercel"}}}});
  EXPECT_EQ(s2["result"]["subscription"], "sub-2");
  for (int seq = 1; seq <= 3; ++seq) {
    const json n = next_json(*ws);
    EXPECT_EQ(n["method"], seq % 2 ? "logs.update" : "metrics.update");
    EXPECT_EQ(n["params"]["seq"], seq);
    EXPECT_EQ(n["params"]["subscription"], seq % 2 ? "sub-1" : "sub-2");
  }
  const json batch =
      call(*ws, json::array({{{"jsonrpc", "2.0"}, {"id", 4}, {"method", "system.ping"}},
                             {{"jsonrpc", "2.0"}, {"id", 5}, {"method", "vercel.getDashboard"}},
                             {{"jsonrpc", "2.0"}, {"method", "note.only"}}}));
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]["id"], 4);
  EXPECT_TRUE(batch[1]["result"].is_object());
  const json unknown = call(*ws, {{"jsonrpc", "2.0"}, {"id", 6}, {"method", "nope.nothing"}});
  EXPECT_EQ(unknown["error"]["code"], -32601);
}

// logs.getLarge in the three formats of §13.3 step 5: the chunks reassemble to what the metadata
// promises (§6.7-§6.10).
TEST(Peer, ExportsAreCorrect) {
  Running r{PeerScript{}};
  auto ws = connect(r);
  auth(*ws);
  for (const auto& [format, compress] : std::vector<std::pair<std::string, bool>>{
           {"json", false}, {"msgpack", false}, {"msgpack", true}}) {
    const json meta = call(*ws, {{"jsonrpc", "2.0"},
                                 {"id", 7},
                                 {"method", "logs.getLarge"},
                                 {"params",
                                  {{"service", "vercel"},
                                   {"timeRange", "1h"},
                                   {"format", format},
                                   {"compress", compress}}}});
    ASSERT_TRUE(meta.contains("result")) << meta.dump();
    const json& m = meta["result"];
    std::string all;
    std::size_t entries = 0;
    for (int i = 0; i < m["chunks"].get<int>(); ++i) {
      const json chunk = next_json(*ws);
      ASSERT_EQ(chunk["method"], "data.chunk");
      EXPECT_EQ(chunk["params"]["index"], i);
      std::string bytes;
      if (format == "json") {
        bytes = *base64_decode(chunk["params"]["payload"].get<std::string>());
      } else {
        const auto& bin = chunk["params"]["payload"].get_binary();
        bytes.assign(bin.begin(), bin.end());
      }
      all += bytes;
      const std::string packed = compress ? *zlib_inflate(bytes, 1 << 20) : bytes;
      entries += json::from_msgpack(packed).size();
    }
    EXPECT_EQ(all.size(), m["bytes"].get<std::size_t>());
    EXPECT_EQ(sha256_hex(all), m["sha256"]);
    EXPECT_EQ(entries, m["totalEntries"].get<std::size_t>());
    EXPECT_EQ(m["compressed"], compress);
  }
}

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
  Running r{std::move(script)};
  auto ws = connect(r, true);
  EXPECT_TRUE(ws->deflate_active());
  EXPECT_TRUE(auth(*ws).contains("result"));
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

// §2.4: answers and a subscription's notifications in the encoding of the request.
TEST(Peer, AnswersMessagePackInMessagePack) {
  Running r{PeerScript{}};
  auto ws = connect(r);
  auto send_packed = [&](const json& m) {
    const auto bytes = json::to_msgpack(m);
    return ws->send_binary(std::string(bytes.begin(), bytes.end()));
  };
  ASSERT_TRUE(send_packed({{"jsonrpc", "2.0"},
                           {"id", 1},
                           {"method", "auth.authenticate"},
                           {"params", {{"token", kToken}}}}));
  Message m = ws->next_message(deadline_in(2000ms));
  ASSERT_EQ(m.kind, MessageKind::Binary);
  EXPECT_TRUE(json::from_msgpack(m.data)["result"].contains("sessionId"));
  EXPECT_TRUE(call(*ws, {{"jsonrpc", "2.0"},
                         {"id", 2},
                         {"method", "logs.subscribe"},
                         {"params", {{"service", "vercel"}}}})
                  .contains("result"));
  ASSERT_TRUE(send_packed({{"jsonrpc", "2.0"},
                           {"id", 3},
                           {"method", "metrics.subscribe"},
                           {"params", {{"service", "vercel"}}}}));
  std::vector<MessageKind> kinds;
  for (int i = 0; i < 4; ++i) kinds.push_back(ws->next_message(deadline_in(2000ms)).kind);
  // The answer (binary), then seq 1 for the text logs subscription, seq 2 for the binary metrics
  // subscription, seq 3 for logs again.
  EXPECT_EQ(kinds, (std::vector<MessageKind>{MessageKind::Binary, MessageKind::Text,
                                             MessageKind::Binary, MessageKind::Text}));
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

TEST(Peer, ScriptedAnswersFaultsAndSessions) {
  PeerScript script;
  script.answer = [](const Request& req) -> std::optional<Answer> {
    if (req.method != "vercel.getDashboard" || req.nth != 2) return std::nullopt;
    return Answer{json{{"error", {{"code", -32003}, {"message", "down"}}}}, false};
  };
  script.after_notification = [](int conn, std::int64_t seq) {
    Fault f;
    if (conn == 1 && seq == 2) {
      f.kind = Fault::Kind::CloseFrame;
      f.close_code = 1001;
    }
    return f;
  };
  Running r{std::move(script)};
  auto ws = connect(r);
  const std::string session = auth(*ws)["result"]["sessionId"];
  const json d = {{"jsonrpc", "2.0"}, {"id", 5}, {"method", "vercel.getDashboard"}};
  EXPECT_TRUE(call(*ws, d).contains("result"));
  EXPECT_EQ(call(*ws, d)["error"]["code"], -32003);
  call(*ws, {{"jsonrpc", "2.0"},
             {"id", 2},
             {"method", "logs.subscribe"},
             {"params", {{"service", "vercel"}}}});
  ws->send_text(json({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "metrics.subscribe"}}).dump());
  Message m;
  do {
    m = ws->next_message(deadline_in(2000ms));
  } while (m.kind == MessageKind::Text);
  EXPECT_EQ(m.kind, MessageKind::Close);
  EXPECT_EQ(m.close_code, 1001);
  auto again = connect(r);
  auth(*again);
  const json resumed = call(*again, {{"jsonrpc", "2.0"},
                                     {"id", 8},
                                     {"method", "session.resume"},
                                     {"params", {{"sessionId", session}, {"lastSeq", 2}}}});
  EXPECT_EQ(resumed["result"]["resumed"], true);
  const json unknown = call(*again, {{"jsonrpc", "2.0"},
                                     {"id", 9},
                                     {"method", "session.resume"},
                                     {"params", {{"sessionId", "feedbeef"}, {"lastSeq", 0}}}});
  EXPECT_EQ(unknown["error"]["code"], -32007);
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
