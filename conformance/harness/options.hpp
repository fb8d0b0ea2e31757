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
  bool rerun = true;  // --no-rerun: a failed timing-dependent case counts at once
};

// Walks a command line the one way every flake-conform parser reads it, so that all of them take
// the same spellings: "--opt VALUE" and "--opt=VALUE", and for the one-letter options that take a
// value also "-o VALUE" and "-oVALUE". A value written into an option that reads none ("--list=1")
// is a usage error rather than silently dropped.
class ArgReader {
 public:
  using ErrorSink = std::function<void(std::string)>;
  // Reads argv[first..argc); `short_with_value` holds the letters of the one-letter options that
  // take a value ("sx" for -s and -x); `error` receives usage errors.
  ArgReader(int argc, char** argv, int first, std::string_view short_with_value, ErrorSink error);
  // Moves to the next argument; false after the last.
  bool next();
  // The current argument; for one that carries its value, the option alone ("--json" of
  // "--json=r.json", "-s" of "-s3.5").
  std::string_view arg() const { return arg_; }
  // The current option's value: the one written into the argument, else the next argument. False,
  // with a usage error, when there is none.
  bool value(std::string& out);
  void error(std::string message) const { error_(std::move(message)); }

 private:
  int argc_;
  char** argv_;
  int index_;
  std::string_view short_with_value_;
  ErrorSink error_;
  std::string_view arg_;
  std::optional<std::string_view> attached_;  // the value written into the current argument
  bool attached_read_ = false;
};

// The one-letter options of RunOptions that take a value (-s, -x).
inline constexpr std::string_view kRunShortWithValue = "sx";

// Parses the current argument of `args` when it is one of RunOptions' options, reading its value
// and reporting a bad one through `args`; false when it is none of them.
bool parse_run_option(ArgReader& args, RunOptions& o);

struct Options : RunOptions {
  std::string url;  // positional
  long pid = 0;     // --pid: the URL target's process, for the RSS case (P5)
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<std::string> spawn;  // 'CMD {port}'
  bool reference = false;
  std::string sidecar_bin;                // for --reference
  std::vector<std::string> sidecar_args;  // extra arguments for --reference
  // docs/protocol.md §14: --tls has the suite's sidecar (--reference, --spawn) serve TLS with a
  // throwaway chain; --tls-ca / --tls-fingerprint say how to trust a wss:// URL target.
  bool tls = false;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_fingerprint;
  bool help = false;
  bool version = false;  // --version, -V
  // The traceability matrix instead of a run: --coverage prints it, --coverage-markdown writes
  // docs/coverage.md's text; --spec reads another copy of docs/protocol.md than the built-in one.
  bool coverage = false;
  std::optional<std::string> coverage_markdown;
  std::optional<std::string> spec_file;
  // --reproducers DIR: a flake-replay/1 file per failed case (conformance/repro/).
  std::optional<std::string> reproducers_dir;
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
