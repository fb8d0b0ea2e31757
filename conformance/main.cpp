// flake-conform: verifies any flake.v1 sidecar against the case catalogue, or a client through its
// driver (`flake-conform client`); usable as a CI gate.
#include "conformance/cases/cases.hpp"
#include "conformance/client/sidecar_process.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/client_main.hpp"
#include "conformance/coverage/coverage.hpp"
#include "conformance/coverage/embedded_spec.hpp"
#include "conformance/harness/case_context.hpp"
#include "conformance/harness/catalog.hpp"
#include "conformance/harness/options.hpp"
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/report/text.hpp"
#include "conformance/harness/runner.hpp"
#include "conformance/harness/target/preflight.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"
#include "conformance/harness/target/tls_target.hpp"
#include "conformance/harness/target/tool_path.hpp"
#include "conformance/netfuzz/runner.hpp"
#include "conformance/repro/recorder.hpp"
#include "conformance/repro/replay_main.hpp"
#include "conformance/soak/soak_main.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <thread>

#ifndef FLAKE_CONFORM_SIDECAR_BIN
#define FLAKE_CONFORM_SIDECAR_BIN "flake-sidecar"
#endif
#ifndef FLAKE_CONFORM_CLIENT_DRIVER_BIN
#define FLAKE_CONFORM_CLIENT_DRIVER_BIN "flake-client-driver"
#endif
#ifndef FLAKE_VERSION
#define FLAKE_VERSION "0.0.0"
#endif

namespace flake::conform {

// --reference starts the flake-sidecar installed beside this executable, else the build tree's.
std::string default_sidecar_bin() {
  return companion_program("flake-sidecar", FLAKE_CONFORM_SIDECAR_BIN);
}
namespace {

constexpr int kExitFailures = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoMatch = 3;

// --coverage / --coverage-markdown: the rules of the spec against both catalogues' declarations.
int coverage(const Options& o) {
  std::string markdown(embedded_spec());
  if (o.spec_file) {
    std::ifstream in(*o.spec_file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "flake-conform: cannot read %s\n", o.spec_file->c_str());
      return kExitUsage;
    }
    std::ostringstream text;
    text << in.rdbuf();
    markdown = text.str();
  }
  const SpecRules spec = parse_spec_rules(markdown);
  const Catalog sidecar = build_catalog();
  const client::ClientSetup setup;
  const Catalog client = client::build_client_catalog(setup);
  const Catalog* catalogs[] = {&sidecar, &client};
  const Coverage matrix = build_coverage(spec, catalogs);
  if (o.coverage) print_coverage(stdout, matrix);
  if (o.coverage_markdown) {
    std::ofstream out(*o.coverage_markdown, std::ios::binary | std::ios::trunc);
    out << coverage_markdown(spec, matrix, "protocol.md");
    if (!out.flush()) {
      std::fprintf(stderr, "flake-conform: cannot write %s\n", o.coverage_markdown->c_str());
      return kExitUsage;
    }
  }
  if (!matrix.problems.empty()) {
    if (!o.coverage) {
      for (const std::string& p : matrix.problems) std::fprintf(stderr, "problem: %s\n", p.c_str());
    }
    return kExitFailures;
  }
  return 0;
}

// The target part of the replay command a reproducer's header shows.
std::string replay_target_hint(const Options& o, const std::string& target_text) {
  if (o.reference) {
    std::string hint = "--reference";
    for (const std::string& a : o.sidecar_args) hint += " --sidecar-arg " + a;
    return hint;
  }
  if (o.spawn) return "--spawn '" + WireLog::redacted(*o.spawn) + "'";
  return "--url " + target_text + " --token-file FILE";
}

int run(int argc, char** argv) {
  const ParsedOptions parsed = parse_options(argc, argv, default_sidecar_bin());
  const Options& o = parsed.options;
  if (o.help) {
    std::fputs(usage_text(o.sidecar_bin).c_str(), stdout);
    return 0;
  }
  if (o.version) {
    std::printf("flake-conform %s (protocol flake.v1)\n", FLAKE_VERSION);
    return 0;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "flake-conform: %s\n(see flake-conform --help)\n", parsed.error.c_str());
    return kExitUsage;
  }

