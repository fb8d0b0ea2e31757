// Peer: the accept thread and one thread per connection; stop() joins them all.
#include "conformance/peer/peer.hpp"

#include <exception>

namespace flake::conform::peer {

Peer::Peer(PeerScript script) : state_(std::move(script), log_) {}

Peer::~Peer() {
  stop();
}

bool Peer::start(std::string& error) {
  if (!listener_.open(error)) return false;
  log_.add(0, EventKind::Note, "listening on " + url());
  started_ = true;
  acceptor_ = std::thread([this] { accept_loop(); });
  return true;
}

std::string Peer::url() const {
  return "ws://127.0.0.1:" + std::to_string(port()) + "/rpc";
}

void Peer::accept_loop() {
  int accepted = 0;
  while (!state_.stopping()) {
    auto socket = listener_.accept(Clock::now() + std::chrono::milliseconds(20));
    if (!socket) continue;
    if (accepted >= kMaxConnections) {
      log_.add(0, EventKind::Finding,
               "more than " + std::to_string(kMaxConnections) + " connections; reset at accept");
      socket->abort();
      continue;
    }
    auto conn = std::make_shared<Connection>(++accepted, std::move(*socket), state_);
    std::lock_guard lock(mutex_);
    connections_.push_back(conn);
    threads_.emplace_back([this, conn] {
      // A case's hook that throws must not take the suite down: the connection ends and the
      // record says why.
      try {
        conn->run();
      } catch (const std::exception& e) {
        log_.add(conn->index(), EventKind::Finding,
                 std::string("peer script error (a bug of the case): ") + e.what());
      }
    });
  }
}

void Peer::stop() {
  if (!started_) return;
  started_ = false;
  state_.stopping() = true;
  if (acceptor_.joinable()) acceptor_.join();
  listener_.close();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

bool Peer::ping(int conn, const std::string& payload) {
  std::shared_ptr<Connection> c;
  {
    std::lock_guard lock(mutex_);
    if (conn < 1 || conn > static_cast<int>(connections_.size())) return false;
    c = connections_[static_cast<std::size_t>(conn - 1)];
  }
  return c->send_ping(payload);
}

int Peer::open_connection() const {
  std::lock_guard lock(mutex_);
  for (auto it = connections_.rbegin(); it != connections_.rend(); ++it) {
    if ((*it)->is_open()) return (*it)->index();
  }
  return 0;
}

}  // namespace flake::conform::peer
