// The floor: a minimal server on loopback that speaks the same WebSocket framing and answers the
// same requests with canned messages of the same shape, doing no other work. What the client
// measures against it is the machine's (and the client's own) ceiling for each figure.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <thread>

namespace flake::bench {

class FloorServer {
 public:
  FloorServer() = default;
  ~FloorServer();
  FloorServer(const FloorServer&) = delete;
  FloorServer& operator=(const FloorServer&) = delete;

  // Listens on 127.0.0.1 (free port) and serves from one thread, like a single-threaded sidecar.
  bool start(std::string& error);
  void stop();
  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/rpc"; }
  // The serving thread's CPU clock (its CPU time, user and kernel, to the nanosecond): what a
  // request costs the machine with no server work on top. nullopt unless started; read it only
  // while the server runs, as the clock names a thread that ends with stop().
  std::optional<clockid_t> cpu_clock();

 private:
  void run();

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The canned messages, public for tests and for sizing: a logs.update of `entries` entries shaped
// like docs/protocol.md §11.2 (first entry number `first_n`), and a data.chunk of `bytes` payload.
std::string floor_log_notification(std::uint64_t seq, std::uint64_t first_n, unsigned entries);
std::string floor_data_chunk(unsigned index, std::size_t bytes);

}  // namespace flake::bench
