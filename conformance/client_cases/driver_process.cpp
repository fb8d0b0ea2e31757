// fork/exec of the driver; one reader thread polls its stdout and stderr so that neither pipe can
// fill up and block it.
#include "conformance/client_cases/driver_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace flake::conform::client {
namespace {

std::atomic<pid_t> g_driver_group{-1};

void on_interrupt(int sig) {
  const pid_t group = g_driver_group.load();
  if (group > 0) ::kill(-group, SIGKILL);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::vector<std::string> make_environment(const EnvList& overrides) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : overrides) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

std::string DriverExit::describe() const {
  std::string out =
      exited ? "exit status " + std::to_string(code) : "signal " + std::to_string(signal);
  if (killed) out += " (after SIGKILL)";
  if (by_itself) out += ", before the suite stopped it";
  return out;
}

void guard_driver_against_interrupts() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_interrupt);
}

std::string expand_command(std::string command, const std::string& url, const std::string& token) {
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{url}", url},
                                   std::pair<std::string, std::string>{"{token}", token}}) {
    for (std::size_t at = 0; (at = command.find(key, at)) != std::string::npos;) {
      command.replace(at, key.size(), value);
      at += value.size();
    }
  }
  return command;
}

DriverProcess::~DriverProcess() {
  stop();
}

bool DriverProcess::start(const std::string& command, const EnvList& env, std::string& error) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    ::close(out[0]);
    ::close(out[1]);
    return false;
  }
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  const std::vector<std::string> envs = make_environment(env);
  std::vector<char*> envp;
  for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    for (const int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return false;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(out[1]);
  ::close(err[1]);
  pid_ = pid;
  g_driver_group.store(pid);
  reader_ = std::thread([this, o = out[0], e = err[0]] { read_loop(o, e); });
  return true;
}

void DriverProcess::read_loop(int out_fd, int err_fd) {
  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  std::array<char, 8192> buffer{};
  int open_fds = 2;
  while (open_fds > 0 && !stop_reading_) {
    const int rc = ::poll(fds.data(), fds.size(), 50);
    if (rc < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (i == 0) {
        on_stdout(buffer.data(), static_cast<std::size_t>(n));
      } else {
        std::lock_guard lock(mutex_);
        stderr_.append(buffer.data(), static_cast<std::size_t>(n));
        if (stderr_.size() > 2 * kStderrTailBytes)
          stderr_.erase(0, stderr_.size() - kStderrTailBytes);
      }
    }
  }
  for (const auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  // partial_ belongs to this thread alone.
  if (!partial_.empty()) push_line(std::move(partial_) + "\x01");  // no newline at the end
  reader_done_ = true;
}

void DriverProcess::on_stdout(const char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (data[i] == '\n') {
      std::string line = std::move(partial_);
      partial_.clear();
      if (overlong_) {
        overlong_ = false;
        line = "\x02";
      }
      push_line(std::move(line));
      continue;
    }
    if (overlong_) continue;
    if (partial_.size() >= kMaxLineBytes) {
      overlong_ = true;
      partial_.clear();
      continue;
    }
    partial_.push_back(data[i]);
  }
}

void DriverProcess::push_line(std::string line) {
  DriverEvent e;
  e.at = Clock::now();
  if (line == "\x02") {
    e.raw = "(line longer than " + std::to_string(kMaxLineBytes) + " bytes)";
    e.parsed.error = "line longer than " + std::to_string(kMaxLineBytes) + " bytes";
  } else if (!line.empty() && line.back() == '\x01') {
    line.pop_back();
    e.raw = line;
    e.parsed = parse_event_line(line);
    if (e.parsed.ok()) e.parsed.error = "no newline at the end of the output";
    e.parsed.event = json();
  } else {
    e.parsed = parse_event_line(line);
    e.raw = std::move(line);
  }
  std::lock_guard lock(mutex_);
  e.line_no = ++line_no_;
  const std::size_t size = 2 * e.raw.size() + 64;  // the line and its parsed form, roughly
  if (events_.size() >= kMaxEvents || event_bytes_ + size > kMaxEventBytes) {
    ++dropped_;
    return;
  }
  event_bytes_ += size;
  events_.push_back(std::move(e));
}

bool DriverProcess::reap(bool block) {
  if (pid_ <= 0 || exit_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == 0) return false;
  DriverExit x;
  if (r == pid_ && WIFEXITED(status)) {
    x.exited = true;
    x.code = WEXITSTATUS(status);
  } else if (r == pid_ && WIFSIGNALED(status)) {
    x.signal = WTERMSIG(status);
  }
  exit_ = x;
  return true;
}

bool DriverProcess::running() {
  return pid_ > 0 && !reap(false);
}

DriverExit DriverProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return exit_.value_or(DriverExit{});
  bool killed = false;
  const bool by_itself = reap(false);
  if (!by_itself) {
    ::kill(-pid_, SIGTERM);
    const auto until = Clock::now() + grace;
    while (!reap(false) && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exit_) {
      ::kill(-pid_, SIGKILL);
      killed = true;
      reap(true);
    }
  }
  // Whatever else is left in the group (a driver's own children) goes too.
  ::kill(-pid_, SIGKILL);
  // The pipes close when the last writer is gone; a grandchild that left the group could keep
  // them open, so the reader gets a bounded chance to see EOF and is then told to stop.
  const auto drain_until = Clock::now() + std::chrono::milliseconds(300);
  while (!reader_done_ && Clock::now() < drain_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop_reading_ = true;
  if (reader_.joinable()) reader_.join();
  g_driver_group.store(-1);
  if (exit_) {
    exit_->killed = killed;
    exit_->by_itself = by_itself;
  }
  pid_ = -1;
  return exit_.value_or(DriverExit{});
}

std::vector<DriverEvent> DriverProcess::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::size_t DriverProcess::events_dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::string DriverProcess::stderr_tail() const {
  std::lock_guard lock(mutex_);
  if (stderr_.size() <= kStderrTailBytes) return stderr_;
  return stderr_.substr(stderr_.size() - kStderrTailBytes);
}

}  // namespace flake::conform::client
