// The driver runner with tiny shell commands as drivers: environment, placeholders, line events,
// malformed output, stderr, and the SIGTERM-then-SIGKILL stop.
#include "conformance/client_cases/driver_process.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;

std::vector<DriverEvent> run_until_exit(DriverProcess& p, std::size_t lines) {
  for (int i = 0; i < 300 && p.events().size() < lines; ++i) std::this_thread::sleep_for(10ms);
  return p.events();
}

TEST(ExpandCommand, ReplacesEveryPlaceholder) {
  EXPECT_EQ(expand_command("d {url} {token} {url}", "ws://h:1/rpc", "t"),
            "d ws://h:1/rpc t ws://h:1/rpc");
  EXPECT_EQ(expand_command("none", "u", "t"), "none");
}

TEST(DriverProcess, ReadsEventLinesWithTheEnvironment) {
  DriverProcess p;
  std::string error;
  ASSERT_TRUE(p.start(
      R"(printf '{"event":"connected"}\n{"event":"authenticated","sessionId":"%s"}\n' "$FLAKE_TOKEN"; echo oops >&2; sleep 5)",
      {{"FLAKE_TOKEN", "abc"}}, error))
      << error;
  const auto events = run_until_exit(p, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].is("connected"));
  EXPECT_TRUE(events[1].is("authenticated"));
  EXPECT_EQ(events[1].parsed.event["sessionId"], "abc");
  EXPECT_EQ(events[1].line_no, 2);
  EXPECT_LE(events[0].at, events[1].at);
  const auto start = Clock::now();
  const DriverExit x = p.stop();
  EXPECT_LT(Clock::now() - start, 1500ms);  // sh and sleep end on SIGTERM
  EXPECT_FALSE(x.killed);
  EXPECT_EQ(p.stderr_tail(), "oops\n");
}

TEST(DriverProcess, ReportsMalformedLinesAndAMissingFinalNewline) {
  DriverProcess p;
  std::string error;
  ASSERT_TRUE(p.start(R"(echo 'hello'; printf '{"event":"gave_up"}')", {}, error));
  const auto events = run_until_exit(p, 2);
  p.stop();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].parsed.error, "not JSON");
  EXPECT_EQ(events[1].parsed.error, "no newline at the end of the output");
}

TEST(DriverProcess, CutsOverlongLines) {
  DriverProcess p;
  std::string error;
  ASSERT_TRUE(p.start(
      "head -c 100000 /dev/zero | tr '\\0' x; echo; echo '{\"event\":\"connected\"}'", {}, error));
  const auto events = run_until_exit(p, 2);
  p.stop();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].parsed.ok());
  EXPECT_TRUE(events[1].is("connected"));
}

TEST(DriverProcess, KillsADriverThatIgnoresSigterm) {
  DriverProcess p;
  std::string error;
  ASSERT_TRUE(p.start(
      "trap '' TERM; echo '{\"event\":\"connected\"}'; while :; do sleep 0.05; done", {}, error));
  run_until_exit(p, 1);
  const auto start = Clock::now();
  const DriverExit x = p.stop(300ms);
  EXPECT_GE(Clock::now() - start, 300ms);
  EXPECT_LT(Clock::now() - start, 2000ms);
  EXPECT_TRUE(x.killed);
  EXPECT_FALSE(x.by_itself);
  EXPECT_EQ(x.signal, SIGKILL);
  EXPECT_FALSE(p.running());
}

TEST(DriverProcess, ExitStatusOfADriverThatEndsByItself) {
  DriverProcess p;
  std::string error;
  ASSERT_TRUE(p.start("exit 3", {}, error));
  for (int i = 0; i < 100 && p.running(); ++i) std::this_thread::sleep_for(10ms);
  const DriverExit x = p.stop();
  EXPECT_TRUE(x.exited);
  EXPECT_EQ(x.code, 3);
  EXPECT_TRUE(x.by_itself);
  EXPECT_EQ(x.describe(), "exit status 3, before the suite stopped it");
}

}  // namespace
}  // namespace flake::conform::client
