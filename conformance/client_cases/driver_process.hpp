// The driver under test as a process: `/bin/sh -c COMMAND` in its own process group with the §13.2
// environment, standard output read line by line into timestamped events, standard error kept for
// failure reports, and a stop that sends SIGTERM, then SIGKILL 2 s later, and always reaps.
#pragma once

#include "conformance/client_cases/event_line.hpp"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace flake::conform::client {

using EnvList = std::vector<std::pair<std::string, std::string>>;

struct DriverExit {
  bool exited = false;  // by itself or after SIGTERM
  int code = -1;
  int signal = 0;
  bool killed = false;     // needed SIGKILL
  bool by_itself = false;  // had ended before stop() sent SIGTERM
  std::string describe() const;
};

// Bounds: a line longer than this is reported and cut; past kMaxEvents lines or kMaxEventBytes of
// them, further lines are counted only.
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;
inline constexpr std::size_t kMaxEvents = 20000;
inline constexpr std::size_t kMaxEventBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kStderrTailBytes = 16 * 1024;

class DriverProcess {
 public:
  DriverProcess() = default;
  ~DriverProcess();
  DriverProcess(const DriverProcess&) = delete;
  DriverProcess& operator=(const DriverProcess&) = delete;

  // `env` entries replace or extend the inherited environment. The child is SIGKILLed when the
  // calling thread ends (PR_SET_PDEATHSIG), so call from a thread that outlives the driver.
  bool start(const std::string& command, const EnvList& env, std::string& error);
  // SIGTERM to the process group, SIGKILL after `grace`; reaps. Idempotent.
  DriverExit stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  bool running();

  std::vector<DriverEvent> events() const;
  std::size_t events_dropped() const;
  std::string stderr_tail() const;
  pid_t pid() const { return pid_; }

 private:
  void read_loop(int out_fd, int err_fd);
  void on_stdout(const char* data, std::size_t n);
  void push_line(std::string line);
  bool reap(bool block);

  pid_t pid_ = -1;
  std::optional<DriverExit> exit_;
  std::thread reader_;
  std::atomic<bool> stop_reading_{false};
  std::atomic<bool> reader_done_{false};
  mutable std::mutex mutex_;
  std::vector<DriverEvent> events_;
  std::size_t dropped_ = 0;
  std::size_t event_bytes_ = 0;
  std::string partial_;
  bool overlong_ = false;
  int line_no_ = 0;
  std::string stderr_;
};

// Kills the running driver's process group on SIGINT/SIGTERM/SIGHUP before the suite exits.
void guard_driver_against_interrupts();

// `command` with every "{url}" and "{token}" replaced.
std::string expand_command(std::string command, const std::string& url, const std::string& token);

}  // namespace flake::conform::client
