// A sidecar started by the harness (--spawn / --reference): its own process group, output
// captured by a reader thread (so it can never block on a full pipe), the "listening" line
// awaited, and a SIGTERM-then-SIGKILL stop that never leaves it running.
#pragma once

#include "conformance/client/url.hpp"

#include <sys/types.h>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace flake::conform {

struct ExitInfo {
  bool exited = false;                     // exited by itself (after SIGTERM or earlier)
  int code = -1;                           // exit status when exited
  int signal = 0;                          // terminating signal otherwise
  std::chrono::milliseconds stop_time{0};  // from SIGTERM to exit
};

// VmRSS of any process from /proc/PID/status, in KiB; 0 when it cannot be read.
long process_rss_kib(pid_t pid);

// A change to the environment the child inherits: set NAME to the value, or unset it (nullopt).
using EnvChange = std::pair<std::string, std::optional<std::string>>;

// One line the child wrote to its standard output, and when it arrived (docs/protocol.md §1.2).
struct OutputLine {
  std::string text;  // without the line break; at most 4,096 bytes kept
  std::chrono::steady_clock::time_point at;
};

class SidecarProcess {
 public:
  // argv[0] is looked up in PATH. The child is SIGKILLed when the *thread* that called start() ends
  // (PR_SET_PDEATHSIG is per thread), so call it from a thread that outlives the sidecar. `secret`
  // is watched for in the output (tokens never appear in logs); empty to skip that. `env` changes
  // the environment the child inherits.
  bool start(const std::vector<std::string>& argv, const std::string& secret, std::string& error,
             const std::vector<EnvChange>& env = {});
  ~SidecarProcess();
  SidecarProcess() = default;
  SidecarProcess(const SidecarProcess&) = delete;
  SidecarProcess& operator=(const SidecarProcess&) = delete;

  // The URL from "flake-sidecar listening on ws://HOST:PORT/rpc" (or wss://, §1.2a: its scheme
  // says whether the sidecar serves TLS), or nullopt at the deadline or when the process exits
  // first.
  std::optional<Url> wait_listening(std::chrono::milliseconds timeout);
  bool running();
  ExitInfo stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  // SIGKILL at once, no SIGTERM first (a crash, for the soak's restarts).
  ExitInfo kill();
  // Sends SIGTERM only (the graceful-shutdown case watches what follows).
  void terminate();

  pid_t pid() const { return pid_; }
  // When start() forked the child.
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }
  // The complete lines of standard output so far (the first 256), in order, each with the time
  // it arrived; standard error is read apart and is only in output_tail().
  std::vector<OutputLine> stdout_lines() const;
  // Waits until standard output holds more than `count` complete lines, or it ends, or `timeout`.
  // True when it does.
  bool wait_stdout_lines(std::size_t count, std::chrono::milliseconds timeout);
  // How it ended, once running() or stop() has seen it end.
  std::optional<ExitInfo> exit_info() const { return exit_; }
  std::string output_tail() const;  // the last part of stdout+stderr
  // Waits until output_tail() satisfies `done`, or output ends, or `timeout`, and returns it.
  // Standard error is read apart from standard output, so a line written before the start-up
  // line may arrive after it: wait for it rather than read output_tail() once.
  std::string wait_output(const std::function<bool(std::string_view)>& done,
                          std::chrono::milliseconds timeout);
  bool secret_seen() const;
  // Waits until the secret has appeared in the output, or output ends, or `timeout`; true when it
  // has. Output is read by another thread: a line written just before an answer may not have
  // been read when the answer arrives.
  bool wait_secret(std::chrono::milliseconds timeout);
  // Resident set size in KiB from /proc, 0 when unknown.
  long rss_kib() const;

 private:
  void read_loop(int out_fd, int err_fd);
  void take(std::string_view chunk, bool from_stdout);
  bool exited_unreaped();
  void reap();

  pid_t pid_ = -1;
  std::optional<ExitInfo> exit_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string tail_;
  std::string line_;      // the current line of standard output
  std::string err_line_;  // the current line of standard error
  std::vector<OutputLine> stdout_lines_;
  std::chrono::steady_clock::time_point started_at_{};
  std::string secret_;
  std::string overlap_;
  bool secret_seen_ = false;
  bool eof_ = false;
  std::optional<Url> listening_;
};

// Installs SIGINT/SIGTERM/SIGHUP handlers that kill the spawned sidecar's process group
// before the harness exits.
void guard_against_interrupts();

}  // namespace flake::conform
