// Command line of `flake-conform client` and its --help text (which must stay true to
// client_main.cpp).
#pragma once

#include "conformance/harness/options.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform::client {

struct ClientOptions : RunOptions {
  std::optional<std::string> spawn;  // driver command with {url} and {token}
  bool reference = false;
  std::string driver_bin;                // for --reference
  std::vector<std::string> client_args;  // extra arguments for --reference
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
