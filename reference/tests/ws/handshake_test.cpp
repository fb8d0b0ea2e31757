// Tests for the RFC 6455 server handshake checks on a request head as ws_takeover fills it from
// lws.
#include "reference/ws/handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace flake::ws {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A head with `headers` ("Name: value" lines, each ending in "\r\n") in the order given, one entry
// per line, as lws keeps repeated headers apart.
RequestHead head_with(std::string_view headers, std::string_view target = "/rpc") {
  RequestHead head;
  head.method = "GET";
  head.target = target;
  while (!headers.empty()) {
    const size_t end = headers.find("\r\n");
    const std::string_view line = headers.substr(0, end);
    const size_t colon = line.find(':');
    EXPECT_NE(colon, std::string_view::npos) << line;
    head.headers.emplace_back(std::string(line.substr(0, colon)),
                              std::string(trim(line.substr(colon + 1))));
    headers.remove_prefix(end == std::string_view::npos ? headers.size() : end + 2);
  }
  return head;
}

// A minimal upgrade head: Host and then `headers`.
RequestHead upgrade_head(std::string_view headers) {
  return head_with("Host: x\r\n" + std::string(headers));
}

const std::string kGoodUpgrade =
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

// What Chrome sends, modulo the key, as far as the headers ws_takeover copies go.
TEST(RequestHead, BrowserUpgrade) {
  const RequestHead head = head_with(
      "Host: 127.0.0.1:8765\r\n"
      "Connection: Upgrade\r\n"
      "Upgrade: websocket\r\n"
      "Origin: http://localhost:3000\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
      "Sec-WebSocket-Protocol: flake.v1, flake.v1.msgpack\r\n",
      "/rpc?token=abc&x=1");
  EXPECT_EQ(head.path(), "/rpc");
  EXPECT_EQ(head.get("upgrade"), "websocket");
  EXPECT_EQ(head.get("SEC-WEBSOCKET-KEY"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(head.get("sec-websocket-extensions"), "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(head.get("X-Missing"), std::nullopt);
  EXPECT_EQ(head.count("host"), 1);
  EXPECT_EQ(head.count("X-Missing"), 0);
  EXPECT_EQ(head.joined("X-Missing"), "");
  EXPECT_EQ(check_upgrade(head), UpgradeProblem::kNone);
  EXPECT_EQ(offered_subprotocols(head), (std::vector<std::string>{"flake.v1", "flake.v1.msgpack"}));
}

TEST(RequestHead, RepeatedHeaders) {
  const RequestHead head = head_with(
      "Accept:text/html\r\n"
      "X-Empty:\r\n"
      "accept: application/json\r\n"
      "ACCEPT: */*\r\n");
  EXPECT_EQ(head.count("Accept"), 3);
  EXPECT_EQ(head.get("Accept"), "text/html");
  EXPECT_EQ(head.joined("accept"), "text/html, application/json, */*");
  EXPECT_EQ(head.get("X-Empty"), "");
  EXPECT_EQ(head.count("x-empty"), 1);
  EXPECT_EQ(head.joined("x-empty"), "");
}

TEST(RequestHead, Path) {
  EXPECT_EQ(head_with("", "/a/b").path(), "/a/b");
  EXPECT_EQ(head_with("", "*").path(), "*");
  EXPECT_EQ(head_with("", "/?q").path(), "/");
  EXPECT_EQ(head_with("", "/rpc?a?b").path(), "/rpc");
  EXPECT_EQ(head_with("", "http://h/x?y=%20").path(), "http://h/x");
  EXPECT_EQ(head_with("", "").path(), "");
}

TEST(ListsToken, CommaListsCaseAndSpaces) {
  EXPECT_TRUE(lists_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(lists_token("Upgrade", "upgrade"));
  EXPECT_TRUE(lists_token("  UPGRADE\t,keep-alive", "upgrade"));
  EXPECT_TRUE(lists_token("a,,upgrade,", "upgrade"));
  EXPECT_TRUE(lists_token("h2c, websocket", "websocket"));
  EXPECT_FALSE(lists_token("keep-alive", "upgrade"));
  EXPECT_FALSE(lists_token("upgrades", "upgrade"));
  EXPECT_FALSE(lists_token("up grade", "upgrade"));
  EXPECT_FALSE(lists_token("", "upgrade"));
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
    RequestHead head = upgrade_head(before + after);
    head.headers.emplace_back("Sec-WebSocket-Key", std::string(key));  // untrimmed on purpose
    return check_upgrade(head);
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
  EXPECT_EQ(with_key(" dGhlIHNhbXBsZSBub25jZQ=="), UpgradeProblem::kBadKey);
  EXPECT_EQ(with_key("dGhlIHNhbXBsZSBub25jZQ== "), UpgradeProblem::kBadKey);
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
  EXPECT_EQ(with(""), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 8\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 13, 8\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 013\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version:\r\n"), UpgradeProblem::kBadVersion);
  EXPECT_EQ(with("Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n"),
            UpgradeProblem::kBadVersion);
}

TEST(CheckUpgrade, FirstProblemWins) {
  // Everything wrong: the Connection header is reported first.
  EXPECT_EQ(check_upgrade(upgrade_head("Sec-WebSocket-Version: 8\r\n")),
            UpgradeProblem::kNoConnectionUpgrade);
  EXPECT_EQ(check_upgrade(upgrade_head("Connection: upgrade\r\nSec-WebSocket-Version: 8\r\n")),
            UpgradeProblem::kBadKey);
}

TEST(Describe, EveryProblemHasAName) {
  for (UpgradeProblem problem : {UpgradeProblem::kNone, UpgradeProblem::kNoConnectionUpgrade,
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
