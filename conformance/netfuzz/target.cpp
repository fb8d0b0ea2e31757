// Target set-up of the fuzz and replay subcommands: a URL, or a sidecar started through
// harness/target/sidecar_startup.hpp as the normal mode (harness/main.cpp) does, with the fuzz
// mode's own messages.
#include "conformance/netfuzz/target.hpp"

#include "conformance/harness/target/tls_target.hpp"

#include <unistd.h>

#include <cstdlib>

namespace flake::conform::netfuzz {
namespace {

bool start_process(const FuzzOptions& o, FuzzTarget& target, std::string& error) {
  SidecarCommand command;
  if (o.reference) {
    if (::access(o.sidecar_bin.c_str(), X_OK) != 0) {
      error = "reference sidecar " + o.sidecar_bin +
              " is not an executable file (build the flake-sidecar target or pass --sidecar-bin)";
      return false;
    }
    // Random, never derived from the fuzz seed: the token is no part of the traffic (reproducers
    // hold a placeholder for it).
    target.token = random_token();
    if (target.token.empty()) {
      error = "no randomness for the token";
      return false;
    }
    auto written = write_token_file("flake-netfuzz-token", target.token, error);
    if (!written) return false;
    target.token_file = std::move(*written);
    command = reference_command(o.sidecar_bin, target.token_file.path(), o.sidecar_args);
  } else if (o.tls) {
    if (!takes_options(*o.spawn)) {
      error =
          "--tls with --spawn needs {options} in the command (where --tls-cert and --tls-key go)";
      return false;
    }
  } else {
    command = spawn_command(*o.spawn);
  }
  if (o.tls) {
    // The trust and the files of the normal mode's --tls (harness/target/tls_target.hpp).
    SidecarLauncher launcher =
        o.reference
            ? SidecarLauncher::reference(o.sidecar_bin, target.token_file.path(), o.sidecar_args)
            : SidecarLauncher::spawn(*o.spawn);
    target.pki = serve_throwaway_tls(launcher, error);
    if (!target.pki) {
      error = "cannot set up TLS: " + error;
      return false;
    }
    const std::vector<std::string> tls_options{"--conformance", "--tls-cert",
                                               target.pki->chain_file(), "--tls-key",
                                               target.pki->key_file()};
    command = o.reference ? reference_command(o.sidecar_bin, target.token_file.path(),
                                              o.sidecar_args, tls_options)
                          : spawn_command(*o.spawn, tls_options);
    command.tls = true;
    for (std::size_t at; (at = command.description.find(target.pki->dir())) != std::string::npos;) {
      command.description.replace(at, target.pki->dir().size(), "<temporary directory>");
    }
    target.tls = true;
  }
  target.description = command.description;
  target.process = std::make_unique<SidecarProcess>();
  const StartResult started =
      start_sidecar(*target.process, command, target.token, std::chrono::milliseconds(10000));
  if (started.error == StartError::kCannotStart) {
    error = "cannot start the sidecar: " + started.message;
    return false;
  }
  if (!started.url) {
    error = std::string("the sidecar did not start listening within 10 s; its output:\n") +
            target.process->output_tail();
    return false;
  }
  target.url = *started.url;
  target.pid = target.process->pid();
  return true;
}

}  // namespace

// The token file goes after the process has stopped (members outlive the destructor's body).
FuzzTarget::~FuzzTarget() {
  if (process) process->stop(std::chrono::milliseconds(10000));
}

bool open_target(const FuzzOptions& o, FuzzTarget& target, std::string& error) {
  if (o.token) {
    target.token = *o.token;
  } else if (o.token_file) {
    target.token = read_token_file(*o.token_file, error);
    if (!error.empty()) return false;
  } else if (const char* env = std::getenv("FLAKE_SIDECAR_TOKEN"); env && !o.reference) {
    target.token = env;
  }
  if (!o.reference && target.token.empty()) {
    error = "no token: give --token, --token-file or set FLAKE_SIDECAR_TOKEN";
    return false;
  }
  if (o.reference || o.spawn) {
    guard_against_interrupts();
    return start_process(o, target, error);
  }
  const auto url = parse_url(o.url, &error);
  if (!url) {
    error = "bad URL " + o.url + ": " + error;
    return false;
  }
  target.url = *url;
  if (url->tls()) {
    if (!o.tls_ca && !o.tls_fingerprint) {
      error = "a wss:// URL needs --tls-ca FILE or --tls-fingerprint HEX";
      return false;
    }
    if (!trust_url_target(o.tls_ca, o.tls_fingerprint, error)) return false;
    target.tls = true;
  }
  if (o.pid) target.pid = static_cast<pid_t>(*o.pid);
  return true;
}

}  // namespace flake::conform::netfuzz
