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

}  // namespace
}  // namespace flake::bench
