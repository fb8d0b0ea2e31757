// The scripted sidecar's answers, driven by the suite's own WebSocket client: the default workload,
// exports, MessagePack, scripted answers, faults and sessions.
#include "conformance/tests/peer/peer_fixture.hpp"

#include "conformance/client/data_codec.hpp"

namespace flake::conform::peer {
namespace {

using namespace fixture;

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
  EXPECT_EQ(resumed["result"]["replayed"], 0);
  const json unknown = call(*again, {{"jsonrpc", "2.0"},
                                     {"id", 9},
                                     {"method", "session.resume"},
                                     {"params", {{"sessionId", "feedbeef"}, {"lastSeq", 0}}}});
  EXPECT_EQ(unknown["error"]["code"], -32007);
}

// §7.3: a resume replays what came after lastSeq, with the original seq; §7.4: a lastSeq ahead of
// the session is -32602.
TEST(Peer, ResumeReplaysAfterLastSeq) {
  Running r{PeerScript{}};
  auto first = connect(r);
  const std::string session = auth(*first)["result"]["sessionId"];
  for (const char* method : {"logs.subscribe", "metrics.subscribe"}) {
    call(*first,
         {{"jsonrpc", "2.0"}, {"id", 2}, {"method", method}, {"params", {{"service", "vercel"}}}});
  }
  for (int seq = 1; seq <= 3; ++seq) EXPECT_EQ(next_json(*first)["params"]["seq"], seq);
  auto second = connect(r);
  auth(*second);
  const json ahead = call(*second, {{"jsonrpc", "2.0"},
                                    {"id", 3},
                                    {"method", "session.resume"},
                                    {"params", {{"sessionId", session}, {"lastSeq", 9}}}});
  EXPECT_EQ(ahead["error"]["data"]["field"], "lastSeq");
  const json resumed = call(*second, {{"jsonrpc", "2.0"},
                                      {"id", 4},
                                      {"method", "session.resume"},
                                      {"params", {{"sessionId", session}, {"lastSeq", 1}}}});
  EXPECT_EQ(resumed["result"]["replayed"], 2);
  EXPECT_EQ(next_json(*second)["params"]["seq"], 2);
  EXPECT_EQ(next_json(*second)["params"]["seq"], 3);
}

}  // namespace
}  // namespace flake::conform::peer
