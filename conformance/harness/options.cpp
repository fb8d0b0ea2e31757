// Option parsing and the --help text (which must stay true to what main.cpp does).
#include "conformance/harness/options.hpp"

#include "conformance/client/tls_client.hpp"

#include <charconv>
#include <fstream>
#include <string_view>
#include <utility>

namespace flake::conform {

std::string usage_text(const std::string& default_sidecar_bin) {
  return R"(usage: flake-conform [options] URL
       flake-conform [options] --spawn 'COMMAND ... {port} ...'
       flake-conform [options] --reference
       flake-conform fuzz ...     network fuzzing (see flake-conform fuzz --help)
       flake-conform replay ...   play back a reproducer: a failed case's FILE.flake-replay
                                  (--reproducers) or a fuzz finding (see flake-conform replay
                                  --help)
       flake-conform soak ...     conformance under load and faults over time (see
                                  flake-conform soak --help)
       flake-conform client ...   check a client through its driver program, the suite playing
                                  the sidecar (see flake-conform client --help)

Checks that a sidecar speaks the flake.v1 protocol (docs/protocol.md). Every case has a
stable ID "<N.M>/<k>" (N.M = the rule's subsection in docs/protocol.md), a tier (MUST, SHOULD,
PERF) and a group, and opens its own connections. A rule that holds on every JSON-RPC path runs
once per path: "<N.M>/<k>" on text frames, "<N.M>/<k>@msgpack" and "<N.M>/<k>@http" on the others.
An option's value may follow it ("--json r.json") or be joined to it ("--json=r.json"); -s and -x
also take it glued ("-s3.5", "-xperformance").

target (exactly one):
  URL                      a running sidecar, e.g. ws://127.0.0.1:9123/rpc, or over TLS
                           wss://HOST:PORT/rpc (with --tls-ca or --tls-fingerprint; its HTTP
                           endpoints are then reached with https://)
  --spawn 'CMD {port} {options}'
                           start CMD (through /bin/sh, with exec) after replacing {port} by a
                           free port and {options} by the options of 1.8 the suite chooses
                           (docs 11.7): --conformance --rate 500 --burst 1000
                           --ping-interval-ms 2000 (just --conformance if the sidecar exits on
                           those); wait for its start-up line "... listening on
                           ws://HOST:PORT/rpc" (docs 1.2), or else for the port to accept
                           connections, up to 10 s (or --timeout, if longer); stop it at the
                           end (SIGTERM, then SIGKILL after 2 s). The PERF group runs on a
                           fresh process with {options} = --conformance --rate 0 (docs 10.1);
                           case 11.1/2 starts one more without --conformance. Without
                           {options}, CMD runs as given (and must hold --conformance)
  --reference              start the reference sidecar with
                           --port 0 --token-file <temporary file> {options}
                           and a random token (no --token needed)
  --sidecar-bin PATH       the binary --reference starts (default: )" +
         default_sidecar_bin + R"()
  --sidecar-arg ARG        one more argument for the sidecar --reference starts, after
                           {options} (repeatable), e.g. --sidecar-arg --rate --sidecar-arg 1000

TLS (docs 14):
  --tls                    with --reference or --spawn: make a throwaway CA, intermediate and
                           certificate (EC P-256, for 127.0.0.1 and localhost, valid one day)
                           in a private temporary directory, start the sidecar with
                           --tls-cert CHAIN --tls-key KEY among its {options}, trust only that
                           CA, expect the start-up line "... listening on wss://HOST:PORT/rpc",
                           and delete the directory at the end; every case then runs over TLS
  --tls-ca FILE            with a wss:// URL: trust the PEM CA certificates in FILE; the chain
                           must verify and the certificate must name the URL's host or IP
  --tls-fingerprint HEX    with a wss:// URL: trust exactly the certificate whose SHA-256 (of
                           its DER) is HEX, 32 octets, colon-separated or not, any case (the
                           "sha256 AB:CD:..." line a sidecar prints, 14.2d); the chain is not
                           checked. Nothing is sent on a connection before its certificate is
                           trusted; the suite offers ALPN http/1.1 and TLS 1.2 or later

