// A child process for the client's end-to-end tests (the real flake-sidecar, the driver): started
// with fork/exec, its stdout read through a pipe, stopped with SIGTERM when the test ends. Written
// here rather than borrowed from conformance/, which the reference client must not include.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace flake::client::testing {

class ChildProcess {
 public:
  // argv[0] is the program; stdout is captured, stderr inherited. `env` entries are NAME=VALUE.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_fd_ = fds[0];
  }
  ~ChildProcess() {
    stop();
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of stdout, or nullopt at EOF or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (size_t nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, size_t(n));
    }
  }

  // SIGTERM, then the exit status (-1 if it had to be killed after `grace`).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000)) {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status_ = -1;
      }
      ::usleep(10000);
    }
    pid_ = -1;
    return status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buf_;
  int status_ = -1;
};

inline constexpr const char* kToken = "client-e2e-token-0123456789";

// The reference sidecar on port 0 in conformance mode (docs §11.7); url() empty if it did not
// start.
class Sidecar {
 public:
  Sidecar()
      : token_file_(make_token_file()),
        process_({FLAKE_SIDECAR_BIN, "--port", "0", "--token-file", token_file_, "--conformance"}) {
    static const std::regex kLine(R"(listening on ws://([^/ ]+):([0-9]{1,5})/rpc\s*$)");
    while (auto line = process_.read_line(std::chrono::seconds(10))) {
      std::smatch m;
      if (std::regex_search(*line, m, kLine)) {
        url_ = "ws://127.0.0.1:" + m[2].str() + "/rpc";
        break;
      }
    }
  }
  ~Sidecar() { ::unlink(token_file_.c_str()); }
  const std::string& url() const { return url_; }

 private:
  static std::string make_token_file() {
    std::string path = "/tmp/flake-client-e2e-token-" + std::to_string(::getpid());
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(kToken, f);
    std::fclose(f);
    return path;
  }
  std::string token_file_;
  ChildProcess process_;
  std::string url_;
};

}  // namespace flake::client::testing
