// HTTP requests (bodies by length, chunked coding) and the SSE reader against scripted servers.
#include "conformance/client/http_client.hpp"
#include "conformance/client/sse_client.hpp"
#include "conformance/tests/client/fake_server.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace flake::conform {
namespace {

TEST(HttpClient, ChunkedDecoding) {
  std::string out;
  bool done = false;
  ASSERT_TRUE(decode_chunked("4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n", out, done));
  EXPECT_TRUE(done);
  EXPECT_EQ(out, "Wikipedia");
  ASSERT_TRUE(decode_chunked("4\r\nWi", out, done));
  EXPECT_FALSE(done);
  EXPECT_FALSE(decode_chunked("zz\r\n", out, done));
  EXPECT_FALSE(decode_chunked("2\r\nabXX", out, done));
}

TEST(HttpClient, RequestAndResponseBodies) {
  std::string seen;
  testing::FakeServer server([&](testing::ServerConn& c) {
    seen = c.read_head();
    c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  });
  HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/health";
  r.headers = {{"Origin", "tauri://localhost"}};
  const HttpResponse resp =
      http_request(*parse_url(server.url("/")), r, deadline_in(std::chrono::seconds(3)));
  EXPECT_TRUE(resp.complete) << resp.error;
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "abc");
  EXPECT_NE(seen.find("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:"), std::string::npos);
  EXPECT_NE(seen.find("Origin: tauri://localhost\r\n"), std::string::npos);
}

TEST(HttpClient, ContentLengthAndClose) {
  testing::FakeServer server([](testing::ServerConn& c) {
    c.read_head();
    c.send(
        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\nWWW-Authenticate: Bearer\r\n\r\nhello, "
        "and more");
  });
  HttpRequest r;
  r.method = "POST";
  r.path = "/api/v1/rpc";
  r.body = "{}";
  const HttpResponse resp =
      http_request(*parse_url(server.url("/")), r, deadline_in(std::chrono::seconds(3)));
  EXPECT_TRUE(resp.complete) << resp.error;
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(resp.body, "hello");
  EXPECT_EQ(resp.head.header("www-authenticate").value_or(""), "Bearer");
}

std::string chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

TEST(SseStream, ChunkedEventsAndHeartbeats) {
  testing::FakeServer server([](testing::ServerConn& c) {
    c.read_head();
    c.send(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" +
        chunk("retry: 1000\n\n"));
    c.send(chunk(": heartbeat\n\nevent: logs.update\nid: 5\ndata: {\"seq\":5}\n\nevent: lo"));
    c.send(chunk("gs.update\nid: 6\ndata: a\ndata: b\n\n") + "0\r\n\r\n");
  });
  SseStream s;
  HttpRequest r;
  r.path = "/api/v1/stream/logs/vercel";
  const Deadline d = deadline_in(std::chrono::seconds(3));
  const HttpResponse head = s.open(*parse_url(server.url("/")), r, d);
  ASSERT_EQ(head.status, 200) << head.error;
  auto e = s.next(d);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->retry.value_or(0), 1000);
  e = s.next(d);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->comment_only);
  e = s.next(d);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "logs.update");
  EXPECT_EQ(e->id.value_or(""), "5");
  EXPECT_EQ(e->data, "{\"seq\":5}");
  e = s.next(d);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id.value_or(""), "6");
  EXPECT_EQ(e->data, "a\nb");
  EXPECT_FALSE(s.next(deadline_in(std::chrono::milliseconds(200))).has_value());
  EXPECT_EQ(s.text().rfind("retry: 1000\n\n", 0), 0u);
}

}  // namespace
}  // namespace flake::conform