  --pid PID                with a URL: the sidecar's process ID, so that the RSS case (10.7/1)
                           can read /proc/PID/status (without it, that case is skipped)

token (for URL and --spawn; environment FLAKE_SIDECAR_TOKEN is used when neither is given):
  --token T                the sidecar's secret token
  --token-file F           read the token from F (its first line, without surrounding blanks)

selection:
  -s, --select SEL         run only matching cases (repeatable); SEL is an ID ("3.5/2"), an ID
                           prefix ending at a section boundary ("3", "3.5", "3.5/") or a group
                           name ("auth", "resume", ...); "SEL@PATH" keeps the cells of one path
                           ("3.4/7@http", "3@msgpack", "@text")
  -x, --exclude SEL        leave matching cases out (repeatable, applied after --select)
  --list                   print the selected cases and exit (no connection is made); with
                           --json FILE also write them to FILE as JSON: ID, tier, group,
                           requirement, rules, path (conformance/schemas/list.schema.json)

outcome:
  --strict                 also fail the run on SHOULD-tier failures and on unimplemented
                           cases
  --expected-failures F    file of selectors (one per line, '#' comments): failures of these
                           cases are reported but do not fail the run; a listed case that
                           passes does fail it (the list cannot go stale)
  --no-rerun               count a failed timing-dependent case at once; by default every PERF
                           case and the MUST cases judged against a wall clock (keepalive
                           pings, expiries, deadlines) run again once, right away, when they
                           fail, and the second outcome counts: "failed, passed on rerun" or
                           "failed twice", both attempts in every report
  --timeout MS             deadline for each network operation (default 5000)
  -v, --verbose            print every case's wire log
  --json FILE              write a JSON report (all cases, outcomes, wire logs); with --list,
                           the selected cases instead
  --junit FILE             write a JUnit XML report: one testcase per case, named by its ID;
                           <failure> exactly for the cases that fail the run, <skipped> (with
                           the reason) for the others that did not pass, e.g. a SHOULD failure
                           without --strict or an expected failure; a timing-dependent case
                           run twice also carries the other attempt as <flakyFailure> (passed
                           on rerun) or <rerunFailure> (failed twice)
  --html FILE              write a self-contained HTML report (summary, failures, each PERF
                           case's measurement plotted against its bar as inline SVG, transport
                           matrix, cases)
  --summary FILE           append a Markdown summary to FILE, e.g. "$GITHUB_STEP_SUMMARY": the
                           verdict, the counts, the transport matrix in one line and a table of
                           failures (ID, tier, requirement, expected, actual; long cells cut)
  --annotations github     at the end, print a GitHub Actions workflow command per failure:
                           "::error title=ID::..." for each case that fails the run,
                           "::warning title=ID::..." for a SHOULD failure that does not
  --reproducers DIR        write DIR/<ID>.flake-replay for every case that failed (expected
                           failures included): the bytes it wrote per connection with their
                           times, the token as ${TOKEN}; play one back with
                           flake-conform replay DIR/<ID>.flake-replay --url URL (or --reference)

traceability (no target needed):
  --coverage               print every rule ID of docs/protocol.md with the cases that check
                           it or the reason none does; exit 1 when a rule has neither, a case
                           names an unknown rule or the spec's rule IDs are unsound
  --coverage-markdown FILE write the same matrix as Markdown (docs/coverage.md), same exit status
  --spec FILE              read the rules from FILE instead of the spec built into this binary

  -h, --help               this text
  -V, --version            print the version

console: one tree per group, with a check mark for pass, x for fail, ! for unimplemented (the
sidecar lacks the feature, e.g. answers -32601 or HTTP 404) and - for skipped (cannot be checked
in this mode); then the transport matrix (per path, cells passed; the rules whose paths disagree),
a Failures block (ID, requirement, expected, actual) and a summary line. When the locale is not
UTF-8 (the first of LC_ALL, LC_CTYPE and LANG that is set names no UTF-8 charset) the marks are
plain ASCII: ok, FAIL, ! and -.

exit status: 0 no MUST or PERF case failed (without --strict, SHOULD failures, unimplemented
and skipped cases are reported but do not count), 1 at least one failure or unexpected pass,
2 usage error or the sidecar could not be started, reached or authenticated, 3 no case matched
the selection (the message names the selectors that match nothing, and the groups, top-level
sections and paths there are).
)";
}

