// poll(2)-driven non-blocking sockets; every wait ends at a deadline.
#include "conformance/peer/server_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flake::conform::peer {
namespace {

int millis_until(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 60000 ? 60000 : static_cast<int>(left.count());
}

bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, millis_until(deadline));
    if (rc > 0) return true;
    if (rc == 0) {
      if (Clock::now() >= deadline) return false;
      continue;
    }
    if (errno != EINTR) return true;
  }
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

PeerSocket& PeerSocket::operator=(PeerSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

IoStatus PeerSocket::send_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    if (fd_ < 0) return IoStatus::Error;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, deadline)) return IoStatus::Timeout;
      continue;
    }
    return IoStatus::Error;
  }
  return IoStatus::Ok;
}

RecvResult PeerSocket::recv_some(char* buffer, std::size_t size, Deadline deadline) {
  for (;;) {
    if (fd_ < 0) return {IoStatus::Error, 0, "socket closed"};
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n > 0) return {IoStatus::Ok, static_cast<std::size_t>(n), {}};
    if (n == 0) return {IoStatus::Eof, 0, {}};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {IoStatus::Error, 0, std::strerror(errno)};
    if (!wait_for(fd_, POLLIN, deadline)) return {IoStatus::Timeout, 0, {}};
  }
}

void PeerSocket::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void PeerSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void PeerSocket::reset_in_place() {
  if (fd_ < 0) return;
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::shutdown(fd_, SHUT_RDWR);
}

void PeerSocket::abort() {
  if (fd_ < 0) return;
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

bool Listener::open(std::string& error) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error = std::string("listen on 127.0.0.1: ") + std::strerror(errno);
    close();
    return false;
  }
  set_nonblocking(fd_);
  port_ = ntohs(addr.sin_port);
  return true;
}

std::optional<PeerSocket> Listener::accept(Deadline deadline) {
  if (fd_ < 0) return std::nullopt;
  for (;;) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return PeerSocket(fd);
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return std::nullopt;
    if (!wait_for(fd_, POLLIN, deadline)) return std::nullopt;
  }
}

void Listener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace flake::conform::peer
