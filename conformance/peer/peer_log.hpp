// The scripted sidecar's record of everything that happened, timestamped and thread-safe: client
// cases judge the wire from it, and it becomes the case's wire log in failure reports.
#pragma once

#include "conformance/client/socket.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform::peer {

using json = nlohmann::json;

enum class EventKind {
  Accept,         // a TCP connection was accepted
  Refuse,         // the attempt was refused by plan (text says how)
  Upgrade,        // the upgrade request arrived (text: its summary)
  Upgraded,       // 101 sent
  HandshakeFail,  // the request head never completed or was not an upgrade
  FrameIn,        // one client frame (opcode, masked, fin, rsv)
  MessageIn,      // one client data message, parsed into `message` when it parses
  PingIn,         // a client ping (payload)
  PongIn,         // a client pong (payload)
  CloseIn,        // a client close frame (code, 0 without one)
  Sent,           // a data message the peer sent (`message`)
  PingOut,        // a ping the peer sent (payload)
  PongOut,        // a pong the peer sent (payload; solicited or not)
  CloseOut,       // a close frame the peer sent (code)
  End,            // the TCP connection ended (text: who ended it and how)
  Finding,        // a rule the client broke on the wire (unmasked frame, framing error, ...)
  Note,           // anything else worth showing
};
std::string_view to_string(EventKind kind);

struct PeerEvent {
  Clock::time_point at;
  int conn = 0;  // 1-based accept order; 0 for peer-wide events
  EventKind kind = EventKind::Note;
  std::string text;
  std::uint8_t opcode = 0;  // FrameIn
  bool masked = true;       // FrameIn
  bool binary = false;      // MessageIn / Sent
  int code = 0;             // CloseIn / CloseOut
  std::string payload;      // PingIn / PongIn / PingOut / PongOut
  json message;             // MessageIn (discarded when unparseable) / Sent
  std::size_t size = 0;     // bytes the event stands for (raw message size), for the log's bound
};

// Bounded: past `max_events` events or `max_bytes` of messages further events are counted, not
// stored, so a client that floods the peer cannot exhaust memory.
class PeerLog {
 public:
  explicit PeerLog(Clock::time_point start = Clock::now(), std::size_t max_events = 50000,
                   std::size_t max_bytes = std::size_t{64} << 20);
  void add(PeerEvent event);
  void add(int conn, EventKind kind, std::string text);
  std::vector<PeerEvent> snapshot() const;
  std::size_t dropped() const;
  Clock::time_point start() const { return start_; }
  // One line per event, "+12.3ms c2 kind text", for the case's wire log.
  std::vector<std::string> lines() const;
  static std::string format(const PeerEvent& e, Clock::time_point start);

 private:
  Clock::time_point start_;
  std::size_t max_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  mutable std::mutex mutex_;
  std::vector<PeerEvent> events_;
  std::size_t dropped_ = 0;
};

// Milliseconds from `from` to `to` (negative when `to` is earlier).
double ms_between(Clock::time_point from, Clock::time_point to);

}  // namespace flake::conform::peer