  if (o.coverage || o.coverage_markdown) return coverage(o);

  // The console's flags come from the options and the environment once, here.
  const ConsoleFlags console_flags = ConsoleFlags::resolve(stdout, o.verbose);
  const Catalog catalog = build_catalog();
  const std::vector<const Case*> selected = select_cases(catalog, o.select, o.exclude);
  if (selected.empty()) {
    std::fprintf(stderr, "flake-conform: %s\n", no_match_text(catalog, o.select).c_str());
    return kExitNoMatch;
  }
  RunConfig config;
  config.rerun = o.rerun;
  std::string error;
  if (o.list) {
    print_list(stdout, selected);
    if (o.json_file && !write_list_json(*o.json_file, selected, error)) {
      std::fprintf(stderr, "flake-conform: %s\n", error.c_str());
      return kExitUsage;
    }
    return 0;
  }
  if (o.expected_failures_file &&
      !read_selectors(*o.expected_failures_file, config.expected_failures, error)) {
    std::fprintf(stderr, "flake-conform: %s\n", error.c_str());
    return kExitUsage;
  }

  Target target;
  target.timeout = o.timeout;
  if (o.pid != 0) {
    target.pid = static_cast<pid_t>(o.pid);
    if (process_rss_kib(target.pid) == 0) {
      std::fprintf(stderr,
                   "flake-conform: --pid %ld: cannot read /proc/%ld/status (no such process?)\n",
                   o.pid, o.pid);
      return kExitUsage;
    }
  }
  std::optional<SidecarLauncher> launcher;
  // Declared before the process: the certificates outlive the sidecar that reads them.
  std::unique_ptr<ThrowawayPki> pki;
  std::unique_ptr<SidecarProcess> process;
  TempFile token_file;
  std::string sidecar_desc;
  if (o.token) {
    target.token = *o.token;
  } else if (o.token_file) {
    target.token = read_token_file(*o.token_file, error);
  } else if (const char* env = std::getenv("FLAKE_SIDECAR_TOKEN"); env && !o.reference) {
    target.token = env;
  }
  if (!error.empty()) {
    std::fprintf(stderr, "flake-conform: %s\n", error.c_str());
    return kExitUsage;
  }
  if (!o.reference && target.token.empty()) {
    std::fprintf(stderr,
                 "flake-conform: no token: give --token, --token-file or set "
                 "FLAKE_SIDECAR_TOKEN\n");
    return kExitUsage;
  }

