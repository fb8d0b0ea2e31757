// flake-client-driver: the reference client run through the §13.3 workload for the suite's client
// mode, printing §13.4 event lines. Usage in --help.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "reference/client/client.hpp"
#include "reference/client/client_defects.hpp"
#include "reference/client/config.hpp"
#include "reference/client/handshake.hpp"
#include "reference/client/workload.hpp"

namespace {

using namespace flake::client;

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  g_stop.store(true);
}

constexpr const char* kUsage =
    "usage: flake-client-driver [--defect NAME]... [URL [TOKEN]]\n"
    "       flake-client-driver --list-defects [--tsv]\n"
    "\n"
    "Runs the reference client through the fixed workload of docs/protocol.md §13.3 and writes\n"
    "one JSON event line per §13.4 event on stdout. URL and TOKEN fall back to FLAKE_URL and\n"
    "FLAKE_TOKEN; FLAKE_SERVICES, FLAKE_BACKOFF_BASE_MS, FLAKE_BREAKER_OPEN_MS,\n"
    "FLAKE_CALL_TIMEOUT_MS and FLAKE_CALL_INTERVAL_MS configure it (§13.2). Stops on SIGTERM.\n"
    "\n"
    "  --defect NAME     break one client rule on purpose (repeatable; see --list-defects)\n"
    "  --list-defects    list the defect switches; with --tsv as name, rule, must-fail case\n"
    "                    IDs (comma-separated) and description, tab-separated\n"
    "  --help            this text\n";

void list_defects(bool tsv) {
  for (const ClientDefectInfo& d : client_defect_catalog()) {
    const std::string name(d.name), rule(d.rule), must(d.must_fail), desc(d.description);
    if (tsv) {
      std::printf("%s\t%s\t%s\t%s\n", name.c_str(), rule.c_str(), must.c_str(), desc.c_str());
    } else {
      std::printf("%-24s %-6s %s (must fail: %s)\n", name.c_str(), rule.c_str(), desc.c_str(),
                  must.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> defects;
  std::vector<std::string> positional;
  bool list = false;
  bool tsv = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--list-defects") {
      list = true;
    } else if (a == "--tsv") {
      tsv = true;
    } else if (a == "--defect" || a.starts_with("--defect=")) {
      std::string name;
      if (a == "--defect") {
        if (i + 1 >= argc) {
          std::fputs("flake-client-driver: --defect needs a NAME\n", stderr);
          return 2;
        }
        name = argv[++i];
      } else {
        name = std::string(a.substr(std::strlen("--defect=")));
      }
      if (find_client_defect(name) == nullptr) {
        std::fprintf(stderr, "flake-client-driver: unknown defect '%s' (see --list-defects)\n",
                     name.c_str());
        return 2;
      }
      defects.push_back(name);
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "flake-client-driver: unknown option %s\n%s", argv[i], kUsage);
      return 2;
    } else {
      positional.emplace_back(a);
    }
  }
  if (list) {
    list_defects(tsv);
    return 0;
  }
  if (positional.size() > 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  std::string error;
  std::optional<ClientConfig> config = config_from_env(ClientConfig{}, error);
  if (!config) {
    std::fprintf(stderr, "flake-client-driver: %s\n", error.c_str());
    return 2;
  }
  if (positional.size() >= 1) config->url = positional[0];
  if (positional.size() >= 2) config->token = positional[1];
  if (config->url.empty() || config->token.empty()) {
    std::fputs(
        "flake-client-driver: URL and TOKEN are needed (arguments or FLAKE_URL/FLAKE_TOKEN)\n",
        stderr);
    return 2;
  }

  if (!parse_ws_url(config->url)) {
    std::fprintf(stderr, "flake-client-driver: %s is not a ws:// URL\n", config->url.c_str());
    return 2;
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  LinePrinter out;
  Client client(*config, ClientBehaviour::from_names(defects),
                [&out](const Event& e) { out.print(e); });
  client.start();
  run_workload(client, *config, out, g_stop);
  client.stop();
  return 0;
}
