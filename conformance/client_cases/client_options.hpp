// Command line of `flake-conform client` and its --help text (which must stay true to
// client_main.cpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform::client {

struct ClientOptions {
  std::optional<std::string> spawn;  // driver command with {url} and {token}
  bool reference = false;
  std::string driver_bin;                // for --reference
  std::vector<std::string> client_args;  // extra arguments for --reference
  std::vector<std::string> select;
  std::vector<std::string> exclude;
  bool list = false;
  bool strict = false;
  bool verbose = false;
  std::chrono::milliseconds timeout{5000};
  std::optional<std::string> json_file;
  std::optional<std::string> junit_file;
  std::optional<std::string> html_file;
  std::optional<std::string> expected_failures_file;
  bool help = false;
};

struct ParsedClientOptions {
  ClientOptions options;
  std::string error;  // usage error (exit 2)
};

// argv[first] is the first option (after "client").
ParsedClientOptions parse_client_options(int argc, char** argv, int first,
                                         std::string default_driver_bin);
std::string client_usage_text(const std::string& default_driver_bin);

// `word` quoted for /bin/sh (single quotes).
std::string shell_quote(const std::string& word);

}  // namespace flake::conform::client
