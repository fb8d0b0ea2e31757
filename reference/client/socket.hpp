// POSIX plumbing for the client's I/O thread: an owned file descriptor, a self-pipe to wake poll()
// from other threads, and a non-blocking TCP connect.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace flake::client {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// A pipe whose read end poll() watches; notify() is async-signal-safe and never blocks.
class WakePipe {
 public:
  WakePipe();
  bool ok() const { return static_cast<bool>(read_); }
  int fd() const { return read_.get(); }
  void notify() const;
  void drain() const;

 private:
  Fd read_;
  Fd write_;
};

// A non-blocking socket whose connect to host:port has started (or finished); an empty Fd and
// `error` set when name resolution or socket creation fails, or the connect failed at once.
// Completion is seen as POLLOUT, its status through connect_status().
Fd start_connect(const std::string& host, uint16_t port, std::string& error);
// 0 when the connect completed, else the errno it failed with.
int connect_status(int fd);

}  // namespace flake::client
