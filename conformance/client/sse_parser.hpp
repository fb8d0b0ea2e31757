// Incremental text/event-stream parser following the WHATWG EventSource algorithm (HTML
// "Server-sent events", interpreting an event stream); SseStream feeds it whatever bytes each read
// delivers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

// One block ended by an empty line. Blocks the EventSource algorithm would not dispatch (no data
// line: comments, retry-only blocks) are reported too, because the suite checks heartbeats and the
// opening retry: line; `dispatched` says whether an EventSource would fire an event for it.
struct SseEvent {
  std::string event;               // the event type; "message" when absent (empty for comments)
  std::optional<std::string> id;   // the id: field of this block, when one was accepted
  std::string last_event_id;       // the EventSource last event ID after this block
  std::string data;                // data lines joined with '\n'
  std::optional<long long> retry;  // a valid retry: field of this block (ASCII digits only)
  bool comment_only = false;       // a block made only of ':' lines (heartbeat)
  bool dispatched = false;         // the data buffer was non-empty: an EventSource fires it
  bool operator==(const SseEvent&) const = default;
};

class SseParser {
 public:
  // Parses `bytes` (the next piece of the body, any split) and appends each completed block to
  // `out`. An unterminated last block stays pending and is never reported (it is discarded at the
  // end).
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  const std::string& last_event_id() const { return last_event_id_; }
  std::optional<long long> reconnection_time() const { return reconnection_time_; }

 private:
  void feed_char(char ch, std::vector<SseEvent>& out);
  void line(std::vector<SseEvent>& out);
  void field(std::string_view name, std::string_view value);

  std::size_t bom_matched_ = 0;  // UTF-8 BOM bytes seen at the very start
  bool bom_done_ = false;
  bool after_cr_ = false;  // a CR ended the last line: a following LF belongs to it
  std::string line_;
  // Per-block state.
  std::string event_type_;
  std::string data_;
  std::optional<std::string> block_id_;
  std::optional<long long> block_retry_;
  bool block_has_lines_ = false;
  bool block_has_fields_ = false;
  // Stream state (persistent across blocks).
  std::string last_event_id_;
  std::optional<long long> reconnection_time_;
};

}  // namespace flake::conform
