// --reference starts the sidecar with --rate 0: its default limiter (10,000 req/s per connection)
// would otherwise be what the ping runs measure.
#include "sidecar_launch.hpp"

#include "socket.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace flake::bench {
namespace {

std::string random_token() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char c : raw) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0xF]);
  }
  return hex;
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

LaunchedSidecar::~LaunchedSidecar() {
  if (process) process->stop();
  if (!token_file.empty()) ::unlink(token_file.c_str());
}

std::unique_ptr<LaunchedSidecar> launch_sidecar(const LoadOptions& o, std::string& error) {
  auto s = std::make_unique<LaunchedSidecar>();
  std::vector<std::string> args;
  std::uint16_t port = 0;
  if (o.reference) {
    if (::access(o.sidecar_bin.c_str(), X_OK) != 0) {
      error = "reference sidecar " + o.sidecar_bin +
              " is not an executable file (build flake-sidecar or pass --sidecar-bin)";
      return nullptr;
    }
    s->token = random_token();
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/flake-bench-token-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (s->token.empty() || fd < 0) {
      error = "cannot create a temporary token file";
      return nullptr;
    }
    s->token_file = pattern;
    const std::string body = s->token + "\n";
    const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
    ::close(fd);
    if (!written) {
      error = "cannot write the temporary token file";
      return nullptr;
    }
    args = {o.sidecar_bin, "--port", "0", "--conformance", "--rate", "0", "--token-file", pattern};
    s->description = o.sidecar_bin + " --port 0 --conformance --rate 0 --token-file <temporary>";
  } else {
    std::string command = *o.spawn;
    if (command.find("{port}") != std::string::npos) {
      port = conform::pick_free_port();
      for (std::size_t at; (at = command.find("{port}")) != std::string::npos;) {
        command.replace(at, 6, std::to_string(port));
      }
    }
    if (o.token) {
      s->token = *o.token;
    } else if (o.token_file) {
      s->token = first_line(*o.token_file);
    } else if (const char* env = std::getenv("FLAKE_SIDECAR_TOKEN")) {
      s->token = env;
    }
    if (s->token.empty()) {
      error = "--spawn needs the token: --token, --token-file or $FLAKE_SIDECAR_TOKEN";
      return nullptr;
    }
    args = {"/bin/sh", "-c", "exec " + command};
    s->description = command;
  }
  conform::guard_against_interrupts();
  s->process = std::make_unique<conform::SidecarProcess>();
  if (!s->process->start(args, s->token, error)) return nullptr;
  const conform::Deadline end = conform::deadline_in(std::chrono::milliseconds(10000));
  while (conform::Clock::now() < end) {
    if (auto url = s->process->wait_listening(std::chrono::milliseconds(50))) {
      s->url = *url;
      return s;
    }
    if (!s->process->running()) break;
    if (port != 0) {
      conform::TcpSocket probe;
      if (probe.connect("127.0.0.1", port, conform::deadline_in(std::chrono::milliseconds(100)))) {
        s->url = *conform::parse_url("ws://127.0.0.1:" + std::to_string(port) + "/rpc");
        return s;
      }
    }
  }
  error =
      "the sidecar did not start listening within 10 s; its output:\n" + s->process->output_tail();
  return nullptr;
}

}  // namespace flake::bench
