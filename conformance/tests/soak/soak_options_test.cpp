// parse_soak_options: defaults, durations with units, --opt=value and -nN, the fault list, usage
// errors.
#include "conformance/soak/soak_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flake::conform::soak {
namespace {

ParsedSoakOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"flake-conform", "soak"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_soak_options(static_cast<int>(argv.size()), argv.data(), 2, "flake-sidecar");
}

TEST(SoakOptions, DefaultsWithReference) {
  const auto p = parse({"--reference"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.options.clients, 16);
  EXPECT_EQ(p.options.duration, std::chrono::seconds(60));
  EXPECT_EQ(p.options.faults.size(), std::size(kAllFaults));
  EXPECT_TRUE(p.options.restarts());
}

TEST(SoakOptions, AUrlTargetDoesNotRestart) {
  const auto p = parse({"ws://127.0.0.1:9123/rpc"});
  ASSERT_EQ(p.error, "");
  EXPECT_FALSE(p.options.restarts());
  EXPECT_NE(parse({"ws://127.0.0.1:9123/rpc", "--restart-every", "10"}).error, "");
}

TEST(SoakOptions, DurationsTakeUnits) {
  EXPECT_EQ(parse({"--reference", "--duration", "90"}).options.duration, std::chrono::seconds(90));
  EXPECT_EQ(parse({"--reference", "--duration=30m"}).options.duration, std::chrono::seconds(1800));
  EXPECT_EQ(parse({"--reference", "--duration", "2h"}).options.duration,
            std::chrono::seconds(7200));
  EXPECT_NE(parse({"--reference", "--duration", "0"}).error, "");
  EXPECT_NE(parse({"--reference", "--duration", "5x"}).error, "");
}

TEST(SoakOptions, ValuesJoinedOrGlued) {
  EXPECT_EQ(parse({"--reference", "--clients=8"}).options.clients, 8);
  EXPECT_EQ(parse({"--reference", "-n8"}).options.clients, 8);
  EXPECT_EQ(parse({"--reference", "-n", "8"}).options.clients, 8);
  EXPECT_EQ(parse({"--reference=yes"}).error, "--reference takes no value");
}

TEST(SoakOptions, FaultListIsChecked) {
  const auto p = parse({"--reference", "--faults", "cut,drop"});
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.options.faults.size(), 2u);
  EXPECT_EQ(p.options.faults[0], FaultKind::kCut);
  EXPECT_EQ(p.options.faults[1], FaultKind::kDrop);
  EXPECT_NE(parse({"--reference", "--faults", "cut,unplug"}).error, "");
}

TEST(SoakOptions, ExactlyOneTarget) {
  EXPECT_NE(parse({}).error, "");
  EXPECT_NE(parse({"--reference", "ws://127.0.0.1:1/rpc"}).error, "");
}

TEST(SoakOptions, BadNumbersAndUnknownOptionsAreUsageErrors) {
  EXPECT_NE(parse({"--reference", "--clients", "0"}).error, "");
  EXPECT_NE(parse({"--reference", "--clients", "49"}).error, "");
  EXPECT_NE(parse({"--reference", "--emit-rate", "fast"}).error, "");
  EXPECT_NE(parse({"--reference", "--frobnicate"}).error, "");
  EXPECT_NE(parse({"--reference", "--json"}).error, "");  // a value is missing
}

TEST(SoakOptions, PerNotificationIsCappedByTheCount) {
  const auto p = parse({"--reference", "--emit-count", "4", "--per-notification", "10"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.options.per_notification, 4);
}

}  // namespace
}  // namespace flake::conform::soak
