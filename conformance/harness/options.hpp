// Command line of flake-conform.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

// The options of both modes (sidecar and client): which cases run, how they are judged, which
// reports are written.
struct RunOptions {
  std::vector<std::string> select;
  std::vector<std::string> exclude;
  bool list = false;
  bool strict = false;
  bool verbose = false;
  std::chrono::milliseconds timeout{5000};
  std::optional<std::string> json_file;
  std::optional<std::string> junit_file;
  std::optional<std::string> html_file;
  std::optional<std::string> summary_file;
  bool github_annotations = false;  // --annotations github
  std::optional<std::string> expected_failures_file;
};

// Parses `arg` when it is one of RunOptions' arguments, reading its value through `value` and
// reporting a bad one through `error`; false when `arg` is none of them.
bool parse_run_option(std::string_view arg, const std::function<bool(std::string&)>& value,
                      const std::function<void(std::string)>& error, RunOptions& o);

struct Options : RunOptions {
  std::string url;  // positional
  long pid = 0;     // --pid: the URL target's process, for the RSS case (P5)
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> spawn;  // 'CMD {port}'
  bool reference = false;
  std::string sidecar_bin;                // for --reference
  std::vector<std::string> sidecar_args;  // extra arguments for --reference
  bool help = false;
  bool version = false;
  // The traceability matrix instead of a run: --coverage prints it, --coverage-markdown writes
  // docs/coverage.md's text; --spec reads another copy of docs/protocol.md than the built-in one.
  bool coverage = false;
  std::optional<std::string> coverage_markdown;
  std::optional<std::string> spec_file;
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
