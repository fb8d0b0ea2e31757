// Non-blocking POSIX sockets driven by poll(2) with absolute deadlines.
#include "conformance/client/socket.hpp"

#include "conformance/client/resolve.hpp"
#include "conformance/client/wire_capture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace flake::conform {
namespace {

// poll() takes int milliseconds: long deadlines are waited for in steps.
int millis_until(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 60000 ? 60000 : static_cast<int>(left.count());
}

}  // namespace

bool wait_for_fd(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, millis_until(deadline));
    if (rc > 0) return true;
    if (rc == 0) {
      if (Clock::now() >= deadline) return false;
      continue;
    }
    if (errno != EINTR) return true;  // let the following syscall report the error
  }
}

IoStatus send_all_fd(int fd, std::string_view bytes, Deadline deadline, std::string* error) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for_fd(fd, POLLOUT, deadline)) return IoStatus::Timeout;
      continue;
    }
    if (error != nullptr) *error = std::strerror(errno);
    return IoStatus::Error;
  }
  return IoStatus::Ok;
}

RecvResult recv_some_fd(int fd, char* buffer, std::size_t size, Deadline deadline) {
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, size, 0);
    if (n > 0) return {IoStatus::Ok, static_cast<std::size_t>(n), {}};
    if (n == 0) return {IoStatus::Eof, 0, {}};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for_fd(fd, POLLIN, deadline)) return {IoStatus::Timeout, 0, {}};
      continue;
    }
    return {IoStatus::Error, 0, std::strerror(errno)};
  }
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

TcpSocket::~TcpSocket() {
  close();
}

TcpSocket::TcpSocket(TcpSocket&& other) noexcept
    : fd_(other.fd_), error_(std::move(other.error_)), tls_(std::move(other.tls_)) {
  other.fd_ = -1;
}

TcpSocket& TcpSocket::operator=(TcpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    error_ = std::move(other.error_);
    tls_ = std::move(other.tls_);
    other.fd_ = -1;
  }
  return *this;
}

void TcpSocket::close() {
  if (tls_) tls_->close_notify();
  tls_.reset();
  if (fd_ >= 0) {
    if (WireCapture* capture = active_capture()) capture->on_close(fd_);
    ::close(fd_);
  }
  fd_ = -1;
}

void TcpSocket::abort() {
  if (fd_ < 0) return;
  if (WireCapture* capture = active_capture()) capture->on_abort(fd_);
  if (tls_) tls_->mark_failed();
  tls_.reset();
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

void TcpSocket::shutdown_write() {
  if (fd_ < 0) return;
  if (WireCapture* capture = active_capture()) capture->on_shutdown_write(fd_);
  if (tls_) tls_->close_notify();
  ::shutdown(fd_, SHUT_WR);
}

bool TcpSocket::connect(const std::string& host, std::uint16_t port, Deadline deadline,
                        const TlsConnect& tls) {
  close();
  std::shared_ptr<const TlsClient> client;
  if (tls.use == TlsConnect::Use::kTarget) client = tls.client ? tls.client : target_tls();
  const std::string service = std::to_string(port);
  const std::vector<Endpoint> endpoints = resolve_tcp(host, port, error_);
  if (endpoints.empty()) return false;
  error_ = "no address for " + host;
  for (const Endpoint& e : endpoints) {
    const int fd = ::socket(e.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error_ = std::strerror(errno);
      continue;
    }
    fd_ = fd;
    int rc = ::connect(fd, e.sockaddr_ptr(), e.len);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_for_fd(fd, POLLOUT, deadline)) {
        error_ = "connect timed out";
        close();
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      error_ = std::string("connect to ") + host + ":" + service + ": " + std::strerror(errno);
      close();
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (client) {
      // A refused handshake is the answer of this server: other addresses are not tried.
      tls_ = TlsSession::handshake(*client, tls, fd, host, deadline, error_);
      if (!tls_) {
        close();
        return false;
      }
    }
    error_.clear();
    if (WireCapture* capture = active_capture()) capture->on_connect(fd, host, port);
    return true;
  }
  return false;
}

IoStatus TcpSocket::send_all(std::string_view bytes, Deadline deadline) {
  if (fd_ < 0) return IoStatus::Error;
  if (WireCapture* capture = active_capture()) capture->on_send(fd_, bytes);
  if (!tls_) return send_all_fd(fd_, bytes, deadline, &error_);
  while (!bytes.empty()) {
    std::size_t n = 0;
    const TlsIo io = tls_->write_step(bytes, n);
    bytes.remove_prefix(n);
    if (io == TlsIo::kOk) continue;
    if (io == TlsIo::kWantRead || io == TlsIo::kWantWrite) {
      if (!wait_for_fd(fd_, io == TlsIo::kWantRead ? POLLIN : POLLOUT, deadline)) {
        return IoStatus::Timeout;
      }
      continue;
    }
    error_ = io == TlsIo::kEof ? "the peer closed the TLS connection" : tls_->error();
    return IoStatus::Error;
  }
  return IoStatus::Ok;
}

RecvResult TcpSocket::recv_tls(char* buffer, std::size_t size, Deadline deadline) {
  for (;;) {
    std::size_t n = 0;
    const TlsIo io = tls_->read_step(buffer, size, n);
    if (io == TlsIo::kOk) return {IoStatus::Ok, n, {}};
    if (io == TlsIo::kEof) return {IoStatus::Eof, 0, {}};
    if (io == TlsIo::kError) return {IoStatus::Error, 0, tls_->error()};
    if (!wait_for_fd(fd_, io == TlsIo::kWantRead ? POLLIN : POLLOUT, deadline)) {
      return {IoStatus::Timeout, 0, {}};
    }
  }
}

RecvResult TcpSocket::recv_some(char* buffer, std::size_t size, Deadline deadline) {
  if (fd_ < 0) return {IoStatus::Error, 0, "socket closed"};
  RecvResult r =
      tls_ ? recv_tls(buffer, size, deadline) : recv_some_fd(fd_, buffer, size, deadline);
  if (r.status == IoStatus::Ok) {
    if (WireCapture* capture = active_capture()) capture->on_recv(fd_, r.bytes);
  }
  return r;
}

bool TcpSocket::readable_now() const {
  if (fd_ < 0) return false;
  if (tls_ && tls_->has_pending()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  std::uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace flake::conform
