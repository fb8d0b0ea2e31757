// fork/exec of the sidecar under test; the child gets its own process group and dies with us.
#include "conformance/client/sidecar_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flake::conform {
namespace {

constexpr std::size_t kTailBytes = 64 * 1024;
// docs/protocol.md §1.2: any line matching "listening on ws://HOST:PORT/rpc".
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
                           std::string& error) {
  if (argv.empty()) {
    error = "empty command";
    return false;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::execvp(args[0], args.data());
    const std::string msg = std::string("exec ") + args[0] + ": " + std::strerror(errno) + "\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with an early kill
  ::close(fds[1]);
  pid_ = pid;
  g_child_group.store(pid);
  secret_ = secret;
  reader_ = std::thread([this, fd = fds[0]] { read_loop(fd); });
  return true;
}

void SidecarProcess::read_loop(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const std::string_view chunk(buf, static_cast<std::size_t>(n));
    std::lock_guard lock(mutex_);
    tail_.append(chunk);
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
    if (!secret_.empty()) {
      // The secret may straddle two reads: search the end of the previous chunk too.
      const std::string window = overlap_ + std::string(chunk);
      if (window.find(secret_) != std::string::npos) secret_seen_ = true;
      overlap_ = window.substr(window.size() > secret_.size() ? window.size() - secret_.size() : 0);
    }
    for (const char c : chunk) {
      if (c != '\n') {
        if (line_.size() < 4096) line_.push_back(c);
        continue;
      }
      const std::size_t at = line_.find(std::string(kListening) + "ws://");
      if (!listening_ && at != std::string::npos) {
        std::string text = line_.substr(at + kListening.size());
        while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
        listening_ = parse_url(text);
      }
      line_.clear();
    }
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  eof_ = true;
  changed_.notify_all();
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
