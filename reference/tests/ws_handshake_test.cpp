// Tests for the sidecar's own request-head parser and RFC 6455 server handshake checks.
#include "ws_handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace flake::ws {
namespace {

using namespace std::string_literals;

// What Chrome sends, modulo the key.
const std::string kBrowserHead =
    "GET /rpc?token=abc&x=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8765\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://localhost:3000\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "Sec-WebSocket-Protocol: flake.v1, flake.v1.msgpack\r\n"
    "\r\n";

RequestHead parse_ok(std::string_view text) {
  RequestHead head;
  EXPECT_EQ(parse_request_head(text, head), HeadStatus::kComplete) << text;
  return head;
}

// A minimal upgrade head whose header lines are `headers` (each ending in "\r\n").
RequestHead upgrade_head(std::string_view headers, std::string_view version = "HTTP/1.1") {
  return parse_ok("GET /rpc "s + std::string(version) + "\r\nHost: x\r\n" + std::string(headers) +
                  "\r\n");
}

const std::string kGoodUpgrade =
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

TEST(ParseRequestHead, BrowserUpgrade) {
  const RequestHead head = parse_ok(kBrowserHead);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/rpc?token=abc&x=1");
  EXPECT_EQ(head.path(), "/rpc");
  EXPECT_EQ(head.version, "HTTP/1.1");
  EXPECT_EQ(head.size, kBrowserHead.size());
  ASSERT_EQ(head.headers.size(), 13u);
  EXPECT_EQ(head.headers[0].first, "Host");
  EXPECT_EQ(head.headers[0].second, "127.0.0.1:8765");
  EXPECT_EQ(head.get("upgrade"), "websocket");
  EXPECT_EQ(head.get("SEC-WEBSOCKET-KEY"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(head.get("sec-websocket-extensions"), "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(head.get("X-Missing"), std::nullopt);
  EXPECT_EQ(head.count("host"), 1);
  EXPECT_EQ(head.count("X-Missing"), 0);
  EXPECT_EQ(head.joined("X-Missing"), "");
  EXPECT_TRUE(wants_websocket(head));
  EXPECT_EQ(check_upgrade(head), UpgradeProblem::kNone);
  EXPECT_EQ(offered_subprotocols(head), (std::vector<std::string>{"flake.v1", "flake.v1.msgpack"}));
}

TEST(ParseRequestHead, RepeatedHeadersAndTrimming) {
  const RequestHead head = parse_ok(
      "POST /a/b HTTP/1.1\r\n"
      "Accept:text/html\r\n"
      "X-Empty:\r\n"
      "accept: \t application/json \t\r\n"
      "ACCEPT: */*\r\n"
      "\r\n");
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.path(), "/a/b");
  EXPECT_EQ(head.count("Accept"), 3);
  EXPECT_EQ(head.get("Accept"), "text/html");
  EXPECT_EQ(head.joined("accept"), "text/html, application/json, */*");
  EXPECT_EQ(head.headers[2].first, "accept");  // names kept as sent
  EXPECT_EQ(head.get("X-Empty"), "");
  EXPECT_EQ(head.count("x-empty"), 1);
}

TEST(ParseRequestHead, NoHeadersAndOddTargets) {
  RequestHead head = parse_ok("OPTIONS * HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.target, "*");
  EXPECT_EQ(head.path(), "*");
  EXPECT_TRUE(head.headers.empty());
  head = parse_ok("GET /?q HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.path(), "/");
  EXPECT_EQ(head.version, "HTTP/1.0");
  head = parse_ok("GET http://h/x?y=%20 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.path(), "http://h/x");
}

TEST(ParseRequestHead, EveryProperPrefixIsIncomplete) {
  const std::string bare_lf = "GET /rpc HTTP/1.1\nHost: x\nUpgrade: websocket\n\n";
  for (const std::string& text : {kBrowserHead, bare_lf}) {
    for (size_t n = 0; n < text.size(); ++n) {
      RequestHead head;
      EXPECT_EQ(parse_request_head(std::string_view(text).substr(0, n), head),
                HeadStatus::kIncomplete)
          << "prefix of " << n << " bytes";
    }
    RequestHead head;
    EXPECT_EQ(parse_request_head(text, head), HeadStatus::kComplete);
    EXPECT_EQ(head.size, text.size());
  }
}

TEST(ParseRequestHead, BytesAfterTheHeadAreLeftAlone) {
  // A masked client frame with a NUL in it, sent right behind the head.
  const std::string frame = "\x81\x85\x00\x00\x00\x00hello"s;
  RequestHead head;
  ASSERT_EQ(parse_request_head(kBrowserHead + frame, head), HeadStatus::kComplete);
  EXPECT_EQ(head.size, kBrowserHead.size());
  EXPECT_EQ(head.get("Upgrade"), "websocket");

  const std::string post = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  ASSERT_EQ(parse_request_head(post + "{}\r\n\r\n", head), HeadStatus::kComplete);
  EXPECT_EQ(head.size, post.size());
}

TEST(ParseRequestHead, BareLineFeedsAndMixedEnds) {
  const std::string text = "GET /rpc HTTP/1.1\nHost: x\r\nUpgrade: websocket\n\r\nrest";
  RequestHead head;
  ASSERT_EQ(parse_request_head(text, head), HeadStatus::kComplete);
  EXPECT_EQ(head.size, text.size() - 4);
  EXPECT_EQ(head.get("Host"), "x");
  EXPECT_EQ(head.get("Upgrade"), "websocket");
}

TEST(ParseRequestHead, Malformed) {
  const std::vector<std::string> cases = {
      // Request line.
      "GET /rpc\r\n\r\n",
      "GET  /rpc HTTP/1.1\r\n\r\n",
      "GET /rpc  HTTP/1.1\r\n\r\n",
      " GET /rpc HTTP/1.1\r\n\r\n",
      "GET /rpc HTTP/1.1 \r\n\r\n",
      "GET /rpc HTTP/1.1 extra\r\n\r\n",
      "GET /rpc HTTP/2.0\r\n\r\n",
      "GET /rpc HTTP/1\r\n\r\n",
      "GET /rpc HTTP/1.10\r\n\r\n",
      "GET /rpc http/1.1\r\n\r\n",
      "GET /rpc\tHTTP/1.1\r\n\r\n",
      "G(T /rpc HTTP/1.1\r\n\r\n",
      "GET /r\x7fpc HTTP/1.1\r\n\r\n",
      "GET /r\xc3\xa9 HTTP/1.1\r\n\r\n",
      "\r\nGET /rpc HTTP/1.1\r\n\r\n",
      "\r\n\r\n",
      // Header lines.
      "GET /rpc HTTP/1.1\r\nHost x\r\n\r\n",
      "GET /rpc HTTP/1.1\r\n: empty-name\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nHost : x\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX(y): z\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX\xc3\xa9: z\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\r\n  continued\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\r\n\tcontinued\r\n\r\n",
      "GET /rpc HTTP/1.1\r\n Host: x\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\x01\x63\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\rc\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\r\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\x7f\r\n\r\n",
      "GET /rpc HTTP/1.1\r\nX-A: b\x1b[0m\r\n\r\n",
      // NUL anywhere in the head.
      "GET /rpc HTTP/1.1\r\nX-A: b\0c\r\n\r\n"s,
      "GET /r\0pc HTTP/1.1\r\n\r\n"s,
      "GET /rpc HTTP/1.1\r\nX\0A: b\r\n\r\n"s,
      "GET /rpc HTTP/1.1\r\n\0\r\n\r\n"s,
  };
  for (const std::string& text : cases) {
    RequestHead head;
    EXPECT_EQ(parse_request_head(text, head), HeadStatus::kMalformed) << text;
  }
}

TEST(ParseRequestHead, GarbageIsRefusedBeforeTheBlankLine) {
  RequestHead head;
  // A TLS ClientHello sent to the plain port: no line end yet, but NULs.
  EXPECT_EQ(parse_request_head("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, head),
            HeadStatus::kMalformed);
  EXPECT_EQ(parse_request_head("GET /rpc HTTP/1.1\r\nBad Header\r\n", head),
            HeadStatus::kMalformed);
  EXPECT_EQ(parse_request_head("SSH-2.0-OpenSSH_9.6\r\n", head), HeadStatus::kMalformed);
  // Still might become valid.
  EXPECT_EQ(parse_request_head("GET /rpc HTTP/1.1\r\nBad Hea", head), HeadStatus::kIncomplete);
}

TEST(ParseRequestHead, ResetsTheOutput) {
  RequestHead head = parse_ok(kBrowserHead);
  EXPECT_EQ(parse_request_head("GET /b HTTP/1.1\r\n\r\n", head), HeadStatus::kComplete);
  EXPECT_TRUE(head.headers.empty());
  EXPECT_EQ(head.target, "/b");
}

TEST(ListsToken, CommaListsCaseAndSpaces) {
  EXPECT_TRUE(lists_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(lists_token("Upgrade", "upgrade"));
  EXPECT_TRUE(lists_token("  UPGRADE\t,keep-alive", "upgrade"));
  EXPECT_TRUE(lists_token("a,,upgrade,", "upgrade"));
  EXPECT_FALSE(lists_token("keep-alive", "upgrade"));
  EXPECT_FALSE(lists_token("upgrades", "upgrade"));
  EXPECT_FALSE(lists_token("up grade", "upgrade"));
  EXPECT_FALSE(lists_token("", "upgrade"));
}

TEST(WantsWebSocket, UpgradeHeader) {
  EXPECT_TRUE(wants_websocket(upgrade_head("Upgrade: websocket\r\n")));
  EXPECT_TRUE(wants_websocket(upgrade_head("upgrade: WebSocket\r\n")));
  EXPECT_TRUE(wants_websocket(upgrade_head("Upgrade: h2c, websocket\r\n")));
  EXPECT_TRUE(wants_websocket(upgrade_head("Upgrade: h2c\r\nUpgrade: websocket\r\n")));
  EXPECT_FALSE(wants_websocket(upgrade_head("Upgrade: h2c\r\n")));
  EXPECT_FALSE(wants_websocket(upgrade_head("Connection: Upgrade\r\n")));
  EXPECT_FALSE(wants_websocket(parse_ok("GET / HTTP/1.1\r\n\r\n")));
}

TEST(AcceptKey, Rfc6455Example) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(CheckUpgrade, Good) {
  EXPECT_EQ(check_upgrade(upgrade_head(kGoodUpgrade)), UpgradeProblem::kNone);
  EXPECT_EQ(check_upgrade(upgrade_head(
                "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n")),
            UpgradeProblem::kNone);
  // Connection split over two headers still lists upgrade.
  EXPECT_EQ(check_upgrade(upgrade_head(
                "Connection: keep-alive\r\nConnection: upgrade\r\n"
                "Sec-WebSocket-Key: /////////////////////w==\r\nSec-WebSocket-Version: 13\r\n")),
            UpgradeProblem::kNone);
}

TEST(CheckUpgrade, NotHttp11) {
  EXPECT_EQ(check_upgrade(upgrade_head(kGoodUpgrade, "HTTP/1.0")), UpgradeProblem::kNotHttp11);
  RequestHead by_hand = upgrade_head(kGoodUpgrade);
  by_hand.version = "HTTP/2.0";  // later versions pass this check; the parser refuses them anyway
  EXPECT_EQ(check_upgrade(by_hand), UpgradeProblem::kNone);
  by_hand.version = "garbage";
  EXPECT_EQ(check_upgrade(by_hand), UpgradeProblem::kNotHttp11);
}

TEST(CheckUpgrade, NoConnectionUpgrade) {
  const std::string rest =
      "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n";
  EXPECT_EQ(check_upgrade(upgrade_head(rest)), UpgradeProblem::kNoConnectionUpgrade);
  EXPECT_EQ(check_upgrade(upgrade_head(rest + "Connection: keep-alive\r\n")),
            UpgradeProblem::kNoConnectionUpgrade);
  EXPECT_EQ(check_upgrade(upgrade_head(rest + "Connection: upgraded\r\n")),
            UpgradeProblem::kNoConnectionUpgrade);
}

TEST(CheckUpgrade, BadKey) {
  const std::string before = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string after = "Sec-WebSocket-Version: 13\r\n";
  auto with_key = [&](std::string_view key) {
    return check_upgrade(
        upgrade_head(before + "Sec-WebSocket-Key: " + std::string(key) + "\r\n" + after));
  };
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZQ=="), UpgradeProblem::kNone);
  EXPECT_EQ(with_key("MDEyMzQ1Njc4OWFiY2Rl"), UpgradeProblem::kBadKey);          // 15 bytes
  EXPECT_EQ(with_key("MDEyMzQ1Njc4OWFiY2RlZmc="), UpgradeProblem::kBadKey);      // 17 bytes
  EXPECT_EQ(with_key("MDEyMzQ1Njc4OWFiY2RlZmdoaWo="), UpgradeProblem::kBadKey);  // 20 bytes
  EXPECT_EQ(with_key(""), UpgradeProblem::kBadKey);
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZQ"), UpgradeProblem::kBadKey);    // unpadded
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZQ="), UpgradeProblem::kBadKey);   // short padding
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZ!=="), UpgradeProblem::kBadKey);  // not the alphabet
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZ-=="), UpgradeProblem::kBadKey);  // base64url
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZR=="), UpgradeProblem::kBadKey);  // stray low bits
  EXPECT_EQ(with_key("dGhlIHNhbXBs ZSBub25jZQ=="), UpgradeProblem::kBadKey);
  EXPECT_EQ(with_key("dGhlIHNh=XBsZSBub25jZQ=="), UpgradeProblem::kBadKey);
  EXPECT_EQ(with_key("===================A===="), UpgradeProblem::kBadKey);
  EXPECT_EQ(check_upgrade(upgrade_head(before + after)), UpgradeProblem::kBadKey);  // missing
  EXPECT_EQ(check_upgrade(upgrade_head(before +
                                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                                       after)),
            UpgradeProblem::kBadKey);
}

TEST(CheckUpgrade, BadVersion) {
  const std::string before =
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  auto with = [&](std::string_view version_lines) {
    return check_upgrade(upgrade_head(before + std::string(version_lines)));
  };
  EXPECT_EQ(with("Sec-WebSocket-Version: 13\r\n"), UpgradeProblem::kNone);
  EXPECT_EQ(with("Sec-WebSocket-Version:13 \r\n"), UpgradeProblem::kNone);
  EXPECT_EQ(with(""), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 8\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 13, 8\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 013\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version:\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n"),
            UpgradeProblem::kBadVersion);
}

TEST(CheckUpgrade, FirstProblemWins) {
  // Everything wrong: the version of HTTP is reported first.
  EXPECT_EQ(check_upgrade(upgrade_head("Sec-WebSocket-Version: 8\r\n", "HTTP/1.0")),
            UpgradeProblem::kNotHttp11);
  EXPECT_EQ(check_upgrade(upgrade_head("Sec-WebSocket-Version: 8\r\n")),
            UpgradeProblem::kNoConnectionUpgrade);
  EXPECT_EQ(check_upgrade(upgrade_head("Connection: upgrade\r\nSec-WebSocket-Version: 8\r\n")),
            UpgradeProblem::kBadKey);
}

TEST(Describe, EveryProblemHasAName) {
  for (UpgradeProblem problem :
       {UpgradeProblem::kNone, UpgradeProblem::kNotHttp11, UpgradeProblem::kNoConnectionUpgrade,
        UpgradeProblem::kBadKey, UpgradeProblem::kBadVersion}) {
    EXPECT_NE(describe(problem), "unknown");
  }
  EXPECT_EQ(describe(UpgradeProblem::kBadKey), "bad Sec-WebSocket-Key");
}

TEST(OfferedSubprotocols, AcrossHeadersWithOddSpacing) {
  const RequestHead head = upgrade_head(
      "Sec-WebSocket-Protocol:flake.v1 ,\tchat , ,superchat\r\n"
      "X-Other: a, b\r\n"
      "sec-websocket-protocol:   flake.v1.msgpack,,  \r\n");
  EXPECT_EQ(offered_subprotocols(head),
            (std::vector<std::string>{"flake.v1", "chat", "superchat", "flake.v1.msgpack"}));
  EXPECT_TRUE(offered_subprotocols(upgrade_head("")).empty());
  EXPECT_TRUE(offered_subprotocols(upgrade_head("Sec-WebSocket-Protocol:\r\n")).empty());
}

}  // namespace
}  // namespace flake::ws
