// `flake-conform soak`: resolves the target (a URL, or a sidecar it starts), checks that it can be
// reached and authenticated, runs the soak and writes the reports.
#include "conformance/soak/soak_main.hpp"

#include "conformance/client/rpc_client.hpp"
#include "conformance/harness/report/text.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"
#include "conformance/soak/soak_options.hpp"
#include "conformance/soak/soak_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace flake::conform::soak {
namespace {

constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;

// One connection and one authentication, so that "cannot reach" and "wrong token" are usage
// errors rather than a soak full of failed attempts.
bool preflight(const SoakTarget& target, std::string& error) {
  RpcClient rpc;
  ConnectOptions o;
  o.subprotocols = {"flake.v1"};
  const ConnectResult r = rpc.connect(target.url, o);
  if (!r.upgraded) {
    error = "cannot open a WebSocket to " + target.url.scheme + "://" + target.url.authority +
            target.url.path + ": " +
            (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
    return false;
  }
  const Incoming auth = rpc.authenticate(target.token, client_info(), std::chrono::seconds(10));
  if (!auth.is_value() || !auth.value.is_object() || !auth.value.contains("result")) {
    error = "auth.authenticate failed: " + auth.describe() +
            (target.token.empty() ? " (no token: give --token, --token-file or FLAKE_SIDECAR_TOKEN)"
                                  : "");
    return false;
  }
  return true;
}

}  // namespace

int soak_main(int argc, char** argv, const std::string& default_sidecar_bin) {
  ParsedSoakOptions parsed = parse_soak_options(argc, argv, 2, default_sidecar_bin);
  SoakOptions& o = parsed.options;
  if (o.help) {
    std::fputs(soak_usage_text(o.sidecar_bin).c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "flake-conform soak: %s\n(see flake-conform soak --help)\n",
                 parsed.error.c_str());
    return kExitUsage;
  }
  if (!o.seed_given) {
    o.seed =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
        0x7fffffff;
  }
  std::string error;
  SoakTarget target;
  std::optional<TempFile> token_file;
  if (o.token) {
    target.token = *o.token;
  } else if (o.token_file) {
    target.token = read_token_file(*o.token_file, error);
    if (target.token.empty()) {
      std::fprintf(stderr, "flake-conform soak: %s\n", error.c_str());
      return kExitUsage;
    }
  } else if (const char* env = std::getenv("FLAKE_SIDECAR_TOKEN")) {
    target.token = env;
  }
  if (o.starts_sidecar()) {
    guard_against_interrupts();
    std::optional<SidecarLauncher> launcher;
    if (o.reference) {
      if (::access(o.sidecar_bin.c_str(), X_OK) != 0) {
        std::fprintf(stderr,
                     "flake-conform soak: reference sidecar %s is not an executable file "
                     "(build the flake-sidecar target or pass --sidecar-bin)\n",
                     o.sidecar_bin.c_str());
        return kExitUsage;
      }
      target.token = random_token();
      if (!target.token.empty())
        token_file = write_token_file("flake-soak-token", target.token, error);
      if (!token_file) {
        std::fprintf(stderr, "flake-conform soak: %s\n",
                     error.empty() ? "no randomness" : error.c_str());
        return kExitUsage;
      }
      launcher = SidecarLauncher::reference(o.sidecar_bin, token_file->path(), o.sidecar_args);
    } else {
      launcher = SidecarLauncher::spawn(*o.spawn);
    }
    StartResult failure;
    std::string output;
    std::optional<StartedSidecar> started = launcher->start(
        SidecarSetup::kSuite, target.token, std::chrono::seconds(10), failure, output);
    if (!started) {
      std::fprintf(stderr, "flake-conform soak: the sidecar %s%s\n", failure.message.c_str(),
                   output.empty() ? "" : ("; its output:\n" + output).c_str());
      return kExitUsage;
    }
    target.url = started->url;
    target.description = started->description;
    target.process = std::move(started->process);
    // A restart keeps the port the clients' proxies point at (as §10.8 does).
    SidecarCommand again = started->command;
    for (std::size_t i = 0; i + 1 < again.argv.size(); ++i) {
      if (again.argv[i] == "--port" && again.argv[i + 1] == "0") {
        again.argv[i + 1] = std::to_string(target.url.port);
      }
    }
    again.port = target.url.port;
    target.command = again;
  } else {
    const auto url = parse_url(o.url, &error);
    if (!url) {
      std::fprintf(stderr, "flake-conform soak: bad URL %s: %s\n", o.url.c_str(), error.c_str());
      return kExitUsage;
    }
    if (url->tls()) {
      std::fprintf(stderr, "flake-conform soak: plain text only: give a ws:// URL, not %s\n",
                   o.url.c_str());
      return kExitUsage;
    }
    target.url = *url;
  }
  if (!preflight(target, error)) {
    std::fprintf(stderr, "flake-conform soak: %s\n", error.c_str());
    if (target.process) {
      std::fprintf(stderr, "sidecar output:\n%s\n", target.process->output_tail().c_str());
    }
    return kExitUsage;
  }
  const std::string target_text =
      target.url.scheme + "://" + target.url.authority + target.url.path;
  std::printf("flake-conform soak: %s against %s%s for up to %lld s%s, seed %llu\n",
              counted(static_cast<std::size_t>(o.clients), "client").c_str(), target_text.c_str(),
              target.description.empty() ? "" : (" (started: " + target.description + ")").c_str(),
              static_cast<long long>(o.duration.count()),
              o.disconnects > 0 ? (" or " + counted(o.disconnects, "disconnect")).c_str() : "",
              static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);

  SoakReport report = run_soak(o, target);
  report.target = target_text;
  report.sidecar = target.description;
  if (target.process) target.process->stop();
  print_console(stdout, report);
  int status = report.passed ? 0 : kExitFindings;
  if (o.json_file && !write_json(*o.json_file, report, error)) {
    std::fprintf(stderr, "flake-conform soak: %s\n", error.c_str());
    status = kExitUsage;
  }
  if (o.html_file && !write_html(*o.html_file, report, error)) {
    std::fprintf(stderr, "flake-conform soak: %s\n", error.c_str());
    status = kExitUsage;
  }
  return status;
}

}  // namespace flake::conform::soak
