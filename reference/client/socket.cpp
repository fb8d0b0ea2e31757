// POSIX sockets and pipes behind RAII: every descriptor the client opens is closed by an Fd.
#include "reference/client/socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace flake::client {

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

WakePipe::WakePipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
    read_ = Fd(fds[0]);
    write_ = Fd(fds[1]);
  }
}

void WakePipe::notify() const {
  const char b = 1;
  // A full pipe already wakes the reader; the result does not matter.
  [[maybe_unused]] ssize_t n = ::write(write_.get(), &b, 1);
}

void WakePipe::drain() const {
  char buf[64];
  while (::read(read_.get(), buf, sizeof buf) > 0) {
  }
}

namespace {
struct AddrinfoFree {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
}  // namespace

Fd start_connect(const std::string& host, uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &raw); rc != 0) {
    error = std::string("resolve: ") + gai_strerror(rc);
    return Fd();
  }
  std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
  Fd fd(::socket(list->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    error = std::string("socket: ") + std::strerror(errno);
    return Fd();
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), list->ai_addr, list->ai_addrlen) != 0 && errno != EINPROGRESS) {
    error = std::string("connect: ") + std::strerror(errno);
    return Fd();
  }
  return fd;
}

int connect_status(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

}  // namespace flake::client
