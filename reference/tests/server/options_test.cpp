// flake-sidecar's command line: defaults, values, errors, a --help that is docs §1.9's text, and
// the §14.1 listen policy.
#include "reference/server/options.hpp"

#include <gtest/gtest.h>

#include <fstream>
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

// docs/protocol.md §1.9 says what --help prints, to the byte.
TEST(Options, HelpIsTheTextOfTheSpecification) {
  const std::string docs = std::string(FLAKE_TEST_FIXTURES) + "/../docs/protocol.md";
  std::ifstream in(docs);
  ASSERT_TRUE(in) << docs;
  std::string line, text;
  bool after_note = false, inside = false;
  while (std::getline(in, line)) {
    if (!after_note) {
      after_note = line.find("`flake-sidecar --help` prints exactly this:") != std::string::npos;
    } else if (!inside) {
      inside = line == "```text";
    } else if (line == "```") {
      break;
    } else {
      text += line + "\n";
    }
  }
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(usage_text(), text);
}

TEST(Options, LoopbackIs127Slash8AndColonColon1Only) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.0.2.1", "128.0.0.1", "::ffff:127.0.0.1",
                           "localhost", "10.0.0.1", "fe80::1"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(Options, NonLoopbackPlainTextNeedsTheOptOutWhichWarns) {
  Options options;
  EXPECT_TRUE(check_listen_policy(options, true, true).error.empty());
  options.host = "0.0.0.0";
  EXPECT_NE(check_listen_policy(options, true, true).error.find("TLS required"), std::string::npos);
  EXPECT_TRUE(check_listen_policy(options, false, true).error.empty());  // non-loopback-plaintext
  options.insecure_plaintext = true;
  const ListenCheck opted = check_listen_policy(options, true, true);
  EXPECT_TRUE(opted.error.empty());
  EXPECT_NE(opted.warning.find("crosses the network unencrypted"), std::string::npos);
  EXPECT_TRUE(check_listen_policy(options, true, false).warning.empty());
  options.insecure_plaintext = false;
  options.tls_cert = "chain.pem";
  options.tls_key = "key.pem";
  EXPECT_TRUE(check_listen_policy(options, true, true).error.empty());
}

TEST(Options, TlsCertAndKeyGoTogether) {
  EXPECT_NE(parse({"--tls-cert", "a.pem"}).error.find("go together"), std::string::npos);
  EXPECT_NE(parse({"--tls-key", "a.pem"}).error.find("go together"), std::string::npos);
  const ParsedOptions both = parse({"--tls-cert", "a.pem", "--tls-key", "b.pem"});
  EXPECT_EQ(both.error, "");
  EXPECT_EQ(both.options.tls_cert, "a.pem");
  EXPECT_EQ(both.options.tls_key, "b.pem");
  EXPECT_TRUE(parse({"--insecure-plaintext"}).options.insecure_plaintext);
}

}  // namespace
}  // namespace flake
