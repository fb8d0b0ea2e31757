// flake-bench's command line: one target, value checks, --quick defaults, --only.
#include "bench/load/options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flake::bench {
namespace {

bool parse(std::vector<std::string> args, LoadOptions& o, std::string& error) {
  args.insert(args.begin(), "flake-bench");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_load_options(static_cast<int>(argv.size()), argv.data(), o, error);
}

TEST(LoadOptions, ExactlyOneTarget) {
  LoadOptions o;
  std::string error;
  EXPECT_FALSE(parse({}, o, error));
  LoadOptions both;
  EXPECT_FALSE(parse({"--reference", "--url", "ws://127.0.0.1:1/rpc"}, both, error));
  LoadOptions ok;
  EXPECT_TRUE(parse({"--reference", "--floor", "--json", "out.json"}, ok, error)) << error;
  EXPECT_TRUE(ok.reference);
  EXPECT_TRUE(ok.floor);
  EXPECT_EQ(ok.json_path, "out.json");
}

TEST(LoadOptions, QuickLowersDefaultsAndExplicitValuesWin) {
  LoadOptions quick, full;
  std::string error;
  ASSERT_TRUE(parse({"--reference", "--quick", "--connects", "7"}, quick, error)) << error;
  ASSERT_TRUE(parse({"--reference"}, full, error)) << error;
  EXPECT_LT(quick.log_entries, full.log_entries);
  EXPECT_LT(quick.open_seconds, full.open_seconds);
  EXPECT_EQ(quick.connect_count, 7u);
}

TEST(LoadOptions, RejectsBadValuesAndUnknownOptions) {
  std::string error;
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--reference", "--repeat", "0"},
                                             {"--reference", "--window", "x"},
                                             {"--reference", "--rate"},
                                             {"--reference", "--bogus"},
                                             {"--reference", "--only", "ping,nope"}}) {
    LoadOptions o;
    EXPECT_FALSE(parse(args, o, error)) << args.back();
    EXPECT_FALSE(error.empty());
  }
}

TEST(LoadOptions, OnlySelectsScenarios) {
  LoadOptions all, some;
  std::string error;
  ASSERT_TRUE(parse({"--floor-only"}, all, error)) << error;
  EXPECT_TRUE(all.floor);
  EXPECT_TRUE(all.runs("fanout"));
  ASSERT_TRUE(parse({"--reference", "--only", "ping,large"}, some, error)) << error;
  EXPECT_TRUE(some.runs("ping"));
  EXPECT_TRUE(some.runs("large"));
  EXPECT_FALSE(some.runs("logs"));
}

TEST(LoadOptions, TlsComparesStartsOfACommand) {
  std::string error;
  LoadOptions ref, spawn;
  ASSERT_TRUE(parse({"--reference", "--tls", "--quick"}, ref, error)) << error;
  EXPECT_TRUE(ref.tls);
  ASSERT_TRUE(parse({"--spawn", "sidecar --port {port}", "--token", "t", "--tls"}, spawn, error))
      << error;
  EXPECT_TRUE(spawn.tls);
  LoadOptions url, floor_only;
  EXPECT_FALSE(parse({"--url", "ws://127.0.0.1:1/rpc", "--token", "t", "--tls"}, url, error));
  EXPECT_NE(error.find("--reference or --spawn"), std::string::npos) << error;
  EXPECT_FALSE(parse({"--floor-only", "--tls"}, floor_only, error));
}

TEST(LoadOptions, WssUrlNeedsExactlyOneTrust) {
  const std::string pin(64, 'a');
  std::string error;
  LoadOptions ca, fp, colons;
  ASSERT_TRUE(
      parse({"--url", "wss://127.0.0.1:1/rpc", "--token", "t", "--tls-ca", "ca.pem"}, ca, error))
      << error;
  EXPECT_EQ(ca.tls_ca, "ca.pem");
  ASSERT_TRUE(parse({"--url", "wss://127.0.0.1:1/rpc", "--token", "t", "--tls-fingerprint", pin},
                    fp, error))
      << error;
  EXPECT_EQ(fp.tls_fingerprint, pin);
  std::string with_colons;
  for (int i = 0; i < 32; ++i) with_colons += std::string(i ? ":" : "") + "0F";
  EXPECT_TRUE(
      parse({"--url", "wss://127.0.0.1:1/rpc", "--token", "t", "--tls-fingerprint", with_colons},
            colons, error))
      << error;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--url", "wss://127.0.0.1:1/rpc", "--token", "t"},
           {"--url", "wss://127.0.0.1:1/rpc", "--token", "t", "--tls-ca", "ca.pem",
            "--tls-fingerprint", pin},
           {"--url", "wss://127.0.0.1:1/rpc", "--token", "t", "--tls-fingerprint", "abcd"},
           {"--url", "ws://127.0.0.1:1/rpc", "--token", "t", "--tls-ca", "ca.pem"},
           {"--reference", "--tls-ca", "ca.pem"}}) {
    LoadOptions o;
    EXPECT_FALSE(parse(args, o, error)) << args.back();
    EXPECT_FALSE(error.empty());
  }
}

TEST(LoadOptions, HelpNamesTheTlsOptions) {
  const std::string usage = load_usage("flake-sidecar");
  for (const char* option :
       {"--tls ", "--tls-ca FILE", "--tls-fingerprint HEX", "wss://", "TLS cost"}) {
    EXPECT_NE(usage.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace flake::bench
