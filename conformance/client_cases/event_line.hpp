// The driver's event lines (docs/protocol.md §13.4): one JSON object per line with "event" and the
// members its table lists. A line that breaks the format is itself a finding.
#pragma once

#include "conformance/client/socket.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace flake::conform::client {

using json = nlohmann::json;

struct EventLine {
  json event;         // the object, when the line is well-formed
  std::string error;  // why it is not, otherwise
  bool ok() const { return error.empty(); }
};

// Checks one line (without its newline; a trailing CR is tolerated): a JSON object whose "event"
// is one of §13.4's names and whose listed members have the listed types.
EventLine parse_event_line(std::string_view line);

// A received line: when it arrived, its number (1-based) and what it said.
struct DriverEvent {
  Clock::time_point at;
  int line_no = 0;
  std::string raw;
  EventLine parsed;

  const std::string& name() const;  // "" when malformed
  bool is(std::string_view event) const { return parsed.ok() && name() == event; }
};

}  // namespace flake::conform::client
