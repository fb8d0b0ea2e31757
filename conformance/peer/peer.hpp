// The scripted sidecar a client case talks to: listens on 127.0.0.1 (port 0), serves each accepted
// connection on its own thread as the script says, records everything in its PeerLog, and stops
// itself (threads joined, sockets closed) when stopped or destroyed.
#pragma once

#include "conformance/peer/connection.hpp"
#include "conformance/peer/peer_log.hpp"
#include "conformance/peer/peer_state.hpp"
#include "conformance/peer/script.hpp"
#include "conformance/peer/server_socket.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flake::conform::peer {

// More connections than this in one case means a client in a reconnect storm: further ones are
// refused (and recorded) so that memory and threads stay bounded.
inline constexpr int kMaxConnections = 64;

class Peer {
 public:
  explicit Peer(PeerScript script);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool start(std::string& error);
  void stop();
  std::uint16_t port() const { return listener_.port(); }
  std::string url() const;  // ws://127.0.0.1:<port>/rpc

  PeerLog& log() { return log_; }
  std::vector<PeerEvent> events() const { return log_.snapshot(); }
  // A ping with `payload` on connection `conn` (1-based accept order); false when it is not open.
  bool ping(int conn, const std::string& payload);
  // The highest connection number whose WebSocket is open, or 0.
  int open_connection() const;

 private:
  void accept_loop();

  PeerLog log_;
  PeerState state_;
  Listener listener_;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace flake::conform::peer
