// Tests of flake-conform's TLS options (docs/protocol.md §14.4): which target each belongs to, and
// the usage errors that keep a run from sending anything to a server it cannot verify.
#include "conformance/harness/options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flake::conform {
namespace {

ParsedOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "flake-conform");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data(), "flake-sidecar");
}

const std::string kPin =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

TEST(TlsOptions, TlsGoesWithASidecarTheSuiteStarts) {
  const ParsedOptions p = parse({"--reference", "--tls"});
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.options.tls);
  EXPECT_EQ(parse({"--spawn", "s {port} {options}", "--token", "t", "--tls"}).error, "");
  EXPECT_NE(parse({"wss://127.0.0.1:1/rpc", "--tls"}).error.find("--tls is for --reference"),
            std::string::npos);
}

TEST(TlsOptions, AWssUrlNeedsExactlyOneWayToTrustIt) {
  EXPECT_EQ(parse({"wss://127.0.0.1:1/rpc", "--tls-ca", "ca.pem"}).error, "");
  const ParsedOptions pinned = parse({"wss://127.0.0.1:1/rpc", "--tls-fingerprint=" + kPin});
  EXPECT_EQ(pinned.error, "");
  EXPECT_EQ(pinned.options.tls_fingerprint, kPin);
  std::string plain_hex;
  for (char c : kPin) {
    if (c != ':') plain_hex.push_back(static_cast<char>(std::tolower(c)));
  }
  EXPECT_EQ(parse({"wss://127.0.0.1:1/rpc", "--tls-fingerprint", plain_hex}).error, "");
  EXPECT_NE(parse({"wss://127.0.0.1:1/rpc"}).error.find("needs --tls-ca FILE or --tls-fingerprint"),
            std::string::npos);
  EXPECT_EQ(parse({"wss://127.0.0.1:1/rpc", "--tls-ca", "ca.pem", "--tls-fingerprint", kPin}).error,
            "give --tls-ca or --tls-fingerprint, not both");
  EXPECT_NE(parse({"wss://127.0.0.1:1/rpc", "--tls-fingerprint", "AB:CD"})
                .error.find("--tls-fingerprint needs 32 hex octets"),
            std::string::npos);
}

TEST(TlsOptions, TrustOptionsAreForAWssUrlOnly) {
  EXPECT_NE(parse({"ws://127.0.0.1:1/rpc", "--tls-ca", "ca.pem"}).error.find("is for a wss:// URL"),
            std::string::npos);
  EXPECT_NE(parse({"--reference", "--tls-fingerprint", kPin}).error.find("is for a wss:// URL"),
            std::string::npos);
}

TEST(TlsOptions, HelpTellsTheTlsOptions) {
  const std::string help = usage_text("flake-sidecar");
  for (const char* word : {"--tls ", "--tls-ca FILE", "--tls-fingerprint HEX", "wss://"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace flake::conform
