// Target set-up of the fuzz and replay subcommands; mirrors what the normal mode of main.cpp
// does for URL, --spawn and --reference, which lives there in an anonymous namespace.
#include "netfuzz_target.hpp"

#include "socket.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace flake::conform::netfuzz {
namespace {

std::string first_line(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return {};
  }
  std::string line;
  std::getline(in, line);
  const auto begin = line.find_first_not_of(" \t\r");
  const auto end = line.find_last_not_of(" \t\r");
  if (begin == std::string::npos) {
    error = path + " holds no token";
    return {};
  }
  return line.substr(begin, end - begin + 1);
}

// The token of --reference: random, never derived from the fuzz seed (it is no part of the
// traffic; reproducers hold a placeholder for it).
std::string random_token() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  std::string hex;
  for (const unsigned char c : raw) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0xF]);
  }
  return hex;
}

bool write_token_file(FuzzTarget& target, std::string& error) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/flake-netfuzz-token-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    error = "cannot create a temporary token file";
    return false;
  }
  target.token_file = pattern;
  const std::string body = target.token + "\n";
  const bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ::close(fd);
  if (!ok) error = "cannot write the temporary token file";
  return ok;
}

std::optional<Url> await_listening(SidecarProcess& process, std::uint16_t port,
                                   std::chrono::milliseconds timeout) {
  const Deadline end = deadline_in(timeout);
  while (Clock::now() < end) {
    if (auto url = process.wait_listening(std::chrono::milliseconds(50))) return url;
    if (!process.running()) return std::nullopt;
    if (port != 0) {
      TcpSocket probe;
      if (probe.connect("127.0.0.1", port, deadline_in(std::chrono::milliseconds(100)))) {
        return parse_url("ws://127.0.0.1:" + std::to_string(port) + "/rpc");
      }
    }
  }
  return std::nullopt;
}

bool start_process(const FuzzOptions& o, FuzzTarget& target, std::string& error) {
  std::vector<std::string> args;
  std::uint16_t port = 0;
  if (o.reference) {
    if (::access(o.sidecar_bin.c_str(), X_OK) != 0) {
      error = "reference sidecar " + o.sidecar_bin +
              " is not an executable file (build the flake-sidecar target or pass --sidecar-bin)";
      return false;
    }
    target.token = random_token();
    if (target.token.empty()) {
      error = "no randomness for the token";
      return false;
    }
    if (!write_token_file(target, error)) return false;
    args = {o.sidecar_bin, "--port", "0", "--conformance", "--token-file", target.token_file};
    target.description = o.sidecar_bin + " --port 0 --conformance --token-file <temporary file>";
    for (const auto& a : o.sidecar_args) {
      args.push_back(a);
      target.description += " " + a;
    }
  } else {
    std::string command = *o.spawn;
    if (command.find("{port}") != std::string::npos) {
      port = pick_free_port();
      for (std::size_t at; (at = command.find("{port}")) != std::string::npos;) {
        command.replace(at, 6, std::to_string(port));
      }
    }
    args = {"/bin/sh", "-c", "exec " + command};
    target.description = command;
  }
  target.process = std::make_unique<SidecarProcess>();
  if (!target.process->start(args, target.token, error)) {
    error = "cannot start the sidecar: " + error;
    return false;
  }
  const auto url = await_listening(*target.process, port, std::chrono::milliseconds(10000));
  if (!url) {
    error = std::string("the sidecar did not start listening within 10 s; its output:\n") +
            target.process->output_tail();
    return false;
  }
  target.url = *url;
  target.pid = target.process->pid();
  return true;
}

}  // namespace

FuzzTarget::~FuzzTarget() {
  if (process) process->stop(std::chrono::milliseconds(10000));
  if (!token_file.empty()) ::unlink(token_file.c_str());
}

bool open_target(const FuzzOptions& o, FuzzTarget& target, std::string& error) {
  if (o.token) {
    target.token = *o.token;
  } else if (o.token_file) {
    target.token = first_line(*o.token_file, error);
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
  if (o.pid) target.pid = static_cast<pid_t>(*o.pid);
  return true;
}

}  // namespace flake::conform::netfuzz