ArgReader::ArgReader(int argc, char** argv, int first, std::string_view short_with_value,
                     ErrorSink error)
    : argc_(argc),
      argv_(argv),
      index_(first - 1),
      short_with_value_(short_with_value),
      error_(std::move(error)) {}

bool ArgReader::next() {
  if (attached_ && !attached_read_) error_(std::string(arg_) + " takes no value");
  attached_.reset();
  attached_read_ = false;
  if (++index_ >= argc_) return false;
  arg_ = argv_[index_];
  if (arg_.starts_with("--")) {
    if (const auto eq = arg_.find('='); eq != std::string_view::npos) {
      attached_ = arg_.substr(eq + 1);
      arg_ = arg_.substr(0, eq);
    }
  } else if (arg_.size() > 2 && arg_[0] == '-' &&
             short_with_value_.find(arg_[1]) != std::string_view::npos) {
    // As getopt reads it: everything after the letter is the value, "=" included.
    attached_ = arg_.substr(2);
    arg_ = arg_.substr(0, 2);
  }
  return true;
}

bool ArgReader::value(std::string& out) {
  if (attached_) {
    attached_read_ = true;
    out = std::string(*attached_);
    return true;
  }
  if (index_ + 1 >= argc_) {
    error_(std::string(arg_) + " needs a value");
    return false;
  }
  out = argv_[++index_];
  return true;
}

bool parse_run_option(ArgReader& args, RunOptions& o) {
  const std::string_view arg = args.arg();
  std::string v;
  if (arg == "-s" || arg == "--select") {
    if (args.value(v)) o.select.push_back(v);
  } else if (arg == "-x" || arg == "--exclude") {
    if (args.value(v)) o.exclude.push_back(v);
  } else if (arg == "--list") {
    o.list = true;
  } else if (arg == "--strict") {
    o.strict = true;
  } else if (arg == "-v" || arg == "--verbose") {
    o.verbose = true;
  } else if (arg == "--timeout") {
    if (args.value(v)) {
      long ms = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc() || end != v.data() + v.size() || ms <= 0 || ms > 600000) {
        args.error("--timeout needs milliseconds between 1 and 600000");
      } else {
        o.timeout = std::chrono::milliseconds(ms);
      }
    }
  } else if (arg == "--json") {
    if (args.value(v)) o.json_file = v;
  } else if (arg == "--junit") {
    if (args.value(v)) o.junit_file = v;
  } else if (arg == "--html") {
    if (args.value(v)) o.html_file = v;
  } else if (arg == "--summary") {
    if (args.value(v)) o.summary_file = v;
  } else if (arg == "--annotations") {
    // One CI system's syntax today; naming it keeps room for others without a silent default.
    if (args.value(v)) {
      if (v == "github") {
        o.github_annotations = true;
      } else {
        args.error("--annotations accepts only \"github\", not \"" + v + "\"");
      }
    }
  } else if (arg == "--expected-failures") {
    if (args.value(v)) o.expected_failures_file = v;
  } else if (arg == "--no-rerun") {
    o.rerun = false;
  } else {
    return false;
  }
  return true;
}

