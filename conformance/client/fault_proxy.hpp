// A TCP proxy on loopback in front of a sidecar that injects network faults on demand: cut or reset
// every connection, stall forwarding, throttle it, or refuse new connections. Reconnection cases
// (§7) and pytest scenarios use it to make a network fail the way real ones do, without root or
// netem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace flake::conform {

class TlsClient;

struct FaultProxyStats {
  std::size_t open = 0;           // proxied connections open now
  std::size_t accepted = 0;       // connections accepted since start (refused ones included)
  std::uint64_t to_upstream = 0;  // bytes forwarded client -> sidecar
  std::uint64_t to_client = 0;    // bytes forwarded sidecar -> client
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1 (ephemeral port) and forwards every connection to target_host:target_port.
  // Clients always speak plain text to the proxy, so that its faults act on the WebSocket and HTTP
  // bytes; with `upstream_tls` (a TLS sidecar: target_tls()) each upstream connection is TLS,
  // verified as that client trusts, and without it plain too. nullptr, with `error` set, when it
  // cannot listen.
  static std::unique_ptr<FaultProxy> start(const std::string& target_host,
                                           std::uint16_t target_port,
                                           std::shared_ptr<const TlsClient> upstream_tls,
                                           std::string& error);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }

  // Each fault takes effect before the call returns.
  // Closes every proxied connection on both sides with FIN (an orderly TCP close, no WebSocket
  // close).
  void cut();
  // Closes every proxied connection on both sides with RST.
  void reset();
  // While on, nothing is forwarded in either direction; bytes wait in buffers and sockets stay open
  // (a peer that went silent: a dead Wi-Fi link, a suspended laptop).
  void stall(bool on);
  // Caps forwarding to this many bytes per second in each direction of each connection; 0 lifts it.
  void throttle(std::size_t bytes_per_second);
  // While on, new connections are accepted and reset at once (the port looks blocked); open
  // connections are not touched.
  void refuse(bool on);

  FaultProxyStats stats() const;

  struct Loop;  // the forwarding thread's state (fault_proxy.cpp)

 private:
  struct Key {};  // only start() can construct

 public:
  explicit FaultProxy(Key);

 private:
  // Runs `change` under the lock, wakes the loop and waits until it has applied the change.
  template <typename F>
  void command(F change);

  std::uint16_t port_ = 0;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace flake::conform
