// fork/exec of the sidecar under test; the child gets its own process group and dies with us.
#include "conformance/client/sidecar_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace flake::conform {
namespace {

constexpr std::size_t kMaxStdoutLines = 256;
constexpr std::size_t kMaxLineBytes = 4096;

// The parent's environment with `changes` applied, built before fork (the child only execs).
std::vector<std::string> child_environment(const std::vector<EnvChange>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : changes) {
      if (entry.starts_with(name + "=")) replaced = true;
    }
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [name, value] : changes) {
    if (value) env.push_back(name + "=" + *value);
  }
  return env;
}

constexpr std::size_t kTailBytes = 64 * 1024;
// docs/protocol.md §1.2: any line matching "listening on ws://HOST:PORT/rpc" (wss:// with TLS).
constexpr std::string_view kListening = "listening on ";

std::atomic<pid_t> g_child_group{-1};

void on_interrupt(int sig) {
  const pid_t group = g_child_group.load();
  if (group > 0) ::kill(-group, SIGKILL);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void guard_against_interrupts() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_interrupt);
}

bool SidecarProcess::start(const std::vector<std::string>& argv, const std::string& secret,
                           std::string& error, const std::vector<EnvChange>& env) {
  if (argv.empty()) {
    error = "empty command";
    return false;
  }
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
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> environment = child_environment(env);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  started_at_ = std::chrono::steady_clock::now();
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
    ::execvpe(args[0], args.data(), envp.data());
    const std::string msg = std::string("exec ") + args[0] + ": " + std::strerror(errno) + "\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with an early kill
  ::close(out[1]);
  ::close(err[1]);
  pid_ = pid;
  g_child_group.store(pid);
  secret_ = secret;
  reader_ = std::thread([this, o = out[0], e = err[0]] { read_loop(o, e); });
  return true;
}

// Standard output and standard error are read apart (only standard output has lines of its own,
// §1.2), both into the tail and both watched for the secret and for the "listening" line.
void SidecarProcess::read_loop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  char buf[4096];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores it from now on
        continue;
      }
      take(std::string_view(buf, static_cast<std::size_t>(n)), i == 0);
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  std::lock_guard lock(mutex_);
  eof_ = true;
  changed_.notify_all();
}

void SidecarProcess::take(std::string_view chunk, bool from_stdout) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  tail_.append(chunk);
  if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  if (!secret_.empty()) {
    // The secret may straddle two reads: search the end of the previous chunk too.
    const std::string window = overlap_ + std::string(chunk);
    if (window.find(secret_) != std::string::npos) secret_seen_ = true;
    overlap_ = window.substr(window.size() > secret_.size() ? window.size() - secret_.size() : 0);
  }
  std::string& line = from_stdout ? line_ : err_line_;
  for (const char c : chunk) {
    if (c != '\n') {
      if (line.size() < kMaxLineBytes) line.push_back(c);
      continue;
    }
    if (from_stdout && stdout_lines_.size() < kMaxStdoutLines) {
      stdout_lines_.push_back({line, now});
    }
    std::size_t at = line.find(std::string(kListening) + "ws://");
    if (at == std::string::npos) at = line.find(std::string(kListening) + "wss://");
    if (!listening_ && at != std::string::npos) {
      std::string text = line.substr(at + kListening.size());
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
      listening_ = parse_url(text);
    }
    line.clear();
  }
  changed_.notify_all();
}

std::vector<OutputLine> SidecarProcess::stdout_lines() const {
  std::lock_guard lock(mutex_);
  return stdout_lines_;
}

bool SidecarProcess::wait_stdout_lines(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return stdout_lines_.size() > count || eof_; }) &&
         stdout_lines_.size() > count;
}

std::string SidecarProcess::wait_output(const std::function<bool(std::string_view)>& done,
                                        std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return done(tail_) || eof_; });
  return tail_;
}

bool SidecarProcess::wait_secret(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return secret_seen_ || eof_; });
  return secret_seen_;
}

std::optional<Url> SidecarProcess::wait_listening(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return listening_.has_value() || eof_; });
  return listening_;
}

// Exit is detected with WNOWAIT: the zombie keeps its pid and process group reserved until we
// have killed whatever else is left in the group, so no unrelated process can ever be hit.
bool SidecarProcess::exited_unreaped() {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return true;  // nothing to wait for (already reaped): treat as gone
  }
  return info.si_pid == pid_;
}

void SidecarProcess::reap() {
  ::kill(-pid_, SIGKILL);  // leftovers of the group; the zombie leader keeps the id reserved
  int status = 0;
  ExitInfo info;
  if (::waitpid(pid_, &status, 0) == pid_) {
    info.exited = WIFEXITED(status);
    info.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    info.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  exit_ = info;
  g_child_group.store(-1);
}

bool SidecarProcess::running() {
  if (pid_ <= 0 || exit_) return false;
  if (!exited_unreaped()) return true;
  reap();
  return false;
}

ExitInfo SidecarProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return ExitInfo{};
  if (!exit_) {
    const auto start = std::chrono::steady_clock::now();
    ::kill(pid_, SIGTERM);
    while (!exited_unreaped() && std::chrono::steady_clock::now() - start < grace) {
      ::usleep(10000);
    }
    reap();  // SIGKILLs the group first, so this cannot block
    exit_->stop_time = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  }
  if (reader_.joinable()) reader_.join();
  return *exit_;
}

ExitInfo SidecarProcess::kill() {
  if (pid_ <= 0) return ExitInfo{};
  if (!exit_) {
    const auto start = std::chrono::steady_clock::now();
    reap();  // SIGKILLs the whole group, then waits
    exit_->stop_time = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  }
  if (reader_.joinable()) reader_.join();
  return *exit_;
}

void SidecarProcess::terminate() {
  if (pid_ > 0 && !exit_) ::kill(pid_, SIGTERM);
}

SidecarProcess::~SidecarProcess() {
  stop();
}

std::string SidecarProcess::output_tail() const {
  std::lock_guard lock(mutex_);
  return tail_;
}

bool SidecarProcess::secret_seen() const {
  std::lock_guard lock(mutex_);
  return secret_seen_;
}

long SidecarProcess::rss_kib() const {
  return process_rss_kib(pid_);
}

long process_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      long kib = 0;
      in >> kib;
      return kib;
    }
  }
  return 0;
}

}  // namespace flake::conform
