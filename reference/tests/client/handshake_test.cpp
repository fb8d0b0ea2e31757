// The client's opening handshake (RFC 6455 §4.1): request text, the response head read
// incrementally, Sec-WebSocket-Accept, subprotocol and extension checks, Retry-After (§7.7).
#include "reference/client/handshake.hpp"

#include <gtest/gtest.h>

namespace flake::client {
namespace {

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3

std::string response(std::string_view extra,
                     std::string_view accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  r += "Sec-WebSocket-Accept: ";
  r += accept;
  r += "\r\n";
  r += extra;
  r += "\r\n";
  return r;
}

ResponseHead parse(const std::string& text) {
  ResponseHeadParser p;
  EXPECT_EQ(p.feed(text), ResponseHeadParser::State::kDone) << p.error();
  return p.head();
}

TEST(Handshake, RequestOffersSubprotocolAndDeflate) {
  WsUrl url{"127.0.0.1", 9123, "/rpc"};
  const std::string req = upgrade_request(url, kKey, true);
  EXPECT_EQ(req.substr(0, 19), "GET /rpc HTTP/1.1\r\n");
  EXPECT_NE(req.find("Host: 127.0.0.1:9123\r\n"), std::string::npos);
  EXPECT_NE(req.find("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), std::string::npos);
  EXPECT_NE(req.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(req.find("Sec-WebSocket-Protocol: flake.v1\r\n"), std::string::npos);
  EXPECT_NE(req.find("Sec-WebSocket-Extensions: permessage-deflate\r\n"), std::string::npos);
  EXPECT_EQ(req.substr(req.size() - 4), "\r\n\r\n");
  EXPECT_EQ(upgrade_request(url, kKey, false).find("Extensions"), std::string::npos);
}

TEST(Handshake, AcceptKeyIsChecked) {
  HandshakeOutcome ok =
      check_response(parse(response("Sec-WebSocket-Protocol: flake.v1\r\n")), kKey, true);
  EXPECT_TRUE(ok.upgraded) << ok.error;
  EXPECT_FALSE(ok.deflate);
  HandshakeOutcome bad =
      check_response(parse(response("", "AAAALMBiTxaQ9kYGzzhZRbK+xOo=")), kKey, true);
  EXPECT_FALSE(bad.upgraded);
  EXPECT_EQ(bad.error, "wrong Sec-WebSocket-Accept");
}

TEST(Handshake, SubprotocolAndExtensions) {
  EXPECT_FALSE(
      check_response(parse(response("Sec-WebSocket-Protocol: other\r\n")), kKey, true).upgraded);
  HandshakeOutcome d = check_response(
      parse(
          response("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n")),
      kKey, true);
  ASSERT_TRUE(d.upgraded) << d.error;
  ASSERT_TRUE(d.deflate);
  EXPECT_TRUE(d.deflate->server_no_context_takeover);
  EXPECT_FALSE(check_response(parse(response("Sec-WebSocket-Extensions: permessage-deflate\r\n")),
                              kKey, false)
                   .upgraded)
      << "an extension that was not offered";
  HandshakeOutcome all = check_response(
      parse(response("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; "
                     "server_max_window_bits=10; client_max_window_bits=15\r\n")),
      kKey, true);
  EXPECT_TRUE(all.upgraded) << all.error;
  EXPECT_FALSE(
      check_response(parse(response("Sec-WebSocket-Extensions: permessage-deflate; x-foo\r\n")),
                     kKey, true)
          .upgraded);
  EXPECT_FALSE(check_response(parse(response("Sec-WebSocket-Extensions: x-other\r\n")), kKey, true)
                   .upgraded);
}

TEST(Handshake, RefusalsAndRetryAfter) {
  HandshakeOutcome r = check_response(
      parse("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"),
      kKey, true);
  EXPECT_FALSE(r.upgraded);
  ASSERT_TRUE(r.retry_after);
  EXPECT_EQ(r.retry_after->count(), 1);
  r = check_response(parse("HTTP/1.1 429 Too Many Requests\r\nretry-after: 3\r\n\r\n"), kKey, true);
  ASSERT_TRUE(r.retry_after);
  EXPECT_EQ(r.retry_after->count(), 3);
  r = check_response(parse("HTTP/1.1 503 Service Unavailable\r\n\r\n"), kKey, true);
  EXPECT_FALSE(r.retry_after);
  r = check_response(parse("HTTP/1.1 404 Not Found\r\nRetry-After: 5\r\n\r\n"), kKey, true);
  EXPECT_FALSE(r.retry_after) << "only 429 and 503 carry a Retry-After that counts";
}

TEST(ResponseHeadParser, SplitAtEveryByteKeepsTheRest) {
  const std::string head = response("Sec-WebSocket-Protocol: flake.v1\r\n");
  const std::string frames = "\x81\x02{}";
  for (size_t step : {1, 2, 3, 5, 64}) {
    ResponseHeadParser p;
    ResponseHeadParser::State s = ResponseHeadParser::State::kNeedMore;
    const std::string wire = head + frames;
    for (size_t i = 0; i < wire.size(); i += step)
      s = p.feed(std::string_view(wire).substr(i, step));
    ASSERT_EQ(s, ResponseHeadParser::State::kDone) << step;
    EXPECT_EQ(p.head().status, 101);
    EXPECT_EQ(p.head().get("sec-websocket-protocol").value_or(""), "flake.v1");
    EXPECT_EQ(p.rest(), frames) << step;
  }
}

TEST(ResponseHeadParser, Errors) {
  ResponseHeadParser p;
  EXPECT_EQ(p.feed("SMTP ready\r\n\r\n"), ResponseHeadParser::State::kError);
  ResponseHeadParser long_head;
  EXPECT_EQ(long_head.feed("HTTP/1.1 101 OK\r\nX: " + std::string(20000, 'a')),
            ResponseHeadParser::State::kError);
}

TEST(WsUrl, Parsing) {
  auto u = parse_ws_url("ws://127.0.0.1:4000/rpc");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 4000);
  EXPECT_EQ(u->target, "/rpc");
  u = parse_ws_url("ws://[::1]:5/rpc?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/rpc?x=1");
  EXPECT_EQ(parse_ws_url("ws://localhost")->port, 80);
  EXPECT_FALSE(parse_ws_url("http://127.0.0.1/rpc"));
  EXPECT_FALSE(parse_ws_url("ws://127.0.0.1:99999/rpc"));
  EXPECT_FALSE(parse_ws_url("ws://:80/rpc"));
}

}  // namespace
}  // namespace flake::client
