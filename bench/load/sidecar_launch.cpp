// --reference starts the sidecar with --rate 0: its default limiter (10,000 req/s per connection)
// would otherwise be what the ping runs measure.
#include "bench/load/sidecar_launch.hpp"

#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace flake::bench {

LaunchedSidecar::~LaunchedSidecar() {
  if (process) process->stop();
}

namespace {

// For /bin/sh: the path in single quotes, each ' in it as '\''.
std::string shell_quoted(const std::string& path) {
  std::string q = "'";
  for (const char c : path) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::unique_ptr<LaunchedSidecar> launch_sidecar(const LoadOptions& o, std::string& error,
                                                const TlsFiles* tls) {
  auto s = std::make_unique<LaunchedSidecar>();
  conform::SidecarCommand command;
  if (o.reference) {
    if (::access(o.sidecar_bin.c_str(), X_OK) != 0) {
      error = "reference sidecar " + o.sidecar_bin +
              " is not an executable file (build flake-sidecar or pass --sidecar-bin)";
      return nullptr;
    }
    s->token = conform::random_token();
    if (s->token.empty()) {
      error = "cannot create a temporary token file";
      return nullptr;
    }
    auto written = conform::write_token_file("flake-bench-token", s->token, error);
    if (!written) return nullptr;
    s->token_file = std::move(*written);
    std::vector<std::string> extra = {"--rate", "0"};
    if (tls) extra.insert(extra.end(), {"--tls-cert", tls->chain_file, "--tls-key", tls->key_file});
    command = conform::reference_command(o.sidecar_bin, s->token_file.path(), extra);
  } else {
    std::string line = *o.spawn;
    if (tls) {
      line += " --tls-cert " + shell_quoted(tls->chain_file) + " --tls-key " +
              shell_quoted(tls->key_file);
    }
    command = conform::spawn_command(line);
    if (o.token) {
      s->token = *o.token;
    } else if (o.token_file) {
      std::string unreadable;  // reported as a missing token below
      s->token = conform::read_token_file(*o.token_file, unreadable);
    } else if (const char* env = std::getenv("FLAKE_SIDECAR_TOKEN")) {
      s->token = env;
    }
    if (s->token.empty()) {
      error = "--spawn needs the token: --token, --token-file or $FLAKE_SIDECAR_TOKEN";
      return nullptr;
    }
  }
  command.tls = tls != nullptr;
  conform::guard_against_interrupts();
  s->process = std::make_unique<conform::SidecarProcess>();
  const conform::StartResult started =
      conform::start_sidecar(*s->process, command, s->token, std::chrono::milliseconds(10000));
  if (started.error == conform::StartError::kCannotStart ||
      started.error == conform::StartError::kNotTls) {
    error = started.message;
    return nullptr;
  }
  if (!started.url) {
    error = "the sidecar did not start listening within 10 s; its output:\n" +
            s->process->output_tail();
    return nullptr;
  }
  s->url = *started.url;
  return s;
}

}  // namespace flake::bench
