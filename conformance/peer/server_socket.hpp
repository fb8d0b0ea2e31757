// RAII sockets of the scripted sidecar: a listener on 127.0.0.1 with a kernel-picked port, and an
// accepted connection with deadline-bounded I/O, a FIN close and an RST abort (SO_LINGER 0).
#pragma once

#include "conformance/client/socket.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform::peer {

class PeerSocket {
 public:
  PeerSocket() = default;
  explicit PeerSocket(int fd) : fd_(fd) {}
  ~PeerSocket() { close(); }
  PeerSocket(PeerSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  PeerSocket& operator=(PeerSocket&& other) noexcept;
  PeerSocket(const PeerSocket&) = delete;
  PeerSocket& operator=(const PeerSocket&) = delete;

  IoStatus send_all(std::string_view bytes, Deadline deadline);
  // Waits until readable or `deadline`; Timeout when nothing came.
  RecvResult recv_some(char* buffer, std::size_t size, Deadline deadline);
  void shutdown_write();  // FIN now; reading stays possible
  void close();           // FIN (RST when unread data is left: drain first for a clean FIN)
  void abort();           // RST
  // RST and both directions shut, but the descriptor kept until close() or destruction.
  void reset_in_place();
  bool is_open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class Listener {
 public:
  Listener() = default;
  ~Listener() { close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool open(std::string& error);  // 127.0.0.1, port 0
  std::uint16_t port() const { return port_; }
  // A connection accepted before `deadline`, or nullopt.
  std::optional<PeerSocket> accept(Deadline deadline);
  void close();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace flake::conform::peer
