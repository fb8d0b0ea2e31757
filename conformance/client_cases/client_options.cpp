// Option parsing for client mode; the exit codes and selectors are those of sidecar mode.
#include "conformance/client_cases/client_options.hpp"

#include <string_view>

namespace flake::conform::client {

std::string client_usage_text(const std::string& default_driver_bin) {
  return R"(usage: flake-conform client [options] --spawn 'COMMAND ... {url} {token} ...'
       flake-conform client [options] --reference

Checks a flake.v1 client through its driver program (docs/protocol.md §13). For each case the
suite listens on a new port on 127.0.0.1, plays the sidecar as the case scripts it (faults,
refusals, odd but valid messages), starts one driver process and judges what the client sent,
when, and the driver's event lines (§13.4). Client case IDs are "C<N.M>/<k>", N.M being the
subsection of the "Client:" rule; all are in the group "client". An option's value may follow it
("--json r.json") or be joined to it ("--json=r.json"); -s and -x also take it glued ("-sC7.7").

driver (exactly one):
  --spawn 'CMD'            run CMD with /bin/sh -c after replacing {url} by
                           ws://127.0.0.1:<port>/rpc and {token} by the token; the environment
                           also carries FLAKE_URL, FLAKE_TOKEN, FLAKE_SERVICES=vercel,supabase,
                           FLAKE_BACKOFF_BASE_MS=100, FLAKE_BREAKER_OPEN_MS=600,
                           FLAKE_CALL_TIMEOUT_MS=1500 and FLAKE_CALL_INTERVAL_MS=20 (§13.2)
  --reference              run the reference client's driver: DRIVER-BIN [ARG...] {url} {token}
  --driver-bin PATH        the driver --reference runs (default: )" +
         default_driver_bin + R"()
  --client-arg ARG         one more argument for the reference driver (repeatable), e.g.
                           --client-arg --defect --client-arg no-pong

Each case stops its driver with SIGTERM, then SIGKILL 2 s later; the driver's exit status is not
judged, its standard error is shown with the case's record. A line on standard output that is not
an event of §13.4 fails the case.

selection:
  -s, --select SEL         run only matching cases (repeatable); SEL is an ID ("C7.7/5"), an ID
                           prefix ending at a section boundary ("C7", "C7.7") or a group name
  -x, --exclude SEL        leave matching cases out (repeatable, applied after --select)
  --list                   print the selected cases and exit (nothing is started); with
                           --json FILE also write them to FILE as JSON: ID, tier, group,
                           requirement, rules (conformance/schemas/list.schema.json)

outcome:
  --strict                 also fail the run on SHOULD-tier failures
  --expected-failures F    file of selectors (one per line, '#' comments): failures of these
                           cases are reported but do not fail the run; a listed case that
                           passes does fail it (the list cannot go stale)
  --no-rerun               count a failed timing-dependent case at once, rather than running
                           it again once (a case declared timing-dependent; none of the client
                           catalogue is today)
  --timeout MS             how long the client may take to reach each point of the workload,
                           e.g. the call loop (default 5000)
  -v, --verbose            print every case's record (scripted sidecar and driver, by time)
  --json FILE              write a JSON report (all cases, outcomes, records); with --list, the
                           selected cases instead
  --junit FILE             write a JUnit XML report: one testcase per case, named by its ID;
                           <failure> exactly for the cases that fail the run, <skipped> (with
                           the reason) for the others that did not pass, e.g. a SHOULD failure
                           without --strict or an expected failure
  --html FILE              write a self-contained HTML report (summary, cases, records)
  --summary FILE           append a Markdown summary to FILE, e.g. "$GITHUB_STEP_SUMMARY": the
                           verdict, the counts and a table of failures (ID, tier, requirement,
                           expected, actual; long cells cut)
  --annotations github     at the end, print a GitHub Actions workflow command per failure:
                           "::error title=ID::..." for each case that fails the run,
                           "::warning title=ID::..." for a SHOULD failure that does not
  -h, --help               this text

console: one tree per group, with a check mark for pass, x for fail and - for skipped (the client
lacks what the case needs, e.g. it offers no permessage-deflate); then a Failures block (ID,
requirement, expected, actual) and a summary line. When the locale is not UTF-8 (the first of
LC_ALL, LC_CTYPE and LANG that is set names no UTF-8 charset) the marks are plain ASCII: ok, FAIL
and -.

exit status: 0 no MUST case failed (SHOULD failures count only with --strict; skipped cases are
reported and never count), 1 at least one failure or unexpected pass, 2 usage error or the
--reference driver is not an executable file, 3 no case matched the selection (the message names
the selectors that match nothing, and the top-level sections there are). A --spawn command
that cannot run fails every case it is started for (its standard error says why).
)";
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

ParsedClientOptions parse_client_options(int argc, char** argv, int first,
                                         std::string default_driver_bin) {
  ParsedClientOptions parsed;
  ClientOptions& o = parsed.options;
  o.driver_bin = std::move(default_driver_bin);
  bool driver_bin_given = false;
  auto error = [&](std::string message) {
    if (parsed.error.empty()) parsed.error = std::move(message);
  };
  ArgReader args(argc, argv, first, kRunShortWithValue, error);
  while (args.next()) {
    const std::string_view arg = args.arg();
    std::string v;
    if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (arg == "--spawn") {
      if (args.value(v)) o.spawn = v;
    } else if (arg == "--reference") {
      o.reference = true;
    } else if (arg == "--driver-bin") {
      driver_bin_given = args.value(o.driver_bin);
    } else if (arg == "--client-arg") {
      if (args.value(v)) o.client_args.push_back(v);
    } else if (parse_run_option(args, o)) {
    } else {
      error("unknown argument " + std::string(arg));
    }
  }
  if (o.help || !parsed.error.empty()) return parsed;
  const int drivers = (o.spawn ? 1 : 0) + (o.reference ? 1 : 0);
  if (drivers > 1) error("give --spawn or --reference, not both");
  if (drivers == 0 && !o.list) error("no driver: give --spawn 'CMD {url} {token}' or --reference");
  if (!o.client_args.empty() && !o.reference) error("--client-arg is for --reference only");
  if (driver_bin_given && !o.reference) error("--driver-bin is for --reference only");
  return parsed;
}

}  // namespace flake::conform::client