  if (o.reference || o.spawn) {
    guard_against_interrupts();
    if (o.reference) {
      if (::access(o.sidecar_bin.c_str(), X_OK) != 0) {
        std::fprintf(stderr,
                     "flake-conform: reference sidecar %s is not an executable file "
                     "(build the flake-sidecar target or pass --sidecar-bin)\n",
                     o.sidecar_bin.c_str());
        return kExitUsage;
      }
      target.token = random_token();
      std::optional<TempFile> written;
      if (!target.token.empty()) {
        written = write_token_file("flake-conform-token", target.token, error);
      }
      if (!written) {
        std::fprintf(stderr, "flake-conform: %s\n",
                     error.empty() ? "no randomness" : error.c_str());
        return kExitUsage;
      }
      token_file = std::move(*written);
      launcher = SidecarLauncher::reference(o.sidecar_bin, token_file.path(), o.sidecar_args);
    } else {
      launcher = SidecarLauncher::spawn(*o.spawn);
    }
    if (o.tls) {
      if (!launcher->chooses_options()) {
        std::fprintf(
            stderr,
            "flake-conform: --tls passes --tls-cert and --tls-key among {options}, and the "
            "--spawn command has no {options}\n");
        return kExitUsage;
      }
      pki = serve_throwaway_tls(*launcher, error);
      if (!pki) {
        std::fprintf(stderr, "flake-conform: --tls: %s\n", error.c_str());
        return kExitUsage;
      }
      target.tls_pki = pki.get();
    }
    // docs/protocol.md §11.7: the suite waits up to 10 s for the start-up line.
    const auto startup = std::max(o.timeout, std::chrono::milliseconds(10000));
    StartResult failure;
    std::string output;
    std::optional<StartedSidecar> started =
        launcher->start(SidecarSetup::kSuite, target.token, startup, failure, output);
    for (const auto& note : launcher->notes()) {
      std::fprintf(stderr, "flake-conform: %s\n", note.c_str());
    }
    if (failure.error == StartError::kCannotStart) {
      std::fprintf(stderr, "flake-conform: cannot start the sidecar: %s\n",
                   failure.message.c_str());
      return kExitUsage;
    }
    if (!started) {
      std::fprintf(stderr, "flake-conform: the sidecar %s; its output:\n%s\n",
                   failure.message.c_str(), output.c_str());
      return kExitUsage;
    }
    sidecar_desc = started->description;
    process = std::move(started->process);
    target.url = started->url;
    target.process = process.get();
    // The command of the process under test, for the §10.8 restart.
    auto current = std::make_shared<SidecarCommand>(started->command);
    // §10.8: the same arguments, except that a picked port (--port 0) becomes the reported one.
    target.restart = [&target, &process, current, startup](std::chrono::milliseconds pause,
                                                           std::string& why) {
      SidecarCommand again_command = *current;
      for (std::size_t i = 0; i + 1 < again_command.argv.size(); ++i) {
        if (again_command.argv[i] == "--port" && again_command.argv[i + 1] == "0") {
          again_command.argv[i + 1] = std::to_string(target.url.port);
        }
      }
      again_command.port = target.url.port;
      process->stop();
      std::this_thread::sleep_for(pause);
      auto next = std::make_unique<SidecarProcess>();
      const StartResult again = start_sidecar(*next, again_command, target.token, startup);
      if (again.error == StartError::kCannotStart) {
        why = again.message;
        return false;
      }
      process = std::move(next);
      target.process = process.get();
      if (!again.url) {
        why = "the restarted sidecar did not report listening; its output:\n" +
              process->output_tail();
        return false;
      }
      target.url = *again.url;
      return true;
    };
    // §10.1: a fresh process for the PERF group.
    target.replace = [&target, &process, &launcher, current, startup](SidecarSetup setup,
                                                                      std::string& why) {
      process->stop();
      StartResult failed;
      std::string output;
      std::optional<StartedSidecar> fresh =
          launcher->start(setup, target.token, startup, failed, output);
      if (!fresh) {
        why = failed.message + (output.empty() ? "" : "; its output:\n" + output);
        return false;
      }
      std::printf("(the sidecar for the %s cases: %s)\n", std::string(to_string(setup)).c_str(),
                  fresh->description.c_str());
      *current = fresh->command;
      process = std::move(fresh->process);
      target.process = process.get();
      target.url = fresh->url;
      return true;
    };
    // §11.1: a case that needs the sidecar set up otherwise starts one more process.
    if (launcher->chooses_options()) {
      target.start_other = [&target, &launcher, startup](SidecarSetup setup, std::string& why) {
        StartResult failed;
        std::string output;
        std::optional<StartedSidecar> other =
            launcher->start(setup, target.token, startup, failed, output);
        if (!other) why = failed.message + (output.empty() ? "" : "; its output:\n" + output);
        return other;
      };
      target.start_with = [&target, &launcher](const StartSpec& spec, std::string& why) {
        return launcher->start(spec, target.token, why);
      };
      target.composes_command = launcher->composes_command();
    }
  } else {
    const auto url = parse_url(o.url, &error);
    if (!url) {
      std::fprintf(stderr, "flake-conform: bad URL %s: %s\n", o.url.c_str(), error.c_str());
      return kExitUsage;
    }
    target.url = *url;
    if (!trust_url_target(o.tls_ca, o.tls_fingerprint, error)) {
      std::fprintf(stderr, "flake-conform: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  const std::string target_text = target.url.text();
  // Reports are CI artifacts: the token appears in them as "<token>". A token too short to be
  // told from ordinary text is left alone (it would garble every line).
  if (target.token.size() >= 8) WireLog::redact(target.token);
  // A --spawn command may carry the token itself ("--token T").
  sidecar_desc = WireLog::redacted(sidecar_desc);
  if (const Preflight check = preflight(target); !check.ready()) {
    std::fprintf(
        stderr, "flake-conform: %s%s\n", check.error.c_str(),
        check.verdict == Preflight::Verdict::TokenRejected ? "; check --token/--token-file" : "");
    if (process) std::fprintf(stderr, "sidecar output:\n%s\n", process->output_tail().c_str());
    return kExitUsage;
  } else if (!check.warning.empty()) {
    std::fprintf(stderr, "flake-conform: warning: %s\n", check.warning.c_str());
  }

  std::printf("flake-conform: %s against %s%s\n\n", counted(selected.size(), "case").c_str(),
              target_text.c_str(),
              sidecar_desc.empty() ? "" : (" (started: " + sidecar_desc + ")").c_str());
  ConsoleReport console(stdout, console_flags);
  std::optional<repro::ReproducerRecorder> recorder;
  if (o.reproducers_dir) {
    if (!repro::prepare_directory(*o.reproducers_dir, error)) {
      std::fprintf(stderr, "flake-conform: %s\n", error.c_str());
      return kExitUsage;
    }
    recorder.emplace(console, *o.reproducers_dir, target, replay_target_hint(o, target_text));
  }
  const auto start = Clock::now();
  const std::vector<CaseResult> results = run_cases(
      selected, target, config,
      recorder ? static_cast<ProgressSink&>(*recorder) : static_cast<ProgressSink&>(console));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  const Tally t = tally(results);
  console.matrix(results);
  console.failures(results);
  if (process) {
    const ExitInfo exit = process->stop();
    std::printf("\nsidecar stopped: %s after %lld ms\n",
                exit.exited ? ("exit status " + std::to_string(exit.code)).c_str()
                            : ("signal " + std::to_string(exit.signal)).c_str(),
                static_cast<long long>(exit.stop_time.count()));
  }
  console.summary(t, elapsed);
  if (recorder) {
    for (const std::string& p : recorder->problems())
      std::fprintf(stderr, "flake-conform: %s\n", p.c_str());
    std::printf("reproducers: %s in %s\n", counted(recorder->written().size(), "file").c_str(),
                o.reproducers_dir->c_str());
  }

  ReportMeta meta{target_text, sidecar_desc, elapsed, o.strict};
  const int status = write_reports({o.json_file, o.junit_file, o.html_file, o.summary_file},
                                   results, meta, "flake-conform")
                         ? 0
                         : kExitUsage;
  // Last on stdout, where a CI log ends and a reader (or the Actions runner) looks.
  if (o.github_annotations) print_github_annotations(stdout, results, o.strict);
  return run_fails(t, o.strict) ? kExitFailures : status;
}

}  // namespace
}  // namespace flake::conform

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "replay" &&
      flake::conform::repro::names_script(argc, argv)) {
    return flake::conform::repro::replay_main(argc, argv, FLAKE_CONFORM_SIDECAR_BIN);
  }
  if (argc > 1 && (std::string_view(argv[1]) == "fuzz" || std::string_view(argv[1]) == "replay")) {
    return flake::conform::netfuzz::netfuzz_main(argc, argv, flake::conform::default_sidecar_bin());
  }
  if (argc > 1 && std::string_view(argv[1]) == "soak") {
    return flake::conform::soak::soak_main(argc, argv, flake::conform::default_sidecar_bin());
  }
  if (argc > 1 && std::string_view(argv[1]) == "client") {
    return flake::conform::client::client_main(
        argc, argv,
        flake::conform::companion_program("flake-client-driver", FLAKE_CONFORM_CLIENT_DRIVER_BIN));
  }
  return flake::conform::run(argc, argv);
}
