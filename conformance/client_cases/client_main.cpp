// Client mode: options, the catalogue, the driver command, then the harness's runner and reports
// exactly as sidecar mode uses them (same selectors, tiers, exit codes).
#include "conformance/client_cases/client_main.hpp"

#include "conformance/client/wire_log.hpp"
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/client_options.hpp"
#include "conformance/client_cases/driver_process.hpp"
#include "conformance/harness/options.hpp"
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/report/text.hpp"
#include "conformance/harness/runner.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"

#include <unistd.h>

#include <cstdio>

namespace flake::conform::client {
namespace {

constexpr int kExitFailures = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoMatch = 3;

}  // namespace

int client_main(int argc, char** argv, const std::string& default_driver_bin) {
  const ParsedClientOptions parsed = parse_client_options(argc, argv, 2, default_driver_bin);
  const ClientOptions& o = parsed.options;
  if (o.help) {
    std::fputs(client_usage_text(o.driver_bin).c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "flake-conform client: %s\n(see flake-conform client --help)\n",
                 parsed.error.c_str());
    return kExitUsage;
  }

  // The console's flags come from the options and the environment once, here.
  const ConsoleFlags console_flags = ConsoleFlags::resolve(stdout, o.verbose);
  ClientSetup setup;
  setup.timeout = o.timeout;
  const Catalog catalog = build_client_catalog(setup);
  const std::vector<const Case*> selected = select_cases(catalog, o.select, o.exclude);
  if (selected.empty()) {
    std::fprintf(stderr, "flake-conform client: %s\n", no_match_text(catalog, o.select).c_str());
    return kExitNoMatch;
  }
  RunConfig config;
  config.rerun = o.rerun;
  std::string error;
  if (o.list) {
    print_list(stdout, selected);
    if (o.json_file && !write_list_json(*o.json_file, selected, error)) {
      std::fprintf(stderr, "flake-conform client: %s\n", error.c_str());
      return kExitUsage;
    }
    return 0;
  }
  if (o.expected_failures_file &&
      !read_selectors(*o.expected_failures_file, config.expected_failures, error)) {
    std::fprintf(stderr, "flake-conform client: %s\n", error.c_str());
    return kExitUsage;
  }
  if (o.reference) {
    if (::access(o.driver_bin.c_str(), X_OK) != 0) {
      std::fprintf(stderr,
                   "flake-conform client: the reference driver %s is not an executable file "
                   "(build the flake-client-driver target or pass --driver-bin)\n",
                   o.driver_bin.c_str());
      return kExitUsage;
    }
    setup.command = shell_quote(o.driver_bin);
    for (const auto& a : o.client_args) setup.command += " " + shell_quote(a);
    setup.command += " {url} {token}";
  } else {
    setup.command = *o.spawn;
  }
  setup.token = random_token();
  if (setup.token.empty()) {
    std::fprintf(stderr, "flake-conform client: no randomness for the token\n");
    return kExitUsage;
  }
  // Reports are CI artifacts: the token appears in them as "<token>".
  WireLog::redact(setup.token);
  guard_driver_against_interrupts();

  std::printf("flake-conform client: %s, driver: %s\n\n", counted(selected.size(), "case").c_str(),
              setup.command.c_str());
  // The runner's Target is for sidecar mode; client cases find everything in `setup`.
  Target target;
  target.timeout = o.timeout;
  ConsoleReport console(stdout, console_flags);
  const auto start = Clock::now();
  const std::vector<CaseResult> results = run_cases(selected, target, config, console);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  const Tally t = tally(results);
  console.failures(results);
  console.summary(t, elapsed);

  ReportMeta meta{"client driver: " + setup.command, "", elapsed, o.strict};
  const int status = write_reports({o.json_file, o.junit_file, o.html_file, o.summary_file},
                                   results, meta, "flake-conform client")
                         ? 0
                         : kExitUsage;
  if (o.github_annotations) print_github_annotations(stdout, results, o.strict);
  return run_fails(t, o.strict) ? kExitFailures : status;
}

}  // namespace flake::conform::client