ParsedOptions parse_options(int argc, char** argv, std::string default_sidecar_bin) {
  ParsedOptions parsed;
  Options& o = parsed.options;
  o.sidecar_bin = std::move(default_sidecar_bin);
  auto error = [&](std::string message) {
    if (parsed.error.empty()) parsed.error = std::move(message);
  };
  ArgReader args(argc, argv, 1, kRunShortWithValue, error);
  while (args.next()) {
    const std::string_view arg = args.arg();
    std::string v;
    if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (arg == "-V" || arg == "--version") {
      o.version = true;
    } else if (arg == "--token") {
      if (args.value(v)) o.token = v;
    } else if (arg == "--token-file") {
      if (args.value(v)) o.token_file = v;
    } else if (arg == "--spawn") {
      if (args.value(v)) o.spawn = v;
    } else if (arg == "--reference") {
      o.reference = true;
    } else if (arg == "--coverage") {
      o.coverage = true;
    } else if (arg == "--coverage-markdown") {
      if (args.value(v)) o.coverage_markdown = v;
    } else if (arg == "--spec") {
      if (args.value(v)) o.spec_file = v;
    } else if (arg == "--sidecar-bin") {
      args.value(o.sidecar_bin);
    } else if (arg == "--sidecar-arg") {
      if (args.value(v)) o.sidecar_args.push_back(v);
    } else if (arg == "--tls") {
      o.tls = true;
    } else if (arg == "--tls-ca") {
      if (args.value(v)) o.tls_ca = v;
    } else if (arg == "--tls-fingerprint") {
      if (args.value(v)) o.tls_fingerprint = v;
    } else if (arg == "--reproducers") {
      if (args.value(v)) o.reproducers_dir = v;
    } else if (parse_run_option(args, o)) {
    } else if (arg == "--pid") {
      if (args.value(v)) {
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), o.pid);
        if (ec != std::errc() || end != v.data() + v.size() || o.pid <= 0) {
          error("--pid needs a process ID (a positive integer)");
        }
      }
    } else if (!arg.empty() && arg.front() == '-') {
      error("unknown option " + std::string(arg));
    } else if (o.url.empty()) {
      o.url = std::string(arg);
    } else {
      error("more than one URL given");
    }
  }
  if (o.help || o.version || !parsed.error.empty()) return parsed;
  const int targets = (o.url.empty() ? 0 : 1) + (o.spawn ? 1 : 0) + (o.reference ? 1 : 0);
  if (targets > 1) error("give exactly one of URL, --spawn and --reference");
  const bool coverage = o.coverage || o.coverage_markdown;
  if (coverage && targets > 0) error("--coverage and --coverage-markdown take no target");
  if (o.spec_file && !coverage) error("--spec is for --coverage and --coverage-markdown");
  if (targets == 0 && !o.list && !coverage) error("no target: give a URL, --spawn or --reference");
  if (o.token && o.token_file) error("give --token or --token-file, not both");
  if (o.reference && (o.token || o.token_file)) {
    error("--reference makes its own token; --token/--token-file are for URL and --spawn");
  }
  if (!o.sidecar_args.empty() && !o.reference) error("--sidecar-arg is for --reference only");
  const bool tls_url = o.url.starts_with("wss://") || o.url.starts_with("https://");
  if (o.tls && !o.reference && !o.spawn) {
    error("--tls is for --reference and --spawn; a wss:// URL takes --tls-ca or --tls-fingerprint");
  }
  if (o.tls_ca && o.tls_fingerprint) error("give --tls-ca or --tls-fingerprint, not both");
  if ((o.tls_ca || o.tls_fingerprint) && !tls_url) {
    error(std::string(o.tls_ca ? "--tls-ca" : "--tls-fingerprint") +
          " is for a wss:// URL target (with --reference or --spawn, --tls makes its own CA)");
  }
  if (tls_url && !o.tls_ca && !o.tls_fingerprint) {
    error(
        "a wss:// URL needs --tls-ca FILE or --tls-fingerprint HEX: the suite sends nothing to a "
        "server it cannot verify (docs 14.4)");
  }
  if (o.tls_fingerprint && !parse_fingerprint(*o.tls_fingerprint)) {
    error(
        "--tls-fingerprint needs 32 hex octets (64 hex digits, colons between octets allowed), "
        "not \"" +
        *o.tls_fingerprint + "\"");
  }
  if (o.pid != 0 && o.url.empty()) {
    error("--pid is for a URL target (the suite knows the process it starts)");
  }
  return parsed;
}

bool read_selectors(const std::string& path, std::vector<std::string>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    const auto end = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(begin, end - begin + 1));
  }
  return true;
}

}  // namespace flake::conform
