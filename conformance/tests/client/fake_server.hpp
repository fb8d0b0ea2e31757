// A one-connection scripted WebSocket server on 127.0.0.1 for client tests. The script runs on
// its own thread with the accepted socket; every wait is bounded so a broken test cannot hang.
#pragma once

#include "conformance/client/http_handshake.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/ws_frame.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

namespace flake::conform::testing {

class ServerConn {
 public:
  explicit ServerConn(int fd) : fd_(fd) {}
  ~ServerConn() { ::close(fd_); }
  ServerConn(const ServerConn&) = delete;
  ServerConn& operator=(const ServerConn&) = delete;

  // Reads the request head; returns it (empty on timeout or EOF).
  std::string read_head() {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!wait_readable()) return {};
      if (::recv(fd_, &c, 1, 0) != 1) return {};
      head.push_back(c);
    }
    return head;
  }

  static std::string key_of(const std::string& head) {
    const auto pos = head.find("Sec-WebSocket-Key: ");
    if (pos == std::string::npos) return {};
    return head.substr(pos + 19, head.find("\r\n", pos) - pos - 19);
  }

  void accept_upgrade(const std::string& head, const std::string& extra = "") {
    send(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        compute_accept(key_of(head)) + "\r\n" + extra + "\r\n");
  }

  void send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }

  // Next client frame (masked, as clients must send); false on timeout, EOF or bad frame.
  bool read_frame(Frame& out) {
    char c;
    for (;;) {
      if (!buffered_.empty()) {
        const auto r = decoder_.feed(buffered_, out);
        buffered_.erase(0, r.consumed);
        if (r.status == FrameDecoder::Status::Frame) return true;
        if (r.status == FrameDecoder::Status::Error) return false;
      }
      if (!wait_readable()) return false;
      if (::recv(fd_, &c, 1, 0) != 1) return false;
      buffered_.push_back(c);
    }
  }

  void shutdown_now() { ::shutdown(fd_, SHUT_RDWR); }

 private:
  bool wait_readable() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 5000) > 0;
  }
  int fd_;
  std::string buffered_;
  FrameDecoder decoder_{DecoderOptions{true, kRsv1, 1 << 24}};
};

class FakeServer {
 public:
  explicit FakeServer(std::function<void(ServerConn&)> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 4);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ServerConn conn(fd);
      script(conn);
    });
  }
  ~FakeServer() {
    thread_.join();
    ::close(listen_fd_);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/rpc") const {
    return "ws://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace flake::conform::testing
