// Opening handshake: the RFC 6455 accept-key vector, request building, and the response-head
// parser fed at every split point.
#include "conformance/client/http_handshake.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

// The value printed in RFC 6455 section 1.3 (28 characters: base64 of a 20-byte SHA-1).
TEST(Handshake, AcceptKeyFromRfc6455Section13) {
  EXPECT_EQ(compute_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Handshake, GeneratedKeysAreSixteenRandomBytes) {
  const std::string a = make_websocket_key();
  const std::string b = make_websocket_key();
  EXPECT_EQ(a.size(), 24u);
  EXPECT_EQ(a.substr(22), "==");
  EXPECT_NE(a, b);
}

TEST(Handshake, RequestCarriesEverythingAsked) {
  UpgradeRequest r;
  r.path = "/rpc";
  r.host = "127.0.0.1:9123";
  r.origin = "tauri://localhost";
  r.subprotocols = {"flake.v1", "other"};
  r.extra_headers = {{"X-Test", "1"}};
  r.offer_deflate = true;
  const std::string wire = build_upgrade_request(r);
  EXPECT_EQ(wire.rfind("GET /rpc HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(wire.find("\r\nHost: 127.0.0.1:9123\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nConnection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nSec-WebSocket-Key: " + r.key + "\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nOrigin: tauri://localhost\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nSec-WebSocket-Protocol: flake.v1, other\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nSec-WebSocket-Extensions: permessage-deflate"), std::string::npos);
  EXPECT_NE(wire.find("\r\nX-Test: 1\r\n"), std::string::npos);
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");

  UpgradeRequest bare;
  const std::string no_host = build_upgrade_request(bare);
  EXPECT_EQ(no_host.find("Host:"), std::string::npos);
  EXPECT_EQ(no_host.find("Origin:"), std::string::npos);
}

const std::string kResponse =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol:   flake.v1  \r\n"
    "\r\n";

TEST(Handshake, ResponseParsedIdenticallyAtEverySplit) {
  const std::string wire = kResponse + "\x81\x02hi";  // a frame right behind the head
  for (std::size_t i = 0; i <= wire.size(); ++i) {
    ResponseHeadParser p;
    const auto a = p.feed(std::string_view(wire).substr(0, i));
    std::size_t consumed = a.consumed;
    auto status = a.status;
    if (status == ResponseHeadParser::Status::Incomplete) {
      const auto b = p.feed(std::string_view(wire).substr(i));
      consumed += b.consumed;
      status = b.status;
    }
    ASSERT_EQ(status, ResponseHeadParser::Status::Done) << "split at " << i;
    EXPECT_EQ(consumed, kResponse.size()) << "split at " << i;
    EXPECT_EQ(p.head().status, 101);
    EXPECT_EQ(p.head().reason, "Switching Protocols");
    EXPECT_EQ(p.head().header("sec-websocket-protocol").value_or(""), "flake.v1");
    EXPECT_EQ(p.head().headers.size(), 4u);
  }
  ResponseHeadParser bytewise;
  std::size_t consumed = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    const auto r = bytewise.feed(std::string_view(wire).substr(i, 1));
    consumed += r.consumed;
    if (r.status == ResponseHeadParser::Status::Done) break;
  }
  EXPECT_EQ(consumed, kResponse.size());
  EXPECT_EQ(bytewise.head().status, 101);
}

TEST(Handshake, RefusalStatusIsObservable) {
  for (const int code : {403, 404, 503}) {
    ResponseHeadParser p;
    const std::string wire =
        "HTTP/1.1 " + std::to_string(code) + " Nope\r\nContent-Length: 2\r\n\r\n{}";
    const auto r = p.feed(wire);
    ASSERT_EQ(r.status, ResponseHeadParser::Status::Done);
    EXPECT_EQ(p.head().status, code);
    EXPECT_EQ(wire.substr(r.consumed), "{}");
  }
}

TEST(Handshake, MalformedHeadsAreErrors) {
  const char* bad[] = {
      "HTTP/2 101 X\r\n\r\n",
      "HTTP/1.1 1O1 X\r\n\r\n",
      "HTTP/1.1 101X\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "HTTP/1.1 101 OK\r\nNo colon here\r\n\r\n",
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n folded\r\n\r\n",
      "HTTP/1.1 101 OK\r\nBad Name: x\r\n\r\n",
  };
  for (const char* wire : bad) {
    ResponseHeadParser p;
    EXPECT_EQ(p.feed(wire).status, ResponseHeadParser::Status::Error) << wire;
    EXPECT_FALSE(p.error().empty());
  }
  ResponseHeadParser tiny(64);
  EXPECT_EQ(tiny.feed("HTTP/1.1 200 OK\r\n" + std::string(100, 'x')).status,
            ResponseHeadParser::Status::Error);
}

TEST(Handshake, VerifyUpgrade) {
  UpgradeRequest request;
  request.key = "dGhlIHNhbXBsZSBub25jZQ==";
  request.subprotocols = {"flake.v1"};
  ResponseHeadParser p;
  ASSERT_EQ(p.feed(kResponse).status, ResponseHeadParser::Status::Done);
  UpgradeCheck ok = verify_upgrade(p.head(), request);
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.subprotocol, "flake.v1");

  UpgradeRequest other = request;
  other.key = make_websocket_key();
  EXPECT_FALSE(verify_upgrade(p.head(), other).ok);

  UpgradeRequest no_protocols = request;
  no_protocols.subprotocols.clear();
  EXPECT_FALSE(verify_upgrade(p.head(), no_protocols).ok);

  HttpResponseHead refused;
  refused.status = 403;
  const UpgradeCheck r = verify_upgrade(refused, request);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("403"), std::string::npos);
}

TEST(Handshake, HeaderTokens) {
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token("UPGRADE", "upgrade"));
  EXPECT_FALSE(header_has_token("upgrader", "upgrade"));
  EXPECT_FALSE(header_has_token("", "upgrade"));
}

}  // namespace
}  // namespace flake::conform
