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

PeerSocket& PeerSocket::operator=(PeerSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

IoStatus PeerSocket::send_all(std::string_view bytes, Deadline deadline) {
  if (fd_ < 0) return IoStatus::Error;
  return send_all_fd(fd_, bytes, deadline);
}

RecvResult PeerSocket::recv_some(char* buffer, std::size_t size, Deadline deadline) {
  if (fd_ < 0) return {IoStatus::Error, 0, "socket closed"};
  return recv_some_fd(fd_, buffer, size, deadline);
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
    if (!wait_for_fd(fd_, POLLIN, deadline)) return std::nullopt;
  }
}

void Listener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace flake::conform::peer
