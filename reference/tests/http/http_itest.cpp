// The real flake-sidecar's REST side over raw sockets (docs/protocol.md §4.10, §9.1-§9.11):
// statuses, error bodies, CORS, gzip, rate limit and the log export. docs/rest.md's examples are
// exercised here and in sse_itest.cpp.
#include "reference/tests/http/http_test_client.hpp"

namespace flake::itest {
namespace {

TEST(HttpRest, HealthNeedsNoAuthButKeepsTheGate) {
  Sidecar s;
  Http http(s);
  Response r = http.request("GET", "/api/v1/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json_body()["status"], "ok");
  EXPECT_EQ(r.json_body()["protocol"], "flake.v1");
  Http foreign(s);
  expect_error(foreign.request("GET", "/api/v1/health", {"Origin: https://evil.example"}), 403,
               -32008);
}

TEST(HttpRest, BearerIsRequiredEverywhereButHealth) {
  Sidecar s;
  Http http(s);
  for (const char* path : {"/api/v1/vercel/dashboard", "/api/v1/multi/dashboard",
                           "/api/v1/logs/vercel?timeRange=1h", "/api/v1/stream/metrics"}) {
    Response r = http.request("GET", path);
    expect_error(r, 401, -32001);
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
    expect_error(http.request("GET", path, {"Authorization: Bearer wrong"}), 401, -32001);
  }
  expect_error(http.request("POST", "/api/v1/rpc", {"Content-Type: application/json"}, "{}"), 401,
               -32001);
  // The scheme is case-insensitive (§4.10).
  EXPECT_EQ(http.request("GET", "/api/v1/vercel/dashboard",
                         {std::string("Authorization: bearer ") + kToken})
                .status,
            200);
}

TEST(HttpRest, DashboardsMatchTheirMethods) {
  Sidecar s;
  Http http(s);
  Response r = http.request("GET", "/api/v1/vercel/dashboard", {"Authorization: " + kAuth});
  ASSERT_EQ(r.status, 200);
  const json via_rpc =
      rpc_over_http(s, json{{"jsonrpc", "2.0"}, {"method", "vercel.getDashboard"}, {"id", 1}});
  EXPECT_EQ(r.json_body(), via_rpc["result"]);
  Response multi = http.request("GET", "/api/v1/multi/dashboard", {"Authorization: " + kAuth});
  ASSERT_EQ(multi.status, 200);
  EXPECT_TRUE(multi.json_body()["services"].contains("aws"));
  Response unknown = http.request("GET", "/api/v1/nope/dashboard", {"Authorization: " + kAuth});
  expect_error(unknown, 404, -32004);
  EXPECT_EQ(unknown.json_body()["error"]["data"]["resource"], "service:nope");
}

TEST(HttpRest, ActionsRunServiceMethods) {
  Sidecar s;
  Http http(s);
  Response r = http.request("POST", "/api/v1/vercel/action", kJsonPost,
                            R"({"action":"getDeployments","params":{"limit":2}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json_body()["deployments"].size(), 2u);
  expect_error(http.request("POST", "/api/v1/vercel/action", kJsonPost, R"({"action":"nope"})"),
               404, -32601);
  expect_error(http.request("POST", "/api/v1/vercel/action", kJsonPost,
                            R"({"action":"getDeployments","params":{"limit":0}})"),
               400, -32602);
  expect_error(http.request("POST", "/api/v1/vercel/action", kJsonPost, "{"), 400, -32700);
  expect_error(http.request("POST", "/api/v1/vercel/action", kJsonPost, R"({"act":1})"), 400,
               -32600);
  expect_error(http.request("POST", "/api/v1/nope/action", kJsonPost, R"({"action":"x"})"), 404,
               -32004);
}

TEST(HttpRest, RpcEndpointAnswersWith200And204) {
  Sidecar s;
  Http http(s);
  Response ping = http.request("POST", "/api/v1/rpc", kJsonPost,
                               R"({"jsonrpc":"2.0","method":"system.ping","id":7})");
  ASSERT_EQ(ping.status, 200);
  EXPECT_EQ(ping.json_body()["id"], 7);
  EXPECT_TRUE(ping.json_body()["result"]["now"].is_number());
  Response note = http.request("POST", "/api/v1/rpc", kJsonPost,
                               R"([{"jsonrpc":"2.0","method":"system.ping"}])");
  EXPECT_EQ(note.status, 204);
  EXPECT_TRUE(note.body.empty());
  for (const char* method : {"auth.authenticate", "logs.subscribe", "logs.getLarge",
                             "session.resume", "test.dropSession"}) {
    Response r = http.request(
        "POST", "/api/v1/rpc", kJsonPost,
        json{{"jsonrpc", "2.0"}, {"method", method}, {"params", json::object()}, {"id", 1}}.dump());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json_body()["error"]["code"], -32601) << method;
  }
  Response garbage = http.request("POST", "/api/v1/rpc", kJsonPost, "not json");
  EXPECT_EQ(garbage.status, 200);
  EXPECT_EQ(garbage.json_body()["error"]["code"], -32700);
  EXPECT_TRUE(garbage.json_body()["id"].is_null());
}

TEST(HttpRest, ContentTypeSizeMethodAndPath) {
  Sidecar s({"--max-message-bytes", "1024"});
  Http http(s);
  const std::string ping = R"({"jsonrpc":"2.0","method":"system.ping","id":1})";
  expect_error(http.request("POST", "/api/v1/rpc", {"Authorization: " + kAuth}, ping), 415, -32600);
  expect_error(http.request("POST", "/api/v1/rpc",
                            {"Authorization: " + kAuth, "Content-Type: text/plain"}, ping),
               415, -32600);
  EXPECT_EQ(
      http.request("POST", "/api/v1/rpc",
                   {"Authorization: " + kAuth, "Content-Type: Application/JSON; charset=utf-8"},
                   ping)
          .status,
      200);
  Response wrong_method = http.request("GET", "/api/v1/rpc", {"Authorization: " + kAuth});
  expect_error(wrong_method, 405, -32600);
  EXPECT_EQ(wrong_method.header("allow"), "POST, OPTIONS");
  Response unknown = http.request("GET", "/api/v1/nothing", {"Authorization: " + kAuth});
  expect_error(unknown, 404, -32004);
  EXPECT_EQ(unknown.json_body()["error"]["data"]["resource"], "path:/api/v1/nothing");
  Http big(s);
  Response too_big = big.request("POST", "/api/v1/rpc", kJsonPost, std::string(2000, ' '));
  expect_error(too_big, 413, -32005);
  EXPECT_EQ(too_big.json_body()["error"]["data"]["maxBytes"], 1024);
}

TEST(HttpRest, BodyFramingAndKeepAlive) {
  Sidecar s;
  Http no_length(s);  // a POST without Content-Length has an empty body (RFC 9112 §6.3)
  no_length.send("POST", "/api/v1/auth/ticket", kJsonPost, "", false);
  EXPECT_EQ(no_length.read_response().status, 200);
  Http chunked(s);
  std::vector<std::string> headers = kJsonPost;
  headers.push_back("Transfer-Encoding: chunked");
  chunked.send("POST", "/api/v1/rpc", headers, "2\r\n{}\r\n0\r\n\r\n", false);
  expect_error(chunked.read_response(), 400, -32600);
  // GETs keep the connection alive; a POST's answer (here a refusal) ends it.
  Http kept(s);
  EXPECT_EQ(kept.request("GET", "/api/v1/health").header("connection"), "");
  Response refused = kept.request("POST", "/api/v1/rpc", {"Content-Type: application/json"}, "{}");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(lower(refused.header("connection")), "close");
  char byte;
  EXPECT_EQ(kept.read_more_status(byte), conform::IoStatus::Eof);
}

// libwebsockets 4.1.6 spins, serving nobody, when requests follow a POST in one read: the reference
// answers the first POST, closes, and keeps serving everyone else.
TEST(HttpRest, PipelinedPostsNeverHangTheSidecar) {
  Sidecar s;
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})";
  for (const auto& headers :
       {std::vector<std::string>{"Content-Type: application/json"}, kJsonPost}) {
    Http pipelined(s);
    // One write, so that the sidecar reads them together; separate writes could meet the
    // connection already closed after the first answer.
    std::string four;
    for (int i = 0; i < 4; ++i)
      four += pipelined.request_text("POST", "/api/v1/rpc", headers, body);
    pipelined.send_bytes(four);
    Response first = pipelined.read_response();
    EXPECT_NE(first.status, 0);
    EXPECT_EQ(lower(first.header("connection")), "close");
    Http other(s);
    EXPECT_EQ(other.request("GET", "/api/v1/health").status, 200);
  }
}

TEST(HttpRest, CorsEchoesAllowedOriginsOnly) {
  Sidecar s;
  Http http(s);
  Response r = http.request("GET", "/api/v1/vercel/dashboard",
                            {"Authorization: " + kAuth, "Origin: tauri://localhost"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("access-control-allow-origin"), "tauri://localhost");
  EXPECT_NE(r.header("vary").find("Origin"), std::string::npos);
  Response denied = http.request("GET", "/api/v1/health", {"Origin: tauri://localhost"});
  EXPECT_EQ(denied.header("access-control-allow-origin"), "tauri://localhost");
  Response unauth = http.request("GET", "/api/v1/vercel/dashboard", {"Origin: tauri://localhost"});
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(unauth.header("access-control-allow-origin"), "tauri://localhost");
  Response preflight =
      http.request("OPTIONS", "/api/v1/rpc",
                   {"Origin: http://tauri.localhost", "Access-Control-Request-Method: POST",
                    "Access-Control-Request-Headers: authorization, content-type"});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "http://tauri.localhost");
  EXPECT_EQ(preflight.header("access-control-allow-methods"), "GET, POST, OPTIONS");
  EXPECT_NE(preflight.header("access-control-allow-headers").find("Last-Event-ID"),
            std::string::npos);
  Http foreign(s);
  Response evil = foreign.request("OPTIONS", "/api/v1/rpc", {"Origin: https://evil.example"});
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(evil.header("access-control-allow-origin"), "");
}

TEST(HttpRest, GzipAboveOneKibWhenAccepted) {
  Sidecar s;
  Http http(s);
  Response plain = http.request("GET", "/api/v1/multi/dashboard", {"Authorization: " + kAuth});
  ASSERT_EQ(plain.status, 200);
  ASSERT_GT(plain.body.size(), 1024u);
  EXPECT_EQ(plain.header("content-encoding"), "");
  Response packed = http.request("GET", "/api/v1/multi/dashboard",
                                 {"Authorization: " + kAuth, "Accept-Encoding: br, gzip;q=0.5"});
  EXPECT_EQ(packed.header("content-encoding"), "gzip");
  EXPECT_NE(packed.header("vary").find("Accept-Encoding"), std::string::npos);
  EXPECT_EQ(gunzip(packed.body), plain.body);
  Response refused = http.request("GET", "/api/v1/multi/dashboard",
                                  {"Authorization: " + kAuth, "Accept-Encoding: gzip;q=0, *"});
  EXPECT_EQ(refused.header("content-encoding"), "");
  Response small = http.request("GET", "/api/v1/health", {"Accept-Encoding: gzip"});
  EXPECT_EQ(small.header("content-encoding"), "");
}

TEST(HttpRest, RateLimitAnswers429WithRetryAfter) {
  Sidecar s({"--rate", "1", "--burst", "1"});
  Http http(s);
  EXPECT_EQ(http.request("GET", "/api/v1/vercel/dashboard", {"Authorization: " + kAuth}).status,
            200);
  Response r = http.request("GET", "/api/v1/vercel/dashboard", {"Authorization: " + kAuth});
  expect_error(r, 429, -32002);
  EXPECT_GE(std::atoi(r.header("retry-after").c_str()), 1);
  EXPECT_GE(r.json_body()["error"]["data"]["retryAfterMs"], 1);
  EXPECT_EQ(http.request("GET", "/api/v1/health").status, 200);  // health costs nothing
}

TEST(HttpRest, RpcBatchMembersPastTheBucketGet32002In200) {
  Sidecar s({"--rate", "1", "--burst", "2"});
  Http http(s);
  json batch = json::array();
  for (int id = 1; id <= 3; ++id)
    batch.push_back({{"jsonrpc", "2.0"}, {"method", "system.ping"}, {"id", id}});
  batch.push_back({{"jsonrpc", "2.0"}, {"method", 5}, {"id", 4}});  // invalid: costs nothing
  Response r = http.request("POST", "/api/v1/rpc", kJsonPost, batch.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  int ok = 0, limited = 0, invalid = 0;
  for (const json& answer : r.json_body()) {
    if (answer.contains("result")) ++ok;
    if (answer.contains("error") && answer["error"]["code"] == -32002) ++limited;
    if (answer.contains("error") && answer["error"]["code"] == -32600) ++invalid;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(limited, 1);
  EXPECT_EQ(invalid, 1);
  // The bucket is per connection and every POST ends its connection, so the 429 is shown on GETs
  // kept alive on one connection: two fit the burst, the third finds it empty.
  Http kept(s);
  const std::vector<std::string> auth = {"Authorization: " + kAuth};
  EXPECT_EQ(kept.request("GET", "/api/v1/vercel/dashboard", auth).status, 200);
  EXPECT_EQ(kept.request("GET", "/api/v1/vercel/dashboard", auth).status, 200);
  expect_error(kept.request("GET", "/api/v1/vercel/dashboard", auth), 429, -32002);
}

TEST(HttpRest, LogExportInJsonAndMessagePack) {
  Sidecar s;
  emit_logs(s, "supabase", 5, 5);
  Http http(s);
  Response r =
      http.request("GET", "/api/v1/logs/supabase?timeRange=1h", {"Authorization: " + kAuth});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("vary").find("Accept"), std::string::npos);
  const json doc = r.json_body();
  EXPECT_EQ(doc["service"], "supabase");
  EXPECT_EQ(doc["timeRange"], "1h");
  ASSERT_GE(doc["totalEntries"].get<int>(), 5);
  EXPECT_EQ(doc["entries"].size(), doc["totalEntries"].get<size_t>());
  Response packed = http.request("GET", "/api/v1/logs/supabase?timeRange=1h",
                                 {"Authorization: " + kAuth, "Accept: application/msgpack"});
  ASSERT_EQ(packed.status, 200);
  EXPECT_EQ(packed.header("content-type"), "application/msgpack");
  const json decoded = json::from_msgpack(packed.body, true, false);
  EXPECT_EQ(decoded, doc);
  Response bad =
      http.request("GET", "/api/v1/logs/supabase?timeRange=1y", {"Authorization: " + kAuth});
  expect_error(bad, 400, -32602);
  EXPECT_EQ(bad.json_body()["error"]["data"]["field"], "timeRange");
  expect_error(http.request("GET", "/api/v1/logs/nope?timeRange=1h", {"Authorization: " + kAuth}),
               404, -32004);
}

}  // namespace
}  // namespace flake::itest
