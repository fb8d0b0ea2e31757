// Tests of URL parsing: the plain and TLS schemes, their default ports, the HTTP scheme a server's
// REST endpoints take, and the refusals.
#include "conformance/client/url.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

TEST(Url, WssIsATlsTargetWhoseHttpEndpointsAreHttps) {
  const auto url = parse_url("wss://127.0.0.1:9443/rpc");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "wss");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9443);
  EXPECT_EQ(url->path, "/rpc");
  EXPECT_TRUE(url->tls());
  EXPECT_EQ(url->text(), "wss://127.0.0.1:9443/rpc");
  const Url health = with_path(*url, "/api/v1/health");
  EXPECT_EQ(health.text(), "https://127.0.0.1:9443/api/v1/health");
  EXPECT_TRUE(health.tls());
}

TEST(Url, WsStaysPlainAndGivesHttp) {
  const auto url = parse_url("ws://localhost:9123/rpc");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->tls());
  EXPECT_EQ(with_path(*url, "/api/v1/health").text(), "http://localhost:9123/api/v1/health");
  EXPECT_EQ(with_path(*url, "/x", "ws").text(), "ws://localhost:9123/x");
}

TEST(Url, DefaultPortsAndIpv6) {
  EXPECT_EQ(parse_url("wss://[::1]/rpc")->port, 443);
  EXPECT_EQ(parse_url("wss://[::1]/rpc")->host, "::1");
  EXPECT_EQ(parse_url("https://example.test")->port, 443);
  EXPECT_EQ(parse_url("ws://example.test")->port, 80);
}

TEST(Url, RefusesOtherSchemesAndBadPorts) {
  std::string error;
  EXPECT_FALSE(parse_url("ftp://127.0.0.1/rpc", &error));
  EXPECT_EQ(error, "unsupported scheme 'ftp' (use ws://, wss://, http:// or https://)");
  EXPECT_FALSE(parse_url("wss://127.0.0.1:0/rpc", &error));
  EXPECT_FALSE(parse_url("127.0.0.1:9123/rpc", &error));
}

}  // namespace
}  // namespace flake::conform
