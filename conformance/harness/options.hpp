// Command line of flake-conform.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform {

struct Options {
  std::string url;  // positional
  long pid = 0;     // --pid: the URL target's process, for the RSS case (P5)
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> spawn;  // 'CMD {port}'
  bool reference = false;
  std::string sidecar_bin;                // for --reference
  std::vector<std::string> sidecar_args;  // extra arguments for --reference
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
  bool version = false;
};

struct ParsedOptions {
  Options options;
  std::string error;  // usage error (exit 2)
};

ParsedOptions parse_options(int argc, char** argv, std::string default_sidecar_bin);
std::string usage_text(const std::string& default_sidecar_bin);

// Reads an --expected-failures file: one selector per line, '#' starts a comment, blanks ignored.
bool read_selectors(const std::string& path, std::vector<std::string>& out, std::string& error);

}  // namespace flake::conform
