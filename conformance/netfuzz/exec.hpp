// Plays a burst against a target: one thread per scripted connection, every socket operation
// bounded by a deadline, connections marked `hold` handed back still open.
#pragma once

#include "conformance/client/socket.hpp"
#include "conformance/netfuzz/script.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace flake::conform::netfuzz {

struct ExecTarget {
  std::string host;
  std::uint16_t port = 0;
  std::string authority;  // Host header value
  std::string ws_path = "/rpc";
  std::string token;
  std::chrono::milliseconds op_timeout{3000};  // per step, within the burst deadline
};

struct ConnOutcome {
  std::string label;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::string end;  // how the script ended: "done", "connect failed", "peer closed", ...
  bool connected = false;
  int tls_handshakes = 0;  // completed by a plain script's own session (TlsHandshake)
};

struct BurstOutcome {
  std::vector<ConnOutcome> conns;
  std::vector<TcpSocket> held;  // close (abort) after the health check
  std::uint64_t sent = 0;
};

BurstOutcome run_burst(const Burst& burst, const ExecTarget& target, Deadline deadline);

// The bytes of a Send step with the placeholders filled in (tests and small segments only: a
// Repeat is expanded in full).
std::string expand(const std::vector<Segment>& segments, const ExecTarget& target);

}  // namespace flake::conform::netfuzz
