// What the client reports, as plain values: the events of docs/protocol.md §13.4 and the outcome
// of calls and exports. The driver prints them as JSON lines; a binding hands them over as they
// are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::client {

enum class EventKind {
  kConnected,
  kAuthenticated,
  kSubscribed,
  kNotification,
  kGap,
  kCall,
  kLarge,
  kDisconnected,
  kResumed,
  kResumeFailed,
  kGaveUp,
};
std::string_view event_name(EventKind k);

// How a call ended (§13.4 "call" outcomes).
enum class Outcome { kResult, kError, kBreaker, kTransport, kTimeout };
std::string_view outcome_name(Outcome o);

struct Event {
  Event() = default;
  explicit Event(EventKind k) : kind(k) {}

  EventKind kind = EventKind::kConnected;
  std::string method;             // subscribed, notification, call
  std::string subscription;       // subscribed, notification
  std::string session_id;         // authenticated
  int64_t seq = 0;                // notification, gap
  int64_t expected = 0;           // gap
  int64_t replayed = 0;           // resumed
  std::optional<int> code;        // call (error), disconnected (close code), resume_failed
  std::string outcome;            // call, large
  std::string format;             // large
  bool compressed = false;        // large
  std::optional<size_t> entries;  // large, when verified
};

// One §13.4 line, without the newline.
std::string to_json_line(const Event& e);

}  // namespace flake::client
