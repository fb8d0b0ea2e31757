// flake-sidecar's command line: defaults, values, errors, and a --help that names every option.
#include "reference/server/options.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace flake {
namespace {

ParsedOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "flake-sidecar");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(Options, DefaultsFollowTheSpec) {
  ParsedOptions p = parse({});
  ASSERT_TRUE(p.error.empty());
  EXPECT_EQ(p.options.host, "127.0.0.1");
  EXPECT_EQ(p.options.port, 9123);
  EXPECT_EQ(p.options.max_message_bytes, 16u << 20);
  EXPECT_EQ(p.options.max_send_buffer_bytes, 64u << 20);
  EXPECT_EQ(p.options.max_connections, 64);
  EXPECT_EQ(p.options.auth_timeout_ms, 10000);
  EXPECT_EQ(p.options.resume_grace_ms, 30000);
  EXPECT_EQ(p.options.ping_interval_ms, 30000);
  EXPECT_EQ(p.options.rate, 10000);
  EXPECT_EQ(p.options.burst, 20000);
  EXPECT_FALSE(p.options.conformance);
  EXPECT_FALSE(p.options.fixtures_dir.empty());
}

TEST(Options, ValuesInBothForms) {
  ParsedOptions p =
      parse({"--port", "0", "--rate=0", "--allow-origin", "http://a", "--allow-origin=http://b",
             "--conformance", "--defect", "seq-gap", "--token-file", "/tmp/t"});
  ASSERT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.port, 0);
  EXPECT_EQ(p.options.rate, 0);
  EXPECT_EQ(p.options.allow_origins, (std::vector<std::string>{"http://a", "http://b"}));
  EXPECT_TRUE(p.options.conformance);
  EXPECT_EQ(p.options.defects, std::vector<std::string>{"seq-gap"});
  EXPECT_EQ(p.options.token_file, "/tmp/t");
}

TEST(Options, BadInputIsAClearError) {
  EXPECT_NE(parse({"--port", "70000"}).error, "");
  EXPECT_NE(parse({"--port", "12x"}).error, "");
  EXPECT_NE(parse({"--port"}).error.find("needs a value"), std::string::npos);
  EXPECT_NE(parse({"--frobnicate"}).error.find("unknown option"), std::string::npos);
  EXPECT_NE(parse({"--defect", "no-such-defect"}).error, "");
  EXPECT_NE(parse({"--max-connections", "0"}).error, "");
  EXPECT_NE(parse({"--rate", "-1"}).error, "");
}

TEST(Options, HelpNamesEveryOptionWithItsDefault) {
  const std::string help = usage_text();
  for (const char* name : {"--host",
                           "--port",
                           "--token-file",
                           "--fixtures",
                           "--allow-origin",
                           "--allow-host",
                           "--max-message-bytes",
                           "--max-send-buffer-bytes",
                           "--max-connections",
                           "--auth-timeout-ms",
                           "--resume-grace-ms",
                           "--ping-interval-ms",
                           "--rate",
                           "--burst",
                           "--log-rate",
                           "--replay-ring",
                           "--replay-bytes",
                           "--conformance",
                           "--defect",
                           "--list-defects",
                           "--version",
                           "--help"}) {
    EXPECT_NE(help.find(name), std::string::npos) << name;
  }
  for (const char* value : {"9123", "16777216", "67108864", "10000", "30000", "20000"}) {
    EXPECT_NE(help.find(value), std::string::npos) << value;
  }
}

}  // namespace
}  // namespace flake
